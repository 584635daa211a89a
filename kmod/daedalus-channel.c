// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: the control device, the daemon's end of each job.
 *
 * The protocol is kmod/uapi/daedalus_v4l2.h, explained in docs/protocol.md.
 * Nothing the daemon sends is trusted: a completion that does not match an
 * in-flight job changes nothing. The daemon maps job buffers through mmap()
 * of this device: the vb2 memory's own mmap (refcounted, so a late daemon
 * never writes into freed memory; daedalus-mem.c) or, for imported buffers,
 * dma_buf_mmap().
 */

#include <linux/dma-buf.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <media/videobuf2-v4l2.h>

#include "daedalus.h"

/* What MODULE_IMPORT_NS() expands to, before and after 6.13 changed its argument. */
MODULE_INFO(import_ns, "DMA_BUF");

/* Context messages pending at most: a daemon that never fetches is bounded. */
#define DAEDALUS_MAX_CTX_MSGS	4096
/* Keeps a mapping read-only for good: mprotect() cannot add write later. */
static void daedalus_vma_deny_write(struct vm_area_struct *vma)
{
#ifdef DAEDALUS_HAVE_VM_FLAGS_CLEAR
	vm_flags_clear(vma, VM_MAYWRITE);
#else
	vma->vm_flags &= ~VM_MAYWRITE;
#endif
}

struct daedalus_ctx_msg {
	struct daedalus_qnode q;
	struct daedalus_msg_hdr hdr;
};

static struct daedalus_channel *daedalus_file_chan(struct file *file)
{
	struct miscdevice *misc = file->private_data;

	return container_of(misc, struct daedalus_channel, misc);
}

static struct daedalus_ctx *daedalus_job_ctx(struct daedalus_qnode *q)
{
	struct daedalus_job_slot *job = container_of(q, struct daedalus_job_slot, q);

	return container_of(job, struct daedalus_ctx, job);
}

/* Takes ownership of the context's queued or fetched job. */
bool daedalus_channel_take(struct daedalus_ctx *ctx)
{
	lockdep_assert_held(&ctx->dev->chan.lock);

	if (ctx->job.state != DAEDALUS_JOB_QUEUED &&
	    ctx->job.state != DAEDALUS_JOB_FETCHED)
		return false;
	list_del_init(&ctx->job.q.list);
	ctx->job.state = DAEDALUS_JOB_IDLE;
	atomic_inc(&ctx->finishing);
	return true;
}

/* The next cookie of a job or a stream's buffer: never 0. */
u32 daedalus_channel_cookie(struct daedalus_channel *chan)
{
	lockdep_assert_held(&chan->lock);
	chan->next_cookie = (chan->next_cookie + 1) & DAEDALUS_COOKIE_MASK;
	if (!chan->next_cookie)
		chan->next_cookie = 1;
	return chan->next_cookie;
}

/* Queues the job device_run() built. */
void daedalus_channel_submit(struct daedalus_ctx *ctx)
{
	struct daedalus_channel *chan = &ctx->dev->chan;
	struct daedalus_job *job = ctx->job.msg;
	u64 base;
	unsigned int i;

	lockdep_assert_held(&ctx->dev->chan.lock);

	ctx->job.cookie = daedalus_channel_cookie(chan);
	job->hdr.cookie = ctx->job.cookie;

	base = (u64)ctx->job.cookie << DAEDALUS_SLOTS_SHIFT;
	job->output.mmap_offset = base << PAGE_SHIFT;
	for (i = 0; i < job->num_capture_planes; i++)
		job->capture[i].mmap_offset = (base + 1 + i) << PAGE_SHIFT;

	ctx->job.deadline = jiffies + msecs_to_jiffies(daedalus_job_timeout_ms);
	mod_delayed_work(system_wq, &ctx->watchdog,
			 msecs_to_jiffies(daedalus_job_timeout_ms));
	ctx->job.state = DAEDALUS_JOB_QUEUED;
	list_add_tail(&ctx->job.q.list, &chan->msgs);
	atomic64_inc(&chan->jobs_queued);
	wake_up_interruptible(&chan->wq);
}

