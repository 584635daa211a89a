// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: H.264 (V4L2_PIX_FMT_H264_SLICE).
 */

#include <linux/moduleparam.h>
#include <media/videobuf2-v4l2.h>

#include "daedalus.h"

static unsigned int daedalus_h264_decode_modes = 3;
module_param_named(h264_decode_modes, daedalus_h264_decode_modes, uint, 0444);
MODULE_PARM_DESC(h264_decode_modes,
		 "H.264 decode modes offered: 1 slice-based, 2 frame-based, 3 both (default; frame-based is the default value)");

static unsigned int daedalus_h264_start_codes = 3;
module_param_named(h264_start_codes, daedalus_h264_start_codes, uint, 0444);
MODULE_PARM_DESC(h264_start_codes,
		 "H.264 start code modes offered: 1 none, 2 Annex B, 3 both (default; Annex B is the default value)");

static int daedalus_h264_check_params(void)
{
	if (!(daedalus_h264_decode_modes & 3) ||
	    !(daedalus_h264_start_codes & 3)) {
		pr_err(DAEDALUS_NAME ": h264_decode_modes and h264_start_codes must be 1, 2 or 3\n");
		return -EINVAL;
	}
	return 0;
}

static const struct v4l2_ctrl_config daedalus_h264_ctrls[] = {
	{ .id = V4L2_CID_STATELESS_H264_SPS },
	{ .id = V4L2_CID_STATELESS_H264_PPS },
	{ .id = V4L2_CID_STATELESS_H264_SCALING_MATRIX },
	{ .id = V4L2_CID_STATELESS_H264_PRED_WEIGHTS },
	{ .id = V4L2_CID_STATELESS_H264_SLICE_PARAMS },
	{ .id = V4L2_CID_STATELESS_H264_DECODE_PARAMS },
};

/*
 * The menus offer what the module parameters allow. Clients such as FFmpeg
 * and libva take the default value, so the default is the preferred mode
 * among the allowed ones: frame-based and Annex B.
 */
static int daedalus_h264_init_ctrls(struct v4l2_ctrl_handler *hdl)
{
	u32 modes = daedalus_h264_decode_modes & 3;
	u32 codes = daedalus_h264_start_codes & 3;
	u8 mode_def = (modes & BIT(V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED)) ?
		V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED :
		V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	u8 code_def = (codes & BIT(V4L2_STATELESS_H264_START_CODE_ANNEX_B)) ?
		V4L2_STATELESS_H264_START_CODE_ANNEX_B :
		V4L2_STATELESS_H264_START_CODE_NONE;

	v4l2_ctrl_new_std_menu(hdl, NULL, V4L2_CID_STATELESS_H264_DECODE_MODE,
			       fls(modes) - 1, ~modes & 3, mode_def);
	v4l2_ctrl_new_std_menu(hdl, NULL, V4L2_CID_STATELESS_H264_START_CODE,
			       fls(codes) - 1, ~codes & 3, code_def);
	return hdl->error;
}

static s32 daedalus_h264_mode(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl *ctrl = v4l2_ctrl_find(&ctx->hdl,
						V4L2_CID_STATELESS_H264_DECODE_MODE);

	return ctrl ? v4l2_ctrl_g_ctrl(ctrl) :
		V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED;
}

static unsigned int daedalus_h264_job_ctrl_ids(struct daedalus_ctx *ctx,
					       u32 *ids, unsigned int max)
{
	static const u32 always[] = {
		V4L2_CID_STATELESS_H264_DECODE_MODE,
		V4L2_CID_STATELESS_H264_START_CODE,
		V4L2_CID_STATELESS_H264_SPS,
		V4L2_CID_STATELESS_H264_PPS,
		V4L2_CID_STATELESS_H264_SCALING_MATRIX,
		V4L2_CID_STATELESS_H264_DECODE_PARAMS,
	};
	static const u32 slice_based[] = {
		V4L2_CID_STATELESS_H264_SLICE_PARAMS,
		V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
	};
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(always) && n < max; i++)
		ids[n++] = always[i];
	if (daedalus_h264_mode(ctx) == V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED)
		for (i = 0; i < ARRAY_SIZE(slice_based) && n < max; i++)
			ids[n++] = slice_based[i];
	return n;
}

/*
 * What a request must carry itself: a picture's DECODE_PARAMS, or in
 * slice-based mode each slice's SLICE_PARAMS. SPS and PPS persist from
 * earlier requests (GStreamer sends the SPS only when it changes).
 */
static int daedalus_h264_validate(struct daedalus_ctx *ctx,
				  struct v4l2_ctrl_handler *req_hdl)
{
	u32 id = daedalus_h264_mode(ctx) == V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED ?
		V4L2_CID_STATELESS_H264_SLICE_PARAMS :
		V4L2_CID_STATELESS_H264_DECODE_PARAMS;

	if (!v4l2_ctrl_request_hdl_ctrl_find(req_hdl, id)) {
		v4l2_info(&ctx->dev->v4l2_dev,
			  "request lacks the required control %#x\n", id);
		return -ENOENT;
	}
	return 0;
}

static u32 daedalus_h264_queue_flags(void)
{
	if (daedalus_h264_decode_modes &
	    BIT(V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED))
		return VB2_V4L2_FL_SUPPORTS_M2M_HOLD_CAPTURE_BUF;
	return 0;
}

const struct daedalus_codec_desc daedalus_h264_desc = {
	.codec		= DAEDALUS_CODEC_H264,
	.name		= "h264",
	.fourcc		= V4L2_PIX_FMT_H264_SLICE,
	.block		= 16,
	.max_width	= DAEDALUS_MAX_WIDTH,
	.max_height	= DAEDALUS_MAX_HEIGHT,
	.cap_formats	= &daedalus_cap_formats_8bit,
	.check_params	= daedalus_h264_check_params,
	.ctrls		= daedalus_h264_ctrls,
	.num_ctrls	= ARRAY_SIZE(daedalus_h264_ctrls),
	.init_ctrls	= daedalus_h264_init_ctrls,
	.num_init_ctrls	= 2,	/* DECODE_MODE, START_CODE */
	.job_ctrl_ids	= daedalus_h264_job_ctrl_ids,
	.validate	= daedalus_h264_validate,
	.queue_flags	= daedalus_h264_queue_flags,
};
