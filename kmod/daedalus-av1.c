// SPDX-License-Identifier: GPL-2.0-only
/*
 * daedalus-v4l2: AV1 (V4L2_PIX_FMT_AV1_FRAME), on kernels whose uAPI has it
 * (6.5 and later; the controls' header tells, since distributions backport).
 *
 * An OUTPUT buffer holds a frame's tile group OBUs; the sequence and frame
 * headers travel in the controls, from which the daemon rebuilds the OBUs
 * dav1d decodes. The Main profile only: 8 and 10 bits, 4:2:0 or monochrome.
 */

#include <media/v4l2-ctrls.h>

#include "daedalus.h"

#ifdef V4L2_CID_STATELESS_AV1_SEQUENCE

/* The sequence's chroma format (the spec's color_config()). */
static unsigned int daedalus_av1_chroma(u32 flags)
{
	if (flags & V4L2_AV1_SEQUENCE_FLAG_MONO_CHROME)
		return DAEDALUS_CHROMA_400;
	return daedalus_chroma_subsampled(flags & V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X,
					  flags & V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y);
}

/*
 * The control's default (v4l2-ctrls-core: 8 bits, all else zero) describes
 * no sequence; v4l2-compliance tries it.
 */
static bool daedalus_av1_default_sequence(const struct v4l2_ctrl_av1_sequence *s)
{
	const struct v4l2_ctrl_av1_sequence def = { .bit_depth = 8 };

	return !memcmp(s, &def, sizeof(def));
}

/* tile_log2(): the smallest k with blk << k >= target (AV1 spec 5.9.16) */
static unsigned int daedalus_av1_tile_log2(unsigned int blk, unsigned int target)
{
	unsigned int k = 0;

	while ((blk << k) < target)
		k++;
	return k;
}

/*
 * Uniform spacing: @n tiles must be what one of the splits from @min_log2
 * to @max_log2 gives @sbs superblocks; its log2 in @log2.
 */
static bool daedalus_av1_uniform(unsigned int sbs, unsigned int min_log2,
				 unsigned int max_log2, unsigned int n,
				 unsigned int *log2)
{
	unsigned int l, size;

	for (l = min_log2; l <= max_log2; l++) {
		size = (sbs + (1U << l) - 1) >> l;
		if (DIV_ROUND_UP(sbs, size) == n) {
			*log2 = l;
			return true;
		}
	}
	return false;
}

/*
 * Explicit spacing: @n sizes (each at most @max superblocks, minus 1 in
 * @minus_1) ending exactly at @sbs, as the spec's loop reads them; the
 * largest in @widest.
 */
static bool daedalus_av1_sizes(const u32 *minus_1, unsigned int n,
			       unsigned int sbs, unsigned int max,
			       unsigned int *widest)
{
	unsigned int i, start = 0;

	*widest = 0;
	for (i = 0; i < n; i++) {
		if (start >= sbs || minus_1[i] >= min(sbs - start, max))
			return false;
		start += minus_1[i] + 1;
		*widest = max(*widest, minus_1[i] + 1);
	}
	return start == sbs;
}

/*
 * The frame's tile_info() against its size, for superblocks of 64 (@sb_shift
 * 4) or 128 (5) pixels: what the spec's syntax can express, as the daemon
 * writes it from the control (AV1 spec 5.9.15).
 */
