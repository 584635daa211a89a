// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: MPEG-1 and MPEG-2 video as streams (V4L2_PIX_FMT_MPEG1,
 * V4L2_PIX_FMT_MPEG2) on the stateful node.
 *
 * Elementary streams in any chunking, which the daemon parses (a program or
 * transport stream is the client's to demux). 8-bit 4:2:0 only: MPEG-2's
 * 4:2:2 profile has no CAPTURE format and is refused at the stream's format.
 */

#include "daedalus.h"

/* The uAPI has no MPEG-1 profile control. */
const struct daedalus_stream_desc daedalus_mpeg1_stream_desc = {
	.codec		= DAEDALUS_CODEC_MPEG1,
	.fourcc		= V4L2_PIX_FMT_MPEG1,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION |
			  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM,
	.pic		= DAEDALUS_PICTURES_8BIT("mpeg1", 16),
};

const struct daedalus_stream_desc daedalus_mpeg2_stream_desc = {
	.codec		= DAEDALUS_CODEC_MPEG2,
	.fourcc		= V4L2_PIX_FMT_MPEG2,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION |
			  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM,
	.pic		= DAEDALUS_PICTURES_8BIT("mpeg2", 16),
	.profile_cid	= V4L2_CID_MPEG_VIDEO_MPEG2_PROFILE,
	.profile_max	= V4L2_MPEG_VIDEO_MPEG2_PROFILE_MAIN,
	.profile_def	= V4L2_MPEG_VIDEO_MPEG2_PROFILE_MAIN,
};
