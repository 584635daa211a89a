// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: debugfs, one line per open context.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "daedalus.h"

static const char * const daedalus_job_states[] = {
	[DAEDALUS_JOB_IDLE]	= "idle",
	[DAEDALUS_JOB_BUILDING]	= "building",
	[DAEDALUS_JOB_QUEUED]	= "queued",
	[DAEDALUS_JOB_FETCHED]	= "fetched",
};

static int daedalus_contexts_show(struct seq_file *s, void *unused)
{
	struct daedalus_dev *dev = s->private;
	struct daedalus_ctx *ctx;

	mutex_lock(&dev->ctx_lock);
	list_for_each_entry(ctx, &dev->contexts, node) {
		enum daedalus_job_state state;
		u32 cookie;

		if (ctx->stream) {
			daedalus_stream_show(s, ctx);
			continue;
		}
		mutex_lock(&dev->chan.lock);
		state = ctx->job.state;
		cookie = ctx->job.cookie;
		mutex_unlock(&dev->chan.lock);

		seq_printf(s, "ctx %u codec %s out %ux%u cap %p4cc %ux%u job %s cookie %u done %llu failed %llu request_wait_max_us %llu mem_kib %llu\n",
			   ctx->id, ctx->codec->pic.name, ctx->out_fmt.width,
			   ctx->out_fmt.height, &ctx->cap_fmt.pixelformat,
			   ctx->cap_fmt.width, ctx->cap_fmt.height,
			   daedalus_job_states[state], cookie,
			   ctx->jobs_done, ctx->jobs_failed,
			   ctx->request_wait_max_us,
			   (u64)atomic64_read(&ctx->mem->used) >> 10);
	}
	mutex_unlock(&dev->ctx_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(daedalus_contexts);

void daedalus_debugfs_init(struct daedalus_dev *dev)
{
	dev->debugfs = debugfs_create_dir(DAEDALUS_NAME, NULL);
	debugfs_create_file("contexts", 0400, dev->debugfs, dev,
			    &daedalus_contexts_fops);
}

void daedalus_debugfs_exit(struct daedalus_dev *dev)
{
	debugfs_remove_recursive(dev->debugfs);
}
