// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: the stateful decoder node (docs/stateful.md).
 *
 * A client queues bitstream on OUTPUT and empty pictures on CAPTURE, as
 * Documentation/userspace-api/media/v4l/dev-decoder.rst describes; the
 * daemon parses and decodes. This file keeps the interface's state machine
 * and moves buffers: each OUTPUT buffer goes to the daemon as a STREAM_DATA
 * message, each CAPTURE buffer (while the CAPTURE setup fits the stream) as
 * a STREAM_CAPTURE message, and the daemon's answers (STREAM_DATA_DONE,
 * STREAM_PICTURE, STREAM_FORMAT, STREAM_ERROR) return them. It names no
 * codec: each codec's struct daedalus_stream_desc says what differs.
 *
 * No m2m job ever runs (daedalus-dec.c's job_ready refuses a stream's
 * context): buffers wait on the m2m ready lists until sent, then in the
 * stream's held lists until answered.
 *
 * Locking: the client's side runs under the context lock (the vb2 queues'
 * lock); the stream's state, its held buffers and its messages are under
 * the channel lock as well, which the daemon's side takes. An answer finds
 * its stream under the channel lock, holds the context (ctx->finishing, which
 * release waits for), then takes the context lock and finds it again.
 */

#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-v4l2.h>

#include "daedalus.h"

/* OUTPUT buffers are at least this large: FFmpeg truncates what does not fit. */
#define DAEDALUS_STREAM_MIN_SIZEIMAGE	SZ_2M
/* V4L2_CID_MIN_BUFFERS_FOR_CAPTURE before the stream says */
#define DAEDALUS_STREAM_MIN_BUFFERS	2
#define DAEDALUS_STREAM_MAX_BUFFERS	32
/*
 * OUTPUT buffers whose metadata a picture can still take: those the daemon
 * holds (at most VB2_MAX_FRAME) and the decoder's delay behind them (a
 * reorder depth of up to 16 frames, a frame per frame thread beyond the
 * first) with a frame a buffer; as many as the daemon keeps each packet's
 * flags for (MAX_FLAGS_HELD in src/stream/session.ts).
 */
#define DAEDALUS_STREAM_META		256
/* what a CAPTURE buffer takes from its OUTPUT buffer */
#define DAEDALUS_STREAM_META_FLAGS	(V4L2_BUF_FLAG_TIMECODE | \
					 V4L2_BUF_FLAG_TSTAMP_SRC_MASK)

enum daedalus_stream_state {
	DAEDALUS_STREAM_IDLE,		/* OUTPUT not streaming */
	DAEDALUS_STREAM_PARSING,	/* no format yet in this epoch */
	DAEDALUS_STREAM_SETUP,		/* a format waits for the client */
	DAEDALUS_STREAM_DECODING,
	DAEDALUS_STREAM_DRAINING,	/* DEC_CMD_STOP until the LAST picture */
	DAEDALUS_STREAM_STOPPED,	/* drained */
	DAEDALUS_STREAM_ERROR,		/* until both queues stop */
};

static const char * const daedalus_stream_states[] = {
	[DAEDALUS_STREAM_IDLE]		= "idle",
	[DAEDALUS_STREAM_PARSING]	= "parsing",
	[DAEDALUS_STREAM_SETUP]		= "setup",
	[DAEDALUS_STREAM_DECODING]	= "decoding",
	[DAEDALUS_STREAM_DRAINING]	= "draining",
	[DAEDALUS_STREAM_STOPPED]	= "stopped",
	[DAEDALUS_STREAM_ERROR]		= "error",
};

/**
 * struct daedalus_stream_meta - an OUTPUT buffer sent as STREAM_DATA
 * @timestamp: its timestamp, which its pictures carry
 * @timecode: its timecode, if @flags has V4L2_BUF_FLAG_TIMECODE
 * @flags: its DAEDALUS_STREAM_META_FLAGS
 */
struct daedalus_stream_meta {
	u64 timestamp;
	struct v4l2_timecode timecode;
	u32 flags;
};

/**
 * struct daedalus_stream - a stateful context's stream
 * @node: in the channel's streams, while the context is open
 * @ctx: the context
 * @desc: the OUTPUT format's codec (context lock)
 * @state: enum daedalus_stream_state
 * @epoch: OUTPUT STREAMONs so far; every message carries it
 * @draining: a drain waits for the CAPTURE setup (state SETUP)
 * @have_format: the daemon sent a format in this epoch
 * @started: the daemon fetched this epoch's STREAM_START
 * @daemon_has_cap: the daemon fetched CAPTURE buffers it has not given up
 * @last_pending: the next CAPTURE buffer queued returns empty with LAST
 * @out_held: OUTPUT buffers sent to the daemon (daedalus_buffer.held)
 * @cap_held: CAPTURE buffers sent to the daemon
 * @unfetched: messages of this stream the daemon has not fetched
 * @progress: jiffies of the daemon's last fetch or answer for the stream,
 *	or of the first message it was sent after it had none
 * @watchdog: fails a stream the daemon leaves waiting (stall watchdog)
 * @fmt: the stream's format as the daemon last sent it (context lock)
 * @setup: the CAPTURE format when CAPTURE last started, or the client last
 *	resumed with DEC_CMD_START: what the CAPTURE buffers are for
 * @setup_depth: the bit depth @setup is for
 * @min_bufs: V4L2_CID_MIN_BUFFERS_FOR_CAPTURE
 * @meta: the last DAEDALUS_STREAM_META OUTPUT buffers of the epoch sent as
 *	STREAM_DATA, a ring: what each picture copies from the one whose
 *	timestamp it carries, as v4l2_m2m_buf_copy_metadata() does
 * @meta_next: the slot of @meta the next one takes (the oldest once full)
 * @meta_count: the slots of @meta in use
 *
 * Everything but @desc, @fmt, @setup and the controls is under the channel
 * lock.
 */
struct daedalus_stream {
	struct list_head node;
	struct daedalus_ctx *ctx;
	const struct daedalus_stream_desc *desc;
	enum daedalus_stream_state state;
	u32 epoch;
	bool draining;
	bool have_format;
	bool started;
	bool daemon_has_cap;
	bool last_pending;
	struct list_head out_held;
	struct list_head cap_held;
	unsigned int unfetched;
	unsigned long progress;
	struct delayed_work watchdog;
	struct daedalus_stream_format fmt;
	struct v4l2_pix_format_mplane setup;
	unsigned int setup_depth;
	struct v4l2_ctrl *min_bufs;
	struct daedalus_stream_meta *meta;
	unsigned int meta_next;
	unsigned int meta_count;
};

static unsigned int daedalus_num_buffers(struct vb2_queue *q)
{
#ifdef DAEDALUS_HAVE_VB2_GET_NUM_BUFFERS
	return vb2_get_num_buffers(q);
#else
	return q->num_buffers;
#endif
}

static struct vb2_queue *daedalus_stream_vq(struct daedalus_ctx *ctx, bool out)
{
	return v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
			       out ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE :
			       V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
}

/*
 * A queue streams from its start_streaming on (vb2 says it streams only
 * once that returned) until its stop_streaming has returned.
 */
static bool daedalus_stream_streaming(struct daedalus_ctx *ctx, bool out)
{
	return vb2_start_streaming_called(daedalus_stream_vq(ctx, out));
}

static const struct daedalus_stream_desc *
daedalus_stream_codec(struct daedalus_dev *dev, u32 fourcc)
{
	u32 mask = daedalus_advertised_stream_codecs(dev);
	const struct daedalus_stream_desc *desc;
	unsigned int i;

	for (i = 0; (desc = daedalus_stream_codec_by_index(i)); i++)
		if (desc->fourcc == fourcc &&
		    (mask & DAEDALUS_CODEC_BIT(desc->codec)))
			return desc;
	return NULL;
}

/* --- messages ---------------------------------------------------------- */

static void daedalus_stream_kick(struct daedalus_stream *stream)
{
	stream->progress = jiffies;
	mod_delayed_work(system_wq, &stream->watchdog,
			 msecs_to_jiffies(daedalus_job_timeout_ms));
}

/*
 * Records an OUTPUT buffer sent as STREAM_DATA. One with the timestamp of the
 * buffer sent just before it (a frame split over buffers) takes no slot of
 * its own: the frame's pictures take the first buffer's, as its timestamp.
 */
static void daedalus_stream_meta_add(struct daedalus_stream *stream,
				     const struct vb2_v4l2_buffer *vbuf)
{
	struct daedalus_stream_meta *m;

	lockdep_assert_held(&stream->ctx->dev->chan.lock);
	if (stream->meta_count) {
		m = &stream->meta[(stream->meta_next + DAEDALUS_STREAM_META - 1) %
				  DAEDALUS_STREAM_META];
		if (m->timestamp == vbuf->vb2_buf.timestamp)
			return;
	}
	m = &stream->meta[stream->meta_next];
	m->timestamp = vbuf->vb2_buf.timestamp;
	m->flags = vbuf->flags & DAEDALUS_STREAM_META_FLAGS;
	m->timecode = vbuf->timecode;
	stream->meta_next = (stream->meta_next + 1) % DAEDALUS_STREAM_META;
	if (stream->meta_count < DAEDALUS_STREAM_META)
		stream->meta_count++;
}

