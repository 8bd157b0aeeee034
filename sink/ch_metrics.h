/*-------------------------------------------------------------------------
 *
 * ch_metrics.h
 *	  Counters and gauges of the ClickHouse stage, for /metrics.
 *
 * The stage's thread updates them; libmicrohttpd's thread renders them
 * (appended to the source stage's text by metrics.c).  One mutex
 * protects the whole struct, as in metrics.c.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_METRICS_H
#define SINK_CH_METRICS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the upper bounds of the batch latency histogram, in seconds */
#define CH_METRICS_NBUCKETS 10

/* rows of one ClickHouse table */
typedef struct ChMetricsTable
{
	char	   *name;			/* database.table */
	uint64_t	rows;			/* rows ClickHouse accepted */
} ChMetricsTable;

/* the lag of one partition */
typedef struct ChMetricsLag
{
	char	   *topic;
	int32_t		partition;
	int64_t		lag;			/* records in Kafka not yet in ClickHouse */
} ChMetricsLag;

/* everything the stage reports */
typedef struct ChMetrics
{
	pthread_mutex_t mutex;
	ChMetricsTable *tables;
	int			ntables;
	int			maxtables;
	ChMetricsLag *lags;
	int			nlags;
	int			maxlags;
	uint64_t	buckets[CH_METRICS_NBUCKETS + 1];	/* batch latency, last: +Inf */
	double		batch_seconds_sum;
	uint64_t	batches;
	uint64_t	records;		/* records consumed */
	uint64_t	skipped;		/* records that are not row changes */
	uint64_t	lookups;		/* rows read back for TOAST or tombstones */
	uint64_t	unresolved;		/* TOAST values with no previous row */
	uint64_t	errors;			/* failed requests (retried) */
	bool		running;
} ChMetrics;

extern void ch_metrics_init(ChMetrics *m);
extern void ch_metrics_destroy(ChMetrics *m);

/** @returns the index of table \p name for ch_metrics_rows(), -1 on OOM. */
extern int	ch_metrics_table(ChMetrics *m, const char *name);
extern void ch_metrics_rows(ChMetrics *m, int idx, uint64_t rows);
extern void ch_metrics_batch(ChMetrics *m, double seconds);
extern void ch_metrics_count(ChMetrics *m, uint64_t records, uint64_t skipped,
							 uint64_t lookups, uint64_t unresolved,
							 uint64_t errors);
extern void ch_metrics_set_running(ChMetrics *m, bool running);

/** @brief Replace the lag gauges with \p n entries. */
extern void ch_metrics_set_lags(ChMetrics *m, const ChMetricsLag *lags, int n);

/**
 * @brief Render Prometheus text (a SinkMetricsRenderFn).  \p arg is the
 * ChMetrics.  The caller frees the result.
 */
extern char *ch_metrics_render(void *arg, size_t *len);

#endif							/* SINK_CH_METRICS_H */
