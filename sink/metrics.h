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

/* whether Kafka answers the source stage's producer (kafka.c) */
typedef enum SinkKafkaState
{
	SINK_KAFKA_OFF,				/* no producer (the ClickHouse stage alone) */
	SINK_KAFKA_CONNECTING,		/* no answer yet */
	SINK_KAFKA_UP,				/* answered, or acknowledged records */
	SINK_KAFKA_DOWN				/* all brokers down, or no answer to a probe */
} SinkKafkaState;

/* everything /metrics and /health report */
typedef struct SinkMetrics
{
	pthread_mutex_t mutex;
	bool		streaming;		/* replication (or the ClickHouse stage alone)
								 * running */
	bool		source_connected;	/* a replication connection is open */
	SinkKafkaState kafka;
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

/** @brief Set the streaming flag behind /health/ready. */
extern void sink_metrics_set_streaming(SinkMetrics *metrics, bool streaming);

/** @brief Say whether the replication connection is open (/health/ready). */
extern void sink_metrics_set_connected(SinkMetrics *metrics, bool connected);

/** @brief Say whether Kafka answers (/health/ready). */
extern void sink_metrics_set_kafka(SinkMetrics *metrics, SinkKafkaState state);

/** @brief Publish the progress of a snapshot. */
extern void sink_metrics_set_snapshot(SinkMetrics *metrics,
									  const SinkMetricsSnapshot *snapshot);

/**
 * @brief Append another stage's metrics to /metrics (NULL \p fn: none).
 * \p fn runs on the HTTP thread, under this struct's mutex (so that it is
 * not called once this returned with NULL); it must not take that mutex.
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
 * @brief The state behind /health as JSON, into a malloc'd string the
 * caller frees (NULL when out of memory): "status" ("UP" for \p liveness,
 * else "UP" when ready), "ready", "source", "kafka", "snapshot" and
 * "clickhouse".
 *
 * Ready means doing its work: with a source stage, the replication
 * connection is open (streaming, or taking a snapshot) and Kafka answers;
 * the ClickHouse stage alone is ready while it is not waiting for
 * ClickHouse.
 */
extern char *sink_metrics_health(SinkMetrics *metrics, bool liveness,
								 bool *ready, size_t *len);

/**
 * @brief Render Prometheus text format into a malloc'd string.
 * The caller owns (frees) the result; NULL when out of memory.
 */
extern char *sink_metrics_render(SinkMetrics *metrics, size_t *len);

#endif							/* SINK_METRICS_H */
