// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: module, devices and contexts.
 *
 * The decoder has no hardware: each job goes to a userspace daemon through
 * the control device (daedalus-channel.c). Every open() of the video node is
 * a context with its own vb2 queues, its own lock and its own m2m device, so
 * the daemon can hold jobs of several contexts at once.
 */

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>

#include "daedalus.h"

unsigned int daedalus_job_timeout_ms = 2000;
module_param_named(job_timeout_ms, daedalus_job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "a job not completed in this time fails (also with no daemon); default 2000");

unsigned int daedalus_codecs_param = ~0U;
module_param_named(codecs, daedalus_codecs_param, uint, 0444);
MODULE_PARM_DESC(codecs, "mask of codecs offered, bit 1 << enum daedalus_codec (H.264 0x2, HEVC 0x4, VP8 0x8, VP9 0x10, MPEG-2 0x20, AV1 0x40, MPEG-1 0x80, MPEG-4 0x100, H.263 0x200)");

/*
 * Off by default, like visl: v4l2-compliance's streaming tests queue OUTPUT
 * buffers without requests, and a request-less buffer simply decodes with
 * the context's current controls. Every real client uses requests either
 * way; req_validate checks those.
 */
bool daedalus_requires_requests;
module_param_named(requires_requests, daedalus_requires_requests, bool, 0444);
MODULE_PARM_DESC(requires_requests,
		 "OUTPUT buffers must come in a request (default: no, see docs/kernel.md)");

/*
 * The stateful node (docs/stateful.md) is built up in steps; until clients
 * decode through it end to end with the daemon it is off by default, so the
 * default product is the stateless node alone.
 */
static bool daedalus_stateful;
module_param_named(stateful, daedalus_stateful, bool, 0444);
MODULE_PARM_DESC(stateful,
		 "also register the stateful decoder node (default: no, until the daemon serves it end to end)");

static int daedalus_stateful_nr = 10;
module_param_named(stateful_nr, daedalus_stateful_nr, int, 0444);
MODULE_PARM_DESC(stateful_nr,
		 "the stateful node's /dev/videoN (default 10, where Raspberry Pi OS's Chromium looks; the next free one if taken; -1: any)");

/*
 * Buffers are vmalloc memory every client can allocate (at 8192x4352 a
 * CAPTURE buffer is 51 MiB): bounded, so that one client cannot take the
 * machine's memory or starve the others. 0 is replaced at load by the
 * default, which the parameter then shows.
 */
static unsigned int daedalus_mem_limit_mb;
module_param_named(mem_limit_mb, daedalus_mem_limit_mb, uint, 0444);
MODULE_PARM_DESC(mem_limit_mb,
		 "buffer memory all clients together may allocate, in MiB (default: a quarter of RAM)");

static unsigned int daedalus_ctx_mem_limit_mb;
module_param_named(ctx_mem_limit_mb, daedalus_ctx_mem_limit_mb, uint, 0444);
MODULE_PARM_DESC(ctx_mem_limit_mb,
		 "buffer memory one open file may allocate, in MiB (default: half of mem_limit_mb)");

static void daedalus_mem_limits_init(struct daedalus_dev *dev)
{
	u64 ram_mb = ((u64)totalram_pages() << PAGE_SHIFT) >> 20;

	if (!daedalus_mem_limit_mb)
		daedalus_mem_limit_mb = max_t(u64, ram_mb / 4, 64);
	if (!daedalus_ctx_mem_limit_mb)
		daedalus_ctx_mem_limit_mb = max(daedalus_mem_limit_mb / 2, 32U);
	dev->mem_limit = (u64)daedalus_mem_limit_mb << 20;
	dev->ctx_mem_limit = (u64)min(daedalus_ctx_mem_limit_mb,
				      daedalus_mem_limit_mb) << 20;
}

static const struct daedalus_codec_desc * const daedalus_codecs[] = {
	&daedalus_h264_desc,
	&daedalus_vp8_desc,
	&daedalus_vp9_desc,
#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE
	&daedalus_av1_desc,
#endif
};

/* The stateful node's codecs; one per OUTPUT format, in ENUM_FMT's order. */
static const struct daedalus_stream_desc * const daedalus_stream_codecs[] = {
	&daedalus_h264_stream_desc,
	&daedalus_hevc_stream_desc,
	&daedalus_vp8_stream_desc,
	&daedalus_vp9_stream_desc,
	&daedalus_mpeg1_stream_desc,
	&daedalus_mpeg2_stream_desc,
	&daedalus_mpeg4_stream_desc,
	&daedalus_xvid_stream_desc,
	&daedalus_h263_stream_desc,
};

