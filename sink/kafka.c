/*-------------------------------------------------------------------------
 *
 * kafka.c
 *	  The Kafka producer of wal2dbz-sink (librdkafka).
 *
 * The producer is idempotent with acks=all, so a delivery report means
 * the record is durable and in order; delivery reports are the only thing
 * that moves the LSN confirmed to PostgreSQL (lsn.c).  Records are keyed
 * by the plugin and partitioned by librdkafka's "murmur2_random", which is
 * the Java client's murmur2 for non-null keys: a key lands on the same
 * partition as with Debezium.  Null keys (tables without a primary key or
 * replica identity) go to a random partition, as the Java client's sticky
 * partitioner spreads them; no order is promised for them by either.
 *
 * Ownership: librdkafka always copies the key.  A value that is only a
 * payload from the frame is copied too (RD_KAFKA_MSG_F_COPY); a value
 * completed with its schema prefix is assembled once into a malloc'd
 * buffer that passes to librdkafka (RD_KAFKA_MSG_F_FREE) when producev
 * succeeds, and is ours to free when it fails.  The header list likewise
 * passes over only on success.  The message opaque is the transaction
 * entry owned by lsn.c.
 *
 * Kafka's reachability, for /health/ready, comes from three places: the
 * error callback's "all brokers down", successful delivery reports, and a
 * small thread that asks for metadata every few seconds when nothing was
 * delivered since its last look (an idle stream proves nothing), so that
 * an outage shows within about 7 s.  That
 * thread is the only other thread that calls into librdkafka here; it is
 * joined before the producer is destroyed.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/kafka.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "clock.h"
#include "kafka.h"
#include "log.h"
#include "topic_creation.h"
#include "wal2dbz_frame.h"

/*
 * One attempt to create a topic, or to see its partitions ready, holds up
 * the stream at most this long; between attempts the caller serves status
 * updates and signals.  Attempts go on until kafka.message.timeout.ms has
 * passed (at least one attempt), as long as a record may wait in the queue.
 */
#define TOPIC_CREATE_TIMEOUT_MS		15000
#define TOPIC_CREATE_RETRY_MS		30000

/* librdkafka's default message.timeout.ms, if the property cannot be read */
#define DEFAULT_MESSAGE_TIMEOUT_MS	300000

/* between two attempts that found no answer */
#define TOPIC_ATTEMPT_INTERVAL_MS	1000

/* the reachability probe: how often, and how long one may take */
#define KAFKA_PROBE_INTERVAL_MS		2000
#define KAFKA_PROBE_TIMEOUT_MS		3000

/* delivery errors are logged one by one up to this many, then counted */
#define MAX_LOGGED_DELIVERY_ERRORS	5

/* key bytes shown when a delivery fails */
#define MAX_KEY_SHOWN				256

/*
 * One topic this process has produced to.  The rkt's opaque points back
 * here, so that delivery reports find the metrics index without a lookup.
 */
typedef struct SinkTopic
{
	struct SinkTopic *next;		/* hash chain */
	char	   *name;
	size_t		len;
	rd_kafka_topic_t *rkt;
	int			metrics_idx;
	bool		created;		/* exists, as far as we know */
	bool		ready;			/* created and every partition available */
	int64_t		retry_at_ms;	/* next CreateTopics attempt */
	int64_t		give_up_at_ms;	/* attempts to create it end; 0: none yet */
	int64_t		next_attempt_ms;	/* after an attempt without an answer */
	int64_t		warned_at_ms;	/* the last "trying again" warning */

	/* delivery reports of the current poll, published after it */
	uint64_t	delivered_records;
	uint64_t	delivered_bytes;
	struct SinkTopic *next_delivered;	/* list of topics with reports */
	bool		has_delivered;
} SinkTopic;

#define TOPIC_HASH_SIZE 256

struct SinkKafka
{
	rd_kafka_t *rk;
	SinkLsn    *lsn;			/* not owned */
	SinkMetrics *metrics;		/* not owned */
	SinkTopic  *topics[TOPIC_HASH_SIZE];
	SinkTopicCreation creation; /* topic.creation.*: how to create topics */
	bool		failed;			/* fatal error or failed delivery */
	bool		closing;		/* destroying: reports no longer matter */
	uint64_t	delivery_errors;
	char	   *keybuf;			/* scratch for assembled keys */
	size_t		keybuf_size;
	atomic_int *interrupt;	/* set by a signal: stop waiting */
	char	   *bootstrap;		/* kafka.bootstrap.servers, for messages */
	int			message_timeout_ms; /* how long a record may wait */
	SinkTopic  *delivered_topics;	/* topics with reports in this poll */

	/* reachability (SinkKafkaState), set from both threads */
	atomic_int	state;			/* read without the lock for a quick look */
	pthread_mutex_t state_mutex;	/* orders changes of state and metrics */
	atomic_uint_fast64_t delivered_total;	/* successful reports so far */
	pthread_t	probe_thread;
	bool		probe_started;
	pthread_mutex_t probe_mutex;	/* protects probe_stop */
	pthread_cond_t probe_cond;
	bool		probe_stop;

	/*
	 * The headers Debezium's DebeziumHeaderProducer adds to every change
	 * event after the record's own: the logical name (topic.prefix), the
	 * task id ("0": one task), the connector name and a run id, a UUID v7
	 * made when the task starts (here: when the process starts).
	 */
	bool		context_headers;
	char	   *logical_name;
	char		run_id[37];

	/*
	 * Those four headers, built once: each record gets a copy of this list
	 * (librdkafka owns one list per message), which spares the length
	 * and size computations of adding them one by one.
	 */
	rd_kafka_headers_t *context_hdrs;
};

/* the __debezium.context.* header names and the fixed values */
#define HDR_LOGICAL_NAME	"__debezium.context.connectorLogicalName"
#define HDR_TASK_ID			"__debezium.context.taskId"
#define HDR_CONNECTOR_NAME	"__debezium.context.connectorName"
#define HDR_RUN_ID			"__debezium.context.runId"
#define TASK_ID				"0"
#define CONNECTOR_NAME		"postgresql"

/* outcome of creating a topic */
typedef enum TopicResult
{
	TOPIC_OK,					/* exists, or produce to it anyway */
	TOPIC_WAITING,				/* not yet: try again after a poll */
	TOPIC_FAILED,				/* fatal, logged */
	TOPIC_INTERRUPTED			/* a stop was requested while waiting */
} TopicResult;

