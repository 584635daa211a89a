// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: decode jobs.
 *
 * device_run() turns the next OUTPUT/CAPTURE pair and the request's controls
 * into a DECODE message for the daemon. The job then ends in exactly one of
 * these ways, whichever takes it from the channel first (daedalus_job_slot):
 * the daemon completes it, its watchdog fires, the daemon's file is
 * released, or the context stops streaming (job_abort).
 */

#include <linux/slab.h>
#include <media/v4l2-ctrls.h>
#include <media/videobuf2-v4l2.h>

#include "daedalus.h"

static void daedalus_watchdog(struct work_struct *work)
{
	struct daedalus_ctx *ctx = container_of(to_delayed_work(work),
						struct daedalus_ctx, watchdog);
	struct daedalus_channel *chan = &ctx->dev->chan;
	bool mine = false, connected;

	mutex_lock(&chan->lock);
	connected = chan->daemon;
	if ((ctx->job.state == DAEDALUS_JOB_QUEUED ||
	     ctx->job.state == DAEDALUS_JOB_FETCHED) &&
	    time_after_eq(jiffies, ctx->job.deadline))
		mine = daedalus_channel_take(ctx);
	mutex_unlock(&chan->lock);

	if (!mine)
		return;
	atomic64_inc(&chan->jobs_timedout);
	v4l2_warn(&ctx->dev->v4l2_dev,
		  "context %u: job timed out after %u ms%s\n", ctx->id,
		  daedalus_job_timeout_ms,
		  connected ? "" : " (no daemon connected)");
	daedalus_job_finish(ctx, VB2_BUF_STATE_ERROR, NULL, 0);
}

void daedalus_job_init(struct daedalus_ctx *ctx)
{
	ctx->job.state = DAEDALUS_JOB_IDLE;
	INIT_LIST_HEAD(&ctx->job.q.list);
	ctx->job.q.kind = DAEDALUS_QNODE_JOB;
	INIT_DELAYED_WORK(&ctx->watchdog, daedalus_watchdog);
	atomic_set(&ctx->finishing, 0);
}

/*
 * How long this request was the oldest one of its context still pending:
 * from its queueing or the previous request's end, whichever came later, to
 * its own end. A client waits for its requests in order (GStreamer for at
 * most 1 s each), so this bounds its wait; the time a request spends queued
 * behind its own context's earlier ones is theirs, not its.
 */
static void daedalus_request_wait(struct daedalus_ctx *ctx,
				  struct vb2_v4l2_buffer *src)
{
	atomic64_t *dev_max = &ctx->dev->chan.request_wait_max_us;
	ktime_t now = ktime_get();
	ktime_t start = ktime_after(daedalus_to_buffer(src)->queued,
				    ctx->last_done) ?
		daedalus_to_buffer(src)->queued : ctx->last_done;
	s64 us = ktime_us_delta(now, start);
	s64 old = atomic64_read(dev_max);

	ctx->last_done = now;
	ctx->request_wait_max_us = max_t(u64, ctx->request_wait_max_us, us);
	while (us > old && !atomic64_try_cmpxchg(dev_max, &old, us))
		;
}

/*
 * Called by the job's owner, without the channel lock; the owner raised
 * ctx->finishing when it took the job.
 */
void daedalus_job_finish(struct daedalus_ctx *ctx,
			 enum vb2_buffer_state state,
			 const u32 *bytesused, unsigned int num_planes)
{
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;
	struct vb2_v4l2_buffer *src, *dst;
	unsigned int i;

	cancel_delayed_work(&ctx->watchdog);

	src = v4l2_m2m_next_src_buf(m2m_ctx);
	dst = v4l2_m2m_next_dst_buf(m2m_ctx);
	if (src) {
		src->sequence = ctx->out_seq++;
		daedalus_request_wait(ctx, src);
	}
	/* A failed picture carries no data. */
	for (i = 0; dst && i < dst->vb2_buf.num_planes; i++)
		vb2_set_plane_payload(&dst->vb2_buf, i,
				      state == VB2_BUF_STATE_DONE && bytesused &&
				      i < num_planes ? bytesused[i] : 0);
	if (dst && !(src && (src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF)))
		dst->sequence = ctx->cap_seq++;

	if (state == VB2_BUF_STATE_DONE)
		ctx->jobs_done++;
	else
		ctx->jobs_failed++;

	v4l2_m2m_buf_done_and_job_finish(ctx->m2m->m2m_dev, m2m_ctx, state);

	/* The context may be freed as soon as this drops to 0: only its address is used. */
	if (atomic_dec_and_test(&ctx->finishing))
		wake_up_var(&ctx->finishing);
}

