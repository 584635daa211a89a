// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-test-stream: the stateful node's test client, against the test
 * backend (backend-stream.c), whose bitstream is text (F: a format, P: a
 * picture, S: a stall, E: an error). Each scenario drives the node through
 * dev-decoder.rst's sequences and checks what comes back: events, formats,
 * selections, the control, flags, errnos, timestamps and every byte of every
 * picture (common.h's pattern, seeded by timestamp and size).
 *
 *   stream [--codecs MASK] SCENARIO...
 *
 * decode:    initialization (source change, then CAPTURE setup), pictures in
 *            order with their OUTPUT timestamps, several in one buffer; drain
 *            (LAST on an empty buffer, EOS, then EPIPE), DEC_CMD_START, a
 *            drain whose last picture carries LAST
 * early:     CAPTURE set up before the first format (as FFmpeg 5.1 does):
 *            the format's source change, DEC_CMD_START (FFmpeg's answer
 *            when the size is the same) and decoding goes on; a
 *            visible-rectangle change and a larger size do not fit: LAST,
 *            EPIPE, the new format; STREAMOFF/STREAMON CAPTURE and decoding
 *            goes on (DEC_CMD_START resuming after a setup too)
 * seek:      STREAMOFF OUTPUT with bitstream held, STREAMON: the next epoch's
 *            format waits for DEC_CMD_START too, pictures after the seek only
 * pause:     an epoch's first format stops the stream until the client
 *            answers, though the early CAPTURE setup fits it: the backend
 *            answers every OUTPUT buffer and no CAPTURE buffer comes back
 *            until DEC_CMD_START, then every picture in order (DEC_CMD_START
 *            before the format and a second one are harmless); after a
 *            seek, a drain asked while paused ends with LAST after START
 * restart:   the same with CAPTURE set up again instead (as GStreamer 1.22
 *            answers every source change), at the start and after a seek
 * refused:   formats the codec cannot output (12-bit, 4:2:2) end the stream
 *            with EIO; stopping both queues and starting again decodes
 * error:     STREAM_ERROR from the daemon: EIO
 * stall:     the daemon holds bitstream and a CAPTURE buffer and answers
 *            nothing: EIO after job_timeout_ms; holding bitstream without a
 *            CAPTURE buffer is no stall
 * dead:      decodes one picture, prints "streaming", then waits for the
 *            daemon to go (the test kills it): EIO, EPOLLERR, no hang
 * nodaemon:  with no daemon, STREAMON OUTPUT fails after job_timeout_ms: EIO
 * formats:   OUTPUT lists common.h's stream_codecs whose codec is in --codecs
 *            MASK (default: all), each with its flags, and no other; each
 *            listed one is set with its frame sizes, the CAPTURE format
 *            aligned to its block; one not listed is not taken
 * profiles:  each PROFILE menu is there once, read-only, with exactly its
 *            items
 * codecs:    a stream of each format starts (the backend checks the codec
 *            STREAM_START names) and decodes at its block-aligned size
 * deep:      a 10-bit stream of each format: P010 at its stride and size
 *            and pictures for H.264, HEVC and VP9, EIO for the others; and a
 *            stream whose depth changes from 8 to 10 bits and back
 * timecode:  each picture takes TIMECODE, the timecode and TSTAMP_SRC of the
 *            OUTPUT buffer whose timestamp it carries (pictures out of
 *            order, two from one buffer); a timestamp no buffer of the epoch
 *            had, or one 256 buffers back, takes none; an empty LAST none
 *
 * Every picture's TIMECODE and TSTAMP_SRC are checked: none (TSTAMP_SRC_EOF,
 * the CAPTURE queue's) unless it is said which OUTPUT buffer's it takes.
 *
 * Prints "ok: <scenario>" for each passed; exits 1 at the first failure.
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
#include <time.h>
#include <unistd.h>
#include <linux/videodev2.h>

#include "common.h"

#define NODE_NAME	"daedalus-v4l2-stateful"
#define MAX_BUFS	16
/* How long anything the backend answers may take (a loaded TCG guest) */
#define WAIT_MS		10000
/* what a picture takes from its OUTPUT buffer (v4l2_m2m_buf_copy_metadata) */
#define META_FLAGS	(V4L2_BUF_FLAG_TIMECODE | V4L2_BUF_FLAG_TSTAMP_SRC_MASK)

#define fail(...) do {							\
	printf("FAIL: %s:%d: ", scenario, __LINE__);			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	exit(1);							\
} while (0)
#define expect(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static const char *scenario = "";
static char node[64];
/* --codecs: the codecs the node should offer */
static uint32_t codec_mask = ~0u;

struct buf {
	void *p[VIDEO_MAX_PLANES];
	uint32_t len[VIDEO_MAX_PLANES];
};

struct dec {
	int fd;
	struct buf out[MAX_BUFS], cap[MAX_BUFS];
	unsigned int nout, ncap, planes;
	bool out_queued[MAX_BUFS];
	struct v4l2_format capfmt;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static bool find_node(void)
{
	for (int i = 0; i < 64; i++) {
		struct v4l2_capability cap = { 0 };
		int fd;

		snprintf(node, sizeof(node), "/dev/video%d", i);
		fd = open(node, O_RDWR);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) && !strcmp((char *)cap.card, NODE_NAME)) {
			close(fd);
			return true;
		}
		close(fd);
	}
	return false;
}

static void subscribe(struct dec *d)
{
	struct v4l2_event_subscription sub = { .type = V4L2_EVENT_SOURCE_CHANGE };

	expect(!xioctl(d->fd, VIDIOC_SUBSCRIBE_EVENT, &sub), "subscribe SOURCE_CHANGE");
	sub.type = V4L2_EVENT_EOS;
	expect(!xioctl(d->fd, VIDIOC_SUBSCRIBE_EVENT, &sub), "subscribe EOS");
}

