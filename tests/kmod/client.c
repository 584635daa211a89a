// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-test-client: drives the decoder as a stateless V4L2 client does
 * (formats, controls, the Request API, MMAP buffers, DMABUF export) and
 * checks every returned picture against the test backend's pattern.
 *
 *   client [-c h264|vp8|vp9|vp9-10bit|av1|av1-10bit] [-n frames] [-s WxH]
 *          [-f nv12|yuv420|p010] [-p procs] [--slices K]
 *          [--expect ok|error|any] [--expbuf] [--probe N] [--timeout-ms T]
 *          [--no-requests] [--expect-ebadr] [--dmabuf] [--priority-record]
 *          [--expect-enomem] [--hold-buffers] [--unchecked] [--fuzz SEED] [--fuzz-payload]
 *          [--mono]
 *          [--refused-frame WxH|maxWxH|profile1|profile2|10bit|12bit|444|422|...]
 *          [--pin capture|output|expbuf|import] [--pin-contexts K] [--pin-max MIB]
 *          [--realloc] [--replay JOBS --reference REF.nv12]
 *
 * -c: the codec (default h264); its controls describe a picture of -s, which
 * must be a multiple of the codec's block size. For H.264 it follows the
 * DECODE_MODE and START_CODE controls' default values, as FFmpeg and libva
 * do. --refused-frame (H.264, VP9, AV1): only check that a control describing what
 * the daemon cannot decode (a frame of that size, an AV1 sequence allowing
 * it, profile 1 or 2, 12 bits, 4:4:4, 4:2:2; for AV1 also tiles: more tile
 * rows than superblock rows) is refused with EINVAL, with and
 * without CAPTURE buffers (then also a larger frame and another bit depth). With -p, that many processes open the device at
 * once and run the whole sequence; EBUSY anywhere is a failure.
 * --expect ok: every picture decoded and correct; error: every buffer comes
 * back with V4L2_BUF_FLAG_ERROR; any: either, but correct when not an error.
 * --dmabuf: both queues import buffers exported by a second context.
 * --no-requests: queue OUTPUT buffers without requests (controls set
 * directly); --expect-ebadr: only check that such a buffer is refused.
 * --priority-record: first take V4L2_PRIORITY_RECORD, then run as usual;
 * were it enforced on other contexts, their S_FMT would fail with EBUSY.
 * --expect-enomem: REQBUFS and CREATE_BUFS of 4 times the CAPTURE buffers
 * must fail with ENOMEM (the module's memory bound); then run as usual.
 * --hold-buffers: allocate and map the buffers, print "holding", wait for
 * SIGTERM.
 * --mono: H.264 describes a monochrome (4:0:0) stream, which the daemon
 * decodes (to 4:2:0 with grey chroma), so the driver must accept it.
 * --unchecked: pictures are not checked (against the real daemon, which
 * decodes the random slices or fails them).
 * --fuzz SEED: --unchecked, and every request's controls (the SPS each time)
 * with 1 to 8 bytes of one of them mutated; refused ones are sent unmutated
 * instead. Counts what the driver refused and took.
 * --fuzz-payload: with --fuzz, each request's mutated control has its whole
 * payload randomized: every byte random, or each byte with a chance of 1/2
 * to 1/32, so that many fields change at once; a payload the driver refuses
 * is tried again with another, up to 4 times, so that some pass its checks.
 * --pin MODE: what a hostile client does to pin memory past the bound: in
 * each of K contexts (--pin-contexts, default 1), REQBUFS 4, then each buffer
 * mapped (capture: CAPTURE buffers, output: OUTPUT buffers), exported and the
 * dma-buf kept (expbuf) or exported and imported into a second context with
 * PREPARE_BUF, the exported fd closed (import), then REQBUFS 0, round after
 * round until REQBUFS fails with ENOMEM (the bound holds) or the memory kept
 * exceeds --pin-max MiB (default 1024: it does not; the client stops there so
 * the machine survives). Prints "pin: ... N KiB pinned", then holds all of it
 * like --hold-buffers, for the test to measure.
 * --realloc: decode -n frames, stop streaming, free both queues' buffers
 * (REQBUFS 0, as at a resolution change or a seek, while the daemon may keep
 * its mappings of them), allocate them again and decode -n frames more; the
 * memory the daemon still maps (mem_kept_kib) is printed between the two.
 * --replay JOBS: plays again, as a client, the H.264 jobs a test backend
 * recorded (backend --record) while a real client decoded a stream: each
 * job's controls in a request, its bitstream, its timestamp; every CAPTURE
 * buffer that comes back without V4L2_BUF_FLAG_ERROR must equal the picture
 * of --reference (the stream decoded by ffmpeg, NV12 in display order) that
 * its POC names. Against the real daemon: every picture bit-exact or flagged.
 * Prints "frames ok=N error=M" per process; exit 0 when the expectation held.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/media.h>
#include <linux/videodev2.h>
#include <linux/v4l2-controls.h>

#include "common.h"
#include "daedalus_v4l2.h"

#define NUM_OUT 4
#define NUM_CAP 4
/* controls of one replayed job, at most */
#define DAEDALUS_MAX_JOB_CTRLS_TEST 16

struct pic;

/* What the client can send: a codec's OUTPUT format and the controls of its pictures. */
struct codec {
	const char *name;
	uint32_t fourcc;
	int block;
	bool h264;
	unsigned int bit_depth;
	uint32_t (*set_ctrls)(int fd, int req_fd, const struct pic *p);
	/* --refused-frame's controls (NULL: the codec has none) */
	bool (*refused)(struct v4l2_ext_control *c, const char *what);
};

static struct {
	int frames, width, height, procs, slices, probe, timeout_ms;
	uint32_t fourcc;
	const struct codec *codec;
	const char *expect, *refused;
	bool priority_record, expect_enomem, hold_buffers;
	/* --fuzz: the seed of the mutations (0: none); whole payloads */
	uint32_t fuzz;
	bool fuzz_payload;
	bool unchecked, mono;
	/* --pin: the mode, contexts and the most kept before giving up, in MiB */
	const char *pin;
	int pin_contexts, pin_max_mb;
	/* --replay, --reference */
	const char *replay, *reference;
	bool realloc;
	bool expbuf, dmabuf, no_requests, expect_ebadr;
	char video[64], media[64];
} opt = {
	.frames = 8, .width = 320, .height = 240, .procs = 1, .slices = 1,
	.timeout_ms = 10000, .fourcc = V4L2_PIX_FMT_NV12, .expect = "ok",
	.pin_contexts = 1, .pin_max_mb = 1024,
};

static int ebusy;
/* MMAP, or DMABUF imported from a second context's exported buffers (--dmabuf). */
static uint32_t mem = V4L2_MEMORY_MMAP;
static int out_fd[NUM_OUT], cap_fd[NUM_CAP];

#define die(...) do { printf("client[%d] FAIL: ", getpid()); printf(__VA_ARGS__); \
	printf("\n"); exit(1); } while (0)

static int xioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r && errno == EINTR);
	if (r && errno == EBUSY)
		ebusy++;
	return r;
}

