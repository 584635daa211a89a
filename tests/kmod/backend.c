// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-test-backend: a test double of daedalusd for the kernel module's
 * own tests. It speaks the control-device protocol and, instead of
 * decoding, checks each job (controls present and sized, start codes as the
 * START_CODE control says, held slices consistent) and fills the CAPTURE
 * buffer with the pattern of common.h, which the test client verifies.
 *
 *   backend [--codecs MASK] [--stream-codecs MASK] [--stall-after N]
 *           [--garbage] [--batch N]
 *           [--corrupt] [--lenient] [--close-mapped] [--keep-mappings]
 *           [--record FILE] [--close-dup] [--hup] [--quiet]
 *
 * --stream-codecs MASK: the stream codecs declared (ABI 1.3; default H.264);
 *                  the streams are backend-stream.c's
 * --stall-after N: complete N jobs, then keep fetching without completing
 *                  (a daemon that hangs; the test then kills it)
 * --garbage:       on the first job, send every kind of invalid request the
 *                  kernel must reject, check each error, then go on normally
 * --batch N:       hold up to N fetched jobs (of different contexts) before
 *                  completing them, last first; reports how many were in
 *                  flight at once (the kernel runs contexts in parallel)
 * --corrupt:       flip one byte of every picture (to show the client's
 *                  check fails)
 * --lenient:       do not hold the bitstream and SPS to what the test client
 *                  sends (for v4l2-compliance, which streams arbitrary data)
 * --close-mapped:  on the first job, map its CAPTURE buffer, close the control
 *                  device and keep the mapping until SIGTERM (a daemon that
 *                  closes its descriptor is disconnected all the same)
 * --keep-mappings: keep each buffer slot's mappings from job to job while its
 *                  memory_id stays, dropping them when it changes or the
 *                  context closes, as daedalusd does (ABI 1.2)
 * --close-dup:     after HELLO, dup() the control device and close the copy,
 *                  as a daemon retiring a decode thread does: still connected
 * --hup:           after HELLO, check that poll() hangs up (POLLHUP) on a
 *                  file that is not connected: another open of the device,
 *                  and a forked child's copy of the daemon's, already
 *                  waiting in poll() when the parent's close disconnects it;
 *                  then exit (run with no client)
 * --record FILE:   append every job to FILE (its message, then its bitstream:
 *                  u32 size, bytes, u32 size, bytes), for client --replay
 * Exits 0 on SIGTERM/SIGINT when every check passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <linux/v4l2-controls.h>

#include "backend.h"

#define CTL "/dev/" DAEDALUS_CTL_NAME

static volatile sig_atomic_t stop;
int failures;
bool quiet;
static bool lenient, corrupt, keep_mappings, close_dup;

/* --keep-mappings: one mapping per context, queue and buffer index */
struct kept {
	uint32_t ctx_id, slot, memory_id;
	size_t len;
	void *p;
};

static struct kept kept[512];
/* --record */
static FILE *record;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Per context: the picture whose slices are being held. */
#define MAX_INDEX 32

struct held {
	uint32_t ctx_id;
	uint32_t capture_index;
	uint64_t timestamp;
	uint32_t slices;
	/* the memory id each CAPTURE index had last (ABI 1.2) */
	uint32_t capture_ids[MAX_INDEX];
};

static struct held held[256];

#define MAX_BATCH 8
static uint8_t pend[MAX_BATCH][DAEDALUS_MAX_MSG_SIZE] __attribute__((aligned(8)));
static uint32_t pend_size[MAX_BATCH];
static unsigned int npend, batch = 1, max_inflight;

static struct held *held_for(uint32_t ctx_id)
{
	struct held *free_slot = NULL;

	for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
		if (held[i].ctx_id == ctx_id)
			return &held[i];
		if (!held[i].ctx_id && !free_slot)
			free_slot = &held[i];
	}
	if (!free_slot)
		free_slot = &held[ctx_id % 256];
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->ctx_id = ctx_id;
	return free_slot;
}

static int complete(int fd, uint32_t cookie, int status, uint32_t planes,
		    uint32_t bytesused)
{
	struct daedalus_complete c = {
		.cookie = cookie, .status = status, .num_planes = planes,
	};

	if (planes)
		c.bytesused[0] = bytesused;
	return ioctl(fd, DAEDALUS_IOC_COMPLETE, &c) ? -errno : 0;
}

/* invalid requests sent (--garbage) and refused with their documented errno */
static unsigned int hostile_sent, hostile_refused;

