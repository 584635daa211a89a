// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: H.264, stateless (V4L2_PIX_FMT_H264_SLICE) and as a stream
 * (V4L2_PIX_FMT_H264) on the stateful node.
 */

#include <linux/moduleparam.h>
#include <media/videobuf2-v4l2.h>

#include "daedalus.h"

/*
 * Both interfaces decode 8-bit 4:2:0 and monochrome pictures; a stream also
 * High 10's 10-bit ones, to P010 (the stateless controls stay 8-bit). 4:2:2
 * and 4:4:4 streams are refused, so clients fall back to software.
 */
#define DAEDALUS_H264_PICTURES(depths, formats_10bit) {			\
	.name		= "h264",					\
	.block		= 16,						\
	.max_width	= DAEDALUS_MAX_WIDTH,				\
	.max_height	= DAEDALUS_MAX_HEIGHT,				\
	.bit_depths	= (depths),					\
	.chroma_formats	= BIT(DAEDALUS_CHROMA_400) | BIT(DAEDALUS_CHROMA_420), \
	.cap_formats	= &daedalus_cap_formats_8bit,			\
	.cap_formats_10bit = (formats_10bit),				\
}

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

static bool daedalus_h264_in(int v, int min, int max)
{
	return v >= min && v <= max;
}

/*
 * The spec's ranges (7.4.2.1.1), which the daemon's SPS writer relies on,
 * and the descriptor's limits: 8 bits, 4:2:0 or monochrome (High 10, 4:2:2
 * and 4:4:4 streams are refused here, so clients fall back to software
 * before their first picture), and the size.
 */
static int daedalus_h264_try_sps(struct daedalus_ctx *ctx,
				 const struct v4l2_ctrl_h264_sps *sps)
{
	struct daedalus_picture pic = {
		.width = (sps->pic_width_in_mbs_minus1 + 1) * 16,
		.height = (sps->pic_height_in_map_units_minus1 + 1) * 16 *
			  (sps->flags & V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY ? 1 : 2),
		/* the CAPTURE formats have one depth for luma and chroma */
		.bit_depth = 8 + max(sps->bit_depth_luma_minus8,
				     sps->bit_depth_chroma_minus8),
		.chroma = sps->chroma_format_idc,
	};

	if (sps->seq_parameter_set_id > 31 || sps->chroma_format_idc > 3 ||
	    sps->bit_depth_luma_minus8 > 6 || sps->bit_depth_chroma_minus8 > 6 ||
	    sps->log2_max_frame_num_minus4 > 12 ||
	    sps->pic_order_cnt_type > 2 ||
	    sps->log2_max_pic_order_cnt_lsb_minus4 > 12 ||
	    sps->max_num_ref_frames > V4L2_H264_NUM_DPB_ENTRIES)
		return -EINVAL;
	return daedalus_check_picture(ctx, &daedalus_h264_desc.pic, &pic);
}

/*
 * The spec's ranges (7.4.2.2) for 8-bit streams. Slice groups (FMO) are
 * refused: the uAPI carries no slice group map, so no decoder behind it
 * can decode them.
 */
static int daedalus_h264_try_pps(const struct v4l2_ctrl_h264_pps *pps)
{
	if (pps->seq_parameter_set_id > 31 || pps->num_slice_groups_minus1 ||
	    pps->num_ref_idx_l0_default_active_minus1 > 31 ||
	    pps->num_ref_idx_l1_default_active_minus1 > 31 ||
	    pps->weighted_bipred_idc > 2 ||
	    !daedalus_h264_in(pps->pic_init_qp_minus26, -26, 25) ||
	    !daedalus_h264_in(pps->pic_init_qs_minus26, -26, 25) ||
	    !daedalus_h264_in(pps->chroma_qp_index_offset, -12, 12) ||
	    !daedalus_h264_in(pps->second_chroma_qp_index_offset, -12, 12))
		return -EINVAL;
	return 0;
}

/* The spec's ranges (7.4.3) of what slice-based mode passes per slice. */
static int daedalus_h264_try_slice(const struct v4l2_ctrl_h264_slice_params *sp)
{
	if (sp->slice_type > V4L2_H264_SLICE_TYPE_SI ||
	    sp->cabac_init_idc > 2 || sp->disable_deblocking_filter_idc > 2 ||
	    !daedalus_h264_in(sp->slice_alpha_c0_offset_div2, -6, 6) ||
	    !daedalus_h264_in(sp->slice_beta_offset_div2, -6, 6))
		return -EINVAL;
	return 0;
}