static bool find_nodes(void)
{
	char path[64];

	for (int i = 0; i < 64 && !opt.video[0]; i++) {
		struct v4l2_capability cap = { 0 };
		int fd;

		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "daedalus-v4l2"))
			snprintf(opt.video, sizeof(opt.video), "%s", path);
		close(fd);
	}
	for (int i = 0; i < 64 && !opt.media[0]; i++) {
		struct media_device_info info = { 0 };
		int fd;

		snprintf(path, sizeof(path), "/dev/media%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (!ioctl(fd, MEDIA_IOC_DEVICE_INFO, &info) &&
		    !strcmp(info.driver, "daedalus-v4l2"))
			snprintf(opt.media, sizeof(opt.media), "%s", path);
		close(fd);
	}
	return opt.video[0] && opt.media[0];
}

static int ctrl_default(int fd, uint32_t id)
{
	struct v4l2_query_ext_ctrl q = { .id = id };

	if (xioctl(fd, VIDIOC_QUERY_EXT_CTRL, &q))
		die("QUERY_EXT_CTRL %#x: %s", id, strerror(errno));
	return q.default_value;
}

static void set_fmt(int fd, uint32_t type, uint32_t fourcc, struct v4l2_format *f)
{
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->fmt.pix_mp.pixelformat = fourcc;
	f->fmt.pix_mp.width = opt.width;
	f->fmt.pix_mp.height = opt.height;
	f->fmt.pix_mp.num_planes = 1;
	if (xioctl(fd, VIDIOC_S_FMT, f))
		die("S_FMT %u: %s", type, strerror(errno));
	if (f->fmt.pix_mp.pixelformat != fourcc)
		die("S_FMT %u gave %.4s", type, (char *)&f->fmt.pix_mp.pixelformat);
}

/* One memory plane of 4:2:0 (NV12, YUV420, P010) at this stride. */
static void check_capture_layout(const struct v4l2_format *f, uint32_t stride)
{
	const struct v4l2_pix_format_mplane *p = &f->fmt.pix_mp;

	if (p->width != (uint32_t)opt.width || p->plane_fmt[0].bytesperline != stride ||
	    p->plane_fmt[0].sizeimage != stride * opt.height * 3 / 2)
		die("CAPTURE format %ux%u bytesperline %u sizeimage %u, expected stride %u",
		    p->width, p->height, p->plane_fmt[0].bytesperline, p->plane_fmt[0].sizeimage,
		    stride);
}

static void reqbufs_mem(int fd, uint32_t type, uint32_t count, uint32_t memory)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = type, .memory = memory,
	};

	if (xioctl(fd, VIDIOC_REQBUFS, &rb))
		die("REQBUFS %u x%u: %s", type, count, strerror(errno));
	if (count && rb.count < count)
		die("REQBUFS %u gave %u buffers", type, rb.count);
	if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE && count &&
	    !(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS))
		die("OUTPUT lacks SUPPORTS_REQUESTS");
}

static void reqbufs(int fd, uint32_t type, uint32_t count)
{
	reqbufs_mem(fd, type, count, V4L2_MEMORY_MMAP);
}

static void *map_buf(int fd, uint32_t type, uint32_t index, uint32_t *len, int *dmafd)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
	struct v4l2_buffer b = {
		.type = type, .memory = V4L2_MEMORY_MMAP, .index = index,
		.m.planes = planes, .length = VIDEO_MAX_PLANES,
	};
	void *p;

	if (xioctl(fd, VIDIOC_QUERYBUF, &b))
		die("QUERYBUF: %s", strerror(errno));
	*len = planes[0].length;
	if (dmafd) {
		struct v4l2_exportbuffer e = { .type = type, .index = index, .flags = O_RDWR };

		if (xioctl(fd, VIDIOC_EXPBUF, &e))
			die("EXPBUF: %s", strerror(errno));
		*dmafd = e.fd;
		p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, e.fd, 0);
	} else {
		p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, planes[0].m.mem_offset);
	}
	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	return p;
}

/* A slice's bitstream: a start code when the device wants Annex B, then bytes. */
static uint32_t make_slice(uint8_t *p, uint32_t max, bool annexb, int frame, int slice)
{
	uint32_t n = 0, len = 700 + (frame * 37 + slice * 101) % 900;
	uint32_t x = (frame * 131 + slice + 1) * 2654435761u ^ (uint32_t)opt.width;

	if (annexb) {
		p[n++] = 0;
		p[n++] = 0;
		p[n++] = 1;
	}
	p[n++] = 0x65;	/* an IDR slice NAL header */
	while (n < len && n < max) {
		x = x * 1103515245u + 12345u;
		p[n++] = x >> 16;
	}
	if (!annexb && !p[0] && !p[1] && p[2] == 1)
		p[2] = 2;
	return n;
}

/* --fuzz: mutated controls the driver refused, and those it took */
static unsigned int fuzz_refused, fuzz_taken;

static uint32_t fuzz_rand(void)
{
	static uint32_t x;

	if (!x)
		x = opt.fuzz;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

/*
 * --fuzz: 1 to 8 bytes of one control overwritten with random values or
 * flipped, or (--fuzz-payload) its whole payload; false if the driver
 * refused them (the controls then go as they were, so the request stays
 * complete).
 */
static bool fuzz_ctrls(int fd, struct v4l2_ext_controls *cs)
{
	struct v4l2_ext_control *c = &cs->controls[fuzz_rand() % cs->count];
	uint8_t saved[4096], *p = c->ptr;
	unsigned int size = c->size < sizeof(saved) ? c->size : sizeof(saved);
	unsigned int n = 1 + fuzz_rand() % 8;
	bool taken;

	if (!size)
		return false;	/* nothing to mutate: sent as it is */
	memcpy(saved, p, size);
	for (unsigned int attempt = 0; attempt < (opt.fuzz_payload ? 4 : 1); attempt++) {
		/* whole payloads: each byte random with a chance of 1 in 2^shift */
		unsigned int shift = fuzz_rand() % 6;

		memcpy(p, saved, size);
		for (unsigned int i = 0; opt.fuzz_payload && i < size; i++) {
			uint32_t r = fuzz_rand();

			if (!(r & ((1u << shift) - 1)))
				p[i] = r >> 24;
		}
		for (unsigned int i = 0; !opt.fuzz_payload && i < n; i++) {
			uint32_t r = fuzz_rand();

			p[r % size] = (r >> 16) & 1 ? (uint8_t)(r >> 24) :
				p[r % size] ^ (1u << ((r >> 8) & 7));
		}
		taken = !ioctl(fd, VIDIOC_S_EXT_CTRLS, cs);
		if (taken)
			fuzz_taken++;
		else
			fuzz_refused++;
		if (taken)
			break;
	}
	memcpy(p, saved, size);
	return taken;
}

static void s_ext_ctrls(int fd, int req_fd, struct v4l2_ext_control *c, unsigned int n)
{
	struct v4l2_ext_controls cs = { .count = n, .controls = c };

	if (req_fd >= 0) {
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.request_fd = req_fd;
	}
	if (opt.fuzz && fuzz_ctrls(fd, &cs))
		return;
	if (xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs))
		die("S_EXT_CTRLS (%u controls, request %d): %s", n, req_fd, strerror(errno));
}

/*
 * What a codec's controls describe: picture @frame (slice @slice), with the
 * sequence's controls when @seq (the first of a stream), the picture's when
 * @picture (its first slice).
 */
