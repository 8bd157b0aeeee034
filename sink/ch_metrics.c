/*-------------------------------------------------------------------------
 *
 * ch_metrics.c
 *	  Counters and gauges of the ClickHouse stage, in Prometheus text format.
 *
 *	wal2dbz_clickhouse_rows_inserted_total{table}	rows ClickHouse accepted
 *	wal2dbz_clickhouse_batch_seconds				histogram of batch latency
 *		(from the first record of a batch being read to its offsets being
 *		committed)
 *	wal2dbz_clickhouse_consumer_lag{topic,partition}	records in Kafka not
 *		yet committed (high watermark - committed offset)
 *	wal2dbz_clickhouse_records_consumed_total, _records_skipped_total,
 *	_lookups_total, _toast_unresolved_total, _errors_total, _running
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ch_json.h"
#include "ch_metrics.h"

/* the histogram's bucket bounds, in seconds */
static const double bucket_bounds[CH_METRICS_NBUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10
};

/* Initialise. */
void
ch_metrics_init(ChMetrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->mutex, NULL);
}

/* Free. */
void
ch_metrics_destroy(ChMetrics *m)
{
	int			i;

	for (i = 0; i < m->ntables; i++)
		free(m->tables[i].name);
	free(m->tables);
	for (i = 0; i < m->nlags; i++)
		free(m->lags[i].topic);
	free(m->lags);
	pthread_mutex_destroy(&m->mutex);
}

/* Register (or find) a table. */
int
ch_metrics_table(ChMetrics *m, const char *name)
{
	int			i;
	int			idx = -1;

	pthread_mutex_lock(&m->mutex);
	for (i = 0; i < m->ntables; i++)
		if (strcmp(m->tables[i].name, name) == 0)
		{
			idx = i;
			goto done;
		}
	if (m->ntables == m->maxtables)
	{
		int			newmax = m->maxtables ? m->maxtables * 2 : 16;
		ChMetricsTable *t = realloc(m->tables, newmax * sizeof(*t));

		if (t == NULL)
			goto done;
		m->tables = t;
		m->maxtables = newmax;
	}
	m->tables[m->ntables].name = strdup(name);
	if (m->tables[m->ntables].name == NULL)
		goto done;
	m->tables[m->ntables].rows = 0;
	idx = m->ntables++;
done:
	pthread_mutex_unlock(&m->mutex);
	return idx;
}

/* Count inserted rows. */
void
ch_metrics_rows(ChMetrics *m, int idx, uint64_t rows)
{
	if (idx < 0)
		return;
	pthread_mutex_lock(&m->mutex);
	m->tables[idx].rows += rows;
	pthread_mutex_unlock(&m->mutex);
}

/* Observe one batch's latency. */
void
ch_metrics_batch(ChMetrics *m, double seconds)
{
	int			i;

	pthread_mutex_lock(&m->mutex);
	for (i = 0; i < CH_METRICS_NBUCKETS && seconds > bucket_bounds[i]; i++)
		;
	m->buckets[i]++;
	m->batch_seconds_sum += seconds;
	m->batches++;
	pthread_mutex_unlock(&m->mutex);
}

/* Add to the counters. */
void
ch_metrics_count(ChMetrics *m, uint64_t records, uint64_t skipped,
				 uint64_t lookups, uint64_t unresolved, uint64_t errors)
{
	pthread_mutex_lock(&m->mutex);
	m->records += records;
	m->skipped += skipped;
	m->lookups += lookups;
	m->unresolved += unresolved;
	m->errors += errors;
	pthread_mutex_unlock(&m->mutex);
}

/* Set the running gauge. */
void
ch_metrics_set_running(ChMetrics *m, bool running)
{
	pthread_mutex_lock(&m->mutex);
	m->running = running;
	pthread_mutex_unlock(&m->mutex);
}

/* Replace the lag gauges. */
void
ch_metrics_set_lags(ChMetrics *m, const ChMetricsLag *lags, int n)
{
	int			i;

	pthread_mutex_lock(&m->mutex);
	for (i = 0; i < m->nlags; i++)
		free(m->lags[i].topic);
	m->nlags = 0;
	if (n > m->maxlags)
	{
		ChMetricsLag *l = realloc(m->lags, n * sizeof(*l));

		if (l == NULL)
			goto done;
		m->lags = l;
		m->maxlags = n;
	}
	for (i = 0; i < n; i++)
	{
		m->lags[m->nlags] = lags[i];
		m->lags[m->nlags].topic = strdup(lags[i].topic);
		if (m->lags[m->nlags].topic != NULL)
			m->nlags++;
	}
done:
	pthread_mutex_unlock(&m->mutex);
}