static void set_out(struct dec *d, uint32_t fourcc, uint32_t w, uint32_t h)
{
	struct v4l2_format f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };

	f.fmt.pix_mp.pixelformat = fourcc;
	f.fmt.pix_mp.width = w;
	f.fmt.pix_mp.height = h;
	f.fmt.pix_mp.plane_fmt[0].sizeimage = 128;	/* as FFmpeg asks on a raw stream */
	expect(!xioctl(d->fd, VIDIOC_S_FMT, &f), "S_FMT OUTPUT");
	expect(f.fmt.pix_mp.pixelformat == fourcc &&
	       f.fmt.pix_mp.plane_fmt[0].sizeimage >= 2 << 20,
	       "S_FMT OUTPUT %.4s gave %.4s sizeimage %u", (char *)&fourcc,
	       (char *)&f.fmt.pix_mp.pixelformat, f.fmt.pix_mp.plane_fmt[0].sizeimage);
}

static void open_codec(struct dec *d, uint32_t fourcc, uint32_t w, uint32_t h)
{
	memset(d, 0, sizeof(*d));
	d->fd = open(node, O_RDWR | O_NONBLOCK);
	expect(d->fd >= 0, "open %s: %s", node, strerror(errno));
	subscribe(d);
	set_out(d, fourcc, w, h);
}

static void open_dec(struct dec *d, uint32_t w, uint32_t h)
{
	open_codec(d, V4L2_PIX_FMT_H264, w, h);
}

static void reqbufs(struct dec *d, bool out, unsigned int count)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .memory = V4L2_MEMORY_MMAP,
		.type = out ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE,
	};
	struct buf *bufs = out ? d->out : d->cap;
	unsigned int *n = out ? &d->nout : &d->ncap;

	for (unsigned int i = 0; i < *n; i++)
		for (unsigned int p = 0; p < VIDEO_MAX_PLANES; p++)
			if (bufs[i].p[p])
				munmap(bufs[i].p[p], bufs[i].len[p]);
	memset(bufs, 0, sizeof(d->out));
	*n = 0;
	expect(!xioctl(d->fd, VIDIOC_REQBUFS, &rb), "REQBUFS %s %u: %s", out ? "OUTPUT" : "CAPTURE",
	       count, strerror(errno));
	expect(rb.count <= MAX_BUFS && (!count || rb.count >= count), "REQBUFS gave %u", rb.count);
	for (unsigned int i = 0; i < rb.count; i++) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
		struct v4l2_buffer b = {
			.type = rb.type, .memory = V4L2_MEMORY_MMAP, .index = i,
			.length = VIDEO_MAX_PLANES, .m.planes = planes,
		};

		expect(!xioctl(d->fd, VIDIOC_QUERYBUF, &b), "QUERYBUF");
		for (unsigned int p = 0; p < b.length; p++) {
			bufs[i].len[p] = planes[p].length;
			bufs[i].p[p] = mmap(NULL, planes[p].length, PROT_READ | PROT_WRITE, MAP_SHARED,
					    d->fd, planes[p].m.mem_offset);
			expect(bufs[i].p[p] != MAP_FAILED, "mmap");
		}
		if (!out)
			d->planes = b.length;
	}
	*n = rb.count;
	if (out)
		memset(d->out_queued, 0, sizeof(d->out_queued));
}

static void stream(struct dec *d, bool out, bool on)
{
	int type = out ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;

	expect(!xioctl(d->fd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type), "STREAM%s %s: %s",
	       on ? "ON" : "OFF", out ? "OUTPUT" : "CAPTURE", strerror(errno));
	if (out && !on)
		memset(d->out_queued, 0, sizeof(d->out_queued));
}

/* Waits for @events on the node; false on timeout. */
static bool wait_for(struct dec *d, short events, int ms)
{
	struct pollfd p = { .fd = d->fd, .events = events };

	return poll(&p, 1, ms) > 0 && (p.revents & (events | POLLERR));
}

static int dqbuf(struct dec *d, bool out, struct v4l2_buffer *b, struct v4l2_plane *planes)
{
	memset(b, 0, sizeof(*b));
	b->type = out ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE : V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	b->memory = V4L2_MEMORY_MMAP;
	b->length = VIDEO_MAX_PLANES;
	b->m.planes = planes;
	return xioctl(d->fd, VIDIOC_DQBUF, b);
}

/* Dequeues the OUTPUT buffers the backend answered (nonblocking). */
static void reap_out(struct dec *d)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;

	while (!dqbuf(d, true, &b, planes)) {
		expect(!(b.flags & V4L2_BUF_FLAG_ERROR), "OUTPUT buffer %u returned with ERROR", b.index);
		d->out_queued[b.index] = false;
	}
}

/*
 * Queues @text on a free OUTPUT buffer with @ts_ns and @flags (TIMECODE with
 * @tc); *@queued (if not NULL): the buffer as QBUF gave it back.
 */
static void send_buf(struct dec *d, const char *text, uint64_t ts_ns, uint32_t flags,
		     const struct v4l2_timecode *tc, struct v4l2_buffer *queued)
{
	struct v4l2_plane planes[1] = { 0 };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE, .memory = V4L2_MEMORY_MMAP,
		.length = 1, .m.planes = planes, .flags = flags,
	};
	unsigned int i;

	for (int tries = 0; tries < WAIT_MS / 10; tries++) {
		reap_out(d);
		for (i = 0; i < d->nout && d->out_queued[i]; i++)
			;
		if (i < d->nout)
			break;
		usleep(10000);
	}
	expect(i < d->nout, "no OUTPUT buffer came back");
	memcpy(d->out[i].p[0], text, strlen(text));
	b.index = i;
	planes[0].bytesused = strlen(text);
	b.timestamp.tv_sec = ts_ns / 1000000000;
	b.timestamp.tv_usec = ts_ns % 1000000000 / 1000;
	if (tc)
		b.timecode = *tc;
	expect(!xioctl(d->fd, VIDIOC_QBUF, &b), "QBUF OUTPUT: %s", strerror(errno));
	d->out_queued[i] = true;
	if (queued) {
		*queued = b;
		queued->m.planes = NULL;
	}
}

