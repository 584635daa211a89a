/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * daedalus-v4l2: a V4L2 stateless decoder whose decoding is done by a
 * userspace daemon reached through a control device.
 */
#ifndef _DAEDALUS_H_
#define _DAEDALUS_H_

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>
#include <media/media-device.h>
#include <media/v4l2-ctrls.h>
#include <media/v4l2-device.h>
#include <media/v4l2-fh.h>
#include <media/v4l2-mem2mem.h>

#include "uapi/daedalus_v4l2.h"

#define DAEDALUS_NAME		"daedalus-v4l2"
#define DAEDALUS_BUS_INFO	"platform:" DAEDALUS_NAME
#define DAEDALUS_STREAM_NAME	DAEDALUS_NAME "-stateful"
#define DAEDALUS_STREAM_BUS_INFO	"platform:" DAEDALUS_STREAM_NAME
#define DAEDALUS_VERSION	"0.1.0"

#define DAEDALUS_MIN_SIZE	16
#define DAEDALUS_MAX_WIDTH	8192
#define DAEDALUS_MAX_HEIGHT	4352
#define DAEDALUS_DEF_WIDTH	1280
#define DAEDALUS_DEF_HEIGHT	720

/* Controls carried by one job: bounded so a message always fits. */
#define DAEDALUS_MAX_JOB_CTRLS	16

/* Cookies stay below 2^30 so mmap offsets fit a 32-bit mmap2() pgoff. */
#define DAEDALUS_COOKIE_MASK	(BIT(30) - 1)
/* mmap offset in pages: cookie * 4 + slot (0 OUTPUT, 1.. CAPTURE planes) */
#define DAEDALUS_SLOTS_SHIFT	2

/* CAPTURE strides are multiples of this, in bytes, in every plane */
#define DAEDALUS_STRIDE_ALIGN	64

extern unsigned int daedalus_job_timeout_ms;
extern bool daedalus_requires_requests;
extern unsigned int daedalus_codecs_param;

struct daedalus_ctx;
struct daedalus_stream;
struct seq_file;

/**
 * struct daedalus_cap_formats - CAPTURE pixel formats a codec's pictures can go to
 * @fourccs: the formats, the default first
 * @num: entries in @fourccs
 */
struct daedalus_cap_formats {
	const u32 *fourccs;
	unsigned int num;
};

/* 8-bit 4:2:0: NV12, YUV420, YUV420M (daedalus-video.c) */
extern const struct daedalus_cap_formats daedalus_cap_formats_8bit;
/* 10-bit 4:2:0: P010 */
extern const struct daedalus_cap_formats daedalus_cap_formats_10bit;

/* Chroma formats; the first four as H.264's chroma_format_idc numbers them. */
enum daedalus_chroma {
	DAEDALUS_CHROMA_400,
	DAEDALUS_CHROMA_420,
	DAEDALUS_CHROMA_422,
	DAEDALUS_CHROMA_444,
	DAEDALUS_CHROMA_440,
	DAEDALUS_NUM_CHROMA
};

/**
 * struct daedalus_picture - what a stream's header says of its pictures
 * @width: coded width
 * @height: coded height
 * @bit_depth: bits per sample (one for luma and chroma)
 * @chroma: enum daedalus_chroma
 */
struct daedalus_picture {
	unsigned int width;
	unsigned int height;
	unsigned int bit_depth;
	unsigned int chroma;
};

/**
 * struct daedalus_picture_caps - the pictures a codec decodes, and where to
 *	(the limits a stateless and a stream descriptor share)
 * @name: short name, for sysfs, debugfs and logs
 * @block: width and height alignment of the decoded picture
 * @max_width: the widest coded picture it decodes
 * @max_height: the tallest coded picture it decodes
 * @bit_depths: the bit depths the daemon decodes it at, BIT(depth) each;
 *	one above 8 needs @cap_formats_10bit
 * @chroma_formats: the chroma formats the daemon decodes, BIT(enum
 *	daedalus_chroma) each; every one goes to the 4:2:0 CAPTURE formats
 *	(monochrome with grey chroma)
 * @cap_formats: the CAPTURE formats its 8-bit pictures can go to
 * @cap_formats_10bit: optional; those of its 10-bit pictures
 */