struct pic {
	bool seq, picture, slice_based;
	int frame, slice;
};

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

/* Each returns the picture number the backend seeds its pattern with. */
static uint32_t set_h264_ctrls(int fd, int req_fd, const struct pic *p)
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
		c[n++] = (struct v4l2_ext_control){ .id = V4L2_CID_STATELESS_H264_SPS, .size = sizeof(sps), .ptr = &sps };
	if (p->picture) {
		c[n++] = (struct v4l2_ext_control){ .id = V4L2_CID_STATELESS_H264_PPS, .size = sizeof(pps), .ptr = &pps };
		c[n++] = (struct v4l2_ext_control){ .id = V4L2_CID_STATELESS_H264_DECODE_PARAMS, .size = sizeof(dp), .ptr = &dp };
	}
	if (p->slice_based)
		c[n++] = (struct v4l2_ext_control){ .id = V4L2_CID_STATELESS_H264_SLICE_PARAMS, .size = sizeof(sp), .ptr = &sp };
	s_ext_ctrls(fd, req_fd, c, n);
	return p->frame;
}

static uint32_t set_vp8_ctrls(int fd, int req_fd, const struct pic *p)
{
	struct v4l2_ctrl_vp8_frame f = {
		.width = opt.width, .height = opt.height, .num_dct_parts = 1,
		.flags = V4L2_VP8_FRAME_FLAG_KEY_FRAME | V4L2_VP8_FRAME_FLAG_SHOW_FRAME,
		.prob_skip_false = p->frame, /* any value: the picture's number */
	};
	struct v4l2_ext_control c = {
		.id = V4L2_CID_STATELESS_VP8_FRAME, .size = sizeof(f), .ptr = &f,
	};

	s_ext_ctrls(fd, req_fd, &c, 1);
	return f.prob_skip_false;
}

/* A VP9 frame control of the client's picture size, 4:2:0, at @bit_depth. */
static void vp9_frame(struct v4l2_ctrl_vp9_frame *f, unsigned int bit_depth, int frame)
{
	memset(f, 0, sizeof(*f));
	f->frame_width_minus_1 = opt.width - 1;
	f->frame_height_minus_1 = opt.height - 1;
	f->render_width_minus_1 = opt.width - 1;
	f->render_height_minus_1 = opt.height - 1;
	f->profile = bit_depth == 8 ? 0 : 2;
	f->bit_depth = bit_depth;
	f->flags = V4L2_VP9_FRAME_FLAG_KEY_FRAME | V4L2_VP9_FRAME_FLAG_SHOW_FRAME |
		V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING;
	f->quant.base_q_idx = frame; /* any value: the picture's number */
}

static uint32_t set_vp9_ctrls(int fd, int req_fd, const struct pic *p)
{
	static struct v4l2_ctrl_vp9_frame f;
	static struct v4l2_ctrl_vp9_compressed_hdr hdr;
	struct v4l2_ext_control c[2] = {
		{ .id = V4L2_CID_STATELESS_VP9_FRAME, .size = sizeof(f), .ptr = &f },
		{ .id = V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, .size = sizeof(hdr), .ptr = &hdr },
	};

	vp9_frame(&f, opt.codec->bit_depth, p->frame);
	s_ext_ctrls(fd, req_fd, c, 2);
	return f.quant.base_q_idx;
}

/* An AV1 Main-profile sequence of the client's picture size, 4:2:0, at @bit_depth. */
static void av1_sequence(struct v4l2_ctrl_av1_sequence *s, unsigned int bit_depth)
{
	memset(s, 0, sizeof(*s));
	s->flags = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X | V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	s->bit_depth = bit_depth;
	s->max_frame_width_minus_1 = opt.width - 1;
	s->max_frame_height_minus_1 = opt.height - 1;
}

/* A shown key frame of the client's picture size, one tile (uniform spacing). */
static void av1_frame(struct v4l2_ctrl_av1_frame *f, int frame)
{
	memset(f, 0, sizeof(*f));
	f->frame_type = V4L2_AV1_KEY_FRAME;
	f->flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME;
	f->frame_width_minus_1 = opt.width - 1;
	f->frame_height_minus_1 = opt.height - 1;
	f->upscaled_width = opt.width;
	f->render_width_minus_1 = opt.width - 1;
	f->render_height_minus_1 = opt.height - 1;
	f->tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	f->tile_info.tile_cols = 1;
	f->tile_info.tile_rows = 1;
	f->refresh_frame_flags = 0xff;
	f->quantization.base_q_idx = frame; /* any value: the picture's number */
}

static uint32_t set_av1_ctrls(int fd, int req_fd, const struct pic *p)
{
	static struct v4l2_ctrl_av1_sequence s;
	static struct v4l2_ctrl_av1_frame f;
	static struct v4l2_ctrl_av1_tile_group_entry tile;
	struct v4l2_ext_control c[3] = {
		{ .id = V4L2_CID_STATELESS_AV1_SEQUENCE, .size = sizeof(s), .ptr = &s },
		{ .id = V4L2_CID_STATELESS_AV1_FRAME, .size = sizeof(f), .ptr = &f },
		{ .id = V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, .size = sizeof(tile), .ptr = &tile },
	};

	av1_sequence(&s, opt.codec->bit_depth);
	av1_frame(&f, p->frame);
	tile = (struct v4l2_ctrl_av1_tile_group_entry){ .tile_size = 1 };
	s_ext_ctrls(fd, req_fd, c, 3);
	return f.quantization.base_q_idx;
}

/*
 * A control describing @what, which the daemon cannot decode: a frame of
 * that size (WxH), a sequence allowing frames of that size (maxWxH), a profile,
 * bit depth or chroma subsampling it lacks, or (10bit) a 10-bit stream, which
 * 8-bit CAPTURE buffers cannot take. False: the codec has no such case.
 */
static bool vp9_refused(struct v4l2_ext_control *c, const char *what)
{
	static struct v4l2_ctrl_vp9_frame f;
	int w, h;

	*c = (struct v4l2_ext_control){
		.id = V4L2_CID_STATELESS_VP9_FRAME, .size = sizeof(f), .ptr = &f,
	};
	vp9_frame(&f, 8, 0);
	if (sscanf(what, "%dx%d", &w, &h) == 2) {
		f.frame_width_minus_1 = w - 1;
		f.frame_height_minus_1 = h - 1;
	} else if (!strcmp(what, "profile1")) {
		f.profile = 1;
	} else if (!strcmp(what, "12bit")) {
		f.profile = 2;
		f.bit_depth = 12;
	} else if (!strcmp(what, "444")) {
		f.profile = 1;
		f.flags &= ~(V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING | V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING);
	} else if (!strcmp(what, "10bit")) {
		vp9_frame(&f, 10, 0);
	} else {
		return false;
	}
	return true;
}

/*
 * H.264: a sequence of that size (WxH), bit depth (10bit) or chroma format
 * (422, 444); or a value out of the spec's range in the SPS (sps-id), the
 * PPS (pps-qp), DECODE_PARAMS (dpb-fields), SLICE_PARAMS (cabac) or
 * PRED_WEIGHTS (weight-denom); or slice groups (fmo), which the uAPI cannot
 * carry.
 */
/* A compound control's v4l2_ext_control for the variable @v. */
#define EXT_CTRL(cid, v) ((struct v4l2_ext_control){ .id = (cid), .size = sizeof(v), .ptr = &(v) })

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

