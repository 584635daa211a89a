// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: formats, ioctls, vb2 queues, controls and requests.
 */

#include <linux/slab.h>
#include <media/v4l2-event.h>
#include <media/v4l2-ioctl.h>
#include <media/videobuf2-v4l2.h>

#include "daedalus.h"

static const u32 daedalus_fourccs_8bit[] = {
	V4L2_PIX_FMT_NV12,
	V4L2_PIX_FMT_YUV420,
	/* Three memory planes: GStreamer 1.24+ maps I420 only to this one. */
	V4L2_PIX_FMT_YUV420M,
};

const struct daedalus_cap_formats daedalus_cap_formats_8bit = {
	.fourccs	= daedalus_fourccs_8bit,
	.num		= ARRAY_SIZE(daedalus_fourccs_8bit),
};

static const u32 daedalus_fourccs_10bit[] = {
	V4L2_PIX_FMT_P010,
};

const struct daedalus_cap_formats daedalus_cap_formats_10bit = {
	.fourccs	= daedalus_fourccs_10bit,
	.num		= ARRAY_SIZE(daedalus_fourccs_10bit),
};

/* The CAPTURE formats of the context's codec at the stream's bit depth. */
const struct daedalus_cap_formats *daedalus_cap_formats(struct daedalus_ctx *ctx)
{
	if (ctx->bit_depth > 8 && ctx->caps->cap_formats_10bit)
		return ctx->caps->cap_formats_10bit;
	return ctx->caps->cap_formats;
}

static bool daedalus_is_cap_fourcc(struct daedalus_ctx *ctx, u32 fourcc)
{
	const struct daedalus_cap_formats *formats = daedalus_cap_formats(ctx);
	unsigned int i;

	for (i = 0; i < formats->num; i++)
		if (formats->fourccs[i] == fourcc)
			return true;
	return false;
}

/* The coded format's size limits and alignment, as V4L2 frame sizes. */
void daedalus_frmsize(const struct daedalus_picture_caps *caps,
		      struct v4l2_frmsize_stepwise *s)
{
	s->min_width = DAEDALUS_MIN_SIZE;
	s->max_width = caps->max_width;
	s->step_width = caps->block;
	s->min_height = DAEDALUS_MIN_SIZE;
	s->max_height = caps->max_height;
	s->step_height = caps->block;
}

/*
 * The CAPTURE layout: v4l2_fill_pixfmt_mp()'s for the width padded so that
 * the stride of every plane is a multiple of DAEDALUS_STRIDE_ALIGN bytes
 * (128 pixels for 3-plane 4:2:0, whose chroma rows are half as long), as
 * hardware decoders lay pictures out and as GPUs importing them for display
 * require; clients that assume tight strides at such widths mix layouts.
 * A larger stride the client asks for (S_FMT's bytesperline) is kept.
 */
static void daedalus_fill_cap_layout(struct v4l2_pix_format_mplane *pix,
				     u32 bytesperline)
{
	const struct v4l2_format_info *info = v4l2_format_info(pix->pixelformat);
	unsigned int width = pix->width, align = 1, padded;

	/*
	 * The luma stride's alignment in pixels; the chroma rows of the 4:2:0
	 * formats offered are as long in bytes when Cb and Cr interleave
	 * (NV12, P010), half as long when planar. (From the luma's bytes per
	 * pixel alone: 6.1's format table gives P010's chroma plane 2 bytes
	 * a pixel, not 4, which would pad it to 64 pixels instead of 32.)
	 */
	if (info)
		align = DAEDALUS_STRIDE_ALIGN / info->bpp[0] *
			(info->comp_planes > 2 ? 2 : 1);
	padded = ALIGN(width, align);
	if (info && bytesperline > padded * info->bpp[0])
		padded = ALIGN(min(DIV_ROUND_UP(bytesperline, info->bpp[0]),
				   (u32)DAEDALUS_MAX_WIDTH), align);
	v4l2_fill_pixfmt_mp(pix, pix->pixelformat, padded, pix->height);
	pix->width = width;
}

/*
 * A CAPTURE format of the context's codec, at the stream's depth.
 * @bytesperline: the stride a client asked for, or 0
 */
