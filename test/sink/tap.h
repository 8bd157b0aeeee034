/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  A minimal TAP producer for the sink's unit tests.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  test/sink/tap.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_TAP_H
#define SINK_TAP_H

#include <stdio.h>

static int	tap_count = 0;
static int	tap_failed = 0;

/* Report one test; returns the condition. */
static int
tap_ok(int cond, const char *name)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
	return cond;
}

/* Compare two unsigned 64-bit values, with a diagnostic on mismatch. */
#define tap_is_u64(got, expected, name) \
	do { \
		unsigned long long g_ = (unsigned long long) (got); \
		unsigned long long e_ = (unsigned long long) (expected); \
		if (!tap_ok(g_ == e_, (name))) \
			printf("#   got: %llX/%llX (%llu)\n#   expected: %llX/%llX (%llu)\n", \
				   g_ >> 32, g_ & 0xffffffffULL, g_, \
				   e_ >> 32, e_ & 0xffffffffULL, e_); \
	} while (0)

/* Print the plan and return the exit status. */
static int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif							/* SINK_TAP_H */