/* Has a stop been requested? */
static bool
interrupted(SinkKafka *sk)
{
	return sk->interrupt != NULL && *sk->interrupt;
}

/*
 * Record whether Kafka answers, for /health/ready; says so in the log when
 * it comes back.  Called from the main thread and the probe thread.
 */
static void
set_state(SinkKafka *sk, SinkKafkaState state)
{
	int			old;

	pthread_mutex_lock(&sk->state_mutex);
	old = atomic_exchange(&sk->state, (int) state);
	if (old != (int) state)
		sink_metrics_set_kafka(sk->metrics, state);
	pthread_mutex_unlock(&sk->state_mutex);
	if (state == SINK_KAFKA_UP && old == SINK_KAFKA_DOWN)
		sink_log_info("Kafka at %s answers again", sk->bootstrap);
}

/*
 * Publish the delivery reports of the last poll: one metrics update per
 * topic instead of one per record, and proof that Kafka answers.
 */
static void
publish_delivered(SinkKafka *sk)
{
	uint64_t	total = 0;

	while (sk->delivered_topics)
	{
		SinkTopic  *topic = sk->delivered_topics;

		sink_metrics_delivered(sk->metrics, topic->metrics_idx,
							   topic->delivered_records,
							   topic->delivered_bytes);
		total += topic->delivered_records;
		topic->delivered_records = 0;
		topic->delivered_bytes = 0;
		topic->has_delivered = false;
		sk->delivered_topics = topic->next_delivered;
		topic->next_delivered = NULL;
	}
	if (total > 0)
	{
		atomic_fetch_add(&sk->delivered_total, total);
		if (atomic_load(&sk->state) != SINK_KAFKA_UP)
			set_state(sk, SINK_KAFKA_UP);
	}
}

/* Serve delivery reports and events, then publish what was delivered. */
static void
poll_reports(SinkKafka *sk, int timeout_ms)
{
	rd_kafka_poll(sk->rk, timeout_ms);
	publish_delivered(sk);
}

/* Set one property, naming it and its origin on failure. */
static bool
conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		 const char *origin)
{
	char		errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) !=
		RD_KAFKA_CONF_OK)
	{
		sink_log_error("%s: property \"%s%s\": %s", origin,
					   SINK_KAFKA_PREFIX, name, errstr);
		return false;
	}
	return true;
}

/* Build the producer configuration; see kafka.h. */
rd_kafka_conf_t *
sink_kafka_conf_new(const SinkConfig *cfg)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool		ok = true;
	int			i;
	const char *v;

	/*
	 * Defaults first, so that kafka.* can override them.  The queue limit is
	 * far below librdkafka's 1 GB: the stream waits for Kafka anyway, and a
	 * small queue keeps the resident size small.  8 MB holds several full
	 * batches per partition; test/bench/sink.sh measured 16 MB at up to
	 * 71 MB resident with zstd, 8 MB at up to 44 MB, with no clear change in
	 * throughput on the 2-CPU machine (4 MB: smaller requests, more broker
	 * CPU).  batch.size and batch.num.messages keep librdkafka's defaults:
	 * a backlog fills batches to the broker's 1 MB limit anyway.
	 *
	 * linger.ms 20 rather than 5: records arrive in bursts (a frame message
	 * holds a hundred or so), and with 5 ms the broker thread often sends
	 * before a batch is full, so more requests, wake-ups and delivery
	 * reports for the same records: test/bench/sink.sh's workload cost the
	 * sink about 17% more CPU (1.45 against 1.20 s, four runs each).  A
	 * lone change waits at most 15 ms more for its batch.
	 *
	 * lz4 rather than librdkafka's (and the Java client's) none: change
	 * events are JSON that lz4 shrinks six- to eightfold, and sending and
	 * storing them uncompressed costs more than compressing them.  For
	 * test/bench/sink.sh without schemas (188 MB of records): sink 1.32
	 * and broker 1.34 CPU seconds without compression, 0.79 and 0.36 with
	 * lz4; with schemas 1,124 MB on the broker's disk against 60 MB.
	 */
	ok &= conf_set(conf, "enable.idempotence", "true", "default");
	ok &= conf_set(conf, "acks", "all", "default");
	ok &= conf_set(conf, "partitioner", "murmur2_random", "default");
	ok &= conf_set(conf, "queue.buffering.max.kbytes", "8192", "default");
	ok &= conf_set(conf, "compression.type", "lz4", "default");
	ok &= conf_set(conf, "linger.ms", "20", "default");
	ok &= conf_set(conf, "client.id", cfg->name ? cfg->name : "wal2dbz-sink",
				   "default");

	for (i = 0; i < cfg->nprops; i++)
	{
		const SinkProp *prop = &cfg->props[i];

		if (strncmp(prop->name, SINK_KAFKA_PREFIX,
					strlen(SINK_KAFKA_PREFIX)) != 0)
			continue;
		if (!conf_set(conf, prop->name + strlen(SINK_KAFKA_PREFIX),
					  prop->value, prop->origin))
			ok = false;
	}
	if (!ok)
	{
		rd_kafka_conf_destroy(conf);
		return NULL;
	}

	/* weaker settings are allowed, but the promise no longer holds */
	v = sink_config_get(cfg, SINK_KAFKA_PREFIX "acks");
	if (v && strcmp(v, "all") != 0 && strcmp(v, "-1") != 0)
		sink_log_warning("kafka.acks=%s: a record acknowledged by the leader alone can be lost, and its WAL is released all the same",
						 v);
	v = sink_config_get(cfg, SINK_KAFKA_PREFIX "enable.idempotence");
	if (v && strcasecmp(v, "true") != 0)
		sink_log_warning("kafka.enable.idempotence=%s: retries may reorder or duplicate records",
						 v);
	return conf;
}

/*
 * The part of a key worth showing in a message: with key schemas enabled
 * the payload comes last, after a long schema, so show it from
 * "payload": on; otherwise the first MAX_KEY_SHOWN bytes.
 */
