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
#define DAEDALUS_ABI_MINOR		3
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
	/* stateful node only (ABI 1.3) */
	DAEDALUS_CODEC_MPEG1	= 7,
	DAEDALUS_CODEC_MPEG4	= 8,	/* MPEG-4 Part 2, XVID too */
	DAEDALUS_CODEC_H263	= 9,
	DAEDALUS_CODEC_VC1	= 10,	/* VC-1 Annex G (advanced profile) */
	DAEDALUS_CODEC_VC1L	= 11,	/* VC-1 Annex L (simple/main, RCV) */
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
 * @stream_codecs: (ABI 1.3; zero before) in: mask of codecs the daemon
 *	decodes as streams (the stateful node); out: the module's. A daemon sets
 *	it only when DAEDALUS_IOC_VERSION said minor >= 3: older modules refuse
 *	a nonzero reserved field. A daemon that sends 0 gets no stream message.
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
	__u32 stream_codecs;
	__u32 reserved[2];
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
	/* the stateful node's streams (ABI 1.3), see "Streams" below */
	DAEDALUS_MSG_STREAM_START	= 4,	/* struct daedalus_stream_start */
	DAEDALUS_MSG_STREAM_DATA	= 5,	/* struct daedalus_stream_data */
	DAEDALUS_MSG_STREAM_CAPTURE	= 6,	/* struct daedalus_stream_capture */
	DAEDALUS_MSG_STREAM_DRAIN	= 7,	/* struct daedalus_stream_msg */
	DAEDALUS_MSG_STREAM_RESUME	= 8,	/* struct daedalus_stream_msg */
	DAEDALUS_MSG_STREAM_CAPTURE_RESET = 9,	/* struct daedalus_stream_msg */
	DAEDALUS_MSG_STREAM_STOP	= 10,	/* struct daedalus_stream_msg */
};

/**
 * struct daedalus_msg_hdr - starts every message
 * @type: enum daedalus_msg_type
 * @size: size of the whole message, this header included
 * @ctx_id: the decoding context (unique while the module is loaded)
 * @cookie: DECODE: names the job in COMPLETE and in mmap offsets;
 *	STREAM_DATA, STREAM_CAPTURE: names the buffer in the answer and in mmap
 *	offsets; else 0
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

/*
 * Streams (ABI 1.3): the stateful decoder node sends its bitstream and its
 * CAPTURE buffers to the daemon, which parses, decodes and answers. Every
 * stream message starts with struct daedalus_msg_hdr then the stream's
 * epoch: the count of OUTPUT STREAMONs of the context. An answer that names
 * an older epoch, or a cookie not in flight, fails with ENOENT and changes
 * nothing. docs/protocol.md "Streams" gives the order of things.
 */

/**
 * struct daedalus_stream_msg - STREAM_DRAIN, STREAM_RESUME,
 *	STREAM_CAPTURE_RESET and STREAM_STOP, which carry nothing else:
 *	DRAIN: answered by a STREAM_PICTURE flagged LAST once every picture of
 *	the bitstream sent before it is out; RESUME: decoding goes on after a
 *	drain (one not finished yet, because the client stopped CAPTURE, ends);
 *	CAPTURE_RESET: the daemon forgets its CAPTURE buffers, keeps pictures;
 *	STOP (a seek, or the end): the daemon forgets the epoch's bitstream,
 *	pictures and CAPTURE buffers (the next epoch sends them again)
 * @hdr: the message type and context (cookie 0)
 * @epoch: the stream's epoch
 * @reserved: zero
 */
struct daedalus_stream_msg {
	struct daedalus_msg_hdr hdr;
	__u32 epoch;
	__u32 reserved;
};

/**
 * struct daedalus_stream_start - a DAEDALUS_MSG_STREAM_START message: the
 *	client started the OUTPUT queue, a new epoch begins
 * @hdr: the message type and context (cookie 0)
 * @epoch: the new epoch
 * @codec: enum daedalus_codec
 * @pixelformat: the OUTPUT V4L2_PIX_FMT_* (e.g. H264, XVID, VC1_ANNEX_L)
 * @width: the OUTPUT format's width (a placeholder: the stream decides)
 * @height: the OUTPUT format's height
 * @reserved: zero
 */