/*
 * Builds the job's message into ctx->job.msg, sized for its controls (HEVC's
 * slice parameters or AV1's tile entries are dynamic arrays); returns its
 * size or -errno.
 */
static int daedalus_job_build(struct daedalus_ctx *ctx,
			      struct vb2_v4l2_buffer *src,
			      struct vb2_v4l2_buffer *dst)
{
	struct v4l2_ctrl *ctrls[DAEDALUS_MAX_JOB_CTRLS];
	u32 ids[DAEDALUS_MAX_JOB_CTRLS];
	struct daedalus_job *job;
	unsigned int n, i, num_ctrls = 0;
	size_t off, size = sizeof(*job);
	int ret = 0;

	/* A job that was never fetched (it was aborted) left its message. */
	kvfree(ctx->job.msg);
	ctx->job.msg = NULL;

	if (ctx->codec->job_ctrl_ids) {
		n = ctx->codec->job_ctrl_ids(ctx, ids, ARRAY_SIZE(ids));
	} else {
		n = min_t(unsigned int, ctx->codec->num_job_ctrls, ARRAY_SIZE(ids));
		memcpy(ids, ctx->codec->job_ctrls, n * sizeof(*ids));
	}
	for (i = 0; i < n; i++) {
		ctrls[num_ctrls] = v4l2_ctrl_find(&ctx->hdl, ids[i]);
		if (ctrls[num_ctrls])
			num_ctrls++;
	}

	/* One lock for all the handler's controls: sizes cannot change. */
	mutex_lock(ctx->hdl.lock);
	for (i = 0; i < num_ctrls; i++)
		size += sizeof(struct daedalus_ctrl) +
			ALIGN((size_t)ctrls[i]->elem_size * ctrls[i]->elems, 8);
	if (size > DAEDALUS_MAX_MSG_SIZE) {
		ret = -E2BIG;
		goto unlock;
	}
	job = kvzalloc(size, GFP_KERNEL);
	if (!job) {
		ret = -ENOMEM;
		goto unlock;
	}

	off = sizeof(*job);
	for (i = 0; i < num_ctrls; i++) {
		struct v4l2_ctrl *ctrl = ctrls[i];
		struct daedalus_ctrl *rec = (struct daedalus_ctrl *)((u8 *)job + off);
		size_t len = (size_t)ctrl->elem_size * ctrl->elems;

		rec->id = ctrl->id;
		rec->size = len;
		off += sizeof(*rec);
		if (ctrl->is_ptr)
			memcpy((u8 *)job + off, ctrl->p_cur.p, len);
		else
			memcpy((u8 *)job + off, &ctrl->cur.val,
			       min_t(size_t, len, sizeof(ctrl->cur.val)));
		off += ALIGN(len, 8);
	}
unlock:
	mutex_unlock(ctx->hdl.lock);
	if (ret)
		return ret;

	job->hdr.type = DAEDALUS_MSG_DECODE;
	job->hdr.size = size;
	job->hdr.ctx_id = ctx->id;
	job->codec = ctx->codec->codec;
	job->timestamp = src->vb2_buf.timestamp;
	job->output_index = src->vb2_buf.index;
	job->capture_index = dst->vb2_buf.index;
	job->output_flags = src->flags;
	if (src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF)
		job->flags |= DAEDALUS_JOB_HOLD_CAPTURE;
	job->width = ctx->cap_fmt.width;
	job->height = ctx->cap_fmt.height;
	job->pixelformat = ctx->cap_fmt.pixelformat;
	job->num_capture_planes = dst->vb2_buf.num_planes;

	job->output.length = vb2_plane_size(&src->vb2_buf, 0);
	job->output.bytesused = vb2_get_plane_payload(&src->vb2_buf, 0);
	job->output.memory_id = daedalus_to_buffer(src)->memory_id;
	for (i = 0; i < dst->vb2_buf.num_planes; i++) {
		job->capture[i].memory_id = daedalus_to_buffer(dst)->memory_id;
		job->capture[i].length = vb2_plane_size(&dst->vb2_buf, i);
		job->capture[i].bytesperline =
			ctx->cap_fmt.plane_fmt[i].bytesperline;
	}
	job->num_ctrls = num_ctrls;
	job->ctrls_size = size - sizeof(*job);
	ctx->job.msg = job;
	return size;
}

