/*-------------------------------------------------------------------------
 *
 * ch_consumer.c
 *	  The ClickHouse stage of wal2dbz-sink: a Kafka consumer group whose
 *	  records land in ClickHouse tables.
 *
 * One thread does everything, like the source stage: it polls the
 * consumer, hands each record to ch_table.c (which converts it into the
 * pending batch), and when the batch is full (clickhouse.batch.rows,
 * clickhouse.batch.bytes) or old (clickhouse.batch.ms) it writes it and
 * only then commits the offsets after the last record of each partition
 * (enable.auto.commit=false, synchronous commits).  A crash anywhere
 * loses nothing: what was not committed is read again, and the versioned
 * tables collapse the repeats (H17, one hop later).
 *
 * Beside the source stage it runs in a thread of its own, so that neither
 * stage's waits (a slow INSERT, a PostgreSQL round trip) hold up the
 * other; the two share nothing but the metrics (behind their mutex).
 * Alone (no database.* properties) it runs on the main thread, and
 * several processes with the same clickhouse.group.id share the topics'
 * partitions.
 *
 * When ClickHouse does not answer, the batch is kept and retried with
 * backoff (1, 2, 4 ... 30 s) while the consumer keeps serving the group
 * with its partitions paused, so it is not thrown out of the group and
 * does not read further.  If the partitions are revoked meanwhile, the
 * batch is dropped uncommitted: the new owner reads it again.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_consumer.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>

#include "ch_consumer.h"
#include "ch_http.h"
#include "ch_metrics.h"
#include "ch_schema.h"
#include "ch_table.h"
#include "clock.h"
#include "log.h"

/* property defaults */
#define DEFAULT_GROUP_ID		"wal2dbz-clickhouse"
#define DEFAULT_DATABASE		"default"
#define DEFAULT_TABLE_FORMAT	"${topic}"
#define DEFAULT_BATCH_ROWS		100000
#define DEFAULT_BATCH_BYTES		(16 * 1024 * 1024)
#define DEFAULT_BATCH_MS		1000
#define DEFAULT_TIMEOUT_MS		60000
#define DEFAULT_PLACEHOLDER		"__debezium_unavailable_value"

/* the poll tick: stop requests are noticed at least this often */
#define POLL_TICK_MS			100

/* the lag gauges are refreshed this often */
#define LAG_INTERVAL_MS			2000

/* retry backoff */
#define RETRY_MIN_MS			1000
#define RETRY_MAX_MS			30000

/* how long the final flush may retry at shutdown */
#define FINAL_FLUSH_MS			30000

/*
 * librdkafka producer properties: kafka.* serves both stages, and these
 * mean nothing to a consumer (librdkafka would warn about each).
 */
static const char *const producer_only[] = {
	"acks", "request.required.acks", "enable.idempotence", "partitioner",
	"queue.buffering.max.kbytes", "queue.buffering.max.messages",
	"queue.buffering.max.ms", "linger.ms", "compression.type",
	"compression.codec", "batch.num.messages", "batch.size",
	"message.send.max.retries", "retries", "transactional.id",
	"delivery.timeout.ms", "message.timeout.ms", "enable.gapless.guarantee",
	"sticky.partitioning.linger.ms", "max.in.flight.requests.per.connection",
	"max.in.flight", "retry.backoff.max.ms", "compression.level", NULL
};

/*
 * The batch's progress on one partition: the first offset taken since the
 * last commit (where to rewind to if the batch is dropped) and the offset
 * to commit once ClickHouse accepted it.
 */
typedef struct ChPartition
{
	char	   *topic;
	int32_t		partition;
	int64_t		first;
	int64_t		next;
} ChPartition;

/* an offset committed in this process, for the lag gauges */
typedef struct ChCommitted
{
	char	   *topic;
	int32_t		partition;
	int64_t		offset;
} ChCommitted;

struct SinkCh
{
	const SinkConfig *cfg;
	SinkMetrics *metrics;		/* not owned */
	ChMetrics	chm;

	/* settings */
	const char *group_id;
	const char *topics;			/* comma list, or NULL */
	char	   *topics_regex;	/* "^..." or NULL */
	long		batch_rows;
	long		batch_bytes;
	long		batch_ms;
	ChHttpOptions http_opts;
	ChTablesOptions table_opts;

	/* runtime */
	SinkChHttp *http;
	ChServer	srv;
	ChTables   *tables;
	rd_kafka_t *rk;
	ChPartition *parts;			/* partitions with uncommitted records */
	int			nparts;
	int			maxparts;
	ChCommitted *committed;
	int			ncommitted;
	int			maxcommitted;
	int64_t		batch_start_ms; /* when the first uncommitted record came */
	int64_t		last_lag_ms;
	unsigned	rebalances;		/* revocations so far */
	uint64_t	consumed;		/* counters not yet in the metrics */
	uint64_t	skipped;

	/* control */
	bool		alone;			/* on the main thread, with signal handlers */
	bool		failed;			/* stopping on an error: write nothing more */
	bool		threaded;
	pthread_t	thread;
	atomic_int	stop;			/* set by sink_ch_stop() */
	int			exit_code;
	SinkChFailureFn on_failure; /* the owner's, or NULL (sink_ch_on_failure) */
	void	   *on_failure_arg;
	const char *log_context;	/* the starting thread's, for the stage's */
	SinkLogHook log_hook;
	void	   *log_hook_arg;
};

/* the signal flags when the stage runs alone */
static volatile sig_atomic_t ch_time_to_stop = 0;
static volatile sig_atomic_t ch_time_to_abort = 0;

/* Has a stop been requested? */
static bool
stopping(SinkCh *ch)
{
	return atomic_load(&ch->stop) != 0 || (ch->alone && ch_time_to_stop);
}