void expect_errno(int ret, int err, const char *what)
{
	check(ret == -err, "%s: got %d (%s), want -%s", what, ret,
	      ret ? strerror(-ret) : "success", strerrorname_np(err));
	if (err) {
		hostile_sent++;
		hostile_refused += ret == -err;
	}
	if (ret == -err && !quiet)
		printf("backend ok: %s -> %s\n", what, strerrorname_np(err));
}

/*
 * A completion succeeds, or, under v4l2-compliance, finds its job already
 * failed because the client stopped streaming meanwhile.
 */
static void expect_done(int ret, const char *what)
{
	if (lenient && ret == -ENOENT)
		return;
	expect_errno(ret, 0, what);
}

static int mmap_err(int fd, size_t len, int prot, int flags, uint64_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

/* Every invalid thing a daemon could send, on a fetched job; nothing may change. */
static void garbage(int fd, const struct daedalus_job *job)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint32_t cookie = job->hdr.cookie;
	uint32_t len = job->capture[0].length;
	struct daedalus_complete c;
	struct daedalus_hello h;
	char junk[64] = { 0 };
	int fd2;

	expect_errno(complete(fd, cookie + 7777, 0, 1, 0), ENOENT, "COMPLETE unknown cookie");
	expect_errno(complete(fd, 0, 0, 1, 0), ENOENT, "COMPLETE cookie 0");
	expect_errno(complete(fd, cookie, 0, 2, 0), EINVAL, "COMPLETE 2 planes for 1");
	expect_errno(complete(fd, cookie, 0, 0, 0), EINVAL, "COMPLETE 0 planes for 1");
	expect_errno(complete(fd, cookie, 0, 4, 0), EINVAL, "COMPLETE 4 planes");
	expect_errno(complete(fd, cookie, 0, 1, len + 1), EINVAL, "COMPLETE bytesused past the plane");
	expect_errno(complete(fd, cookie, 0, 1, 0xffffffffu), EINVAL, "COMPLETE bytesused 0xffffffff");
	expect_errno(complete(fd, cookie, 5, 1, 0), EINVAL, "COMPLETE positive status");
	expect_errno(complete(fd, cookie, -100000, 0, 0), EINVAL, "COMPLETE status below -MAX_ERRNO");

	memset(&c, 0, sizeof(c));
	c.cookie = cookie;
	c.num_planes = 1;
	c.reserved = 1;
	expect_errno(ioctl(fd, DAEDALUS_IOC_COMPLETE, &c) ? -errno : 0, EINVAL, "COMPLETE reserved set");
	c.reserved = 0;
	c.reserved2 = 1;
	expect_errno(ioctl(fd, DAEDALUS_IOC_COMPLETE, &c) ? -errno : 0, EINVAL, "COMPLETE reserved2 set");
	c.reserved2 = 0;
	c.bytesused[1] = 1;
	expect_errno(ioctl(fd, DAEDALUS_IOC_COMPLETE, &c) ? -errno : 0, EINVAL, "COMPLETE bytesused for a missing plane");

	/* Truncated or foreign structures: the size is part of the ioctl number. */
	expect_errno(ioctl(fd, _IOW(DAEDALUS_IOC_MAGIC, 3, char[16]), junk) ? -errno : 0, ENOTTY, "COMPLETE truncated to 16 bytes");
	expect_errno(ioctl(fd, _IOW(DAEDALUS_IOC_MAGIC, 3, __u32), junk) ? -errno : 0, ENOTTY, "COMPLETE truncated to 4 bytes");
	expect_errno(ioctl(fd, _IOWR(DAEDALUS_IOC_MAGIC, 2, char[8]), junk) ? -errno : 0, ENOTTY, "FETCH truncated");
	expect_errno(ioctl(fd, _IO(DAEDALUS_IOC_MAGIC, 9)) ? -errno : 0, ENOTTY, "unknown ioctl");
	expect_errno(ioctl(fd, DAEDALUS_IOC_COMPLETE, (void *)8) ? -errno : 0, EFAULT, "COMPLETE bad pointer");
	expect_errno(ioctl(fd, DAEDALUS_IOC_FETCH, (void *)8) ? -errno : 0, EFAULT, "FETCH bad pointer");

	/* Mappings: only this job's planes, within their size, bitstream read-only. */
	expect_errno(mmap_err(fd, pg, PROT_READ, MAP_SHARED, (uint64_t)(cookie + 99) << 14), EINVAL, "mmap unknown cookie");
	expect_errno(mmap_err(fd, len + 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, job->capture[0].mmap_offset), EINVAL, "mmap past the CAPTURE plane");
	expect_errno(mmap_err(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED, job->output.mmap_offset), EACCES, "mmap bitstream writable");
	expect_errno(mmap_err(fd, pg, PROT_READ, MAP_PRIVATE, job->capture[0].mmap_offset), EINVAL, "mmap private");
	expect_errno(mmap_err(fd, pg, PROT_READ, MAP_SHARED, job->output.mmap_offset + 3 * pg), EINVAL, "mmap a third CAPTURE plane");
	{
		void *p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, job->output.mmap_offset);

		check(p != MAP_FAILED, "mmap bitstream read-only: %s", strerror(errno));
		if (p != MAP_FAILED) {
			expect_errno(mprotect(p, pg, PROT_READ | PROT_WRITE) ? -errno : 0, EACCES, "mprotect bitstream writable");
			munmap(p, pg);
		}
	}

	/* A second daemon, and a second HELLO. */
	memset(&h, 0, sizeof(h));
	h.abi_version = DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR, DAEDALUS_ABI_MINOR);
	expect_errno(ioctl(fd, DAEDALUS_IOC_HELLO, &h) ? -errno : 0, EBUSY, "HELLO twice");
	fd2 = open(CTL, O_RDWR);
	check(fd2 >= 0, "second open: %s", strerror(errno));
	if (fd2 >= 0) {
		__u32 v = 0;

		check(!ioctl(fd2, DAEDALUS_IOC_VERSION, &v) &&
		      v == DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR, DAEDALUS_ABI_MINOR),
		      "VERSION on a second file");
		expect_errno(ioctl(fd2, DAEDALUS_IOC_HELLO, &h) ? -errno : 0, EBUSY, "HELLO from a second daemon");
		h.abi_version = DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR + 1, 0);
		expect_errno(ioctl(fd2, DAEDALUS_IOC_HELLO, &h) ? -errno : 0, EPROTO, "HELLO with another ABI major");
		h.abi_version = DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR, 0);
		h.reserved[1] = 1;
		expect_errno(ioctl(fd2, DAEDALUS_IOC_HELLO, &h) ? -errno : 0, EINVAL, "HELLO reserved set");
		expect_errno(complete(fd2, cookie, 0, 1, 0), ENOTCONN, "COMPLETE from a file without HELLO");
		expect_errno(mmap_err(fd2, pg, PROT_READ, MAP_SHARED, job->output.mmap_offset), ENOTCONN, "mmap from a file without HELLO");
		{
			struct daedalus_fetch f = { .buf = (uintptr_t)junk, .buf_size = sizeof(junk) };

			expect_errno(ioctl(fd2, DAEDALUS_IOC_FETCH, &f) ? -errno : 0, ENOTCONN, "FETCH from a file without HELLO");
		}
		close(fd2);
	}
}

