/*-------------------------------------------------------------------------
 *
 * http.h
 *	  The HTTP endpoint of wal2dbz-sink: /health and /metrics.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_HTTP_H
#define SINK_HTTP_H

#include <stdbool.h>

#include "metrics.h"

typedef struct SinkHttp SinkHttp;

/**
 * @brief Start serving on \p port (all addresses) in libmicrohttpd's own
 * thread.  \p metrics must outlive the server.
 * @returns the server, or NULL (error logged).
 */
extern SinkHttp *sink_http_start(int port, SinkMetrics *metrics);

/** @brief Stop the server and free it; NULL is allowed. */
extern void sink_http_stop(SinkHttp *http);

#endif							/* SINK_HTTP_H */