static bool av1_refused(struct v4l2_ext_control *c, const char *what)
{
	static struct v4l2_ctrl_av1_sequence s;
	static struct v4l2_ctrl_av1_frame f;
	int w, h;

	*c = (struct v4l2_ext_control){
		.id = V4L2_CID_STATELESS_AV1_SEQUENCE, .size = sizeof(s), .ptr = &s,
	};
	av1_sequence(&s, 8);
	av1_frame(&f, 0);
	if (sscanf(what, "max%dx%d", &w, &h) == 2) {
		s.max_frame_width_minus_1 = w - 1;
		s.max_frame_height_minus_1 = h - 1;
	} else if (sscanf(what, "%dx%d", &w, &h) == 2) {
		*c = (struct v4l2_ext_control){
			.id = V4L2_CID_STATELESS_AV1_FRAME, .size = sizeof(f), .ptr = &f,
		};
		f.frame_width_minus_1 = w - 1;
		f.upscaled_width = w;
		f.frame_height_minus_1 = h - 1;
	} else if (!strcmp(what, "tiles")) {
		/*
		 * Explicit spacing of more tile rows than the frame has
		 * superblock rows (176x144: 3 of 64 pixels), each one high:
		 * the daemon's header writer once looped on it for good.
		 */
		*c = (struct v4l2_ext_control){
			.id = V4L2_CID_STATELESS_AV1_FRAME, .size = sizeof(f), .ptr = &f,
		};
		f.tile_info.flags = 0;
		f.tile_info.tile_rows = 5;
		f.tile_info.width_in_sbs_minus_1[0] = (opt.width + 63) / 64 - 1;
	} else if (!strcmp(what, "profile1")) {
		s.seq_profile = 1;
	} else if (!strcmp(what, "profile2")) {
		s.seq_profile = 2;
	} else if (!strcmp(what, "12bit")) {
		s.bit_depth = 12;
	} else if (!strcmp(what, "444")) {
		s.flags &= ~(V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			     V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y);
	} else if (!strcmp(what, "422")) {
		s.flags &= ~V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	} else if (!strcmp(what, "10bit")) {
		av1_sequence(&s, 10);
	} else {
		return false;
	}
	return true;
}

static const struct codec codecs[] = {
	{ "h264", V4L2_PIX_FMT_H264_SLICE, 16, true, 8, set_h264_ctrls, h264_refused },
	{ "vp8", V4L2_PIX_FMT_VP8_FRAME, 16, false, 8, set_vp8_ctrls, NULL },
	{ "vp9", V4L2_PIX_FMT_VP9_FRAME, 64, false, 8, set_vp9_ctrls, vp9_refused },
	{ "vp9-10bit", V4L2_PIX_FMT_VP9_FRAME, 64, false, 10, set_vp9_ctrls, vp9_refused },
	{ "av1", V4L2_PIX_FMT_AV1_FRAME, 16, false, 8, set_av1_ctrls, av1_refused },
	{ "av1-10bit", V4L2_PIX_FMT_AV1_FRAME, 16, false, 10, set_av1_ctrls, av1_refused },
};

static const struct pic first_pic = { .seq = true, .picture = true };

/* What the daemon cannot decode, in a control of the client's codec: refused with EINVAL. */
static void expect_refused(int fd, const char *what)
{
	struct v4l2_ext_control c;
	struct v4l2_ext_controls cs = { .count = 1, .controls = &c };

	if (!opt.codec->refused || !opt.codec->refused(&c, what))
		die("--refused-frame %s with %s", what, opt.codec->name);
	if (!ioctl(fd, VIDIOC_TRY_EXT_CTRLS, &cs) || errno != EINVAL)
		die("TRY_EXT_CTRLS with a %s control of %s: %s, want EINVAL", opt.codec->name,
		    what, strerror(errno));
	if (!ioctl(fd, VIDIOC_S_EXT_CTRLS, &cs) || errno != EINVAL)
		die("S_EXT_CTRLS with a %s control of %s: %s, want EINVAL", opt.codec->name,
		    what, strerror(errno));
}

static bool wait_fd(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, opt.timeout_ms) == 1;
}

static void dqbuf(int fd, uint32_t type, struct v4l2_buffer *b, struct v4l2_plane *planes)
{
	memset(b, 0, sizeof(*b));
	memset(planes, 0, sizeof(*planes) * VIDEO_MAX_PLANES);
	b->type = type;
	b->memory = mem;
	b->m.planes = planes;
	b->length = VIDEO_MAX_PLANES;
	if (!wait_fd(fd, POLLIN | POLLOUT))
		die("no buffer back within %d ms: the device hangs", opt.timeout_ms);
	if (xioctl(fd, VIDIOC_DQBUF, b))
		die("DQBUF %u: %s", type, strerror(errno));
}

/* Formats and buffers set, reset and set again: what probing clients do. */
static void probe(int fd, struct v4l2_format *out, struct v4l2_format *cap)
{
	for (int i = 0; i < opt.probe; i++) {
		struct v4l2_format f = *out;

		if (xioctl(fd, VIDIOC_TRY_FMT, &f) || xioctl(fd, VIDIOC_G_FMT, &f))
			die("TRY/G_FMT: %s", strerror(errno));
		set_fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, opt.codec->fourcc, out);
		opt.codec->set_ctrls(fd, -1, &first_pic);
		set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, opt.fourcc, cap);
		reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, NUM_OUT);
		reqbufs(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, NUM_CAP);
		/* With CAPTURE buffers allocated, setting OUTPUT again must not be EBUSY. */
		set_fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, opt.codec->fourcc, out);
		reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, 0);
		reqbufs(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, 0);
	}
}

static volatile sig_atomic_t terminated;

static void on_term(int sig)
{
	(void)sig;
	terminated = 1;
}