/* Queues @text on a free OUTPUT buffer with @ts_ns. */
static void send_text(struct dec *d, const char *text, uint64_t ts_ns)
{
	send_buf(d, text, ts_ns, 0, NULL, NULL);
}

static void qbuf_cap(struct dec *d, unsigned int i)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = { 0 };
	struct v4l2_buffer b = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .memory = V4L2_MEMORY_MMAP,
		.index = i, .length = d->planes, .m.planes = planes,
	};

	expect(!xioctl(d->fd, VIDIOC_QBUF, &b), "QBUF CAPTURE %u: %s", i, strerror(errno));
}

static void qbuf_caps(struct dec *d)
{
	for (unsigned int i = 0; i < d->ncap; i++)
		qbuf_cap(d, i);
}

static struct v4l2_event dqevent(struct dec *d, uint32_t type)
{
	struct v4l2_event ev;

	expect(wait_for(d, POLLPRI, WAIT_MS), "no event (want %u)", type);
	expect(!xioctl(d->fd, VIDIOC_DQEVENT, &ev), "DQEVENT: %s", strerror(errno));
	expect(ev.type == type, "event %u, want %u", ev.type, type);
	if (type == V4L2_EVENT_SOURCE_CHANGE)
		expect(ev.u.src_change.changes & V4L2_EVENT_SRC_CH_RESOLUTION,
		       "source change without RESOLUTION");
	return ev;
}

static void no_event(struct dec *d)
{
	struct v4l2_event ev;

	expect(xioctl(d->fd, VIDIOC_DQEVENT, &ev) == -ENOENT, "unexpected event %u", ev.type);
}

/*
 * G_FMT CAPTURE (@fourcc, one memory plane of 4:2:0 at the aligned stride),
 * G_SELECTION COMPOSE and MIN_BUFFERS_FOR_CAPTURE are the stream's.
 */
static void check_format_of(struct dec *d, uint32_t fourcc, uint32_t w, uint32_t h, uint32_t vw,
			    uint32_t vh, int min)
{
	struct v4l2_selection sel = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .target = V4L2_SEL_TGT_COMPOSE };
	struct v4l2_control ctrl = { .id = V4L2_CID_MIN_BUFFERS_FOR_CAPTURE };
	struct v4l2_pix_format_mplane *pix = &d->capfmt.fmt.pix_mp;
	uint32_t stride = capture_stride(fourcc, w);

	d->capfmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	expect(!xioctl(d->fd, VIDIOC_G_FMT, &d->capfmt), "G_FMT CAPTURE");
	expect(pix->width == w && pix->height == h && pix->pixelformat == fourcc &&
	       pix->num_planes == 1 && pix->plane_fmt[0].bytesperline == stride &&
	       pix->plane_fmt[0].sizeimage == stride * h * 3 / 2,
	       "CAPTURE %ux%u %.4s stride %u size %u, want %ux%u %.4s stride %u size %u",
	       pix->width, pix->height, (char *)&pix->pixelformat, pix->plane_fmt[0].bytesperline,
	       pix->plane_fmt[0].sizeimage, w, h, (char *)&fourcc, stride, stride * h * 3 / 2);
	expect(!xioctl(d->fd, VIDIOC_G_SELECTION, &sel), "G_SELECTION COMPOSE");
	expect(sel.r.left == 0 && sel.r.top == 0 && sel.r.width == vw && sel.r.height == vh,
	       "COMPOSE %ux%u@%d,%d, want %ux%u", sel.r.width, sel.r.height, sel.r.left, sel.r.top,
	       vw, vh);
	sel.target = V4L2_SEL_TGT_COMPOSE_PADDED;
	expect(!xioctl(d->fd, VIDIOC_G_SELECTION, &sel) && sel.r.width == w && sel.r.height == h,
	       "COMPOSE_PADDED %ux%u", sel.r.width, sel.r.height);
	expect(!xioctl(d->fd, VIDIOC_G_CTRL, &ctrl) && ctrl.value == min,
	       "MIN_BUFFERS_FOR_CAPTURE %d, want %d", ctrl.value, min);
}

static void check_format(struct dec *d, uint32_t w, uint32_t h, uint32_t vw, uint32_t vh, int min)
{
	check_format_of(d, V4L2_PIX_FMT_NV12, w, h, vw, vh, min);
}

/*
 * The next CAPTURE buffer: a picture of @w x @h with @ts_ns (its bytes the
 * backend's pattern), flagged LAST if @last; or, with @empty, an empty LAST.
 * Its TIMECODE, timecode and TSTAMP_SRC are those of OUTPUT buffer @from,
 * or none (TSTAMP_SRC_EOF) without one.
 */
static unsigned int picture_from(struct dec *d, uint32_t w, uint32_t h, uint64_t ts_ns,
				 bool last, bool empty, const struct v4l2_buffer *from)
{
	uint32_t meta = from ? from->flags & META_FLAGS : V4L2_BUF_FLAG_TSTAMP_SRC_EOF;
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	uint64_t ts;
	int ret;

	expect(wait_for(d, POLLIN, WAIT_MS), "no CAPTURE buffer");
	ret = dqbuf(d, false, &b, planes);
	expect(!ret, "DQBUF CAPTURE: %s", strerror(-ret));
	expect(!(b.flags & V4L2_BUF_FLAG_ERROR), "CAPTURE buffer with ERROR");
	expect(!!(b.flags & V4L2_BUF_FLAG_LAST) == (last || empty), "LAST flag %s, want %s",
	       b.flags & V4L2_BUF_FLAG_LAST ? "set" : "clear", last || empty ? "set" : "clear");
	expect((b.flags & META_FLAGS) == meta, "TIMECODE|TSTAMP_SRC %#x, want %#x (timestamp %llu)",
	       b.flags & META_FLAGS, meta, (unsigned long long)ts_ns);
	expect(!(meta & V4L2_BUF_FLAG_TIMECODE) ||
	       !memcmp(&b.timecode, &from->timecode, sizeof(b.timecode)),
	       "timecode %02u:%02u:%02u:%02u %.4s, want %02u:%02u:%02u:%02u %.4s", b.timecode.hours,
	       b.timecode.minutes, b.timecode.seconds, b.timecode.frames,
	       (char *)b.timecode.userbits, from->timecode.hours, from->timecode.minutes,
	       from->timecode.seconds, from->timecode.frames, (char *)from->timecode.userbits);
	if (empty) {
		expect(!planes[0].bytesused, "the empty LAST buffer has %u bytes", planes[0].bytesused);
		return b.index;
	}
	ts = b.timestamp.tv_sec * 1000000000ull + b.timestamp.tv_usec * 1000ull;
	expect(ts == ts_ns, "picture timestamp %llu, want %llu", (unsigned long long)ts,
	       (unsigned long long)ts_ns);
	expect(b.flags & V4L2_BUF_FLAG_KEYFRAME, "picture without KEYFRAME");
	for (unsigned int p = 0; p < d->planes; p++) {
		size_t bad = pattern_check(d->cap[b.index].p[p], planes[p].bytesused,
					   stream_seed(ts_ns, w, h) + p);

		expect(planes[p].bytesused == d->cap[b.index].len[p] && bad == planes[p].bytesused,
		       "picture plane %u: %u of %u bytes, first wrong at %zu", p, planes[p].bytesused,
		       d->cap[b.index].len[p], bad);
	}
	return b.index;
}

