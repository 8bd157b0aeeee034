/*-------------------------------------------------------------------------
 *
 * repl.h
 *	  The replication loop of wal2dbz-sink, modelled on pg_recvlogical.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/repl.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_REPL_H
#define SINK_REPL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "kafka.h"
#include "lsn.h"
#include "metrics.h"

/* command-line options of the replication loop */
typedef struct SinkReplOptions
{
	SinkLsnPtr	endpos;			/* stop once this is confirmed; 0: never */
	bool		no_loop;		/* do not reconnect after a lost connection */
	bool		limit_retries;	/* give up after max_retries failed reconnects */
	int			max_retries;	/* in a row (errors.max.retries) */
	bool		fail_on_lost_slot;	/* a slot dropped while in use is fatal
									 * (unless snapshot.mode when_needed) */

	/*
	 * The caller's stop flags (worker mode: one pair per connector): the
	 * first asks for a clean stop, the second cuts the drain short.  When
	 * NULL, SIGINT and SIGTERM set the loop's own flags through handlers
	 * it installs.
	 */
	atomic_int *stop;
	atomic_int *abort;
} SinkReplOptions;

/**
 * @brief Stream from the slot into Kafka until stopped.
 *
 * Connects (creating the slot if missing), streams, reconnects with backoff
 * after a lost connection, and on SIGINT/SIGTERM or at --endpos drains the
 * producer and confirms what is durable.  Installs the signal handlers
 * after the first connection.
 *
 * @returns the process exit code: 0 after a requested stop, 1 on a fatal
 *          error (logged).
 */
extern int	sink_repl_run(const SinkConfig *cfg, SinkKafka *sk, SinkLsn *lsn,
						  SinkMetrics *metrics, const SinkReplOptions *opts);

/** @brief Parse "X/X" into \p lsn. @returns false if malformed. */
extern bool sink_parse_lsn(const char *s, SinkLsnPtr *lsn);

#endif							/* SINK_REPL_H */