static void
key_for_log(const char *key, size_t len, const char **shown, int *shown_len,
			bool *cut)
{
	static const char marker[] = "\"payload\":";
	const char *p = key ? memmem(key, len, marker, sizeof(marker) - 1) : NULL;

	if (key == NULL)
	{
		*shown = "null";
		*shown_len = 4;
		*cut = false;
		return;
	}
	if (p)
	{
		len -= (size_t) (p - key);
		key = p;
	}
	*shown = key;
	*cut = len > MAX_KEY_SHOWN;
	*shown_len = (int) (*cut ? MAX_KEY_SHOWN : len);
}

/*
 * Delivery report: called exactly once per message, from rd_kafka_poll()
 * or rd_kafka_flush() on the main thread.
 */
static void
dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkmessage, void *opaque)
{
	SinkKafka  *sk = opaque;
	SinkLsnTxn *txn = rkmessage->_private;
	SinkTopic  *topic = rd_kafka_topic_opaque(rkmessage->rkt);

	(void) rk;
	if (sk->closing)
		return;
	if (rkmessage->err)
	{
		sk->failed = true;
		sk->delivery_errors++;
		sink_metrics_error(sk->metrics);
		if (sk->delivery_errors <= MAX_LOGGED_DELIVERY_ERRORS)
		{
			const char *shown;
			int			shown_len;
			bool		cut;

			key_for_log(rkmessage->key, rkmessage->key_len, &shown,
						&shown_len, &cut);
			sink_log_error("could not deliver record to topic \"%s\" (key %.*s%s, %zu bytes): %s",
						   topic->name, shown_len, shown, cut ? "..." : "",
						   rkmessage->len,
						   rd_kafka_err2str(rkmessage->err));
			if (rkmessage->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
				sink_log_hint("Raise the topic's max.message.bytes and \"kafka.message.max.bytes\", or leave the large column out with \"column.exclude.list\".");
		}
		sink_lsn_delivered(sk->lsn, txn, false);
		return;
	}
	topic->delivered_records++;
	topic->delivered_bytes += rkmessage->len + rkmessage->key_len;
	if (!topic->has_delivered)
	{
		topic->has_delivered = true;
		topic->next_delivered = sk->delivered_topics;
		sk->delivered_topics = topic;
	}
	sink_lsn_delivered(sk->lsn, txn, true);
}

/*
 * Error callback.  Errors other than __FATAL are informational: the client
 * recovers by itself (librdkafka's idempotent_producer example).
 */
static void
error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	SinkKafka  *sk = opaque;

	if (err == RD_KAFKA_RESP_ERR__FATAL)
	{
		char		errstr[512];
		rd_kafka_resp_err_t orig;

		orig = rd_kafka_fatal_error(rk, errstr, sizeof(errstr));
		sink_log_error("fatal Kafka producer error: %s: %s",
					   rd_kafka_err2name(orig), errstr);
		sk->failed = true;
		sink_lsn_fail(sk->lsn);
		sink_metrics_error(sk->metrics);
		set_state(sk, SINK_KAFKA_DOWN);
	}
	else if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
	{
		sink_log_warning("all Kafka brokers are down: %s", reason);
		set_state(sk, SINK_KAFKA_DOWN);
	}
	else
		sink_log_debug("kafka: %s: %s", rd_kafka_err2name(err), reason);
}

/* librdkafka's own log lines, mapped onto our levels. */
static void
log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	(void) rk;
	if (level <= 3)
		sink_log_warning("kafka: %s: %s", fac, buf);
	else if (level <= 6)
		sink_log_debug("kafka: %s: %s", fac, buf);
	else
		sink_log_trace("kafka: %s: %s", fac, buf);
}

/*
 * Make a UUID version 7 (RFC 9562: Unix milliseconds, then random bits),
 * as Debezium's UUIDUtils.generateNewUUID does for the run id.
 */
static void
make_run_id(char *out, size_t outlen)
{
	unsigned char b[16];
	struct timespec ts;
	uint64_t	ms;
	size_t		got = 0;
	int			i;

	while (got < sizeof(b))
	{
		ssize_t		n = getrandom(b + got, sizeof(b) - got, 0);

		if (n <= 0)
			break;
		got += (size_t) n;
	}
	for (i = (int) got; i < (int) sizeof(b); i++)
		b[i] = (unsigned char) rand();	/* getrandom failed: still unique enough */

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
	for (i = 5; i >= 0; i--)
	{
		b[i] = (unsigned char) (ms & 0xff);
		ms >>= 8;
	}
	b[6] = (unsigned char) (0x70 | (b[6] & 0x0f));	/* version 7 */
	b[8] = (unsigned char) (0x80 | (b[8] & 0x3f));	/* variant 10 */
	snprintf(out, outlen,
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
			 b[10], b[11], b[12], b[13], b[14], b[15]);
}

/*
 * The probe thread: every KAFKA_PROBE_INTERVAL_MS, unless records were
 * delivered since the last look, ask any broker for metadata.
 */
static void *
probe_main(void *arg)
{
	SinkKafka  *sk = arg;
	uint64_t	seen = 0;
	struct timespec until;

	pthread_mutex_lock(&sk->probe_mutex);
	while (!sk->probe_stop)
	{
		uint64_t	delivered = atomic_load(&sk->delivered_total);

		pthread_mutex_unlock(&sk->probe_mutex);
		if (delivered != seen)
			seen = delivered;	/* publish_delivered() said so already */
		else
		{
			const struct rd_kafka_metadata *md;
			rd_kafka_resp_err_t err;

			err = rd_kafka_metadata(sk->rk, 0, NULL, &md,
									KAFKA_PROBE_TIMEOUT_MS);
			if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
				rd_kafka_metadata_destroy(md);
			else
				sink_log_debug("Kafka at %s does not answer: %s",
							   sk->bootstrap, rd_kafka_err2str(err));
			set_state(sk, err == RD_KAFKA_RESP_ERR_NO_ERROR ?
					  SINK_KAFKA_UP : SINK_KAFKA_DOWN);
		}
		pthread_mutex_lock(&sk->probe_mutex);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += KAFKA_PROBE_INTERVAL_MS / 1000;
		while (!sk->probe_stop &&
			   pthread_cond_timedwait(&sk->probe_cond, &sk->probe_mutex,
									  &until) == 0)
			;
	}
	pthread_mutex_unlock(&sk->probe_mutex);
	return NULL;
}