static unsigned int expect_picture(struct dec *d, uint32_t w, uint32_t h, uint64_t ts_ns,
				   bool last, bool empty)
{
	return picture_from(d, w, h, ts_ns, last, empty, NULL);
}

static void expect_dqbuf_errno(struct dec *d, bool out, int err)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	int ret = dqbuf(d, out, &b, planes);

	expect(ret == -err, "DQBUF %s: %s, want %s", out ? "OUTPUT" : "CAPTURE",
	       ret ? strerrorname_np(-ret) : "a buffer", strerrorname_np(err));
}

static int decoder_cmd(struct dec *d, uint32_t cmd)
{
	struct v4l2_decoder_cmd dc = { .cmd = cmd };

	return xioctl(d->fd, VIDIOC_DECODER_CMD, &dc);
}

/*
 * The node fails: EPOLLERR within @ms (buffers done before, the failed
 * ones with ERROR, are dequeued on the way), then EIO on DQBUF.
 */
static void expect_eio(struct dec *d, int ms)
{
	struct pollfd p = { .fd = d->fd, .events = POLLIN | POLLOUT };
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;

	for (;;) {
		expect(poll(&p, 1, ms) > 0, "no POLLERR in %d ms", ms);
		if (p.revents & POLLERR)
			break;
		if (p.revents & POLLIN)
			dqbuf(d, false, &b, planes);
		if (p.revents & POLLOUT)
			dqbuf(d, true, &b, planes);
	}
	if (d->ncap)	/* a queue that does not stream says EINVAL first */
		expect_dqbuf_errno(d, false, EIO);
	expect_dqbuf_errno(d, true, EIO);
}

static void close_dec(struct dec *d)
{
	stream(d, true, false);
	stream(d, false, false);
	reqbufs(d, true, 0);
	reqbufs(d, false, 0);
	close(d->fd);
}

/* Both queues streaming at 320x240 before any format, as FFmpeg 5.1 starts. */
static void start_early(struct dec *d, unsigned int nout, unsigned int ncap)
{
	open_dec(d, 320, 240);
	reqbufs(d, true, nout);
	reqbufs(d, false, ncap);
	qbuf_caps(d);
	stream(d, true, true);
	stream(d, false, true);
}

/* CAPTURE set up again for the new format: @n buffers. */
static void set_up_again(struct dec *d, unsigned int n)
{
	stream(d, false, false);
	reqbufs(d, false, 0);
	reqbufs(d, false, n);
	qbuf_caps(d);
	stream(d, false, true);
}

/*
 * Waits until the backend answered every OUTPUT buffer queued: it handles a
 * stream's messages in order, so it has done all it would for them.
 */
static void out_answered(struct dec *d)
{
	unsigned int i = 0;

	for (int tries = 0; tries < WAIT_MS / 10; tries++) {
		reap_out(d);
		for (i = 0; i < d->nout && !d->out_queued[i]; i++)
			;
		if (i == d->nout)
			return;
		usleep(10000);
	}
	fail("OUTPUT buffer %u did not come back", i);
}

/* A compliant client: CAPTURE set up after the source change. */
static void decode(void)
{
	struct dec d;
	struct v4l2_decoder_cmd dc = { .cmd = V4L2_DEC_CMD_STOP };

	open_dec(&d, 0, 0);
	check_format(&d, 1280, 720, 1280, 720, 2);
	reqbufs(&d, true, 4);
	stream(&d, true, true);
	/* a drain with CAPTURE not streaming does nothing */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP with CAPTURE stopped");
	send_text(&d, "F 320 240 0 0 318 236 8 1 3\nP\n", 1000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	check_format(&d, 320, 240, 318, 236, 3);
	reqbufs(&d, false, 3);
	qbuf_caps(&d);
	stream(&d, false, true);
	/* the daemon holds each picture until the next is known */
	send_text(&d, "P\n", 2000);
	send_text(&d, "P\nP\n", 3000);
	qbuf_cap(&d, expect_picture(&d, 320, 240, 1000, false, false));
	qbuf_cap(&d, expect_picture(&d, 320, 240, 2000, false, false));
	qbuf_cap(&d, expect_picture(&d, 320, 240, 3000, false, false));
	no_event(&d);
	/* a drain: its last picture carries LAST, EOS, then EPIPE */
	expect(!xioctl(d.fd, VIDIOC_TRY_DECODER_CMD, &dc), "TRY_DECODER_CMD STOP");
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 3000, true, false));
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP when stopped");
	/* DEC_CMD_START: decoding goes on */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");
	send_text(&d, "P\n", 4000);
	send_text(&d, "P\n", 5000);
	qbuf_cap(&d, expect_picture(&d, 320, 240, 4000, false, false));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 5000, true, false));
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	/* a drain with nothing left: an empty LAST */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	expect_picture(&d, 0, 0, 0, true, true);
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	close_dec(&d);
}

