/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the kernel module's test programs: the picture pattern the test
 * backend writes and the test client checks, so a test can fail, and the
 * walk through a job's controls (the backend's jobs, the client's --replay).
 */
#ifndef DAEDALUS_TEST_COMMON_H
#define DAEDALUS_TEST_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <linux/videodev2.h>

#include "daedalus_v4l2.h"

/*
 * The CAPTURE stride the driver gives a width unless asked for more: every
 * plane's stride a multiple of 64 bytes, so 3-plane 4:2:0 pads to 128 pixels.
 */
static inline uint32_t capture_stride(uint32_t fourcc, uint32_t width)
{
	uint32_t bpp = fourcc == V4L2_PIX_FMT_P010 ? 2 : 1;
	uint32_t align = fourcc == V4L2_PIX_FMT_YUV420 || fourcc == V4L2_PIX_FMT_YUV420M ? 128 : 64 / bpp;

	return (width + align - 1) / align * align * bpp;
}

/*
 * The stateful node's coded formats as docs/stateful.md gives them: the
 * daemon's codec (the wire id STREAM_START carries), the coded block the
 * CAPTURE size aligns to, whether 10-bit pictures go to P010, whether
 * bytes come in any chunking (CONTINUOUS_BYTESTREAM; VP8 and VP9 a frame a
 * buffer), the PROFILE menu (0: the uAPI has none) and its items.
 */
struct stream_codec {
	uint32_t fourcc, wire, block;
	int deep, bytestream;
	uint32_t profile_cid;
	uint64_t profiles;
};

#define PROFILES_H264	((1ull << V4L2_MPEG_VIDEO_H264_PROFILE_BASELINE) |		\
			 (1ull << V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE) |	\
			 (1ull << V4L2_MPEG_VIDEO_H264_PROFILE_MAIN) |			\
			 (1ull << V4L2_MPEG_VIDEO_H264_PROFILE_HIGH) |			\
			 (1ull << V4L2_MPEG_VIDEO_H264_PROFILE_HIGH_10) |		\
			 (1ull << V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_HIGH))
#define PROFILES_MPEG4	((1ull << V4L2_MPEG_VIDEO_MPEG4_PROFILE_SIMPLE) |		\
			 (1ull << V4L2_MPEG_VIDEO_MPEG4_PROFILE_ADVANCED_SIMPLE))

static const struct stream_codec stream_codecs[] = {
	{ V4L2_PIX_FMT_H264, DAEDALUS_CODEC_H264, 16, 1, 1, V4L2_CID_MPEG_VIDEO_H264_PROFILE,
	  PROFILES_H264 },
	{ V4L2_PIX_FMT_HEVC, DAEDALUS_CODEC_HEVC, 8, 1, 1, V4L2_CID_MPEG_VIDEO_HEVC_PROFILE,
	  (1ull << V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN) |
	  (1ull << V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_STILL_PICTURE) |
	  (1ull << V4L2_MPEG_VIDEO_HEVC_PROFILE_MAIN_10) },
	{ V4L2_PIX_FMT_VP8, DAEDALUS_CODEC_VP8, 16, 0, 0, V4L2_CID_MPEG_VIDEO_VP8_PROFILE, 0xf },
	{ V4L2_PIX_FMT_VP9, DAEDALUS_CODEC_VP9, 64, 1, 0, V4L2_CID_MPEG_VIDEO_VP9_PROFILE,
	  (1ull << V4L2_MPEG_VIDEO_VP9_PROFILE_0) | (1ull << V4L2_MPEG_VIDEO_VP9_PROFILE_2) },
	{ V4L2_PIX_FMT_MPEG1, DAEDALUS_CODEC_MPEG1, 16, 0, 1, 0, 0 },
	{ V4L2_PIX_FMT_MPEG2, DAEDALUS_CODEC_MPEG2, 16, 0, 1, V4L2_CID_MPEG_VIDEO_MPEG2_PROFILE,
	  (1ull << V4L2_MPEG_VIDEO_MPEG2_PROFILE_SIMPLE) |
	  (1ull << V4L2_MPEG_VIDEO_MPEG2_PROFILE_MAIN) },
	{ V4L2_PIX_FMT_MPEG4, DAEDALUS_CODEC_MPEG4, 16, 0, 1, V4L2_CID_MPEG_VIDEO_MPEG4_PROFILE,
	  PROFILES_MPEG4 },
	{ V4L2_PIX_FMT_XVID, DAEDALUS_CODEC_MPEG4, 16, 0, 1, V4L2_CID_MPEG_VIDEO_MPEG4_PROFILE,
	  PROFILES_MPEG4 },
	{ V4L2_PIX_FMT_H263, DAEDALUS_CODEC_H263, 16, 0, 1, 0, 0 },
};