/* --expect-enomem: 4 times the CAPTURE buffers exceed the memory bound. */
static void expect_enomem(int fd, const struct v4l2_format *cap)
{
	struct v4l2_requestbuffers rb = {
		.count = 4 * NUM_CAP, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_create_buffers cb = {
		.count = 4 * NUM_CAP, .memory = V4L2_MEMORY_MMAP, .format = *cap,
	};

	if (!ioctl(fd, VIDIOC_REQBUFS, &rb) || errno != ENOMEM)
		die("REQBUFS of %u CAPTURE buffers: %s (got %u), want ENOMEM", 4 * NUM_CAP,
		    strerror(errno), rb.count);
	if (!ioctl(fd, VIDIOC_CREATE_BUFS, &cb) || errno != ENOMEM)
		die("CREATE_BUFS of %u CAPTURE buffers: %s (got %u), want ENOMEM", 4 * NUM_CAP,
		    strerror(errno), cb.count);
	printf("client[%d]: %u CAPTURE buffers refused with ENOMEM\n", getpid(), 4 * NUM_CAP);
}

/* A sysfs counter of the control device, or -1 (a module without it). */
static long long ctl_counter(const char *name)
{
	char path[128];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/misc/daedalus-v4l2/%s", name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* --realloc: both queues' buffers freed and allocated again, as at a seek. */
static void realloc_buffers(int fd, uint8_t **obuf, uint32_t *olen, uint8_t **cbuf,
			    uint32_t *clen)
{
	uint32_t types[2] = { V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };

	for (int t = 0; t < 2; t++)
		if (xioctl(fd, VIDIOC_STREAMOFF, &types[t]))
			die("STREAMOFF: %s", strerror(errno));
	for (int i = 0; i < NUM_OUT; i++)
		munmap(obuf[i], olen[i]);
	for (int i = 0; i < NUM_CAP; i++)
		munmap(cbuf[i], clen[i]);
	reqbufs(fd, types[0], 0);
	reqbufs(fd, types[1], 0);
	printf("client[%d]: realloc: buffers freed, %lld KiB the daemon still maps (mem_kept_kib)\n",
	       getpid(), ctl_counter("mem_kept_kib"));
	reqbufs(fd, types[0], NUM_OUT);
	reqbufs(fd, types[1], NUM_CAP);
	for (int i = 0; i < NUM_OUT; i++)
		obuf[i] = map_buf(fd, types[0], i, &olen[i], NULL);
	for (int i = 0; i < NUM_CAP; i++)
		cbuf[i] = map_buf(fd, types[1], i, &clen[i], NULL);
	for (int t = 0; t < 2; t++)
		if (xioctl(fd, VIDIOC_STREAMON, &types[t]))
			die("STREAMON: %s", strerror(errno));
	printf("client[%d]: realloc: buffers allocated again\n", getpid());
}

/* --pin: a context with its formats and controls set, no buffers yet. */
static int pin_open(void)
{
	struct v4l2_format out, cap;
	int fd = open(opt.video, O_RDWR | O_NONBLOCK);

	if (fd < 0)
		die("open %s: %s", opt.video, strerror(errno));
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, opt.codec->fourcc, &out);
	opt.codec->set_ctrls(fd, -1, &first_pic);
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, opt.fourcc, &cap);
	return fd;
}

/* --pin import: the dma-buf imported into a CAPTURE slot of another context. */
static void pin_import(int *ifd, unsigned int *used, unsigned int *slots, int dmafd, uint32_t len)
{
	struct v4l2_plane pl = { .m.fd = dmafd, .length = len };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .memory = V4L2_MEMORY_DMABUF,
		.m.planes = &pl, .length = 1,
	};

	if (*ifd < 0 || *used == *slots) {
		struct v4l2_requestbuffers rb = {
			.count = 32, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
			.memory = V4L2_MEMORY_DMABUF,
		};

		/* the full importer stays open: its slots keep their dma-bufs */
		*ifd = pin_open();
		if (xioctl(*ifd, VIDIOC_REQBUFS, &rb) || !rb.count)
			die("REQBUFS of DMABUF slots: %s", strerror(errno));
		*slots = rb.count;
		*used = 0;
	}
	b.index = (*used)++;
	if (xioctl(*ifd, VIDIOC_PREPARE_BUF, &b))
		die("PREPARE_BUF of an imported buffer: %s", strerror(errno));
}

static int pin(void)
{
	uint32_t type = !strcmp(opt.pin, "output") ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE :
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	bool expbuf = !strcmp(opt.pin, "expbuf"), import = !strcmp(opt.pin, "import");
	unsigned long long kib = 0, max_kib = (unsigned long long)opt.pin_max_mb << 10;
	unsigned int rounds = 0, enomem = 0, used = 0, slots = 0;
	int ifd = -1;

	if (!expbuf && !import && strcmp(opt.pin, "capture") && strcmp(opt.pin, "output"))
		die("--pin %s", opt.pin);
	for (int c = 0; c < opt.pin_contexts && kib <= max_kib; c++) {
		int fd = pin_open();

		while (kib <= max_kib) {
			struct v4l2_requestbuffers rb = {
				.count = NUM_CAP, .type = type, .memory = V4L2_MEMORY_MMAP,
			};

			if (ioctl(fd, VIDIOC_REQBUFS, &rb)) {
				if (errno != ENOMEM)
					die("REQBUFS: %s", strerror(errno));
				enomem++;
				break;
			}
			for (uint32_t i = 0; i < rb.count; i++) {
				struct v4l2_exportbuffer e = { .type = type, .index = i, .flags = O_RDWR };
				uint32_t len;

				if (!expbuf && !import) {
					map_buf(fd, type, i, &len, NULL);
				} else {
					struct v4l2_plane pl[VIDEO_MAX_PLANES] = { 0 };
					struct v4l2_buffer b = {
						.type = type, .memory = V4L2_MEMORY_MMAP, .index = i,
						.m.planes = pl, .length = VIDEO_MAX_PLANES,
					};

					if (xioctl(fd, VIDIOC_QUERYBUF, &b) || xioctl(fd, VIDIOC_EXPBUF, &e))
						die("QUERYBUF/EXPBUF: %s", strerror(errno));
					len = pl[0].length;
					if (import) {
						pin_import(&ifd, &used, &slots, e.fd, len);
						close(e.fd);
					}
				}
				kib += ((len + 4095ull) & ~4095ull) >> 10;
			}
			rounds++;
			reqbufs(fd, type, 0);
		}
	}
	printf("client[%d]: pin: %s: %llu KiB pinned in %u rounds of REQBUFS/%s/REQBUFS 0 in %d context(s); %s\n",
	       getpid(), opt.pin, kib, rounds, expbuf ? "EXPBUF" : import ? "EXPBUF/import" : "mmap",
	       opt.pin_contexts, kib > max_kib ? "stopped at --pin-max: the bound did not hold" :
	       "then REQBUFS failed with ENOMEM");
	(void)enomem;
	signal(SIGTERM, on_term);
	printf("client[%d]: holding\n", getpid());
	while (!terminated)
		pause();
	return 0;
}

/* --replay: one recorded job, or false at the end of the file. */
static bool read_job(FILE *in, uint8_t *msg, size_t max, uint8_t *bits, uint32_t *bits_len,
		     uint32_t bits_max)
{
	uint32_t size;

	if (fread(&size, sizeof(size), 1, in) != 1)
		return false;
	if (size < sizeof(struct daedalus_job) || size > max || fread(msg, size, 1, in) != 1 ||
	    fread(bits_len, sizeof(*bits_len), 1, in) != 1 || *bits_len > bits_max ||
	    fread(bits, *bits_len, 1, in) != 1)
		die("--replay %s: a truncated or oversized record", opt.replay);
	return true;
}