void daedalus_channel_ctx_event(struct daedalus_dev *dev, u32 type, u32 id)
{
	struct daedalus_channel *chan = &dev->chan;
	struct daedalus_ctx_msg *msg;

	msg = kzalloc(sizeof(*msg), GFP_KERNEL);
	if (!msg)
		return;
	msg->q.kind = DAEDALUS_QNODE_CTX;
	msg->hdr.type = type;
	msg->hdr.size = sizeof(msg->hdr);
	msg->hdr.ctx_id = id;

	mutex_lock(&chan->lock);
	if (chan->daemon && chan->num_ctx_msgs < DAEDALUS_MAX_CTX_MSGS) {
		list_add_tail(&msg->q.list, &chan->msgs);
		chan->num_ctx_msgs++;
		msg = NULL;
		wake_up_interruptible(&chan->wq);
	}
	mutex_unlock(&chan->lock);
	kfree(msg);
}

static struct daedalus_ctx *daedalus_find_fetched(struct daedalus_channel *chan,
						  u32 cookie)
{
	struct daedalus_qnode *q;

	list_for_each_entry(q, &chan->fetched, list) {
		struct daedalus_ctx *ctx = daedalus_job_ctx(q);

		if (ctx->job.cookie == cookie)
			return ctx;
	}
	return NULL;
}

static long daedalus_ioc_hello(struct daedalus_channel *chan,
			       struct file *file, void __user *arg)
{
	struct daedalus_hello hello;
	unsigned int i;
	int ret = 0;

	if (copy_from_user(&hello, arg, sizeof(hello)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(hello.reserved); i++)
		if (hello.reserved[i])
			return -EINVAL;
	if (hello.abi_version >> 16 != DAEDALUS_ABI_MAJOR)
		return -EPROTO;

	mutex_lock(&chan->lock);
	if (chan->daemon) {
		ret = -EBUSY;
	} else {
		chan->daemon = file;
		chan->daemon_owner = current->files;
		chan->daemon_codecs = hello.codecs;
		chan->daemon_stream_codecs = hello.stream_codecs;
		chan->daemon_seen = true;
	}
	mutex_unlock(&chan->lock);
	if (ret)
		return ret;

	memset(&hello, 0, sizeof(hello));
	hello.abi_version = DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR,
						 DAEDALUS_ABI_MINOR);
	hello.codecs = chan->daemon_codecs;
	hello.kernel_abi_version = hello.abi_version;
	hello.kernel_codecs = daedalus_kernel_codecs();
	hello.stream_codecs = daedalus_kernel_stream_codecs();
	hello.max_msg_size = DAEDALUS_MAX_MSG_SIZE;
	strscpy(hello.driver_version, DAEDALUS_VERSION,
		sizeof(hello.driver_version));
	dev_info(chan->misc.this_device,
		 "daemon connected (codecs %#x, stream codecs %#x)\n",
		 chan->daemon_codecs, chan->daemon_stream_codecs);
	if (copy_to_user(arg, &hello, sizeof(hello)))
		return -EFAULT;
	return 0;
}

/*
 * The first message the connected daemon may fetch: a stream message waits
 * while the daemon does not serve its codec (an ABI 1.2 daemon serves none).
 */
static struct daedalus_qnode *daedalus_chan_next(struct daedalus_channel *chan)
{
	struct daedalus_qnode *q;

	lockdep_assert_held(&chan->lock);
	list_for_each_entry(q, &chan->msgs, list)
		if (q->kind != DAEDALUS_QNODE_STREAM ||
		    daedalus_stream_msg_ready(chan,
					      container_of(q, struct daedalus_stream_qmsg, q)))
			return q;
	return NULL;
}

static long daedalus_ioc_fetch(struct daedalus_channel *chan,
			       struct file *file, void __user *arg)
{
	struct daedalus_fetch fetch;
	struct daedalus_qnode *q;
	union {
		struct daedalus_msg_hdr hdr;
		struct daedalus_stream_qmsg smsg;
	} small;
	void *job_msg = NULL;
	const void *kbuf = NULL;
	u32 size;
	int ret = 0;

	if (copy_from_user(&fetch, arg, sizeof(fetch)))
		return -EFAULT;