/* A CAPTURE buffer of no OUTPUT buffer: no TIMECODE, its queue's TSTAMP_SRC. */
static void daedalus_stream_meta_none(struct vb2_v4l2_buffer *vbuf)
{
	vbuf->flags &= ~DAEDALUS_STREAM_META_FLAGS;
	vbuf->flags |= vbuf->vb2_buf.vb2_queue->timestamp_flags &
		V4L2_BUF_FLAG_TSTAMP_SRC_MASK;
}

/*
 * A picture's TIMECODE, timecode and TSTAMP_SRC: those of the newest OUTPUT
 * buffer recorded with its timestamp, else none. Entries stay: a buffer may
 * hold several pictures.
 */
static void daedalus_stream_meta_copy(struct daedalus_stream *stream,
				      struct vb2_v4l2_buffer *vbuf)
{
	const struct daedalus_stream_meta *m;
	unsigned int i;

	lockdep_assert_held(&stream->ctx->dev->chan.lock);
	for (i = 1; i <= stream->meta_count; i++) {
		m = &stream->meta[(stream->meta_next + DAEDALUS_STREAM_META - i) %
				  DAEDALUS_STREAM_META];
		if (m->timestamp == vbuf->vb2_buf.timestamp) {
			vbuf->flags &= ~DAEDALUS_STREAM_META_FLAGS;
			vbuf->flags |= m->flags;
			if (m->flags & V4L2_BUF_FLAG_TIMECODE)
				vbuf->timecode = m->timecode;
			return;
		}
	}
	daedalus_stream_meta_none(vbuf);
}

/*
 * Queues a message; @buf (STREAM_DATA, STREAM_CAPTURE) joins the stream's
 * held buffers under a new cookie.
 */
static int daedalus_stream_send(struct daedalus_ctx *ctx, u32 type,
				struct daedalus_buffer *buf)
{
	struct daedalus_stream *stream = ctx->stream;
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct vb2_buffer *vb = buf ? &buf->m2m.vb.vb2_buf : NULL;
	struct daedalus_stream_qmsg *m;
	unsigned int i;
	u64 base;

	lockdep_assert_held(&chan->lock);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->q.kind = DAEDALUS_QNODE_STREAM;
	m->ctx = ctx;
	m->buf = buf;
	m->codec = stream->desc->codec;
	m->u.hdr.type = type;
	m->u.hdr.ctx_id = ctx->id;
	m->u.cmd.epoch = stream->epoch;

	switch (type) {
	case DAEDALUS_MSG_STREAM_START:
		m->size = sizeof(m->u.start);
		m->u.start.codec = stream->desc->codec;
		m->u.start.pixelformat = ctx->out_fmt.pixelformat;
		m->u.start.width = ctx->out_fmt.width;
		m->u.start.height = ctx->out_fmt.height;
		break;
	case DAEDALUS_MSG_STREAM_DATA:
	case DAEDALUS_MSG_STREAM_CAPTURE:
		buf->cookie = daedalus_channel_cookie(chan);
		buf->fetched = false;
		m->u.hdr.cookie = buf->cookie;
		base = (u64)buf->cookie << DAEDALUS_SLOTS_SHIFT;
		if (type == DAEDALUS_MSG_STREAM_DATA) {
			struct daedalus_stream_data *d = &m->u.data;

			m->size = sizeof(*d);
			d->index = vb->index;
			d->timestamp = vb->timestamp;
			d->flags = buf->m2m.vb.flags;
			d->data.mmap_offset = base << PAGE_SHIFT;
			d->data.length = vb2_plane_size(vb, 0);
			d->data.bytesused = vb2_get_plane_payload(vb, 0);
			d->data.memory_id = buf->memory_id;
			list_add_tail(&buf->held, &stream->out_held);
			daedalus_stream_meta_add(stream, &buf->m2m.vb);
		} else {
			struct daedalus_stream_capture *c = &m->u.capture;

			m->size = sizeof(*c);
			c->index = vb->index;
			c->width = ctx->cap_fmt.width;
			c->height = ctx->cap_fmt.height;
			c->pixelformat = ctx->cap_fmt.pixelformat;
			c->num_planes = vb->num_planes;
			for (i = 0; i < vb->num_planes; i++) {
				c->planes[i].mmap_offset =
					(base + 1 + i) << PAGE_SHIFT;
				c->planes[i].length = vb2_plane_size(vb, i);
				c->planes[i].bytesperline =
					ctx->cap_fmt.plane_fmt[i].bytesperline;
				c->planes[i].memory_id = buf->memory_id;
			}
			list_add_tail(&buf->held, &stream->cap_held);
		}
		break;
	default:
		m->size = sizeof(m->u.cmd);
		break;
	}
	m->u.hdr.size = m->size;
	list_add_tail(&m->q.list, &chan->msgs);
	if (!stream->unfetched++)
		daedalus_stream_kick(stream);
	wake_up_interruptible(&chan->wq);
	return 0;
}

/*
 * Drops the stream's messages the daemon has not
 * fetched, those of @type only unless it is 0.
 */
static void daedalus_stream_drop(struct daedalus_ctx *ctx, u32 type)
{
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct daedalus_qnode *q, *tmp;

	lockdep_assert_held(&chan->lock);
	list_for_each_entry_safe(q, tmp, &chan->msgs, list) {
		struct daedalus_stream_qmsg *m;

		if (q->kind != DAEDALUS_QNODE_STREAM)
			continue;
		m = container_of(q, struct daedalus_stream_qmsg, q);
		if (m->ctx != ctx || (type && m->u.hdr.type != type))
			continue;
		list_del(&q->list);
		ctx->stream->unfetched--;
		kfree(m);
	}
}

/*
 * Takes back the buffers of one queue the daemon holds
 * (or was sent): their unfetched messages go, and each returns to the m2m
 * ready list (@state 0) or to the client with @state.
 */
static unsigned int daedalus_stream_reclaim(struct daedalus_ctx *ctx, bool out,
					    int state)
{
	struct daedalus_stream *stream = ctx->stream;
	struct list_head *held = out ? &stream->out_held : &stream->cap_held;
	struct daedalus_buffer *buf, *tmp;
	unsigned int n = 0;

	lockdep_assert_held(&ctx->dev->chan.lock);
	daedalus_stream_drop(ctx, out ? DAEDALUS_MSG_STREAM_DATA :
			     DAEDALUS_MSG_STREAM_CAPTURE);
	list_for_each_entry_safe(buf, tmp, held, held) {
		list_del_init(&buf->held);
		if (state)
			v4l2_m2m_buf_done(&buf->m2m.vb, state);
		else
			v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, &buf->m2m.vb);
		n++;
	}
	return n;
}

/*
 * The stream cannot go on: what the daemon holds returns
 * with V4L2_BUF_FLAG_ERROR and both queues fail (EIO, EPOLLERR) until the
 * client stops them.
 */
static void daedalus_stream_fail(struct daedalus_ctx *ctx, int err)
{
	struct daedalus_stream *stream = ctx->stream;

	lockdep_assert_held(&ctx->dev->chan.lock);
	if (stream->state == DAEDALUS_STREAM_ERROR ||
	    stream->state == DAEDALUS_STREAM_IDLE)
		return;
	v4l2_warn(&ctx->dev->v4l2_dev, "stream %u: failed (%d)\n", ctx->id,
		  err);
	stream->state = DAEDALUS_STREAM_ERROR;
	daedalus_stream_drop(ctx, 0);
	daedalus_stream_reclaim(ctx, true, VB2_BUF_STATE_ERROR);
	daedalus_stream_reclaim(ctx, false, VB2_BUF_STATE_ERROR);
	vb2_queue_error(daedalus_stream_vq(ctx, true));
	vb2_queue_error(daedalus_stream_vq(ctx, false));
}

/*
 * An empty CAPTURE buffer flagged LAST (not v4l2_m2m_last_buffer_done(),
 * which marks the m2m context stopped for its job scheduling): no OUTPUT
 * buffer's metadata.
 */
static void daedalus_stream_last_done(struct vb2_v4l2_buffer *vbuf)
{
	unsigned int i;

	for (i = 0; i < vbuf->vb2_buf.num_planes; i++)
		vb2_set_plane_payload(&vbuf->vb2_buf, i, 0);
	vbuf->flags &= ~(V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
			 V4L2_BUF_FLAG_BFRAME);
	daedalus_stream_meta_none(vbuf);
	vbuf->flags |= V4L2_BUF_FLAG_LAST;
	v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_DONE);
}

static bool daedalus_stream_sends_data(enum daedalus_stream_state state)
{
	return state == DAEDALUS_STREAM_PARSING ||
	       state == DAEDALUS_STREAM_SETUP ||
	       state == DAEDALUS_STREAM_DECODING;
}