/* What the backend learnt from a job's controls. */
struct job_ctrls {
	/* the picture's number, from the controls: it seeds the pattern */
	uint32_t frame_num;
	/* H.264: the bitstream must (not) start with a start code */
	bool check_start_code, annexb;
	/* 0, or the status the job completes with (controls inconsistent) */
	int status;
	/* a control is missing: the job fails at once */
	bool missing;
};

static void check_h264(const struct daedalus_job *job, struct job_ctrls *jc)
{
	const struct v4l2_ctrl_h264_decode_params *dp;
	const struct v4l2_ctrl_h264_sps *sps;
	const __s32 *mode, *start;
	bool hold = job->flags & DAEDALUS_JOB_HOLD_CAPTURE;
	uint32_t size;

	mode = job_ctrl(job, V4L2_CID_STATELESS_H264_DECODE_MODE, &size);
	check(mode && size == sizeof(__s32), "DECODE_MODE missing");
	start = job_ctrl(job, V4L2_CID_STATELESS_H264_START_CODE, &size);
	check(start && size == sizeof(__s32), "START_CODE missing");
	sps = job_ctrl(job, V4L2_CID_STATELESS_H264_SPS, &size);
	check(sps && size == sizeof(*sps), "SPS missing or %u bytes", size);
	check(job_ctrl(job, V4L2_CID_STATELESS_H264_PPS, &size) &&
	      size == sizeof(struct v4l2_ctrl_h264_pps), "PPS missing");
	check(job_ctrl(job, V4L2_CID_STATELESS_H264_SCALING_MATRIX, &size) &&
	      size == sizeof(struct v4l2_ctrl_h264_scaling_matrix), "SCALING_MATRIX missing");
	dp = job_ctrl(job, V4L2_CID_STATELESS_H264_DECODE_PARAMS, &size);
	check(dp && size == sizeof(*dp), "DECODE_PARAMS missing");
	if (!mode || !start || !sps || !dp) {
		jc->missing = true;
		return;
	}
	if (*mode == V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED)
		check(job_ctrl(job, V4L2_CID_STATELESS_H264_SLICE_PARAMS, &size) &&
		      size == sizeof(struct v4l2_ctrl_h264_slice_params), "SLICE_PARAMS missing");
	else
		check(!hold, "a held slice in frame-based mode");
	if (!lenient && (sps->pic_width_in_mbs_minus1 + 1) * 16u != job->width)
		jc->status = -EINVAL;
	check(!jc->status, "SPS width %u, CAPTURE width %u",
	      (sps->pic_width_in_mbs_minus1 + 1) * 16u, job->width);
	jc->frame_num = dp->frame_num;
	jc->check_start_code = true;
	jc->annexb = *start == V4L2_STATELESS_H264_START_CODE_ANNEX_B;
}