struct daedalus_picture_caps {
	const char *name;
	unsigned int block;
	unsigned int max_width;
	unsigned int max_height;
	u32 bit_depths;
	u32 chroma_formats;
	const struct daedalus_cap_formats *cap_formats;
	const struct daedalus_cap_formats *cap_formats_10bit;
};

/*
 * The limits of a codec whose pictures are 4:2:0 of any size up to the
 * node's largest, coded in blocks of @align: 8-bit to NV12, YUV420 and
 * YUV420M, and with DAEDALUS_PICTURES_10BIT 10-bit to P010 too.
 */
#define DAEDALUS_PICTURES_8BIT(codec_name, align) {			\
	.name		= (codec_name),					\
	.block		= (align),					\
	.max_width	= DAEDALUS_MAX_WIDTH,				\
	.max_height	= DAEDALUS_MAX_HEIGHT,				\
	.bit_depths	= BIT(8),					\
	.chroma_formats	= BIT(DAEDALUS_CHROMA_420),			\
	.cap_formats	= &daedalus_cap_formats_8bit,			\
}

#define DAEDALUS_PICTURES_10BIT(codec_name, align) {			\
	.name		= (codec_name),					\
	.block		= (align),					\
	.max_width	= DAEDALUS_MAX_WIDTH,				\
	.max_height	= DAEDALUS_MAX_HEIGHT,				\
	.bit_depths	= BIT(8) | BIT(10),				\
	.chroma_formats	= BIT(DAEDALUS_CHROMA_420),			\
	.cap_formats	= &daedalus_cap_formats_8bit,			\
	.cap_formats_10bit = &daedalus_cap_formats_10bit,		\
}

/**
 * struct daedalus_codec_desc - what one codec adds to the stateless node
 * @codec: enum daedalus_codec
 * @fourcc: the OUTPUT (coded) pixel format
 * @pic: its pictures' limits; the 10-bit CAPTURE formats are offered once a
 *	control announced 10 bits (daedalus_set_bit_depth())
 * @check_params: optional; checks the codec's module parameters at load
 * @ctrls: the codec's controls
 * @num_ctrls: entries in @ctrls
 * @init_ctrls: optional; adds controls whose ranges follow module parameters
 * @num_init_ctrls: how many controls @init_ctrls adds
 * @job_ctrls: the controls a job carries (at most DAEDALUS_MAX_JOB_CTRLS)
 * @num_job_ctrls: entries in @job_ctrls
 * @job_ctrl_ids: optional, instead of @job_ctrls when they depend on the
 *	context (H.264's decode mode): fills @ids, returns the count
 * @required_ctrls: the controls every request must carry itself
 * @num_required_ctrls: entries in @required_ctrls
 * @validate: optional; what else a request must carry (H.264: per mode)
 * @queue_flags: vb2 subsystem flags of the OUTPUT queue
 */
struct daedalus_codec_desc {
	u32 codec;
	u32 fourcc;
	struct daedalus_picture_caps pic;
	int (*check_params)(void);
	const struct v4l2_ctrl_config *ctrls;
	unsigned int num_ctrls;
	int (*init_ctrls)(struct v4l2_ctrl_handler *hdl);
	unsigned int num_init_ctrls;
	const u32 *job_ctrls;
	unsigned int num_job_ctrls;
	unsigned int (*job_ctrl_ids)(struct daedalus_ctx *ctx, u32 *ids,
				     unsigned int max);
	const u32 *required_ctrls;
	unsigned int num_required_ctrls;
	int (*validate)(struct daedalus_ctx *ctx,
			struct v4l2_ctrl_handler *req_hdl);
	u32 (*queue_flags)(void);
};

extern const struct daedalus_codec_desc daedalus_h264_desc;
extern const struct daedalus_codec_desc daedalus_vp8_desc;
extern const struct daedalus_codec_desc daedalus_vp9_desc;
extern const struct daedalus_codec_desc daedalus_av1_desc; /* kernels with AV1's uAPI */