static bool daedalus_stream_sends_capture(enum daedalus_stream_state state)
{
	return state == DAEDALUS_STREAM_PARSING ||
	       state == DAEDALUS_STREAM_DECODING ||
	       state == DAEDALUS_STREAM_DRAINING;
}

/*
 * Sends the daemon the buffers the state lets it have:
 * OUTPUT ones in queue order, CAPTURE ones while the setup fits (or before
 * any format: the daemon sends the format before it writes a picture).
 */
static void daedalus_stream_pump(struct daedalus_ctx *ctx)
{
	struct daedalus_stream *stream = ctx->stream;
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct vb2_v4l2_buffer *vbuf;
	int ret = 0;

	lockdep_assert_held(&ctx->lock);
	mutex_lock(&chan->lock);
	vbuf = stream->last_pending ? v4l2_m2m_dst_buf_remove(m2m_ctx) : NULL;
	if (vbuf) {
		stream->last_pending = false;
		daedalus_stream_last_done(vbuf);
	}
	while (!ret && daedalus_stream_sends_data(stream->state) &&
	       (vbuf = v4l2_m2m_src_buf_remove(m2m_ctx))) {
		ret = daedalus_stream_send(ctx, DAEDALUS_MSG_STREAM_DATA,
					   daedalus_to_buffer(vbuf));
		if (ret)
			v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
	}
	while (!ret && daedalus_stream_sends_capture(stream->state) &&
	       daedalus_stream_streaming(ctx, false) &&
	       (vbuf = v4l2_m2m_dst_buf_remove(m2m_ctx))) {
		ret = daedalus_stream_send(ctx, DAEDALUS_MSG_STREAM_CAPTURE,
					   daedalus_to_buffer(vbuf));
		if (ret)
			v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
	}
	if (ret)
		daedalus_stream_fail(ctx, ret);
	mutex_unlock(&chan->lock);
}

/* Queues a command; a failure fails the stream. */
static void daedalus_stream_command(struct daedalus_ctx *ctx, u32 type)
{
	int ret;

	lockdep_assert_held(&ctx->dev->chan.lock);
	ret = daedalus_stream_send(ctx, type, NULL);
	if (ret)
		daedalus_stream_fail(ctx, ret);
}

/*
 * Stall watchdog: a stream whose messages the daemon does not fetch (none
 * connected, or one that does not serve streams), or whose daemon holds
 * bitstream and a CAPTURE buffer and answers nothing, for job_timeout_ms,
 * fails. A daemon holding only bitstream waits for CAPTURE buffers: the
 * client paused, not a stall.
 */
static void daedalus_stream_watchdog(struct work_struct *work)
{
	struct daedalus_stream *stream =
		container_of(to_delayed_work(work), struct daedalus_stream,
			     watchdog);
	struct daedalus_ctx *ctx = stream->ctx;
	struct daedalus_channel *chan = &ctx->dev->chan;
	unsigned long timeout = msecs_to_jiffies(daedalus_job_timeout_ms);
	struct daedalus_buffer *buf;
	bool out = false, cap = false;

	mutex_lock(&chan->lock);
	/* a closing context's stream stopped: only its STREAM_STOP is left */
	if (list_empty(&stream->node)) {
		mutex_unlock(&chan->lock);
		return;
	}
	list_for_each_entry(buf, &stream->out_held, held)
		out |= buf->fetched;
	list_for_each_entry(buf, &stream->cap_held, held)
		cap |= buf->fetched;
	if (stream->unfetched || (out && cap)) {
		if (time_after_eq(jiffies, stream->progress + timeout)) {
			atomic64_inc(&chan->jobs_timedout);
			v4l2_warn(&ctx->dev->v4l2_dev,
				  "stream %u: no progress in %u ms%s\n",
				  ctx->id, daedalus_job_timeout_ms,
				  chan->daemon ? "" : " (no daemon connected)");
			daedalus_stream_fail(ctx, -ETIMEDOUT);
		} else {
			mod_delayed_work(system_wq, &stream->watchdog,
					 stream->progress + timeout - jiffies);
		}
	}
	mutex_unlock(&chan->lock);
}

/* --- formats ----------------------------------------------------------- */

/* The OUTPUT format: sizeimage never below what FFmpeg's packets need. */
static void daedalus_stream_fill_out(struct v4l2_pix_format_mplane *pix,
				     const struct daedalus_stream_desc *desc)
{
	struct v4l2_frmsize_stepwise s;
	u32 sizeimage = pix->plane_fmt[0].sizeimage;

	if (!pix->width || !pix->height) {
		pix->width = DAEDALUS_DEF_WIDTH;
		pix->height = DAEDALUS_DEF_HEIGHT;
	}
	daedalus_frmsize(&desc->pic, &s);
	pix->width = clamp(pix->width, s.min_width, s.max_width);
	pix->height = clamp(pix->height, s.min_height, s.max_height);
	pix->pixelformat = desc->fourcc;
	pix->num_planes = 1;
	pix->field = V4L2_FIELD_NONE;
	pix->flags = 0;
	sizeimage = max3(sizeimage, (u32)DAEDALUS_STREAM_MIN_SIZEIMAGE,
			 pix->width * pix->height * 3 / 4);
	pix->plane_fmt[0].sizeimage = min_t(u32, sizeimage, SZ_64M);
	pix->plane_fmt[0].bytesperline = 0;
	if (pix->colorspace == V4L2_COLORSPACE_DEFAULT)
		pix->colorspace = V4L2_COLORSPACE_REC709;
	memset(pix->reserved, 0, sizeof(pix->reserved));
	memset(pix->plane_fmt[0].reserved, 0,
	       sizeof(pix->plane_fmt[0].reserved));
}

/* The visible rectangle: all the placeholder until parsed. */
static void daedalus_stream_set_out(struct daedalus_ctx *ctx,
				    const struct daedalus_stream_desc *desc,
				    const struct v4l2_pix_format_mplane *pix)
{
	struct daedalus_stream *stream = ctx->stream;

	lockdep_assert_held(&ctx->lock);
	ctx->out_fmt = *pix;
	if (desc != stream->desc)
		ctx->bit_depth = 8;
	stream->desc = desc;
	ctx->caps = &desc->pic;
	memset(&stream->fmt, 0, sizeof(stream->fmt));
	stream->fmt.min_buffers = DAEDALUS_STREAM_MIN_BUFFERS;
	stream->fmt.visible_width = pix->width;
	stream->fmt.visible_height = pix->height;
	stream->fmt.bit_depth = ctx->bit_depth;
	ctx->cap_fmt.width = pix->width;
	ctx->cap_fmt.height = pix->height;
	daedalus_fill_cap(ctx, &ctx->cap_fmt, 0);
	stream->fmt.width = ctx->cap_fmt.width;
	stream->fmt.height = ctx->cap_fmt.height;
}

