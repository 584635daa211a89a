// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: VP8, stateless (V4L2_PIX_FMT_VP8_FRAME) and as a stream
 * (V4L2_PIX_FMT_VP8) on the stateful node.
 *
 * An OUTPUT buffer holds one whole frame, frame tag and first partition
 * included, which the daemon decodes as it is. VP8 is always 8-bit 4:2:0.
 */

#include <media/v4l2-ctrls.h>

#include "daedalus.h"

#define DAEDALUS_VP8_PICTURES DAEDALUS_PICTURES_8BIT("vp8", 16)

/* Sizes beyond the advertised ones or the CAPTURE buffers' are refused. */
static int daedalus_vp8_try_ctrl(struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_vp8_frame *f = ctrl->p_new.p_vp8_frame;

	if (ctrl->id != V4L2_CID_STATELESS_VP8_FRAME)
		return 0;
	/* Only a key frame codes its size: the default control has none. */
	if (!f->width && !f->height &&
	    !(f->flags & V4L2_VP8_FRAME_FLAG_KEY_FRAME))
		return 0;
	return daedalus_check_size(daedalus_ctrl_to_ctx(ctrl),
				   &daedalus_vp8_desc.pic, f->width, f->height);
}

static const struct v4l2_ctrl_ops daedalus_vp8_ctrl_ops = {
	.try_ctrl	= daedalus_vp8_try_ctrl,
};

static const struct v4l2_ctrl_config daedalus_vp8_ctrls[] = {
	{
		.id	= V4L2_CID_STATELESS_VP8_FRAME,
		.ops	= &daedalus_vp8_ctrl_ops,
	},
};

/* Every frame has its own header: a request carries its FRAME control. */
static const u32 daedalus_vp8_job_ctrls[] = {
	V4L2_CID_STATELESS_VP8_FRAME,
};

const struct daedalus_codec_desc daedalus_vp8_desc = {
	.codec		= DAEDALUS_CODEC_VP8,
	.fourcc		= V4L2_PIX_FMT_VP8_FRAME,
	.pic		= DAEDALUS_VP8_PICTURES,
	.ctrls		= daedalus_vp8_ctrls,
	.num_ctrls	= ARRAY_SIZE(daedalus_vp8_ctrls),
	.job_ctrls	= daedalus_vp8_job_ctrls,
	.num_job_ctrls	= ARRAY_SIZE(daedalus_vp8_job_ctrls),
	.required_ctrls	= daedalus_vp8_job_ctrls,
	.num_required_ctrls = ARRAY_SIZE(daedalus_vp8_job_ctrls),
};

/*
 * The stateful node's VP8: one frame a buffer (the uAPI's V4L2_PIX_FMT_VP8),
 * no parsing. Every profile (0-3: filter and motion vector precision) is
 * 8-bit 4:2:0.
 */
const struct daedalus_stream_desc daedalus_vp8_stream_desc = {
	.codec		= DAEDALUS_CODEC_VP8,
	.fourcc		= V4L2_PIX_FMT_VP8,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION,
	.pic		= DAEDALUS_VP8_PICTURES,
	.profile_cid	= V4L2_CID_MPEG_VIDEO_VP8_PROFILE,
	.profile_max	= V4L2_MPEG_VIDEO_VP8_PROFILE_3,
	.profile_def	= V4L2_MPEG_VIDEO_VP8_PROFILE_0,
};
