// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test client's H.264: the SPS, PPS, DECODE_PARAMS and SLICE_PARAMS of
 * its pictures (frame- or slice-based, as the device's DECODE_MODE says),
 * what --refused-frame refuses, and the display order of --replay's jobs.
 */
#include <string.h>

#include "client.h"
#include "common.h"

/* The SPS of the client's stream: High profile, -s, 4:2:0 (4:0:0 with --mono). */
static void h264_sps(struct v4l2_ctrl_h264_sps *sps)
{
	memset(sps, 0, sizeof(*sps));
	sps->profile_idc = 100;
	sps->level_idc = 40;
	sps->chroma_format_idc = opt.mono ? 0 : 1;
	sps->max_num_ref_frames = 1;
	sps->pic_width_in_mbs_minus1 = opt.width / 16 - 1;
	sps->pic_height_in_map_units_minus1 = opt.height / 16 - 1;
	sps->flags = V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY;
}

/* The DECODE_MODE and START_CODE controls' default values, as FFmpeg and libva follow them. */
static void h264_modes(int fd, bool *slice_based, bool *annexb)
{
	*slice_based = ctrl_default(fd, V4L2_CID_STATELESS_H264_DECODE_MODE) ==
		V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	*annexb = ctrl_default(fd, V4L2_CID_STATELESS_H264_START_CODE) ==
		V4L2_STATELESS_H264_START_CODE_ANNEX_B;
}

static uint32_t h264_set_ctrls(int fd, int req_fd, const struct pic *p)
{
	static struct v4l2_ctrl_h264_sps sps;
	static struct v4l2_ctrl_h264_pps pps;
	static struct v4l2_ctrl_h264_decode_params dp;
	static struct v4l2_ctrl_h264_slice_params sp;
	struct v4l2_ext_control c[4];
	unsigned int n = 0;

	h264_sps(&sps);
	memset(&dp, 0, sizeof(dp));
	dp.frame_num = p->frame;
	dp.nal_ref_idc = 1;
	dp.flags = V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
	memset(&sp, 0, sizeof(sp));
	sp.first_mb_in_slice = p->slice;
	sp.slice_type = V4L2_H264_SLICE_TYPE_I;

	if (p->seq)
		c[n++] = EXT_CTRL(V4L2_CID_STATELESS_H264_SPS, sps);
	if (p->picture) {
		c[n++] = EXT_CTRL(V4L2_CID_STATELESS_H264_PPS, pps);
		c[n++] = EXT_CTRL(V4L2_CID_STATELESS_H264_DECODE_PARAMS, dp);
	}
	if (p->slice_based)
		c[n++] = EXT_CTRL(V4L2_CID_STATELESS_H264_SLICE_PARAMS, sp);
	s_ext_ctrls(fd, req_fd, c, n);
	return p->frame;
}

/*
 * A sequence of that size (WxH), bit depth (10bit) or chroma format (422,
 * 444); or a value out of the spec's range in the SPS (sps-id), the PPS
 * (pps-qp), DECODE_PARAMS (dpb-fields), SLICE_PARAMS (cabac) or PRED_WEIGHTS
 * (weight-denom); or slice groups (fmo), which the uAPI cannot carry.
 */
static bool h264_refused(struct v4l2_ext_control *c, const char *what)
{
	static struct v4l2_ctrl_h264_sps sps;
	static struct v4l2_ctrl_h264_pps pps;
	static struct v4l2_ctrl_h264_decode_params dp;
	static struct v4l2_ctrl_h264_slice_params sp;
	static struct v4l2_ctrl_h264_pred_weights pw;
	int w, h;

	h264_sps(&sps);
	memset(&pps, 0, sizeof(pps));
	memset(&dp, 0, sizeof(dp));
	memset(&sp, 0, sizeof(sp));
	memset(&pw, 0, sizeof(pw));
	*c = EXT_CTRL(V4L2_CID_STATELESS_H264_SPS, sps);
	if (sscanf(what, "%dx%d", &w, &h) == 2) {
		sps.pic_width_in_mbs_minus1 = (w + 15) / 16 - 1;
		sps.pic_height_in_map_units_minus1 = (h + 15) / 16 - 1;
	} else if (!strcmp(what, "10bit")) {
		sps.profile_idc = 110;
		sps.bit_depth_luma_minus8 = 2;
		sps.bit_depth_chroma_minus8 = 2;
	} else if (!strcmp(what, "422")) {
		sps.profile_idc = 122;
		sps.chroma_format_idc = 2;
	} else if (!strcmp(what, "444")) {
		sps.profile_idc = 244;
		sps.chroma_format_idc = 3;
	} else if (!strcmp(what, "sps-id")) {
		sps.seq_parameter_set_id = 32;
	} else if (!strcmp(what, "pps-qp")) {
		pps.pic_init_qp_minus26 = 26;
		*c = EXT_CTRL(V4L2_CID_STATELESS_H264_PPS, pps);
	} else if (!strcmp(what, "fmo")) {
		pps.num_slice_groups_minus1 = 1;
		*c = EXT_CTRL(V4L2_CID_STATELESS_H264_PPS, pps);
	} else if (!strcmp(what, "dpb-fields")) {
		dp.dpb[3].fields = V4L2_H264_FRAME_REF + 1;
		*c = EXT_CTRL(V4L2_CID_STATELESS_H264_DECODE_PARAMS, dp);
	} else if (!strcmp(what, "cabac")) {
		sp.cabac_init_idc = 3;
		*c = EXT_CTRL(V4L2_CID_STATELESS_H264_SLICE_PARAMS, sp);
	} else if (!strcmp(what, "weight-denom")) {
		pw.luma_log2_weight_denom = 8;
		*c = EXT_CTRL(V4L2_CID_STATELESS_H264_PRED_WEIGHTS, pw);
	} else {
		return false;
	}
	return true;
}

/* Display order: an IDR starts it again, then each picture at its POC / 2. */
static bool h264_replay_order(const struct daedalus_job *job, bool *key, int *order)
{
	uint32_t size;
	const struct v4l2_ctrl_h264_decode_params *dp =
		job_ctrl(job, V4L2_CID_STATELESS_H264_DECODE_PARAMS, &size);

	if (!dp)
		return false;
	*key = dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC;
	*order = (dp->top_field_order_cnt < dp->bottom_field_order_cnt ?
		  dp->top_field_order_cnt : dp->bottom_field_order_cnt) / 2;
	return true;
}

static const uint32_t h264_menus[] = {
	V4L2_CID_STATELESS_H264_DECODE_MODE, V4L2_CID_STATELESS_H264_START_CODE,
};

const struct client_codec client_h264 = {
	.name = "h264", .fourcc = V4L2_PIX_FMT_H264_SLICE, .codec = DAEDALUS_CODEC_H264,
	.block = 16, .modes = h264_modes, .set_ctrls = h264_set_ctrls, .refused = h264_refused,
	.replay_order = h264_replay_order,
	.menus = h264_menus, .num_menus = sizeof(h264_menus) / sizeof(h264_menus[0]),
};
