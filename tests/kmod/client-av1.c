// SPDX-License-Identifier: GPL-2.0-only
/*
 * The test client's AV1 (-c av1, av1-10bit): a SEQUENCE, a FRAME and one
 * TILE_GROUP_ENTRY a picture, a shown key frame of one tile; what
 * --refused-frame refuses.
 */
#include <string.h>

#include "client.h"

/* An AV1 Main-profile sequence of the client's picture size, 4:2:0, at @bit_depth. */
static void av1_sequence(struct v4l2_ctrl_av1_sequence *s, unsigned int bit_depth)
{
	memset(s, 0, sizeof(*s));
	s->flags = V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X | V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	s->bit_depth = bit_depth;
	s->max_frame_width_minus_1 = opt.width - 1;
	s->max_frame_height_minus_1 = opt.height - 1;
}

/* A shown key frame of the client's picture size, one tile (uniform spacing). */
static void av1_frame(struct v4l2_ctrl_av1_frame *f, int frame)
{
	memset(f, 0, sizeof(*f));
	f->frame_type = V4L2_AV1_KEY_FRAME;
	f->flags = V4L2_AV1_FRAME_FLAG_SHOW_FRAME | V4L2_AV1_FRAME_FLAG_SHOWABLE_FRAME;
	f->frame_width_minus_1 = opt.width - 1;
	f->frame_height_minus_1 = opt.height - 1;
	f->upscaled_width = opt.width;
	f->render_width_minus_1 = opt.width - 1;
	f->render_height_minus_1 = opt.height - 1;
	f->tile_info.flags = V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING;
	f->tile_info.tile_cols = 1;
	f->tile_info.tile_rows = 1;
	f->refresh_frame_flags = 0xff;
	f->quantization.base_q_idx = frame; /* any value: the picture's number */
}

static uint32_t av1_set_ctrls(int fd, int req_fd, const struct pic *p)
{
	static struct v4l2_ctrl_av1_sequence s;
	static struct v4l2_ctrl_av1_frame f;
	static struct v4l2_ctrl_av1_tile_group_entry tile;
	struct v4l2_ext_control c[3] = {
		EXT_CTRL(V4L2_CID_STATELESS_AV1_SEQUENCE, s),
		EXT_CTRL(V4L2_CID_STATELESS_AV1_FRAME, f),
		EXT_CTRL(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, tile),
	};

	av1_sequence(&s, opt.bit_depth);
	av1_frame(&f, p->frame);
	tile = (struct v4l2_ctrl_av1_tile_group_entry){ .tile_size = 1 };
	s_ext_ctrls(fd, req_fd, c, 3);
	return f.quantization.base_q_idx;
}

/*
 * A frame of that size (WxH), a sequence allowing frames of that size
 * (maxWxH), more tile rows than superblock rows (tiles), a profile, bit depth
 * or chroma subsampling the daemon lacks, or (10bit) a 10-bit stream, which
 * 8-bit CAPTURE buffers cannot take.
 */
static bool av1_refused(struct v4l2_ext_control *c, const char *what)
{
	static struct v4l2_ctrl_av1_sequence s;
	static struct v4l2_ctrl_av1_frame f;
	int w, h;

	*c = EXT_CTRL(V4L2_CID_STATELESS_AV1_SEQUENCE, s);
	av1_sequence(&s, 8);
	av1_frame(&f, 0);
	if (sscanf(what, "max%dx%d", &w, &h) == 2) {
		s.max_frame_width_minus_1 = w - 1;
		s.max_frame_height_minus_1 = h - 1;
	} else if (sscanf(what, "%dx%d", &w, &h) == 2) {
		*c = EXT_CTRL(V4L2_CID_STATELESS_AV1_FRAME, f);
		f.frame_width_minus_1 = w - 1;
		f.upscaled_width = w;
		f.frame_height_minus_1 = h - 1;
	} else if (!strcmp(what, "tiles")) {
		/*
		 * Explicit spacing of more tile rows than the frame has
		 * superblock rows (176x144: 3 of 64 pixels), each one high:
		 * the daemon's header writer once looped on it for good.
		 */
		*c = EXT_CTRL(V4L2_CID_STATELESS_AV1_FRAME, f);
		f.tile_info.flags = 0;
		f.tile_info.tile_rows = 5;
		f.tile_info.width_in_sbs_minus_1[0] = (opt.width + 63) / 64 - 1;
	} else if (!strcmp(what, "profile1")) {
		s.seq_profile = 1;
	} else if (!strcmp(what, "profile2")) {
		s.seq_profile = 2;
	} else if (!strcmp(what, "12bit")) {
		s.bit_depth = 12;
	} else if (!strcmp(what, "444")) {
		s.flags &= ~(V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_X |
			     V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y);
	} else if (!strcmp(what, "422")) {
		s.flags &= ~V4L2_AV1_SEQUENCE_FLAG_SUBSAMPLING_Y;
	} else if (!strcmp(what, "10bit")) {
		av1_sequence(&s, 10);
	} else {
		return false;
	}
	return true;
}

const struct client_codec client_av1 = {
	.name = "av1", .fourcc = V4L2_PIX_FMT_AV1_FRAME, .codec = DAEDALUS_CODEC_AV1,
	.block = 16, .has_10bit = true, .set_ctrls = av1_set_ctrls, .refused = av1_refused,
};