void daedalus_fill_cap(struct daedalus_ctx *ctx,
		       struct v4l2_pix_format_mplane *pix, u32 bytesperline)
{
	struct v4l2_frmsize_stepwise s;
	unsigned int i;

	daedalus_frmsize(ctx->caps, &s);
	v4l2_apply_frmsize_constraints(&pix->width, &pix->height, &s);
	if (!daedalus_is_cap_fourcc(ctx, pix->pixelformat))
		pix->pixelformat = daedalus_cap_formats(ctx)->fourccs[0];
	daedalus_fill_cap_layout(pix, bytesperline);
	pix->field = V4L2_FIELD_NONE;
	pix->colorspace = ctx->out_fmt.colorspace;
	pix->xfer_func = ctx->out_fmt.xfer_func;
	pix->ycbcr_enc = ctx->out_fmt.ycbcr_enc;
	pix->quantization = ctx->out_fmt.quantization;
	memset(pix->reserved, 0, sizeof(pix->reserved));
	for (i = 0; i < pix->num_planes; i++)
		memset(pix->plane_fmt[i].reserved, 0,
		       sizeof(pix->plane_fmt[i].reserved));
}

static void daedalus_fill_out(struct daedalus_ctx *ctx,
			      struct v4l2_pix_format_mplane *pix,
			      const struct daedalus_codec_desc *codec)
{
	struct v4l2_frmsize_stepwise s;
	u32 sizeimage = pix->plane_fmt[0].sizeimage;
	u32 def;

	daedalus_frmsize(&codec->pic, &s);
	v4l2_apply_frmsize_constraints(&pix->width, &pix->height, &s);
	pix->pixelformat = codec->fourcc;
	pix->num_planes = 1;
	pix->field = V4L2_FIELD_NONE;
	pix->flags = 0;
	/* A compressed picture rarely exceeds 3/4 of its raw 4:2:0 size. */
	def = max_t(u32, pix->width * pix->height * 3 / 4, SZ_256K);
	if (!sizeimage)
		sizeimage = def;
	pix->plane_fmt[0].sizeimage = clamp_t(u32, sizeimage, SZ_4K, SZ_64M);
	pix->plane_fmt[0].bytesperline = 0;
	if (pix->colorspace == V4L2_COLORSPACE_DEFAULT)
		pix->colorspace = V4L2_COLORSPACE_REC709;
	memset(pix->reserved, 0, sizeof(pix->reserved));
	memset(pix->plane_fmt[0].reserved, 0,
	       sizeof(pix->plane_fmt[0].reserved));
}

void daedalus_fmt_init(struct daedalus_ctx *ctx)
{
	u32 mask = daedalus_advertised_codecs(ctx->dev);
	const struct daedalus_codec_desc *codec;
	unsigned int i;

	ctx->codec = daedalus_codec_by_index(0);
	for (i = 0; (codec = daedalus_codec_by_index(i)); i++) {
		if (mask & DAEDALUS_CODEC_BIT(codec->codec)) {
			ctx->codec = codec;
			break;
		}
	}
	ctx->caps = &ctx->codec->pic;

	memset(&ctx->out_fmt, 0, sizeof(ctx->out_fmt));
	ctx->out_fmt.width = DAEDALUS_DEF_WIDTH;
	ctx->out_fmt.height = DAEDALUS_DEF_HEIGHT;
	daedalus_fill_out(ctx, &ctx->out_fmt, ctx->codec);

	memset(&ctx->cap_fmt, 0, sizeof(ctx->cap_fmt));
	ctx->bit_depth = 8;
	ctx->cap_fmt.width = ctx->out_fmt.width;
	ctx->cap_fmt.height = ctx->out_fmt.height;
	ctx->cap_fmt.pixelformat = daedalus_cap_formats(ctx)->fourccs[0];
	daedalus_fill_cap(ctx, &ctx->cap_fmt, 0);
}

bool daedalus_capture_busy(struct daedalus_ctx *ctx)
{
	return ctx->fh.m2m_ctx &&
		vb2_is_busy(v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
					    V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE));
}