	mutex_lock(&chan->lock);
	if (chan->daemon != file) {
		ret = -ENOTCONN;
		goto unlock;
	}
	q = daedalus_chan_next(chan);
	if (!q) {
		ret = -EAGAIN;
		goto unlock;
	}
	switch (q->kind) {
	case DAEDALUS_QNODE_JOB:
		size = daedalus_job_ctx(q)->job.msg_size;
		break;
	case DAEDALUS_QNODE_STREAM:
		size = container_of(q, struct daedalus_stream_qmsg, q)->size;
		break;
	default:
		size = sizeof(small.hdr);
		break;
	}
	fetch.msg_size = size;
	if (fetch.buf_size < size) {
		ret = -ENOSPC;
		goto unlock;
	}
	if (q->kind == DAEDALUS_QNODE_JOB) {
		struct daedalus_ctx *ctx = daedalus_job_ctx(q);

		/* Only the daemon's copy is needed from here on. */
		job_msg = ctx->job.msg;
		ctx->job.msg = NULL;
		kbuf = job_msg;
		list_move_tail(&q->list, &chan->fetched);
		ctx->job.state = DAEDALUS_JOB_FETCHED;
	} else if (q->kind == DAEDALUS_QNODE_STREAM) {
		struct daedalus_stream_qmsg *m =
			container_of(q, struct daedalus_stream_qmsg, q);

		small.smsg.u = m->u;
		kbuf = &small.smsg.u;
		list_del(&q->list);
		daedalus_stream_fetched(m);
		kfree(m);
	} else {
		struct daedalus_ctx_msg *msg =
			container_of(q, struct daedalus_ctx_msg, q);

		small.hdr = msg->hdr;
		kbuf = &small.hdr;
		list_del(&q->list);
		chan->num_ctx_msgs--;
		kfree(msg);
	}
unlock:
	mutex_unlock(&chan->lock);

	/*
	 * A job whose copy fails stays fetched: its watchdog ends it; so does
	 * a stream's.
	 */
	if (kbuf && copy_to_user(u64_to_user_ptr(fetch.buf), kbuf, size))
		ret = -EFAULT;
	kvfree(job_msg);
	if ((!ret || ret == -ENOSPC) &&
	    copy_to_user(arg, &fetch, sizeof(fetch)))
		ret = -EFAULT;
	return ret;
}

static long daedalus_ioc_complete(struct daedalus_channel *chan,
				  struct file *file, void __user *arg)
{
	struct daedalus_complete c;
	struct daedalus_ctx *ctx;
	unsigned int i, planes;
	int ret = 0;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (c.reserved || c.reserved2 || c.status > 0 || c.status < -MAX_ERRNO ||
	    c.num_planes > DAEDALUS_MAX_PLANES)
		return -EINVAL;

	mutex_lock(&chan->lock);
	if (chan->daemon != file) {
		ret = -ENOTCONN;
		goto unlock;
	}
	ctx = daedalus_find_fetched(chan, c.cookie);
	if (!ctx) {
		ret = -ENOENT;
		goto unlock;
	}
	planes = ctx->job.num_planes;
	if (!c.status && c.num_planes != planes) {
		ret = -EINVAL;
		goto unlock;
	}
	for (i = 0; i < DAEDALUS_MAX_PLANES; i++) {
		if (i >= c.num_planes || c.status) {
			if (c.bytesused[i])
				ret = -EINVAL;
		} else if (c.bytesused[i] > ctx->job.plane_len[i]) {
			ret = -EINVAL;
		}
	}
	if (!ret)
		daedalus_channel_take(ctx);
unlock:
	mutex_unlock(&chan->lock);
	if (ret)
		return ret;

	if (c.status) {
		atomic64_inc(&chan->jobs_failed);
		daedalus_job_finish(ctx, VB2_BUF_STATE_ERROR, NULL, 0);
	} else {
		atomic64_inc(&chan->jobs_done);
		daedalus_job_finish(ctx, VB2_BUF_STATE_DONE, c.bytesused,
				    c.num_planes);
	}
	return 0;
}