#define NUM_STREAM_CODECS	(sizeof(stream_codecs) / sizeof(stream_codecs[0]))

static inline const struct stream_codec *stream_codec(uint32_t fourcc)
{
	for (size_t i = 0; i < NUM_STREAM_CODECS; i++)
		if (stream_codecs[i].fourcc == fourcc)
			return &stream_codecs[i];
	return NULL;
}

static inline uint32_t fnv1a(const uint8_t *p, size_t n, uint32_t h)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

#define FNV_INIT 2166136261u

/*
 * The seed of a picture: its last slice's bitstream, the OUTPUT timestamp
 * (microseconds), DECODE_PARAMS.frame_num and the number of slices the
 * backend collected for it (held ones included).
 */
static inline uint32_t pattern_seed(const uint8_t *bits, size_t n,
				    uint64_t ts_us, uint32_t frame_num,
				    uint32_t slices)
{
	return fnv1a(bits, n, FNV_INIT) ^ (uint32_t)ts_us ^ (frame_num << 8) ^
	       (slices << 24);
}

/* The seed of a stream's picture (the stateful node): its timestamp and size. */
static inline uint32_t stream_seed(uint64_t timestamp_ns, uint32_t width, uint32_t height)
{
	return fnv1a((const uint8_t *)&timestamp_ns, sizeof(timestamp_ns), FNV_INIT) ^
	       (width << 16) ^ height;
}

static inline uint8_t pattern_byte(uint32_t seed, size_t i)
{
	return (uint8_t)((i * 131u + seed) ^ (seed >> 11) ^ (i >> 9));
}

static inline void pattern_fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pattern_byte(seed, i);
}

/* Index of the first wrong byte, or n. */
static inline size_t pattern_check(const uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != pattern_byte(seed, i))
			return i;
	return n;
}

/*
 * A job's controls in turn: the first when @c is NULL (*@i counts them from
 * 0), else the one after @c; NULL after its num_ctrls'th or where one would
 * overrun its controls.
 */
static inline const struct daedalus_ctrl *job_ctrl_next(const struct daedalus_job *job,
							 const struct daedalus_ctrl *c,
							 uint32_t *i)
{
	const uint8_t *start = (const uint8_t *)(job + 1), *end = start + job->ctrls_size;
	const uint8_t *p = c ? (const uint8_t *)(c + 1) + ((c->size + 7) & ~7u) : start;

	if ((*i)++ >= job->num_ctrls)
		return NULL;
	c = (const void *)p;
	if (p + sizeof(*c) > end || p + sizeof(*c) + c->size > end)
		return NULL;
	return c;
}

/* The payload of a job's control @id and its @size, or NULL (@size 0). */
static inline const void *job_ctrl(const struct daedalus_job *job, uint32_t id, uint32_t *size)
{
	uint32_t i = 0;

	for (const struct daedalus_ctrl *c = job_ctrl_next(job, NULL, &i); c;
	     c = job_ctrl_next(job, c, &i)) {
		if (c->id == id) {
			*size = c->size;
			return c + 1;
		}
	}
	*size = 0;
	return NULL;
}

#endif