/* Stop and join the probe thread, if it runs. */
static void
stop_probe(SinkKafka *sk)
{
	if (!sk->probe_started)
		return;
	pthread_mutex_lock(&sk->probe_mutex);
	sk->probe_stop = true;
	pthread_cond_signal(&sk->probe_cond);
	pthread_mutex_unlock(&sk->probe_mutex);
	pthread_join(sk->probe_thread, NULL);
	sk->probe_started = false;
}

/* Build the four context headers once; false when out of memory. */
static bool
build_context_headers(SinkKafka *sk)
{
	sk->context_hdrs = rd_kafka_headers_new(4);
	if (sk->context_hdrs == NULL)
		return false;
	rd_kafka_header_add(sk->context_hdrs, HDR_LOGICAL_NAME, -1,
						sk->logical_name, -1);
	rd_kafka_header_add(sk->context_hdrs, HDR_TASK_ID, -1, TASK_ID, -1);
	rd_kafka_header_add(sk->context_hdrs, HDR_CONNECTOR_NAME, -1,
						CONNECTOR_NAME, -1);
	rd_kafka_header_add(sk->context_hdrs, HDR_RUN_ID, -1, sk->run_id, -1);
	return true;
}

/* Create the producer. */
SinkKafka *
sink_kafka_new(const SinkConfig *cfg, SinkLsn *lsn, SinkMetrics *metrics)
{
	SinkKafka  *sk;
	rd_kafka_conf_t *conf;
	char		errstr[512];
	char		timeout[32];
	size_t		timeout_size = sizeof(timeout);
	const char *bootstrap;

	sk = calloc(1, sizeof(*sk));
	if (sk == NULL)
	{
		sink_log_error("out of memory");
		return NULL;
	}
	sk->lsn = lsn;
	sk->metrics = metrics;
	if (!sink_topic_creation_init(&sk->creation, cfg))
		goto error;
	sk->context_headers = cfg->extended_headers;
	atomic_init(&sk->state, SINK_KAFKA_CONNECTING);
	atomic_init(&sk->delivered_total, 0);
	pthread_mutex_init(&sk->state_mutex, NULL);
	pthread_mutex_init(&sk->probe_mutex, NULL);
	pthread_cond_init(&sk->probe_cond, NULL);
	sink_metrics_set_kafka(metrics, SINK_KAFKA_CONNECTING);
	bootstrap = sink_config_get(cfg, SINK_KAFKA_PREFIX "bootstrap.servers");
	sk->bootstrap = strdup(bootstrap ? bootstrap : "(no kafka.bootstrap.servers)");
	sk->logical_name = strdup(cfg->topic_prefix);
	if (sk->logical_name == NULL || sk->bootstrap == NULL)
	{
		sink_log_error("out of memory");
		goto error;
	}
	make_run_id(sk->run_id, sizeof(sk->run_id));
	sink_log_debug("run id %s", sk->run_id);
	if (sk->context_headers && !build_context_headers(sk))
	{
		sink_log_error("out of memory");
		goto error;
	}

	conf = sink_kafka_conf_new(cfg);
	if (conf == NULL)
		goto error;
	sk->message_timeout_ms = DEFAULT_MESSAGE_TIMEOUT_MS;
	if (rd_kafka_conf_get(conf, "message.timeout.ms", timeout,
						  &timeout_size) == RD_KAFKA_CONF_OK)
		sk->message_timeout_ms = atoi(timeout);
	rd_kafka_conf_set_opaque(conf, sk);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);

	sk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (sk->rk == NULL)
	{
		/* rd_kafka_new frees conf only on success */
		rd_kafka_conf_destroy(conf);
		sink_log_error("could not create Kafka producer: %s", errstr);
		goto error;
	}
	conf = NULL;				/* owned by sk->rk now */

	if (pthread_create(&sk->probe_thread, NULL, probe_main, sk) != 0)
	{
		sink_log_error("could not start the Kafka probe thread");
		rd_kafka_destroy(sk->rk);
		goto error;
	}
	sk->probe_started = true;
	return sk;

error:
	if (sk->context_hdrs)
		rd_kafka_headers_destroy(sk->context_hdrs);
	sink_topic_creation_free(&sk->creation);
	pthread_mutex_destroy(&sk->state_mutex);
	pthread_mutex_destroy(&sk->probe_mutex);
	pthread_cond_destroy(&sk->probe_cond);
	free(sk->bootstrap);
	free(sk->logical_name);
	free(sk);
	return NULL;
}

/* FNV-1a over the topic bytes. */
static unsigned int
topic_hash(const char *name, size_t len)
{
	uint32_t	h = 2166136261u;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= (unsigned char) name[i];
		h *= 16777619u;
	}
	return h % TOPIC_HASH_SIZE;
}

/* Make the topic's librdkafka handle; false on failure (logged). */
static bool
topic_handle(SinkKafka *sk, SinkTopic *topic)
{
	rd_kafka_topic_conf_t *tconf;

	/* a copy of the default topic conf, which holds our partitioner */
	tconf = rd_kafka_default_topic_conf_dup(sk->rk);
	rd_kafka_topic_conf_set_opaque(tconf, topic);
	topic->rkt = rd_kafka_topic_new(sk->rk, topic->name, tconf); /* takes tconf */
	if (topic->rkt == NULL)
	{
		sink_log_error("could not create topic handle for \"%s\": %s",
					   topic->name, rd_kafka_err2str(rd_kafka_last_error()));
		return false;
	}
	return true;
}

/*
 * When attempts to create a topic end: after kafka.message.timeout.ms (0
 * means never), as a record would wait that long for the broker; at least
 * one attempt's length.
 */
static int64_t
give_up_time(SinkKafka *sk)
{
	int64_t		wait = sk->message_timeout_ms;

	if (wait == 0)
		return INT64_MAX;
	if (wait < TOPIC_CREATE_TIMEOUT_MS)
		wait = TOPIC_CREATE_TIMEOUT_MS;
	return sink_mono_ms() + wait;
}

/*
 * An attempt found no answer: wait for the next one (logged), or give up
 * once the topic's time is over, naming the brokers and what to do.
 */