/* The chroma format of a 4:x:x picture subsampled horizontally and/or vertically. */
unsigned int daedalus_chroma_subsampled(bool x, bool y)
{
	if (x && y)
		return DAEDALUS_CHROMA_420;
	if (x)
		return DAEDALUS_CHROMA_422;
	return y ? DAEDALUS_CHROMA_440 : DAEDALUS_CHROMA_444;
}

static const char *const daedalus_chroma_names[DAEDALUS_NUM_CHROMA] = {
	[DAEDALUS_CHROMA_400] = "4:0:0",
	[DAEDALUS_CHROMA_420] = "4:2:0",
	[DAEDALUS_CHROMA_422] = "4:2:2",
	[DAEDALUS_CHROMA_444] = "4:4:4",
	[DAEDALUS_CHROMA_440] = "4:4:0",
};

/*
 * For a codec's try_ctrl: a picture of this size can be decoded and, once
 * CAPTURE buffers exist for the codec, fits them (at the stream's depth).
 * Without this a stream the daemon cannot decode would be accepted and
 * every one of its pictures would come back with V4L2_BUF_FLAG_ERROR,
 * which clients ignore; refused here, the client falls back to software
 * before its first picture.
 */
int daedalus_check_size(struct daedalus_ctx *ctx,
			const struct daedalus_picture_caps *caps,
			unsigned int width, unsigned int height)
{
	if (!width || !height || width > caps->max_width ||
	    height > caps->max_height) {
		dev_dbg(ctx->dev->v4l2_dev.dev, "%s: %ux%u is beyond %ux%u\n",
			caps->name, width, height, caps->max_width,
			caps->max_height);
		return -EINVAL;
	}
	if (ctx->caps == caps && daedalus_capture_busy(ctx) &&
	    (width > ctx->cap_fmt.width || height > ctx->cap_fmt.height)) {
		dev_dbg(ctx->dev->v4l2_dev.dev,
			"%s: %ux%u does not fit the %ux%u CAPTURE buffers\n",
			caps->name, width, height, ctx->cap_fmt.width,
			ctx->cap_fmt.height);
		return -EINVAL;
	}
	return 0;
}

/*
 * The descriptor's limits: the picture's bit depth and chroma format are
 * among the codec's (the reason logged, ratelimited: clients only see an
 * error), its size within the codec's.
 */
int daedalus_picture_supported(struct daedalus_dev *dev,
			       const struct daedalus_picture_caps *caps,
			       const struct daedalus_picture *pic)
{
	if (pic->bit_depth >= 32 || !(caps->bit_depths & BIT(pic->bit_depth)) ||
	    pic->chroma >= DAEDALUS_NUM_CHROMA ||
	    !(caps->chroma_formats & BIT(pic->chroma))) {
		dev_info_ratelimited(dev->v4l2_dev.dev,
				     "%s: %u-bit %s streams are not supported\n",
				     caps->name, pic->bit_depth,
				     pic->chroma < DAEDALUS_NUM_CHROMA ?
				     daedalus_chroma_names[pic->chroma] : "?");
		return -EINVAL;
	}
	if (!pic->width || !pic->height || pic->width > caps->max_width ||
	    pic->height > caps->max_height) {
		dev_info_ratelimited(dev->v4l2_dev.dev,
				     "%s: %ux%u is beyond %ux%u\n",
				     caps->name, pic->width, pic->height,
				     caps->max_width, caps->max_height);
		return -EINVAL;
	}
	return 0;
}

/*
 * daedalus_check_size(), and the picture's bit depth and chroma format are
 * among the codec's (its descriptor's limits). Once CAPTURE buffers exist,
 * the depth cannot change: their format depends on it.
 */
int daedalus_check_picture(struct daedalus_ctx *ctx,
			   const struct daedalus_picture_caps *caps,
			   const struct daedalus_picture *pic)
{
	struct daedalus_picture depth = *pic;

	/* the size is checked below, quietly: controls try many sizes */
	depth.width = 1;
	depth.height = 1;
	if (daedalus_picture_supported(ctx->dev, caps, &depth))
		return -EINVAL;
	if (ctx->caps == caps && daedalus_capture_busy(ctx) &&
	    pic->bit_depth != ctx->bit_depth) {
		dev_dbg(ctx->dev->v4l2_dev.dev,
			"%s: %u bits, the CAPTURE buffers are for %u\n",
			caps->name, pic->bit_depth, ctx->bit_depth);
		return -EINVAL;
	}
	return daedalus_check_size(ctx, caps, pic->width, pic->height);
}