const struct daedalus_stream_desc *daedalus_stream_codec_by_index(unsigned int i)
{
	return i < ARRAY_SIZE(daedalus_stream_codecs) ?
		daedalus_stream_codecs[i] : NULL;
}

/* Stream codecs built in and allowed by the parameters (none: no node). */
u32 daedalus_kernel_stream_codecs(void)
{
	u32 mask = 0;
	unsigned int i;

	for (i = 0; daedalus_stateful && i < ARRAY_SIZE(daedalus_stream_codecs); i++)
		mask |= DAEDALUS_CODEC_BIT(daedalus_stream_codecs[i]->codec);
	return mask & daedalus_codecs_param;
}

/* As daedalus_advertised_codecs(), for the stateful node. */
u32 daedalus_advertised_stream_codecs(struct daedalus_dev *dev)
{
	u32 mask = daedalus_kernel_stream_codecs();

	mutex_lock(&dev->chan.lock);
	if (dev->chan.daemon_seen)
		mask &= dev->chan.daemon_stream_codecs;
	mutex_unlock(&dev->chan.lock);
	return mask;
}

const struct daedalus_codec_desc *daedalus_codec_by_index(unsigned int i)
{
	return i < ARRAY_SIZE(daedalus_codecs) ? daedalus_codecs[i] : NULL;
}

const struct daedalus_codec_desc *daedalus_codec_by_fourcc(u32 fourcc)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_codecs); i++)
		if (daedalus_codecs[i]->fourcc == fourcc)
			return daedalus_codecs[i];
	return NULL;
}

/* Codecs built in and allowed by the module parameter. */
u32 daedalus_kernel_codecs(void)
{
	u32 mask = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(daedalus_codecs); i++)
		mask |= DAEDALUS_CODEC_BIT(daedalus_codecs[i]->codec);
	return mask & daedalus_codecs_param;
}

/*
 * What clients see: the module's codecs, narrowed by what the last daemon
 * declared (see docs/protocol.md for why it is kept across a restart).
 */
u32 daedalus_advertised_codecs(struct daedalus_dev *dev)
{
	u32 mask = daedalus_kernel_codecs();

	mutex_lock(&dev->chan.lock);
	if (dev->chan.daemon_seen)
		mask &= dev->chan.daemon_codecs;
	mutex_unlock(&dev->chan.lock);
	return mask;
}

/*
 * m2m devices are pooled rather than freed with their context: the m2m core
 * schedules its job work on the m2m device after every finished job and
 * offers no way to flush it, so freeing one when its context closes could
 * free memory that work is about to use.
 */
static struct daedalus_m2m *daedalus_m2m_get(struct daedalus_dev *dev)
{
	struct daedalus_m2m *m2m;

	mutex_lock(&dev->ctx_lock);
	m2m = list_first_entry_or_null(&dev->m2m_pool, struct daedalus_m2m,
				       node);
	if (m2m)
		list_del(&m2m->node);
	mutex_unlock(&dev->ctx_lock);
	if (m2m)
		return m2m;

	m2m = kzalloc(sizeof(*m2m), GFP_KERNEL);
	if (!m2m)
		return ERR_PTR(-ENOMEM);
	m2m->m2m_dev = v4l2_m2m_init(&daedalus_m2m_ops);
	if (IS_ERR(m2m->m2m_dev)) {
		struct v4l2_m2m_dev *err = m2m->m2m_dev;

		kfree(m2m);
		return ERR_CAST(err);
	}
	return m2m;
}

static void daedalus_m2m_put(struct daedalus_dev *dev, struct daedalus_m2m *m2m)
{
	mutex_lock(&dev->ctx_lock);
	list_add(&m2m->node, &dev->m2m_pool);
	mutex_unlock(&dev->ctx_lock);
}

static void daedalus_m2m_pool_free(struct daedalus_dev *dev)
{
	struct daedalus_m2m *m2m, *tmp;

	list_for_each_entry_safe(m2m, tmp, &dev->m2m_pool, node) {
		list_del(&m2m->node);
		v4l2_m2m_release(m2m->m2m_dev);
		kfree(m2m);
	}
}

