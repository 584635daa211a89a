/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * daedalus-v4l2: wire protocol between daedalus_v4l2.ko and its decoding daemon.
 *
 * The one definition of the protocol; docs/protocol.md explains it. Every
 * structure has a fixed layout (explicit padding, naturally aligned 64-bit
 * fields) so that the kernel, a C test backend and the Deno daemon's typed
 * struct views all agree on every architecture.
 */
#ifndef _UAPI_DAEDALUS_V4L2_H
#define _UAPI_DAEDALUS_V4L2_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Name of the control device: /dev/daedalus-v4l2 */
#define DAEDALUS_CTL_NAME		"daedalus-v4l2"

/*
 * ABI version: the major changes when a structure or an ioctl changes
 * incompatibly, the minor when something is added that an older daemon may
 * ignore. The kernel accepts a daemon whose major equals its own.
 */
#define DAEDALUS_ABI_MAJOR		1
#define DAEDALUS_ABI_MINOR		2
#define DAEDALUS_ABI_VERSION(major, minor)	(((major) << 16) | (minor))

/* Codecs, as indices; masks are (1 << codec). */
enum daedalus_codec {
	DAEDALUS_CODEC_NONE	= 0,
	DAEDALUS_CODEC_H264	= 1,
	DAEDALUS_CODEC_HEVC	= 2,
	DAEDALUS_CODEC_VP8	= 3,
	DAEDALUS_CODEC_VP9	= 4,
	DAEDALUS_CODEC_MPEG2	= 5,
	DAEDALUS_CODEC_AV1	= 6,
};

#define DAEDALUS_CODEC_BIT(codec)	(1U << (codec))

/*
 * The largest message DAEDALUS_IOC_FETCH can return (HELLO's max_msg_size
 * says the same). Each job's message is sized for its controls; most are a
 * few KiB, so a daemon starts with a small buffer and grows it when FETCH
 * fails with ENOSPC. ABI 1.0 modules capped messages at 64 KiB.
 */
#define DAEDALUS_MAX_MSG_SIZE		1048576	/* 1 MiB */

#define DAEDALUS_MAX_PLANES		3

/**
 * struct daedalus_hello - the daemon introduces itself (DAEDALUS_IOC_HELLO)
 * @abi_version: in: DAEDALUS_ABI_VERSION() the daemon was built for
 * @codecs: in: mask of codecs the daemon can decode
 * @kernel_abi_version: out: the module's DAEDALUS_ABI_VERSION()
 * @kernel_codecs: out: mask of codecs the module supports (built in and
 *	allowed by its module parameters)
 * @max_msg_size: out: the largest message FETCH returns
 * @reserved: zero
 * @driver_version: out: the module's version string, NUL-terminated
 *
 * Only one daemon can be connected: a second HELLO fails with EBUSY.
 */
struct daedalus_hello {
	__u32 abi_version;
	__u32 codecs;
	__u32 kernel_abi_version;
	__u32 kernel_codecs;
	__u32 max_msg_size;
	__u32 reserved[3];
	char driver_version[32];
};

/**
 * struct daedalus_fetch - take the next message (DAEDALUS_IOC_FETCH)
 * @buf: in: user address of a buffer for one message
 * @buf_size: in: its size; DAEDALUS_MAX_MSG_SIZE always suffices
 * @msg_size: out: the size of the message written, or, with ENOSPC, the size
 *	the buffer needs (the message stays queued)
 *
 * Fails with EAGAIN when no message is pending; poll() the control device
 * for POLLIN to wait for one.
 */
struct daedalus_fetch {
	__u64 buf;
	__u32 buf_size;
	__u32 msg_size;
};

/* Message types */
enum daedalus_msg_type {
	DAEDALUS_MSG_CTX_OPEN	= 1,	/* a client opened a decoding context */
	DAEDALUS_MSG_CTX_CLOSE	= 2,	/* ... and closed it: free its decoder */
	DAEDALUS_MSG_DECODE	= 3,	/* struct daedalus_job */
};

/**
 * struct daedalus_msg_hdr - starts every message
 * @type: enum daedalus_msg_type
 * @size: size of the whole message, this header included
 * @ctx_id: the decoding context (unique while the module is loaded)
 * @cookie: DECODE: names the job in COMPLETE and in mmap offsets; else 0
 */
struct daedalus_msg_hdr {
	__u32 type;
	__u32 size;
	__u32 ctx_id;
	__u32 cookie;
};