/*
 * A codec's s_ctrl: the stream's bit depth selects the CAPTURE formats (as
 * on hantro), and the CAPTURE format follows unless CAPTURE buffers exist
 * (then daedalus_check_picture() refused another depth). Called with the
 * control handler's lock held, from an ioctl or from device_run.
 */
void daedalus_set_bit_depth(struct daedalus_ctx *ctx,
			    const struct daedalus_picture_caps *caps,
			    unsigned int bit_depth)
{
	if (ctx->caps != caps || ctx->bit_depth == bit_depth ||
	    daedalus_capture_busy(ctx))
		return;
	ctx->bit_depth = bit_depth;
	daedalus_fill_cap(ctx, &ctx->cap_fmt, 0);
}

/*
 * Either node: the card and bus are the node's name, so that nothing pairs
 * the stateful node with the stateless node's media device.
 */
int daedalus_querycap(struct file *file, void *priv,
		      struct v4l2_capability *cap)
{
	struct daedalus_dev *dev = video_drvdata(file);
	bool stateful = video_devdata(file) == &dev->stream_vfd;

	strscpy(cap->driver, DAEDALUS_NAME, sizeof(cap->driver));
	strscpy(cap->card, video_devdata(file)->name, sizeof(cap->card));
	strscpy(cap->bus_info, stateful ? DAEDALUS_STREAM_BUS_INFO :
		DAEDALUS_BUS_INFO, sizeof(cap->bus_info));
	return 0;
}

static int daedalus_enum_fmt_out(struct file *file, void *priv,
				 struct v4l2_fmtdesc *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	u32 mask = daedalus_advertised_codecs(ctx->dev);
	const struct daedalus_codec_desc *codec;
	unsigned int i, n = 0;

	for (i = 0; (codec = daedalus_codec_by_index(i)); i++) {
		if (!(mask & DAEDALUS_CODEC_BIT(codec->codec)))
			continue;
		if (n++ == f->index) {
			f->pixelformat = codec->fourcc;
			return 0;
		}
	}
	return -EINVAL;
}

/* The formats the current OUTPUT format's codec writes. */
int daedalus_enum_fmt_cap(struct file *file, void *priv,
			  struct v4l2_fmtdesc *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	const struct daedalus_cap_formats *formats;

	mutex_lock(&ctx->lock);
	formats = daedalus_cap_formats(ctx);
	mutex_unlock(&ctx->lock);
	if (f->index >= formats->num)
		return -EINVAL;
	f->pixelformat = formats->fourccs[f->index];
	return 0;
}

static int daedalus_enum_framesizes(struct file *file, void *priv,
				    struct v4l2_frmsizeenum *fsize)
{
	const struct daedalus_codec_desc *codec;

	if (fsize->index)
		return -EINVAL;
	codec = daedalus_codec_by_fourcc(fsize->pixel_format);
	if (!codec)
		return -EINVAL;
	fsize->type = V4L2_FRMSIZE_TYPE_STEPWISE;
	daedalus_frmsize(&codec->pic, &fsize->stepwise);
	return 0;
}

int daedalus_g_fmt_out(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);

	mutex_lock(&ctx->lock);
	f->fmt.pix_mp = ctx->out_fmt;
	mutex_unlock(&ctx->lock);
	return 0;
}

int daedalus_g_fmt_cap(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);

	mutex_lock(&ctx->lock);
	f->fmt.pix_mp = ctx->cap_fmt;
	mutex_unlock(&ctx->lock);
	return 0;
}

static const struct daedalus_codec_desc *
daedalus_out_codec(struct daedalus_ctx *ctx, u32 fourcc)
{
	const struct daedalus_codec_desc *codec = daedalus_codec_by_fourcc(fourcc);
	u32 mask = daedalus_advertised_codecs(ctx->dev);

	if (codec && (mask & DAEDALUS_CODEC_BIT(codec->codec)))
		return codec;
	return ctx->codec;
}