static long daedalus_chan_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct daedalus_channel *chan = daedalus_file_chan(file);
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case DAEDALUS_IOC_VERSION:
		return put_user(DAEDALUS_ABI_VERSION(DAEDALUS_ABI_MAJOR,
						     DAEDALUS_ABI_MINOR),
				(__u32 __user *)uarg);
	case DAEDALUS_IOC_HELLO:
		return daedalus_ioc_hello(chan, file, uarg);
	case DAEDALUS_IOC_FETCH:
		return daedalus_ioc_fetch(chan, file, uarg);
	case DAEDALUS_IOC_COMPLETE:
		return daedalus_ioc_complete(chan, file, uarg);
	case DAEDALUS_IOC_STREAM_DATA_DONE:
	case DAEDALUS_IOC_STREAM_PICTURE:
	case DAEDALUS_IOC_STREAM_FORMAT:
	case DAEDALUS_IOC_STREAM_ERROR:
		return daedalus_stream_answer(chan, file, cmd, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Messages come only to the connected daemon's file: any other (one that
 * never said HELLO, or whose connection ended while a copy of it is still
 * open, e.g. in a child after fork()) hangs up, as a pipe without writer
 * does, so that no poller waits for what cannot come.
 */
static __poll_t daedalus_chan_poll(struct file *file, poll_table *wait)
{
	struct daedalus_channel *chan = daedalus_file_chan(file);
	__poll_t mask = 0;

	poll_wait(file, &chan->wq, wait);
	mutex_lock(&chan->lock);
	if (chan->daemon != file)
		mask = EPOLLHUP;
	else if (daedalus_chan_next(chan))
		mask = EPOLLIN | EPOLLRDNORM;
	mutex_unlock(&chan->lock);
	return mask;
}

static int daedalus_chan_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct daedalus_channel *chan = daedalus_file_chan(file);
	u32 cookie = vma->vm_pgoff >> DAEDALUS_SLOTS_SHIFT;
	unsigned int slot = vma->vm_pgoff & (BIT(DAEDALUS_SLOTS_SHIFT) - 1);
	struct vb2_v4l2_buffer *vbuf;
	struct daedalus_ctx *ctx;
	struct vb2_buffer *vb;
	unsigned int plane;
	int ret;

	if (!(vma->vm_flags & VM_SHARED) ||
	    (vma->vm_pgoff >> DAEDALUS_SLOTS_SHIFT) > DAEDALUS_COOKIE_MASK)
		return -EINVAL;

	mutex_lock(&chan->lock);
	if (chan->daemon != file) {
		ret = -ENOTCONN;
		goto unlock;
	}
	/* The bitstream is the client's: read-only. */
	if (!slot && (vma->vm_flags & VM_WRITE)) {
		ret = -EACCES;
		goto unlock;
	}
	ctx = daedalus_find_fetched(chan, cookie);
	if (ctx) {
		vbuf = slot ? v4l2_m2m_next_dst_buf(ctx->fh.m2m_ctx) :
			v4l2_m2m_next_src_buf(ctx->fh.m2m_ctx);
		vb = vbuf ? &vbuf->vb2_buf : NULL;
	} else {
		vb = daedalus_stream_mmap_buf(chan, cookie, slot);
	}
	plane = slot ? slot - 1 : 0;
	if (!vb || plane >= vb->num_planes) {
		ret = -EINVAL;
		goto unlock;
	}
	if (!slot)
		daedalus_vma_deny_write(vma);
	if (vma->vm_end - vma->vm_start >
	    PAGE_ALIGN(vb2_plane_size(vb, plane))) {
		ret = -EINVAL;
		goto unlock;
	}

	if (vb->memory == VB2_MEMORY_DMABUF)
		ret = dma_buf_mmap(vb->planes[plane].dbuf, vma, 0);
	else if (vb->memory == VB2_MEMORY_MMAP)
		ret = daedalus_mem_daemon_mmap(vb->planes[plane].mem_priv, vma);
	else
		ret = -EINVAL;
unlock:
	mutex_unlock(&chan->lock);
	return ret;
}

/* Ends the daemon's connection, if @file has it: its fetched jobs fail. */
static void daedalus_chan_disconnect(struct daedalus_channel *chan,
				     struct file *file, fl_owner_t owner)
{
	struct daedalus_qnode *q, *tmp;
	LIST_HEAD(failed);
	unsigned int n = 0;