/**
 * struct daedalus_stream_desc - what one codec adds to the stateful node
 * @codec: enum daedalus_codec (the wire id)
 * @fourcc: the OUTPUT (coded) pixel format
 * @fmt_flags: its V4L2_FMT_FLAG_*: DYN_RESOLUTION, and CONTINUOUS_BYTESTREAM
 *	when the daemon parses it (bytes in any chunking)
 * @pic: its pictures' limits (the stream's bit depth selects the formats)
 * @profile_cid: its PROFILE menu control (read-only: what the node decodes),
 *	or 0 where the uAPI has none; descriptors of one codec may share it
 * @profile_max: the menu's last item
 * @profile_skip: the items not offered, BIT(item) each
 * @profile_def: the menu's default item
 */
struct daedalus_stream_desc {
	u32 codec;
	u32 fourcc;
	u32 fmt_flags;
	struct daedalus_picture_caps pic;
	u32 profile_cid;
	u8 profile_max;
	u64 profile_skip;
	u8 profile_def;
};

extern const struct daedalus_stream_desc daedalus_h264_stream_desc;
extern const struct daedalus_stream_desc daedalus_hevc_stream_desc;
extern const struct daedalus_stream_desc daedalus_vp8_stream_desc;
extern const struct daedalus_stream_desc daedalus_vp9_stream_desc;
extern const struct daedalus_stream_desc daedalus_mpeg1_stream_desc;
extern const struct daedalus_stream_desc daedalus_mpeg2_stream_desc;
extern const struct daedalus_stream_desc daedalus_mpeg4_stream_desc;
extern const struct daedalus_stream_desc daedalus_xvid_stream_desc;
extern const struct daedalus_stream_desc daedalus_h263_stream_desc;

enum daedalus_job_state {
	DAEDALUS_JOB_IDLE,	/* no job, or owned by a finisher */
	DAEDALUS_JOB_BUILDING,	/* device_run is building the message */
	DAEDALUS_JOB_QUEUED,	/* waiting for the daemon to fetch it */
	DAEDALUS_JOB_FETCHED,	/* the daemon has it */
};

/**
 * struct daedalus_job_slot - the one job a context can have in flight
 *
 * Every field but @msg is protected by the channel lock. Whoever moves
 * @state to IDLE from QUEUED or FETCHED owns the job and must finish it.
 */
enum daedalus_qnode_kind {
	DAEDALUS_QNODE_JOB,	/* a context's job slot */
	DAEDALUS_QNODE_CTX,	/* a context message (open, close) */
	DAEDALUS_QNODE_STREAM,	/* a stream message (daedalus-stream.c) */
};

struct daedalus_qnode {
	struct list_head list;
	enum daedalus_qnode_kind kind;
};

/**
 * struct daedalus_stream_qmsg - a stream message until the daemon fetches it
 * @q: in the channel's messages
 * @ctx: its context; NULL for a STREAM_STOP that outlived it
 * @buf: STREAM_DATA, STREAM_CAPTURE: the buffer it sends
 * @codec: the stream's codec: only a daemon that declared it fetches it
 * @size: bytes of @u
 * @u: the message
 */
struct daedalus_stream_qmsg {
	struct daedalus_qnode q;
	struct daedalus_ctx *ctx;
	struct daedalus_buffer *buf;
	u32 codec;
	u32 size;
	union {
		struct daedalus_msg_hdr hdr;
		struct daedalus_stream_msg cmd;
		struct daedalus_stream_start start;
		struct daedalus_stream_data data;
		struct daedalus_stream_capture capture;
	} u;
};

struct daedalus_job_slot {
	enum daedalus_job_state state;
	struct daedalus_qnode q;
	u32 cookie;
	bool abort;
	bool hold;
	unsigned int num_planes;
	u32 plane_len[DAEDALUS_MAX_PLANES];
	unsigned long deadline;
	void *msg;
	u32 msg_size;
};

