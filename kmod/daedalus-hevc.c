// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: HEVC as a stream (V4L2_PIX_FMT_HEVC) on the stateful node;
 * no stateless HEVC yet.
 *
 * An Annex B byte stream in any chunking, which the daemon parses. Main and
 * Main Still Picture decode to NV12/YUV420, Main 10 to P010; the range
 * extensions (4:2:2, 4:4:4, 12 bits) have no CAPTURE format and are refused
 * at the stream's format.
 */

#include "daedalus.h"

const struct daedalus_stream_desc daedalus_hevc_stream_desc = {
	.codec		= DAEDALUS_CODEC_HEVC,
	.fourcc		= V4L2_PIX_FMT_HEVC,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION |
			  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM,
	/* the SPS's luma size is a multiple of the smallest coding block */
	.pic		= DAEDALUS_PICTURES_10BIT("hevc", 8),
	.profile_cid	= V4L2_CID_MPEG_VIDEO_HEVC_PROFILE,
	.profile_max	= V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_10,
	.profile_def	= V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN,
};