/* CAPTURE streaming before the first format, as FFmpeg 5.1 sets it up. */
static void early(void)
{
	struct dec d;
	unsigned int i;

	start_early(&d, 4, 4);
	check_format(&d, 320, 240, 320, 240, 2);
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\n", 1000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	/* the same size: FFmpeg 5.1 resumes with DEC_CMD_START */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the first format");
	/* a visible rectangle change does not fit: LAST, EPIPE */
	send_text(&d, "F 320 240 0 0 320 232 8 1 2\nP\n", 2000);
	qbuf_cap(&d, expect_picture(&d, 320, 240, 1000, false, false));
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect_picture(&d, 0, 0, 0, true, true);
	expect_dqbuf_errno(&d, false, EPIPE);
	check_format(&d, 320, 240, 320, 232, 2);
	/* the same buffers fit the new format: DEC_CMD_START resumes */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the setup");
	for (i = 0; i < d.ncap; i++) {
		struct v4l2_plane planes[VIDEO_MAX_PLANES];
		struct v4l2_buffer b = {
			.type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE, .index = i,
			.length = VIDEO_MAX_PLANES, .m.planes = planes,
		};

		expect(!xioctl(d.fd, VIDIOC_QUERYBUF, &b), "QUERYBUF");
		if (!(b.flags & V4L2_BUF_FLAG_QUEUED))
			qbuf_cap(&d, i);
	}
	/* a larger picture does not fit: LAST, new buffers */
	send_text(&d, "F 640 480 0 0 640 480 8 1 3\nP\n", 3000);
	/* (too small to queue again once the format says 640x480, as on vicodec) */
	expect_picture(&d, 320, 240, 2000, false, false);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect_picture(&d, 0, 0, 0, true, true);
	expect_dqbuf_errno(&d, false, EPIPE);
	check_format(&d, 640, 480, 640, 480, 3);
	stream(&d, false, false);
	reqbufs(&d, false, 0);
	reqbufs(&d, false, 3);
	qbuf_caps(&d);
	stream(&d, false, true);
	send_text(&d, "P\n", 4000);
	qbuf_cap(&d, expect_picture(&d, 640, 480, 3000, false, false));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	expect_picture(&d, 640, 480, 4000, true, false);
	close_dec(&d);
}

/* STREAMOFF/STREAMON OUTPUT with bitstream and pictures in flight. */
static void seek(void)
{
	struct dec d;

	start_early(&d, 4, 3);
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\nP\n", 1000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the first format");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 1000, false, false));
	/* held bitstream and a picture, then the seek: the OUTPUT buffers come back */
	send_text(&d, "S\n", 2000);
	stream(&d, true, false);
	reap_out(&d);
	stream(&d, true, true);
	/* the new epoch's first format: no LAST, DEC_CMD_START goes on */
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\nP\n", 9000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the seek's format");
	/* pictures after the seek only */
	qbuf_cap(&d, expect_picture(&d, 320, 240, 9000, false, false));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	expect_picture(&d, 320, 240, 9000, true, false);
	close_dec(&d);
}

/*
 * Three pictures after an epoch's first format, CAPTURE set up early for
 * it: the source change, and once the backend answered all the bitstream,
 * still no CAPTURE buffer back (it would have written the first two).
 */
static void paused_at_format(struct dec *d, uint64_t ts)
{
	send_text(d, "F 320 240 0 0 320 240 8 1 2\nP\n", ts);
	send_text(d, "P\n", ts + 1000);
	send_text(d, "P\n", ts + 2000);
	dqevent(d, V4L2_EVENT_SOURCE_CHANGE);
	check_format(d, 320, 240, 320, 240, 2);
	out_answered(d);
	expect_dqbuf_errno(d, false, EAGAIN);
}

/* The first format waits for DEC_CMD_START, as FFmpeg 5.1 answers it. */
static void pause_start(void)
{
	struct dec d;

	start_early(&d, 4, 3);
	/* before any format: nothing to resume */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START before the format");
	paused_at_format(&d, 1000);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the format");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 1000, false, false));
	qbuf_cap(&d, expect_picture(&d, 320, 240, 2000, false, false));
	/* a second one changes nothing */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "a second DEC_CMD_START");
	no_event(&d);
	/* a seek, and a drain asked while paused: LAST once resumed */
	stream(&d, true, false);
	reap_out(&d);
	stream(&d, true, true);
	paused_at_format(&d, 9000);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP while paused");
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the seek's format");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 9000, false, false));
	qbuf_cap(&d, expect_picture(&d, 320, 240, 10000, false, false));
	expect_picture(&d, 320, 240, 11000, true, false);
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	close_dec(&d);
}

/* The first format, answered with CAPTURE set up again, as GStreamer 1.22 does. */
static void restart(void)
{
	struct dec d;

	start_early(&d, 4, 3);
	paused_at_format(&d, 1000);
	set_up_again(&d, 3);
	qbuf_cap(&d, expect_picture(&d, 320, 240, 1000, false, false));
	qbuf_cap(&d, expect_picture(&d, 320, 240, 2000, false, false));
	no_event(&d);
	/* a seek: the same again */
	stream(&d, true, false);
	reap_out(&d);
	stream(&d, true, true);
	paused_at_format(&d, 9000);
	set_up_again(&d, 3);
	qbuf_cap(&d, expect_picture(&d, 320, 240, 9000, false, false));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 10000, false, false));
	expect_picture(&d, 320, 240, 11000, true, false);
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	close_dec(&d);
}