/**
 * struct daedalus_buffer - a vb2 buffer of either queue
 * @m2m: the m2m core's buffer (must be first)
 * @queued: when the buffer reached the driver; read for OUTPUT buffers, for
 *	which that is when their request was queued (daedalus-dec.c)
 * @memory_id: names the buffer's current memory to the daemon (the planes'
 *	memory_id), new whenever vb2 (re)initialises the buffer: at allocation,
 *	and when another dma-buf is attached
 * @held: stateful node: in its stream's list of buffers sent to the daemon
 *	(channel lock)
 * @cookie: stateful node: names it to the daemon while in @held
 * @fetched: stateful node: the daemon has fetched its message
 */
struct daedalus_buffer {
	struct v4l2_m2m_buffer m2m;
	ktime_t queued;
	u32 memory_id;
	struct list_head held;
	u32 cookie;
	bool fetched;
};

static inline struct daedalus_buffer *
daedalus_to_buffer(struct vb2_v4l2_buffer *vbuf)
{
	return container_of(vbuf, struct daedalus_buffer, m2m.vb);
}

/**
 * struct daedalus_mem_account - MMAP memory charged to one context
 * @ref: the context's, and one per allocation charged to it: memory can
 *	outlive its context (daedalus-mem.c)
 * @used: bytes charged
 */
struct daedalus_mem_account {
	refcount_t ref;
	atomic64_t used;
};

struct daedalus_m2m {
	struct list_head node;
	struct v4l2_m2m_dev *m2m_dev;
};

struct daedalus_ctx {
	struct v4l2_fh fh;
	struct daedalus_dev *dev;
	u32 id;
	struct list_head node;
	/* serialises this context's ioctls and its vb2 queues */
	struct mutex lock;
	struct v4l2_ctrl_handler hdl;
	struct daedalus_m2m *m2m;
	/* stateless node: the OUTPUT format's codec */
	const struct daedalus_codec_desc *codec;
	/* stateful node: the stream's state (daedalus-stream.c); else NULL */
	struct daedalus_stream *stream;
	/* the OUTPUT format's codec's picture limits, on either node */
	const struct daedalus_picture_caps *caps;
	/* of the stream, as its codec's controls say; selects the CAPTURE formats */
	unsigned int bit_depth;
	struct v4l2_pix_format_mplane out_fmt;
	struct v4l2_pix_format_mplane cap_fmt;
	u32 out_seq;
	u32 cap_seq;
	/* answered by daedalus_ioctl(), never enforced by the core */
	enum v4l2_priority prio;
	/* MMAP memory this context allocated and a client still holds */
	struct daedalus_mem_account *mem;

	struct daedalus_job_slot job;
	struct delayed_work watchdog;
	/* finishers that took a job and have not returned from m2m yet */
	atomic_t finishing;

	u64 jobs_done;
	u64 jobs_failed;
	/* when this context's last job ended */
	ktime_t last_done;
	/* the longest a client waited for a request, in µs (daedalus-dec.c) */
	u64 request_wait_max_us;
};

/**
 * struct daedalus_channel - the daemon's control device
 * @lock: protects everything below and every context's job slot
 * @daemon: the file that said HELLO, or NULL
 * @daemon_owner: the file table of the process that said HELLO, compared
 *	only (a close there disconnects, see daedalus_chan_flush())
 * @daemon_codecs: codecs the last connected daemon declared
 * @daemon_stream_codecs: stream codecs the last connected daemon declared
 *	(ABI 1.3)
 * @daemon_seen: a daemon has connected since the module was loaded
 * @msgs: messages not fetched yet (job slots, context and stream messages)
 * @num_ctx_msgs: context messages in @msgs
 * @fetched: jobs the daemon holds
 * @next_cookie: the next job or stream buffer cookie
 * @streams: the stateful node's contexts (struct daedalus_stream.node)
 * @request_wait_max_us: the longest any client waited for a request
 */