static TopicResult
no_answer(SinkKafka *sk, SinkTopic *topic, const char *what,
		  const char *reason)
{
	int64_t		now = sink_mono_ms();

	if (now < topic->give_up_at_ms)
	{
		/* one warning per attempt's length, however fast attempts fail */
		if (now - topic->warned_at_ms >= TOPIC_CREATE_TIMEOUT_MS)
		{
			sink_log_warning("topic \"%s\": %s: %s; Kafka at %s may be down, trying again",
							 topic->name, what, reason, sk->bootstrap);
			topic->warned_at_ms = now;
		}
		topic->next_attempt_ms = now + TOPIC_ATTEMPT_INTERVAL_MS;
		return TOPIC_WAITING;
	}
	sink_log_error("topic \"%s\": %s: %s; gave up after %d s (kafka.message.timeout.ms)",
				   topic->name, what, reason,
				   (sk->message_timeout_ms > TOPIC_CREATE_TIMEOUT_MS ?
					sk->message_timeout_ms : TOPIC_CREATE_TIMEOUT_MS) / 1000);
	sink_log_hint("Check that the Kafka brokers at %s are running and reachable, then start the sink again: nothing was confirmed to PostgreSQL that Kafka has not acknowledged.  Raise \"kafka.message.timeout.ms\" to wait longer.",
				  sk->bootstrap);
	return TOPIC_FAILED;
}

/*
 * Wait until every partition of a topic we just created (or, with
 * topic.creation.enable=false, one that must exist) can take records,
 * for at most one attempt's length (TOPIC_WAITING after that, until the
 * topic's time is over).
 *
 * CreateTopics returns once the controller has the topic, before the
 * broker has created the partitions' logs.  A produce request that reaches
 * a partition in between fails and is retried; but an idempotent producer
 * pipelines batches, and a later batch that arrives just after the log
 * exists is accepted as the producer's first (a new partition has no
 * producer state to check sequences against).  The retried first batch is
 * then answered DUPLICATE_SEQUENCE_NUMBER, which librdkafka reports as
 * delivered: a silent loss, seen with librdkafka 2.0.2 and Kafka 4.1.
 * Asking each partition's leader for its offsets succeeds only once its
 * log exists, so nothing is produced before that.
 */
static TopicResult
wait_topic_ready(SinkKafka *sk, SinkTopic *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	int64_t		deadline = sink_mono_ms() + TOPIC_CREATE_TIMEOUT_MS;
	int			npartitions = 0;
	int			p;
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;

	if (deadline > topic->give_up_at_ms)
		deadline = topic->give_up_at_ms;

	/* the partition count and leaders, from a fresh metadata request */
	while (sink_mono_ms() < deadline && !interrupted(sk))
	{
		bool		ready = false;

		err = rd_kafka_metadata(sk->rk, 0, topic->rkt, &md, 1000);
		poll_reports(sk, 0);
		if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		{
			if (md->topic_cnt == 1 && md->topics[0].err == 0 &&
				md->topics[0].partition_cnt > 0)
			{
				ready = true;
				npartitions = md->topics[0].partition_cnt;
				for (p = 0; p < npartitions; p++)
					if (md->topics[0].partitions[p].err != 0 ||
						md->topics[0].partitions[p].leader < 0)
						ready = false;
			}
			else if (md->topic_cnt == 1 && md->topics[0].err != 0)
				err = md->topics[0].err;
			else
				err = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
			rd_kafka_metadata_destroy(md);
		}
		if (ready)
			break;
		npartitions = 0;
		poll_reports(sk, 100);
	}

	/* each partition's log: its leader answers ListOffsets */
	for (p = 0; p < npartitions; p++)
	{
		err = RD_KAFKA_RESP_ERR__TIMED_OUT;
		while (sink_mono_ms() < deadline && !interrupted(sk))
		{
			int64_t		lo;
			int64_t		hi;

			err = rd_kafka_query_watermark_offsets(sk->rk, topic->name, p,
												   &lo, &hi, 1000);
			poll_reports(sk, 0);
			if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
				break;
			poll_reports(sk, 50);
		}
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
			npartitions = 0;
	}
	if (interrupted(sk))
		return TOPIC_INTERRUPTED;
	if (npartitions == 0)
		return no_answer(sk, topic,
						 sk->creation.enabled ?
						 "created, but its partitions are not available yet" :
						 "not available, and topic.creation.enable is false: create it, or let the sink create it",
						 rd_kafka_err2str(err));
	sink_log_debug("topic \"%s\" has %d partition(s), all available",
				   topic->name, npartitions);
	return TOPIC_OK;
}

/*
 * Create the topic through the Admin API with the partitions, replication
 * factor and topic configurations of its topic.creation group (the first
 * of topic.creation.groups whose patterns take it, else the default
 * group).  An existing topic is fine, and keeps its settings.  If the broker
 * refuses for lack of rights, produce anyway (the topic may exist, or the
 * broker may create it) and try again later.  If no broker answers, the
 * attempt is TOPIC_WAITING until the topic's time is over: producing
 * anyway could have the broker auto-create it with its own settings.
 */