static int daedalus_try_fmt_out(struct file *file, void *priv,
				struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;

	daedalus_fill_out(ctx, pix, daedalus_out_codec(ctx, pix->pixelformat));
	return 0;
}

int daedalus_try_fmt_cap(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);

	mutex_lock(&ctx->lock);
	daedalus_fill_cap(ctx, &f->fmt.pix_mp,
			  f->fmt.pix_mp.plane_fmt[0].bytesperline);
	mutex_unlock(&ctx->lock);
	return 0;
}

static int daedalus_s_fmt_out(struct file *file, void *priv,
			      struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct v4l2_pix_format_mplane *pix = &f->fmt.pix_mp;
	const struct daedalus_codec_desc *codec;
	struct vb2_queue *vq, *cap_vq;
	int ret = 0;

	mutex_lock(&ctx->lock);
	codec = daedalus_out_codec(ctx, pix->pixelformat);
	daedalus_fill_out(ctx, pix, codec);

	vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, f->type);
	cap_vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx,
				 V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE);
	/*
	 * Allocated OUTPUT buffers keep their codec but may change size (a
	 * resolution change); streaming ones keep everything.
	 */
	if (vb2_is_streaming(vq) ||
	    (vb2_is_busy(vq) && codec != ctx->codec)) {
		ret = -EBUSY;
		goto out;
	}

	ctx->out_fmt = *pix;
	/* Another codec starts at 8 bits, until its controls say more. */
	if (codec != ctx->codec && !vb2_is_busy(cap_vq))
		ctx->bit_depth = 8;
	ctx->codec = codec;
	ctx->caps = &codec->pic;
	/*
	 * The CAPTURE format follows the coded size, unless CAPTURE buffers
	 * exist: then it stays (clients set OUTPUT again with CAPTURE
	 * buffers allocated, and must not get EBUSY for it).
	 */
	if (!vb2_is_busy(cap_vq)) {
		ctx->cap_fmt.width = pix->width;
		ctx->cap_fmt.height = pix->height;
		daedalus_fill_cap(ctx, &ctx->cap_fmt, 0);
	} else {
		ctx->cap_fmt.colorspace = pix->colorspace;
		ctx->cap_fmt.xfer_func = pix->xfer_func;
		ctx->cap_fmt.ycbcr_enc = pix->ycbcr_enc;
		ctx->cap_fmt.quantization = pix->quantization;
	}
out:
	mutex_unlock(&ctx->lock);
	return ret;
}

int daedalus_s_fmt_cap(struct file *file, void *priv, struct v4l2_format *f)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	struct vb2_queue *vq;
	int ret = 0;

	mutex_lock(&ctx->lock);
	daedalus_fill_cap(ctx, &f->fmt.pix_mp,
			  f->fmt.pix_mp.plane_fmt[0].bytesperline);
	vq = v4l2_m2m_get_vq(ctx->fh.m2m_ctx, f->type);
	if (vb2_is_busy(vq))
		ret = -EBUSY;
	else
		ctx->cap_fmt = f->fmt.pix_mp;
	mutex_unlock(&ctx->lock);
	return ret;
}

static int daedalus_decoder_cmd(struct file *file, void *priv,
				struct v4l2_decoder_cmd *dc)
{
	struct daedalus_ctx *ctx = daedalus_file_to_ctx(file);
	int ret;

	mutex_lock(&ctx->lock);
	ret = v4l2_m2m_ioctl_stateless_decoder_cmd(file, priv, dc);
	mutex_unlock(&ctx->lock);
	return ret;
}

