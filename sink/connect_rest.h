/*-------------------------------------------------------------------------
 *
 * connect_rest.h
 *	  Kafka Connect's REST API for the worker mode of wal2dbz-sink.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_rest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CONNECT_REST_H
#define SINK_CONNECT_REST_H

#include "worker.h"

typedef struct SinkRest SinkRest;

/**
 * @brief Serve the API on \p port of \p host (NULL: every address), one
 * thread per connection, so that a request that waits for a connector to
 * stop does not hold up the others.
 * @returns the server, or NULL (error logged).
 */
extern SinkRest *sink_rest_start(SinkWorker *w, const char *host, int port);

/** @brief Stop serving (waits for requests under way) and free. */
extern void sink_rest_stop(SinkRest *rest);

#endif							/* SINK_CONNECT_REST_H */