static int replay(void)
{
	static uint8_t msg[DAEDALUS_MAX_MSG_SIZE];
	const struct daedalus_job *job = (const void *)msg;
	struct v4l2_format out, cap;
	uint8_t *obuf[NUM_OUT], *cbuf[NUM_CAP], *ref;
	uint32_t olen[NUM_OUT], clen[NUM_CAP], bits_len, type, stride;
	int fd, mfd, n = 0, idr_base = 0, n_ok = 0, n_err = 0, wrong = 0;
	FILE *in = fopen(opt.replay, "rb"), *rf = fopen(opt.reference ? opt.reference : "", "rb");
	size_t frame;

	if (!in || !rf)
		die("--replay %s --reference %s: %s", opt.replay, opt.reference, strerror(errno));
	fd = open(opt.video, O_RDWR | O_NONBLOCK);
	mfd = open(opt.media, O_RDWR);
	if (fd < 0 || mfd < 0)
		die("open %s / %s: %s", opt.video, opt.media, strerror(errno));
	ref = malloc(8u << 20);
	if (!read_job(in, msg, sizeof(msg), ref, &bits_len, 8u << 20))
		die("--replay %s: no job", opt.replay);
	if (job->codec != DAEDALUS_CODEC_H264 || job->pixelformat != V4L2_PIX_FMT_NV12)
		die("--replay: H.264 to NV12 only (codec %u, %.4s)", job->codec,
		    (const char *)&job->pixelformat);
	rewind(in);
	opt.width = job->width;
	opt.height = job->height;
	frame = (size_t)opt.width * opt.height * 3 / 2;
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, V4L2_PIX_FMT_H264_SLICE, &out);
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, V4L2_PIX_FMT_NV12, &cap);
	stride = cap.fmt.pix_mp.plane_fmt[0].bytesperline;
	reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, NUM_OUT);
	reqbufs(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, NUM_CAP);
	for (int i = 0; i < NUM_OUT; i++)
		obuf[i] = map_buf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, i, &olen[i], NULL);
	for (int i = 0; i < NUM_CAP; i++)
		cbuf[i] = map_buf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, i, &clen[i], NULL);
	type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	if (xioctl(fd, VIDIOC_STREAMON, &type))
		die("STREAMON OUTPUT: %s", strerror(errno));
	type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	if (xioctl(fd, VIDIOC_STREAMON, &type))
		die("STREAMON CAPTURE: %s", strerror(errno));

	for (; read_job(in, msg, sizeof(msg), obuf[n % NUM_OUT], &bits_len, olen[n % NUM_OUT]); n++) {
		struct v4l2_ext_control c[DAEDALUS_MAX_JOB_CTRLS_TEST];
		const struct v4l2_ctrl_h264_decode_params *dp = NULL;
		const uint8_t *p = (const uint8_t *)(job + 1), *end = p + job->ctrls_size;
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .memory = V4L2_MEMORY_MMAP,
			.index = n % NUM_CAP, .m.planes = planes, .length = 1,
		};
		struct v4l2_ext_controls cs = { .controls = c, .which = V4L2_CTRL_WHICH_REQUEST_VAL };
		int req, idx;
		bool same = true;

		for (uint32_t i = 0; i < job->num_ctrls && p + sizeof(struct daedalus_ctrl) <= end; i++) {
			const struct daedalus_ctrl *dc = (const void *)p;
			const void *payload = dc + 1;

			p += sizeof(*dc) + ((dc->size + 7) & ~7u);
			if (dc->id == V4L2_CID_STATELESS_H264_DECODE_MODE ||
			    dc->id == V4L2_CID_STATELESS_H264_START_CODE) {
				/* the device's menus: what the recording client found, the defaults */
				same &= *(const int32_t *)payload == ctrl_default(fd, dc->id);
				continue;
			}
			if (dc->id == V4L2_CID_STATELESS_H264_DECODE_PARAMS)
				dp = payload;
			if (cs.count < DAEDALUS_MAX_JOB_CTRLS_TEST)
				c[cs.count++] = (struct v4l2_ext_control){
					.id = dc->id, .size = dc->size, .ptr = (void *)payload,
				};
		}
		if (!same || !dp || job->flags & DAEDALUS_JOB_HOLD_CAPTURE)
			die("--replay: job %d is not frame-based with the default start code", n);
		if (xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &req))
			die("REQUEST_ALLOC: %s", strerror(errno));
		cs.request_fd = req;
		if (xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs))
			die("S_EXT_CTRLS of job %d: %s", n, strerror(errno));
		if (xioctl(fd, VIDIOC_QBUF, &b))
			die("QBUF CAPTURE: %s", strerror(errno));
		memset(&b, 0, sizeof(b));
		memset(planes, 0, sizeof(planes));
		b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		b.memory = V4L2_MEMORY_MMAP;
		b.index = n % NUM_OUT;
		b.m.planes = planes;
		b.length = 1;
		planes[0].bytesused = bits_len;
		b.timestamp.tv_sec = job->timestamp / 1000000000;
		b.timestamp.tv_usec = job->timestamp % 1000000000 / 1000;
		b.flags = V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = req;
		if (xioctl(fd, VIDIOC_QBUF, &b))
			die("QBUF OUTPUT: %s", strerror(errno));
		if (xioctl(req, MEDIA_REQUEST_IOC_QUEUE, NULL))
			die("REQUEST_QUEUE: %s", strerror(errno));
		if (!wait_fd(req, POLLPRI))
			die("request not completed within %d ms", opt.timeout_ms);
		close(req);
		dqbuf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, &b, planes);
		dqbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, &b, planes);
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			n_err++;
			continue;
		}
		/* display order: the pictures before the last IDR, then its POC / 2 */
		if (dp->flags & V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC)
			idr_base = n;
		idx = idr_base + (dp->top_field_order_cnt < dp->bottom_field_order_cnt ?
				  dp->top_field_order_cnt : dp->bottom_field_order_cnt) / 2;
		if (fseek(rf, (long)(idx * frame), SEEK_SET) || fread(ref, frame, 1, rf) != 1)
			die("--reference %s has no picture %d", opt.reference, idx);
		for (int y = 0; y <= opt.height * 3 / 2; y++) {
			if (y == opt.height * 3 / 2) {
				n_ok++;
			} else if (memcmp(cbuf[b.index] + (size_t)y * stride,
					  ref + (size_t)y * opt.width, opt.width)) {
				printf("client[%d]: job %d (picture %d) completed unflagged and wrong (row %d)\n",
				       getpid(), n, idx, y);
				wrong++;
				break;
			}
		}
	}
	printf("client[%d]: replay: %d pictures: %d bit-exact, %d flagged ERROR, %d wrong\n",
	       getpid(), n, n_ok, n_err, wrong);
	printf("client[%d]: frames ok=%d error=%d wrong=%d\n", getpid(), n_ok, n_err, wrong);
	return wrong ? 1 : 0;
}