	mutex_lock(&chan->lock);
	if (chan->daemon != file || (owner && chan->daemon_owner != owner)) {
		mutex_unlock(&chan->lock);
		return;
	}
	chan->daemon = NULL;
	chan->daemon_owner = NULL;
	list_for_each_entry_safe(q, tmp, &chan->msgs, list) {
		if (q->kind != DAEDALUS_QNODE_CTX)
			continue;
		list_del(&q->list);
		kfree(container_of(q, struct daedalus_ctx_msg, q));
	}
	chan->num_ctx_msgs = 0;
	/* Every stream it served ends in error; their messages go. */
	daedalus_stream_daemon_gone(chan);
	/* Fetched jobs die with the daemon; queued ones wait for the next. */
	list_for_each_entry(q, &chan->fetched, list) {
		struct daedalus_ctx *ctx = daedalus_job_ctx(q);

		ctx->job.state = DAEDALUS_JOB_IDLE;
		atomic_inc(&ctx->finishing);
	}
	list_splice_init(&chan->fetched, &failed);
	mutex_unlock(&chan->lock);
	/* Pollers of the file (a copy of it elsewhere) see it hang up. */
	wake_up_interruptible(&chan->wq);

	while ((q = list_first_entry_or_null(&failed, struct daedalus_qnode,
					     list))) {
		list_del_init(&q->list);
		atomic64_inc(&chan->jobs_failed);
		daedalus_job_finish(daedalus_job_ctx(q), VB2_BUF_STATE_ERROR,
				    NULL, 0);
		n++;
	}
	dev_info(chan->misc.this_device,
		 "daemon disconnected, %u job(s) in flight failed\n", n);
}

static int daedalus_same_file(const void *file, struct file *f, unsigned int fd)
{
	return f == file;
}

/*
 * close() of the daemon's last descriptor, or the exit of the process that
 * said HELLO, disconnects it at once: job mappings hold the file, so release
 * comes only at the last munmap(). A copy of the descriptor in another
 * process (after fork()) does not disconnect when closed, nor does one of
 * several in the daemon's process (a dup() its decode threads hold): the
 * closed one has left the file table when flush runs, the others are there.
 */
static int daedalus_chan_flush(struct file *file, fl_owner_t id)
{
	if (iterate_fd(id, 0, daedalus_same_file, file))
		return 0;
	daedalus_chan_disconnect(daedalus_file_chan(file), file, id);
	return 0;
}

static int daedalus_chan_release(struct inode *inode, struct file *file)
{
	daedalus_chan_disconnect(daedalus_file_chan(file), file, NULL);
	return 0;
}

static const struct file_operations daedalus_chan_fops = {
	.owner		= THIS_MODULE,
	.flush		= daedalus_chan_flush,
	.release	= daedalus_chan_release,
	.unlocked_ioctl	= daedalus_chan_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.poll		= daedalus_chan_poll,
	.mmap		= daedalus_chan_mmap,
	.llseek		= noop_llseek,
};

static struct daedalus_channel *daedalus_dev_chan(struct device *dev)
{
	struct miscdevice *misc = dev_get_drvdata(dev);

	return container_of(misc, struct daedalus_channel, misc);
}

static ssize_t jobs_queued_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->jobs_queued));
}
static DEVICE_ATTR_RO(jobs_queued);

static ssize_t jobs_done_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->jobs_done));
}
static DEVICE_ATTR_RO(jobs_done);

static ssize_t jobs_failed_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->jobs_failed));
}
static DEVICE_ATTR_RO(jobs_failed);

static ssize_t jobs_timedout_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->jobs_timedout));
}
static DEVICE_ATTR_RO(jobs_timedout);

/* Writing 0 starts a new measurement. */
static ssize_t request_wait_max_us_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct daedalus_channel *chan = daedalus_dev_chan(dev);

	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&chan->request_wait_max_us));
}

static ssize_t request_wait_max_us_store(struct device *dev,
					 struct device_attribute *attr,
					 const char *buf, size_t count)
{
	u64 val;
	int ret = kstrtou64(buf, 0, &val);

	if (ret)
		return ret;
	if (val)
		return -EINVAL;
	atomic64_set(&daedalus_dev_chan(dev)->request_wait_max_us, 0);
	return count;
}
static DEVICE_ATTR_RW(request_wait_max_us);