/* Formats the codec cannot output end the stream; it can start again. */
static void refused(void)
{
	static const char * const formats[] = {
		"F 320 240 0 0 320 240 12 1 2\n",	/* 12-bit: no CAPTURE format */
		"F 320 240 0 0 320 240 8 2 2\n",	/* 4:2:2 */
	};
	struct dec d;

	open_dec(&d, 320, 240);
	reqbufs(&d, true, 2);
	reqbufs(&d, false, 2);
	for (unsigned int i = 0; i < 2; i++) {
		qbuf_caps(&d);
		stream(&d, true, true);
		stream(&d, false, true);
		send_text(&d, formats[i], 1000);
		expect_eio(&d, WAIT_MS);
		stream(&d, true, false);
		stream(&d, false, false);
	}
	/* both queues stopped: the context decodes again */
	qbuf_caps(&d);
	stream(&d, true, true);
	stream(&d, false, true);
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\n", 3000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	expect_picture(&d, 320, 240, 3000, true, false);
	close_dec(&d);
}

static void error(void)
{
	struct dec d;

	start_early(&d, 2, 2);
	send_text(&d, "E the test's error\n", 1000);
	expect_eio(&d, WAIT_MS);
	expect(decoder_cmd(&d, V4L2_DEC_CMD_STOP) == -EIO, "DEC_CMD_STOP in error");
	close_dec(&d);
}

static unsigned int timeout_ms(void)
{
	FILE *f = fopen("/sys/module/daedalus_v4l2/parameters/job_timeout_ms", "r");
	unsigned int ms = 0;

	expect(f && fscanf(f, "%u", &ms) == 1, "job_timeout_ms");
	fclose(f);
	return ms;
}

static void stall(void)
{
	unsigned int ms = timeout_ms();
	struct dec d;

	/* bitstream held, no CAPTURE buffer: the client paused, no error */
	open_dec(&d, 320, 240);
	reqbufs(&d, true, 2);
	stream(&d, true, true);
	send_text(&d, "S\n", 1000);
	usleep((ms + 1000) * 1000);
	expect_dqbuf_errno(&d, true, EAGAIN);
	/* and a CAPTURE buffer too: a stall, EIO */
	reqbufs(&d, false, 2);
	qbuf_caps(&d);
	stream(&d, false, true);
	expect_eio(&d, ms + WAIT_MS);
	close_dec(&d);
}

/* Decodes, then waits for the daemon to go: EIO, no hang. */
static void dead(void)
{
	struct dec d;

	start_early(&d, 2, 2);
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\nP\n", 1000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");
	qbuf_cap(&d, expect_picture(&d, 320, 240, 1000, false, false));
	printf("streaming\n");
	fflush(stdout);
	expect_eio(&d, 60000);
	close_dec(&d);
}

static void nodaemon(void)
{
	struct dec d;

	open_dec(&d, 320, 240);
	reqbufs(&d, true, 2);
	stream(&d, true, true);
	/* (with nothing queued, poll says EPOLLERR at once) */
	send_text(&d, "P\n", 1000);
	expect_eio(&d, timeout_ms() + WAIT_MS);
	close_dec(&d);
}

static uint32_t align_up(uint32_t x, uint32_t a)
{
	return (x + a - 1) / a * a;
}

/* ENUM_FMT CAPTURE lists @fourccs (@n of them) and no more. */
static void expect_cap_formats(struct dec *d, const uint32_t *fourccs, unsigned int n)
{
	struct v4l2_fmtdesc f = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE };

	for (f.index = 0; f.index < n; f.index++)
		expect(!xioctl(d->fd, VIDIOC_ENUM_FMT, &f) && f.pixelformat == fourccs[f.index],
		       "CAPTURE format %u is %.4s, want %.4s", f.index, (char *)&f.pixelformat,
		       (char *)&fourccs[f.index]);
	expect(xioctl(d->fd, VIDIOC_ENUM_FMT, &f) == -EINVAL, "a CAPTURE format %u: %.4s", f.index,
	       (char *)&f.pixelformat);
}

static const uint32_t formats_8bit[] = {
	V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUV420, V4L2_PIX_FMT_YUV420M,
};
static const uint32_t formats_10bit[] = { V4L2_PIX_FMT_P010 };

/* The coded formats offered: those of --codecs, with their flags and sizes. */
static void formats(void)
{
	struct v4l2_fmtdesc f = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };
	bool listed[NUM_STREAM_CODECS] = { 0 };
	struct dec d;

	memset(&d, 0, sizeof(d));
	d.fd = open(node, O_RDWR | O_NONBLOCK);
	expect(d.fd >= 0, "open %s: %s", node, strerror(errno));
	for (f.index = 0; !xioctl(d.fd, VIDIOC_ENUM_FMT, &f); f.index++) {
		const struct stream_codec *c = stream_codec(f.pixelformat);
		uint32_t want = V4L2_FMT_FLAG_COMPRESSED | V4L2_FMT_FLAG_DYN_RESOLUTION |
			(c && c->bytestream ? V4L2_FMT_FLAG_CONTINUOUS_BYTESTREAM : 0);

		expect(c && (codec_mask & DAEDALUS_CODEC_BIT(c->wire)) && !listed[c - stream_codecs],
		       "OUTPUT lists %.4s", (char *)&f.pixelformat);
		expect(f.flags == want, "%.4s flags %#x, want %#x", (char *)&f.pixelformat, f.flags,
		       want);
		listed[c - stream_codecs] = true;
	}
	for (size_t i = 0; i < NUM_STREAM_CODECS; i++) {
		const struct stream_codec *c = &stream_codecs[i];
		struct v4l2_frmsizeenum fs = { .pixel_format = c->fourcc };
		struct v4l2_format out = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE };

		if (!(codec_mask & DAEDALUS_CODEC_BIT(c->wire))) {
			expect(!listed[i], "OUTPUT lists %.4s", (char *)&c->fourcc);
			out.fmt.pix_mp.pixelformat = c->fourcc;
			expect(!xioctl(d.fd, VIDIOC_S_FMT, &out) &&
			       out.fmt.pix_mp.pixelformat != c->fourcc, "S_FMT OUTPUT took %.4s",
			       (char *)&c->fourcc);
			expect(xioctl(d.fd, VIDIOC_ENUM_FRAMESIZES, &fs) == -EINVAL,
			       "frame sizes of %.4s", (char *)&c->fourcc);
			continue;
		}
		expect(listed[i], "OUTPUT lacks %.4s", (char *)&c->fourcc);
		set_out(&d, c->fourcc, 344, 280);
		expect(!xioctl(d.fd, VIDIOC_ENUM_FRAMESIZES, &fs) &&
		       fs.type == V4L2_FRMSIZE_TYPE_STEPWISE && fs.stepwise.min_width == 16 &&
		       fs.stepwise.max_width == 8192 && fs.stepwise.step_width == 1 &&
		       fs.stepwise.min_height == 16 && fs.stepwise.max_height == 4352 &&
		       fs.stepwise.step_height == 1,
		       "%.4s frame sizes %u-%u step %u, %u-%u step %u", (char *)&c->fourcc,
		       fs.stepwise.min_width, fs.stepwise.max_width, fs.stepwise.step_width,
		       fs.stepwise.min_height, fs.stepwise.max_height, fs.stepwise.step_height);
		expect_cap_formats(&d, formats_8bit, 3);
		check_format(&d, align_up(344, c->block), align_up(280, c->block), 344, 280, 2);
	}
	close(d.fd);
}

