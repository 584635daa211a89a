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

/*
 * Refuses, before any picture, what the daemon cannot decode (the
 * descriptor's limits: 4:4:4, 4:2:2 and 12 bits; the High and
 * Professional profiles) and sizes beyond the advertised ones or the
 * CAPTURE buffers'. The core has checked the rest of each structure.
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
		if (s->max_frame_width_minus_1 >= daedalus_av1_desc.max_width ||
		    s->max_frame_height_minus_1 >= daedalus_av1_desc.max_height)
			return -EINVAL;
		return daedalus_check_picture(ctx, &daedalus_av1_desc, &pic);
	}
	case V4L2_CID_STATELESS_AV1_FRAME: {
		const struct v4l2_ctrl_av1_frame *f = ctrl->p_new.p_av1_frame;

		/* The default control describes no frame. */
		if (!f->upscaled_width && !f->frame_width_minus_1 &&
		    !f->frame_height_minus_1)
			return 0;
		return daedalus_check_size(ctx, &daedalus_av1_desc,
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
				       &daedalus_av1_desc,
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
	.name			= "av1",
	.fourcc			= V4L2_PIX_FMT_AV1_FRAME,
	.block			= 16,
	.max_width		= DAEDALUS_MAX_WIDTH,
	.max_height		= DAEDALUS_MAX_HEIGHT,
	.bit_depths		= BIT(8) | BIT(10),
	.chroma_formats		= BIT(DAEDALUS_CHROMA_400) |
				  BIT(DAEDALUS_CHROMA_420),
	.cap_formats		= &daedalus_cap_formats_8bit,
	.cap_formats_10bit	= &daedalus_cap_formats_10bit,
	.ctrls			= daedalus_av1_ctrls,
	.num_ctrls		= ARRAY_SIZE(daedalus_av1_ctrls),
	.job_ctrls		= daedalus_av1_job_ctrls,
	.num_job_ctrls		= ARRAY_SIZE(daedalus_av1_job_ctrls),
	.required_ctrls		= daedalus_av1_required_ctrls,
	.num_required_ctrls	= ARRAY_SIZE(daedalus_av1_required_ctrls),
};

#endif /* V4L2_CID_STATELESS_AV1_SEQUENCE */