static int daedalus_stream_enum_fmt_out(struct file *file, void *priv,
					struct v4l2_fmtdesc *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	u32 mask = daedalus_advertised_stream_codecs(ctx->dev);
	const struct daedalus_stream_desc *desc;
	unsigned int i, n = 0;

	for (i = 0; (desc = daedalus_stream_codec_by_index(i)); i++) {
		if (!(mask & DAEDALUS_CODEC_BIT(desc->codec)))
			continue;
		if (n++ == f->index) {
			f->pixelformat = desc->fourcc;
			f->flags = desc->fmt_flags;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Stepwise for each coded format, and for the raw formats of the current
 * codec, by one pixel: clients take these for the visible size, which is
 * any size up to the limits (GStreamer puts the steps in its caps and
 * matches a 640x360 stream's, and its pictures', against them), while the
 * CAPTURE format's own size is the coded one, in whole blocks.
 */
static int daedalus_stream_enum_framesizes(struct file *file, void *priv,
					   struct v4l2_frmsizeenum *fsize)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	const struct daedalus_stream_desc *desc;
	const struct daedalus_cap_formats *formats;
	const struct daedalus_picture_caps *caps = NULL;
	unsigned int i;

	if (fsize->index)
		return -EINVAL;
	desc = daedalus_stream_codec(ctx->dev, fsize->pixel_format);
	if (desc)
		caps = &desc->pic;
	mutex_lock(&ctx->lock);
	formats = daedalus_cap_formats(ctx);
	for (i = 0; !caps && i < formats->num; i++)
		if (formats->fourccs[i] == fsize->pixel_format)
			caps = ctx->caps;
	mutex_unlock(&ctx->lock);
	if (!caps)
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	daedalus_frmsize(caps, &fsize->stepwise);
	fsize->stepwise.step_width = 1;
	fsize->stepwise.step_height = 1;
	return 0;
}

static int daedalus_stream_try_fmt_out(struct file *file, void *priv,
				       struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	const struct daedalus_stream_desc *desc;

	desc = daedalus_stream_codec(ctx->dev, pix->pixelformat);
	mutex_lock(&ctx->lock);
	daedalus_stream_fill_out(pix, desc ? desc : ctx->stream->desc);
	mutex_unlock(&ctx->lock);
	return 0;
}

/*
 * The coded format, and at once the CAPTURE format from its size (unless
 * CAPTURE buffers exist); refused once OUTPUT buffers exist.
 */
static int daedalus_stream_s_fmt_out(struct file *file, void *priv,
				     struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	const struct daedalus_stream_desc *desc;
	int ret = 0;

	desc = daedalus_stream_codec(ctx->dev, pix->pixelformat);
	mutex_lock(&ctx->lock);
	if (!desc)
		desc = ctx->stream->desc;
	daedalus_stream_fill_out(pix, desc);
	if (vb2_is_busy(daedalus_stream_vq(ctx, true)) ||
	    (daedalus_capture_busy(ctx) && desc != ctx->stream->desc))
		ret = -EBUSY;
	else if (daedalus_capture_busy(ctx))
		ctx->out_fmt = *pix;
	else
		daedalus_stream_set_out(ctx, desc, pix);
	mutex_unlock(&ctx->lock);
	return ret;
}

/* CAPTURE: a format among the stream's, at the stream's size. */
static int daedalus_stream_try_fmt_cap(struct file *file, void *priv,
				       struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);

	mutex_lock(&ctx->lock);
	f->fmt.pix_mp.width = ctx->cap_fmt.width;
	f->fmt.pix_mp.height = ctx->cap_fmt.height;
	mutex_unlock(&ctx->lock);
	return daedalus_try_fmt_cap(file, priv, f);
}

static int daedalus_stream_s_fmt_cap(struct file *file, void *priv,
				     struct v4l2_format *f)
{
	daedalus_stream_try_fmt_cap(file, priv, f);
	return daedalus_s_fmt_cap(file, priv, f);
}

/*
 * CAPTURE selections as dev-decoder.rst gives them for a decoder without
 * compose or scaling: the visible rectangle, within the coded picture the
 * daemon writes whole (so COMPOSE_PADDED and both bounds are the coded
 * size). S_SELECTION of CROP or COMPOSE answers the fixed rectangle.
 */
static int daedalus_stream_g_selection(struct file *file, void *priv,
				       struct v4l2_selection *s)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct daedalus_stream_format *fmt = &ctx->stream->fmt;
	bool coded;

	if (s->type != V4L2_BUF_TYPE_VIDEO_CAPTURE)
		return -EINVAL;
	switch (s->target) {
	case V4L2_SEL_TGT_CROP:
	case V4L2_SEL_TGT_CROP_DEFAULT:
	case V4L2_SEL_TGT_COMPOSE:
	case V4L2_SEL_TGT_COMPOSE_DEFAULT:
		coded = false;
		break;
	case V4L2_SEL_TGT_CROP_BOUNDS:
	case V4L2_SEL_TGT_COMPOSE_BOUNDS:
	case V4L2_SEL_TGT_COMPOSE_PADDED:
		coded = true;
		break;
	default:
		return -EINVAL;
	}
	mutex_lock(&ctx->lock);
	if (coded) {
		s->r.left = 0;
		s->r.top = 0;
		s->r.width = ctx->cap_fmt.width;
		s->r.height = ctx->cap_fmt.height;
	} else {
		s->r.left = fmt->visible_left;
		s->r.top = fmt->visible_top;
		s->r.width = fmt->visible_width;
		s->r.height = fmt->visible_height;
	}
	mutex_unlock(&ctx->lock);
	return 0;
}

static int daedalus_stream_s_selection(struct file *file, void *priv,
				       struct v4l2_selection *s)
{
	if (s->target != V4L2_SEL_TGT_CROP && s->target != V4L2_SEL_TGT_COMPOSE)
		return -EINVAL;
	return daedalus_stream_g_selection(file, priv, s);
}

static int daedalus_stream_subscribe_event(struct v4l2_fh *fh,
					   const struct v4l2_event_subscription *sub)
{
	switch (sub->type) {
	case V4L2_EVENT_EOS:
		return v4l2_event_subscribe(fh, sub, 2, NULL);
	case V4L2_EVENT_SOURCE_CHANGE:
		return v4l2_src_change_event_subscribe(fh, sub);
	default:
		return v4l2_ctrl_subscribe_event(fh, sub);
	}
}

/* The number of CAPTURE buffers, each large enough. */
static bool daedalus_stream_bufs_fit(struct daedalus_ctx *ctx,
				     const struct v4l2_pix_format_mplane *pix,
				     unsigned int min)
{
	struct vb2_queue *q = daedalus_stream_vq(ctx, false);
	unsigned int i, p, n = 0;
#ifdef DAEDALUS_HAVE_VB2_GET_NUM_BUFFERS
	unsigned int max = q->max_num_buffers;
#else
	unsigned int max = q->num_buffers;
#endif

	lockdep_assert_held(&ctx->lock);
	for (i = 0; i < max; i++) {
		struct vb2_buffer *vb = vb2_get_buffer(q, i);

		if (!vb)
			continue;
		if (vb->num_planes != pix->num_planes)
			return false;
		/* a DMABUF plane not attached yet is checked when queued */
		for (p = 0; p < vb->num_planes; p++)
			if (vb2_plane_size(vb, p) &&
			    vb2_plane_size(vb, p) < pix->plane_fmt[p].sizeimage)
				return false;
		n++;
	}
	return n >= min;
}

/*
 * The CAPTURE setup fits the stream's format: CAPTURE
 * streams, set up for the format's size and depth, with enough buffers,
 * each large enough.
 */
static bool daedalus_stream_fits(struct daedalus_ctx *ctx)
{
	struct daedalus_stream *stream = ctx->stream;

	lockdep_assert_held(&ctx->lock);
	return daedalus_stream_streaming(ctx, false) &&
	       stream->setup.width == stream->fmt.width &&
	       stream->setup.height == stream->fmt.height &&
	       stream->fmt.bit_depth == stream->setup_depth &&
	       daedalus_stream_bufs_fit(ctx, &stream->setup,
					stream->fmt.min_buffers);
}

/* Decoding goes on after a setup. */
static void daedalus_stream_set_up(struct daedalus_ctx *ctx)
{
	struct daedalus_stream *stream = ctx->stream;

	lockdep_assert_held(&ctx->lock);
	lockdep_assert_held(&ctx->dev->chan.lock);
	stream->state = stream->draining ? DAEDALUS_STREAM_DRAINING :
		DAEDALUS_STREAM_DECODING;
	stream->draining = false;
}

/*
 * DEC_CMD_STOP drains: the pictures of the bitstream queued so far come
 * out, the last flagged LAST. With a queue not streaming it does nothing.
 * DEC_CMD_START ends a drained stream's stop, or resumes after a setup.
 */
static int daedalus_stream_decoder_cmd(struct file *file, void *priv,
				       struct v4l2_decoder_cmd *dc)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct daedalus_stream *stream = ctx->stream;
	struct daedalus_channel *chan = &ctx->dev->chan;
	int ret;

	ret = v4l2_m2m_ioctl_try_decoder_cmd(file, priv, dc);
	if (ret)
		return ret;

	mutex_lock(&ctx->lock);
	mutex_lock(&chan->lock);
	if (stream->state == DAEDALUS_STREAM_ERROR) {
		ret = -EIO;
	} else if (dc->cmd == V4L2_DEC_CMD_STOP) {
		if (!daedalus_stream_streaming(ctx, true) ||
		    !daedalus_stream_streaming(ctx, false))
			goto unlock;
		switch (stream->state) {
		case DAEDALUS_STREAM_PARSING:
		case DAEDALUS_STREAM_DECODING:
			stream->state = DAEDALUS_STREAM_DRAINING;
			daedalus_stream_command(ctx, DAEDALUS_MSG_STREAM_DRAIN);
			break;
		case DAEDALUS_STREAM_SETUP:
			if (!stream->draining) {
				stream->draining = true;
				daedalus_stream_command(ctx,
							DAEDALUS_MSG_STREAM_DRAIN);
			}
			break;
		default:
			break;
		}
	} else if (stream->state == DAEDALUS_STREAM_DRAINING) {
		ret = -EBUSY;
	} else if (stream->state == DAEDALUS_STREAM_STOPPED) {
		vb2_clear_last_buffer_dequeued(daedalus_stream_vq(ctx, false));
		stream->state = stream->have_format ? DAEDALUS_STREAM_DECODING :
			DAEDALUS_STREAM_PARSING;
		daedalus_stream_command(ctx, DAEDALUS_MSG_STREAM_RESUME);
	} else if (stream->state == DAEDALUS_STREAM_SETUP) {
		/* the client took the new format with the buffers it has */
		stream->setup = ctx->cap_fmt;
		stream->setup_depth = ctx->bit_depth;
		if (daedalus_stream_fits(ctx)) {
			vb2_clear_last_buffer_dequeued(daedalus_stream_vq(ctx, false));
			daedalus_stream_set_up(ctx);
		}
	}
