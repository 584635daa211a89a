// SPDX-License-Identifier: GPL-2.0-only
/* The test client's VP8: one FRAME control a picture, a shown key frame. */
#include "client.h"

static uint32_t vp8_set_ctrls(int fd, int req_fd, const struct pic *p)
{
	struct v4l2_ctrl_vp8_frame f = {
		.width = opt.width, .height = opt.height, .num_dct_parts = 1,
		.flags = V4L2_VP8_FRAME_FLAG_KEY_FRAME | V4L2_VP8_FRAME_FLAG_SHOW_FRAME,
		.prob_skip_false = p->frame, /* any value: the picture's number */
	};
	struct v4l2_ext_control c = EXT_CTRL(V4L2_CID_STATELESS_VP8_FRAME, f);

	s_ext_ctrls(fd, req_fd, &c, 1);
	return f.prob_skip_false;
}

const struct client_codec client_vp8 = {
	.name = "vp8", .fourcc = V4L2_PIX_FMT_VP8_FRAME, .codec = DAEDALUS_CODEC_VP8,
	.block = 16, .set_ctrls = vp8_set_ctrls,
};