/*
 * VP9's and AV1's frame width and bit depth against the CAPTURE buffer's
 * (not held to the client's with --lenient).
 */
static void check_picture(const struct daedalus_job *job, const char *codec,
			  unsigned int width, unsigned int bit_depth)
{
	check(lenient || width <= job->width, "%s width %u, CAPTURE %u", codec, width, job->width);
	check(lenient || (job->pixelformat == V4L2_PIX_FMT_P010) == (bit_depth == 10),
	      "%s bit depth %u, CAPTURE %.4s", codec, bit_depth, (const char *)&job->pixelformat);
}

/* VP8 and VP9: one FRAME control each; the client numbers its frames in a free field. */
static void check_vp8(const struct daedalus_job *job, struct job_ctrls *jc)
{
	const struct v4l2_ctrl_vp8_frame *f;
	uint32_t size;

	f = job_ctrl(job, V4L2_CID_STATELESS_VP8_FRAME, &size);
	check(f && size == sizeof(*f), "VP8_FRAME missing or %u bytes", size);
	if (!f) {
		jc->missing = true;
		return;
	}
	check(lenient || f->width <= job->width, "VP8 width %u, CAPTURE %u", f->width, job->width);
	jc->frame_num = f->prob_skip_false;
}

static void check_vp9(const struct daedalus_job *job, struct job_ctrls *jc)
{
	const struct v4l2_ctrl_vp9_frame *f;
	uint32_t size;

	f = job_ctrl(job, V4L2_CID_STATELESS_VP9_FRAME, &size);
	check(f && size == sizeof(*f), "VP9_FRAME missing or %u bytes", size);
	check(job_ctrl(job, V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, &size) &&
	      size == sizeof(struct v4l2_ctrl_vp9_compressed_hdr), "VP9_COMPRESSED_HDR missing");
	if (!f) {
		jc->missing = true;
		return;
	}
	check_picture(job, "VP9", f->frame_width_minus_1 + 1, f->bit_depth);
	jc->frame_num = f->quant.base_q_idx;
}

/*
 * AV1: the sequence (it persists, so every job carries it), the frame and
 * its tile entries (a dynamic array of at least one).
 */
static void check_av1(const struct daedalus_job *job, struct job_ctrls *jc)
{
	const struct v4l2_ctrl_av1_sequence *s;
	const struct v4l2_ctrl_av1_frame *f;
	uint32_t size, tiles;

	s = job_ctrl(job, V4L2_CID_STATELESS_AV1_SEQUENCE, &size);
	check(s && size == sizeof(*s), "AV1_SEQUENCE missing or %u bytes", size);
	f = job_ctrl(job, V4L2_CID_STATELESS_AV1_FRAME, &size);
	check(f && size == sizeof(*f), "AV1_FRAME missing or %u bytes", size);
	check(job_ctrl(job, V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, &tiles) && tiles &&
	      tiles % sizeof(struct v4l2_ctrl_av1_tile_group_entry) == 0,
	      "AV1_TILE_GROUP_ENTRY missing or %u bytes", tiles);
	if (!s || !f) {
		jc->missing = true;
		return;
	}
	check_picture(job, "AV1", f->frame_width_minus_1 + 1, s->bit_depth);
	jc->frame_num = f->quantization.base_q_idx;
}

