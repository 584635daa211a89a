// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: buffer memory, and what it is charged to.
 *
 * Buffers are vb2-vmalloc memory, whose memory ops are wrapped here so that
 * an MMAP buffer's charge against the bounds (module parameters
 * mem_limit_mb, ctx_mem_limit_mb) lives as long as the memory does, not
 * as long as the vb2 buffer: a client's mapping or an exported dma-buf
 * (and so any import of it) keeps the memory after REQBUFS 0, and the
 * memory stays charged meanwhile. See docs/kernel.md.
 *
 * References to one allocation come in two kinds:
 * - @refs: the vb2 buffer's own, each client mapping, each exported dma-buf;
 *   while there is one, the memory is charged to the context that
 *   allocated it and to the device;
 * - @kept: the daemon's mappings through the control device, plus one held
 *   by all of @refs together; memory only the daemon maps any more (a
 *   mapping it keeps by memory_id) is charged to the device only.
 * The memory is freed, and uncharged, when @kept drops to zero.
 *
 * What the wrapper assumes of vb2-vmalloc: its mmap() leaves the mapping to
 * vb2_common_vm_ops with a reference held through a struct
 * vb2_vmarea_handler, and its exported dma-buf's priv is the buffer it was
 * exported from, released through its ops' release. Its buffer is private to
 * it, so this cannot be checked at build time: each mapping and export is
 * checked at run time and refused when it breaks the assumption. The public
 * types the checks compare are asserted below.
 */

#include <linux/dma-buf.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <media/videobuf2-memops.h>
#include <media/videobuf2-vmalloc.h>

#include "daedalus.h"

/**
 * struct daedalus_mem - one plane's memory (the vb2 plane's mem_priv)
 * @priv: vb2-vmalloc's own
 * @imported: an attached dma-buf (vb2-vmalloc's ops only); the rest is for
 *	MMAP memory
 * @dev: the device charged
 * @acct: the context's account charged, until only the daemon maps it
 * @size: bytes charged
 * @refs: see above
 * @kept: see above
 * @handler: client mappings' (vb2_common_vm_ops)
 * @daemon_handler: the daemon's mappings'
 * @node: in daedalus_mem_exports once exported
 */
struct daedalus_mem {
	void *priv;
	bool imported;
	struct daedalus_dev *dev;
	struct daedalus_mem_account *acct;
	unsigned long size;
	refcount_t refs;
	refcount_t kept;
	struct vb2_vmarea_handler handler;
	struct vb2_vmarea_handler daemon_handler;
	struct hlist_node node;
};

/*
 * Exported dma-bufs are vb2-vmalloc's, their priv its buffer: the release
 * of each finds its memory here, by that buffer.
 */
static DEFINE_HASHTABLE(daedalus_mem_exports, 8);
/* The export's priv is compared with, and hashed as, vb2-vmalloc's buffer. */
static_assert(__same_type(((struct dma_buf *)NULL)->priv, void *));
static_assert(sizeof(unsigned long) >= sizeof(void *));
/* A mapping's handler is swapped for ours, which vb2_common_vm_ops counts. */
static_assert(__same_type(((struct vb2_vmarea_handler *)NULL)->refcount,
			  refcount_t *));
static DEFINE_SPINLOCK(daedalus_mem_lock);
/* vb2-vmalloc's dma-buf ops, and a copy whose release also drops ours */
static const struct dma_buf_ops *daedalus_vmalloc_dmabuf_ops;
static struct dma_buf_ops daedalus_dmabuf_ops;

struct daedalus_mem_account *daedalus_mem_account_new(void)
{
	struct daedalus_mem_account *acct = kzalloc(sizeof(*acct), GFP_KERNEL);

	if (acct)
		refcount_set(&acct->ref, 1);
	return acct;
}

void daedalus_mem_account_put(struct daedalus_mem_account *acct)
{
	if (acct && refcount_dec_and_test(&acct->ref))
		kfree(acct);
}

/* Charges @size to the context and the device, or neither if either bound would pass. */
static bool daedalus_mem_charge(struct daedalus_ctx *ctx, unsigned long size)
{
	struct daedalus_dev *dev = ctx->dev;

	if (atomic64_add_return(size, &ctx->mem->used) > dev->ctx_mem_limit)
		goto undo_ctx;
	if (atomic64_add_return(size, &dev->mem_used) > dev->mem_limit)
		goto undo_dev;
	return true;

undo_dev:
	atomic64_sub(size, &dev->mem_used);
undo_ctx:
	atomic64_sub(size, &ctx->mem->used);
	return false;
}

