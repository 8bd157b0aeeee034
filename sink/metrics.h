/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Counters and gauges of wal2dbz-sink, shared with the HTTP thread.
 *
 * The main thread updates them; the libmicrohttpd thread renders them.
 * One mutex protects the whole struct.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_METRICS_H
#define SINK_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* counters of one topic */
typedef struct SinkMetricsTopic
{
	char	   *name;
	uint64_t	records;		/* delivered records */
	uint64_t	bytes;			/* delivered key + value bytes */
} SinkMetricsTopic;

/* progress of a snapshot (snapshot.c) */
typedef struct SinkMetricsSnapshot
{
	bool		running;
	uint64_t	rows;			/* records produced */
	uint64_t	rows_estimated; /* from pg_class.reltuples and chunking */
	uint32_t	tables;
	uint32_t	tables_done;
	double		rows_per_second;
	int64_t		seconds_left;	/* -1: unknown */
} SinkMetricsSnapshot;

/*
 * Renders another stage's metrics (the ClickHouse stage's, ch_metrics.c),
 * appended to /metrics; returns a malloc'd text the caller frees, or NULL.
 */
typedef char *(*SinkMetricsRenderFn) (void *arg, size_t *len);

/* everything /metrics and /health report */
typedef struct SinkMetrics
{
	pthread_mutex_t mutex;
	bool		streaming;		/* replication running: /health is UP */
	SinkMetricsTopic *topics;
	int			ntopics;
	int			maxtopics;
	uint64_t	in_flight;		/* records without a delivery report */
	uint64_t	received_lsn;	/* latest WAL position seen from the server */
	uint64_t	confirmed_lsn;	/* flush LSN reported to the server */
	int64_t		source_lag_ms;	/* age of the oldest unconfirmed record */
	uint64_t	reconnects;
	uint64_t	errors;
	SinkMetricsSnapshot snapshot;	/* the current or last snapshot */
	SinkMetricsRenderFn extra_render;	/* another stage's metrics, or NULL */
	void	   *extra_arg;
} SinkMetrics;

/** @brief Initialise. */
extern void sink_metrics_init(SinkMetrics *metrics);

/** @brief Free. */
extern void sink_metrics_destroy(SinkMetrics *metrics);

/**
 * @brief Register a topic.
 * @returns its index for sink_metrics_delivered(), or -1 when out of memory.
 */
extern int	sink_metrics_topic(SinkMetrics *metrics, const char *name);

/** @brief Count delivered records of topic \p idx. */
extern void sink_metrics_delivered(SinkMetrics *metrics, int idx,
								   uint64_t records, uint64_t bytes);

/** @brief Update the replication gauges in one step. */
extern void sink_metrics_set_progress(SinkMetrics *metrics,
									  uint64_t received_lsn,
									  uint64_t confirmed_lsn,
									  uint64_t in_flight, int64_t lag_ms);

/** @brief Set the streaming flag behind /health. */
extern void sink_metrics_set_streaming(SinkMetrics *metrics, bool streaming);

/** @brief Publish the progress of a snapshot. */
extern void sink_metrics_set_snapshot(SinkMetrics *metrics,
									  const SinkMetricsSnapshot *snapshot);

/**
 * @brief Append another stage's metrics to /metrics (NULL \p fn: none).
 * \p fn runs on the HTTP thread, outside this struct's mutex.
 */
extern void sink_metrics_set_extra(SinkMetrics *metrics,
								   SinkMetricsRenderFn fn, void *arg);

/** @brief Count a reconnect. */
extern void sink_metrics_reconnect(SinkMetrics *metrics);

/** @brief Count an error. */
extern void sink_metrics_error(SinkMetrics *metrics);

/** @returns the streaming flag. */
extern bool sink_metrics_streaming(SinkMetrics *metrics);

/**
 * @brief Render Prometheus text format into a malloc'd string.
 * The caller owns (frees) the result; NULL when out of memory.
 */
extern char *sink_metrics_render(SinkMetrics *metrics, size_t *len);

#endif							/* SINK_METRICS_H */