static TopicResult
create_topic(SinkKafka *sk, SinkTopic *topic)
{
	char		errstr[512];
	rd_kafka_NewTopic_t *newtopic;
	rd_kafka_AdminOptions_t *options;
	rd_kafka_queue_t *rkqu;
	rd_kafka_event_t *rkev = NULL;
	int64_t		deadline = sink_mono_ms() + TOPIC_CREATE_TIMEOUT_MS;
	TopicResult result = TOPIC_OK;
	const SinkTopicGroup *group;
	int			i;

	group = sink_topic_creation_group(&sk->creation, topic->name);
	newtopic = rd_kafka_NewTopic_new(topic->name, group->partitions,
									 group->replication_factor,
									 errstr, sizeof(errstr));
	if (newtopic == NULL)
	{
		sink_log_error("could not create topic \"%s\": %s", topic->name,
					   errstr);
		return TOPIC_FAILED;
	}
	for (i = 0; i < group->nsettings; i++)
		if (rd_kafka_NewTopic_set_config(newtopic, group->settings[i].name,
										 group->settings[i].value) != 0)
		{
			sink_log_error("could not create topic \"%s\": cannot set \"%s\"",
						   topic->name, group->settings[i].name);
			rd_kafka_NewTopic_destroy(newtopic);
			return TOPIC_FAILED;
		}
	options = rd_kafka_AdminOptions_new(sk->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(options, TOPIC_CREATE_TIMEOUT_MS,
											  errstr, sizeof(errstr));
	rd_kafka_AdminOptions_set_operation_timeout(options,
												TOPIC_CREATE_TIMEOUT_MS - 1000,
												errstr, sizeof(errstr));
	rkqu = rd_kafka_queue_new(sk->rk);
	rd_kafka_CreateTopics(sk->rk, &newtopic, 1, options, rkqu);

	/* keep serving delivery reports while we wait */
	while (rkev == NULL && sink_mono_ms() < deadline && !interrupted(sk))
	{
		rkev = rd_kafka_queue_poll(rkqu, 100);
		poll_reports(sk, 0);
	}

	if (rkev == NULL && interrupted(sk))
		result = TOPIC_INTERRUPTED;
	else if (rkev == NULL)
		result = no_answer(sk, topic, "could not create it",
						   "no answer from Kafka");
	else if (rd_kafka_event_error(rkev) == RD_KAFKA_RESP_ERR__TIMED_OUT ||
			 rd_kafka_event_error(rkev) == RD_KAFKA_RESP_ERR__TRANSPORT)
		result = no_answer(sk, topic, "could not create it",
						   rd_kafka_event_error_string(rkev));
	else if (rd_kafka_event_error(rkev))
	{
		sink_log_warning("could not create topic \"%s\": %s; will try again",
						 topic->name, rd_kafka_event_error_string(rkev));
		topic->retry_at_ms = sink_mono_ms() + TOPIC_CREATE_RETRY_MS;
	}
	else
	{
		const rd_kafka_CreateTopics_result_t *res;
		const rd_kafka_topic_result_t **results;
		size_t		nresults;
		rd_kafka_resp_err_t err;

		res = rd_kafka_event_CreateTopics_result(rkev);
		results = rd_kafka_CreateTopics_result_topics(res, &nresults);
		err = nresults == 1 ? rd_kafka_topic_result_error(results[0]) :
			RD_KAFKA_RESP_ERR__FAIL;
		switch (err)
		{
			case RD_KAFKA_RESP_ERR_NO_ERROR:
				sink_log_info("created topic \"%s\"", topic->name);
				/* FALLTHROUGH */
			case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
				/* it may have been created a moment ago by someone else */
				topic->created = true;
				break;
			case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
			case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
			case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
			case RD_KAFKA_RESP_ERR__TIMED_OUT:
			case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
				sink_log_warning("could not create topic \"%s\": %s; producing to it anyway",
								 topic->name,
								 nresults == 1 && rd_kafka_topic_result_error_string(results[0]) ?
								 rd_kafka_topic_result_error_string(results[0]) :
								 rd_kafka_err2str(err));
				topic->retry_at_ms = sink_mono_ms() + TOPIC_CREATE_RETRY_MS;
				break;
			default:
				sink_log_error("could not create topic \"%s\": %s", topic->name,
							   nresults == 1 && rd_kafka_topic_result_error_string(results[0]) ?
							   rd_kafka_topic_result_error_string(results[0]) :
							   rd_kafka_err2str(err));
				sink_log_hint("Check the settings of topic creation group \"%s\" (topic.creation.%s.*) against the cluster, or create the topic yourself.",
							  group->alias, group->alias);
				result = TOPIC_FAILED;
				break;
		}
	}

	if (rkev)
		rd_kafka_event_destroy(rkev);
	rd_kafka_queue_destroy(rkqu);
	rd_kafka_AdminOptions_destroy(options);
	rd_kafka_NewTopic_destroy(newtopic);
	return result;
}

/*
 * Make a topic ready before its first record: create it (once per
 * TOPIC_CREATE_RETRY_MS while that is refused), then wait for its
 * partitions.  Each call is one attempt at most; TOPIC_WAITING asks the
 * caller to poll and call again.
 */
static TopicResult
prepare_topic(SinkKafka *sk, SinkTopic *topic)
{
	TopicResult result;

	if (topic->ready)
		return TOPIC_OK;
	if (sink_mono_ms() < topic->next_attempt_ms)
		return TOPIC_WAITING;
	if (topic->give_up_at_ms == 0)
		topic->give_up_at_ms = give_up_time(sk);
	if (!topic->created && !sk->creation.enabled)
		topic->created = true;	/* topic.creation.enable=false: it must exist */
	if (!topic->created)
	{
		if (sink_mono_ms() < topic->retry_at_ms)
			return TOPIC_OK;	/* refused before: produce anyway */
		result = create_topic(sk, topic);
		if (result != TOPIC_OK || !topic->created)
		{
			if (result == TOPIC_OK)
				topic->give_up_at_ms = 0;	/* producing anyway */
			return result;
		}
	}
	if (topic->rkt == NULL && !topic_handle(sk, topic))
		return TOPIC_FAILED;
	result = wait_topic_ready(sk, topic);
	if (result == TOPIC_OK)
	{
		topic->ready = true;
		topic->give_up_at_ms = 0;
	}
	return result;
}

/*
 * Find or add a topic.  Its handle is made later, in topic_handle(), so
 * that the first metadata request for it cannot have the broker
 * auto-create it with default settings before our CreateTopics arrives.
 */
static SinkTopic *
get_topic(SinkKafka *sk, const char *name, size_t len)
{
	unsigned int h = topic_hash(name, len);
	SinkTopic  *topic;

	for (topic = sk->topics[h]; topic; topic = topic->next)
		if (topic->len == len && memcmp(topic->name, name, len) == 0)
			return topic;

	topic = calloc(1, sizeof(*topic));
	if (topic == NULL || (topic->name = strndup(name, len)) == NULL)
	{
		free(topic);
		sink_log_error("out of memory");
		return NULL;
	}
	topic->len = len;
	topic->metrics_idx = sink_metrics_topic(sk->metrics, topic->name);
	topic->next = sk->topics[h];
	sk->topics[h] = topic;
	return topic;
}

/*
 * Make a topic (NULL: out of memory, logged) ready for a record, with its
 * librdkafka handle.  SINK_PRODUCE_OK to produce; otherwise what the
 * producing function does (SINK_PRODUCE_ERROR: logged, not yet counted).
 */
static SinkProduceResult
usable_topic(SinkKafka *sk, SinkTopic *topic)
{
	if (topic == NULL)
		return SINK_PRODUCE_ERROR;
	switch (prepare_topic(sk, topic))
	{
		case TOPIC_OK:
			break;
		case TOPIC_WAITING:
			return SINK_PRODUCE_QUEUE_FULL;
		case TOPIC_FAILED:
			return SINK_PRODUCE_ERROR;
		case TOPIC_INTERRUPTED:
			return SINK_PRODUCE_INTERRUPTED;
	}
	if (topic->rkt == NULL && !topic_handle(sk, topic))
		return SINK_PRODUCE_ERROR;
	return SINK_PRODUCE_OK;
}

/* Append the four context headers to \p hdrs. */
static void
add_context_headers(SinkKafka *sk, rd_kafka_headers_t *hdrs)
{
	const char *name;
	const void *value;
	size_t		size;
	size_t		i;

	for (i = 0; rd_kafka_header_get_all(sk->context_hdrs, i, &name, &value,
										&size) == RD_KAFKA_RESP_ERR_NO_ERROR;
		 i++)
		rd_kafka_header_add(hdrs, name, -1, value, (ssize_t) size);
}

/* Produce the record of a RECORD frame. */
SinkProduceResult
sink_kafka_produce(SinkKafka *sk, const SinkFrame *frame,
				   SinkSchema *schema, SinkLsnTxn *txn)
{
	SinkTopic  *topic;
	rd_kafka_headers_t *hdrs = NULL;
	rd_kafka_resp_err_t err;
	const char *key = frame->key;
	size_t		key_len = frame->key ? (size_t) frame->key_len : 0;
	char	   *value = (char *) frame->value;
	size_t		value_len = frame->value ? (size_t) frame->value_len : 0;
	int			msgflags = RD_KAFKA_MSG_F_COPY;
	SinkProduceResult result;

	if (sk->failed)
		return SINK_PRODUCE_ERROR;

	/* a record with a schema id takes the schema's topic */
	if (schema && frame->topic_len == 0)
	{
		if (schema->producer_topic == NULL)
			schema->producer_topic = get_topic(sk, schema->topic,
											   schema->topic_len);
		topic = schema->producer_topic;
	}
	else
		topic = get_topic(sk, frame->topic, frame->topic_len);
	result = usable_topic(sk, topic);
	if (result == SINK_PRODUCE_ERROR)
		goto error;
	if (result != SINK_PRODUCE_OK)
		return result;

	/* complete the payloads with the schema's prefixes; null stays null */
	if (schema && frame->key && schema->key_prefix_len > 0)
	{
		key_len = sink_schema_assembled_len(schema->key_prefix,
											schema->key_prefix_len, key_len);
		if (key_len > sk->keybuf_size)
		{
			char	   *buf = realloc(sk->keybuf, key_len);

			if (buf == NULL)
				goto oom;
			sk->keybuf = buf;
			sk->keybuf_size = key_len;
		}
		sink_schema_assemble(sk->keybuf, schema->key_prefix,
							 schema->key_prefix_len, frame->key,
							 (size_t) frame->key_len);
		key = sk->keybuf;
	}
	if (schema && frame->value && schema->value_prefix_len > 0)
	{
		value_len = sink_schema_assembled_len(schema->value_prefix,
											  schema->value_prefix_len,
											  value_len);
		value = malloc(value_len);
		if (value == NULL)
			goto oom;
		sink_schema_assemble(value, schema->value_prefix,
							 schema->value_prefix_len, frame->value,
							 (size_t) frame->value_len);
		msgflags = RD_KAFKA_MSG_F_FREE;
	}

	/* the record's own headers, then Debezium's context headers */
	if (frame->nheaders > 0 ||
		(sk->context_headers && (frame->flags & WAL2DBZ_FRAME_F_CHANGE_EVENT)))
	{
		SinkFrameHeader header;
		size_t		pos = 0;

		bool		context = sk->context_headers &&
			(frame->flags & WAL2DBZ_FRAME_F_CHANGE_EVENT);
		bool		context_first = frame->flags & WAL2DBZ_FRAME_F_CONTEXT_FIRST;
		bool		at_marker = frame->flags & WAL2DBZ_FRAME_F_CONTEXT_AT_MARKER;

		if (frame->nheaders == 0)
			hdrs = rd_kafka_headers_copy(sk->context_hdrs);	/* the usual case */
		else
		{
			hdrs = rd_kafka_headers_new(frame->nheaders + (context ? 4 : 0));
			/* an outbox event: the change event's headers come first */
			if (context && context_first)
				add_context_headers(sk, hdrs);
			while (sink_frame_header_next(frame, &pos, &header))
			{
				/* where a transform's headers begin (context or not) */
				if (at_marker && header.name_len == 0 && header.value == NULL)
				{
					if (context)
						add_context_headers(sk, hdrs);
					context = false;
					continue;
				}
				rd_kafka_header_add(hdrs, header.name,
									(ssize_t) header.name_len, header.value,
									header.value ? (ssize_t) header.value_len : 0);
			}
			if (context && !context_first)
				add_context_headers(sk, hdrs);
		}
	}

	/* no headers: hdrs is NULL, which librdkafka takes as none */
	err = rd_kafka_producev(sk->rk,
							RD_KAFKA_V_RKT(topic->rkt),
							RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA),
							RD_KAFKA_V_MSGFLAGS(msgflags),
							RD_KAFKA_V_KEY(key, key_len),
							RD_KAFKA_V_VALUE(value, value_len),
							RD_KAFKA_V_HEADERS(hdrs),
							RD_KAFKA_V_OPAQUE(txn),
							RD_KAFKA_V_END);

	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return SINK_PRODUCE_OK; /* hdrs and an F_FREE value are librdkafka's */

	/* on failure the headers and an assembled value are still ours */
	if (hdrs)
		rd_kafka_headers_destroy(hdrs);
	if (msgflags == RD_KAFKA_MSG_F_FREE)
		free(value);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		return SINK_PRODUCE_QUEUE_FULL;

	{
		const char *shown;
		int			shown_len;
		bool		cut;

		key_for_log(key, key_len, &shown, &shown_len, &cut);
		sink_log_error("could not produce record to topic \"%s\" (key %.*s%s, %zu bytes): %s",
					   topic->name, shown_len, shown, cut ? "..." : "",
					   value_len, rd_kafka_err2str(err));
	}
	if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
		sink_log_hint("The record is larger than \"kafka.message.max.bytes\"; raise it (and the topic's max.message.bytes), or leave the large column out with \"column.exclude.list\".");
	goto error;

oom:
	sink_log_error("out of memory");
error:
	sk->failed = true;
	sink_lsn_fail(sk->lsn);
	sink_metrics_error(sk->metrics);
	return SINK_PRODUCE_ERROR;
}