/* Has a second signal asked to give up waiting? */
static bool
aborting(SinkCh *ch)
{
	return ch->alone && ch_time_to_abort;
}

/* A property's value or a default. */
static const char *
prop(const SinkConfig *cfg, const char *name, const char *dflt)
{
	const char *v = sink_config_get(cfg, name);

	return v && v[0] ? v : dflt;
}

/* An integer property (its range was checked by config.c). */
static long
prop_long(const SinkConfig *cfg, const char *name, long dflt)
{
	const char *v = sink_config_get(cfg, name);

	return v && v[0] ? strtol(v, NULL, 10) : dflt;
}

/* Is the stage configured? */
bool
sink_ch_configured(const SinkConfig *cfg)
{
	const char *url = sink_config_get(cfg, "clickhouse.url");

	return url != NULL && url[0] != '\0';
}

/* Is this librdkafka property for producers only? */
static bool
is_producer_only(const char *name)
{
	int			i;

	for (i = 0; producer_only[i]; i++)
		if (strcmp(producer_only[i], name) == 0)
			return true;
	return false;
}

/* Set one consumer property, naming it on failure. */
static bool
conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		 const char *origin)
{
	char		errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) !=
		RD_KAFKA_CONF_OK)
	{
		sink_log_error("%s: property \"%s%s\" (ClickHouse stage consumer): %s",
					   origin, SINK_KAFKA_PREFIX, name, errstr);
		return false;
	}
	return true;
}

/*
 * The consumer's configuration: our defaults, then kafka.* (producer-only
 * properties skipped).  The caller owns the result; NULL after logging.
 */