struct daedalus_stream_start {
	struct daedalus_msg_hdr hdr;
	__u32 epoch;
	__u32 codec;
	__u32 pixelformat;
	__u32 width;
	__u32 height;
	__u32 reserved;
};

/**
 * struct daedalus_stream_data - a DAEDALUS_MSG_STREAM_DATA message: one
 *	OUTPUT buffer of bitstream, in the client's queue order
 * @hdr: the message type, context and the buffer's cookie
 * @epoch: the stream's epoch
 * @index: the OUTPUT buffer's vb2 index
 * @timestamp: its timestamp, in ns
 * @flags: its V4L2_BUF_FLAG_* as the client queued it
 * @reserved: zero
 * @data: the bytes (read-only mapping; @data.bytesused of them)
 *
 * Answered by DAEDALUS_IOC_STREAM_DATA_DONE once the daemon has copied every
 * byte out; the buffer then returns to the client.
 */
struct daedalus_stream_data {
	struct daedalus_msg_hdr hdr;
	__u32 epoch;
	__u32 index;
	__u64 timestamp;
	__u32 flags;
	__u32 reserved;
	struct daedalus_plane data;
};

/**
 * struct daedalus_stream_capture - a DAEDALUS_MSG_STREAM_CAPTURE message: a
 *	CAPTURE buffer for the next picture, sent while the CAPTURE setup fits
 *	the stream's format, and before the epoch's first format (the daemon
 *	sends the format before it writes a picture)
 * @hdr: the message type, context and the buffer's cookie
 * @epoch: the stream's epoch
 * @index: the CAPTURE buffer's vb2 index
 * @width: CAPTURE format width (coded, aligned to the codec's block size)
 * @height: CAPTURE format height
 * @pixelformat: CAPTURE V4L2_PIX_FMT_* (NV12, YUV420, YUV420M or P010)
 * @num_planes: planes in @planes
 * @planes: where a picture goes (read-write mapping)
 *
 * Answered by DAEDALUS_IOC_STREAM_PICTURE.
 */
struct daedalus_stream_capture {
	struct daedalus_msg_hdr hdr;
	__u32 epoch;
	__u32 index;
	__u32 width;
	__u32 height;
	__u32 pixelformat;
	__u32 num_planes;
	struct daedalus_plane planes[DAEDALUS_MAX_PLANES];
};

/**
 * struct daedalus_stream_data_done - the daemon has taken an OUTPUT buffer's
 *	bytes (DAEDALUS_IOC_STREAM_DATA_DONE)
 * @cookie: the STREAM_DATA message's cookie
 * @status: 0, or a negative errno: the buffer returns with
 *	V4L2_BUF_FLAG_ERROR (its bytes could not be used); the stream goes on
 * @reserved: zero
 */
struct daedalus_stream_data_done {
	__u32 cookie;
	__s32 status;
	__u32 reserved[2];
};

/* struct daedalus_stream_picture flags */
#define DAEDALUS_PICTURE_LAST		0x00000001 /* the drain's (or a format change's) last */
#define DAEDALUS_PICTURE_KEYFRAME	0x00000002
#define DAEDALUS_PICTURE_PFRAME		0x00000004
#define DAEDALUS_PICTURE_BFRAME		0x00000008

/**
 * struct daedalus_stream_picture - a picture is in a CAPTURE buffer
 *	(DAEDALUS_IOC_STREAM_PICTURE)
 * @cookie: the STREAM_CAPTURE message's cookie
 * @epoch: the stream's epoch
 * @status: 0, or a negative errno: the buffer returns with
 *	V4L2_BUF_FLAG_ERROR (a picture that failed or that the daemon cannot
 *	vouch for); the stream goes on
 * @flags: DAEDALUS_PICTURE_*; LAST with @num_planes 0 returns an empty
 *	buffer (the end of a drain with no picture left)
 * @timestamp: the picture's timestamp, in ns: that of the OUTPUT buffer
 *	that held the picture's first byte
 * @num_planes: the STREAM_CAPTURE message's num_planes, or 0 (empty)
 * @bytesused: per plane, at most the plane's length
 */
struct daedalus_stream_picture {
	__u32 cookie;
	__u32 epoch;
	__s32 status;
	__u32 flags;
	__u64 timestamp;
	__u32 num_planes;
	__u32 bytesused[DAEDALUS_MAX_PLANES];
};

