/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared by the test backend's files: backend.c (the daemon's connection and
 * the stateless node's jobs) and backend-stream.c (the stateful node's
 * streams).
 */
#ifndef DAEDALUS_TEST_BACKEND_H
#define DAEDALUS_TEST_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "daedalus_v4l2.h"
#include "common.h"

extern int failures;
extern bool quiet;

#define check(cond, ...) do {						\
	if (!(cond)) {							\
		failures++;						\
		printf("backend FAIL: " __VA_ARGS__);			\
		printf("\n");						\
	}								\
} while (0)

/* @ret (0 or -errno) must be -@err; counted as refused when @err is set. */
void expect_errno(int ret, int err, const char *what);

/* backend-stream.c */
void stream_message(int fd, const void *msg, uint32_t size);
void stream_context_closed(uint32_t ctx_id);
void stream_report(void);

#endif