static rd_kafka_conf_t *
consumer_conf_new(const SinkConfig *cfg)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool		ok = true;
	int			i;
	char		client_id[256];

	snprintf(client_id, sizeof(client_id), "%s-clickhouse",
			 cfg->name ? cfg->name : "wal2dbz-sink");
	ok &= conf_set(conf, "group.id",
				   prop(cfg, "clickhouse.group.id", DEFAULT_GROUP_ID), "default");
	ok &= conf_set(conf, "client.id", client_id, "default");
	/* offsets are committed by hand, after ClickHouse accepted the rows */
	ok &= conf_set(conf, "enable.auto.commit", "false", "default");
	ok &= conf_set(conf, "enable.auto.offset.store", "false", "default");
	ok &= conf_set(conf, "auto.offset.reset", "earliest", "default");
	ok &= conf_set(conf, "enable.partition.eof", "false", "default");
	/*
	 * librdkafka fetches while an INSERT blocks this thread, until its
	 * queue holds this much: twice its 64 MB default caught up a backlog of
	 * 4 kB records about 1.5x as fast (test/bench/clickhouse.sh), for about
	 * 100 MB more RSS while behind; streaming never fills it
	 */
	ok &= conf_set(conf, "queued.max.messages.kbytes", "131072", "default");
	/* topics the source creates later are found within seconds */
	ok &= conf_set(conf, "topic.metadata.refresh.interval.ms", "10000", "default");
	ok &= conf_set(conf, "allow.auto.create.topics", "false", "default");

	for (i = 0; i < cfg->nprops; i++)
	{
		const SinkProp *p = &cfg->props[i];
		const char *name = p->name + strlen(SINK_KAFKA_PREFIX);

		if (strncmp(p->name, SINK_KAFKA_PREFIX, strlen(SINK_KAFKA_PREFIX)) != 0 ||
			is_producer_only(name))
			continue;
		if (strcmp(name, "enable.auto.commit") == 0 ||
			strcmp(name, "enable.auto.offset.store") == 0)
		{
			sink_log_warning("%s: %s%s is ignored by the ClickHouse stage: it commits offsets itself, after ClickHouse accepted the rows",
							 p->origin, SINK_KAFKA_PREFIX, name);
			continue;
		}
		if (!conf_set(conf, name, p->value, p->origin))
			ok = false;
	}
	if (!ok)
	{
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

/* Check the stage's properties. */
bool
sink_ch_config_check(const SinkConfig *cfg)
{
	bool		ok = true;
	const char *topics = sink_config_get(cfg, "clickhouse.topics");
	const char *regex = sink_config_get(cfg, "clickhouse.topics.regex");
	const char *url = sink_config_get(cfg, "clickhouse.url");
	const char *formats[2];
	int			i;
	rd_kafka_conf_t *conf;

	if (url && strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
	{
		sink_log_error("%s: invalid value for property \"clickhouse.url\": expected http://host:port or https://host:port",
					   sink_config_find(cfg, "clickhouse.url")->origin);
		ok = false;
	}
	if (topics && topics[0] && regex && regex[0])
	{
		sink_log_error("%s: properties \"clickhouse.topics\" and \"clickhouse.topics.regex\" are both set; set one",
					   sink_config_find(cfg, "clickhouse.topics.regex")->origin);
		ok = false;
	}
	if (!(topics && topics[0]) && !(regex && regex[0]) &&
		!(cfg->topic_prefix && cfg->topic_prefix[0]))
	{
		sink_log_error("%s: set \"clickhouse.topics\" or \"clickhouse.topics.regex\" (or \"topic.prefix\", to consume every topic it names)",
					   cfg->path ? cfg->path : "configuration");
		ok = false;
	}
	formats[0] = prop(cfg, "clickhouse.database", DEFAULT_DATABASE);
	formats[1] = prop(cfg, "clickhouse.table.name.format", DEFAULT_TABLE_FORMAT);
	for (i = 0; i < 2; i++)
	{
		ChBuf		out;

		ch_buf_init(&out);
		if (!ch_expand_name(formats[i], "t", "d", "s", "t", &out))
		{
			sink_log_error("property \"%s\": %s",
						   i == 0 ? "clickhouse.database" : "clickhouse.table.name.format",
						   ch_buf_cstr(&out));
			ok = false;
		}
		ch_buf_free(&out);
	}
	conf = consumer_conf_new(cfg);
	if (conf == NULL)
		ok = false;
	else
		rd_kafka_conf_destroy(conf);
	return ok;
}

/* The HTTP options from the properties; strings point into cfg. */
static void
http_options(const SinkConfig *cfg, ChHttpOptions *o)
{
	const char *verify = prop(cfg, "clickhouse.ssl.verify", "true");

	memset(o, 0, sizeof(*o));
	o->url = sink_config_get(cfg, "clickhouse.url");
	o->user = prop(cfg, "clickhouse.user", NULL);
	o->password = prop(cfg, "clickhouse.password", NULL);
	o->ca_location = prop(cfg, "clickhouse.ssl.ca.location", NULL);
	o->cert_location = prop(cfg, "clickhouse.ssl.certificate.location", NULL);
	o->key_location = prop(cfg, "clickhouse.ssl.key.location", NULL);
	o->key_password = prop(cfg, "clickhouse.ssl.key.password", NULL);
	o->verify = strcasecmp(verify, "false") != 0;
	o->gzip = strcasecmp(prop(cfg, "clickhouse.compression", "gzip"), "gzip") == 0;
	o->timeout_ms = prop_long(cfg, "clickhouse.timeout.ms", DEFAULT_TIMEOUT_MS);
}

/* Prepare the stage. */
SinkCh *
sink_ch_new(const SinkConfig *cfg, SinkMetrics *metrics)
{
	SinkCh	   *ch = calloc(1, sizeof(*ch));
	const char *regex;

	if (ch == NULL)
	{
		sink_log_error("out of memory");
		return NULL;
	}
	ch->cfg = cfg;
	ch->metrics = metrics;
	ch_metrics_init(&ch->chm);
	atomic_init(&ch->stop, 0);

	ch->group_id = prop(cfg, "clickhouse.group.id", DEFAULT_GROUP_ID);
	ch->topics = prop(cfg, "clickhouse.topics", NULL);
	regex = prop(cfg, "clickhouse.topics.regex", NULL);
	if (regex)
	{
		/* librdkafka takes a topic starting with '^' as a pattern */
		if (asprintf(&ch->topics_regex, "%s%s", regex[0] == '^' ? "" : "^", regex) < 0)
			ch->topics_regex = NULL;
	}
	else if (ch->topics == NULL)
	{
		/* every topic of topic.prefix: change events, and others skipped */
		ChBuf		re;
		const char *p;

		ch_buf_init(&re);
		ch_buf_putc(&re, '^');
		for (p = cfg->topic_prefix; *p; p++)
		{
			if (strchr(".^$*+?()[]{}|\\", *p))
				ch_buf_putc(&re, '\\');
			ch_buf_putc(&re, *p);
		}
		ch_buf_puts(&re, "\\..+");
		ch->topics_regex = re.oom ? NULL : strdup(ch_buf_cstr(&re));
		ch_buf_free(&re);
	}
	ch->batch_rows = prop_long(cfg, "clickhouse.batch.rows", DEFAULT_BATCH_ROWS);
	ch->batch_bytes = prop_long(cfg, "clickhouse.batch.bytes", DEFAULT_BATCH_BYTES);
	ch->batch_ms = prop_long(cfg, "clickhouse.batch.ms", DEFAULT_BATCH_MS);
	http_options(cfg, &ch->http_opts);
	ch->table_opts.database_format = prop(cfg, "clickhouse.database", DEFAULT_DATABASE);
	ch->table_opts.table_format = prop(cfg, "clickhouse.table.name.format",
									   DEFAULT_TABLE_FORMAT);
	ch->table_opts.cluster = prop(cfg, "clickhouse.cluster", NULL);
	ch->table_opts.fallback =
		strcasecmp(prop(cfg, "clickhouse.datetime.fallback", "datetime"), "string") == 0 ?
		CH_DT_FALLBACK_STRING : CH_DT_FALLBACK_DATETIME;
	ch->table_opts.placeholder = prop(cfg, "unavailable.value.placeholder",
									  DEFAULT_PLACEHOLDER);
	if (ch->topics == NULL && ch->topics_regex == NULL)
	{
		sink_log_error("out of memory");
		sink_ch_destroy(ch);
		return NULL;
	}

	/* libcurl's global state, once, before any thread uses it */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		sink_log_error("could not initialise libcurl");
		sink_ch_destroy(ch);
		return NULL;
	}
	ch->http = ch_http_new(&ch->http_opts);
	if (ch->http == NULL)
	{
		sink_ch_destroy(ch);
		return NULL;
	}
	sink_metrics_set_extra(metrics, ch_metrics_render, &ch->chm);
	return ch;
}

/* Free the stage. */
void
sink_ch_destroy(SinkCh *ch)
{
	int			i;

	if (ch == NULL)
		return;
	if (ch->metrics)
		sink_metrics_set_extra(ch->metrics, NULL, NULL);
	if (ch->rk)
		rd_kafka_destroy(ch->rk);
	ch_tables_free(ch->tables);
	ch_http_free(ch->http);
	for (i = 0; i < ch->nparts; i++)
		free(ch->parts[i].topic);
	free(ch->parts);
	for (i = 0; i < ch->ncommitted; i++)
		free(ch->committed[i].topic);
	free(ch->committed);
	free(ch->topics_regex);
	ch_metrics_destroy(&ch->chm);
	free(ch);
}

/* Ask the server for its version into buf. */
static bool
server_version(SinkChHttp *http, char *buf, size_t buflen, ChHttpResult *res)
{
	ChBuf		resp;
	bool		ok;

	ch_buf_init(&resp);
	ok = ch_http_query(http, "SELECT version()", NULL, NULL, 0, &resp, res);
	if (ok)
	{
		size_t		n = resp.len;

		while (n > 0 && (resp.data[n - 1] == '\n' || resp.data[n - 1] == '\r'))
			n--;
		if (n >= buflen)
			n = buflen - 1;
		memcpy(buf, resp.data ? resp.data : "", n);
		buf[n] = '\0';
	}
	ch_buf_free(&resp);
	return ok;
}

/* For "check". */
bool
sink_ch_probe(const SinkConfig *cfg, char *detail, size_t detaillen)
{
	ChHttpOptions o;
	SinkChHttp *http;
	ChHttpResult res;
	char		version[64];
	bool		ok;

	http_options(cfg, &o);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
	{
		snprintf(detail, detaillen, "could not initialise libcurl");
		return false;
	}
	http = ch_http_new(&o);
	if (http == NULL)
	{
		snprintf(detail, detaillen, "out of memory");
		return false;
	}
	ok = server_version(http, version, sizeof(version), &res);
	if (ok)
		snprintf(detail, detaillen, "server %s at %s", version,
				 ch_http_display_url(http));
	else
		snprintf(detail, detaillen, "%s: %s", ch_http_display_url(http),
				 res.message);
	ch_http_free(http);
	curl_global_cleanup();
	return ok;
}

/* The batch entry of a partition, created if needed. */
static ChPartition *
get_part(SinkCh *ch, const char *topic, int32_t partition)
{
	int			i;

	for (i = ch->nparts; i-- > 0;)
		if (ch->parts[i].partition == partition && strcmp(ch->parts[i].topic, topic) == 0)
			return &ch->parts[i];
	if (ch->nparts == ch->maxparts)
	{
		int			newmax = ch->maxparts ? ch->maxparts * 2 : 16;
		ChPartition *p = realloc(ch->parts, newmax * sizeof(*p));

		if (p == NULL)
			return NULL;
		ch->parts = p;
		ch->maxparts = newmax;
	}
	ch->parts[ch->nparts].topic = strdup(topic);
	if (ch->parts[ch->nparts].topic == NULL)
		return NULL;
	ch->parts[ch->nparts].partition = partition;
	ch->parts[ch->nparts].first = -1;
	ch->parts[ch->nparts].next = -1;
	return &ch->parts[ch->nparts++];
}

/* Forget the batch's partitions. */
static void
clear_parts(SinkCh *ch)
{
	int			i;

	for (i = 0; i < ch->nparts; i++)
		free(ch->parts[i].topic);
	ch->nparts = 0;
}

/* Remember a committed offset, for the lag gauges. */
static void
note_committed(SinkCh *ch, const char *topic, int32_t partition, int64_t offset)
{
	int			i;

	for (i = 0; i < ch->ncommitted; i++)
		if (ch->committed[i].partition == partition &&
			strcmp(ch->committed[i].topic, topic) == 0)
		{
			ch->committed[i].offset = offset;
			return;
		}
	if (ch->ncommitted == ch->maxcommitted)
	{
		int			newmax = ch->maxcommitted ? ch->maxcommitted * 2 : 16;
		ChCommitted *c = realloc(ch->committed, newmax * sizeof(*c));

		if (c == NULL)
			return;
		ch->committed = c;
		ch->maxcommitted = newmax;
	}
	ch->committed[ch->ncommitted].topic = strdup(topic);
	if (ch->committed[ch->ncommitted].topic == NULL)
		return;
	ch->committed[ch->ncommitted].partition = partition;
	ch->committed[ch->ncommitted].offset = offset;
	ch->ncommitted++;
}

/*
 * Commit the batch's offsets (synchronously).  A failed commit is not
 * fatal: the rows are in ClickHouse, and reading them again only repeats
 * versions ClickHouse collapses.
 */
static void
commit_offsets(SinkCh *ch)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err;
	int			i;

	if (ch->nparts == 0)
		return;
	list = rd_kafka_topic_partition_list_new(ch->nparts);
	for (i = 0; i < ch->nparts; i++)
		rd_kafka_topic_partition_list_add(list, ch->parts[i].topic,
										  ch->parts[i].partition)->offset = ch->parts[i].next;
	err = rd_kafka_commit(ch->rk, list, 0);
	if (err)
		sink_log_warning("clickhouse stage: could not commit offsets: %s; the records since the last commit will be read again (ClickHouse collapses the repeats)",
						 rd_kafka_err2str(err));
	else
	{
		for (i = 0; i < list->cnt; i++)
		{
			if (list->elems[i].err)
				sink_log_warning("clickhouse stage: could not commit the offset of %s [%d]: %s",
								 list->elems[i].topic, (int) list->elems[i].partition,
								 rd_kafka_err2str(list->elems[i].err));
			else
				note_committed(ch, list->elems[i].topic, list->elems[i].partition,
							   list->elems[i].offset);
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
}

/*
 * Partitions the flush wrote only up to an offset (ch_table.c holds a key
 * change until its old key's row is in ClickHouse): commit up to there,
 * and read them again from there.
 */
static void
hold_back(SinkCh *ch)
{
	const ChHold *holds;
	size_t		n = ch_tables_holds(ch->tables, &holds);
	rd_kafka_topic_partition_list_t *seek;
	rd_kafka_error_t *error;
	size_t		i;

	if (n == 0)
		return;
	seek = rd_kafka_topic_partition_list_new((int) n);
	for (i = 0; i < n; i++)
	{
		ChPartition *part = get_part(ch, holds[i].topic, holds[i].partition);

		if (part && (part->next < 0 || part->next > holds[i].offset))
			part->next = holds[i].offset;
		if (part && part->first < 0)
			part->first = holds[i].offset;
		rd_kafka_topic_partition_list_add(seek, holds[i].topic,
										  holds[i].partition)->offset = holds[i].offset;
	}
	if ((error = rd_kafka_seek_partitions(ch->rk, seek, 5000)) != NULL)
	{
		sink_log_warning("clickhouse stage: could not rewind a held partition: %s",
						 rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(seek);
	ch_tables_clear_holds(ch->tables);
}

/* Write the batch, then commit; one attempt.  Counts the latency. */
static ChResult
flush_once(SinkCh *ch)
{
	ChResult	r;

	if (ch->nparts == 0 && ch_tables_pending_rows(ch->tables) == 0)
		return CH_OK;
	r = ch_tables_flush(ch->tables);
	if (r != CH_OK)
		return r;
	hold_back(ch);
	commit_offsets(ch);
	ch_metrics_batch(&ch->chm, (double) (sink_mono_ms() - ch->batch_start_ms) / 1000.0);
	ch_metrics_count(&ch->chm, ch->consumed, ch->skipped, 0, 0, 0);
	ch->consumed = 0;
	ch->skipped = 0;
	clear_parts(ch);
	return CH_OK;
}

/*
 * Rewind the partitions this consumer still owns to the first record of
 * the dropped batch, so that nothing taken into it is skipped.
 */
static void
rewind_parts(SinkCh *ch)
{
	rd_kafka_topic_partition_list_t *owned = NULL;
	rd_kafka_topic_partition_list_t *seek;
	rd_kafka_error_t *error;
	int			i;

	if (ch->nparts == 0 || rd_kafka_assignment(ch->rk, &owned) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	seek = rd_kafka_topic_partition_list_new(ch->nparts);
	for (i = 0; i < ch->nparts; i++)
		if (ch->parts[i].first >= 0 &&
			rd_kafka_topic_partition_list_find(owned, ch->parts[i].topic,
											   ch->parts[i].partition))
			rd_kafka_topic_partition_list_add(seek, ch->parts[i].topic,
											  ch->parts[i].partition)->offset = ch->parts[i].first;
	if (seek->cnt > 0 && (error = rd_kafka_seek_partitions(ch->rk, seek, 5000)) != NULL)
	{
		sink_log_warning("clickhouse stage: could not rewind: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	rd_kafka_topic_partition_list_destroy(seek);
	rd_kafka_topic_partition_list_destroy(owned);
}

/* Drop the batch uncommitted. */
static void
drop_batch(SinkCh *ch)
{
	size_t		rows = ch_tables_pending_rows(ch->tables);

	if (rows > 0 || ch->nparts > 0)
		sink_log_warning("clickhouse stage: dropping %zu row(s) ClickHouse has not accepted; their offsets are not committed, so they will be read again",
						 rows);
	ch_tables_discard(ch->tables);
	rewind_parts(ch);
	clear_parts(ch);
	ch->consumed = 0;
	ch->skipped = 0;
}

/* The group's rebalance callback: runs inside consumer_poll, on our thread. */
static void
rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *partitions, void *opaque)
{
	SinkCh	   *ch = opaque;
	bool		cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS)
	{
		sink_log_info("clickhouse stage: assigned %d partition(s) in group \"%s\"",
					  partitions->cnt, ch->group_id);
		if (cooperative)
			error = rd_kafka_incremental_assign(rk, partitions);
		else
			aerr = rd_kafka_assign(rk, partitions);
	}
	else
	{
		/* write what we hold while the partitions are still ours */
		if (ch->tables && (ch->nparts > 0 || ch_tables_pending_rows(ch->tables) > 0) &&
			(ch->failed || flush_once(ch) != CH_OK))
			drop_batch(ch);
		ch->rebalances++;
		/* another member may commit them now: ask the group again */
		while (ch->ncommitted > 0)
			free(ch->committed[--ch->ncommitted].topic);
		sink_log_info("clickhouse stage: %d partition(s) revoked", partitions->cnt);
		if (cooperative)
			error = rd_kafka_incremental_unassign(rk, partitions);
		else
			aerr = rd_kafka_assign(rk, NULL);
	}
	if (error)
	{
		sink_log_warning("clickhouse stage: rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
	}
	else if (aerr)
		sink_log_warning("clickhouse stage: rebalance: %s", rd_kafka_err2str(aerr));
}

/* The consumer's error callback: fatal errors stop the stage. */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	SinkCh	   *ch = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL)
	{
		char		errstr[512];

		rd_kafka_fatal_error(rk, errstr, sizeof(errstr));
		sink_log_error("clickhouse stage: fatal consumer error: %s", errstr);
		ch->exit_code = 1;
		atomic_store(&ch->stop, 1);
	}
	else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		sink_log_warning("clickhouse stage: %s", reason);
	else
		sink_log_debug("clickhouse stage: %s: %s", rd_kafka_err2str(err), reason);
}

/* Create the consumer and subscribe. */
static bool
consumer_start(SinkCh *ch)
{
	rd_kafka_conf_t *conf = consumer_conf_new(ch->cfg);
	rd_kafka_topic_partition_list_t *subs;
	rd_kafka_resp_err_t err;
	char		errstr[512];

	if (conf == NULL)
		return false;
	rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, ch);
	ch->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (ch->rk == NULL)
	{
		sink_log_error("could not create the ClickHouse stage's consumer: %s", errstr);
		rd_kafka_conf_destroy(conf);
		return false;
	}
	/* conf belongs to rk now */
	rd_kafka_poll_set_consumer(ch->rk);

	subs = rd_kafka_topic_partition_list_new(4);
	if (ch->topics_regex)
		rd_kafka_topic_partition_list_add(subs, ch->topics_regex, RD_KAFKA_PARTITION_UA);
	else
	{
		char	   *copy = strdup(ch->topics);
		char	   *save = NULL;
		char	   *tok;

		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
			 tok = strtok_r(NULL, ",", &save))
		{
			while (*tok == ' ')
				tok++;
			if (*tok)
				rd_kafka_topic_partition_list_add(subs, tok, RD_KAFKA_PARTITION_UA);
		}
		free(copy);
	}
	err = rd_kafka_subscribe(ch->rk, subs);
	rd_kafka_topic_partition_list_destroy(subs);
	if (err)
	{
		sink_log_error("clickhouse stage: could not subscribe: %s", rd_kafka_err2str(err));
		return false;
	}
	sink_log_info("clickhouse stage: consuming %s %s in group \"%s\" into %s",
				  ch->topics_regex ? "topics matching" : "topics",
				  ch->topics_regex ? ch->topics_regex : ch->topics, ch->group_id,
				  ch_http_display_url(ch->http));
	return true;
}

static void update_lags(SinkCh *ch, bool ask_broker);

/* Pause or resume everything assigned. */
static void
pause_all(SinkCh *ch, bool pause)
{
	rd_kafka_topic_partition_list_t *owned = NULL;

	if (rd_kafka_assignment(ch->rk, &owned) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (pause)
		rd_kafka_pause_partitions(ch->rk, owned);
	else
		rd_kafka_resume_partitions(ch->rk, owned);
	rd_kafka_topic_partition_list_destroy(owned);
}

/*
 * Wait before retrying, serving the group with the partitions paused.  A
 * record that still arrives is put back (seek).  Returns false if a stop
 * was requested (during the final flush: a second signal) or the
 * partitions were revoked meanwhile.
 */
static bool
wait_retry(SinkCh *ch, int attempt, bool final)
{
	int64_t		delay = RETRY_MIN_MS;
	int64_t		until;
	unsigned	rebalances = ch->rebalances;
	bool		ok = true;

	while (attempt-- > 0 && delay < RETRY_MAX_MS)
		delay *= 2;
	if (delay > RETRY_MAX_MS)
		delay = RETRY_MAX_MS;
	sink_log_info("clickhouse stage: trying again in %d s", (int) (delay / 1000));
	if (ch->alone)
		sink_metrics_set_streaming(ch->metrics, false);
	pause_all(ch, true);
	until = sink_mono_ms() + delay;
	while (sink_mono_ms() < until)
	{
		rd_kafka_message_t *msg;

		if (final ? aborting(ch) : stopping(ch))
		{
			ok = false;
			break;
		}
		msg = rd_kafka_consumer_poll(ch->rk, POLL_TICK_MS);
		if (msg)
		{
			if (!msg->err)
			{
				rd_kafka_topic_partition_list_t *back = rd_kafka_topic_partition_list_new(1);
				rd_kafka_error_t *error;

				rd_kafka_topic_partition_list_add(back, rd_kafka_topic_name(msg->rkt),
												  msg->partition)->offset = msg->offset;
				error = rd_kafka_seek_partitions(ch->rk, back, 5000);
				if (error)
					rd_kafka_error_destroy(error);
				rd_kafka_topic_partition_list_destroy(back);
			}
			rd_kafka_message_destroy(msg);
		}
		if (ch->rebalances != rebalances)
		{
			ok = false;
			break;
		}
		/* the lag grows while we wait: show it */
		if (sink_mono_ms() - ch->last_lag_ms >= LAG_INTERVAL_MS)
		{
			update_lags(ch, true);
			ch->last_lag_ms = sink_mono_ms();
		}
	}
	pause_all(ch, false);
	if (ch->alone && ok)
		sink_metrics_set_streaming(ch->metrics, true);
	return ok;
}

/* Take one record, retrying while ClickHouse is unavailable. */
static ChResult
take_record(SinkCh *ch, rd_kafka_message_t *msg)
{
	ChRecord	rec;
	ChResult	r;
	ChPartition *part;
	int			attempt = 0;
	unsigned	rebalances = ch->rebalances;

	rec.topic = rd_kafka_topic_name(msg->rkt);
	rec.partition = msg->partition;
	rec.offset = msg->offset;
	rec.key = msg->key;
	rec.keylen = msg->key_len;
	rec.value = msg->payload;
	rec.valuelen = msg->len;
	rec.oldkey = NULL;
	rec.oldkeylen = 0;
	rec.newkey = NULL;
	rec.newkeylen = 0;
	{
		/* a key change's insert names the old key (Debezium's header) */
		rd_kafka_headers_t *hdrs = NULL;
		const void *hv;
		size_t		hs;

		if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			rd_kafka_header_get_last(hdrs, "__debezium.oldkey", &hv, &hs) ==
			RD_KAFKA_RESP_ERR_NO_ERROR && hv != NULL)
		{
			rec.oldkey = hv;
			rec.oldkeylen = hs;
		}
		/* and its old key's delete the new key */
		if (rec.value != NULL && hdrs != NULL &&
			rd_kafka_header_get_last(hdrs, "__debezium.newkey", &hv, &hs) ==
			RD_KAFKA_RESP_ERR_NO_ERROR && hv != NULL)
		{
			rec.newkey = hv;
			rec.newkeylen = hs;
		}
	}

	for (;;)
	{
		r = ch_tables_add(ch->tables, &rec);
		if (r != CH_RETRY)
			break;
		if (!wait_retry(ch, attempt++, false) || ch->rebalances != rebalances)
			return CH_OK;		/* stopping or revoked: the record is read again */
	}
	if (r == CH_FATAL)
	{
		sink_log_error("clickhouse stage: stopped at topic \"%s\" partition %d offset %" PRId64 "; nothing from there on is committed",
					   rec.topic, (int) rec.partition, rec.offset);
		return r;
	}

	part = get_part(ch, rec.topic, rec.partition);
	if (part == NULL)
	{
		sink_log_error("out of memory");
		return CH_FATAL;
	}
	if (ch->nparts == 1 && part->first < 0)
		ch->batch_start_ms = sink_mono_ms();
	if (part->first < 0)
		part->first = rec.offset;
	part->next = rec.offset + 1;
	ch->consumed++;
	if (r == CH_SKIPPED)
		ch->skipped++;
	return CH_OK;
}

/* Write the batch and commit, retrying while ClickHouse is unavailable. */
static ChResult
flush_retrying(SinkCh *ch, bool final)
{
	int			attempt = 0;
	int64_t		deadline = sink_mono_ms() + FINAL_FLUSH_MS;
	unsigned	rebalances = ch->rebalances;

	for (;;)
	{
		ChResult	r = flush_once(ch);

		if (r != CH_RETRY)
			return r;
		if (final && (sink_mono_ms() >= deadline || aborting(ch)))
		{
			sink_log_warning("clickhouse stage: giving up the final write; %zu row(s) stay uncommitted and will be read again",
							 ch_tables_pending_rows(ch->tables));
			return CH_RETRY;
		}
		if (ch->rebalances != rebalances)
			return CH_OK;		/* revoked: the batch was dropped */
		if (!wait_retry(ch, attempt++, final))
		{
			if (ch->rebalances != rebalances)
				return CH_OK;	/* revoked: the batch was dropped */
			if (!final)
				return CH_OK;	/* stop requested: the final flush follows */
			sink_log_warning("clickhouse stage: giving up the final write; %zu row(s) stay uncommitted and will be read again",
							 ch_tables_pending_rows(ch->tables));
			return CH_RETRY;
		}
		if (ch->rebalances != rebalances)
			return CH_OK;
	}
}

/*
 * Remember the group's committed offsets of the partitions this process
 * has not committed yet (just assigned): a partition with nothing new to
 * read has no position, and its lag is the records after that offset.
 */
static void
note_group_committed(SinkCh *ch, const rd_kafka_topic_partition_list_t *owned)
{
	rd_kafka_topic_partition_list_t *ask = rd_kafka_topic_partition_list_new(owned->cnt + 1);
	int			i;
	int			j;

	for (i = 0; i < owned->cnt; i++)
	{
		for (j = 0; j < ch->ncommitted; j++)
			if (ch->committed[j].partition == owned->elems[i].partition &&
				strcmp(ch->committed[j].topic, owned->elems[i].topic) == 0)
				break;
		if (j == ch->ncommitted)
			rd_kafka_topic_partition_list_add(ask, owned->elems[i].topic,
											  owned->elems[i].partition);
	}
	if (ask->cnt > 0 &&
		rd_kafka_committed(ch->rk, ask, 1000) == RD_KAFKA_RESP_ERR_NO_ERROR)
		for (i = 0; i < ask->cnt; i++)
			if (!ask->elems[i].err && ask->elems[i].offset >= 0)
				note_committed(ch, ask->elems[i].topic, ask->elems[i].partition,
							   ask->elems[i].offset);
	rd_kafka_topic_partition_list_destroy(ask);
}

/*
 * Refresh the lag gauges.  The high watermarks come from the fetches;
 * with \p ask_broker (partitions paused, so nothing is fetched) from the
 * broker itself.
 */
static void
update_lags(SinkCh *ch, bool ask_broker)
{
	rd_kafka_topic_partition_list_t *owned = NULL;
	ChMetricsLag *lags;
	int			n = 0;
	int			i;

	if (rd_kafka_assignment(ch->rk, &owned) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	note_group_committed(ch, owned);
	rd_kafka_position(ch->rk, owned);
	lags = calloc((size_t) owned->cnt + 1, sizeof(*lags));
	if (lags == NULL)
	{
		rd_kafka_topic_partition_list_destroy(owned);
		return;
	}
	for (i = 0; i < owned->cnt; i++)
	{
		rd_kafka_topic_partition_t *tp = &owned->elems[i];
		int64_t		lo;
		int64_t		hi;
		int64_t		at = tp->offset;	/* position: next to read */
		int			j;

		if ((ask_broker ||
			 rd_kafka_get_watermark_offsets(ch->rk, tp->topic, tp->partition, &lo, &hi) ||
			 hi < 0) &&
			(rd_kafka_query_watermark_offsets(ch->rk, tp->topic, tp->partition,
											  &lo, &hi, 1000) || hi < 0))
			continue;
		for (j = 0; j < ch->ncommitted; j++)
			if (ch->committed[j].partition == tp->partition &&
				strcmp(ch->committed[j].topic, tp->topic) == 0)
				at = ch->committed[j].offset;
		if (at < 0)
			at = lo;
		lags[n].topic = tp->topic;
		lags[n].partition = tp->partition;
		lags[n].lag = hi > at ? hi - at : 0;
		n++;
	}
	ch_metrics_set_lags(&ch->chm, lags, n);
	free(lags);
	rd_kafka_topic_partition_list_destroy(owned);
}

/* Is the batch due? */
static bool
batch_due(SinkCh *ch, int64_t now)
{
	if (ch->nparts == 0)
		return false;
	return ch_tables_pending_rows(ch->tables) >= (size_t) ch->batch_rows ||
		ch_tables_pending_bytes(ch->tables) >= (size_t) ch->batch_bytes ||
		now - ch->batch_start_ms >= ch->batch_ms;
}

/* The stage's work, on whichever thread runs it. */
static int
stage_main(SinkCh *ch)
{
	char		version[64];
	ChHttpResult res;
	int			attempt = 0;
	int			rc = 0;

	/* the server's version decides the DDL */
	for (;;)
	{
		if (server_version(ch->http, version, sizeof(version), &res))
			break;
		if (ch_classify(&res) == CH_FATAL)
		{
			sink_log_error("clickhouse stage: %s: HTTP %ld: %s",
						   ch_http_display_url(ch->http), res.status, res.message);
			return 1;
		}
		sink_log_warning("clickhouse stage: %s does not answer: %s",
						 ch_http_display_url(ch->http), res.message);
		{
			int64_t		until = sink_mono_ms() + (attempt < 5 ? 1000 << attempt : RETRY_MAX_MS);

			attempt++;
			while (sink_mono_ms() < until && !stopping(ch))
			{
				struct timespec ts = {0, POLL_TICK_MS * 1000000L};

				nanosleep(&ts, NULL);
			}
		}
		if (stopping(ch))
			return ch->exit_code;
	}
	ch_server_init(&ch->srv, version);
	sink_log_info("clickhouse stage: server %s at %s%s", version,
				  ch_http_display_url(ch->http),
				  ch->srv.datetime64 ? "" : " (an old server: DDL without DateTime64, Bool, Date32)");
	ch->tables = ch_tables_new(ch->http, &ch->srv, &ch->table_opts, &ch->chm);
	if (ch->tables == NULL || !consumer_start(ch))
		return 1;
	ch_metrics_set_running(&ch->chm, true);
	if (ch->alone)
		sink_metrics_set_streaming(ch->metrics, true);

	while (!stopping(ch))
	{
		rd_kafka_message_t *msg;
		int64_t		now = sink_mono_ms();
		int			timeout = POLL_TICK_MS;

		if (ch->nparts > 0)
		{
			int64_t		left = ch->batch_start_ms + ch->batch_ms - now;

			if (left < timeout)
				timeout = left > 0 ? (int) left : 0;
		}
		msg = rd_kafka_consumer_poll(ch->rk, timeout);
		if (msg)
		{
			if (msg->err)
			{
				/* a subscribed topic the source has not created yet */
				if (msg->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
					msg->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC)
					sink_log_debug("clickhouse stage: %s", rd_kafka_message_errstr(msg));
				else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					sink_log_warning("clickhouse stage: %s%s%s",
									 msg->rkt ? rd_kafka_topic_name(msg->rkt) : "",
									 msg->rkt ? ": " : "",
									 rd_kafka_message_errstr(msg));
			}
			else if (take_record(ch, msg) == CH_FATAL)
			{
				rd_kafka_message_destroy(msg);
				rc = 1;
				break;
			}
			rd_kafka_message_destroy(msg);
		}
		now = sink_mono_ms();
		if (batch_due(ch, now) && flush_retrying(ch, false) == CH_FATAL)
		{
			rc = 1;
			break;
		}
		if (now - ch->last_lag_ms >= LAG_INTERVAL_MS)
		{
			update_lags(ch, false);
			ch->last_lag_ms = now;
		}
	}

	/* write what is held, unless we stop on an error */
	ch->failed = rc != 0 || ch->exit_code != 0;
	if (rc == 0 && ch->exit_code == 0 && flush_retrying(ch, true) == CH_OK)
		sink_log_info("clickhouse stage: stopped; everything read is in ClickHouse and committed");
	ch_metrics_set_running(&ch->chm, false);
	if (ch->alone)
		sink_metrics_set_streaming(ch->metrics, false);
	rd_kafka_consumer_close(ch->rk);
	rd_kafka_destroy(ch->rk);
	ch->rk = NULL;
	return rc ? rc : ch->exit_code;
}

/* SIGINT/SIGTERM when alone: the first stops, the second gives up waiting. */
static void
ch_sigexit_handler(int signum)
{
	(void) signum;
	if (ch_time_to_stop)
		ch_time_to_abort = 1;
	ch_time_to_stop = 1;
}

/* Run alone, on this thread. */
int
sink_ch_run(SinkCh *ch)
{
	struct sigaction sa;

	ch->alone = true;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ch_sigexit_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ch->exit_code = stage_main(ch);
	return ch->exit_code;
}

/* The thread's entry point. */
static void *
stage_thread(void *arg)
{
	SinkCh	   *ch = arg;

	/* its messages are the starting thread's owner's (worker: a connector) */
	sink_log_set_context(ch->log_context);
	sink_log_set_hook(ch->log_hook, ch->log_hook_arg);
	ch->exit_code = stage_main(ch);
	if (ch->exit_code != 0 && ch->on_failure && !atomic_load(&ch->stop))
	{
		sink_log_error("clickhouse stage stopped after an error");
		ch->on_failure(ch->on_failure_arg);
	}
	else if (ch->exit_code != 0)
		sink_log_error("clickhouse stage stopped after an error; the source stage goes on, and the process will exit with status 1");
	sink_log_set_hook(NULL, NULL);
	sink_log_set_context(NULL);
	return NULL;
}

/* Name the owner's failure callback. */
void
sink_ch_on_failure(SinkCh *ch, SinkChFailureFn fn, void *arg)
{
	ch->on_failure = fn;
	ch->on_failure_arg = arg;
}

/* Worker mode: the connector is what a user restarts. */
void
sink_ch_set_connector(SinkCh *ch, const char *name)
{
	ch->table_opts.connector = name;
}

/* Start the thread, with SIGINT and SIGTERM blocked in it. */
bool
sink_ch_start(SinkCh *ch)
{
	sigset_t	block;
	sigset_t	old;
	int			err;

	sink_log_get_thread(&ch->log_context, &ch->log_hook, &ch->log_hook_arg);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	err = pthread_create(&ch->thread, NULL, stage_thread, ch);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0)
	{
		sink_log_error("could not start the ClickHouse stage's thread: %s", strerror(err));
		return false;
	}
	ch->threaded = true;
	return true;
}

/* Stop the thread and wait for it. */
int
sink_ch_stop(SinkCh *ch)
{
	if (!ch->threaded)
		return ch->exit_code;
	atomic_store(&ch->stop, 1);
	pthread_join(ch->thread, NULL);
	ch->threaded = false;
	return ch->exit_code;
}
