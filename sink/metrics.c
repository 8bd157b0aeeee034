/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  Counters and gauges of wal2dbz-sink, in Prometheus text format.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* a growing output buffer for rendering */
typedef struct OutBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} OutBuf;

/* Append formatted text to an OutBuf. */
static void __attribute__((format(printf, 2, 3)))
out_printf(OutBuf *out, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (out->oom)
		return;
	for (;;)
	{
		va_start(ap, fmt);
		n = vsnprintf(out->data + out->len, out->cap - out->len, fmt, ap);
		va_end(ap);
		if (n < 0)
		{
			out->oom = true;
			return;
		}
		if ((size_t) n < out->cap - out->len)
		{
			out->len += (size_t) n;
			return;
		}
		{
			size_t		newcap = out->cap * 2 + (size_t) n;
			char	   *data = realloc(out->data, newcap);

			if (data == NULL)
			{
				out->oom = true;
				return;
			}
			out->data = data;
			out->cap = newcap;
		}
	}
}

/* Append a label value, escaped as the text format requires. */
static void
out_label(OutBuf *out, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '\\' || *s == '"')
			out_printf(out, "\\%c", *s);
		else if (*s == '\n')
			out_printf(out, "\\n");
		else
			out_printf(out, "%c", *s);
	}
}

/* Initialise. */
void
sink_metrics_init(SinkMetrics *metrics)
{
	memset(metrics, 0, sizeof(*metrics));
	pthread_mutex_init(&metrics->mutex, NULL);
}

/* Free. */
void
sink_metrics_destroy(SinkMetrics *metrics)
{
	int			i;

	for (i = 0; i < metrics->ntopics; i++)
		free(metrics->topics[i].name);
	free(metrics->topics);
	pthread_mutex_destroy(&metrics->mutex);
}

/* Register a topic (or find it) and return its index. */
int
sink_metrics_topic(SinkMetrics *metrics, const char *name)
{
	int			i;
	int			idx = -1;

	pthread_mutex_lock(&metrics->mutex);
	for (i = 0; i < metrics->ntopics; i++)
		if (strcmp(metrics->topics[i].name, name) == 0)
		{
			idx = i;
			goto done;
		}
	if (metrics->ntopics == metrics->maxtopics)
	{
		int			newmax = metrics->maxtopics ? metrics->maxtopics * 2 : 16;
		SinkMetricsTopic *topics = realloc(metrics->topics,
										   newmax * sizeof(SinkMetricsTopic));

		if (topics == NULL)
			goto done;
		metrics->topics = topics;
		metrics->maxtopics = newmax;
	}
	metrics->topics[metrics->ntopics].name = strdup(name);
	if (metrics->topics[metrics->ntopics].name == NULL)
		goto done;
	metrics->topics[metrics->ntopics].records = 0;
	metrics->topics[metrics->ntopics].bytes = 0;
	idx = metrics->ntopics++;
done:
	pthread_mutex_unlock(&metrics->mutex);
	return idx;
}

/* Count delivered records. */
void
sink_metrics_delivered(SinkMetrics *metrics, int idx, uint64_t records,
					   uint64_t bytes)
{
	if (idx < 0)
		return;
	pthread_mutex_lock(&metrics->mutex);
	metrics->topics[idx].records += records;
	metrics->topics[idx].bytes += bytes;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Update the replication gauges. */
void
sink_metrics_set_progress(SinkMetrics *metrics, uint64_t received_lsn,
						  uint64_t confirmed_lsn, uint64_t in_flight,
						  int64_t lag_ms)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->received_lsn = received_lsn;
	metrics->confirmed_lsn = confirmed_lsn;
	metrics->in_flight = in_flight;
	metrics->source_lag_ms = lag_ms;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Set the streaming flag. */
void
sink_metrics_set_streaming(SinkMetrics *metrics, bool streaming)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->streaming = streaming;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Set the connection flag. */
void
sink_metrics_set_connected(SinkMetrics *metrics, bool connected)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->source_connected = connected;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Set Kafka's state. */
void
sink_metrics_set_kafka(SinkMetrics *metrics, SinkKafkaState state)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->kafka = state;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Read the streaming flag. */
bool
sink_metrics_streaming(SinkMetrics *metrics)
{
	bool		streaming;

	pthread_mutex_lock(&metrics->mutex);
	streaming = metrics->streaming;
	pthread_mutex_unlock(&metrics->mutex);
	return streaming;
}

/* Publish snapshot progress. */
void
sink_metrics_set_snapshot(SinkMetrics *metrics,
						  const SinkMetricsSnapshot *snapshot)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->snapshot = *snapshot;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Set the renderer of another stage's metrics. */
void
sink_metrics_set_extra(SinkMetrics *metrics, SinkMetricsRenderFn fn, void *arg)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->extra_render = fn;
	metrics->extra_arg = arg;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Count a reconnect. */
void
sink_metrics_reconnect(SinkMetrics *metrics)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->reconnects++;
	pthread_mutex_unlock(&metrics->mutex);
}