const struct v4l2_ioctl_ops daedalus_ioctl_ops = {
	.vidioc_querycap		= daedalus_querycap,
	.vidioc_enum_framesizes		= daedalus_enum_framesizes,

	.vidioc_enum_fmt_vid_cap	= daedalus_enum_fmt_cap,
	.vidioc_g_fmt_vid_cap_mplane	= daedalus_g_fmt_cap,
	.vidioc_try_fmt_vid_cap_mplane	= daedalus_try_fmt_cap,
	.vidioc_s_fmt_vid_cap_mplane	= daedalus_s_fmt_cap,

	.vidioc_enum_fmt_vid_out	= daedalus_enum_fmt_out,
	.vidioc_g_fmt_vid_out_mplane	= daedalus_g_fmt_out,
	.vidioc_try_fmt_vid_out_mplane	= daedalus_try_fmt_out,
	.vidioc_s_fmt_vid_out_mplane	= daedalus_s_fmt_out,

	.vidioc_reqbufs			= v4l2_m2m_ioctl_reqbufs,
	.vidioc_querybuf		= v4l2_m2m_ioctl_querybuf,
	.vidioc_qbuf			= v4l2_m2m_ioctl_qbuf,
	.vidioc_dqbuf			= v4l2_m2m_ioctl_dqbuf,
	.vidioc_prepare_buf		= v4l2_m2m_ioctl_prepare_buf,
	.vidioc_create_bufs		= v4l2_m2m_ioctl_create_bufs,
	.vidioc_expbuf			= v4l2_m2m_ioctl_expbuf,

	.vidioc_streamon		= v4l2_m2m_ioctl_streamon,
	.vidioc_streamoff		= v4l2_m2m_ioctl_streamoff,

	.vidioc_decoder_cmd		= daedalus_decoder_cmd,
	.vidioc_try_decoder_cmd		= v4l2_m2m_ioctl_stateless_try_decoder_cmd,

	.vidioc_subscribe_event		= v4l2_ctrl_subscribe_event,
	.vidioc_unsubscribe_event	= v4l2_event_unsubscribe,
};

/*
 * MMAP buffers are this driver's vmalloc memory, bounded per context and in
 * all (module parameters mem_limit_mb, ctx_mem_limit_mb): REQBUFS and
 * CREATE_BUFS asking for more fail with ENOMEM. Memory is charged from its
 * allocation until it is freed, which a mapping or an exported dma-buf may
 * delay past REQBUFS 0 (daedalus-mem.c); imported dma-bufs are not charged.
 */
static int daedalus_mem_check(struct daedalus_ctx *ctx, struct vb2_queue *vq,
			      unsigned int nbuffers, unsigned int nplanes,
			      const unsigned int sizes[])
{
	struct daedalus_dev *dev = ctx->dev;
	u64 each = 0, need;
	unsigned int i;

	if (vq->memory != VB2_MEMORY_MMAP)
		return 0;
	for (i = 0; i < nplanes; i++)
		each += PAGE_ALIGN(sizes[i]);
	need = each * nbuffers;
	if (atomic64_read(&ctx->mem->used) + need <= dev->ctx_mem_limit &&
	    atomic64_read(&dev->mem_used) + need <= dev->mem_limit)
		return 0;
	dev_info_ratelimited(dev->v4l2_dev.dev,
			     "ctx %u: %u buffers of %llu KiB exceed the memory bound (ctx %llu of %llu MiB, all %llu of %llu MiB)\n",
			     ctx->id, nbuffers, each >> 10,
			     (u64)atomic64_read(&ctx->mem->used) >> 20,
			     dev->ctx_mem_limit >> 20,
			     (u64)atomic64_read(&dev->mem_used) >> 20,
			     dev->mem_limit >> 20);
	return -ENOMEM;
}

int daedalus_queue_setup(struct vb2_queue *vq, unsigned int *nbuffers,
			 unsigned int *nplanes, unsigned int sizes[],
			 struct device *alloc_devs[])
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	struct v4l2_pix_format_mplane *pix = V4L2_TYPE_IS_OUTPUT(vq->type) ?
		&ctx->out_fmt : &ctx->cap_fmt;
	unsigned int i;

	if (*nplanes) {
		if (*nplanes != pix->num_planes)
			return -EINVAL;
		for (i = 0; i < *nplanes; i++)
			if (sizes[i] < pix->plane_fmt[i].sizeimage)
				return -EINVAL;
	} else {
		*nplanes = pix->num_planes;
		for (i = 0; i < pix->num_planes; i++)
			sizes[i] = pix->plane_fmt[i].sizeimage;
	}
	return daedalus_mem_check(ctx, vq, *nbuffers, *nplanes, sizes);
}