/* Let long waits (topic creation) end early when *interrupt is set. */
void
sink_kafka_set_interrupt(SinkKafka *sk, atomic_int *interrupt)
{
	sk->interrupt = interrupt;
}

/* Serve delivery reports. */
void
sink_kafka_poll(SinkKafka *sk, int timeout_ms)
{
	poll_reports(sk, timeout_ms);
}

/* Fatal error or failed delivery? */
bool
sink_kafka_failed(SinkKafka *sk)
{
	return sk->failed;
}

/* Wait for every delivery report. */
int
sink_kafka_drain(SinkKafka *sk, int timeout_ms, atomic_int *abort)
{
	int64_t		deadline = sink_mono_ms() + timeout_ms;

	while (!*abort && rd_kafka_outq_len(sk->rk) > 0 && sink_mono_ms() < deadline)
		poll_reports(sk, 50);
	return rd_kafka_outq_len(sk->rk);
}

/* Destroy the producer and the topic table. */
void
sink_kafka_destroy(SinkKafka *sk)
{
	int			i;

	if (sk == NULL)
		return;
	if (sk->delivery_errors > MAX_LOGGED_DELIVERY_ERRORS)
		sink_log_error("%" PRIu64 " records could not be delivered in all",
					   sk->delivery_errors);

	/* the probe thread uses the producer: it goes first */
	stop_probe(sk);

	/*
	 * What is still queued was never confirmed to PostgreSQL, so it is sent
	 * again after a restart; purge it rather than wait for it.  From here on
	 * delivery reports are ignored, since the topics they point to go away.
	 */
	sk->closing = true;
	rd_kafka_purge(sk->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	for (i = 0; i < TOPIC_HASH_SIZE; i++)
	{
		SinkTopic  *topic = sk->topics[i];

		while (topic)
		{
			SinkTopic  *next = topic->next;

			if (topic->rkt)
				rd_kafka_topic_destroy(topic->rkt);
			free(topic->name);
			free(topic);
			topic = next;
		}
	}
	rd_kafka_destroy(sk->rk);
	if (sk->context_hdrs)
		rd_kafka_headers_destroy(sk->context_hdrs);
	pthread_mutex_destroy(&sk->state_mutex);
	pthread_mutex_destroy(&sk->probe_mutex);
	pthread_cond_destroy(&sk->probe_cond);
	sink_metrics_set_kafka(sk->metrics, SINK_KAFKA_OFF);
	sink_topic_creation_free(&sk->creation);
	free(sk->keybuf);
	free(sk->bootstrap);
	free(sk->logical_name);
	free(sk);
}

/*
 * The probe's error callback: keep the client's last error (a refused
 * SASL login, a failed TLS handshake) for the FAIL line, which says more
 * than the metadata request's "transport failure".
 */
#define PROBE_ERROR_LEN 512

static void
probe_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	char	   *last = opaque;	/* PROBE_ERROR_LEN bytes */

	(void) rk;
	if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		snprintf(last, PROBE_ERROR_LEN, "%s", reason);
}

