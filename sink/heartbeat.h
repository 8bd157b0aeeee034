/*-------------------------------------------------------------------------
 *
 * heartbeat.h
 *	  Debezium's heartbeats: heartbeat.interval.ms, heartbeat.action.query.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/heartbeat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_HEARTBEAT_H
#define SINK_HEARTBEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "kafka.h"
#include "lsn.h"

typedef struct SinkHeartbeat SinkHeartbeat;

/* the outcome of sink_heartbeat_tick() */
typedef enum SinkHeartbeatResult
{
	SINK_HEARTBEAT_OK,			/* nothing due, or done (action query errors
								 * are logged and do not count) */
	SINK_HEARTBEAT_KAFKA_FAILED,	/* the record could not be produced */
	SINK_HEARTBEAT_FATAL		/* the action query names a missing table */
} SinkHeartbeatResult;

/**
 * @brief Prepare heartbeats as configured.
 * @returns NULL when heartbeat.interval.ms is 0 (off) or on out of memory
 *          (logged, and \p failed set).
 */
extern SinkHeartbeat *sink_heartbeat_new(const SinkConfig *cfg, bool *failed);

/**
 * @brief Milliseconds until the next heartbeat is due, at most \p timeout_ms
 * (and \p timeout_ms when \p hb is NULL): for the poll() of the loop.
 */
extern int	sink_heartbeat_timeout(const SinkHeartbeat *hb, int timeout_ms);

/**
 * @brief If a heartbeat is due, produce the heartbeat record, then run
 * heartbeat.action.query, as Debezium 3.6 does in that order.
 *
 * Call only between transactions: the record joins the LSN tracker as an
 * entry of its own at \p position (the highest position received, all of
 * whose transactions are already in the tracker), so that once Kafka has
 * acknowledged it and everything before it, that position is confirmed,
 * as Debezium commits the heartbeat's offset.
 */
extern SinkHeartbeatResult sink_heartbeat_tick(SinkHeartbeat *hb,
											   SinkKafka *sk, SinkLsn *lsn,
											   SinkLsnPtr position);

/** @brief Close the action query's connection and free everything. */
extern void sink_heartbeat_free(SinkHeartbeat *hb);

#endif							/* SINK_HEARTBEAT_H */
