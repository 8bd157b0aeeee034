/*-------------------------------------------------------------------------
 *
 * snapshot.h
 *	  Initial snapshots of wal2dbz-sink: snapshot.mode, the slot's exported
 *	  snapshot, tables read in key chunks over several connections through
 *	  wal2dbz.snapshot_frames(), and the sink's record of completed
 *	  snapshots.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/snapshot.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_SNAPSHOT_H
#define SINK_SNAPSHOT_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "config.h"
#include "kafka.h"
#include "lsn.h"
#include "metrics.h"

/* the schema and table where the sink records its snapshots */
#define SINK_STATE_SCHEMA	"wal2dbz_sink"
#define SINK_STATE_TABLE	"snapshot_state"

/* the extension function snapshots read tables through */
#define SINK_FRAMES_ARGS \
	"regclass, text[], pg_lsn, bigint, boolean, boolean, text, boolean, boolean"
#define SINK_FRAMES_SIGNATURE "wal2dbz.snapshot_frames(" SINK_FRAMES_ARGS ")"

/* the replication slot as the replication connection found it */
typedef struct SinkSlotInfo
{
	bool		exists;
	bool		invalidated;	/* wal_status "lost": its WAL is gone */
	SinkLsnPtr	confirmed;		/* confirmed_flush_lsn */
} SinkSlotInfo;

/* what the caller needs to run a snapshot; nothing here is owned */
typedef struct SinkSnapshotEnv
{
	const SinkConfig *cfg;
	SinkKafka  *sk;
	SinkLsn    *lsn;
	SinkMetrics *metrics;
	atomic_int *stop;	/* first SIGINT/SIGTERM */
	atomic_int *abort;	/* second one: do not drain */
} SinkSnapshotEnv;

/* the outcome of sink_snapshot_before_streaming() */
typedef enum SinkSnapshotResult
{
	SINK_SNAPSHOT_STREAM,		/* start streaming at *start */
	SINK_SNAPSHOT_DONE,			/* initial_only: finished, exit 0 */
	SINK_SNAPSHOT_STOPPED,		/* a signal: the snapshot is redone later */
	SINK_SNAPSHOT_DISCONNECTED, /* lost a connection before any snapshot
								 * work: as at connection time */
	SINK_SNAPSHOT_INTERRUPTED,	/* lost a connection during a snapshot:
								 * try again later, even at the first start */
	SINK_SNAPSHOT_KAFKA_FAILED, /* a delivery failed */
	SINK_SNAPSHOT_FATAL			/* logged; exit 1 */
} SinkSnapshotResult;

/**
 * @brief Check the snapshot properties (snapshot.mode and snapshot.*)
 * before anything connects, one error per problem.
 *
 * Unless snapshot.mode is no_data, the sink keeps its state in schema
 * SINK_STATE_SCHEMA of the source database, and this adds that schema to
 * the schema.exclude.list forwarded to the plugin (when no
 * schema.include.list is given), so that the state's own rows never
 * become change events.
 *
 * @returns false if there were errors.
 */
extern bool sink_snapshot_check_config(SinkConfig *cfg);

/**
 * @brief Can snapshot.mode take a snapshot (everything but no_data)?  Then
 * the sink needs the extension and its state table in the source database.
 */
extern bool sink_snapshot_may_run(const SinkConfig *cfg);

/**
 * @brief The plugin options the sink sends, as a text[] literal
 * {name,value,...} (snapshot reads, and check's wal2dbz.check_options()).
 *
 * @returns a malloc'd string the caller frees, or NULL when out of memory.
 */
extern char *sink_snapshot_options_array(const SinkConfig *cfg);

/**
 * @brief Make sure the slot exists and, as snapshot.mode asks, take a
 * snapshot before streaming.
 *
 * \p repl is the replication connection, idle after IDENTIFY_SYSTEM;
 * \p slot describes the slot as found on it.  A missing slot is created
 * here: with an exported snapshot when a snapshot follows, which keeps
 * \p repl busy until every table has been read.  Snapshot records go to
 * Kafka through the producer; the LSN tracker never confirms anything
 * beyond the slot's position for them.  A snapshot is recorded as
 * complete only once Kafka has acknowledged all of its records.
 *
 * @returns what to do next; with SINK_SNAPSHOT_STREAM, \p start is the
 *          position streaming resumes from.
 */
extern SinkSnapshotResult sink_snapshot_before_streaming(const SinkSnapshotEnv *env,
														 PGconn *repl,
														 const SinkSlotInfo *slot,
														 SinkLsnPtr *start);

#endif							/* SINK_SNAPSHOT_H */