static bool daedalus_av1_tiles_fit(const struct v4l2_ctrl_av1_frame *f,
				   unsigned int sb_shift)
{
	const struct v4l2_av1_tile_info *t = &f->tile_info;
	unsigned int mi_cols = 2 * ((f->frame_width_minus_1 + 8) >> 3);
	unsigned int mi_rows = 2 * ((f->frame_height_minus_1 + 8) >> 3);
	unsigned int sb_cols = (mi_cols + BIT(sb_shift) - 1) >> sb_shift;
	unsigned int sb_rows = (mi_rows + BIT(sb_shift) - 1) >> sb_shift;
	unsigned int sb_size = sb_shift + 2;
	unsigned int max_width_sb = 4096 >> sb_size;
	unsigned int max_area_sb = (4096 * 2304) >> (2 * sb_size);
	unsigned int min_log2_cols = daedalus_av1_tile_log2(max_width_sb, sb_cols);
	unsigned int min_log2_tiles, cols_log2, rows_log2, widest, tall;

	min_log2_tiles = max(min_log2_cols,
			     daedalus_av1_tile_log2(max_area_sb, sb_rows * sb_cols));
	if (t->flags & V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING) {
		if (!daedalus_av1_uniform(sb_cols, min_log2_cols,
					  daedalus_av1_tile_log2(1, min(sb_cols, 64U)),
					  t->tile_cols, &cols_log2))
			return false;
		return daedalus_av1_uniform(sb_rows,
					    min_log2_tiles > cols_log2 ?
					    min_log2_tiles - cols_log2 : 0,
					    daedalus_av1_tile_log2(1, min(sb_rows, 64U)),
					    t->tile_rows, &rows_log2);
	}
	if (!daedalus_av1_sizes(t->width_in_sbs_minus_1, t->tile_cols, sb_cols,
				max_width_sb, &widest))
		return false;
	if (min_log2_tiles)
		max_area_sb = (sb_rows * sb_cols) >> (min_log2_tiles + 1);
	else
		max_area_sb = sb_rows * sb_cols;
	return daedalus_av1_sizes(t->height_in_sbs_minus_1, t->tile_rows,
				  sb_rows, max(max_area_sb / widest, 1U), &tall);
}

/*
 * The tile counts and sizes against the frame size. The superblock size is
 * the sequence's, which may change in the same request: a layout that fits
 * neither 64- nor 128-pixel superblocks is refused. The core refuses more
 * than 64 columns or rows on kernels with its check (Debian's 6.12); the
 * arrays read here need that bound on every kernel.
 */
static int daedalus_av1_check_tiles(const struct v4l2_ctrl_av1_frame *f)
{
	const struct v4l2_av1_tile_info *t = &f->tile_info;

	if (!t->tile_cols || t->tile_cols > V4L2_AV1_MAX_TILE_COLS ||
	    !t->tile_rows || t->tile_rows > V4L2_AV1_MAX_TILE_ROWS ||
	    t->context_update_tile_id >= t->tile_cols * t->tile_rows)
		return -EINVAL;
	if (!daedalus_av1_tiles_fit(f, 4) && !daedalus_av1_tiles_fit(f, 5))
		return -EINVAL;
	return 0;
}

/*
 * Refuses, before any picture, what the daemon cannot decode (the
 * descriptor's limits: 4:4:4, 4:2:2 and 12 bits; the High and
 * Professional profiles), sizes beyond the advertised ones or the
 * CAPTURE buffers', and tiles the frame's size cannot hold. The core has
 * checked the rest of each structure.
 */
static int daedalus_av1_try_ctrl(struct v4l2_ctrl *ctrl)
{
	struct daedalus_ctx *ctx = daedalus_ctrl_to_ctx(ctrl);

	switch (ctrl->id) {
	case V4L2_CID_STATELESS_AV1_SEQUENCE: {
		const struct v4l2_ctrl_av1_sequence *s = ctrl->p_new.p_av1_sequence;
		/*
		 * The largest frame the sequence allows may exceed the
		 * CAPTURE buffers (sized for its first frame): checked here
		 * against the advertised sizes only, each frame's own size
		 * against the buffers.
		 */
		struct daedalus_picture pic = {
			.width = 1,
			.height = 1,
			.bit_depth = s->bit_depth,
			.chroma = daedalus_av1_chroma(s->flags),
		};

		if (daedalus_av1_default_sequence(s))
			return 0;
		/* The daemon writes the Main profile's sequence headers only. */
		if (s->seq_profile != 0)
			return -EINVAL;
		if (s->max_frame_width_minus_1 >= daedalus_av1_desc.pic.max_width ||
		    s->max_frame_height_minus_1 >= daedalus_av1_desc.pic.max_height)
			return -EINVAL;
		return daedalus_check_picture(ctx, &daedalus_av1_desc.pic, &pic);
	}
	case V4L2_CID_STATELESS_AV1_FRAME: {
		const struct v4l2_ctrl_av1_frame *f = ctrl->p_new.p_av1_frame;

		int ret;

		/* The default control describes no frame. */
		if (!f->upscaled_width && !f->frame_width_minus_1 &&
		    !f->frame_height_minus_1)
			return 0;
		ret = daedalus_av1_check_tiles(f);
		if (ret)
			return ret;
		return daedalus_check_size(ctx, &daedalus_av1_desc.pic,
					   max(f->upscaled_width,
					       f->frame_width_minus_1 + 1),
					   f->frame_height_minus_1 + 1);
	}
	default:
		return 0;
	}
}

