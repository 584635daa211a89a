// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: VP8 (V4L2_PIX_FMT_VP8_FRAME).
 *
 * An OUTPUT buffer holds one whole frame, frame tag and first partition
 * included, which the daemon decodes as it is. VP8 is always 8-bit 4:2:0.
 */

#include <media/v4l2-ctrls.h>

#include "daedalus.h"

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
	return daedalus_check_frame(daedalus_ctrl_to_ctx(ctrl),
				    &daedalus_vp8_desc, f->width, f->height, 8);
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

static unsigned int daedalus_vp8_job_ctrl_ids(struct daedalus_ctx *ctx,
					      u32 *ids, unsigned int max)
{
	if (!max)
		return 0;
	ids[0] = V4L2_CID_STATELESS_VP8_FRAME;
	return 1;
}

/* Every frame has its own header: a request must carry its FRAME control. */
static int daedalus_vp8_validate(struct daedalus_ctx *ctx,
				 struct v4l2_ctrl_handler *req_hdl)
{
	if (!v4l2_ctrl_request_hdl_ctrl_find(req_hdl,
					     V4L2_CID_STATELESS_VP8_FRAME)) {
		v4l2_info(&ctx->dev->v4l2_dev,
			  "request lacks the VP8_FRAME control\n");
		return -ENOENT;
	}
	return 0;
}

const struct daedalus_codec_desc daedalus_vp8_desc = {
	.codec		= DAEDALUS_CODEC_VP8,
	.name		= "vp8",
	.fourcc		= V4L2_PIX_FMT_VP8_FRAME,
	.block		= 16,	/* macroblocks */
	.max_width	= DAEDALUS_MAX_WIDTH,
	.max_height	= DAEDALUS_MAX_HEIGHT,
	.cap_formats	= &daedalus_cap_formats_8bit,
	.ctrls		= daedalus_vp8_ctrls,
	.num_ctrls	= ARRAY_SIZE(daedalus_vp8_ctrls),
	.job_ctrl_ids	= daedalus_vp8_job_ctrl_ids,
	.validate	= daedalus_vp8_validate,
};