static void check_job_ctrls(const struct daedalus_job *job, struct job_ctrls *jc)
{
	switch (job->codec) {
	case DAEDALUS_CODEC_H264:
		check_h264(job, jc);
		break;
	case DAEDALUS_CODEC_VP8:
		check_vp8(job, jc);
		break;
	case DAEDALUS_CODEC_VP9:
		check_vp9(job, jc);
		break;
	case DAEDALUS_CODEC_AV1:
		check_av1(job, jc);
		break;
	default:
		check(0, "codec %u", job->codec);
		jc->missing = true;
	}
}

/*
 * Memory ids: nonzero, never the bitstream's for a CAPTURE buffer, and never
 * the id another CAPTURE index of the context has now (one id, one memory).
 */
static void check_memory_ids(const struct daedalus_job *job, struct held *h)
{
	uint32_t id = job->capture[0].memory_id;

	check(job->output.memory_id && id, "memory ids %u %u", job->output.memory_id, id);
	check(job->output.memory_id != id, "OUTPUT and CAPTURE share memory id %u", id);
	if (job->capture_index >= MAX_INDEX)
		return;
	for (uint32_t i = 0; i < MAX_INDEX; i++)
		check(i == job->capture_index || h->capture_ids[i] != id,
		      "CAPTURE %u has memory id %u of CAPTURE %u", job->capture_index, id, i);
	h->capture_ids[job->capture_index] = id;
}

/* Drops the context's kept mappings (all of them for ctx_id 0). */
static void drop_kept(uint32_t ctx_id)
{
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (!kept[i].p || (ctx_id && kept[i].ctx_id != ctx_id))
			continue;
		munmap(kept[i].p, kept[i].len);
		kept[i].p = NULL;
	}
}

/*
 * A job plane's mapping: a new one, or with --keep-mappings the one kept for
 * the slot (0 OUTPUT, 1 CAPTURE, and the buffer index) while its memory_id
 * is the same. NULL: it is the caller's to unmap.
 */
static void *map_plane(int fd, const struct daedalus_job *job, uint32_t slot, uint32_t index,
		       uint32_t memory_id, size_t len, int prot, uint64_t off, struct kept **k)
{
	struct kept *free_slot = NULL;
	void *p;

	*k = NULL;
	for (size_t i = 0; keep_mappings && i < sizeof(kept) / sizeof(kept[0]); i++) {
		struct kept *e = &kept[i];

		if (!e->p) {
			if (!free_slot)
				free_slot = e;
			continue;
		}
		if (e->ctx_id != job->hdr.ctx_id || e->slot != (slot << 16 | index))
			continue;
		if (e->memory_id == memory_id && e->len == len) {
			*k = e;
			return e->p;
		}
		munmap(e->p, e->len);	/* the slot has other memory now */
		e->p = NULL;
		free_slot = e;
	}
	p = mmap(NULL, len, prot, MAP_SHARED, fd, off);
	if (p != MAP_FAILED && free_slot) {
		*free_slot = (struct kept){ job->hdr.ctx_id, slot << 16 | index, memory_id, len, p };
		*k = free_slot;
	}
	return p;
}

