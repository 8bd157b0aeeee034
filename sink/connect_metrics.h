/*-------------------------------------------------------------------------
 *
 * connect_metrics.h
 *	  /metrics of the worker mode: every connector's metrics in one
 *	  Prometheus text, each series labelled with its connector.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CONNECT_METRICS_H
#define SINK_CONNECT_METRICS_H

#include <stddef.h>

#include "metrics.h"

/* one connector, as /metrics shows it */
typedef struct SinkConnectMetrics
{
	const char *name;			/* the connector's name */
	const char *state;			/* RUNNING, PAUSED, FAILED, ... */
	SinkMetrics *metrics;		/* its task's, or NULL: no task */
} SinkConnectMetrics;

/**
 * @brief Render the metrics of \p n connectors in Prometheus text format
 * 0.0.4: wal2dbz_connector_state{connector,state} for each, then each
 * metric family of sink_metrics_render() once, with the series of every
 * connector that has a task, labelled connector="name".
 * @returns a malloc'd text the caller frees (NULL when out of memory).
 */
extern char *sink_connect_metrics_render(const SinkConnectMetrics *connectors,
										 int n, size_t *len);

#endif							/* SINK_CONNECT_METRICS_H */