static int daedalus_open(struct file *file)
{
	struct daedalus_dev *dev = video_drvdata(file);
	bool stateful = video_devdata(file) == &dev->stream_vfd;
	struct daedalus_ctx *ctx;
	int ret;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;

	ctx->mem = daedalus_mem_account_new();
	if (!ctx->mem) {
		kfree(ctx);
		return -ENOMEM;
	}
	ctx->dev = dev;
	mutex_init(&ctx->lock);
	daedalus_job_init(ctx);
	v4l2_fh_init(&ctx->fh, video_devdata(file));
	file->private_data = &ctx->fh;

	if (stateful) {
		ret = daedalus_stream_open(ctx);
	} else {
		ret = daedalus_ctrls_init(ctx);
		if (!ret)
			daedalus_fmt_init(ctx);
	}
	if (ret)
		goto err_fh;

	ctx->m2m = daedalus_m2m_get(dev);
	if (IS_ERR(ctx->m2m)) {
		ret = PTR_ERR(ctx->m2m);
		goto err_ctrls;
	}

	ctx->fh.m2m_ctx = v4l2_m2m_ctx_init(ctx->m2m->m2m_dev, ctx,
					    stateful ? daedalus_stream_queue_init :
					    daedalus_queue_init);
	if (IS_ERR(ctx->fh.m2m_ctx)) {
		ret = PTR_ERR(ctx->fh.m2m_ctx);
		goto err_m2m;
	}

	mutex_lock(&dev->ctx_lock);
	ctx->id = ++dev->next_ctx_id;
	if (!ctx->id)
		ctx->id = ++dev->next_ctx_id;
	list_add_tail(&ctx->node, &dev->contexts);
	mutex_unlock(&dev->ctx_lock);

	v4l2_prio_open(&dev->prio, &ctx->prio);
	v4l2_fh_add(&ctx->fh);
	daedalus_channel_ctx_event(dev, DAEDALUS_MSG_CTX_OPEN, ctx->id);
	return 0;

err_m2m:
	daedalus_m2m_put(dev, ctx->m2m);
err_ctrls:
	if (stateful)
		daedalus_stream_release(ctx);
	v4l2_ctrl_handler_free(&ctx->hdl);
err_fh:
	v4l2_fh_exit(&ctx->fh);
	mutex_destroy(&ctx->lock);
	daedalus_mem_account_put(ctx->mem);
	kfree(ctx);
	return ret;
}

static int daedalus_release(struct file *file)
{
	struct daedalus_dev *dev = video_drvdata(file);
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);

	v4l2_fh_del(&ctx->fh);
	v4l2_prio_close(&dev->prio, ctx->prio);

	mutex_lock(&dev->ctx_lock);
	list_del(&ctx->node);
	mutex_unlock(&dev->ctx_lock);

	/* No answer of the daemon finds the stream once quiesced. */
	if (ctx->stream)
		daedalus_stream_unlink(ctx);
	daedalus_ctx_quiesce(ctx, file);
	mutex_lock(&ctx->lock);
	v4l2_m2m_ctx_release(ctx->fh.m2m_ctx);
	mutex_unlock(&ctx->lock);
	cancel_delayed_work_sync(&ctx->watchdog);
	if (ctx->stream)
		daedalus_stream_release(ctx);

	daedalus_channel_ctx_event(dev, DAEDALUS_MSG_CTX_CLOSE, ctx->id);
	daedalus_m2m_put(dev, ctx->m2m);
	v4l2_ctrl_handler_free(&ctx->hdl);
	v4l2_fh_exit(&ctx->fh);
	kvfree(ctx->job.msg);
	mutex_destroy(&ctx->lock);
	daedalus_mem_account_put(ctx->mem);
	kfree(ctx);
	return 0;
}

/*
 * The priority ioctls are answered here, on the device's own priority
 * state, never the core's: the core would enforce a priority on every
 * context of the video device, so one client at V4L2_PRIORITY_RECORD would
 * make every other client's S_FMT, REQBUFS or STREAMON fail with EBUSY.
 * Contexts share nothing a priority could protect, so one is kept as the
 * API describes it (G_PRIORITY reports the highest; S_PRIORITY below it is
 * EBUSY) and guards nothing else. They cannot be left out: v4l2_fh_init()
 * enables them at every open, and v4l2-compliance requires them.
 */
static long daedalus_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct daedalus_dev *dev = ctx->dev;
	u32 __user *uprio = (u32 __user *)arg;
	u32 prio;
	int ret;

	switch (cmd) {
	case VIDIOC_G_PRIORITY:
		return put_user(v4l2_prio_max(&dev->prio), uprio);
	case VIDIOC_S_PRIORITY:
		if (get_user(prio, uprio))
			return -EFAULT;
		mutex_lock(&dev->prio_lock);
		ret = v4l2_prio_check(&dev->prio, ctx->prio);
		if (!ret)
			ret = v4l2_prio_change(&dev->prio, &ctx->prio, prio);
		mutex_unlock(&dev->prio_lock);
		return ret;
	default:
		return video_ioctl2(file, cmd, arg);
	}
}