static void handle_job(int fd, struct daedalus_job *job, uint32_t msg_size,
		       bool stall, bool do_garbage)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint32_t out_len, cap_len;
	struct job_ctrls jc = { 0 };
	const uint8_t *bits;
	uint8_t *cap;
	struct held *h;
	struct kept *kbits, *kcap;
	bool hold;
	int status;

	check(job->hdr.size == msg_size, "header size %u, message %u", job->hdr.size, msg_size);
	check(sizeof(*job) + job->ctrls_size == msg_size, "ctrls_size %u", job->ctrls_size);
	check(job->num_capture_planes == 1, "%u capture planes", job->num_capture_planes);
	check(job->pixelformat == V4L2_PIX_FMT_NV12 || job->pixelformat == V4L2_PIX_FMT_YUV420 ||
	      job->pixelformat == V4L2_PIX_FMT_P010, "pixelformat %#x", job->pixelformat);
	check(job->capture[0].bytesperline == capture_stride(job->pixelformat, job->width),
	      "bytesperline %u for width %u", job->capture[0].bytesperline, job->width);
	check(job->output.bytesused <= job->output.length, "bitstream %u past its buffer %u",
	      job->output.bytesused, job->output.length);
	hold = job->flags & DAEDALUS_JOB_HOLD_CAPTURE;
	check(!!(job->output_flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF) == hold,
	      "HOLD_CAPTURE flag %#x, output flags %#x", job->flags, job->output_flags);

	check_job_ctrls(job, &jc);
	if (jc.missing) {
		complete(fd, job->hdr.cookie, -EINVAL, 0, 0);
		return;
	}
	status = jc.status;

	out_len = (job->output.length + pg - 1) & ~(pg - 1);
	cap_len = (job->capture[0].length + pg - 1) & ~(pg - 1);
	bits = map_plane(fd, job, 0, job->output_index, job->output.memory_id, out_len, PROT_READ,
			 job->output.mmap_offset, &kbits);
	cap = map_plane(fd, job, 1, job->capture_index, job->capture[0].memory_id, cap_len,
			PROT_READ | PROT_WRITE, job->capture[0].mmap_offset, &kcap);
	if (bits == MAP_FAILED || cap == MAP_FAILED) {
		int err = errno, r = complete(fd, job->hdr.cookie, -EIO, 0, 0);

		/* Under v4l2-compliance the job may be gone already (STREAMOFF). */
		if (!lenient || r != -ENOENT)
			check(0, "mmap job buffers: %s", strerror(err));
		goto unmap;
	}
	if (record) {
		uint32_t n = job->output.bytesused;

		fwrite(&msg_size, sizeof(msg_size), 1, record);
		fwrite(job, msg_size, 1, record);
		fwrite(&n, sizeof(n), 1, record);
		fwrite(bits, n, 1, record);
		fflush(record);
	}
	if (!lenient && jc.check_start_code && job->output.bytesused >= 3) {
		bool has_sc = !bits[0] && !bits[1] && bits[2] == 1;

		check(has_sc == jc.annexb, "start code %s, Annex B %d",
		      has_sc ? "present" : "absent", jc.annexb);
		if (has_sc != jc.annexb)
			status = -EINVAL;
	}

	if (do_garbage)
		garbage(fd, job);
	if (stall)
		goto unmap;	/* never completed: the kernel's watchdog or our death ends it */

	h = held_for(job->hdr.ctx_id);
	check_memory_ids(job, h);
	if (h->slices && (h->capture_index != job->capture_index ||
			  h->timestamp != job->timestamp))
		h->slices = 0;	/* the kernel returned the held picture: a new one starts */
	h->capture_index = job->capture_index;
	h->timestamp = job->timestamp;
	h->slices++;
	if (hold) {
		expect_done(complete(fd, job->hdr.cookie, status, status ? 0 : 1, 0), "COMPLETE held slice");
	} else {
		uint32_t n = job->capture[0].bytesperline * job->height * 3 / 2;
		uint32_t seed = pattern_seed(bits, job->output.bytesused, job->timestamp / 1000,
					     jc.frame_num, h->slices);

		if (!status)
			pattern_fill(cap, n, seed);
		if (!status && corrupt)
			cap[n / 2] ^= 0x10;
		h->slices = 0;
		expect_done(complete(fd, job->hdr.cookie, status, status ? 0 : 1, status ? 0 : n),
			    "COMPLETE");
		if (do_garbage)
			expect_errno(complete(fd, job->hdr.cookie, 0, 1, n), ENOENT, "COMPLETE stale cookie");
	}
unmap:
	if (bits != MAP_FAILED && !kbits)
		munmap((void *)bits, out_len);
	if (cap != MAP_FAILED && !kcap)
		munmap(cap, cap_len);
}

/* Completes the held jobs, last fetched first. */
static void flush_batch(int fd)
{
	while (npend) {
		npend--;
		handle_job(fd, (void *)pend[npend], pend_size[npend], false, false);
	}
}

/* --close-mapped */
static int close_holding_mapping(int fd, const struct daedalus_job *job)
{
	uint32_t len = job->capture[0].length;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       job->capture[0].mmap_offset);

	check(p != MAP_FAILED, "mmap CAPTURE: %s", strerror(errno));
	close(fd);
	printf("backend: closed the control device holding a mapping of job %u\n",
	       job->hdr.cookie);
	while (!stop)
		pause();
	if (p != MAP_FAILED)
		munmap(p, len);
	printf("backend: %d failures\n", failures);
	return failures ? 1 : 0;
}

/* poll()'s revents on @fd within @timeout_ms, or -1 */
static int revents(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	return n < 0 ? -1 : n ? p.revents : 0;
}

/*
 * --hup: a connected daemon's file polls quiet; any other hangs up, and a
 * copy left in a child after fork() hangs up when the parent's close ends the
 * connection, waking the child's poll() (10 s at most: a timeout fails).
 */
