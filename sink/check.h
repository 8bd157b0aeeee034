/*-------------------------------------------------------------------------
 *
 * check.h
 *	  "wal2dbz-sink check": the configuration and every prerequisite.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/check.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CHECK_H
#define SINK_CHECK_H

#include <stdbool.h>

#include "config.h"

/**
 * @brief Print one finding, "OK|WARN|FAIL <what>: <detail>; <what to do>",
 * to stdout.  \p todo may be NULL (OK findings need nothing done).
 */
extern void sink_check_report(const char *level, const char *what,
							  const char *todo, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/**
 * @brief Check a validated configuration against PostgreSQL and Kafka.
 * @returns the exit code: 0 if nothing FAILed, 1 otherwise.
 */
extern int	sink_check_run(const SinkConfig *cfg);

#endif							/* SINK_CHECK_H */
