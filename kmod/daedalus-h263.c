// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: H.263 (and H.263+) as a stream (V4L2_PIX_FMT_H263) on the
 * stateful node.
 *
 * A byte stream in any chunking, which the daemon parses; 8-bit 4:2:0. The
 * uAPI has no H.263 profile control.
 */

#include "daedalus.h"

const struct daedalus_stream_desc daedalus_h263_stream_desc = {
	.codec		= DAEDALUS_CODEC_H263,
	.fourcc		= V4L2_PIX_FMT_H263,
	.fmt_flags	= V4L2_FMT_FLAG_DYN_RESOLUTION |
			  V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM,
	.pic		= DAEDALUS_PICTURES_8BIT("h263", 16),
};