/* Count an error. */
void
sink_metrics_error(SinkMetrics *metrics)
{
	pthread_mutex_lock(&metrics->mutex);
	metrics->errors++;
	pthread_mutex_unlock(&metrics->mutex);
}

/* The name of a Kafka state in /health. */
static const char *
kafka_state_name(SinkKafkaState state)
{
	switch (state)
	{
		case SINK_KAFKA_OFF:
			return "off";
		case SINK_KAFKA_CONNECTING:
			return "connecting";
		case SINK_KAFKA_UP:
			return "up";
		case SINK_KAFKA_DOWN:
			return "down";
	}
	return "unknown";
}

/* The state behind /health, as JSON; see metrics.h. */
char *
sink_metrics_health(SinkMetrics *metrics, bool liveness, bool *ready,
					size_t *len)
{
	OutBuf		out = {0};
	const char *source;
	const char *clickhouse;
	bool		source_stage;

	out.cap = 512;
	out.data = malloc(out.cap);
	if (out.data == NULL)
		return NULL;

	pthread_mutex_lock(&metrics->mutex);
	source_stage = metrics->kafka != SINK_KAFKA_OFF;
	if (!source_stage)
		source = "off";
	else if (!metrics->source_connected)
		source = "disconnected";
	else if (metrics->snapshot.running)
		source = "snapshot";
	else if (metrics->streaming)
		source = "streaming";
	else
		source = "connecting";

	/* the ClickHouse stage alone reports through the streaming flag */
	if (metrics->extra_render == NULL)
		clickhouse = "off";
	else if (source_stage)
		clickhouse = "on";
	else
		clickhouse = metrics->streaming ? "running" : "waiting";

	if (source_stage)
		*ready = metrics->source_connected && metrics->kafka == SINK_KAFKA_UP &&
			(metrics->snapshot.running || metrics->streaming);
	else
		*ready = metrics->streaming;

	out_printf(&out,
			   "{\"status\":\"%s\",\"ready\":%s,\"source\":\"%s\",\"kafka\":\"%s\","
			   "\"snapshot\":{\"running\":%s,\"rows\":%" PRIu64
			   ",\"rows_estimated\":%" PRIu64 ",\"tables\":%" PRIu32
			   ",\"tables_done\":%" PRIu32 "},\"clickhouse\":\"%s\"}",
			   liveness || *ready ? "UP" : "DOWN", *ready ? "true" : "false",
			   source,
			   kafka_state_name(metrics->kafka),
			   metrics->snapshot.running ? "true" : "false",
			   metrics->snapshot.rows, metrics->snapshot.rows_estimated,
			   metrics->snapshot.tables, metrics->snapshot.tables_done,
			   clickhouse);
	pthread_mutex_unlock(&metrics->mutex);

	if (out.oom)
	{
		free(out.data);
		return NULL;
	}
	*len = out.len;
	return out.data;
}