/* The last reference of either kind is gone: freed and uncharged. */
static void daedalus_mem_kept_put(void *arg)
{
	struct daedalus_mem *mem = arg;
	struct daedalus_dev *dev = mem->dev;

	if (!refcount_dec_and_test(&mem->kept))
		return;
	spin_lock(&daedalus_mem_lock);
	if (!hlist_unhashed(&mem->node))
		hash_del(&mem->node);
	spin_unlock(&daedalus_mem_lock);
	vb2_vmalloc_memops.put(mem->priv);
	atomic64_sub(mem->size, &dev->mem_kept);
	atomic64_sub(mem->size, &dev->mem_used);
	kfree(mem);
}

/* The buffer, a client mapping or an export let go of the memory. */
static void daedalus_mem_put(void *arg)
{
	struct daedalus_mem *mem = arg;

	if (!refcount_dec_and_test(&mem->refs))
		return;
	/* Only the daemon's mappings are left, if any: not the context's now. */
	atomic64_sub(mem->size, &mem->acct->used);
	daedalus_mem_account_put(mem->acct);
	mem->acct = NULL;
	atomic64_add(mem->size, &mem->dev->mem_kept);
	daedalus_mem_kept_put(mem);
}

static void *daedalus_mem_alloc(struct vb2_buffer *vb, struct device *dev,
				unsigned long size)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_mem *mem;
	void *priv;

	size = PAGE_ALIGN(size);
	/* queue_setup checked; this holds against concurrent allocations */
	if (!daedalus_mem_charge(ctx, size))
		return ERR_PTR(-ENOMEM);
	mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	priv = mem ? vb2_vmalloc_memops.alloc(vb, dev, size) : NULL;
	if (IS_ERR_OR_NULL(priv)) {
		kfree(mem);
		atomic64_sub(size, &ctx->dev->mem_used);
		atomic64_sub(size, &ctx->mem->used);
		return priv ? priv : ERR_PTR(-ENOMEM);
	}
	mem->priv = priv;
	mem->dev = ctx->dev;
	mem->acct = ctx->mem;
	refcount_inc(&mem->acct->ref);
	mem->size = size;
	refcount_set(&mem->refs, 1);
	refcount_set(&mem->kept, 1);
	mem->handler = (struct vb2_vmarea_handler){
		.refcount = &mem->refs, .put = daedalus_mem_put, .arg = mem,
	};
	mem->daemon_handler = (struct vb2_vmarea_handler){
		.refcount = &mem->kept, .put = daedalus_mem_kept_put, .arg = mem,
	};
	return mem;
}

/*
 * vb2-vmalloc maps the memory with a reference to its own buffer; the
 * mapping holds one of @h's kind instead, so that its munmap() reaches us.
 */
static int daedalus_mem_map(struct daedalus_mem *mem, struct vm_area_struct *vma,
			    struct vb2_vmarea_handler *h)
{
	int ret = vb2_vmalloc_memops.mmap(mem->priv, vma);

	if (ret)
		return ret;
	if (WARN_ON_ONCE(vma->vm_ops != &vb2_common_vm_ops ||
			 !vma->vm_private_data)) {
		/* mmap() fails without closing it: vb2-vmalloc's reference */
		if (vma->vm_ops && vma->vm_ops->close)
			vma->vm_ops->close(vma);
		vma->vm_ops = NULL;
		return -EINVAL;
	}
	vma->vm_private_data = h;
	refcount_inc(h->refcount);
	/* vb2-vmalloc's reference: we hold one for as long as the mapping */
	vb2_vmalloc_memops.put(mem->priv);
	return 0;
}

static int daedalus_mem_mmap(void *buf_priv, struct vm_area_struct *vma)
{
	struct daedalus_mem *mem = buf_priv;

	return daedalus_mem_map(mem, vma, &mem->handler);
}

/* mmap() of an MMAP plane through the control device, by the daemon. */
int daedalus_mem_daemon_mmap(void *buf_priv, struct vm_area_struct *vma)
{
	struct daedalus_mem *mem = buf_priv;

	return daedalus_mem_map(mem, vma, &mem->daemon_handler);
}

static void daedalus_dmabuf_release(struct dma_buf *dbuf)
{
	struct daedalus_mem *mem, *found = NULL;

	spin_lock(&daedalus_mem_lock);
	hash_for_each_possible(daedalus_mem_exports, mem, node,
			       (unsigned long)dbuf->priv)
		if (mem->priv == dbuf->priv) {
			found = mem;
			break;
		}
	spin_unlock(&daedalus_mem_lock);
	daedalus_vmalloc_dmabuf_ops->release(dbuf);
	if (!WARN_ON(!found))
		daedalus_mem_put(found);
}

