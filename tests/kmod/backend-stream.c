// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test backend's streams: a double of daedalusd's stream sessions for
 * the stateful node's own tests (tests/kmod/stream.c is its client). Its
 * "bitstream" is text the stream client writes, one command a line:
 *
 *   F w h vl vt vw vh depth chroma min   the stream's format from here on
 *   P                                    a picture
 *   P ts                                 a picture with timestamp ts (ns), as a
 *                                        reordering decoder gives an earlier buffer's
 *   S                                    a stall: this buffer is never answered
 *   E reason                             the stream cannot go on (STREAM_ERROR; the
 *                                        buffer is not answered: it came back)
 *
 * As daedalusd does, it sends a format before the pictures that follow it,
 * once every earlier picture is out; takes CAPTURE buffers oldest first;
 * gives a picture the timestamp of the OUTPUT buffer that held it; holds
 * each picture until what follows it is known (another picture, a format,
 * the drain's end), so that a drain's last picture carries LAST, or an
 * empty buffer does when none is left. Each picture is common.h's pattern seeded by stream_seed(), which
 * the client checks. Along the way it sends what a stale or broken daemon
 * would (an old epoch, a cookie not in flight, fields out of range) and
 * checks each is refused with its documented errno. It checks what the
 * kernel sends: each STREAM_START's codec is its OUTPUT format's wire id
 * (common.h's stream_codecs), every CAPTURE stride a multiple of 64 bytes,
 * and CAPTURE buffers sent after a format are P010 exactly when it is 10-bit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"

#define MAX_EVENTS	256
#define MAX_CAPS	64

struct sevent {
	char kind;	/* 'F' format, 'P' picture, 'D' the drain's end */
	uint64_t timestamp;
	struct daedalus_stream_format fmt;
};

struct scap {
	uint32_t cookie, num_planes;
	struct daedalus_plane planes[DAEDALUS_MAX_PLANES];
};

struct sstream {
	uint32_t ctx_id, epoch, codec;
	struct sevent ev[MAX_EVENTS];
	unsigned int nev;
	struct scap cap[MAX_CAPS];
	unsigned int ncap;
	uint32_t width, height;
	/* the bit depth of the format the kernel took last, 0 before one */
	uint32_t depth;
	/* for the stale answers: a CAPTURE cookie of an epoch that ended */
	uint32_t old_cookie, old_epoch;
	bool checked_invalid;
	unsigned long pictures;
};

static struct sstream streams[64];
static unsigned long stream_msgs, stream_pictures, stream_refused;
/* STREAM_STARTs per OUTPUT format, as stream_codecs[] lists them */
static unsigned long stream_starts[NUM_STREAM_CODECS];

static struct sstream *stream_for(uint32_t ctx_id, bool create)
{
	struct sstream *free_slot = NULL;

	for (size_t i = 0; i < sizeof(streams) / sizeof(streams[0]); i++) {
		if (streams[i].ctx_id == ctx_id)
			return &streams[i];
		if (!streams[i].ctx_id && !free_slot)
			free_slot = &streams[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->ctx_id = ctx_id;
	return free_slot;
}

static int sioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) ? -errno : 0;
}

static int picture(int fd, struct sstream *s, const struct scap *c, uint32_t flags,
		   uint64_t timestamp, bool empty)
{
	struct daedalus_stream_picture p = {
		.cookie = c->cookie, .epoch = s->epoch, .flags = flags,
		.timestamp = timestamp, .num_planes = empty ? 0 : c->num_planes,
	};

	for (uint32_t i = 0; i < p.num_planes; i++)
		p.bytesused[i] = c->planes[i].length;
	return sioctl(fd, DAEDALUS_IOC_STREAM_PICTURE, &p);
}

/* Once per stream, on a CAPTURE buffer it holds: answers the kernel must refuse. */
static void invalid_answers(int fd, struct sstream *s)
{
	const struct scap *c = &s->cap[0];
	struct daedalus_stream_format f = {
		.ctx_id = s->ctx_id, .epoch = s->epoch, .width = 320, .height = 240,
		.visible_width = 320, .visible_height = 240, .bit_depth = 8,
		.chroma_format = 1, .min_buffers = 2,
	};
	struct daedalus_stream_data_done d = { .cookie = c->cookie };
	struct daedalus_stream_error e = { .ctx_id = s->ctx_id, .epoch = s->epoch, .error = -EIO };

	s->checked_invalid = true;
	expect_errno(picture(fd, s, c, 0x100, 0, false), EINVAL, "STREAM_PICTURE unknown flag");
	{
		struct daedalus_stream_picture p = {
			.cookie = c->cookie, .epoch = s->epoch, .num_planes = c->num_planes,
		};

		p.bytesused[0] = c->planes[0].length + 1;
		expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_PICTURE, &p), EINVAL,
			     "STREAM_PICTURE bytesused beyond the plane");
		p.bytesused[0] = 0;
		p.epoch = s->epoch + 1;
		expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_PICTURE, &p), ENOENT,
			     "STREAM_PICTURE of a later epoch");
	}
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_DATA_DONE, &d), ENOENT,
		     "STREAM_DATA_DONE with a CAPTURE cookie");
	d.cookie = c->cookie;
	d.status = 1;
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_DATA_DONE, &d), EINVAL, "STREAM_DATA_DONE status > 0");
	f.width = 0;
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_FORMAT, &f), EINVAL, "STREAM_FORMAT width 0");
	f.width = 320;
	f.visible_left = 8;
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_FORMAT, &f), EINVAL,
		     "STREAM_FORMAT visible rectangle past the picture");
	f.visible_left = 0;
	f.reserved[0] = 1;
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_FORMAT, &f), EINVAL, "STREAM_FORMAT reserved set");
	f.reserved[0] = 0;
	f.ctx_id = 0;
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_FORMAT, &f), ENOENT, "STREAM_FORMAT of no context");
	memset(e.reason, 'x', sizeof(e.reason));
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_ERROR, &e), EINVAL, "STREAM_ERROR reason not terminated");
	e.error = 0;
	e.reason[0] = 0;
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_ERROR, &e), EINVAL, "STREAM_ERROR error 0");
}