/**
 * struct daedalus_plane - one plane of a buffer the daemon may map
 * @mmap_offset: offset to mmap() the control device at; valid while the job
 *	is in flight; opaque to the daemon
 * @length: size of the plane's memory
 * @bytesperline: CAPTURE: line stride; OUTPUT: 0
 * @bytesused: OUTPUT: bytes of bitstream; CAPTURE: 0
 * @memory_id: (ABI 1.2; 0 from older modules) names the buffer's memory: the
 *	same nonzero id in a later job means the same memory, so a mapping the
 *	daemon made of it for an earlier job may be used again instead of
 *	mapping it anew. A new allocation or import gets a new id.
 */
struct daedalus_plane {
	__u64 mmap_offset;
	__u32 length;
	__u32 bytesperline;
	__u32 bytesused;
	__u32 memory_id;
};

/* struct daedalus_job flags */
#define DAEDALUS_JOB_HOLD_CAPTURE	0x00000001 /* more slices of this picture follow */

/**
 * struct daedalus_job - a DAEDALUS_MSG_DECODE message
 * @hdr: type DAEDALUS_MSG_DECODE, its cookie and context
 * @codec: enum daedalus_codec
 * @flags: DAEDALUS_JOB_*
 * @timestamp: the OUTPUT buffer's timestamp, in ns
 * @output_index: the OUTPUT buffer's vb2 index
 * @capture_index: the CAPTURE buffer's vb2 index (the same index across the
 *	jobs of one held picture)
 * @output_flags: the OUTPUT buffer's V4L2_BUF_FLAG_* (as the client queued it)
 * @width: CAPTURE format width (coded, aligned to the codec's block size)
 * @height: CAPTURE format height
 * @pixelformat: CAPTURE V4L2_PIX_FMT_* (NV12, YUV420 or YUV420M)
 * @num_capture_planes: planes in @capture (1 for NV12 and YUV420, 3 for
 *	YUV420M: Y, Cb, Cr each in its own memory plane)
 * @output: the bitstream (read-only mapping)
 * @capture: where the picture goes (read-write mapping)
 * @num_ctrls: controls that follow
 * @ctrls_size: bytes of controls that follow
 *
 * Followed by @num_ctrls struct daedalus_ctrl records: the request's codec
 * controls, each the raw payload of the kernel's uAPI struct.
 */
struct daedalus_job {
	struct daedalus_msg_hdr hdr;
	__u32 codec;
	__u32 flags;
	__u64 timestamp;
	__u32 output_index;
	__u32 capture_index;
	__u32 output_flags;
	__u32 width;
	__u32 height;
	__u32 pixelformat;
	__u32 num_capture_planes;
	__u32 reserved0;
	struct daedalus_plane output;
	struct daedalus_plane capture[DAEDALUS_MAX_PLANES];
	__u32 num_ctrls;
	__u32 ctrls_size;
};

/**
 * struct daedalus_ctrl - one control in a job
 * @id: V4L2_CID_*
 * @size: bytes of payload (elem_size * elems)
 *
 * Followed by @size bytes of payload, then zero padding to a multiple of 8.
 */
struct daedalus_ctrl {
	__u32 id;
	__u32 size;
};

/**
 * struct daedalus_complete - finish a job (DAEDALUS_IOC_COMPLETE)
 * @cookie: the job's cookie
 * @status: 0 when the picture is in the CAPTURE buffer (or, for a job with
 *	DAEDALUS_JOB_HOLD_CAPTURE, the slice was taken); a negative errno when
 *	decoding failed: the buffers return with V4L2_BUF_FLAG_ERROR
 * @num_planes: equal to the job's num_capture_planes when @status is 0
 * @reserved: zero
 * @bytesused: per CAPTURE plane, at most the plane's length
 *
 * A completion that does not match an in-flight job (unknown or stale
 * cookie, plane count or sizes out of range, reserved fields set) fails with
 * EINVAL or ENOENT and changes nothing.
 */
struct daedalus_complete {
	__u32 cookie;
	__s32 status;
	__u32 num_planes;
	__u32 reserved;
	__u32 bytesused[DAEDALUS_MAX_PLANES];
	__u32 reserved2;
};

#define DAEDALUS_IOC_MAGIC	0xDA

/* Never changes: tells any daemon which ABI this module speaks. */
#define DAEDALUS_IOC_VERSION	_IOR(DAEDALUS_IOC_MAGIC, 0, __u32)
#define DAEDALUS_IOC_HELLO	_IOWR(DAEDALUS_IOC_MAGIC, 1, struct daedalus_hello)
#define DAEDALUS_IOC_FETCH	_IOWR(DAEDALUS_IOC_MAGIC, 2, struct daedalus_fetch)
#define DAEDALUS_IOC_COMPLETE	_IOW(DAEDALUS_IOC_MAGIC, 3, struct daedalus_complete)

#endif /* _UAPI_DAEDALUS_V4L2_H */