static int hup_check(int fd)
{
	int other = open(CTL, O_RDWR | O_CLOEXEC), ready[2], status = 0, r;
	pid_t child;
	char c = 0;

	check(other >= 0, "open %s: %s", CTL, strerror(errno));
	r = revents(other, 0);
	check(r == POLLHUP, "poll of a file that never said HELLO: revents %#x, want POLLHUP", r);
	close(other);
	r = revents(fd, 0);
	check(r == 0, "poll of the connected daemon's file: revents %#x, want none", r);
	if (pipe(ready))
		return perror("pipe"), 1;
	child = fork();
	if (child < 0)
		return perror("fork"), 1;
	if (!child) {
		close(ready[0]);
		if (write(ready[1], &c, 1) != 1)
			_exit(2);
		r = revents(fd, 10000);
		printf("backend: the child's copy, polled as the parent disconnects: revents %#x\n", r);
		_exit(r == POLLHUP && ioctl(fd, DAEDALUS_IOC_FETCH, &(struct daedalus_fetch){ 0 }) &&
		      errno == ENOTCONN ? 0 : 1);
	}
	close(ready[1]);
	check(read(ready[0], &c, 1) == 1, "the child did not start");
	/* Likely, not needed, for the child to be inside poll() already. */
	usleep(200000);
	close(fd);
	check(waitpid(child, &status, 0) == child && WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child's copy of the disconnected file did not hang up (status %#x)", status);
	printf("backend: hang-ups checked, %d failures\n", failures);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	static uint8_t buf[DAEDALUS_MAX_MSG_SIZE] __attribute__((aligned(8)));
	struct daedalus_hello hello = { 0 };
	unsigned long stall_after = ~0UL, jobs = 0, ctx_msgs = 0;
	bool do_garbage = false, close_mapped = false, hup = false;
	uint32_t codecs = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264) |
		DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP8) | DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_VP9) |
		DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_AV1);
	uint32_t stream_codecs = DAEDALUS_CODEC_BIT(DAEDALUS_CODEC_H264);
	__u32 version = 0;
	int fd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--codecs") && i + 1 < argc)
			codecs = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--stream-codecs") && i + 1 < argc)
			stream_codecs = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--stall-after") && i + 1 < argc)
			stall_after = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--garbage"))
			do_garbage = true;
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--corrupt"))
			corrupt = true;
		else if (!strcmp(argv[i], "--lenient"))
			lenient = true;
		else if (!strcmp(argv[i], "--quiet"))
			quiet = true;
		else if (!strcmp(argv[i], "--record") && i + 1 < argc) {
			record = fopen(argv[++i], "wb");
			if (!record) {
				perror(argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "--hup")) {
			hup = true;
		} else if (!strcmp(argv[i], "--close-dup")) {
			close_dup = true;
		} else if (!strcmp(argv[i], "--keep-mappings"))
			keep_mappings = true;
		else if (!strcmp(argv[i], "--close-mapped"))
			close_mapped = true;
		else {
			fprintf(stderr, "usage: %s [--codecs MASK] [--stream-codecs MASK] [--stall-after N] [--garbage] [--batch N] [--corrupt] [--lenient] [--close-mapped] [--close-dup] [--hup] [--quiet]\n", argv[0]);
			return 2;
		}
	}
	if (batch < 1 || batch > MAX_BATCH) {
		fprintf(stderr, "--batch: 1 to %d\n", MAX_BATCH);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	fd = open(CTL, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(CTL);
		return 1;
	}
	if (ioctl(fd, DAEDALUS_IOC_VERSION, &version) ||
	    version >> 16 != DAEDALUS_ABI_MAJOR) {
		fprintf(stderr, "module ABI %#x, backend %#x\n", version,
			DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR, DAEDALUS_ABI_MINOR));
		return 1;
	}
	hello.abi_version = DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR, DAEDALUS_ABI_MINOR);
	hello.codecs = codecs;
	/* ABI 1.3: streams, declared only to a module that has them */
	if ((version & 0xffff) >= 3)
		hello.stream_codecs = stream_codecs;
	if (ioctl(fd, DAEDALUS_IOC_HELLO, &hello)) {
		perror("HELLO");
		return 1;
	}
	check(hello.max_msg_size == DAEDALUS_MAX_MSG_SIZE, "max_msg_size %u", hello.max_msg_size);
	check(hello.driver_version[sizeof(hello.driver_version) - 1] == 0, "driver_version not terminated");
	printf("backend: connected, module %s, ABI %#x, kernel codecs %#x, stream codecs %#x\n",
	       hello.driver_version, hello.kernel_abi_version, hello.kernel_codecs,
	       hello.stream_codecs);
	if (close_dup) {
		int dup_fd = dup(fd);

		check(dup_fd >= 0 && !close(dup_fd), "dup and close: %s", strerror(errno));
		printf("backend: closed a dup of the control device\n");
	}
	if (hup)
		return hup_check(fd);

	while (!stop) {
		struct daedalus_fetch f = { .buf = (uintptr_t)buf, .buf_size = sizeof(buf) };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct daedalus_msg_hdr *hdr = (void *)buf;

		if (poll(&p, 1, npend ? 30 : 200) <= 0) {
			flush_batch(fd);	/* nothing more arrives */
			continue;
		}
		if (do_garbage && !jobs) {
			/* A short buffer: ENOSPC with the size needed, the message stays. */
			struct daedalus_fetch small = { .buf = (uintptr_t)buf, .buf_size = 4 };

			expect_errno(ioctl(fd, DAEDALUS_IOC_FETCH, &small) ? -errno : 0, ENOSPC, "FETCH into 4 bytes");
			check(small.msg_size >= sizeof(struct daedalus_msg_hdr), "ENOSPC msg_size %u", small.msg_size);
		}
		memset(buf, 0xa5, sizeof(buf));
		if (ioctl(fd, DAEDALUS_IOC_FETCH, &f)) {
			check(errno == EAGAIN, "FETCH: %s", strerror(errno));
			continue;
		}
		check(f.msg_size >= sizeof(*hdr) && hdr->size == f.msg_size, "message size %u/%u",
		      f.msg_size, hdr->size);
		switch (hdr->type) {
		case DAEDALUS_MSG_CTX_OPEN:
		case DAEDALUS_MSG_CTX_CLOSE:
			check(f.msg_size == sizeof(*hdr) && !hdr->cookie && hdr->ctx_id,
			      "context message %u: size %u cookie %u", hdr->type, f.msg_size, hdr->cookie);
			if (hdr->type == DAEDALUS_MSG_CTX_CLOSE) {
				held_for(hdr->ctx_id)->ctx_id = 0;
				drop_kept(hdr->ctx_id);
				stream_context_closed(hdr->ctx_id);
			}
			ctx_msgs++;
			break;
		case DAEDALUS_MSG_DECODE:
			check(f.msg_size >= sizeof(struct daedalus_job), "short job %u", f.msg_size);
			if (!quiet)
				printf("backend: job cookie %u ctx %u %ux%u out %u bytes%s\n",
				       hdr->cookie, hdr->ctx_id, ((struct daedalus_job *)buf)->width,
				       ((struct daedalus_job *)buf)->height,
				       ((struct daedalus_job *)buf)->output.bytesused,
				       ((struct daedalus_job *)buf)->flags & DAEDALUS_JOB_HOLD_CAPTURE ? " hold" : "");
			if (close_mapped)
				return close_holding_mapping(fd, (void *)buf);
			if (batch > 1 && jobs < stall_after && !do_garbage) {
				memcpy(pend[npend], buf, f.msg_size);
				pend_size[npend++] = f.msg_size;
				if (npend > max_inflight)
					max_inflight = npend;
				if (npend == batch)
					flush_batch(fd);
			} else {
				handle_job(fd, (void *)buf, f.msg_size, jobs >= stall_after,
					   do_garbage && !jobs);
			}
			jobs++;
			break;
		case DAEDALUS_MSG_STREAM_START:
		case DAEDALUS_MSG_STREAM_DATA:
		case DAEDALUS_MSG_STREAM_CAPTURE:
		case DAEDALUS_MSG_STREAM_DRAIN:
		case DAEDALUS_MSG_STREAM_RESUME:
		case DAEDALUS_MSG_STREAM_CAPTURE_RESET:
		case DAEDALUS_MSG_STREAM_STOP:
			if (jobs >= stall_after)
				break;	/* hangs: streams too */
			stream_message(fd, buf, f.msg_size);
			break;
		default:
			check(0, "unknown message type %u", hdr->type);
		}
	}
	flush_batch(fd);
	if (batch > 1)
		printf("backend: at most %u jobs in flight at once\n", max_inflight);
	if (do_garbage)
		printf("backend: hostile: %u invalid requests, %u refused with their documented errno\n",
		       hostile_sent, hostile_refused);
	stream_report();
	printf("backend: %lu jobs, %lu context messages, %d failures\n", jobs, ctx_msgs, failures);
	drop_kept(0);
	close(fd);
	return failures ? 1 : 0;
}