/* What an answer of an epoch that ended gets: ENOENT, and nothing changes. */
static void stale_answers(int fd, struct sstream *s)
{
	struct daedalus_stream_format f = {
		.ctx_id = s->ctx_id, .epoch = s->old_epoch, .width = 320, .height = 240,
		.visible_width = 320, .visible_height = 240, .bit_depth = 8,
		.chroma_format = 1, .min_buffers = 2,
	};
	struct daedalus_stream_picture p = {
		.cookie = s->old_cookie, .epoch = s->old_epoch, .status = -EIO,
	};
	struct daedalus_stream_error e = {
		.ctx_id = s->ctx_id, .epoch = s->old_epoch, .error = -EIO,
	};

	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_FORMAT, &f), ENOENT, "STREAM_FORMAT of an old epoch");
	expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_ERROR, &e), ENOENT, "STREAM_ERROR of an old epoch");
	if (s->old_cookie)
		expect_errno(sioctl(fd, DAEDALUS_IOC_STREAM_PICTURE, &p), ENOENT,
			     "STREAM_PICTURE of a cookie the kernel took back");
	s->old_epoch = 0;
}

/* Writes the pattern into each plane of a CAPTURE buffer. */
static bool fill(int fd, struct sstream *s, const struct scap *c, uint64_t timestamp)
{
	uint32_t seed = stream_seed(timestamp, s->width, s->height);

	for (uint32_t i = 0; i < c->num_planes; i++) {
		void *p = mmap(NULL, c->planes[i].length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			       c->planes[i].mmap_offset);

		check(p != MAP_FAILED, "map CAPTURE plane %u: %s", i, strerror(errno));
		if (p == MAP_FAILED)
			return false;
		pattern_fill(p, c->planes[i].length, seed + i);
		munmap(p, c->planes[i].length);
	}
	return true;
}

static void pop_event(struct sstream *s, unsigned int n)
{
	memmove(s->ev, s->ev + n, (s->nev - n) * sizeof(s->ev[0]));
	s->nev -= n;
}

static void pop_cap(struct sstream *s)
{
	memmove(s->cap, s->cap + 1, (s->ncap - 1) * sizeof(s->cap[0]));
	s->ncap--;
}