/* Ask the cluster for metadata, for "check". */
bool
sink_kafka_probe(const SinkConfig *cfg, int timeout_ms, char *detail,
				 size_t detaillen, int *nbrokers)
{
	rd_kafka_conf_t *conf = sink_kafka_conf_new(cfg);
	rd_kafka_t *rk;
	const struct rd_kafka_metadata *md;
	rd_kafka_resp_err_t err;
	char		errstr[512];
	char		last_error[PROBE_ERROR_LEN] = "";

	if (conf == NULL)
	{
		snprintf(detail, detaillen, "invalid kafka.* configuration");
		return false;
	}
	rd_kafka_conf_set_opaque(conf, last_error);
	rd_kafka_conf_set_error_cb(conf, probe_error_cb);
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		rd_kafka_conf_destroy(conf);
		snprintf(detail, detaillen, "could not create a client: %s", errstr);
		return false;
	}
	err = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
	{
		rd_kafka_poll(rk, 0);	/* serve the error events: last_error */
		snprintf(detail, detaillen, "no metadata from %s within %d ms: %s",
				 sink_config_get(cfg, SINK_KAFKA_PREFIX "bootstrap.servers"),
				 timeout_ms, last_error[0] ? last_error : rd_kafka_err2str(err));
		rd_kafka_destroy(rk);
		return false;
	}
	*nbrokers = md->broker_cnt;
	snprintf(detail, detaillen, "%d broker(s) at %s, %d topic(s)",
			 md->broker_cnt,
			 sink_config_get(cfg, SINK_KAFKA_PREFIX "bootstrap.servers"),
			 md->topic_cnt);
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	return true;
}

/*
 * Produce one heartbeat record (heartbeat.c): to partition 0 without
 * headers, as Debezium's HeartbeatImpl, with \p txn as opaque.  Key and
 * value are copied.
 */
SinkProduceResult
sink_kafka_produce_heartbeat(SinkKafka *sk, const char *topic_name,
							 const char *key, size_t key_len,
							 const char *value, size_t value_len,
							 SinkLsnTxn *txn)
{
	SinkTopic  *topic;
	rd_kafka_resp_err_t err;
	SinkProduceResult result;

	if (sk->failed)
		return SINK_PRODUCE_ERROR;
	topic = get_topic(sk, topic_name, strlen(topic_name));
	result = usable_topic(sk, topic);
	if (result == SINK_PRODUCE_ERROR)
		goto error;
	if (result != SINK_PRODUCE_OK)
		return result;

	err = rd_kafka_producev(sk->rk,
							RD_KAFKA_V_RKT(topic->rkt),
							RD_KAFKA_V_PARTITION(0),
							RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
							RD_KAFKA_V_KEY(key, key_len),
							RD_KAFKA_V_VALUE((void *) value, value_len),
							RD_KAFKA_V_OPAQUE(txn),
							RD_KAFKA_V_END);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
		return SINK_PRODUCE_OK;
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		return SINK_PRODUCE_QUEUE_FULL;
	sink_log_error("could not produce heartbeat to topic \"%s\": %s",
				   topic->name, rd_kafka_err2str(err));

error:
	sk->failed = true;
	sink_lsn_fail(sk->lsn);
	sink_metrics_error(sk->metrics);
	return SINK_PRODUCE_ERROR;
}