/* Each PROFILE menu once, read-only, with exactly the profiles decoded. */
static void profiles(void)
{
	struct v4l2_queryctrl qc = { .id = V4L2_CTRL_FLAG_NEXT_CTRL };
	unsigned int seen[NUM_STREAM_CODECS] = { 0 };
	int fd = open(node, O_RDWR);

	expect(fd >= 0, "open %s: %s", node, strerror(errno));
	while (!xioctl(fd, VIDIOC_QUERYCTRL, &qc)) {
		for (size_t i = 0; i < NUM_STREAM_CODECS; i++)
			seen[i] += stream_codecs[i].profile_cid == qc.id;
		qc.id |= V4L2_CTRL_FLAG_NEXT_CTRL;
	}
	for (size_t i = 0; i < NUM_STREAM_CODECS; i++) {
		const struct stream_codec *c = &stream_codecs[i];
		int max = 63;

		if (!c->profile_cid)
			continue;
		expect(seen[i] == 1, "%.4s: PROFILE control %#x listed %u times", (char *)&c->fourcc,
		       c->profile_cid, seen[i]);
		while (!(c->profiles >> max & 1))
			max--;
		memset(&qc, 0, sizeof(qc));
		qc.id = c->profile_cid;
		expect(!xioctl(fd, VIDIOC_QUERYCTRL, &qc) && qc.type == V4L2_CTRL_TYPE_MENU &&
		       (qc.flags & V4L2_CTRL_FLAG_READ_ONLY) && qc.minimum == 0 && qc.maximum == max,
		       "%.4s PROFILE type %u flags %#x %d-%d", (char *)&c->fourcc, qc.type, qc.flags,
		       qc.minimum, qc.maximum);
		for (int item = 0; item <= max; item++) {
			struct v4l2_querymenu qm = { .id = c->profile_cid, .index = item };
			bool offered = !xioctl(fd, VIDIOC_QUERYMENU, &qm);

			expect(offered == (c->profiles >> item & 1), "%.4s profile %d %s",
			       (char *)&c->fourcc, item, offered ? "offered" : "not offered");
		}
	}
	close(fd);
}

/* A stream of each coded format starts and decodes at its block-aligned size. */
static void codecs(void)
{
	for (size_t i = 0; i < NUM_STREAM_CODECS; i++) {
		const struct stream_codec *c = &stream_codecs[i];
		uint64_t ts = (i + 1) * 1000;
		struct dec d;

		open_codec(&d, c->fourcc, 0, 0);
		reqbufs(&d, true, 2);
		stream(&d, true, true);
		send_text(&d, "F 344 280 0 0 343 279 8 1 2\nP\n", ts);
		dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
		check_format(&d, align_up(344, c->block), align_up(280, c->block), 343, 279, 2);
		reqbufs(&d, false, 2);
		qbuf_caps(&d);
		stream(&d, false, true);
		expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
		expect_picture(&d, 344, 280, ts, true, false);
		close_dec(&d);
	}
}

/*
 * 10-bit streams: P010 (64-byte aligned stride) for the codecs that have
 * it, with CAPTURE set up first at 8 bits as FFmpeg 5.1 does; the others
 * refused. Then a stream whose depth changes while decoding, both ways.
 */
static void deep(void)
{
	struct dec d;

	for (size_t i = 0; i < NUM_STREAM_CODECS; i++) {
		const struct stream_codec *c = &stream_codecs[i];
		uint32_t w = align_up(352, c->block), h = align_up(288, c->block);

		open_codec(&d, c->fourcc, 352, 288);
		reqbufs(&d, true, 2);
		reqbufs(&d, false, 2);
		qbuf_caps(&d);
		stream(&d, true, true);
		stream(&d, false, true);
		send_text(&d, "F 352 288 0 0 350 286 10 1 3\nP\n", 1000);
		if (!c->deep) {
			expect_eio(&d, WAIT_MS);
			close_dec(&d);
			continue;
		}
		dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
		check_format_of(&d, V4L2_PIX_FMT_P010, w, h, 350, 286, 3);
		expect_cap_formats(&d, formats_10bit, 1);
		set_up_again(&d, 3);
		expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
		expect_picture(&d, 352, 288, 1000, true, false);
		close_dec(&d);
	}

	/* H.264 from 8 to 10 bits while decoding: LAST, EPIPE, P010 */
	start_early(&d, 4, 2);
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\n", 1000);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");
	send_text(&d, "F 320 240 0 0 320 240 10 1 2\nP\n", 2000);
	expect_picture(&d, 320, 240, 1000, false, false);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect_picture(&d, 0, 0, 0, true, true);
	expect_dqbuf_errno(&d, false, EPIPE);
	check_format_of(&d, V4L2_PIX_FMT_P010, 320, 240, 320, 240, 2);
	set_up_again(&d, 2);
	/* and back to 8 bits: NV12 */
	send_text(&d, "F 320 240 0 0 320 240 8 1 2\nP\n", 3000);
	expect_picture(&d, 320, 240, 2000, false, false);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect_picture(&d, 0, 0, 0, true, true);
	expect_dqbuf_errno(&d, false, EPIPE);
	check_format(&d, 320, 240, 320, 240, 2);
	expect_cap_formats(&d, formats_8bit, 3);
	set_up_again(&d, 2);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	expect_picture(&d, 320, 240, 3000, true, false);
	close_dec(&d);
}