/* Delivers what it can: formats, and pictures while it has CAPTURE buffers. */
static void deliver(int fd, struct sstream *s)
{
	while (s->nev) {
		struct sevent *ev = &s->ev[0];
		int ret;

		if (ev->kind == 'F') {
			struct daedalus_stream_format f = ev->fmt;

			f.ctx_id = s->ctx_id;
			f.epoch = s->epoch;
			ret = sioctl(fd, DAEDALUS_IOC_STREAM_FORMAT, &f);
			if (ret == -EOPNOTSUPP) {
				printf("backend: stream %u: format %ux%u %u-bit chroma %u refused\n",
				       s->ctx_id, f.width, f.height, f.bit_depth, f.chroma_format);
				stream_refused++;
				s->nev = s->ncap = 0;
				return;
			}
			check(!ret, "STREAM_FORMAT %ux%u: %s", f.width, f.height, strerror(-ret));
			if (!quiet)
				printf("backend: stream %u: format %ux%u fits %u\n", s->ctx_id,
				       f.width, f.height, f.fits);
			if (!f.fits)
				s->ncap = 0;
			s->depth = f.bit_depth;
			s->width = f.width;
			s->height = f.height;
			pop_event(s, 1);
			continue;
		}
		/* a picture waits until what follows it is known */
		if (!s->ncap || (ev->kind == 'P' && s->nev == 1))
			return;
		if (!s->checked_invalid)
			invalid_answers(fd, s);
		if (ev->kind == 'D') {
			ret = picture(fd, s, &s->cap[0], DAEDALUS_PICTURE_LAST, 0, true);
			check(!ret, "empty LAST: %s", strerror(-ret));
			pop_event(s, 1);
		} else {
			bool last = s->nev > 1 && s->ev[1].kind == 'D';

			if (fill(fd, s, &s->cap[0], ev->timestamp)) {
				ret = picture(fd, s, &s->cap[0], DAEDALUS_PICTURE_KEYFRAME |
					      (last ? DAEDALUS_PICTURE_LAST : 0), ev->timestamp, false);
				check(!ret, "STREAM_PICTURE: %s", strerror(-ret));
				stream_pictures++;
			}
			pop_event(s, last ? 2 : 1);
		}
		pop_cap(s);
	}
}

static void push(struct sstream *s, char kind, uint64_t timestamp)
{
	check(s->nev < MAX_EVENTS, "stream %u: too many events", s->ctx_id);
	if (s->nev >= MAX_EVENTS)
		return;
	s->ev[s->nev] = (struct sevent){ .kind = kind, .timestamp = timestamp };
	s->nev++;
}

/* Parses one OUTPUT buffer's commands; false: a stall, never answer it. */
static bool parse(int fd, struct sstream *s, const struct daedalus_stream_data *d)
{
	size_t len = d->data.bytesused;
	char *text, *line, *save;
	bool answer = true;
	void *p;

	if (!len)
		return true;
	p = mmap(NULL, d->data.length, PROT_READ, MAP_SHARED, fd, d->data.mmap_offset);
	check(p != MAP_FAILED, "map STREAM_DATA: %s", strerror(errno));
	if (p == MAP_FAILED)
		return true;
	check(mmap(NULL, d->data.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   d->data.mmap_offset) == MAP_FAILED, "STREAM_DATA mapped writable");
	text = strndup(p, len);
	munmap(p, d->data.length);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct daedalus_stream_format f = { 0 };

		switch (line[0]) {
		case 'F':
			check(sscanf(line, "F %u %u %u %u %u %u %u %u %u", &f.width, &f.height,
				     &f.visible_left, &f.visible_top, &f.visible_width,
				     &f.visible_height, &f.bit_depth, &f.chroma_format,
				     &f.min_buffers) == 9, "bad format line '%s'", line);
			push(s, 'F', 0);
			s->ev[s->nev - 1].fmt = f;
			break;
		case 'P':
			push(s, 'P', line[1] == ' ' ? strtoull(line + 2, NULL, 10) : d->timestamp);
			break;
		case 'S':
			answer = false;
			break;
		case 'E': {
			struct daedalus_stream_error e = {
				.ctx_id = s->ctx_id, .epoch = s->epoch, .error = -EINVAL,
			};

			snprintf(e.reason, sizeof(e.reason), "%s", line[1] ? line + 2 : "");
			check(!sioctl(fd, DAEDALUS_IOC_STREAM_ERROR, &e), "STREAM_ERROR: %s",
			      strerror(errno));
			s->nev = s->ncap = 0;
			answer = false;	/* the kernel took the buffer back */
			break;
		}
		default:
			check(0, "unknown command '%s'", line);
		}
	}
	free(text);
	return answer;
}