/**
 * struct daedalus_stream_format - the stream's format, as parsed
 *	(DAEDALUS_IOC_STREAM_FORMAT), sent before the first picture of an epoch
 *	and before the first picture of another size, depth or visible
 *	rectangle (once every earlier picture is out)
 * @ctx_id: in: the context
 * @epoch: in: the stream's epoch
 * @width: in: coded width of the decoded pictures
 * @height: in: coded height
 * @visible_left: in: the visible rectangle within them
 * @visible_top: in
 * @visible_width: in
 * @visible_height: in
 * @bit_depth: in: 8 or 10
 * @chroma_format: in: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
 * @min_buffers: in: V4L2_CID_MIN_BUFFERS_FOR_CAPTURE from now on
 * @colorspace: in: V4L2_COLORSPACE_* (0: default)
 * @xfer_func: in: V4L2_XFER_FUNC_*
 * @ycbcr_enc: in: V4L2_YCBCR_ENC_*
 * @quantization: in: V4L2_QUANTIZATION_*
 * @fits: out: 1 when the CAPTURE setup fits and decoding goes on; 0 when the
 *	client must set CAPTURE up again (the CAPTURE buffers the daemon held
 *	are taken back; STREAM_CAPTURE messages follow once it fits)
 * @reserved: zero
 *
 * A format the node cannot output fails with EOPNOTSUPP: the stream ends in
 * error, the reason in the kernel log.
 */
struct daedalus_stream_format {
	__u32 ctx_id;
	__u32 epoch;
	__u32 width;
	__u32 height;
	__u32 visible_left;
	__u32 visible_top;
	__u32 visible_width;
	__u32 visible_height;
	__u32 bit_depth;
	__u32 chroma_format;
	__u32 min_buffers;
	__u32 colorspace;
	__u32 xfer_func;
	__u32 ycbcr_enc;
	__u32 quantization;
	__u32 fits;
	__u32 reserved[4];
};

#define DAEDALUS_STREAM_REASON_SIZE	64

/**
 * struct daedalus_stream_error - the stream cannot go on
 *	(DAEDALUS_IOC_STREAM_ERROR): a decoder that cannot be made, a format
 *	refused, a deadline passed
 * @ctx_id: the context
 * @epoch: the stream's epoch
 * @error: a negative errno
 * @reserved: zero
 * @reason: NUL-terminated, for the kernel log (ratelimited)
 *
 * The context's queues fail (vb2_queue_error) until the client stops both.
 */
struct daedalus_stream_error {
	__u32 ctx_id;
	__u32 epoch;
	__s32 error;
	__u32 reserved;
	char reason[DAEDALUS_STREAM_REASON_SIZE];
};

#define DAEDALUS_IOC_MAGIC	0xDA

/* Never changes: tells any daemon which ABI this module speaks. */
#define DAEDALUS_IOC_VERSION	_IOR(DAEDALUS_IOC_MAGIC, 0, __u32)
#define DAEDALUS_IOC_HELLO	_IOWR(DAEDALUS_IOC_MAGIC, 1, struct daedalus_hello)
#define DAEDALUS_IOC_FETCH	_IOWR(DAEDALUS_IOC_MAGIC, 2, struct daedalus_fetch)
#define DAEDALUS_IOC_COMPLETE	_IOW(DAEDALUS_IOC_MAGIC, 3, struct daedalus_complete)
/* ABI 1.3: streams */
#define DAEDALUS_IOC_STREAM_DATA_DONE \
	_IOW(DAEDALUS_IOC_MAGIC, 4, struct daedalus_stream_data_done)
#define DAEDALUS_IOC_STREAM_PICTURE \
	_IOW(DAEDALUS_IOC_MAGIC, 5, struct daedalus_stream_picture)
#define DAEDALUS_IOC_STREAM_FORMAT \
	_IOWR(DAEDALUS_IOC_MAGIC, 6, struct daedalus_stream_format)
#define DAEDALUS_IOC_STREAM_ERROR \
	_IOW(DAEDALUS_IOC_MAGIC, 7, struct daedalus_stream_error)

#endif /* _UAPI_DAEDALUS_V4L2_H */