/* A timecode as v4l2-compliance's: 30 fps, @n frames, 8-bit user bits. */
static struct v4l2_timecode timecode_of(unsigned int n)
{
	struct v4l2_timecode tc = {
		.type = V4L2_TC_TYPE_30FPS, .flags = V4L2_TC_USERBITS_8BITCHARS,
		.frames = n % 30, .seconds = n / 30 % 60, .minutes = n / 1800 % 60,
		.userbits = { 't', 'c', '0' + n / 10 % 10, '0' + n % 10 },
	};

	return tc;
}

/* Sends @text with @ts_ns and @flags, TIMECODE with timecode_of(@n) too. */
static struct v4l2_buffer send_meta(struct dec *d, const char *text, uint64_t ts_ns,
				    uint32_t flags, unsigned int n)
{
	struct v4l2_timecode tc = timecode_of(n);
	struct v4l2_buffer b;

	send_buf(d, text, ts_ns, flags, &tc, &b);
	expect((b.flags & META_FLAGS) == flags, "QBUF OUTPUT kept TIMECODE|TSTAMP_SRC %#x of %#x",
	       b.flags & META_FLAGS, flags);
	return b;
}

/*
 * Pictures take TIMECODE, the timecode and TSTAMP_SRC of the OUTPUT buffer
 * whose timestamp they carry, as m2m decoders copy them; the node keeps the
 * last 256 buffers of an epoch.
 */
static void timecode(void)
{
	const uint32_t soe = V4L2_BUF_FLAG_TSTAMP_SRC_SOE, tc = V4L2_BUF_FLAG_TIMECODE;
	struct v4l2_buffer out[4], far[2], after;
	struct dec d;

	start_early(&d, 4, 4);
	out[0] = send_meta(&d, "F 320 240 0 0 320 240 8 1 2\n", 1000, tc | soe, 1);
	out[1] = send_meta(&d, "\n", 2000, tc, 2);
	out[2] = send_meta(&d, "\n", 3000, soe, 3);
	/* in another order, two from one buffer, one of a timestamp no buffer had */
	out[3] = send_meta(&d, "P 3000\nP 1000\nP 2000\nP 2000\nP 5000\nP 4000\n", 4000, 0, 4);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the first format");
	qbuf_cap(&d, picture_from(&d, 320, 240, 3000, false, false, &out[2]));
	qbuf_cap(&d, picture_from(&d, 320, 240, 1000, false, false, &out[0]));
	qbuf_cap(&d, picture_from(&d, 320, 240, 2000, false, false, &out[1]));
	qbuf_cap(&d, picture_from(&d, 320, 240, 2000, false, false, &out[1]));
	qbuf_cap(&d, picture_from(&d, 320, 240, 5000, false, false, NULL));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	qbuf_cap(&d, picture_from(&d, 320, 240, 4000, true, false, &out[3]));
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");

	/* 10000 then 256 buffers: 10000 is forgotten, 11000 (the 256th back) is not */
	far[0] = send_meta(&d, "\n", 10000, tc | soe, 10);
	far[1] = send_meta(&d, "\n", 11000, tc | soe, 11);
	for (unsigned int i = 0; i < 254; i++)
		send_text(&d, "\n", 20000 + i * 1000);
	send_meta(&d, "P 11000\nP 10000\n", 300000, soe, 12);
	qbuf_cap(&d, picture_from(&d, 320, 240, 11000, false, false, &far[1]));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	qbuf_cap(&d, picture_from(&d, 320, 240, 10000, true, false, NULL));
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);
	/* an empty LAST carries none */
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START");
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	qbuf_cap(&d, picture_from(&d, 0, 0, 0, true, true, NULL));
	dqevent(&d, V4L2_EVENT_EOS);
	expect_dqbuf_errno(&d, false, EPIPE);

	/* a seek forgets the epoch's buffers */
	stream(&d, true, false);
	stream(&d, true, true);
	after = send_meta(&d, "F 320 240 0 0 320 240 8 1 2\nP 11000\nP 50000\n", 50000, tc | soe,
			  50);
	dqevent(&d, V4L2_EVENT_SOURCE_CHANGE);
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_START), "DEC_CMD_START after the seek's format");
	qbuf_cap(&d, picture_from(&d, 320, 240, 11000, false, false, NULL));
	expect(!decoder_cmd(&d, V4L2_DEC_CMD_STOP), "DEC_CMD_STOP");
	picture_from(&d, 320, 240, 50000, true, false, &after);
	close_dec(&d);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; void (*run)(void); } scenarios[] = {
		{ "decode", decode }, { "early", early }, { "seek", seek },
		{ "pause", pause_start }, { "restart", restart },
		{ "refused", refused }, { "error", error }, { "stall", stall },
		{ "dead", dead }, { "nodaemon", nodaemon }, { "formats", formats },
		{ "profiles", profiles }, { "codecs", codecs }, { "deep", deep },
		{ "timecode", timecode },
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!find_node()) {
		printf("FAIL: no " NODE_NAME " node\n");
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		size_t j;

		if (!strcmp(argv[i], "--codecs") && i + 1 < argc) {
			codec_mask = strtoul(argv[++i], NULL, 0);
			continue;
		}
		for (j = 0; j < sizeof(scenarios) / sizeof(scenarios[0]); j++)
			if (!strcmp(argv[i], scenarios[j].name))
				break;
		if (j == sizeof(scenarios) / sizeof(scenarios[0])) {
			fprintf(stderr, "unknown scenario %s\n", argv[i]);
			return 2;
		}
		scenario = argv[i];
		scenarios[j].run();
		printf("ok: stream %s\n", argv[i]);
	}
	return 0;
}