/* Append a label value, escaped as the text format requires. */
static void
put_label(ChBuf *out, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '\\' || *s == '"')
			ch_buf_putc(out, '\\');
		if (*s == '\n')
			ch_buf_puts(out, "\\n");
		else
			ch_buf_putc(out, *s);
	}
}

/* Render everything. */
char *
ch_metrics_render(void *arg, size_t *len)
{
	ChMetrics  *m = arg;
	ChBuf		out;
	uint64_t	cumulative = 0;
	int			i;

	ch_buf_init(&out);
	pthread_mutex_lock(&m->mutex);

	ch_buf_puts(&out, "# HELP wal2dbz_clickhouse_rows_inserted_total Rows ClickHouse accepted.\n"
				"# TYPE wal2dbz_clickhouse_rows_inserted_total counter\n");
	for (i = 0; i < m->ntables; i++)
	{
		ch_buf_puts(&out, "wal2dbz_clickhouse_rows_inserted_total{table=\"");
		put_label(&out, m->tables[i].name);
		ch_buf_printf(&out, "\"} %" PRIu64 "\n", m->tables[i].rows);
	}

	ch_buf_puts(&out, "# HELP wal2dbz_clickhouse_batch_seconds From the first record of a batch to its offsets being committed.\n"
				"# TYPE wal2dbz_clickhouse_batch_seconds histogram\n");
	for (i = 0; i < CH_METRICS_NBUCKETS; i++)
	{
		cumulative += m->buckets[i];
		ch_buf_printf(&out, "wal2dbz_clickhouse_batch_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
					  bucket_bounds[i], cumulative);
	}
	cumulative += m->buckets[CH_METRICS_NBUCKETS];
	ch_buf_printf(&out, "wal2dbz_clickhouse_batch_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
				  "wal2dbz_clickhouse_batch_seconds_sum %.6f\n"
				  "wal2dbz_clickhouse_batch_seconds_count %" PRIu64 "\n",
				  cumulative, m->batch_seconds_sum, m->batches);

	ch_buf_puts(&out, "# HELP wal2dbz_clickhouse_consumer_lag Records in Kafka whose offsets are not yet committed.\n"
				"# TYPE wal2dbz_clickhouse_consumer_lag gauge\n");
	for (i = 0; i < m->nlags; i++)
	{
		ch_buf_puts(&out, "wal2dbz_clickhouse_consumer_lag{topic=\"");
		put_label(&out, m->lags[i].topic);
		ch_buf_printf(&out, "\",partition=\"%d\"} %" PRId64 "\n",
					  (int) m->lags[i].partition, m->lags[i].lag);
	}

	ch_buf_printf(&out,
				  "# HELP wal2dbz_clickhouse_records_consumed_total Records read from Kafka.\n"
				  "# TYPE wal2dbz_clickhouse_records_consumed_total counter\n"
				  "wal2dbz_clickhouse_records_consumed_total %" PRIu64 "\n"
				  "# HELP wal2dbz_clickhouse_records_skipped_total Records that are not row changes (transaction metadata, messages, heartbeats).\n"
				  "# TYPE wal2dbz_clickhouse_records_skipped_total counter\n"
				  "wal2dbz_clickhouse_records_skipped_total %" PRIu64 "\n"
				  "# HELP wal2dbz_clickhouse_lookups_total Rows read back from ClickHouse for unchanged TOAST values and tombstones.\n"
				  "# TYPE wal2dbz_clickhouse_lookups_total counter\n"
				  "wal2dbz_clickhouse_lookups_total %" PRIu64 "\n"
				  "# HELP wal2dbz_clickhouse_toast_unresolved_total Unchanged TOAST values with no previous row (written as the column default).\n"
				  "# TYPE wal2dbz_clickhouse_toast_unresolved_total counter\n"
				  "wal2dbz_clickhouse_toast_unresolved_total %" PRIu64 "\n"
				  "# HELP wal2dbz_clickhouse_errors_total Failed ClickHouse requests (retried).\n"
				  "# TYPE wal2dbz_clickhouse_errors_total counter\n"
				  "wal2dbz_clickhouse_errors_total %" PRIu64 "\n"
				  "# HELP wal2dbz_clickhouse_running 1 while the ClickHouse stage runs.\n"
				  "# TYPE wal2dbz_clickhouse_running gauge\n"
				  "wal2dbz_clickhouse_running %d\n",
				  m->records, m->skipped, m->lookups, m->unresolved, m->errors,
				  m->running ? 1 : 0);

	pthread_mutex_unlock(&m->mutex);
	if (out.oom)
	{
		ch_buf_free(&out);
		return NULL;
	}
	*len = out.len;
	ch_buf_cstr(&out);
	return out.data;
}