static const struct v4l2_file_operations daedalus_fops = {
	.owner		= THIS_MODULE,
	.open		= daedalus_open,
	.release	= daedalus_release,
	.poll		= v4l2_m2m_fop_poll,
	.unlocked_ioctl	= daedalus_ioctl,
	.mmap		= v4l2_m2m_fop_mmap,
};

static const struct media_device_ops daedalus_media_ops = {
	.req_validate	= daedalus_request_validate,
	.req_queue	= v4l2_m2m_request_queue,
};

static struct daedalus_dev *daedalus_device;

/*
 * The devices are made in module init, for the one virtual decoder; the
 * driver exists because the media core names a media device after its
 * parent's driver. Unbinding is not offered: the module's exit unbinds.
 */
static int daedalus_probe(struct platform_device *pdev)
{
	return 0;
}

static struct platform_driver daedalus_pdrv = {
	.probe = daedalus_probe,
	.driver = {
		.name = DAEDALUS_NAME,
		.suppress_bind_attrs = true,
	},
};

static int daedalus_video_register(struct daedalus_dev *dev)
{
	struct video_device *vfd = &dev->vfd;
	int ret;

	strscpy(vfd->name, DAEDALUS_NAME, sizeof(vfd->name));
	vfd->vfl_dir = VFL_DIR_M2M;
	vfd->fops = &daedalus_fops;
	vfd->ioctl_ops = &daedalus_ioctl_ops;
	vfd->minor = -1;
	vfd->release = video_device_release_empty;
	vfd->v4l2_dev = &dev->v4l2_dev;
	vfd->device_caps = V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING;
	/*
	 * No vfd->lock: queue ioctls take the context's own lock (the vb2
	 * queue lock) and the format ioctls take it themselves, so no ioctl
	 * of one context ever waits for another context.
	 */
	video_set_drvdata(vfd, dev);

	ret = video_register_device(vfd, VFL_TYPE_VIDEO, -1);
	if (ret)
		return ret;

	ret = v4l2_m2m_register_media_controller(dev->mc_m2m_dev, vfd,
						 MEDIA_ENT_F_PROC_VIDEO_DECODER);
	if (ret)
		goto err_vfd;

	ret = media_device_register(&dev->mdev);
	if (ret)
		goto err_mc;
	return 0;

err_mc:
	v4l2_m2m_unregister_media_controller(dev->mc_m2m_dev);
err_vfd:
	video_unregister_device(vfd);
	return ret;
}

/*
 * The stateful node: M2M like the stateless one, in no media device (an
 * M2M node gets no entity unless registered with the media controller),
 * and under a platform device of its own, so that nothing pairs it with the
 * request API's media device (v4l2-compliance looks for a media device
 * beside the node in sysfs).
 */
static int daedalus_stream_register(struct daedalus_dev *dev)
{
	struct video_device *vfd = &dev->stream_vfd;
	int ret;

	dev->stream_pdev = platform_device_register_simple(DAEDALUS_STREAM_NAME,
							   PLATFORM_DEVID_NONE,
							   NULL, 0);
	if (IS_ERR(dev->stream_pdev))
		return PTR_ERR(dev->stream_pdev);

	strscpy(vfd->name, DAEDALUS_STREAM_NAME, sizeof(vfd->name));
	vfd->vfl_dir = VFL_DIR_M2M;
	vfd->fops = &daedalus_fops;
	vfd->ioctl_ops = &daedalus_stream_ioctl_ops;
	vfd->minor = -1;
	vfd->release = video_device_release_empty;
	vfd->v4l2_dev = &dev->v4l2_dev;
	vfd->dev_parent = &dev->stream_pdev->dev;
	vfd->device_caps = V4L2_CAP_VIDEO_M2M_MPLANE | V4L2_CAP_STREAMING;
	video_set_drvdata(vfd, dev);
	ret = video_register_device(vfd, VFL_TYPE_VIDEO, daedalus_stateful_nr);
	if (ret)
		platform_device_unregister(dev->stream_pdev);
	return ret;
}

static void daedalus_stream_unregister(struct daedalus_dev *dev)
{
	video_unregister_device(&dev->stream_vfd);
	platform_device_unregister(dev->stream_pdev);
}