void stream_message(int fd, const void *msg, uint32_t size)
{
	const struct daedalus_msg_hdr *hdr = msg;
	const struct daedalus_stream_msg *cmd = msg;
	struct sstream *s = stream_for(hdr->ctx_id, hdr->type == DAEDALUS_MSG_STREAM_START);

	stream_msgs++;
	if (!quiet)
		printf("backend: stream %u: message %u epoch %u cookie %u\n", hdr->ctx_id,
		       hdr->type, cmd->epoch, hdr->cookie);
	check(s, "stream message %u of context %u before its STREAM_START", hdr->type, hdr->ctx_id);
	if (!s)
		return;
	check(hdr->type == DAEDALUS_MSG_STREAM_START || cmd->epoch == s->epoch,
	      "message %u of epoch %u in epoch %u", hdr->type, cmd->epoch, s->epoch);

	switch (hdr->type) {
	case DAEDALUS_MSG_STREAM_START: {
		const struct daedalus_stream_start *st = msg;
		const struct stream_codec *codec = stream_codec(st->pixelformat);

		check(size == sizeof(*st) && st->epoch > s->epoch && codec &&
		      st->codec == codec->wire && !st->reserved,
		      "STREAM_START size %u epoch %u after %u codec %u of %.4s", size, st->epoch,
		      s->epoch, st->codec, (const char *)&st->pixelformat);
		if (codec)
			stream_starts[codec - stream_codecs]++;
		s->epoch = st->epoch;
		s->depth = 0;
		s->nev = s->ncap = 0;
		if (s->old_epoch)
			stale_answers(fd, s);
		break;
	}
	case DAEDALUS_MSG_STREAM_DATA: {
		const struct daedalus_stream_data *d = msg;

		check(size == sizeof(*d) && hdr->cookie && !d->reserved &&
		      d->data.bytesused <= d->data.length && d->data.memory_id,
		      "STREAM_DATA size %u cookie %u bytes %u/%u", size, hdr->cookie,
		      d->data.bytesused, d->data.length);
		if (parse(fd, s, d)) {
			struct daedalus_stream_data_done done = { .cookie = hdr->cookie };

			check(!sioctl(fd, DAEDALUS_IOC_STREAM_DATA_DONE, &done), "STREAM_DATA_DONE: %s",
			      strerror(errno));
		}
		break;
	}
	case DAEDALUS_MSG_STREAM_CAPTURE: {
		const struct daedalus_stream_capture *c = msg;

		check(size == sizeof(*c) && hdr->cookie && c->num_planes >= 1 &&
		      c->num_planes <= DAEDALUS_MAX_PLANES && s->ncap < MAX_CAPS &&
		      c->planes[0].bytesperline >= c->width,
		      "STREAM_CAPTURE size %u planes %u stride %u width %u", size, c->num_planes,
		      c->planes[0].bytesperline, c->width);
		for (uint32_t i = 0; i < c->num_planes && i < DAEDALUS_MAX_PLANES; i++)
			check(!(c->planes[i].bytesperline % 64), "CAPTURE plane %u stride %u", i,
			      c->planes[i].bytesperline);
		check(!s->depth || (c->pixelformat == V4L2_PIX_FMT_P010) == (s->depth == 10),
		      "CAPTURE %.4s for a %u-bit format", (const char *)&c->pixelformat, s->depth);
		if (s->ncap >= MAX_CAPS)
			break;
		s->cap[s->ncap].cookie = hdr->cookie;
		s->cap[s->ncap].num_planes = c->num_planes;
		memcpy(s->cap[s->ncap].planes, c->planes, sizeof(c->planes));
		s->ncap++;
		s->old_cookie = hdr->cookie;
		break;
	}
	case DAEDALUS_MSG_STREAM_DRAIN:
		push(s, 'D', 0);
		break;
	case DAEDALUS_MSG_STREAM_RESUME:
		/* a drain the client stopped early (STREAMOFF CAPTURE) ends here */
		while (s->nev && s->ev[s->nev - 1].kind == 'D')
			s->nev--;
		break;
	case DAEDALUS_MSG_STREAM_CAPTURE_RESET:
		s->ncap = 0;
		break;
	case DAEDALUS_MSG_STREAM_STOP:
		s->old_epoch = s->epoch;
		s->nev = s->ncap = 0;
		break;
	default:
		check(0, "unknown stream message %u", hdr->type);
	}
	deliver(fd, s);
}

void stream_context_closed(uint32_t ctx_id)
{
	struct sstream *s = stream_for(ctx_id, false);

	if (s)
		s->ctx_id = 0;
}

void stream_report(void)
{
	printf("backend: %lu stream messages, %lu stream pictures, %lu formats refused\n",
	       stream_msgs, stream_pictures, stream_refused);
	printf("backend: streams started:");
	for (size_t i = 0; i < NUM_STREAM_CODECS; i++)
		printf(" %.4s %lu", (const char *)&stream_codecs[i].fourcc, stream_starts[i]);
	printf("\n");
}
