// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: MPEG-4 Part 2 video as a stream on the stateful node,
 * under both its fourccs (V4L2_PIX_FMT_MPEG4, and V4L2_PIX_FMT_XVID for
 * Xvid's streams); one codec for the daemon.
 *
 * Elementary streams in any chunking, which the daemon parses. 8-bit 4:2:0:
 * Simple and Advanced Simple profiles.
 */

#include "daedalus.h"

#define DAEDALUS_MPEG4_STREAM(pixelformat) {				\
	.codec		= DAEDALUS_CODEC_MPEG4,				\
	.fourcc		= (pixelformat),				\
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION |		\
			  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM,		\
	.pic		= DAEDALUS_PICTURES_8BIT("mpeg4", 16),		\
	/* one menu for both fourccs (the node adds a control once) */	\
	.profile_cid	= V4L2_CID_MPEG_VIDEO_MPEG4_PROFILE,		\
	.profile_max	= V4L2_MPEG_VIDEO_MPEG4_PROFILE_ADVANCED_SIMPLE, \
	.profile_def	= V4L2_MPEG_VIDEO_MPEG4_PROFILE_ADVANCED_SIMPLE, \
}

const struct daedalus_stream_desc daedalus_mpeg4_stream_desc =
	DAEDALUS_MPEG4_STREAM(V4L2_PIX_FMT_MPEG4);

const struct daedalus_stream_desc daedalus_xvid_stream_desc =
	DAEDALUS_MPEG4_STREAM(V4L2_PIX_FMT_XVID);
