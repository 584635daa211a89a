// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: VP9, stateless (V4L2_PIX_FMT_VP9_FRAME) and as a stream
 * (V4L2_PIX_FMT_VP9) on the stateful node.
 *
 * A stateless OUTPUT buffer holds one whole frame, uncompressed header
 * included (clients split superframes), which the daemon decodes as it is;
 * a stream's holds a frame or a superframe. Profiles 0 (8-bit) and 2
 * (10-bit, CAPTURE P010), 4:2:0 only.
 */

#include <media/v4l2-ctrls.h>

#include "daedalus.h"

/* superblocks */
#define DAEDALUS_VP9_PICTURES DAEDALUS_PICTURES_10BIT("vp9", 64)

/*
 * Refuses, before any picture, what the daemon cannot decode (the
 * descriptor's limits: profiles 1 and 3, which are 4:2:2, 4:4:0 or 4:4:4,
 * and 12 bits) and sizes beyond the advertised ones or the CAPTURE
 * buffers'. The core has checked the rest of the structure (reserved
 * fields, ranges); a depth its profile does not allow is refused too.
 */
static int daedalus_vp9_try_ctrl(struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_vp9_frame *f = ctrl->p_new.p_vp9_frame;
	struct daedalus_picture pic = {
		.width = f->frame_width_minus_1 + 1,
		.height = f->frame_height_minus_1 + 1,
		.bit_depth = f->bit_depth,
		.chroma = daedalus_chroma_subsampled(f->flags & V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING,
						     f->flags & V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING),
	};

	/* Profiles 0 and 1 are 8-bit, 2 and 3 deeper. */
	bool deep_profile = f->profile >= 2, deep = f->bit_depth > 8;

	if (ctrl->id != V4L2_CID_STATELESS_VP9_FRAME)
		return 0;
	if (f->profile > 3 || deep_profile != deep)
		return -EINVAL;
	return daedalus_check_picture(daedalus_ctrl_to_ctx(ctrl),
				      &daedalus_vp9_desc.pic, &pic);
}

static int daedalus_vp9_s_ctrl(struct v4l2_ctrl *ctrl)
{
	if (ctrl->id == V4L2_CID_STATELESS_VP9_FRAME)
		daedalus_set_bit_depth(daedalus_ctrl_to_ctx(ctrl),
				       &daedalus_vp9_desc.pic,
				       ctrl->p_new.p_vp9_frame->bit_depth);
	return 0;
}

static const struct v4l2_ctrl_ops daedalus_vp9_ctrl_ops = {
	.try_ctrl	= daedalus_vp9_try_ctrl,
	.s_ctrl		= daedalus_vp9_s_ctrl,
};

static const struct v4l2_ctrl_config daedalus_vp9_ctrls[] = {
	{
		.id	= V4L2_CID_STATELESS_VP9_FRAME,
		.ops	= &daedalus_vp9_ctrl_ops,
	},
	{ .id = V4L2_CID_STATELESS_VP9_COMPRESSED_HDR },
};

static const u32 daedalus_vp9_job_ctrls[] = {
	V4L2_CID_STATELESS_VP9_FRAME,
	V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
};

/* Every frame has its own header: a request carries its FRAME control. */
static const u32 daedalus_vp9_required_ctrls[] = {
	V4L2_CID_STATELESS_VP9_FRAME,
};

const struct daedalus_codec_desc daedalus_vp9_desc = {
	.codec			= DAEDALUS_CODEC_VP9,
	.fourcc			= V4L2_PIX_FMT_VP9_FRAME,
	.pic			= DAEDALUS_VP9_PICTURES,
	.ctrls			= daedalus_vp9_ctrls,
	.num_ctrls		= ARRAY_SIZE(daedalus_vp9_ctrls),
	.job_ctrls		= daedalus_vp9_job_ctrls,
	.num_job_ctrls		= ARRAY_SIZE(daedalus_vp9_job_ctrls),
	.required_ctrls		= daedalus_vp9_required_ctrls,
	.num_required_ctrls	= ARRAY_SIZE(daedalus_vp9_required_ctrls),
};

/*
 * The stateful node's VP9: a frame (or superframe) a buffer, no parsing.
 * Profiles 0 and 2, whose pictures NV12/YUV420 and P010 hold.
 */
const struct daedalus_stream_desc daedalus_vp9_stream_desc = {
	.codec		= DAEDALUS_CODEC_VP9,
	.fourcc		= V4L2_PIX_FMT_VP9,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION,
	.pic		= DAEDALUS_VP9_PICTURES,
	.profile_cid	= V4L2_CID_MPEG_VIDEO_VP9_PROFILE,
	.profile_max	= V4L2_MPEG_VIDEO_VP9_PROFILE_2,
	.profile_skip	= BIT_ULL(V4L2_MPEG_VIDEO_VP9_PROFILE_1),
	.profile_def	= V4L2_MPEG_VIDEO_VP9_PROFILE_0,
};