static int run(void)
{
	struct v4l2_format out, cap, wide;
	uint8_t *obuf[NUM_OUT], *cbuf[NUM_CAP];
	uint32_t olen[NUM_OUT], clen[NUM_CAP];
	int dmafd[NUM_CAP];
	int fd, mfd, n_ok = 0, n_err = 0, wrong = 0;
	int total = opt.frames * (opt.realloc ? 2 : 1);
	bool slice_based, annexb;
	uint32_t type;

	fd = open(opt.video, O_RDWR | O_NONBLOCK);
	mfd = open(opt.media, O_RDWR);
	if (fd < 0 || mfd < 0)
		die("open %s / %s: %s", opt.video, opt.media, strerror(errno));

	slice_based = opt.codec->h264 &&
		ctrl_default(fd, V4L2_CID_STATELESS_H264_DECODE_MODE) ==
		V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED;
	annexb = opt.codec->h264 &&
		ctrl_default(fd, V4L2_CID_STATELESS_H264_START_CODE) ==
		V4L2_STATELESS_H264_START_CODE_ANNEX_B;
	if (!slice_based && opt.slices > 1)
		die("--slices needs slice-based decoding");
	if (opt.width % opt.codec->block || opt.height % opt.codec->block)
		die("-s %dx%d is not a multiple of %s's %d", opt.width, opt.height,
		    opt.codec->name, opt.codec->block);

	if (opt.priority_record) {
		enum v4l2_priority prio = V4L2_PRIORITY_RECORD;

		if (xioctl(fd, VIDIOC_S_PRIORITY, &prio))
			die("S_PRIORITY(RECORD): %s", strerror(errno));
		prio = V4L2_PRIORITY_UNSET;
		if (xioctl(fd, VIDIOC_G_PRIORITY, &prio) || prio != V4L2_PRIORITY_RECORD)
			die("G_PRIORITY after RECORD: %d (%s)", prio, strerror(errno));
		printf("client[%d]: at V4L2_PRIORITY_RECORD\n", getpid());
	}
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, opt.codec->fourcc, &out);
	if (opt.refused)
		expect_refused(fd, opt.refused);
	opt.codec->set_ctrls(fd, -1, &first_pic);
	if (opt.codec->bit_depth == 10) {
		/* A 10-bit stream's pictures go to P010 only. */
		struct v4l2_fmtdesc d = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };

		if (xioctl(fd, VIDIOC_ENUM_FMT, &d) || d.pixelformat != V4L2_PIX_FMT_P010)
			die("CAPTURE format 0 of a 10-bit %s stream: %.4s", opt.codec->name,
			    (char *)&d.pixelformat);
		d.index = 1;
		if (!ioctl(fd, VIDIOC_ENUM_FMT, &d))
			die("a 10-bit %s stream offers CAPTURE %.4s too", opt.codec->name,
			    (char *)&d.pixelformat);
	}
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, opt.fourcc, &cap);
	check_capture_layout(&cap, capture_stride(opt.fourcc, opt.width));
	/* A larger stride the client asks for is kept; then the default again. */
	wide = cap;
	wide.fmt.pix_mp.plane_fmt[0].bytesperline = capture_stride(opt.fourcc, opt.width) + 256;
	if (xioctl(fd, VIDIOC_S_FMT, &wide))
		die("S_FMT CAPTURE with a larger stride: %s", strerror(errno));
	check_capture_layout(&wide, capture_stride(opt.fourcc, opt.width) + 256);
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, opt.fourcc, &cap);
	check_capture_layout(&cap, capture_stride(opt.fourcc, opt.width));
	probe(fd, &out, &cap);

	if (opt.dmabuf) {
		/*
		 * Buffers of a second context, exported and imported here: the
		 * daemon then maps them through dma_buf_mmap().
		 */
		int xfd = open(opt.video, O_RDWR);
		struct v4l2_format f1, f2;

		if (xfd < 0)
			die("open exporter: %s", strerror(errno));
		set_fmt(xfd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, opt.codec->fourcc, &f1);
		opt.codec->set_ctrls(xfd, -1, &first_pic);
		set_fmt(xfd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, opt.fourcc, &f2);
		reqbufs(xfd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, NUM_OUT);
		reqbufs(xfd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, NUM_CAP);
		for (int i = 0; i < NUM_OUT; i++)
			obuf[i] = map_buf(xfd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, i, &olen[i], &out_fd[i]);
		for (int i = 0; i < NUM_CAP; i++)
			cbuf[i] = map_buf(xfd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, i, &clen[i], &cap_fd[i]);
		mem = V4L2_MEMORY_DMABUF;
		reqbufs_mem(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, NUM_OUT, mem);
		reqbufs_mem(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, NUM_CAP, mem);
	} else {
		if (opt.expect_enomem)
			expect_enomem(fd, &cap);
		reqbufs(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, NUM_OUT);
		reqbufs(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, NUM_CAP);
	}
	if (slice_based && opt.slices > 1) {
		struct v4l2_create_buffers cb = {
			.memory = V4L2_MEMORY_MMAP, .format.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE,
		};

		if (xioctl(fd, VIDIOC_CREATE_BUFS, &cb) ||
		    !(cb.capabilities & V4L2_BUF_CAP_SUPPORTS_M2M_HOLD_CAPTURE_BUF))
			die("OUTPUT lacks SUPPORTS_M2M_HOLD_CAPTURE_BUF");
	}
	for (int i = 0; i < NUM_OUT && !opt.dmabuf; i++)
		obuf[i] = map_buf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, i, &olen[i], NULL);
	for (int i = 0; i < NUM_CAP && !opt.dmabuf; i++)
		cbuf[i] = map_buf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, i, &clen[i],
				  opt.expbuf ? &dmafd[i] : NULL);
	if (opt.hold_buffers) {
		signal(SIGTERM, on_term);	/* before "holding": the test may stop it then */
		printf("client[%d]: holding %d + %d buffers\n", getpid(), NUM_OUT, NUM_CAP);
		while (!terminated)
			pause();
		return 0;
	}
	/* With CAPTURE buffers, what does not fit them is refused too. */
	if (opt.refused) {
		char bigger[32];

		expect_refused(fd, opt.refused);
		snprintf(bigger, sizeof(bigger), "%dx%d", opt.width + 64, opt.height);
		expect_refused(fd, bigger);
		/* another bit depth than the CAPTURE buffers' */
		if (opt.codec->bit_depth == 8)
			expect_refused(fd, "10bit");
		printf("client[%d]: %s refused with and without CAPTURE buffers\n", getpid(),
		       opt.refused);
		return 0;
	}

	type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	if (xioctl(fd, VIDIOC_STREAMON, &type))
		die("STREAMON OUTPUT: %s", strerror(errno));
	type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	if (xioctl(fd, VIDIOC_STREAMON, &type))
		die("STREAMON CAPTURE: %s", strerror(errno));

	if (opt.expect_ebadr) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, .memory = V4L2_MEMORY_MMAP,
			.index = 0, .m.planes = planes, .length = 1,
		};

		planes[0].bytesused = make_slice(obuf[0], olen[0], annexb, 0, 0);
		if (!ioctl(fd, VIDIOC_QBUF, &b) || errno != EBADR)
			die("QBUF without a request: %s, want EBADR", strerror(errno));
		printf("client[%d]: QBUF without a request refused with EBADR\n", getpid());
		return 0;
	}

	for (int f = 0, ob = 0; f < total; f++) {
		int ci = f % NUM_CAP;
		uint64_t ts_us = 1000000ull * (f + 1) + ci + 1;
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .memory = mem,
			.index = ci, .m.planes = planes, .length = 1,
		};
		uint32_t last_len = 0, seed, frame_num = 0, size;
		int oi = 0;

		if (opt.realloc && f == opt.frames)
			realloc_buffers(fd, obuf, olen, cbuf, clen);

		if (mem == V4L2_MEMORY_DMABUF) {
			planes[0].m.fd = cap_fd[ci];
			planes[0].length = clen[ci];
		}
		if (xioctl(fd, VIDIOC_QBUF, &b))
			die("QBUF CAPTURE: %s", strerror(errno));
		for (int s = 0; s < opt.slices; s++, ob++) {
			int req = -1;
			bool last = s == opt.slices - 1;

			oi = ob % NUM_OUT;
			if (!opt.no_requests && xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &req))
				die("REQUEST_ALLOC: %s", strerror(errno));
			struct pic p = {
				.seq = (f == 0 || opt.fuzz) && s == 0, .picture = s == 0,
				.slice_based = slice_based, .frame = f, .slice = s,
			};

			frame_num = opt.codec->set_ctrls(fd, req, &p);
			last_len = make_slice(obuf[oi], olen[oi], annexb, f, s);
			memset(&b, 0, sizeof(b));
			memset(planes, 0, sizeof(planes));
			b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
			b.memory = mem;
			b.index = oi;
			b.m.planes = planes;
			b.length = 1;
			planes[0].bytesused = last_len;
			if (mem == V4L2_MEMORY_DMABUF) {
				planes[0].m.fd = out_fd[oi];
				planes[0].length = olen[oi];
			}
			b.timestamp.tv_sec = ts_us / 1000000;
			b.timestamp.tv_usec = ts_us % 1000000;
			b.flags = last ? 0 : V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
			if (req >= 0) {
				b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
				b.request_fd = req;
			}
			if (xioctl(fd, VIDIOC_QBUF, &b))
				die("QBUF OUTPUT: %s", strerror(errno));
			if (req >= 0) {
				if (xioctl(req, MEDIA_REQUEST_IOC_QUEUE, NULL))
					die("REQUEST_QUEUE: %s", strerror(errno));
				if (!wait_fd(req, POLLPRI))
					die("request not completed within %d ms", opt.timeout_ms);
			}
			dqbuf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, &b, planes);
			if (b.index != (uint32_t)oi)
				die("OUTPUT buffer %u back, %d queued", b.index, oi);
			if (req >= 0)
				close(req);
		}

		dqbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, &b, planes);
		if (b.index != (uint32_t)ci)
			die("CAPTURE buffer %u back, %d queued", b.index, ci);
		if ((uint64_t)b.timestamp.tv_sec * 1000000 + b.timestamp.tv_usec != ts_us)
			die("CAPTURE timestamp %ld.%06ld, OUTPUT's was %llu us", (long)b.timestamp.tv_sec,
			    (long)b.timestamp.tv_usec, (unsigned long long)ts_us);
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			n_err++;
			continue;
		}
		if (opt.unchecked) {
			n_ok++;	/* decoded: what, only the real daemon knows */
			continue;
		}
		seed = pattern_seed(obuf[oi], last_len, ts_us, frame_num, opt.slices);
		size = cap.fmt.pix_mp.plane_fmt[0].sizeimage;
		if (planes[0].bytesused != size ||
		    pattern_check(cbuf[ci], planes[0].bytesused, seed) != planes[0].bytesused) {
			printf("client[%d]: frame %d wrong picture (bytesused %u, first bad byte %zu)\n",
			       getpid(), f, planes[0].bytesused,
			       pattern_check(cbuf[ci], planes[0].bytesused, seed));
			wrong++;
			continue;
		}
		n_ok++;
	}

	printf("client[%d]: %s %s %ux%u %.4s %s %s slices=%d frames ok=%d error=%d wrong=%d ebusy=%d\n",
	       getpid(), opt.video, opt.codec->name, opt.width, opt.height, (char *)&opt.fourcc,
	       slice_based ? "slice-based" : "frame-based", annexb ? "annex-b" : "no-start-code",
	       opt.slices, n_ok, n_err, wrong, ebusy);
	if (opt.fuzz)
		printf("client[%d]: fuzz: %u mutated %s refused, %u taken\n", getpid(),
		       fuzz_refused, opt.fuzz_payload ? "whole control payloads" : "controls",
		       fuzz_taken);
	if (wrong || ebusy)
		return 1;
	if (!strcmp(opt.expect, "ok") && n_ok != total)
		return 1;
	if (!strcmp(opt.expect, "error") && n_err != total)
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(a, "-n"))
			opt.frames = atoi(v), i++;
		else if (!strcmp(a, "-s"))
			sscanf(v, "%dx%d", &opt.width, &opt.height), i++;
		else if (!strcmp(a, "-f"))
			opt.fourcc = !strcmp(v, "yuv420") ? V4L2_PIX_FMT_YUV420 :
				!strcmp(v, "p010") ? V4L2_PIX_FMT_P010 : V4L2_PIX_FMT_NV12, i++;
		else if (!strcmp(a, "-c")) {
			opt.codec = NULL;
			for (size_t c = 0; c < sizeof(codecs) / sizeof(codecs[0]); c++)
				if (!strcmp(codecs[c].name, v))
					opt.codec = &codecs[c];
			if (!opt.codec) {
				fprintf(stderr, "unknown codec %s\n", v);
				return 2;
			}
			i++;
		} else if (!strcmp(a, "--refused-frame"))
			opt.refused = v, i++;
		else if (!strcmp(a, "-p"))
			opt.procs = atoi(v), i++;
		else if (!strcmp(a, "--slices"))
			opt.slices = atoi(v), i++;
		else if (!strcmp(a, "--expect"))
			opt.expect = v, i++;
		else if (!strcmp(a, "--probe"))
			opt.probe = atoi(v), i++;
		else if (!strcmp(a, "--timeout-ms"))
			opt.timeout_ms = atoi(v), i++;
		else if (!strcmp(a, "--expbuf"))
			opt.expbuf = true;
		else if (!strcmp(a, "--dmabuf"))
			opt.dmabuf = true;
		else if (!strcmp(a, "--no-requests"))
			opt.no_requests = true;
		else if (!strcmp(a, "--expect-ebadr"))
			opt.expect_ebadr = true;
		else if (!strcmp(a, "--priority-record"))
			opt.priority_record = true;
		else if (!strcmp(a, "--expect-enomem"))
			opt.expect_enomem = true;
		else if (!strcmp(a, "--hold-buffers"))
			opt.hold_buffers = true;
		else if (!strcmp(a, "--fuzz"))
			opt.fuzz = strtoul(v, NULL, 0), opt.unchecked = true, i++;
		else if (!strcmp(a, "--fuzz-payload"))
			opt.fuzz_payload = true;
		else if (!strcmp(a, "--unchecked"))
			opt.unchecked = true;
		else if (!strcmp(a, "--mono"))
			opt.mono = true;
		else if (!strcmp(a, "--pin"))
			opt.pin = v, i++;
		else if (!strcmp(a, "--pin-contexts"))
			opt.pin_contexts = atoi(v), i++;
		else if (!strcmp(a, "--pin-max"))
			opt.pin_max_mb = atoi(v), i++;
		else if (!strcmp(a, "--replay"))
			opt.replay = v, i++;
		else if (!strcmp(a, "--reference"))
			opt.reference = v, i++;
		else if (!strcmp(a, "--realloc"))
			opt.realloc = true;
		else {
			fprintf(stderr, "unknown argument %s\n", a);
			return 2;
		}
	}
	if (!opt.codec)
		opt.codec = &codecs[0];
	if (!find_nodes()) {
		printf("client FAIL: no daedalus-v4l2 video/media device\n");
		return 1;
	}
	if (opt.pin)
		return pin();
	if (opt.replay)
		return replay();
	if (opt.procs <= 1)
		return run();

	for (int p = 0; p < opt.procs; p++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork: %s", strerror(errno));
		if (!pid)
			exit(run());
	}
	for (int p = 0; p < opt.procs; p++) {
		int st;

		if (wait(&st) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed++;
	}
	printf("client: %d of %d processes failed\n", failed, opt.procs);
	return failed ? 1 : 0;
}
