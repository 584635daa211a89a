// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-test-client: drives the decoder as a stateless V4L2 client does
 * (formats, controls, the Request API, MMAP buffers, DMABUF export) and
 * checks every returned picture against the test backend's pattern. This is
 * its core, which names no codec: each codec's controls, refusals and
 * --replay order are in client-<codec>.c, behind struct client_codec.
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

#include "client.h"
#include "common.h"

#define NUM_OUT 4
#define NUM_CAP 4
/* controls of one replayed job, at most */
#define DAEDALUS_MAX_JOB_CTRLS_TEST 16

struct client_options opt = {
	.frames = 8, .width = 320, .height = 240, .procs = 1, .slices = 1,
	.timeout_ms = 10000, .fourcc = V4L2_PIX_FMT_NV12, .expect = "ok",
	.pin_contexts = 1, .pin_max_mb = 1024, .codec = &client_h264, .codec_name = "h264",
	.bit_depth = 8,
};

/* -c's codecs, as the module's descriptor table */
static const struct client_codec *const codecs[] = {
	&client_h264, &client_vp8, &client_vp9, &client_av1,
};

static int ebusy;
/* MMAP, or DMABUF imported from a second context's exported buffers (--dmabuf). */
static uint32_t mem = V4L2_MEMORY_MMAP;
static int out_fd[NUM_OUT], cap_fd[NUM_CAP];

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