unlock:
	mutex_unlock(&chan->lock);
	if (!ret)
		daedalus_stream_pump(ctx);
	mutex_unlock(&ctx->lock);
	return ret;
}

const struct v4l2_ioctl_ops daedalus_stream_ioctl_ops = {
	.vidioc_querycap		= daedalus_querycap,
	.vidioc_enum_framesizes		= daedalus_stream_enum_framesizes,

	.vidioc_enum_fmt_vid_cap	= daedalus_enum_fmt_cap,
	.vidioc_g_fmt_vid_cap_mplane	= daedalus_g_fmt_cap,
	.vidioc_try_fmt_vid_cap_mplane	= daedalus_stream_try_fmt_cap,
	.vidioc_s_fmt_vid_cap_mplane	= daedalus_stream_s_fmt_cap,

	.vidioc_enum_fmt_vid_out	= daedalus_stream_enum_fmt_out,
	.vidioc_g_fmt_vid_out_mplane	= daedalus_g_fmt_out,
	.vidioc_try_fmt_vid_out_mplane	= daedalus_stream_try_fmt_out,
	.vidioc_s_fmt_vid_out_mplane	= daedalus_stream_s_fmt_out,

	.vidioc_g_selection		= daedalus_stream_g_selection,
	.vidioc_s_selection		= daedalus_stream_s_selection,

	.vidioc_reqbufs			= v4l2_m2m_ioctl_reqbufs,
	.vidioc_querybuf		= v4l2_m2m_ioctl_querybuf,
	.vidioc_qbuf			= v4l2_m2m_ioctl_qbuf,
	.vidioc_dqbuf			= v4l2_m2m_ioctl_dqbuf,
	.vidioc_prepare_buf		= v4l2_m2m_ioctl_prepare_buf,
	.vidioc_create_bufs		= v4l2_m2m_ioctl_create_bufs,
	.vidioc_expbuf			= v4l2_m2m_ioctl_expbuf,

	.vidioc_streamon		= v4l2_m2m_ioctl_streamon,
	.vidioc_streamoff		= v4l2_m2m_ioctl_streamoff,

	.vidioc_decoder_cmd		= daedalus_stream_decoder_cmd,
	.vidioc_try_decoder_cmd		= v4l2_m2m_ioctl_try_decoder_cmd,

	.vidioc_subscribe_event		= daedalus_stream_subscribe_event,
	.vidioc_unsubscribe_event	= v4l2_event_unsubscribe,
};

/* --- queues ------------------------------------------------------------ */

/* At least 2 CAPTURE buffers (6.1 has no min_reqbufs_allocation). */
static int daedalus_stream_queue_setup(struct vb2_queue *vq,
				       unsigned int *nbuffers,
				       unsigned int *nplanes,
				       unsigned int sizes[],
				       struct device *alloc_devs[])
{
	unsigned int have = daedalus_num_buffers(vq);

	if (!V4L2_TYPE_IS_OUTPUT(vq->type) &&
	    have + *nbuffers < DAEDALUS_STREAM_MIN_BUFFERS)
		*nbuffers = DAEDALUS_STREAM_MIN_BUFFERS - have;
	return daedalus_queue_setup(vq, nbuffers, nplanes, sizes, alloc_devs);
}

static int daedalus_stream_buf_init(struct vb2_buffer *vb)
{
	INIT_LIST_HEAD(&daedalus_to_buffer(to_vb2_v4l2_buffer(vb))->held);
	return daedalus_buf_init(vb);
}

static void daedalus_stream_buf_queue(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, to_vb2_v4l2_buffer(vb));
	daedalus_stream_pump(ctx);
}

/*
 * OUTPUT: a new epoch, STREAM_START. CAPTURE: the setup is what CAPTURE
 * starts with; decoding goes on if it fits (and after a drain, resumes).
 */
static int daedalus_stream_start_streaming(struct vb2_queue *vq,
					   unsigned int count)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	struct daedalus_stream *stream = ctx->stream;
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct vb2_v4l2_buffer *vbuf;
	int ret = 0;

	mutex_lock(&chan->lock);
	if (stream->state == DAEDALUS_STREAM_ERROR) {
		ret = -EIO;
	} else if (V4L2_TYPE_IS_OUTPUT(vq->type)) {
		ctx->out_seq = 0;
		stream->epoch++;
		stream->state = DAEDALUS_STREAM_PARSING;
		stream->have_format = false;
		stream->draining = false;
		vb2_clear_last_buffer_dequeued(daedalus_stream_vq(ctx, false));
		atomic64_inc(&chan->streams_started);
		daedalus_stream_command(ctx, DAEDALUS_MSG_STREAM_START);
	} else {
		ctx->cap_seq = 0;
		stream->setup = ctx->cap_fmt;
		stream->setup_depth = ctx->bit_depth;
		if (stream->state == DAEDALUS_STREAM_STOPPED) {
			stream->state = stream->have_format ?
				DAEDALUS_STREAM_SETUP : DAEDALUS_STREAM_PARSING;
			daedalus_stream_command(ctx, DAEDALUS_MSG_STREAM_RESUME);
		}
		if (stream->have_format &&
		    (stream->state == DAEDALUS_STREAM_SETUP ||
		     stream->state == DAEDALUS_STREAM_DECODING ||
		     stream->state == DAEDALUS_STREAM_DRAINING)) {
			if (stream->state == DAEDALUS_STREAM_DRAINING)
				stream->draining = true;
			if (daedalus_stream_fits(ctx))
				daedalus_stream_set_up(ctx);
			else
				stream->state = DAEDALUS_STREAM_SETUP;
		}
	}
	mutex_unlock(&chan->lock);
	if (!ret) {
		daedalus_stream_pump(ctx);
		return 0;
	}
	/* a failed start gives the queue's buffers back, still queued */
	while ((vbuf = V4L2_TYPE_IS_OUTPUT(vq->type) ?
		v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx) :
		v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx)))
		v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_QUEUED);
	return ret;
}

/*
 * OUTPUT (a seek, or the end): the daemon's bitstream comes back, and the
 * CAPTURE buffers it holds (it forgets them at STREAM_STOP); the CAPTURE
 * setup stays. CAPTURE: its buffers come back, STREAM_CAPTURE_RESET.
 */
static void daedalus_stream_stop_streaming(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	struct daedalus_stream *stream = ctx->stream;
	struct daedalus_channel *chan = &ctx->dev->chan;
	bool out = V4L2_TYPE_IS_OUTPUT(vq->type);
	struct vb2_v4l2_buffer *vbuf;

	mutex_lock(&chan->lock);
	if (out) {
		daedalus_stream_drop(ctx, 0);
		daedalus_stream_reclaim(ctx, true, VB2_BUF_STATE_ERROR);
		daedalus_stream_reclaim(ctx, false, 0);
		stream->daemon_has_cap = false;
		stream->last_pending = false;
		stream->meta_count = 0;
		stream->meta_next = 0;
		if (stream->started)
			daedalus_stream_command(ctx, DAEDALUS_MSG_STREAM_STOP);
		stream->started = false;
		if (stream->state != DAEDALUS_STREAM_ERROR ||
		    !daedalus_stream_streaming(ctx, false))
			stream->state = DAEDALUS_STREAM_IDLE;
	} else {
		daedalus_stream_reclaim(ctx, false, VB2_BUF_STATE_ERROR);
		stream->last_pending = false;
		if (stream->daemon_has_cap)
			daedalus_stream_command(ctx,
						DAEDALUS_MSG_STREAM_CAPTURE_RESET);
		stream->daemon_has_cap = false;
		if (stream->state == DAEDALUS_STREAM_DRAINING)
			stream->state = DAEDALUS_STREAM_STOPPED;
		else if (stream->state == DAEDALUS_STREAM_ERROR &&
			 !daedalus_stream_streaming(ctx, true))
			stream->state = DAEDALUS_STREAM_IDLE;
	}
	mutex_unlock(&chan->lock);

	while ((vbuf = out ? v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx) :
		v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx)))
		v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops daedalus_stream_qops = {
	.queue_setup		= daedalus_stream_queue_setup,
	.buf_out_validate	= daedalus_buf_out_validate,
	.buf_init		= daedalus_stream_buf_init,
	.buf_prepare		= daedalus_buf_prepare,
	.buf_queue		= daedalus_stream_buf_queue,
	.start_streaming	= daedalus_stream_start_streaming,
	.stop_streaming		= daedalus_stream_stop_streaming,
	.wait_prepare		= vb2_ops_wait_prepare,
	.wait_finish		= vb2_ops_wait_finish,
};

int daedalus_stream_queue_init(void *priv, struct vb2_queue *src_vq,
			       struct vb2_queue *dst_vq)
{
	struct daedalus_ctx *ctx = priv;
	int ret;