struct daedalus_channel {
	struct miscdevice misc;
	struct mutex lock; /* see above */
	wait_queue_head_t wq;
	struct file *daemon;
	fl_owner_t daemon_owner;
	u32 daemon_codecs;
	u32 daemon_stream_codecs;
	bool daemon_seen;
	struct list_head msgs;
	unsigned int num_ctx_msgs;
	struct list_head fetched;
	u32 next_cookie;
	struct list_head streams;

	atomic64_t jobs_queued;
	atomic64_t jobs_done;
	atomic64_t jobs_failed;
	atomic64_t jobs_timedout;
	/* the longest any client waited for a request, in µs, since reset */
	atomic64_t request_wait_max_us;
	/* the stateful node's: streams started, pictures done and failed */
	atomic64_t streams_started;
	atomic64_t pictures_done;
	atomic64_t pictures_failed;
};

struct daedalus_dev {
	struct platform_device *pdev;
	struct v4l2_device v4l2_dev;
	struct video_device vfd;
	/* the stateful decoder (module parameter stateful), or unregistered */
	struct video_device stream_vfd;
	struct platform_device *stream_pdev;
	struct media_device mdev;
	/* only for the media controller topology; jobs run on pooled ones */
	struct v4l2_m2m_dev *mc_m2m_dev;

	/* protects @m2m_pool, @contexts and @next_ctx_id */
	struct mutex ctx_lock;
	struct list_head m2m_pool;
	struct list_head contexts;
	u32 next_ctx_id;

	/* the contexts' priorities, answered by daedalus_ioctl() */
	struct v4l2_prio_state prio;
	/* orders priority changes */
	struct mutex prio_lock;

	struct daedalus_channel chan;
	struct dentry *debugfs;
	/* the last buffer memory id handed out (daedalus_buffer.memory_id) */
	atomic_t last_memory_id;

	/*
	 * MMAP memory of all contexts until freed, of which only the daemon's
	 * mappings hold @mem_kept, and the bounds, in bytes (daedalus-mem.c)
	 */
	atomic64_t mem_used;
	atomic64_t mem_kept;
	u64 mem_limit;
	u64 ctx_mem_limit;
};

static inline struct daedalus_ctx *daedalus_file_to_ctx(struct file *file)
{
	return container_of(file->private_data, struct daedalus_ctx, fh);
}

/* daedalus-core.c */
const struct daedalus_codec_desc *daedalus_codec_by_fourcc(u32 fourcc);
const struct daedalus_codec_desc *daedalus_codec_by_index(unsigned int i);
u32 daedalus_kernel_codecs(void);
u32 daedalus_advertised_codecs(struct daedalus_dev *dev);
const struct daedalus_stream_desc *daedalus_stream_codec_by_index(unsigned int i);
u32 daedalus_kernel_stream_codecs(void);
u32 daedalus_advertised_stream_codecs(struct daedalus_dev *dev);

/* daedalus-video.c */
extern const struct v4l2_ioctl_ops daedalus_ioctl_ops;
int daedalus_queue_init(void *priv, struct vb2_queue *src_vq,
			struct vb2_queue *dst_vq);
int daedalus_ctrls_init(struct daedalus_ctx *ctx);
struct daedalus_ctx *daedalus_ctrl_to_ctx(struct v4l2_ctrl *ctrl);
const struct daedalus_cap_formats *daedalus_cap_formats(struct daedalus_ctx *ctx);
unsigned int daedalus_chroma_subsampled(bool x, bool y);
int daedalus_picture_supported(struct daedalus_dev *dev,
			       const struct daedalus_picture_caps *caps,
			       const struct daedalus_picture *pic);
int daedalus_check_size(struct daedalus_ctx *ctx,
			const struct daedalus_picture_caps *caps,
			unsigned int width, unsigned int height);
int daedalus_check_picture(struct daedalus_ctx *ctx,
			   const struct daedalus_picture_caps *caps,
			   const struct daedalus_picture *pic);
void daedalus_set_bit_depth(struct daedalus_ctx *ctx,
			    const struct daedalus_picture_caps *caps,
			    unsigned int bit_depth);
