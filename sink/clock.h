/*-------------------------------------------------------------------------
 *
 * clock.h
 *	  The monotonic clock the sink's deadlines and intervals are measured on.
 *
 * Header-only: one small inline function that every stage needs, so that
 * each file does not keep a copy of its own.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/clock.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CLOCK_H
#define SINK_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * Monotonic milliseconds, for deadlines and intervals: never steps with the
 * wall clock, so a clock change cannot fire or stall a timer.
 */
static inline int64_t
sink_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif							/* SINK_CLOCK_H */