static int daedalus_av1_s_ctrl(struct v4l2_ctrl *ctrl)
{
	if (ctrl->id == V4L2_CID_STATELESS_AV1_SEQUENCE)
		daedalus_set_bit_depth(daedalus_ctrl_to_ctx(ctrl),
				       &daedalus_av1_desc.pic,
				       ctrl->p_new.p_av1_sequence->bit_depth);
	return 0;
}

static const struct v4l2_ctrl_ops daedalus_av1_ctrl_ops = {
	.try_ctrl	= daedalus_av1_try_ctrl,
	.s_ctrl		= daedalus_av1_s_ctrl,
};

static const struct v4l2_ctrl_config daedalus_av1_ctrls[] = {
	{
		.id	= V4L2_CID_STATELESS_AV1_SEQUENCE,
		.ops	= &daedalus_av1_ctrl_ops,
	},
	{
		.id	= V4L2_CID_STATELESS_AV1_FRAME,
		.ops	= &daedalus_av1_ctrl_ops,
	},
	{
		.id	= V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
		.dims	= { V4L2_AV1_MAX_TILE_COUNT },
	},
	{ .id = V4L2_CID_STATELESS_AV1_FILM_GRAIN },
};

static const u32 daedalus_av1_job_ctrls[] = {
	V4L2_CID_STATELESS_AV1_SEQUENCE,
	V4L2_CID_STATELESS_AV1_FRAME,
	V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
	V4L2_CID_STATELESS_AV1_FILM_GRAIN,
};

/*
 * A request carries its frame's header and tile entries; the sequence
 * header persists from earlier requests.
 */
static const u32 daedalus_av1_required_ctrls[] = {
	V4L2_CID_STATELESS_AV1_FRAME,
	V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
};

const struct daedalus_codec_desc daedalus_av1_desc = {
	.codec			= DAEDALUS_CODEC_AV1,
	.fourcc			= V4L2_PIX_FMT_AV1_FRAME,
	.pic = {
		.name = "av1",
		.block = 16,
		.max_width = DAEDALUS_MAX_WIDTH,
		.max_height = DAEDALUS_MAX_HEIGHT,
		.bit_depths = BIT(8) | BIT(10),
		.chroma_formats = BIT(DAEDALUS_CHROMA_400) |
				  BIT(DAEDALUS_CHROMA_420),
		.cap_formats = &daedalus_cap_formats_8bit,
		.cap_formats_10bit = &daedalus_cap_formats_10bit,
	},
	.ctrls			= daedalus_av1_ctrls,
	.num_ctrls		= ARRAY_SIZE(daedalus_av1_ctrls),
	.job_ctrls		= daedalus_av1_job_ctrls,
	.num_job_ctrls		= ARRAY_SIZE(daedalus_av1_job_ctrls),
	.required_ctrls		= daedalus_av1_required_ctrls,
	.num_required_ctrls	= ARRAY_SIZE(daedalus_av1_required_ctrls),
};

#endif /* V4L2_CID_STATELESS_AV1_SEQUENCE */