void daedalus_fmt_init(struct daedalus_ctx *ctx);
void daedalus_frmsize(const struct daedalus_picture_caps *caps,
		      struct v4l2_frmsize_stepwise *s);
void daedalus_fill_cap(struct daedalus_ctx *ctx,
		       struct v4l2_pix_format_mplane *pix, u32 bytesperline);
bool daedalus_capture_busy(struct daedalus_ctx *ctx);
int daedalus_request_validate(struct media_request *req);
/* the ioctls and vb2 ops both nodes share */
int daedalus_querycap(struct file *file, void *priv,
		      struct v4l2_capability *cap);
int daedalus_enum_fmt_cap(struct file *file, void *priv,
			  struct v4l2_fmtdesc *f);
int daedalus_g_fmt_out(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_g_fmt_cap(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_try_fmt_cap(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_s_fmt_cap(struct file *file, void *priv, struct v4l2_format *f);
int daedalus_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			 unsigned int *nplanes, unsigned int sizes[],
			 struct device *alloc_devs[]);
int daedalus_buf_out_validate(struct vb2_buffer *vb);
int daedalus_buf_init(struct vb2_buffer *vb);
int daedalus_buf_prepare(struct vb2_buffer *vb);
void daedalus_vq_setup(struct vb2_queue *vq, struct daedalus_ctx *ctx, bool out,
		       const struct vb2_ops *ops);

/* daedalus-stream.c */
extern const struct v4l2_ioctl_ops daedalus_stream_ioctl_ops;
int daedalus_stream_open(struct daedalus_ctx *ctx);
void daedalus_stream_unlink(struct daedalus_ctx *ctx);
void daedalus_stream_release(struct daedalus_ctx *ctx);
int daedalus_stream_queue_init(void *priv, struct vb2_queue *src_vq,
			       struct vb2_queue *dst_vq);
void daedalus_stream_show(struct seq_file *s, struct daedalus_ctx *ctx);
/* for the channel, with its lock held */
bool daedalus_stream_msg_ready(struct daedalus_channel *chan,
			       struct daedalus_stream_qmsg *m);
void daedalus_stream_fetched(struct daedalus_stream_qmsg *m);
struct vb2_buffer *daedalus_stream_mmap_buf(struct daedalus_channel *chan,
					    u32 cookie, unsigned int slot);
void daedalus_stream_daemon_gone(struct daedalus_channel *chan);
/* the daemon's answers */
long daedalus_stream_answer(struct daedalus_channel *chan, struct file *file,
			    unsigned int cmd, void __user *arg);

/* daedalus-dec.c */
extern const struct v4l2_m2m_ops daedalus_m2m_ops;
void daedalus_job_init(struct daedalus_ctx *ctx);
void daedalus_job_finish(struct daedalus_ctx *ctx,
			 enum vb2_buffer_state state,
			 const u32 *bytesused, unsigned int num_planes);
void daedalus_ctx_quiesce(struct daedalus_ctx *ctx, struct file *file);

/* daedalus-channel.c */
int daedalus_channel_register(struct daedalus_dev *dev);
void daedalus_channel_unregister(struct daedalus_dev *dev);
void daedalus_channel_ctx_event(struct daedalus_dev *dev, u32 type, u32 id);
void daedalus_channel_submit(struct daedalus_ctx *ctx);
bool daedalus_channel_take(struct daedalus_ctx *ctx);
u32 daedalus_channel_cookie(struct daedalus_channel *chan);

/* daedalus-mem.c */
extern const struct vb2_mem_ops daedalus_mem_ops;
struct daedalus_mem_account *daedalus_mem_account_new(void);
void daedalus_mem_account_put(struct daedalus_mem_account *acct);
int daedalus_mem_daemon_mmap(void *buf_priv, struct vm_area_struct *vma);

/* daedalus-debugfs.c */
void daedalus_debugfs_init(struct daedalus_dev *dev);
void daedalus_debugfs_exit(struct daedalus_dev *dev);

#endif /* _DAEDALUS_H_ */