/* The first /dev/<prefix>N whose driver (@req: QUERYCAP or DEVICE_INFO) is the module, in @node. */
static void find_node(const char *prefix, unsigned long req, char *node, size_t size)
{
	for (int i = 0; i < 64 && !node[0]; i++) {
		union {
			struct v4l2_capability cap;
			struct media_device_info info;
		} u = { 0 };
		char path[64];
		int fd;

		snprintf(path, sizeof(path), "/dev/%s%d", prefix, i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (!ioctl(fd, req, &u) && !strcmp(req == VIDIOC_QUERYCAP ? (char *)u.cap.driver :
						   u.info.driver, "daedalus-v4l2"))
			snprintf(node, size, "%s", path);
		close(fd);
	}
}

static bool find_nodes(void)
{
	find_node("video", VIDIOC_QUERYCAP, opt.video, sizeof(opt.video));
	find_node("media", MEDIA_IOC_DEVICE_INFO, opt.media, sizeof(opt.media));
	return opt.video[0] && opt.media[0];
}

int ctrl_default(int fd, uint32_t id)
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
	p[n++] = 0x65;	/* an IDR slice's NAL header, where it matters */
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

void s_ext_ctrls(int fd, int req_fd, struct v4l2_ext_control *c, unsigned int n)
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

static const struct pic first_pic = { .seq = true, .picture = true };

/* What the daemon cannot decode, in a control of the client's codec: refused with EINVAL. */
static void expect_refused(int fd, const char *what)
{
	struct v4l2_ext_control c;
	struct v4l2_ext_controls cs = { .count = 1, .controls = &c };

	if (!opt.codec->refused || !opt.codec->refused(&c, what))
		die("--refused-frame %s with %s", what, opt.codec_name);
	if (!ioctl(fd, VIDIOC_TRY_EXT_CTRLS, &cs) || errno != EINVAL)
		die("TRY_EXT_CTRLS with a %s control of %s: %s, want EINVAL", opt.codec_name,
		    what, strerror(errno));
	if (!ioctl(fd, VIDIOC_S_EXT_CTRLS, &cs) || errno != EINVAL)
		die("S_EXT_CTRLS with a %s control of %s: %s, want EINVAL", opt.codec_name,
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

/* What qbuf() queues: buffer @index of queue @type holding @bytesused bytes. */
struct queued {
	uint32_t type;
	int index;
	uint32_t bytesused;
	/* its length (--dmabuf: the imported buffer's) */
	uint32_t length;
	/* the timestamp, in microseconds */
	uint64_t ts_us;
	/* V4L2_BUF_FLAG_REQUEST_FD: in request request_fd */
	uint32_t flags;
	int request_fd;
};

/* Queues @q; @b and @planes are what was queued. */
static void qbuf(int fd, const struct queued *q, struct v4l2_buffer *b, struct v4l2_plane *planes)
{
	memset(b, 0, sizeof(*b));
	memset(planes, 0, sizeof(*planes) * VIDEO_MAX_PLANES);
	b->type = q->type;
	b->memory = mem;
	b->index = q->index;
	b->m.planes = planes;
	b->length = 1;
	planes[0].bytesused = q->bytesused;
	if (mem == V4L2_MEMORY_DMABUF) {
		planes[0].m.fd = q->type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE ? out_fd[q->index] :
			cap_fd[q->index];
		planes[0].length = q->length;
	}
	b->timestamp.tv_sec = q->ts_us / 1000000;
	b->timestamp.tv_usec = q->ts_us % 1000000;
	b->flags = q->flags;
	b->request_fd = q->request_fd;
	if (xioctl(fd, VIDIOC_QBUF, b))
		die("QBUF %s: %s", q->type == V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE ? "OUTPUT" : "CAPTURE",
		    strerror(errno));
}

/* Queues request @req and waits until it completes. */
static void queue_request(int req)
{
	if (xioctl(req, MEDIA_REQUEST_IOC_QUEUE, NULL))
		die("REQUEST_QUEUE: %s", strerror(errno));
	if (!wait_fd(req, POLLPRI))
		die("request not completed within %d ms", opt.timeout_ms);
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

/* --replay: control @id is one of the codec's device menus */
static bool is_menu(uint32_t id)
{
	for (unsigned int i = 0; i < opt.codec->num_menus; i++)
		if (opt.codec->menus[i] == id)
			return true;
	return false;
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
	opt.codec = NULL;
	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i]->codec == job->codec && codecs[i]->replay_order)
			opt.codec = codecs[i];
	if (!opt.codec || job->pixelformat != V4L2_PIX_FMT_NV12)
		die("--replay: a codec the client replays, to NV12 only (codec %u, %.4s)",
		    job->codec, (const char *)&job->pixelformat);
	rewind(in);
	opt.width = job->width;
	opt.height = job->height;
	frame = (size_t)opt.width * opt.height * 3 / 2;
	set_fmt(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, opt.codec->fourcc, &out);
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
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_buffer b;
		struct v4l2_ext_controls cs = { .controls = c, .which = V4L2_CTRL_WHICH_REQUEST_VAL };
		int req, idx, order;
		bool same = true, key;
		uint32_t i = 0;

		for (const struct daedalus_ctrl *dc = job_ctrl_next(job, NULL, &i); dc;
		     dc = job_ctrl_next(job, dc, &i)) {
			const void *payload = dc + 1;

			if (is_menu(dc->id)) {
				/* the device's menus: what the recording client found, the defaults */
				same &= *(const int32_t *)payload == ctrl_default(fd, dc->id);
				continue;
			}
			if (cs.count < DAEDALUS_MAX_JOB_CTRLS_TEST)
				c[cs.count++] = (struct v4l2_ext_control){
					.id = dc->id, .size = dc->size, .ptr = (void *)payload,
				};
		}
		if (!same || !opt.codec->replay_order(job, &key, &order) ||
		    job->flags & DAEDALUS_JOB_HOLD_CAPTURE)
			die("--replay: job %d is not frame-based with the default start code", n);
		if (xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &req))
			die("REQUEST_ALLOC: %s", strerror(errno));
		cs.request_fd = req;
		if (xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs))
			die("S_EXT_CTRLS of job %d: %s", n, strerror(errno));
		qbuf(fd, &(struct queued){
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .index = n % NUM_CAP,
		}, &b, planes);
		qbuf(fd, &(struct queued){
			.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, .index = n % NUM_OUT,
			.bytesused = bits_len, .ts_us = job->timestamp / 1000,
			.flags = V4L2_BUF_FLAG_REQUEST_FD, .request_fd = req,
		}, &b, planes);
		queue_request(req);
		close(req);
		dqbuf(fd, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, &b, planes);
		dqbuf(fd, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, &b, planes);
		if (b.flags & V4L2_BUF_FLAG_ERROR) {
			n_err++;
			continue;
		}
		/* display order: the pictures before the last key picture, then its order */
		if (key)
			idr_base = n;
		idx = idr_base + order;
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
	bool slice_based = false, annexb = false;
	uint32_t type;

	fd = open(opt.video, O_RDWR | O_NONBLOCK);
	mfd = open(opt.media, O_RDWR);
	if (fd < 0 || mfd < 0)
		die("open %s / %s: %s", opt.video, opt.media, strerror(errno));

	if (opt.codec->modes)
		opt.codec->modes(fd, &slice_based, &annexb);
	if (!slice_based && opt.slices > 1)
		die("--slices needs slice-based decoding");
	if (opt.width % opt.codec->block || opt.height % opt.codec->block)
		die("-s %dx%d is not a multiple of %s's %d", opt.width, opt.height,
		    opt.codec_name, opt.codec->block);

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
	if (opt.bit_depth == 10) {
		/* A 10-bit stream's pictures go to P010 only. */
		struct v4l2_fmtdesc d = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };

		if (xioctl(fd, VIDIOC_ENUM_FMT, &d) || d.pixelformat != V4L2_PIX_FMT_P010)
			die("CAPTURE format 0 of a 10-bit %s stream: %.4s", opt.codec_name,
			    (char *)&d.pixelformat);
		d.index = 1;
		if (!ioctl(fd, VIDIOC_ENUM_FMT, &d))
			die("a 10-bit %s stream offers CAPTURE %.4s too", opt.codec_name,
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
		if (opt.bit_depth == 8)
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
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_buffer b;
		uint32_t last_len = 0, seed, frame_num = 0, size;
		int oi = 0;

		if (opt.realloc && f == opt.frames)
			realloc_buffers(fd, obuf, olen, cbuf, clen);

		qbuf(fd, &(struct queued){
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .index = ci, .length = clen[ci],
		}, &b, planes);
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
			qbuf(fd, &(struct queued){
				.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, .index = oi,
				.bytesused = last_len, .length = olen[oi], .ts_us = ts_us,
				.flags = (last ? 0 : V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) |
					 (req >= 0 ? V4L2_BUF_FLAG_REQUEST_FD : 0),
				.request_fd = req >= 0 ? req : 0,
			}, &b, planes);
			if (req >= 0)
				queue_request(req);
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
	       getpid(), opt.video, opt.codec_name, opt.width, opt.height, (char *)&opt.fourcc,
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

/* -c NAME or NAME-10bit (a codec with 10-bit streams) */
static bool parse_codec(const char *v)
{
	size_t len = strlen(v), n = len > 6 && !strcmp(v + len - 6, "-10bit") ? len - 6 : len;

	for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (strlen(codecs[i]->name) != n || strncmp(codecs[i]->name, v, n) ||
		    (n < len && !codecs[i]->has_10bit))
			continue;
		opt.codec = codecs[i];
		opt.codec_name = v;
		opt.bit_depth = n < len ? 10 : 8;
		return true;
	}
	fprintf(stderr, "unknown codec %s\n", v);
	return false;
}

static bool parse_size(const char *v)
{
	sscanf(v, "%dx%d", &opt.width, &opt.height);
	return true;
}

/* -f: the CAPTURE format (NV12 unless another is named) */
static bool parse_format(const char *v)
{
	static const struct {
		const char *name;
		uint32_t fourcc;
	} formats[] = {
		{ "yuv420", V4L2_PIX_FMT_YUV420 }, { "p010", V4L2_PIX_FMT_P010 },
	};

	opt.fourcc = V4L2_PIX_FMT_NV12;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (!strcmp(formats[i].name, v))
			opt.fourcc = formats[i].fourcc;
	return true;
}

static bool parse_fuzz(const char *v)
{
	opt.fuzz = strtoul(v, NULL, 0);
	opt.unchecked = true;
	return true;
}

/* An option: a flag it sets, or a value (the next argument) it stores or parses. */
static const struct option {
	const char *name;
	enum { FLAG, INT, STR, PARSE } kind;
	/* FLAG: a bool; INT: an int (atoi); STR: a const char * */
	void *dst;
	/* PARSE: false when the value is invalid (the client exits 2) */
	bool (*parse)(const char *v);
} options[] = {
	{ "-n", INT, &opt.frames, NULL },
	{ "-s", PARSE, NULL, parse_size },
	{ "-f", PARSE, NULL, parse_format },
	{ "-c", PARSE, NULL, parse_codec },
	{ "--refused-frame", STR, &opt.refused, NULL },
	{ "-p", INT, &opt.procs, NULL },
	{ "--slices", INT, &opt.slices, NULL },
	{ "--expect", STR, &opt.expect, NULL },
	{ "--probe", INT, &opt.probe, NULL },
	{ "--timeout-ms", INT, &opt.timeout_ms, NULL },
	{ "--expbuf", FLAG, &opt.expbuf, NULL },
	{ "--dmabuf", FLAG, &opt.dmabuf, NULL },
	{ "--no-requests", FLAG, &opt.no_requests, NULL },
	{ "--expect-ebadr", FLAG, &opt.expect_ebadr, NULL },
	{ "--priority-record", FLAG, &opt.priority_record, NULL },
	{ "--expect-enomem", FLAG, &opt.expect_enomem, NULL },
	{ "--hold-buffers", FLAG, &opt.hold_buffers, NULL },
	{ "--fuzz", PARSE, NULL, parse_fuzz },
	{ "--fuzz-payload", FLAG, &opt.fuzz_payload, NULL },
	{ "--unchecked", FLAG, &opt.unchecked, NULL },
	{ "--mono", FLAG, &opt.mono, NULL },
	{ "--pin", STR, &opt.pin, NULL },
	{ "--pin-contexts", INT, &opt.pin_contexts, NULL },
	{ "--pin-max", INT, &opt.pin_max_mb, NULL },
	{ "--replay", STR, &opt.replay, NULL },
	{ "--reference", STR, &opt.reference, NULL },
	{ "--realloc", FLAG, &opt.realloc, NULL },
};

int main(int argc, char **argv)
{
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
		const struct option *o = NULL;

		for (size_t k = 0; k < sizeof(options) / sizeof(options[0]) && !o; k++)
			if (!strcmp(options[k].name, a))
				o = &options[k];
		if (!o) {
			fprintf(stderr, "unknown argument %s\n", a);
			return 2;
		}
		if (o->kind == FLAG) {
			*(bool *)o->dst = true;
			continue;
		}
		if (o->kind == INT)
			*(int *)o->dst = atoi(v);
		else if (o->kind == STR)
			*(const char **)o->dst = v;
		else if (!o->parse(v))
			return 2;
		i++;
	}
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