	daedalus_vq_setup(src_vq, ctx, true, &daedalus_stream_qops);
	ret = vb2_queue_init(src_vq);
	if (ret)
		return ret;
	daedalus_vq_setup(dst_vq, ctx, false, &daedalus_stream_qops);
	return vb2_queue_init(dst_vq);
}

/* --- contexts ---------------------------------------------------------- */

/*
 * The controls: MIN_BUFFERS_FOR_CAPTURE (set from each format the daemon
 * sends, which raises a control event) and each codec's PROFILE menu.
 */
static int daedalus_stream_ctrls_init(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;
	const struct daedalus_stream_desc *desc;
	struct v4l2_ctrl *ctrl;
	unsigned int i;
	int ret;

	v4l2_ctrl_handler_init(hdl, 8);
	ctx->stream->min_bufs =
		v4l2_ctrl_new_std(hdl, NULL, V4L2_CID_MIN_BUFFERS_FOR_CAPTURE,
				  1, DAEDALUS_STREAM_MAX_BUFFERS, 1,
				  DAEDALUS_STREAM_MIN_BUFFERS);
	for (i = 0; (desc = daedalus_stream_codec_by_index(i)); i++) {
		/* none in the uAPI, or one that a codec's other fourcc added */
		if (!desc->profile_cid || v4l2_ctrl_find(hdl, desc->profile_cid))
			continue;
		ctrl = v4l2_ctrl_new_std_menu(hdl, NULL, desc->profile_cid,
					      desc->profile_max,
					      desc->profile_skip,
					      desc->profile_def);
		if (ctrl)
			ctrl->flags |= V4L2_CTRL_FLAG_READ_ONLY;
	}
	ret = hdl->error;
	if (ret) {
		v4l2_ctrl_handler_free(hdl);
		return ret;
	}
	ctx->fh.ctrl_handler = hdl;
	return 0;
}

int daedalus_stream_open(struct daedalus_ctx *ctx)
{
	struct daedalus_channel *chan = &ctx->dev->chan;
	u32 mask = daedalus_advertised_stream_codecs(ctx->dev);
	const struct daedalus_stream_desc *desc;
	struct daedalus_stream *stream;
	unsigned int i;
	int ret;

	stream = kzalloc(sizeof(*stream), GFP_KERNEL);
	if (!stream)
		return -ENOMEM;
	stream->meta = kcalloc(DAEDALUS_STREAM_META, sizeof(*stream->meta),
			       GFP_KERNEL);
	if (!stream->meta) {
		kfree(stream);
		return -ENOMEM;
	}
	stream->ctx = ctx;
	INIT_LIST_HEAD(&stream->node);
	INIT_LIST_HEAD(&stream->out_held);
	INIT_LIST_HEAD(&stream->cap_held);
	INIT_DELAYED_WORK(&stream->watchdog, daedalus_stream_watchdog);
	ctx->stream = stream;

	ret = daedalus_stream_ctrls_init(ctx);
	if (ret) {
		ctx->stream = NULL;
		kfree(stream->meta);
		kfree(stream);
		return ret;
	}

	stream->desc = daedalus_stream_codec_by_index(0);
	for (i = 0; (desc = daedalus_stream_codec_by_index(i)); i++) {
		if (mask & DAEDALUS_CODEC_BIT(desc->codec)) {
			stream->desc = desc;
			break;
		}
	}
	ctx->caps = &stream->desc->pic;
	ctx->bit_depth = 8;
	memset(&ctx->out_fmt, 0, sizeof(ctx->out_fmt));
	daedalus_stream_fill_out(&ctx->out_fmt, stream->desc);
	ctx->cap_fmt.pixelformat = daedalus_cap_formats(ctx)->fourccs[0];
	daedalus_stream_set_out(ctx, stream->desc, &ctx->out_fmt);

	mutex_lock(&chan->lock);
	list_add_tail(&stream->node, &chan->streams);
	mutex_unlock(&chan->lock);
	return 0;
}

/* The daemon's answers no longer find the stream (before it is stopped). */
void daedalus_stream_unlink(struct daedalus_ctx *ctx)
{
	struct daedalus_channel *chan = &ctx->dev->chan;

	mutex_lock(&chan->lock);
	list_del_init(&ctx->stream->node);
	mutex_unlock(&chan->lock);
}

/*
 * After both queues stopped: a STREAM_STOP the daemon has not fetched yet
 * outlives the context (the daemon frees the stream's session); nothing
 * else of it does.
 */
void daedalus_stream_release(struct daedalus_ctx *ctx)
{
	struct daedalus_stream *stream = ctx->stream;
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct daedalus_qnode *q, *tmp;

	daedalus_stream_unlink(ctx);
	mutex_lock(&chan->lock);
	list_for_each_entry_safe(q, tmp, &chan->msgs, list) {
		struct daedalus_stream_qmsg *m;

		if (q->kind != DAEDALUS_QNODE_STREAM)
			continue;
		m = container_of(q, struct daedalus_stream_qmsg, q);
		if (m->ctx != ctx)
			continue;
		m->ctx = NULL;
		if (m->u.hdr.type != DAEDALUS_MSG_STREAM_STOP) {
			list_del(&q->list);
			kfree(m);
		}
	}
	stream->unfetched = 0;
	mutex_unlock(&chan->lock);
	cancel_delayed_work_sync(&stream->watchdog);
	ctx->stream = NULL;
	kfree(stream->meta);
	kfree(stream);
}

void daedalus_stream_show(struct seq_file *s, struct daedalus_ctx *ctx)
{
	struct daedalus_stream *stream = ctx->stream;
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct daedalus_buffer *buf;
	unsigned int out = 0, cap = 0;

	mutex_lock(&chan->lock);
	list_for_each_entry(buf, &stream->out_held, held)
		out += buf->fetched;
	list_for_each_entry(buf, &stream->cap_held, held)
		cap += buf->fetched;
	seq_printf(s, "ctx %u stream %s state %s epoch %u out %ux%u cap %p4cc %ux%u daemon holds out %u cap %u unfetched %u mem_kib %llu\n",
		   ctx->id, stream->desc->pic.name,
		   daedalus_stream_states[stream->state], stream->epoch,
		   ctx->out_fmt.width, ctx->out_fmt.height,
		   &ctx->cap_fmt.pixelformat, ctx->cap_fmt.width,
		   ctx->cap_fmt.height, out, cap, stream->unfetched,
		   (u64)atomic64_read(&ctx->mem->used) >> 10);
	mutex_unlock(&chan->lock);
}

/* --- the channel's side ------------------------------------------------ */

/* Only a daemon that declared the codec gets the message. */
bool daedalus_stream_msg_ready(struct daedalus_channel *chan,
			       struct daedalus_stream_qmsg *m)
{
	lockdep_assert_held(&chan->lock);
	return chan->daemon_stream_codecs & DAEDALUS_CODEC_BIT(m->codec);
}

/* The daemon took @m (it is freed after). */
void daedalus_stream_fetched(struct daedalus_stream_qmsg *m)
{
	struct daedalus_stream *stream = m->ctx ? m->ctx->stream : NULL;

	if (!stream)
		return;
	lockdep_assert_held(&m->ctx->dev->chan.lock);
	stream->unfetched--;
	daedalus_stream_kick(stream);
	switch (m->u.hdr.type) {
	case DAEDALUS_MSG_STREAM_START:
		stream->started = true;
		break;
	case DAEDALUS_MSG_STREAM_CAPTURE:
		stream->daemon_has_cap = true;
		fallthrough;
	case DAEDALUS_MSG_STREAM_DATA:
		m->buf->fetched = true;
		break;
	}
}

/* A buffer the daemon fetched, by cookie. */
static struct daedalus_buffer *
daedalus_stream_find(struct daedalus_channel *chan, u32 cookie, bool out,
		     struct daedalus_stream **streamp)
{
	struct daedalus_stream *stream;
	struct daedalus_buffer *buf;

	lockdep_assert_held(&chan->lock);
	list_for_each_entry(stream, &chan->streams, node) {
		list_for_each_entry(buf, out ? &stream->out_held :
				    &stream->cap_held, held) {
			if (buf->cookie == cookie && buf->fetched) {
				*streamp = stream;
				return buf;
			}
		}
	}
	return NULL;
}

/* What the daemon maps: slot 0 bitstream, 1.. planes. */
struct vb2_buffer *daedalus_stream_mmap_buf(struct daedalus_channel *chan,
					    u32 cookie, unsigned int slot)
{
	struct daedalus_stream *stream;
	struct daedalus_buffer *buf;

	lockdep_assert_held(&chan->lock);
	buf = daedalus_stream_find(chan, cookie, !slot, &stream);
	return buf ? &buf->m2m.vb.vb2_buf : NULL;
}

/*
 * The daemon's file is gone. Every stream it served ends
 * in error (dev-decoder.rst: a fatal error, EIO), and no message of it is
 * left for the next daemon, which starts from new epochs.
 */