static int daedalus_h264_try_decode(const struct v4l2_ctrl_h264_decode_params *dp)
{
	unsigned int i;

	for (i = 0; i < V4L2_H264_NUM_DPB_ENTRIES; i++)
		if (dp->dpb[i].fields > V4L2_H264_FRAME_REF)
			return -EINVAL;
	return 0;
}

/* The core has checked each structure's reserved fields and a few ranges. */
static int daedalus_h264_try_ctrl(struct v4l2_ctrl *ctrl)
{
	const struct v4l2_ctrl_h264_pred_weights *pw;

	switch (ctrl->id) {
	case V4L2_CID_STATELESS_H264_SPS:
		return daedalus_h264_try_sps(daedalus_ctrl_to_ctx(ctrl),
					     ctrl->p_new.p_h264_sps);
	case V4L2_CID_STATELESS_H264_PPS:
		return daedalus_h264_try_pps(ctrl->p_new.p_h264_pps);
	case V4L2_CID_STATELESS_H264_SLICE_PARAMS:
		return daedalus_h264_try_slice(ctrl->p_new.p_h264_slice_params);
	case V4L2_CID_STATELESS_H264_DECODE_PARAMS:
		return daedalus_h264_try_decode(ctrl->p_new.p_h264_decode_params);
	case V4L2_CID_STATELESS_H264_PRED_WEIGHTS:
		pw = ctrl->p_new.p_h264_pred_weights;
		return pw->luma_log2_weight_denom > 7 ||
		       pw->chroma_log2_weight_denom > 7 ? -EINVAL : 0;
	default:
		return 0;
	}
}

static const struct v4l2_ctrl_ops daedalus_h264_ctrl_ops = {
	.try_ctrl	= daedalus_h264_try_ctrl,
};

static const struct v4l2_ctrl_config daedalus_h264_ctrls[] = {
	{ .id = V4L2_CID_STATELESS_H264_SPS, .ops = &daedalus_h264_ctrl_ops },
	{ .id = V4L2_CID_STATELESS_H264_PPS, .ops = &daedalus_h264_ctrl_ops },
	{ .id = V4L2_CID_STATELESS_H264_SCALING_MATRIX },
	{
		.id	= V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
		.ops	= &daedalus_h264_ctrl_ops,
	},
	{
		.id	= V4L2_CID_STATELESS_H264_SLICE_PARAMS,
		.ops	= &daedalus_h264_ctrl_ops,
	},
	{
		.id	= V4L2_CID_STATELESS_H264_DECODE_PARAMS,
		.ops	= &daedalus_h264_ctrl_ops,
	},
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
	.fourcc		= V4L2_PIX_FMT_H264_SLICE,
	.pic		= DAEDALUS_H264_PICTURES(BIT(8), NULL),
	.check_params	= daedalus_h264_check_params,
	.ctrls		= daedalus_h264_ctrls,
	.num_ctrls	= ARRAY_SIZE(daedalus_h264_ctrls),
	.init_ctrls	= daedalus_h264_init_ctrls,
	.num_init_ctrls	= 2,	/* DECODE_MODE, START_CODE */
	.job_ctrl_ids	= daedalus_h264_job_ctrl_ids,
	.validate	= daedalus_h264_validate,
	.queue_flags	= daedalus_h264_queue_flags,
};

/*
 * The stateful node's H.264: an Annex B byte stream in any chunking, which
 * the daemon parses. Its PROFILE menu offers the profiles whose pictures a
 * CAPTURE format takes, High 10 with P010.
 */
const struct daedalus_stream_desc daedalus_h264_stream_desc = {
	.codec		= DAEDALUS_CODEC_H264,
	.fourcc		= V4L2_PIX_FMT_H264,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION |
			  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM,
	.pic		= DAEDALUS_H264_PICTURES(BIT(8) | BIT(10),
						 &daedalus_cap_formats_10bit),
	.profile_cid	= V4L2_CID_MPEG_VIDEO_H264_PROFILE,
	.profile_max	= V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_HIGH,
	.profile_skip	= ~(BIT_ULL(V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE) |
			    BIT_ULL(V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE) |
			    BIT_ULL(V4L2_MPEG_VIDEO_H264_PROFILE_MAIN) |
			    BIT_ULL(V4L2_MPEG_VIDEO_H264_PROFILE_HIGH) |
			    BIT_ULL(V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_10) |
			    BIT_ULL(V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_HIGH)),
	.profile_def	= V4L2_MPEG_VIDEO_H264_PROFILE_HIGH,
};