int daedalus_buf_out_validate(struct vb2_buffer *vb)
{
	struct vb2_v4l2_buffer *vbuf = to_vb2_v4l2_buffer(vb);

	vbuf->field = V4L2_FIELD_NONE;
	return 0;
}

/*
 * Called when vb2 gives the buffer memory: a mapping the daemon kept of the
 * buffer's previous memory must not be used for this one.
 */
int daedalus_buf_init(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct daedalus_buffer *buf = daedalus_to_buffer(to_vb2_v4l2_buffer(vb));

	do {
		buf->memory_id = atomic_inc_return(&ctx->dev->last_memory_id);
	} while (!buf->memory_id);
	return 0;
}

int daedalus_buf_prepare(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);
	struct v4l2_pix_format_mplane *pix =
		V4L2_TYPE_IS_OUTPUT(vb->vb2_queue->type) ?
		&ctx->out_fmt : &ctx->cap_fmt;
	unsigned int i;

	if (vb->num_planes != pix->num_planes)
		return -EINVAL;
	for (i = 0; i < pix->num_planes; i++) {
		if (vb2_plane_size(vb, i) < pix->plane_fmt[i].sizeimage)
			return -EINVAL;
		if (!V4L2_TYPE_IS_OUTPUT(vb->vb2_queue->type))
			vb2_set_plane_payload(vb, i,
					      pix->plane_fmt[i].sizeimage);
	}
	return 0;
}

static void daedalus_buf_queue(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	daedalus_to_buffer(to_vb2_v4l2_buffer(vb))->queued = ktime_get();
	v4l2_m2m_buf_queue(ctx->fh.m2m_ctx, to_vb2_v4l2_buffer(vb));
}

static void daedalus_buf_request_complete(struct vb2_buffer *vb)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_ctrl_request_complete(vb->req_obj.req, &ctx->hdl);
}

static int daedalus_start_streaming(struct vb2_queue *vq, unsigned int count)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);

	if (V4L2_TYPE_IS_OUTPUT(vq->type))
		ctx->out_seq = 0;
	else
		ctx->cap_seq = 0;
	return 0;
}

static void daedalus_stop_streaming(struct vb2_queue *vq)
{
	struct daedalus_ctx *ctx = vb2_get_drv_priv(vq);
	struct vb2_v4l2_buffer *vbuf;

	for (;;) {
		if (V4L2_TYPE_IS_OUTPUT(vq->type))
			vbuf = v4l2_m2m_src_buf_remove(ctx->fh.m2m_ctx);
		else
			vbuf = v4l2_m2m_dst_buf_remove(ctx->fh.m2m_ctx);
		if (!vbuf)
			break;
		v4l2_ctrl_request_complete(vbuf->vb2_buf.req_obj.req,
					   &ctx->hdl);
		v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
	}
}

static const struct vb2_ops daedalus_qops = {
	.queue_setup		= daedalus_queue_setup,
	.buf_out_validate	= daedalus_buf_out_validate,
	.buf_init		= daedalus_buf_init,
	.buf_prepare		= daedalus_buf_prepare,
	.buf_queue		= daedalus_buf_queue,
	.buf_request_complete	= daedalus_buf_request_complete,
	.start_streaming	= daedalus_start_streaming,
	.stop_streaming		= daedalus_stop_streaming,
	.wait_prepare		= vb2_ops_wait_prepare,
	.wait_finish		= vb2_ops_wait_finish,
};

/*
 * What the queues of both nodes share: vmalloc memory (daedalus-mem.c),
 * which the daemon maps through the control device and clients export as
 * dmabuf (a board whose GPU imports CAPTURE buffers directly would want
 * dma-contig instead, see docs/kernel.md), and the context's lock.
 */
void daedalus_vq_setup(struct vb2_queue *vq, struct daedalus_ctx *ctx, bool out,
		       const struct vb2_ops *ops)
{
	vq->type = out ? V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE :
		V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
	vq->io_modes = VB2_MMAP | VB2_DMABUF;
	vq->drv_priv = ctx;
	vq->buf_struct_size = sizeof(struct daedalus_buffer);
	vq->ops = ops;
	vq->mem_ops = &daedalus_mem_ops;
	vq->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	vq->lock = &ctx->lock;
	vq->dev = ctx->dev->v4l2_dev.dev;
}