void daedalus_stream_daemon_gone(struct daedalus_channel *chan)
{
	struct daedalus_stream *stream;
	struct daedalus_qnode *q, *tmp;

	lockdep_assert_held(&chan->lock);
	list_for_each_entry(stream, &chan->streams, node) {
		daedalus_stream_fail(stream->ctx, -EIO);
		stream->started = false;
		stream->daemon_has_cap = false;
	}
	list_for_each_entry_safe(q, tmp, &chan->msgs, list) {
		struct daedalus_stream_qmsg *m;

		if (q->kind != DAEDALUS_QNODE_STREAM)
			continue;
		m = container_of(q, struct daedalus_stream_qmsg, q);
		if (m->ctx)
			m->ctx->stream->unfetched--;
		list_del(&q->list);
		kfree(m);
	}
}

/*
 * An answer's stream, held: ctx->finishing keeps the context from being
 * freed once the channel lock is dropped; release waits for it.
 */
static struct daedalus_ctx *daedalus_stream_hold(struct daedalus_stream *stream)
{
	atomic_inc(&stream->ctx->finishing);
	return stream->ctx;
}

static void daedalus_stream_put(struct daedalus_ctx *ctx)
{
	/* The context may be freed as soon as this drops to 0. */
	if (atomic_dec_and_test(&ctx->finishing))
		wake_up_var(&ctx->finishing);
}

/* A stream by context id, for the daemon. */
static struct daedalus_stream *
daedalus_stream_by_id(struct daedalus_channel *chan, u32 id)
{
	struct daedalus_stream *stream;

	lockdep_assert_held(&chan->lock);
	list_for_each_entry(stream, &chan->streams, node)
		if (stream->ctx->id == id)
			return stream;
	return NULL;
}

/*
 * Finds the answer's stream, then takes its context lock and the channel
 * lock again (in that order, the client's): returns the context with both
 * locks held and the stream still there, or NULL with neither held.
 */
static struct daedalus_ctx *daedalus_stream_lock(struct daedalus_channel *chan,
						 struct file *file, u32 id,
						 int *err)
{
	struct daedalus_stream *stream;
	struct daedalus_ctx *ctx;

	mutex_lock(&chan->lock);
	if (chan->daemon != file) {
		mutex_unlock(&chan->lock);
		*err = -ENOTCONN;
		return NULL;
	}
	stream = daedalus_stream_by_id(chan, id);
	if (!stream) {
		mutex_unlock(&chan->lock);
		*err = -ENOENT;
		return NULL;
	}
	ctx = daedalus_stream_hold(stream);
	mutex_unlock(&chan->lock);

	mutex_lock(&ctx->lock);
	mutex_lock(&chan->lock);
	if (chan->daemon != file || list_empty(&stream->node)) {
		mutex_unlock(&chan->lock);
		mutex_unlock(&ctx->lock);
		daedalus_stream_put(ctx);
		*err = chan->daemon != file ? -ENOTCONN : -ENOENT;
		return NULL;
	}
	return ctx;
}

static void daedalus_stream_unlock(struct daedalus_ctx *ctx)
{
	mutex_unlock(&ctx->dev->chan.lock);
	mutex_unlock(&ctx->lock);
	daedalus_stream_put(ctx);
}

/* The context of a buffer the daemon holds, by its cookie. */
static int daedalus_stream_cookie_ctx(struct daedalus_channel *chan,
				      struct file *file, u32 cookie, bool out,
				      u32 *id)
{
	struct daedalus_stream *stream;
	int ret = 0;

	mutex_lock(&chan->lock);
	if (chan->daemon != file)
		ret = -ENOTCONN;
	else if (!daedalus_stream_find(chan, cookie, out, &stream))
		ret = -ENOENT;
	else
		*id = stream->ctx->id;
	mutex_unlock(&chan->lock);
	return ret;
}

static long daedalus_stream_data_done(struct daedalus_channel *chan,
				      struct file *file, void __user *arg)
{
	struct daedalus_stream_data_done d;
	struct daedalus_stream *stream;
	struct daedalus_buffer *buf;
	struct daedalus_ctx *ctx;
	u32 id;
	int ret;

	if (copy_from_user(&d, arg, sizeof(d)))
		return -EFAULT;
	if (d.reserved[0] || d.reserved[1] || d.status > 0 ||
	    d.status < -MAX_ERRNO)
		return -EINVAL;
	ret = daedalus_stream_cookie_ctx(chan, file, d.cookie, true, &id);
	if (ret)
		return ret;
	ctx = daedalus_stream_lock(chan, file, id, &ret);
	if (!ctx)
		return ret;
	buf = daedalus_stream_find(chan, d.cookie, true, &stream);
	if (!buf || stream != ctx->stream) {
		ret = -ENOENT;
	} else {
		list_del_init(&buf->held);
		buf->m2m.vb.sequence = ctx->out_seq++;
		daedalus_stream_kick(stream);
		v4l2_m2m_buf_done(&buf->m2m.vb, d.status ? VB2_BUF_STATE_ERROR :
				  VB2_BUF_STATE_DONE);
	}
	daedalus_stream_unlock(ctx);
	return ret;
}

static long daedalus_stream_picture(struct daedalus_channel *chan,
				    struct file *file, void __user *arg)
{
	static const struct v4l2_event eos = { .type = V4L2_EVENT_EOS };
	struct daedalus_stream_picture p;
	struct daedalus_stream *stream;
	struct daedalus_buffer *buf;
	struct daedalus_ctx *ctx;
	struct vb2_buffer *vb;
	unsigned int i;
	bool last;
	u32 id;
	int ret;

	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	last = p.flags & DAEDALUS_PICTURE_LAST;
	if (p.status > 0 || p.status < -MAX_ERRNO ||
	    (p.flags & ~(DAEDALUS_PICTURE_LAST | DAEDALUS_PICTURE_KEYFRAME |
			 DAEDALUS_PICTURE_PFRAME | DAEDALUS_PICTURE_BFRAME)) ||
	    p.num_planes > DAEDALUS_MAX_PLANES || (p.status && p.num_planes) ||
	    (!p.num_planes && !last && !p.status))
		return -EINVAL;
	for (i = p.num_planes; i < DAEDALUS_MAX_PLANES; i++)
		if (p.bytesused[i])
			return -EINVAL;
	ret = daedalus_stream_cookie_ctx(chan, file, p.cookie, false, &id);
	if (ret)
		return ret;
	ctx = daedalus_stream_lock(chan, file, id, &ret);
	if (!ctx)
		return ret;
	buf = daedalus_stream_find(chan, p.cookie, false, &stream);
	if (!buf || stream != ctx->stream || p.epoch != stream->epoch) {
		ret = -ENOENT;
		goto unlock;
	}
	vb = &buf->m2m.vb.vb2_buf;
	/* LAST ends a drain; a format change's LAST is the node's own */
	if ((p.num_planes && p.num_planes != vb->num_planes) ||
	    (last && stream->state != DAEDALUS_STREAM_DRAINING)) {
		ret = -EINVAL;
		goto unlock;
	}
	for (i = 0; i < p.num_planes; i++) {
		if (p.bytesused[i] > vb2_plane_size(vb, i)) {
			ret = -EINVAL;
			goto unlock;
		}
	}

	list_del_init(&buf->held);
	daedalus_stream_kick(stream);
	for (i = 0; i < vb->num_planes; i++)
		vb2_set_plane_payload(vb, i, i < p.num_planes ?
				      p.bytesused[i] : 0);
	vb->timestamp = p.timestamp;
	buf->m2m.vb.field = V4L2_FIELD_NONE;
	buf->m2m.vb.sequence = ctx->cap_seq++;
	buf->m2m.vb.flags &= ~(V4L2_BUF_FLAG_KEYFRAME | V4L2_BUF_FLAG_PFRAME |
			       V4L2_BUF_FLAG_BFRAME | V4L2_BUF_FLAG_LAST);
	if (p.flags & DAEDALUS_PICTURE_KEYFRAME)
		buf->m2m.vb.flags |= V4L2_BUF_FLAG_KEYFRAME;
	if (p.flags & DAEDALUS_PICTURE_PFRAME)
		buf->m2m.vb.flags |= V4L2_BUF_FLAG_PFRAME;
	if (p.flags & DAEDALUS_PICTURE_BFRAME)
		buf->m2m.vb.flags |= V4L2_BUF_FLAG_BFRAME;
	/* an empty LAST is no picture */
	if (p.num_planes || p.status)
		daedalus_stream_meta_copy(stream, &buf->m2m.vb);
	else
		daedalus_stream_meta_none(&buf->m2m.vb);
	if (last) {
		buf->m2m.vb.flags |= V4L2_BUF_FLAG_LAST;
		stream->state = DAEDALUS_STREAM_STOPPED;
		v4l2_event_queue_fh(&ctx->fh, &eos);
	}
	if (p.num_planes && !p.status)
		atomic64_inc(&chan->pictures_done);
	else if (p.status)
		atomic64_inc(&chan->pictures_failed);
	v4l2_m2m_buf_done(&buf->m2m.vb, p.status ? VB2_BUF_STATE_ERROR :
			  VB2_BUF_STATE_DONE);
unlock:
	daedalus_stream_unlock(ctx);
	return ret;
}

