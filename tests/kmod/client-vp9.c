// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test client's VP9 (-c vp9, vp9-10bit): a FRAME and a COMPRESSED_HDR
 * control a picture, a shown key frame; what --refused-frame refuses.
 */
#include <string.h>

#include "client.h"

/* A VP9 frame control of the client's picture size, 4:2:0, at @bit_depth. */
static void vp9_frame(struct v4l2_ctrl_vp9_frame *f, unsigned int bit_depth, int frame)
{
	memset(f, 0, sizeof(*f));
	f->frame_width_minus_1 = opt.width - 1;
	f->frame_height_minus_1 = opt.height - 1;
	f->render_width_minus_1 = opt.width - 1;
	f->render_height_minus_1 = opt.height - 1;
	f->profile = bit_depth == 8 ? 0 : 2;
	f->bit_depth = bit_depth;
	f->flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
		V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	f->quant.base_q_idx = frame; /* any value: the picture's number */
}

static uint32_t vp9_set_ctrls(int fd, int req_fd, const struct pic *p)
{
	static struct v4l2_ctrl_vp9_frame f;
	static struct v4l2_ctrl_vp9_compressed_hdr hdr;
	struct v4l2_ext_control c[2] = {
		EXT_CTRL(V4L2_CID_STATELESS_VP9_FRAME, f),
		EXT_CTRL(V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, hdr),
	};

	vp9_frame(&f, opt.bit_depth, p->frame);
	s_ext_ctrls(fd, req_fd, c, 2);
	return f.quant.base_q_idx;
}

/*
 * A frame of that size (WxH), a profile, bit depth or chroma subsampling the
 * daemon lacks, or (10bit) a 10-bit stream, which 8-bit CAPTURE buffers
 * cannot take.
 */
static bool vp9_refused(struct v4l2_ext_control *c, const char *what)
{
	static struct v4l2_ctrl_vp9_frame f;
	int w, h;

	*c = EXT_CTRL(V4L2_CID_STATELESS_VP9_FRAME, f);
	vp9_frame(&f, 8, 0);
	if (sscanf(what, "%dx%d", &w, &h) == 2) {
		f.frame_width_minus_1 = w - 1;
		f.frame_height_minus_1 = h - 1;
	} else if (!strcmp(what, "profile1")) {
		f.profile = 1;
	} else if (!strcmp(what, "12bit")) {
		f.profile = 2;
		f.bit_depth = 12;
	} else if (!strcmp(what, "444")) {
		f.profile = 1;
		f.flags &= ~(V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
	} else if (!strcmp(what, "10bit")) {
		vp9_frame(&f, 10, 0);
	} else {
		return false;
	}
	return true;
}

const struct client_codec client_vp9 = {
	.name = "vp9", .fourcc = V4L2_PIX_FMT_VP9_FRAME, .codec = DAEDALUS_CODEC_VP9,
	.block = 64, .has_10bit = true, .set_ctrls = vp9_set_ctrls, .refused = vp9_refused,
};