static int __init daedalus_init(void)
{
	struct daedalus_dev *dev;
	unsigned int i;
	int ret;

	if (!daedalus_kernel_codecs()) {
		pr_err(DAEDALUS_NAME ": the codecs parameter leaves no codec\n");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(daedalus_codecs); i++) {
		ret = daedalus_codecs[i]->check_params ?
			daedalus_codecs[i]->check_params() : 0;
		if (ret)
			return ret;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->ctx_lock);
	mutex_init(&dev->prio_lock);
	v4l2_prio_init(&dev->prio);
	daedalus_mem_limits_init(dev);
	INIT_LIST_HEAD(&dev->m2m_pool);
	INIT_LIST_HEAD(&dev->contexts);

	ret = platform_driver_register(&daedalus_pdrv);
	if (ret)
		goto err_free;
	dev->pdev = platform_device_register_simple(DAEDALUS_NAME,
						    PLATFORM_DEVID_NONE,
						    NULL, 0);
	if (IS_ERR(dev->pdev)) {
		ret = PTR_ERR(dev->pdev);
		goto err_pdrv;
	}
	if (!dev->pdev->dev.driver) {
		ret = -ENODEV;
		goto err_pdev;
	}

	/* Named here: the platform device has no driver to take a name from. */
	strscpy(dev->v4l2_dev.name, DAEDALUS_NAME, sizeof(dev->v4l2_dev.name));
	ret = v4l2_device_register(&dev->pdev->dev, &dev->v4l2_dev);
	if (ret)
		goto err_pdev;

	dev->mdev.dev = &dev->pdev->dev;
	strscpy(dev->mdev.model, DAEDALUS_NAME, sizeof(dev->mdev.model));
	strscpy(dev->mdev.bus_info, DAEDALUS_BUS_INFO,
		sizeof(dev->mdev.bus_info));
	media_device_init(&dev->mdev);
	dev->mdev.ops = &daedalus_media_ops;
	dev->v4l2_dev.mdev = &dev->mdev;

	dev->mc_m2m_dev = v4l2_m2m_init(&daedalus_m2m_ops);
	if (IS_ERR(dev->mc_m2m_dev)) {
		ret = PTR_ERR(dev->mc_m2m_dev);
		goto err_media;
	}

	ret = daedalus_channel_register(dev);
	if (ret)
		goto err_m2m;

	ret = daedalus_video_register(dev);
	if (ret)
		goto err_chan;

	if (daedalus_stateful) {
		ret = daedalus_stream_register(dev);
		if (ret)
			goto err_video;
		v4l2_info(&dev->v4l2_dev, "stateful decoder /dev/video%d\n",
			  dev->stream_vfd.num);
	}

	daedalus_debugfs_init(dev);
	daedalus_device = dev;
	v4l2_info(&dev->v4l2_dev, "decoder /dev/video%d, control device /dev/%s\n",
		  dev->vfd.num, DAEDALUS_CTL_NAME);
	return 0;

err_video:
	media_device_unregister(&dev->mdev);
	v4l2_m2m_unregister_media_controller(dev->mc_m2m_dev);
	video_unregister_device(&dev->vfd);
err_chan:
	daedalus_channel_unregister(dev);
err_m2m:
	v4l2_m2m_release(dev->mc_m2m_dev);
err_media:
	media_device_cleanup(&dev->mdev);
	v4l2_device_unregister(&dev->v4l2_dev);
err_pdev:
	platform_device_unregister(dev->pdev);
err_pdrv:
	platform_driver_unregister(&daedalus_pdrv);
err_free:
	mutex_destroy(&dev->prio_lock);
	mutex_destroy(&dev->ctx_lock);
	kfree(dev);
	return ret;
}

static void __exit daedalus_exit(void)
{
	struct daedalus_dev *dev = daedalus_device;

	/* Every file holds a module reference: nothing is open here. */
	daedalus_debugfs_exit(dev);
	if (daedalus_stateful)
		daedalus_stream_unregister(dev);
	media_device_unregister(&dev->mdev);
	v4l2_m2m_unregister_media_controller(dev->mc_m2m_dev);
	video_unregister_device(&dev->vfd);
	daedalus_channel_unregister(dev);
	v4l2_m2m_release(dev->mc_m2m_dev);
	daedalus_m2m_pool_free(dev);
	media_device_cleanup(&dev->mdev);
	v4l2_device_unregister(&dev->v4l2_dev);
	platform_device_unregister(dev->pdev);
	platform_driver_unregister(&daedalus_pdrv);
	mutex_destroy(&dev->prio_lock);
	mutex_destroy(&dev->ctx_lock);
	kfree(dev);
}

module_init(daedalus_init);
module_exit(daedalus_exit);

MODULE_DESCRIPTION("V4L2 stateless decoder backed by a userspace daemon");
MODULE_AUTHOR("daedalus-v4l2 developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(DAEDALUS_VERSION);
