/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The test client's parts: the core (client.c: device, queues, requests,
 * options), which names no codec, and one file per codec (client-<codec>.c)
 * behind a struct client_codec, as the module's codecs are behind theirs.
 */
#ifndef DAEDALUS_TEST_CLIENT_H
#define DAEDALUS_TEST_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/videodev2.h>
#include <linux/v4l2-controls.h>

#include "daedalus_v4l2.h"

/*
 * What a codec's controls describe: picture @frame (slice @slice), with the
 * sequence's controls when @seq (the first of a stream), the picture's when
 * @picture (its first slice).
 */
struct pic {
	bool seq, picture, slice_based;
	int frame, slice;
};

/* What the client can send of a codec: its OUTPUT format and the controls of its pictures. */
struct client_codec {
	/* -c's name; -c NAME-10bit when has_10bit */
	const char *name;
	uint32_t fourcc;
	/* its enum daedalus_codec, as recorded jobs (--replay) name it */
	uint32_t codec;
	/* the picture size is a multiple of this */
	int block;
	bool has_10bit;
	/* the device's decode mode and start code (NULL: frame-based, none) */
	void (*modes)(int fd, bool *slice_based, bool *annexb);
	/* sets @p's controls; returns the picture number the backend seeds its pattern with */
	uint32_t (*set_ctrls)(int fd, int req_fd, const struct pic *p);
	/*
	 * --refused-frame: a control describing @what, which the daemon cannot
	 * decode (false: the codec has no such case; NULL: none at all)
	 */
	bool (*refused)(struct v4l2_ext_control *c, const char *what);
	/*
	 * --replay (NULL: the codec has none): false when a recorded job lacks
	 * what orders its picture; else whether it starts a new display order
	 * (@key) and the picture's place after that start (@order)
	 */
	bool (*replay_order)(const struct daedalus_job *job, bool *key, int *order);
	/* --replay: controls that are the device's menus, at their defaults when recorded */
	const uint32_t *menus;
	unsigned int num_menus;
};

extern const struct client_codec client_h264, client_vp8, client_vp9, client_av1;

/* The options (client.c); the codec files read the picture's and their own. */
struct client_options {
	int frames, width, height, procs, slices, probe, timeout_ms;
	uint32_t fourcc;
	const struct client_codec *codec;
	/* -c as given (NAME or NAME-10bit) and the stream's bit depth */
	const char *codec_name;
	unsigned int bit_depth;
	const char *expect, *refused;
	bool priority_record, expect_enomem, hold_buffers;
	/* --fuzz: the seed of the mutations (0: none); whole payloads */
	uint32_t fuzz;
	bool fuzz_payload;
	bool unchecked, mono;
	/* --pin: the mode, contexts and the most kept before giving up, in MiB */
	const char *pin;
	int pin_contexts, pin_max_mb;
	/* --replay, --reference */
	const char *replay, *reference;
	bool realloc;
	bool expbuf, dmabuf, no_requests, expect_ebadr;
	char video[64], media[64];
};

extern struct client_options opt;

#define die(...) do { printf("client[%d] FAIL: ", getpid()); printf(__VA_ARGS__); \
	printf("\n"); exit(1); } while (0)

/* A compound control's v4l2_ext_control for the variable @v. */
#define EXT_CTRL(cid, v) ((struct v4l2_ext_control){ .id = (cid), .size = sizeof(v), .ptr = &(v) })

/* The default value of control @id. */
int ctrl_default(int fd, uint32_t id);
/* Sets @n controls, in request @req_fd (-1: directly), mutated under --fuzz. */
void s_ext_ctrls(int fd, int req_fd, struct v4l2_ext_control *c, unsigned int n);

#endif