int daedalus_queue_init(void *priv, struct vb2_queue *src_vq,
			struct vb2_queue *dst_vq)
{
	struct daedalus_ctx *ctx = priv;
	const struct daedalus_codec_desc *codec;
	unsigned int i;
	int ret;

	daedalus_vq_setup(src_vq, ctx, true, &daedalus_qops);
	src_vq->supports_requests = true;
	src_vq->requires_requests = daedalus_requires_requests;
	for (i = 0; (codec = daedalus_codec_by_index(i)); i++)
		if (codec->queue_flags)
			src_vq->subsystem_flags |= codec->queue_flags();

	ret = vb2_queue_init(src_vq);
	if (ret)
		return ret;

	daedalus_vq_setup(dst_vq, ctx, false, &daedalus_qops);
	return vb2_queue_init(dst_vq);
}

int daedalus_ctrls_init(struct daedalus_ctx *ctx)
{
	struct v4l2_ctrl_handler *hdl = &ctx->hdl;
	const struct daedalus_codec_desc *codec;
	unsigned int i, j, n = 0;
	int ret;

	for (i = 0; (codec = daedalus_codec_by_index(i)); i++)
		n += codec->num_ctrls + codec->num_init_ctrls;
	v4l2_ctrl_handler_init(hdl, n);

	for (i = 0; (codec = daedalus_codec_by_index(i)); i++) {
		for (j = 0; j < codec->num_ctrls; j++)
			v4l2_ctrl_new_custom(hdl, &codec->ctrls[j], NULL);
		if (codec->init_ctrls)
			codec->init_ctrls(hdl);
	}

	ret = hdl->error;
	if (!ret)
		ret = v4l2_ctrl_handler_setup(hdl);
	if (ret) {
		v4l2_ctrl_handler_free(hdl);
		return ret;
	}
	ctx->fh.ctrl_handler = hdl;
	return 0;
}

struct daedalus_ctx *daedalus_ctrl_to_ctx(struct v4l2_ctrl *ctrl)
{
	return container_of(ctrl->handler, struct daedalus_ctx, hdl);
}

int daedalus_request_validate(struct media_request *req)
{
	struct media_request_object *obj;
	struct v4l2_ctrl_handler *hdl;
	struct daedalus_ctx *ctx = NULL;
	unsigned int count, i;
	int ret;

	list_for_each_entry(obj, &req->objects, list) {
		if (vb2_request_object_is_buffer(obj)) {
			struct vb2_buffer *vb =
				container_of(obj, struct vb2_buffer, req_obj);

			ctx = vb2_get_drv_priv(vb->vb2_queue);
			break;
		}
	}
	if (!ctx)
		return -ENOENT;

	count = vb2_request_buffer_cnt(req);
	if (!count) {
		v4l2_info(&ctx->dev->v4l2_dev, "request without a buffer\n");
		return -ENOENT;
	}
	if (count > 1) {
		v4l2_info(&ctx->dev->v4l2_dev, "request with %u buffers\n",
			  count);
		return -EINVAL;
	}

	hdl = v4l2_ctrl_request_hdl_find(req, &ctx->hdl);
	if (!hdl) {
		v4l2_info(&ctx->dev->v4l2_dev, "request without controls\n");
		return -ENOENT;
	}
	ret = 0;
	for (i = 0; i < ctx->codec->num_required_ctrls && !ret; i++) {
		u32 id = ctx->codec->required_ctrls[i];

		if (!v4l2_ctrl_request_hdl_ctrl_find(hdl, id)) {
			v4l2_info(&ctx->dev->v4l2_dev,
				  "request lacks the required control %#x\n", id);
			ret = -ENOENT;
		}
	}
	if (!ret && ctx->codec->validate)
		ret = ctx->codec->validate(ctx, hdl);
	v4l2_ctrl_request_hdl_put(hdl);
	if (ret)
		return ret;

	return vb2_request_validate(req);
}