/*
 * An exported dma-buf holds the memory, and our reference, until its own
 * release: through a copy of vb2-vmalloc's ops whose release also drops
 * ours, and a reference of this module (whose code that release runs).
 */
static struct dma_buf *daedalus_mem_get_dmabuf(struct vb2_buffer *vb,
					       void *buf_priv,
					       unsigned long flags)
{
	struct daedalus_mem *mem = buf_priv;
	struct dma_buf *dbuf;
	bool ours;

	dbuf = vb2_vmalloc_memops.get_dmabuf(vb, mem->priv, flags);
	if (IS_ERR_OR_NULL(dbuf))
		return dbuf;

	spin_lock(&daedalus_mem_lock);
	if (!daedalus_vmalloc_dmabuf_ops && dbuf->ops->release) {
		daedalus_vmalloc_dmabuf_ops = dbuf->ops;
		daedalus_dmabuf_ops = *dbuf->ops;
		daedalus_dmabuf_ops.release = daedalus_dmabuf_release;
	}
	/* Only an export whose release our lookup can follow: see the top. */
	ours = dbuf->priv == mem->priv &&
	       dbuf->ops == daedalus_vmalloc_dmabuf_ops;
	if (ours && hlist_unhashed(&mem->node))
		hash_add(daedalus_mem_exports, &mem->node,
			 (unsigned long)mem->priv);
	spin_unlock(&daedalus_mem_lock);
	if (WARN_ON_ONCE(!ours)) {
		/* vb2-vmalloc's own release drops its reference */
		dma_buf_put(dbuf);
		return ERR_PTR(-EINVAL);
	}

	refcount_inc(&mem->refs);
	dbuf->ops = &daedalus_dmabuf_ops;
	__module_get(THIS_MODULE);
	module_put(dbuf->owner);
	dbuf->owner = THIS_MODULE;
	return dbuf;
}

static void *daedalus_mem_vaddr(struct vb2_buffer *vb, void *buf_priv)
{
	struct daedalus_mem *mem = buf_priv;

	return vb2_vmalloc_memops.vaddr(vb, mem->priv);
}

static unsigned int daedalus_mem_num_users(void *buf_priv)
{
	struct daedalus_mem *mem = buf_priv;

	if (mem->imported)
		return vb2_vmalloc_memops.num_users(mem->priv);
	/* @kept counts all of @refs as one */
	return refcount_read(&mem->refs) + refcount_read(&mem->kept) - 1;
}

/* Imported dma-bufs: vb2-vmalloc's, uncharged (see docs/kernel.md). */
static void *daedalus_mem_attach_dmabuf(struct vb2_buffer *vb,
					struct device *dev,
					struct dma_buf *dbuf,
					unsigned long size)
{
	struct daedalus_mem *mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	void *priv;

	if (!mem)
		return ERR_PTR(-ENOMEM);
	priv = vb2_vmalloc_memops.attach_dmabuf(vb, dev, dbuf, size);
	if (IS_ERR_OR_NULL(priv)) {
		kfree(mem);
		return priv ? priv : ERR_PTR(-ENOMEM);
	}
	mem->priv = priv;
	mem->imported = true;
	return mem;
}

static void daedalus_mem_detach_dmabuf(void *buf_priv)
{
	struct daedalus_mem *mem = buf_priv;

	vb2_vmalloc_memops.detach_dmabuf(mem->priv);
	kfree(mem);
}

static int daedalus_mem_map_dmabuf(void *buf_priv)
{
	struct daedalus_mem *mem = buf_priv;

	return vb2_vmalloc_memops.map_dmabuf(mem->priv);
}

static void daedalus_mem_unmap_dmabuf(void *buf_priv)
{
	struct daedalus_mem *mem = buf_priv;

	vb2_vmalloc_memops.unmap_dmabuf(mem->priv);
}

/* vb2_mem_ops did not change between 6.1 and 6.12. */
const struct vb2_mem_ops daedalus_mem_ops = {
	.alloc		= daedalus_mem_alloc,
	.put		= daedalus_mem_put,
	.get_dmabuf	= daedalus_mem_get_dmabuf,
	.attach_dmabuf	= daedalus_mem_attach_dmabuf,
	.detach_dmabuf	= daedalus_mem_detach_dmabuf,
	.map_dmabuf	= daedalus_mem_map_dmabuf,
	.unmap_dmabuf	= daedalus_mem_unmap_dmabuf,
	.vaddr		= daedalus_mem_vaddr,
	.mmap		= daedalus_mem_mmap,
	.num_users	= daedalus_mem_num_users,
};
