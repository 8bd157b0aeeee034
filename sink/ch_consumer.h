/*-------------------------------------------------------------------------
 *
 * ch_consumer.h
 *	  The ClickHouse stage of wal2dbz-sink: a Kafka consumer group whose
 *	  records land in ClickHouse tables.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_consumer.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_CONSUMER_H
#define SINK_CH_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "metrics.h"

typedef struct SinkCh SinkCh;

/** @returns true if the ClickHouse stage is configured (clickhouse.url). */
extern bool sink_ch_configured(const SinkConfig *cfg);

/**
 * @brief Check the stage's properties beyond their types (combinations,
 * name formats, the consumer's librdkafka configuration).  Each problem
 * is logged as one error.
 * @returns false if there were any.
 */
extern bool sink_ch_config_check(const SinkConfig *cfg);

/**
 * @brief Prepare the stage: nothing connects yet.  Registers the stage's
 * metrics with \p metrics, which must outlive it.
 * @returns NULL on error (logged).
 */
extern SinkCh *sink_ch_new(const SinkConfig *cfg, SinkMetrics *metrics);

/**
 * @brief Run the stage alone on this thread until SIGINT or SIGTERM (a
 * second signal cuts the final flush short).  Installs the handlers.
 * @returns the process exit code: 0 after a requested stop, 1 on error.
 */
extern int	sink_ch_run(SinkCh *ch);

/**
 * @brief Run the stage in its own thread, beside the source stage.  The
 * thread blocks SIGINT and SIGTERM: the source stage's handlers take
 * them, and main calls sink_ch_stop().  It logs with the calling thread's
 * context and hook (sink_log_set_context(), sink_log_set_hook()).
 * @returns false if the thread could not be started (logged).
 */
extern bool sink_ch_start(SinkCh *ch);

/*
 * Called on the stage's thread when it stops on an error of its own (one
 * retrying cannot fix), not after sink_ch_stop() asked it to stop.
 */
typedef void (*SinkChFailureFn) (void *arg);

/**
 * @brief Have \p fn(\p arg) called when the thread stops on an error, so
 * that its owner can stop too (worker mode: the connector goes FAILED).
 * Without one the source stage goes on and the process exits 1 at the
 * end.  Call before sink_ch_start().
 */
extern void sink_ch_on_failure(SinkCh *ch, SinkChFailureFn fn, void *arg);

/**
 * @brief Say the stage runs in connector \p name of a worker: messages
 * tell to restart the connector, not wal2dbz-sink.  \p name must outlive
 * the stage.  Call before sink_ch_start().
 */
extern void sink_ch_set_connector(SinkCh *ch, const char *name);

/**
 * @brief Ask the thread to flush what it holds and stop, and wait for it.
 * @returns 0 if the stage ran without error, 1 if it stopped on one.
 */
extern int	sink_ch_stop(SinkCh *ch);

/** @brief Free the stage (after sink_ch_run() or sink_ch_stop()). */
extern void sink_ch_destroy(SinkCh *ch);

/**
 * @brief Ask the server for its version, for "check".
 * @returns true if it answered; \p detail says what or why not.
 */
extern bool sink_ch_probe(const SinkConfig *cfg, char *detail,
						  size_t detaillen);

#endif							/* SINK_CH_CONSUMER_H */