/* The stateful node's streams started, pictures done and failed. */
static ssize_t streams_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->streams_started));
}
static DEVICE_ATTR_RO(streams);

static ssize_t pictures_done_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->pictures_done));
}
static DEVICE_ATTR_RO(pictures_done);

static ssize_t pictures_failed_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_chan(dev)->pictures_failed));
}
static DEVICE_ATTR_RO(pictures_failed);

static ssize_t daemon_connected_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct daedalus_channel *chan = daedalus_dev_chan(dev);
	bool connected;

	mutex_lock(&chan->lock);
	connected = chan->daemon;
	mutex_unlock(&chan->lock);
	return sysfs_emit(buf, "%d\n", connected);
}
static DEVICE_ATTR_RO(daemon_connected);

static ssize_t abi_version_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d.%d\n", DAEDALUS_ABI_MAJOR,
			  DAEDALUS_ABI_MINOR);
}
static DEVICE_ATTR_RO(abi_version);

/* The codecs clients are offered now, by name. */
static ssize_t codecs_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct daedalus_channel *chan = daedalus_dev_chan(dev);
	struct daedalus_dev *ddev = container_of(chan, struct daedalus_dev, chan);
	u32 mask = daedalus_advertised_codecs(ddev);
	const struct daedalus_codec_desc *codec;
	unsigned int i;
	int len = 0;

	for (i = 0; (codec = daedalus_codec_by_index(i)); i++)
		if (mask & DAEDALUS_CODEC_BIT(codec->codec))
			len += sysfs_emit_at(buf, len, "%s%s", len ? " " : "",
					     codec->pic.name);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}
static DEVICE_ATTR_RO(codecs);

static struct daedalus_dev *daedalus_dev_ddev(struct device *dev)
{
	return container_of(daedalus_dev_chan(dev), struct daedalus_dev, chan);
}

/* MMAP memory not freed yet, in KiB: all of it, and what only the daemon maps */
static ssize_t mem_used_kib_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_ddev(dev)->mem_used) >> 10);
}
static DEVICE_ATTR_RO(mem_used_kib);

static ssize_t mem_kept_kib_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lld\n",
			  atomic64_read(&daedalus_dev_ddev(dev)->mem_kept) >> 10);
}
static DEVICE_ATTR_RO(mem_kept_kib);

static struct attribute *daedalus_chan_attrs[] = {
	&dev_attr_jobs_queued.attr,
	&dev_attr_jobs_done.attr,
	&dev_attr_jobs_failed.attr,
	&dev_attr_jobs_timedout.attr,
	&dev_attr_request_wait_max_us.attr,
	&dev_attr_daemon_connected.attr,
	&dev_attr_abi_version.attr,
	&dev_attr_codecs.attr,
	&dev_attr_mem_used_kib.attr,
	&dev_attr_mem_kept_kib.attr,
	&dev_attr_streams.attr,
	&dev_attr_pictures_done.attr,
	&dev_attr_pictures_failed.attr,
	NULL,
};
ATTRIBUTE_GROUPS(daedalus_chan);

int daedalus_channel_register(struct daedalus_dev *dev)
{
	struct daedalus_channel *chan = &dev->chan;

	mutex_init(&chan->lock);
	init_waitqueue_head(&chan->wq);
	INIT_LIST_HEAD(&chan->msgs);
	INIT_LIST_HEAD(&chan->fetched);
	INIT_LIST_HEAD(&chan->streams);

	chan->misc.minor = MISC_DYNAMIC_MINOR;
	chan->misc.name = DAEDALUS_CTL_NAME;
	chan->misc.fops = &daedalus_chan_fops;
	chan->misc.parent = &dev->pdev->dev;
	chan->misc.mode = 0600;
	chan->misc.groups = daedalus_chan_groups;
	return misc_register(&chan->misc);
}

void daedalus_channel_unregister(struct daedalus_dev *dev)
{
	struct daedalus_channel *chan = &dev->chan;

	misc_deregister(&chan->misc);
	mutex_destroy(&chan->lock);
}