static void daedalus_device_run(void *priv)
{
	struct daedalus_ctx *ctx = priv;
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct vb2_v4l2_buffer *src, *dst;
	struct media_request *req;
	bool abort;
	int size;
	unsigned int i;

	mutex_lock(&chan->lock);
	ctx->job.state = DAEDALUS_JOB_BUILDING;
	ctx->job.abort = false;
	mutex_unlock(&chan->lock);

	src = v4l2_m2m_next_src_buf(ctx->fh.m2m_ctx);
	dst = v4l2_m2m_next_dst_buf(ctx->fh.m2m_ctx);
	req = src->vb2_buf.req_obj.req;

	if (req)
		v4l2_ctrl_request_setup(req, &ctx->hdl);
	v4l2_m2m_buf_copy_metadata(src, dst, true);
	size = daedalus_job_build(ctx, src, dst);
	if (req)
		v4l2_ctrl_request_complete(req, &ctx->hdl);

	ctx->job.msg_size = size > 0 ? size : 0;
	ctx->job.hold = src->flags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF;
	ctx->job.num_planes = dst->vb2_buf.num_planes;
	for (i = 0; i < dst->vb2_buf.num_planes; i++)
		ctx->job.plane_len[i] = vb2_plane_size(&dst->vb2_buf, i);

	mutex_lock(&chan->lock);
	abort = ctx->job.abort || size < 0;
	if (abort) {
		ctx->job.state = DAEDALUS_JOB_IDLE;
		atomic_inc(&ctx->finishing);
	} else {
		daedalus_channel_submit(ctx);
	}
	mutex_unlock(&chan->lock);

	if (abort) {
		if (size < 0)
			v4l2_err(&ctx->dev->v4l2_dev,
				 "context %u: cannot build job: %d\n", ctx->id,
				 size);
		atomic64_inc(&chan->jobs_failed);
		daedalus_job_finish(ctx, VB2_BUF_STATE_ERROR, NULL, 0);
	}
	/*
	 * A submitted job may be finished, and its context closed, as soon as
	 * the channel lock is dropped: nothing here touches ctx any more.
	 */
}

/* The context stops streaming or closes: its job fails now. */
static void daedalus_job_abort(void *priv)
{
	struct daedalus_ctx *ctx = priv;
	struct daedalus_channel *chan = &ctx->dev->chan;
	bool mine = false;

	mutex_lock(&chan->lock);
	if (ctx->job.state == DAEDALUS_JOB_BUILDING)
		ctx->job.abort = true;
	else
		mine = daedalus_channel_take(ctx);
	mutex_unlock(&chan->lock);

	if (mine) {
		atomic64_inc(&chan->jobs_failed);
		daedalus_job_finish(ctx, VB2_BUF_STATE_ERROR, NULL, 0);
	}
}

/*
 * Before the m2m context is freed: stop both queues (the running job is
 * aborted) and wait until every finisher has returned from the m2m core,
 * which still touches the m2m context after it wakes the waiters.
 */
void daedalus_ctx_quiesce(struct daedalus_ctx *ctx, struct file *file)
{
	struct v4l2_m2m_ctx *m2m_ctx = ctx->fh.m2m_ctx;

	mutex_lock(&ctx->lock);
	v4l2_m2m_streamoff(file, m2m_ctx, V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE);
	v4l2_m2m_streamoff(file, m2m_ctx, V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	mutex_unlock(&ctx->lock);
	wait_var_event(&ctx->finishing, !atomic_read(&ctx->finishing));
}

/* The stateful node's contexts run no job: their buffers go to the daemon. */
static int daedalus_job_ready(void *priv)
{
	struct daedalus_ctx *ctx = priv;

	return !ctx->stream;
}

const struct v4l2_m2m_ops daedalus_m2m_ops = {
	.device_run	= daedalus_device_run,
	.job_ready	= daedalus_job_ready,
	.job_abort	= daedalus_job_abort,
};