/* Render everything in Prometheus text format. */
char *
sink_metrics_render(SinkMetrics *metrics, size_t *len)
{
	OutBuf		out = {0};
	int			i;
	uint64_t	lag_bytes;
	SinkMetricsRenderFn extra_render;
	void	   *extra_arg;

	out.cap = 4096;
	out.data = malloc(out.cap);
	if (out.data == NULL)
		return NULL;
	out.data[0] = '\0';

	pthread_mutex_lock(&metrics->mutex);

	out_printf(&out, "# HELP wal2dbz_records_produced_total Records acknowledged by Kafka.\n"
			   "# TYPE wal2dbz_records_produced_total counter\n");
	for (i = 0; i < metrics->ntopics; i++)
	{
		out_printf(&out, "wal2dbz_records_produced_total{topic=\"");
		out_label(&out, metrics->topics[i].name);
		out_printf(&out, "\"} %" PRIu64 "\n", metrics->topics[i].records);
	}
	out_printf(&out, "# HELP wal2dbz_bytes_produced_total Key and value bytes acknowledged by Kafka.\n"
			   "# TYPE wal2dbz_bytes_produced_total counter\n");
	for (i = 0; i < metrics->ntopics; i++)
	{
		out_printf(&out, "wal2dbz_bytes_produced_total{topic=\"");
		out_label(&out, metrics->topics[i].name);
		out_printf(&out, "\"} %" PRIu64 "\n", metrics->topics[i].bytes);
	}

	lag_bytes = metrics->received_lsn > metrics->confirmed_lsn ?
		metrics->received_lsn - metrics->confirmed_lsn : 0;
	out_printf(&out,
			   "# HELP wal2dbz_records_in_flight Records sent to Kafka and not yet acknowledged.\n"
			   "# TYPE wal2dbz_records_in_flight gauge\n"
			   "wal2dbz_records_in_flight %" PRIu64 "\n"
			   "# HELP wal2dbz_source_lag_bytes WAL received from PostgreSQL but not yet confirmed.\n"
			   "# TYPE wal2dbz_source_lag_bytes gauge\n"
			   "wal2dbz_source_lag_bytes %" PRIu64 "\n"
			   "# HELP wal2dbz_source_lag_ms Age of the oldest record not yet confirmed.\n"
			   "# TYPE wal2dbz_source_lag_ms gauge\n"
			   "wal2dbz_source_lag_ms %" PRId64 "\n"
			   "# HELP wal2dbz_confirmed_lsn Flush LSN confirmed to PostgreSQL.\n"
			   "# TYPE wal2dbz_confirmed_lsn gauge\n"
			   "wal2dbz_confirmed_lsn %" PRIu64 "\n"
			   "# HELP wal2dbz_streaming 1 while replication is streaming.\n"
			   "# TYPE wal2dbz_streaming gauge\n"
			   "wal2dbz_streaming %d\n"
			   "# HELP wal2dbz_kafka_up 1 while Kafka answers the producer.\n"
			   "# TYPE wal2dbz_kafka_up gauge\n"
			   "wal2dbz_kafka_up %d\n"
			   "# HELP wal2dbz_reconnects_total Reconnections to PostgreSQL.\n"
			   "# TYPE wal2dbz_reconnects_total counter\n"
			   "wal2dbz_reconnects_total %" PRIu64 "\n"
			   "# HELP wal2dbz_errors_total Errors (lost connections, failed deliveries).\n"
			   "# TYPE wal2dbz_errors_total counter\n"
			   "wal2dbz_errors_total %" PRIu64 "\n",
			   metrics->in_flight, lag_bytes, metrics->source_lag_ms,
			   metrics->confirmed_lsn, metrics->streaming ? 1 : 0,
			   metrics->kafka == SINK_KAFKA_UP ? 1 : 0,
			   metrics->reconnects, metrics->errors);
	out_printf(&out,
			   "# HELP wal2dbz_snapshot_running 1 while an initial snapshot runs.\n"
			   "# TYPE wal2dbz_snapshot_running gauge\n"
			   "wal2dbz_snapshot_running %d\n"
			   "# HELP wal2dbz_snapshot_rows Rows of the current or last snapshot produced to Kafka.\n"
			   "# TYPE wal2dbz_snapshot_rows gauge\n"
			   "wal2dbz_snapshot_rows %" PRIu64 "\n"
			   "# HELP wal2dbz_snapshot_rows_estimated Rows the snapshot is expected to read (pg_class.reltuples, then counted).\n"
			   "# TYPE wal2dbz_snapshot_rows_estimated gauge\n"
			   "wal2dbz_snapshot_rows_estimated %" PRIu64 "\n"
			   "# HELP wal2dbz_snapshot_tables Tables with rows in the snapshot.\n"
			   "# TYPE wal2dbz_snapshot_tables gauge\n"
			   "wal2dbz_snapshot_tables %" PRIu32 "\n"
			   "# HELP wal2dbz_snapshot_tables_done Tables completely read.\n"
			   "# TYPE wal2dbz_snapshot_tables_done gauge\n"
			   "wal2dbz_snapshot_tables_done %" PRIu32 "\n"
			   "# HELP wal2dbz_snapshot_rows_per_second Average snapshot rate.\n"
			   "# TYPE wal2dbz_snapshot_rows_per_second gauge\n"
			   "wal2dbz_snapshot_rows_per_second %.1f\n"
			   "# HELP wal2dbz_snapshot_seconds_remaining Estimated time left, -1 if unknown.\n"
			   "# TYPE wal2dbz_snapshot_seconds_remaining gauge\n"
			   "wal2dbz_snapshot_seconds_remaining %" PRId64 "\n",
			   metrics->snapshot.running ? 1 : 0, metrics->snapshot.rows,
			   metrics->snapshot.rows_estimated, metrics->snapshot.tables,
			   metrics->snapshot.tables_done, metrics->snapshot.rows_per_second,
			   metrics->snapshot.seconds_left);
	extra_render = metrics->extra_render;
	extra_arg = metrics->extra_arg;

	/*
	 * The other stage's text, rendered under its own mutex and still under
	 * ours, so that the stage cannot be freed meanwhile (its destroy calls
	 * sink_metrics_set_extra(NULL) first; worker mode stops connectors
	 * while /metrics is served).  It never takes ours.
	 */
	if (extra_render)
	{
		size_t		extra_len = 0;
		char	   *extra = extra_render(extra_arg, &extra_len);

		if (extra == NULL)
			out.oom = true;
		else
			out_printf(&out, "%.*s", (int) extra_len, extra);
		free(extra);
	}

	pthread_mutex_unlock(&metrics->mutex);

	if (out.oom)
	{
		free(out.data);
		return NULL;
	}
	*len = out.len;
	return out.data;
}