static bool daedalus_stream_format_valid(const struct daedalus_stream_format *f)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(f->reserved); i++)
		if (f->reserved[i])
			return false;
	return f->width && f->height && f->width <= DAEDALUS_MAX_WIDTH &&
	       f->height <= DAEDALUS_MAX_HEIGHT && f->visible_width &&
	       f->visible_height &&
	       f->visible_left + (u64)f->visible_width <= f->width &&
	       f->visible_top + (u64)f->visible_height <= f->height &&
	       f->bit_depth >= 8 && f->bit_depth <= 16 &&
	       f->chroma_format <= DAEDALUS_CHROMA_444 &&
	       f->min_buffers >= 1 &&
	       f->min_buffers <= DAEDALUS_STREAM_MAX_BUFFERS &&
	       f->colorspace <= V4L2_COLORSPACE_DCI_P3 &&
	       f->xfer_func <= V4L2_XFER_FUNC_SMPTE2084 &&
	       f->ycbcr_enc <= V4L2_YCBCR_ENC_SMPTE240M &&
	       f->quantization <= V4L2_QUANTIZATION_LIM_RANGE;
}

/*
 * The format does not fit a CAPTURE setup the client decoded with: the
 * buffers the daemon holds come back (it asked before writing the new
 * picture), the oldest returns empty with LAST (or the next queued, or the
 * next the client queues).
 */
static void daedalus_stream_resolution_change(struct daedalus_ctx *ctx)
{
	struct daedalus_stream *stream = ctx->stream;
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	struct daedalus_buffer *oldest;
	struct vb2_v4l2_buffer *vbuf = NULL;

	lockdep_assert_held(&ctx->lock);
	lockdep_assert_held(&ctx->dev->chan.lock);
	oldest = list_first_entry_or_null(&stream->cap_held,
					  struct daedalus_buffer, held);
	if (oldest) {
		list_del_init(&oldest->held);
		vbuf = &oldest->m2m.vb;
	}
	daedalus_stream_reclaim(ctx, false, 0);
	if (!vbuf)
		vbuf = v4l2_m2m_dst_buf_remove(m2m_ctx);
	if (vbuf)
		daedalus_stream_last_done(vbuf);
	else
		stream->last_pending = true;
}

static long daedalus_stream_format(struct daedalus_channel *chan,
				   struct file *file, void __user *arg)
{
	static const struct v4l2_event source_change = {
		.type = V4L2_EVENT_SOURCE_CHANGE,
		.u.src_change.changes = V4L2_EVENT_SRC_CH_RESOLUTION,
	};
	struct daedalus_stream_format f;
	struct daedalus_stream *stream;
	struct daedalus_ctx *ctx;
	struct daedalus_picture pic;
	bool fits = false, was_decoding, same_visible;
	int ret;

	if (copy_from_user(&f, arg, sizeof(f)))
		return -EFAULT;
	if (!daedalus_stream_format_valid(&f))
		return -EINVAL;
	ctx = daedalus_stream_lock(chan, file, f.ctx_id, &ret);
	if (!ctx)
		return ret;
	stream = ctx->stream;
	if (f.epoch != stream->epoch ||
	    (stream->state != DAEDALUS_STREAM_PARSING &&
	     stream->state != DAEDALUS_STREAM_SETUP &&
	     stream->state != DAEDALUS_STREAM_DECODING &&
	     stream->state != DAEDALUS_STREAM_DRAINING)) {
		ret = -ENOENT;
		goto unlock;
	}
	daedalus_stream_kick(stream);
	pic.width = f.width;
	pic.height = f.height;
	pic.bit_depth = f.bit_depth;
	pic.chroma = f.chroma_format;
	if (daedalus_picture_supported(ctx->dev, &stream->desc->pic, &pic)) {
		dev_info_ratelimited(ctx->dev->v4l2_dev.dev,
				     "stream %u: %s %ux%u %u-bit cannot be output\n",
				     ctx->id, stream->desc->pic.name, f.width,
				     f.height, f.bit_depth);
		daedalus_stream_fail(ctx, -EOPNOTSUPP);
		ret = -EOPNOTSUPP;
		goto unlock;
	}

	/* the stream's format: G_FMT, G_SELECTION and the control say it now */
	was_decoding = stream->have_format &&
		(stream->state == DAEDALUS_STREAM_DECODING ||
		 stream->state == DAEDALUS_STREAM_DRAINING);
	same_visible = f.visible_left == stream->fmt.visible_left &&
		f.visible_top == stream->fmt.visible_top &&
		f.visible_width == stream->fmt.visible_width &&
		f.visible_height == stream->fmt.visible_height;
	ctx->bit_depth = f.bit_depth;
	ctx->cap_fmt.width = f.width;
	ctx->cap_fmt.height = f.height;
	/* CAPTURE takes the colorimetry from OUTPUT, as on the stateless node */
	if (f.colorspace) {
		ctx->out_fmt.colorspace = f.colorspace;
		ctx->out_fmt.xfer_func = f.xfer_func;
		ctx->out_fmt.ycbcr_enc = f.ycbcr_enc;
		ctx->out_fmt.quantization = f.quantization;
	}
	daedalus_fill_cap(ctx, &ctx->cap_fmt, 0);
	stream->fmt = f;
	stream->fmt.width = ctx->cap_fmt.width;
	stream->fmt.height = ctx->cap_fmt.height;
	stream->have_format = true;

	/*
	 * A client decoding the stream reconfigures for a new visible
	 * rectangle too: it does not fit, as a new size does not.
	 */
	fits = daedalus_stream_fits(ctx) && (!was_decoding || same_visible);
	if (fits) {
		/* the buffers' own format: the same size, depth and layout */
		ctx->cap_fmt.pixelformat = stream->setup.pixelformat;
		daedalus_fill_cap(ctx, &ctx->cap_fmt,
				  stream->setup.plane_fmt[0].bytesperline);
	}
	/*
	 * An epoch's first format never fits on its own: the client set
	 * CAPTURE up before it knew the stream, and answers the source change
	 * with DEC_CMD_START (its setup fits) or a new setup (dev-decoder.rst's
	 * initialization). Until then no picture goes to buffers it may free.
	 */
	fits = fits && was_decoding;
	if (fits) {
		if (stream->state != DAEDALUS_STREAM_DRAINING)
			daedalus_stream_set_up(ctx);
	} else {
		if (stream->state == DAEDALUS_STREAM_DRAINING)
			stream->draining = true;
		stream->state = DAEDALUS_STREAM_SETUP;
		/* the daemon gave its CAPTURE buffers up with fits = 0 */
		stream->daemon_has_cap = false;
		if (was_decoding)
			daedalus_stream_resolution_change(ctx);
		else
			daedalus_stream_reclaim(ctx, false, 0);
	}
	v4l2_event_queue_fh(&ctx->fh, &source_change);
	v4l2_ctrl_s_ctrl(stream->min_bufs, f.min_buffers);
unlock:
	daedalus_stream_unlock(ctx);
	if (ret)
		return ret;
	f.fits = fits;
	if (copy_to_user(arg, &f, sizeof(f)))
		return -EFAULT;
	return 0;
}

static long daedalus_stream_error(struct daedalus_channel *chan,
				  struct file *file, void __user *arg)
{
	struct daedalus_stream_error e;
	struct daedalus_ctx *ctx;
	int ret;

	if (copy_from_user(&e, arg, sizeof(e)))
		return -EFAULT;
	if (e.reserved || e.error >= 0 || e.error < -MAX_ERRNO ||
	    !memchr(e.reason, 0, sizeof(e.reason)))
		return -EINVAL;
	ctx = daedalus_stream_lock(chan, file, e.ctx_id, &ret);
	if (!ctx)
		return ret;
	if (e.epoch != ctx->stream->epoch ||
	    ctx->stream->state == DAEDALUS_STREAM_IDLE) {
		ret = -ENOENT;
	} else {
		dev_info_ratelimited(ctx->dev->v4l2_dev.dev,
				     "stream %u: %s (%d)\n", ctx->id,
				     e.reason, e.error);
		daedalus_stream_fail(ctx, e.error);
	}
	daedalus_stream_unlock(ctx);
	return ret;
}

long daedalus_stream_answer(struct daedalus_channel *chan, struct file *file,
			    unsigned int cmd, void __user *arg)
{
	switch (cmd) {
	case DAEDALUS_IOC_STREAM_DATA_DONE:
		return daedalus_stream_data_done(chan, file, arg);
	case DAEDALUS_IOC_STREAM_PICTURE:
		return daedalus_stream_picture(chan, file, arg);
	case DAEDALUS_IOC_STREAM_FORMAT:
		return daedalus_stream_format(chan, file, arg);
	case DAEDALUS_IOC_STREAM_ERROR:
		return daedalus_stream_error(chan, file, arg);
	default:
		return -ENOTTY;
	}
}
