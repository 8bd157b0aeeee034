/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  Worker mode of wal2dbz-sink: PostgreSQL source connectors managed
 *	  over Kafka Connect's REST API, each in its own thread.
 *
 * A connector is what a properties file describes when the sink runs
 * alone: its own slot, snapshot, producer and ClickHouse stage.  Here each
 * one runs sink_repl_run() in a thread of its own, with its own stop
 * flags instead of the signal handlers, and its errors are kept as the
 * "trace" of its FAILED state.  The main thread takes SIGINT and SIGTERM
 * (blocked everywhere else) and stops every connector the way the single
 * sink stops: drain, confirm, exit 0.
 *
 * The registry is one list under one mutex.  A request that starts or
 * stops a connector's thread marks it busy and joins the thread without
 * the mutex; a second request for a busy connector gets 409, as Kafka
 * Connect answers during a rebalance.  Every change of a configuration
 * or of a target state (STARTED, PAUSED, STOPPED) is written to the
 * store before it takes effect.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "ch_consumer.h"
#include "connect_config.h"
#include "connect_metrics.h"
#include "connect_rest.h"
#include "connect_store.h"
#include "kafka.h"
#include "log.h"
#include "lsn.h"
#include "metrics.h"
#include "pgconn.h"
#include "repl.h"
#include "worker.h"

#ifndef WAL2DBZ_VERSION
#define WAL2DBZ_VERSION "0.1.0"
#endif
#ifndef WAL2DBZ_COMMIT
#define WAL2DBZ_COMMIT "unknown"
#endif

/* reconnects before a connector goes FAILED, unless errors.max.retries */
#define WORKER_MAX_RETRIES	3

/* the newest errors kept as a FAILED connector's trace */
#define TRACE_SIZE			8192

/* what the user asked a connector to be, as Kafka Connect's TargetState */
typedef enum TargetState
{
	TARGET_STARTED,
	TARGET_PAUSED,
	TARGET_STOPPED
} TargetState;

static const char *const target_names[] = {"STARTED", "PAUSED", "STOPPED"};

typedef struct Connector
{
	struct SinkWorker *worker;
	char	   *name;
	json_t	   *config;			/* as given, secrets included */
	char	   *slot_key;		/* host|port|dbname|slot, to refuse sharing */
	TargetState target;
	bool		busy;			/* a request is (re)starting or stopping it */

	/* the task's thread, while has_thread (joined only by a request) */
	bool		has_thread;
	pthread_t	thread;
	json_t	   *run_config;		/* the thread's own copy */
	SinkMetrics metrics;		/* valid while has_thread */
	atomic_int stop;
	atomic_int abort;
	atomic_bool finished;		/* the thread has returned */
	atomic_bool failed;			/* it returned after an error */
	atomic_bool stage_failed;	/* its ClickHouse stage stopped on an error */
	bool		active;			/* it has streamed or snapshotted */

	pthread_mutex_t trace_mutex;
	char		trace[TRACE_SIZE];	/* the thread's errors and hints */

	struct Connector *next;		/* sorted by name */
} Connector;

struct SinkWorker
{
	pthread_mutex_t mutex;
	Connector  *connectors;
	SinkConfig	defaults;		/* connector properties of the worker file */
	char	   *store_path;
	char	   *cluster_id;		/* NULL if Kafka did not say */
	char		worker_id[300]; /* host:port */
	int			port;
	atomic_int shutting_down;	/* ends requests' connection
											 * attempts */
};

/* Kafka Connect's error body. */
json_t *
sink_worker_error(int status, const char *fmt,...)
{
	char		msg[2048];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:i,s:s}", "error_code", status, "message", msg);
}

/* Set *body to an error and return its status. */
#define FAIL(status, ...) \
	(*body = sink_worker_error((status), __VA_ARGS__), (status))

/* Find a connector; the caller holds the mutex. */
static Connector *
find_connector(SinkWorker *w, const char *name)
{
	Connector  *c;

	for (c = w->connectors; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* Insert in name order; the caller holds the mutex. */
static void
insert_connector(SinkWorker *w, Connector *c)
{
	Connector **p = &w->connectors;

	while (*p && strcmp((*p)->name, c->name) < 0)
		p = &(*p)->next;
	c->next = *p;
	*p = c;
}

/* Unlink; the caller holds the mutex. */
static void
remove_connector(SinkWorker *w, Connector *c)
{
	Connector **p = &w->connectors;

	while (*p && *p != c)
		p = &(*p)->next;
	if (*p)
		*p = c->next;
}

/* Free a connector whose thread is joined. */
static void
free_connector(Connector *c)
{
	pthread_mutex_destroy(&c->trace_mutex);
	json_decref(c->config);
	free(c->slot_key);
	free(c->name);
	free(c);
}

/* Write every connector's configuration and target state; mutex held. */
static bool
save_store(SinkWorker *w)
{
	json_t	   *all = json_object();
	Connector  *c;
	bool		ok;

	for (c = w->connectors; c; c = c->next)
		json_object_set_new(all, c->name,
							json_pack("{s:O,s:s}", "config", c->config,
									  "target_state", target_names[c->target]));
	ok = sink_store_save(w->store_path, all);
	json_decref(all);
	return ok;
}

/*
 * The connector thread's log hook: keep its errors and hints, the newest
 * TRACE_SIZE bytes, for the FAILED state's trace.  They are printed too.
 */
static bool
trace_hook(void *arg, bool is_error, const char *msg)
{
	Connector  *c = arg;
	char		line[1024];
	size_t		len;
	size_t		have;

	snprintf(line, sizeof(line), "%s%s\n", is_error ? "error: " : "hint: ", msg);
	len = strlen(line);
	pthread_mutex_lock(&c->trace_mutex);
	have = strlen(c->trace);
	if (have + len >= sizeof(c->trace))
	{
		/* drop the oldest lines */
		size_t		drop = have + len + 1 - sizeof(c->trace);
		char	   *nl = drop <= have ? strchr(c->trace + drop, '\n') : NULL;
		size_t		from = nl ? (size_t) (nl + 1 - c->trace) : have;

		memmove(c->trace, c->trace + from, have - from + 1);
		have -= from;
	}
	if (have + len < sizeof(c->trace))
		memcpy(c->trace + have, line, len + 1);
	pthread_mutex_unlock(&c->trace_mutex);
	return true;
}

/* The connector's "origin" in messages. */
static void
connector_origin(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "connector \"%s\"", name);
}

/*
 * The ClickHouse stage stopped on an error (on the stage's thread): the
 * connector stops as a whole (the source drains and confirms) and goes
 * FAILED with the stage's errors as its trace, as after a source error.
 */
static void
stage_failed(void *arg)
{
	Connector  *c = arg;

	atomic_store(&c->stage_failed, true);
	c->stop = 1;
}

/*
 * The thread of one connector: what main() does for a single sink's
 * source stage, with this connector's stop flags.
 */
static void *
connector_thread(void *arg)
{
	Connector  *c = arg;
	SinkWorker *w = c->worker;
	SinkConfig	cfg;
	SinkReplOptions opts;
	SinkLsn		lsn;
	SinkKafka  *sk = NULL;
	SinkCh	   *ch = NULL;
	char		origin[300];
	int			rc = 1;

	sink_log_set_context(c->name);
	sink_log_set_hook(trace_hook, c);
	connector_origin(c->name, origin, sizeof(origin));

	if (sink_connect_build(&w->defaults, c->run_config, origin, &cfg))
	{
		const char *retries = sink_config_get(&cfg, "errors.max.retries");

		sink_config_log(&cfg);
		/* the slot is dropped when the connector is deleted, not paused */
		cfg.slot_drop_on_stop = false;
		memset(&opts, 0, sizeof(opts));
		opts.stop = &c->stop;
		opts.abort = &c->abort;
		opts.max_retries = retries ? atoi(retries) : WORKER_MAX_RETRIES;
		opts.limit_retries = opts.max_retries >= 0;
		/* Kafka Connect's way: FAILED, not a silent new slot */
		opts.fail_on_lost_slot = true;

		sink_lsn_init(&lsn, SINK_LSN_INVALID);
		if (cfg.clickhouse_stage && (ch = sink_ch_new(&cfg, &c->metrics)) != NULL)
		{
			sink_ch_on_failure(ch, stage_failed, c);
			sink_ch_set_connector(ch, c->name);
		}
		if (!cfg.clickhouse_stage || ch)
			sk = sink_kafka_new(&cfg, &lsn, &c->metrics);
		if (sk && (!ch || sink_ch_start(ch)))
		{
			sink_log_info("connector started");
			rc = sink_repl_run(&cfg, sk, &lsn, &c->metrics, &opts);
			if (ch)
			{
				int			ch_rc = sink_ch_stop(ch);

				if (rc == 0 && (!c->stop || atomic_load(&c->stage_failed)))
					rc = ch_rc;
			}
		}
		/* the producer goes first: its opaques point into lsn */
		if (sk)
			sink_kafka_destroy(sk);
		sink_lsn_destroy(&lsn);
		if (ch)
			sink_ch_destroy(ch);
	}
	sink_config_free(&cfg);

	if (rc != 0 && (!c->stop || atomic_load(&c->stage_failed)))
	{
		sink_log_error("connector failed; it stays FAILED until restarted (POST /connectors/%s/restart)",
					   c->name);
		atomic_store(&c->failed, true);
	}
	else
		sink_log_info("connector stopped");
	sink_log_set_hook(NULL, NULL);
	sink_log_set_context(NULL);
	atomic_store(&c->finished, true);
	return NULL;
}

/* Start the task's thread; mutex held, no thread running. */
static void
start_task(Connector *c)
{
	int			err;

	c->stop = 0;
	c->abort = 0;
	c->active = false;
	atomic_store(&c->finished, false);
	atomic_store(&c->failed, false);
	atomic_store(&c->stage_failed, false);
	pthread_mutex_lock(&c->trace_mutex);
	c->trace[0] = '\0';
	pthread_mutex_unlock(&c->trace_mutex);
	sink_metrics_init(&c->metrics);
	c->run_config = json_deep_copy(c->config);
	/* SIGINT and SIGTERM are blocked in every thread: main takes them */
	err = pthread_create(&c->thread, NULL, connector_thread, c);
	if (err != 0)
	{
		snprintf(c->trace, sizeof(c->trace),
				 "error: could not start a thread: %s\n", strerror(err));
		sink_log_error("connector \"%s\": could not start a thread: %s",
					   c->name, strerror(err));
		atomic_store(&c->failed, true);
		sink_metrics_destroy(&c->metrics);
		json_decref(c->run_config);
		c->run_config = NULL;
		return;
	}
	c->has_thread = true;
}

/*
 * Stop the task's thread and wait for it: mutex held on entry and on
 * return, released while waiting (the caller has marked c busy).
 */
static void
stop_task(SinkWorker *w, Connector *c)
{
	if (!c->has_thread)
		return;
	c->stop = 1;
	pthread_mutex_unlock(&w->mutex);
	pthread_join(c->thread, NULL);
	pthread_mutex_lock(&w->mutex);
	c->has_thread = false;
	sink_metrics_destroy(&c->metrics);
	json_decref(c->run_config);
	c->run_config = NULL;
}

/* Kafka Connect's state of the connector and of its task; mutex held. */
static const char *
connector_state(Connector *c)
{
	if (c->target == TARGET_STOPPED)
		return "STOPPED";
	if (atomic_load(&c->failed))
		return "FAILED";
	if (c->target == TARGET_PAUSED)
		return "PAUSED";
	if (!c->has_thread)
		return "UNASSIGNED";
	if (!c->active && !atomic_load(&c->finished))
	{
		/* RUNNING from the first stream or snapshot on */
		pthread_mutex_lock(&c->metrics.mutex);
		c->active = c->metrics.streaming || c->metrics.snapshot.running;
		pthread_mutex_unlock(&c->metrics.mutex);
		if (!c->active)
			return "UNASSIGNED";
	}
	return "RUNNING";
}

/* {"state", "worker_id"[, "trace"]}, plus "id" for a task; mutex held. */
static json_t *
state_info(SinkWorker *w, Connector *c, int task_id)
{
	const char *state = connector_state(c);
	json_t	   *info = json_object();

	if (task_id >= 0)
		json_object_set_new(info, "id", json_integer(task_id));
	json_object_set_new(info, "state", json_string(state));
	json_object_set_new(info, "worker_id", json_string(w->worker_id));
	if (strcmp(state, "FAILED") == 0)
	{
		pthread_mutex_lock(&c->trace_mutex);
		json_object_set_new(info, "trace", json_string(c->trace));
		pthread_mutex_unlock(&c->trace_mutex);
	}
	return info;
}

/* ConnectorStateInfo; mutex held. */
static json_t *
status_json(SinkWorker *w, Connector *c)
{
	json_t	   *tasks = json_array();

	/* a STOPPED connector has no tasks, as in Kafka Connect */
	if (c->target != TARGET_STOPPED)
		json_array_append_new(tasks, state_info(w, c, 0));
	return json_pack("{s:s,s:o,s:o,s:s}", "name", c->name,
					 "connector", state_info(w, c, -1),
					 "tasks", tasks, "type", "source");
}

/* ConnectorInfo; mutex held. */
static json_t *
info_json(Connector *c)
{
	json_t	   *tasks = json_array();

	if (c->target != TARGET_STOPPED)
		json_array_append_new(tasks, json_pack("{s:s,s:i}", "connector",
											   c->name, "task", 0));
	return json_pack("{s:s,s:o,s:o,s:s}", "name", c->name,
					 "config", sink_connect_masked(c->config),
					 "tasks", tasks, "type", "source");
}

/*
 * Find a connector and mark it busy for a request that changes it; mutex
 * held.  NULL with *status and *body set when missing or busy.
 */
static Connector *
acquire(SinkWorker *w, const char *name, int *status, json_t **body)
{
	Connector  *c = find_connector(w, name);

	if (c == NULL)
	{
		*status = FAIL(404, "Connector %s not found", name);
		return NULL;
	}
	if (c->busy)
	{
		*status = FAIL(409, "Cannot complete request momentarily due to a pending change of connector %s; try again",
					   name);
		return NULL;
	}
	c->busy = true;
	return c;
}

/* GET / */
int
sink_worker_root(SinkWorker *w, json_t **body)
{
	*body = json_pack("{s:s,s:s,s:s?}", "version", WAL2DBZ_VERSION,
					  "commit", WAL2DBZ_COMMIT,
					  "kafka_cluster_id", w->cluster_id);
	return 200;
}

/* GET /health, as Kafka Connect 3.9's */
int
sink_worker_health(SinkWorker *w, json_t **body)
{
	(void) w;
	*body = json_pack("{s:s,s:s}", "status", "healthy", "message",
					  "Worker has completed startup and is ready to handle requests.");
	return 200;
}

/* GET /metrics */
int
sink_worker_metrics(SinkWorker *w, char **text, size_t *len)
{
	SinkConnectMetrics *list;
	Connector  *c;
	int			n = 0;

	pthread_mutex_lock(&w->mutex);
	for (c = w->connectors; c; c = c->next)
		n++;
	list = calloc(n > 0 ? n : 1, sizeof(*list));
	if (list == NULL)
	{
		pthread_mutex_unlock(&w->mutex);
		return 500;
	}
	n = 0;
	for (c = w->connectors; c; c = c->next, n++)
	{
		list[n].name = c->name;
		list[n].state = connector_state(c);
		/* valid while the thread is not joined: we hold the mutex */
		list[n].metrics = c->has_thread ? &c->metrics : NULL;
	}
	*text = sink_connect_metrics_render(list, n, len);
	pthread_mutex_unlock(&w->mutex);
	free(list);
	return *text ? 200 : 500;
}

/* GET /connectors[?expand=status|info] */
int
sink_worker_list(SinkWorker *w, bool expand_status, bool expand_info,
				 json_t **body)
{
	Connector  *c;

	pthread_mutex_lock(&w->mutex);
	if (expand_status || expand_info)
	{
		*body = json_object();
		for (c = w->connectors; c; c = c->next)
		{
			json_t	   *entry = json_object();

			if (expand_status)
				json_object_set_new(entry, "status", status_json(w, c));
			if (expand_info)
				json_object_set_new(entry, "info", info_json(c));
			json_object_set_new(*body, c->name, entry);
		}
	}
	else
	{
		*body = json_array();
		for (c = w->connectors; c; c = c->next)
			json_array_append_new(*body, json_string(c->name));
	}
	pthread_mutex_unlock(&w->mutex);
	return 200;
}

/* A read-only request on one connector: fn builds the body; mutex held. */
static int
read_connector(SinkWorker *w, const char *name, json_t **body,
			   json_t *(*fn) (SinkWorker *w, Connector *c))
{
	Connector  *c;
	int			status = 200;

	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	if (c == NULL)
		status = FAIL(404, "Connector %s not found", name);
	else
		*body = fn(w, c);
	pthread_mutex_unlock(&w->mutex);
	return status;
}

static json_t *
read_info(SinkWorker *w, Connector *c)
{
	(void) w;
	return info_json(c);
}

static json_t *
read_config(SinkWorker *w, Connector *c)
{
	(void) w;
	return sink_connect_masked(c->config);
}

static json_t *
read_tasks(SinkWorker *w, Connector *c)
{
	json_t	   *config;

	(void) w;
	if (c->target == TARGET_STOPPED)
		return json_array();
	config = sink_connect_masked(c->config);
	json_object_set_new(config, "task.class",
						json_string("io.debezium.connector.postgresql.PostgresConnectorTask"));
	return json_pack("[{s:{s:s,s:i},s:o}]", "id", "connector", c->name,
					 "task", 0, "config", config);
}

int
sink_worker_info(SinkWorker *w, const char *name, json_t **body)
{
	return read_connector(w, name, body, read_info);
}

int
sink_worker_get_config(SinkWorker *w, const char *name, json_t **body)
{
	return read_connector(w, name, body, read_config);
}

int
sink_worker_status(SinkWorker *w, const char *name, json_t **body)
{
	return read_connector(w, name, body, status_json);
}

int
sink_worker_tasks(SinkWorker *w, const char *name, json_t **body)
{
	return read_connector(w, name, body, read_tasks);
}

/* Is \p task this connector's one task ("0")? */
static bool
is_task_zero(Connector *c, const char *task)
{
	return c->target != TARGET_STOPPED && strcmp(task, "0") == 0;
}

/* GET /connectors/{name}/tasks/{id}/status */
int
sink_worker_task_status(SinkWorker *w, const char *name, const char *task,
						json_t **body)
{
	Connector  *c;
	int			status = 200;

	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	if (c == NULL)
		status = FAIL(404, "Connector %s not found", name);
	else if (!is_task_zero(c, task))
		status = FAIL(404, "No status found for task %s-%s", name, task);
	else
		*body = state_info(w, c, 0);
	pthread_mutex_unlock(&w->mutex);
	return status;
}

/* Collect a configuration's errors as text, for a 400. */
typedef struct ErrorText
{
	char		buf[4096];
	int			count;
} ErrorText;

static bool
error_text_hook(void *arg, bool is_error, const char *msg)
{
	ErrorText  *et = arg;
	size_t		have = strlen(et->buf);

	if (is_error)
		et->count++;
	snprintf(et->buf + have, sizeof(et->buf) - have, "%s%s%s",
			 is_error && have ? "\n" : "", is_error ? "" : " (", msg);
	if (!is_error)
	{
		have = strlen(et->buf);
		snprintf(et->buf + have, sizeof(et->buf) - have, ")");
	}
	return false;
}

/*
 * Check a configuration as sink_connect_build() does and compute the
 * slot it uses; errors into *body (400).  Returns the slot key, or NULL.
 */
static char *
check_config(SinkWorker *w, const char *name, json_t *config, int *status,
			 json_t **body)
{
	SinkConfig	cfg;
	ErrorText	et;
	char		origin[300];
	char	   *key = NULL;
	bool		ok;

	memset(&et, 0, sizeof(et));
	connector_origin(name, origin, sizeof(origin));
	sink_log_set_hook(error_text_hook, &et);
	ok = sink_connect_build(&w->defaults, config, origin, &cfg);
	sink_log_set_hook(NULL, NULL);
	if (ok)
	{
		const char *host = sink_config_get(&cfg, "database.hostname");
		const char *port = sink_config_get(&cfg, "database.port");
		const char *db = sink_config_get(&cfg, "database.dbname");

		if (asprintf(&key, "%s|%s|%s|%s", host ? host : "", port ? port : "",
					 db ? db : "", cfg.slot_name) < 0)
			key = NULL;
		if (key == NULL)
			*status = FAIL(500, "out of memory");
	}
	else
	{
		sink_log_info("rejected the configuration of connector \"%s\": %d error(s)",
					  name, et.count);
		*status = FAIL(400, "Connector configuration is invalid and contains the following %d error(s):\n%s\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`",
					   et.count, et.buf);
	}
	sink_config_free(&cfg);
	return key;
}

/*
 * Create or replace a connector's configuration: PUT .../config and
 * POST /connectors (create_only).
 */
static int
put_config(SinkWorker *w, const char *name, json_t *config, bool create_only,
		   json_t **body)
{
	Connector  *c;
	json_t	   *given;
	char	   *key;
	int			status = 0;
	bool		created;

	if (!json_is_object(config))
		return FAIL(400, "The connector configuration must be a JSON object of property names and values");
	if (name[0] == '\0')
		return FAIL(400, "Connector name is required");
	given = json_object_get(config, "name");
	if (given && (!json_is_string(given) ||
				  strcmp(json_string_value(given), name) != 0))
		return FAIL(400, "Connector name configuration (%s) doesn't match connector name in the URL (%s)",
					json_is_string(given) ? json_string_value(given) : "not a string",
					name);
	config = json_deep_copy(config);
	json_object_set_new(config, "name", json_string(name));

	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	if (c && create_only)
	{
		pthread_mutex_unlock(&w->mutex);
		json_decref(config);
		return FAIL(409, "Connector %s already exists", name);
	}
	if (c && c->busy)
	{
		pthread_mutex_unlock(&w->mutex);
		json_decref(config);
		return FAIL(409, "Cannot complete request momentarily due to a pending change of connector %s; try again",
					name);
	}
	/* a client may send back the masked secrets it was shown */
	sink_connect_unmask(config, c ? c->config : NULL);
	pthread_mutex_unlock(&w->mutex);

	key = check_config(w, name, config, &status, body);
	if (key == NULL)
	{
		json_decref(config);
		return status;
	}

	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	if (c && (c->busy || create_only))
	{
		bool		busy = c->busy;

		pthread_mutex_unlock(&w->mutex);
		json_decref(config);
		free(key);
		if (busy)
			return FAIL(409, "Cannot complete request momentarily due to a pending change of connector %s; try again", name);
		return FAIL(409, "Connector %s already exists", name);
	}
	{
		Connector  *other;

		for (other = w->connectors; other; other = other->next)
			if (other != c && strcmp(other->slot_key, key) == 0)
			{
				pthread_mutex_unlock(&w->mutex);
				json_decref(config);
				free(key);
				return FAIL(400, "Connector configuration is invalid: replication slot of property \"slot.name\" is used by connector %s; give each connector its own slot",
							other->name);
			}
	}

	created = c == NULL;
	if (created)
	{
		c = calloc(1, sizeof(*c));
		if (c == NULL || (c->name = strdup(name)) == NULL)
		{
			pthread_mutex_unlock(&w->mutex);
			free(c);
			json_decref(config);
			free(key);
			return FAIL(500, "out of memory");
		}
		c->worker = w;
		c->target = TARGET_STARTED;
		pthread_mutex_init(&c->trace_mutex, NULL);
		c->config = config;
		c->slot_key = key;
		insert_connector(w, c);
		if (!save_store(w))
		{
			remove_connector(w, c);
			pthread_mutex_unlock(&w->mutex);
			free_connector(c);
			return FAIL(500, "could not write the connector store \"%s\"; see the worker's log",
						w->store_path);
		}
		sink_log_info("created connector \"%s\"", name);
		start_task(c);
	}
	else
	{
		json_t	   *old_config = c->config;
		char	   *old_key = c->slot_key;

		c->config = config;
		c->slot_key = key;
		if (!save_store(w))
		{
			c->config = old_config;
			c->slot_key = old_key;
			pthread_mutex_unlock(&w->mutex);
			json_decref(config);
			free(key);
			return FAIL(500, "could not write the connector store \"%s\"; see the worker's log",
						w->store_path);
		}
		json_decref(old_config);
		free(old_key);
		sink_log_info("updated the configuration of connector \"%s\"", name);
		/* the running task restarts with the new configuration */
		c->busy = true;
		stop_task(w, c);
		atomic_store(&c->failed, false);
		if (c->target == TARGET_STARTED)
			start_task(c);
		c->busy = false;
	}
	*body = info_json(c);
	pthread_mutex_unlock(&w->mutex);
	return created ? 201 : 200;
}

/* POST /connectors {"name": ..., "config": {...}} */
int
sink_worker_create(SinkWorker *w, json_t *request, json_t **body)
{
	json_t	   *name = json_object_get(request, "name");
	json_t	   *config = json_object_get(request, "config");

	if (!json_is_object(request) || !json_is_string(name))
		return FAIL(400, "Connector name is required: POST {\"name\": ..., \"config\": {...}}");
	if (!json_is_object(config))
		return FAIL(400, "Connector config is required: POST {\"name\": ..., \"config\": {...}}");
	return put_config(w, json_string_value(name), config, true, body);
}

/* PUT /connectors/{name}/config */
int
sink_worker_put_config(SinkWorker *w, const char *name, json_t *config,
					   json_t **body)
{
	return put_config(w, name, config, false, body);
}

/* PATCH /connectors/{name}/config: merge; a null removes the property */
int
sink_worker_patch_config(SinkWorker *w, const char *name, json_t *patch,
						 json_t **body)
{
	Connector  *c;
	json_t	   *config;
	const char *key;
	json_t	   *value;
	int			status;

	if (!json_is_object(patch))
		return FAIL(400, "The connector configuration must be a JSON object of property names and values");
	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	config = c ? json_deep_copy(c->config) : NULL;
	pthread_mutex_unlock(&w->mutex);
	if (config == NULL)
		return FAIL(404, "Connector %s not found", name);
	json_object_foreach(patch, key, value)
	{
		if (json_is_null(value))
			json_object_del(config, key);
		else
			json_object_set(config, key, value);
	}
	status = put_config(w, name, config, false, body);
	json_decref(config);
	return status;
}

/* POST /connectors/{name}/restart */
int
sink_worker_restart(SinkWorker *w, const char *name, bool include_tasks,
					bool only_failed, json_t **body)
{
	Connector  *c;
	int			status = 0;
	bool		restart;

	pthread_mutex_lock(&w->mutex);
	c = acquire(w, name, &status, body);
	if (c == NULL)
	{
		pthread_mutex_unlock(&w->mutex);
		return status;
	}
	/* one unit: the connector and its one task restart together */
	restart = !only_failed || atomic_load(&c->failed);
	if (restart)
	{
		sink_log_info("restarting connector \"%s\"", name);
		stop_task(w, c);
		atomic_store(&c->failed, false);
		if (c->target == TARGET_STARTED)
			start_task(c);
	}
	c->busy = false;
	if (include_tasks || only_failed)
	{
		*body = status_json(w, c);
		if (restart && c->target == TARGET_STARTED)
		{
			/* as Kafka Connect answers: RESTARTING for what restarts */
			json_object_set_new(json_object_get(*body, "connector"), "state",
								json_string("RESTARTING"));
			json_object_set_new(json_array_get(json_object_get(*body, "tasks"), 0),
								"state", json_string("RESTARTING"));
		}
		status = 202;
	}
	else
		status = 204;
	pthread_mutex_unlock(&w->mutex);
	return status;
}

/* POST /connectors/{name}/tasks/{id}/restart */
int
sink_worker_task_restart(SinkWorker *w, const char *name, const char *task,
						 json_t **body)
{
	Connector  *c;
	int			status = 0;

	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	if (c && !is_task_zero(c, task))
	{
		pthread_mutex_unlock(&w->mutex);
		return FAIL(404, "Unknown task: %s-%s", name, task);
	}
	pthread_mutex_unlock(&w->mutex);
	status = sink_worker_restart(w, name, false, false, body);
	return status;
}

/* PUT .../pause, .../resume, .../stop */
int
sink_worker_set_target(SinkWorker *w, const char *name, const char *target,
					   json_t **body)
{
	Connector  *c;
	TargetState old;
	TargetState want;
	int			status = 0;

	want = strcmp(target, "PAUSED") == 0 ? TARGET_PAUSED :
		strcmp(target, "STOPPED") == 0 ? TARGET_STOPPED : TARGET_STARTED;
	pthread_mutex_lock(&w->mutex);
	c = acquire(w, name, &status, body);
	if (c == NULL)
	{
		pthread_mutex_unlock(&w->mutex);
		return status;
	}
	old = c->target;
	c->target = want;
	if (!save_store(w))
	{
		c->target = old;
		c->busy = false;
		pthread_mutex_unlock(&w->mutex);
		return FAIL(500, "could not write the connector store \"%s\"; see the worker's log",
					w->store_path);
	}
	if (old != want)
		sink_log_info("connector \"%s\": %s", name,
					  want == TARGET_PAUSED ? "pausing" :
					  want == TARGET_STOPPED ? "stopping" : "resuming");
	if (want != TARGET_STARTED)
		stop_task(w, c);	/* drains, confirms, leaves the slot */
	else if (!c->has_thread && !atomic_load(&c->failed))
		start_task(c);
	c->busy = false;
	pthread_mutex_unlock(&w->mutex);
	*body = NULL;
	return want == TARGET_STOPPED ? 204 : 202;
}

/* Drop a deleted connector's slot (slot.drop.on.stop). */
static void
drop_slot(SinkWorker *w, Connector *c)
{
	SinkConfig	cfg;
	char		origin[300];
	PGconn	   *conn;
	PGresult   *res;
	char		cmd[256];
	int			i;

	connector_origin(c->name, origin, sizeof(origin));
	if (!sink_connect_build(&w->defaults, c->config, origin, &cfg) ||
		!cfg.slot_drop_on_stop)
	{
		sink_config_free(&cfg);
		return;
	}
	sink_pg_set_interrupt(&w->shutting_down);
	conn = sink_pg_connect(&cfg, true);
	if (conn != NULL)
	{
		/* the name was checked: lower case letters, digits and '_' */
		snprintf(cmd, sizeof(cmd), "DROP_REPLICATION_SLOT \"%s\" WAIT",
				 cfg.slot_name);
		for (i = 0; i < 2; i++)
		{
			res = PQexec(conn, cmd);
			if (PQresultStatus(res) == PGRES_COMMAND_OK)
			{
				sink_log_info("connector \"%s\": dropped replication slot \"%s\" (slot.drop.on.stop)",
							  c->name, cfg.slot_name);
				PQclear(res);
				break;
			}
			sink_log_warning("connector \"%s\": could not drop replication slot \"%s\": %s",
							 c->name, cfg.slot_name, PQerrorMessage(conn));
			PQclear(res);
		}
		PQfinish(conn);
	}
	sink_config_free(&cfg);
}

/* DELETE /connectors/{name} */
int
sink_worker_delete(SinkWorker *w, const char *name, json_t **body)
{
	Connector  *c;
	int			status = 0;

	pthread_mutex_lock(&w->mutex);
	c = acquire(w, name, &status, body);
	if (c == NULL)
	{
		pthread_mutex_unlock(&w->mutex);
		return status;
	}
	remove_connector(w, c);
	if (!save_store(w))
	{
		insert_connector(w, c);
		c->busy = false;
		pthread_mutex_unlock(&w->mutex);
		return FAIL(500, "could not write the connector store \"%s\"; see the worker's log",
					w->store_path);
	}
	sink_log_info("deleting connector \"%s\"", name);
	/* gone from the list; still ours to stop */
	stop_task(w, c);
	pthread_mutex_unlock(&w->mutex);
	drop_slot(w, c);
	free_connector(c);
	*body = NULL;
	return 204;
}

/* GET /connectors/{name}/offsets: where the slot stands */
int
sink_worker_offsets(SinkWorker *w, const char *name, json_t **body)
{
	Connector  *c;
	json_t	   *config;
	SinkConfig	cfg;
	char		origin[300];
	PGconn	   *conn;
	PGresult   *res;
	const char *params[1];
	json_t	   *offsets = json_array();
	bool		ok;

	pthread_mutex_lock(&w->mutex);
	c = find_connector(w, name);
	config = c ? json_deep_copy(c->config) : NULL;
	pthread_mutex_unlock(&w->mutex);
	if (config == NULL)
	{
		json_decref(offsets);
		return FAIL(404, "Connector %s not found", name);
	}

	connector_origin(name, origin, sizeof(origin));
	ok = sink_connect_build(&w->defaults, config, origin, &cfg);
	json_decref(config);
	sink_pg_set_interrupt(&w->shutting_down);
	conn = ok ? sink_pg_connect(&cfg, false) : NULL;
	if (conn == NULL)
	{
		sink_config_free(&cfg);
		json_decref(offsets);
		return FAIL(500, "Could not read the offsets of connector %s: could not connect to the database; see the worker's log",
					name);
	}
	params[0] = cfg.slot_name;
	res = PQexecParams(conn,
					   "SELECT pg_catalog.pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint "
					   "FROM pg_catalog.pg_replication_slots "
					   "WHERE slot_name = $1 AND database = pg_catalog.current_database() "
					   "AND confirmed_flush_lsn IS NOT NULL",
					   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		sink_log_warning("connector \"%s\": could not read its slot: %s",
						 name, PQerrorMessage(conn));
		PQclear(res);
		PQfinish(conn);
		sink_config_free(&cfg);
		json_decref(offsets);
		return FAIL(500, "Could not read the offsets of connector %s; see the worker's log",
					name);
	}
	if (PQntuples(res) == 1)
	{
		json_int_t	lsn = strtoll(PQgetvalue(res, 0, 0), NULL, 10);

		/* Debezium's PostgreSQL offset, as far as the slot knows it */
		json_array_append_new(offsets,
							  json_pack("{s:{s:s},s:{s:I,s:I,s:I}}",
										"partition", "server", cfg.topic_prefix,
										"offset", "lsn", lsn, "lsn_proc", lsn,
										"lsn_commit", lsn));
	}
	PQclear(res);
	PQfinish(conn);
	sink_config_free(&cfg);
	*body = json_pack("{s:o}", "offsets", offsets);
	return 200;
}

/* GET /connector-plugins */
int
sink_worker_plugins(SinkWorker *w, json_t **body)
{
	(void) w;
	*body = json_pack("[{s:s,s:s,s:s}]", "class", SINK_CONNECTOR_CLASS,
					  "type", "source", "version", WAL2DBZ_VERSION);
	return 200;
}

/* Is \p plugin our class, by its full name or an alias Kafka Connect takes? */
static bool
is_our_plugin(const char *plugin)
{
	const char *simple = strrchr(SINK_CONNECTOR_CLASS, '.') + 1;

	return strcmp(plugin, SINK_CONNECTOR_CLASS) == 0 ||
		strcmp(plugin, simple) == 0 || strcmp(plugin, "Postgres") == 0;
}

/* GET /connector-plugins/{class}/config */
int
sink_worker_plugin_config(SinkWorker *w, const char *plugin, json_t **body)
{
	json_t	   *empty;
	json_t	   *infos;
	json_t	   *configs;
	size_t		i;

	if (!is_our_plugin(plugin))
		return FAIL(404, "Unknown plugin %s; wal2dbz-sink runs %s only",
					plugin, SINK_CONNECTOR_CLASS);
	/* the definitions of validate's answer */
	empty = json_pack("{s:s}", "connector.class", SINK_CONNECTOR_CLASS);
	infos = sink_connect_validate(&w->defaults, empty);
	json_decref(empty);
	configs = json_object_get(infos, "configs");
	*body = json_array();
	for (i = 0; i < json_array_size(configs); i++)
		json_array_append(*body, json_object_get(json_array_get(configs, i),
												 "definition"));
	json_decref(infos);
	return 200;
}

/* PUT /connector-plugins/{class}/config/validate */
int
sink_worker_validate(SinkWorker *w, const char *plugin, json_t *config,
					 json_t **body)
{
	const char *simple = strrchr(SINK_CONNECTOR_CLASS, '.') + 1;
	json_t	   *given;

	/* the full class name or its simple name, as Kafka Connect's aliases */
	if (!is_our_plugin(plugin))
		return FAIL(400, "Failed to find any class that implements Connector and which name matches %s; wal2dbz-sink runs %s only",
					plugin, SINK_CONNECTOR_CLASS);
	if (!json_is_object(config))
		return FAIL(400, "The connector configuration must be a JSON object of property names and values");
	given = json_object_get(config, "connector.class");
	if (given && json_is_string(given) &&
		strcmp(json_string_value(given), SINK_CONNECTOR_CLASS) != 0 &&
		strcmp(json_string_value(given), simple) != 0)
		return FAIL(400, "Included connector type %s does not match request type %s",
					json_string_value(given), plugin);
	config = json_deep_copy(config);
	json_object_set_new(config, "connector.class", json_string(SINK_CONNECTOR_CLASS));
	*body = sink_connect_validate(&w->defaults, config);
	json_decref(config);
	return 200;
}

/* Worker-file properties that are not connector defaults. */
static bool
is_worker_property(const char *name)
{
	return strcmp(name, "rest.port") == 0 ||
		strcmp(name, "rest.host.name") == 0 ||
		strcmp(name, "rest.advertised.host.name") == 0 ||
		strcmp(name, "config.storage.file") == 0;
}

/* Free what load_worker_file() keeps in the worker and in *host. */
static void
free_worker_file(SinkWorker *w, const char **host)
{
	sink_config_free(&w->defaults);
	free(w->store_path);
	w->store_path = NULL;
	free((char *) *host);
	*host = NULL;
}

/*
 * Read the worker file: its own properties, and connector defaults that
 * every connector inherits (checked here as one connector would be).
 */
static bool
load_worker_file(SinkWorker *w, const char *path, char **envp,
				 const char **host)
{
	SinkConfig	file;
	SinkConfig	check;
	const char *v;
	bool		ok;
	int			i;

	sink_config_init(&file);
	ok = sink_config_load(&file, path);
	ok = sink_config_apply_env(&file, envp) && ok;
	if (!ok)
	{
		sink_config_free(&file);
		return false;
	}
	sink_config_init(&w->defaults);
	for (i = 0; ok && i < file.nprops; i++)
	{
		const SinkProp *p = &file.props[i];

		if (is_worker_property(p->name))
			continue;
		/* Kafka Connect's worker name for the brokers */
		ok = sink_config_set(&w->defaults,
							 strcmp(p->name, "bootstrap.servers") == 0 ?
							 SINK_KAFKA_PREFIX "bootstrap.servers" : p->name,
							 p->value, p->origin);
	}

	v = sink_config_get(&file, "rest.port");
	w->port = 8083;
	if (v)
	{
		char	   *end;
		long		port = strtol(v, &end, 10);

		if (*v == '\0' || *end != '\0' || port < 1 || port > 65535)
		{
			sink_log_error("%s: invalid value \"%s\" for property \"rest.port\": expected an integer between 1 and 65535",
						   sink_config_find(&file, "rest.port")->origin, v);
			ok = false;
		}
		w->port = (int) port;
	}
	v = sink_config_get(&file, "config.storage.file");
	if (v == NULL || v[0] == '\0')
	{
		sink_log_error("%s: required property \"config.storage.file\" is not set",
					   path);
		sink_log_hint("Name the file where the worker keeps its connectors, e.g. config.storage.file=/var/lib/wal2dbz/connectors.json.");
		ok = false;
	}
	else
		w->store_path = strdup(v);
	v = sink_config_get(&file, "rest.advertised.host.name");
	if (v == NULL)
		v = sink_config_get(&file, "rest.host.name");
	if (v)
		snprintf(w->worker_id, sizeof(w->worker_id), "%s:%d", v, w->port);
	else
	{
		char		hostname[256];

		if (gethostname(hostname, sizeof(hostname)) != 0)
			snprintf(hostname, sizeof(hostname), "localhost");
		hostname[sizeof(hostname) - 1] = '\0';
		snprintf(w->worker_id, sizeof(w->worker_id), "%s:%d", hostname, w->port);
	}
	v = sink_config_get(&file, "rest.host.name");
	*host = NULL;
	if (v && (*host = strdup(v)) == NULL)
		ok = false;

	/* the defaults as a connector would see them, to report bad ones now */
	if (ok)
	{
		sink_config_init(&check);
		for (i = 0; ok && i < w->defaults.nprops; i++)
			if (!sink_connect_is_provider_property(w->defaults.props[i].name))
				ok = sink_config_set(&check, w->defaults.props[i].name,
									 w->defaults.props[i].value,
									 w->defaults.props[i].origin);
		if (ok && sink_config_get(&check, "topic.prefix") == NULL)
			ok = sink_config_set(&check, "topic.prefix", "x", path);
		if (ok && sink_config_get(&check, SINK_KAFKA_PREFIX "bootstrap.servers") == NULL)
			sink_log_warning("%s: no \"bootstrap.servers\": every connector must set \"kafka.bootstrap.servers\"",
							 path);
		if (ok && sink_config_get(&check, SINK_KAFKA_PREFIX "bootstrap.servers") == NULL)
			ok = sink_config_set(&check, SINK_KAFKA_PREFIX "bootstrap.servers",
								 "localhost:9092", path);
		check.path = strdup(path);
		ok = ok && sink_config_validate(&check);
		sink_config_free(&check);
		ok = sink_connect_check_providers(&w->defaults) && ok;
	}
	sink_config_free(&file);
	if (!ok)
		free_worker_file(w, host);
	return ok;
}

/* Ask Kafka for its cluster id, for GET / (NULL if it does not answer). */
static char *
kafka_cluster_id(SinkWorker *w)
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char		errstr[512];
	char	   *id;
	char	   *copy = NULL;

	if (sink_config_get(&w->defaults, SINK_KAFKA_PREFIX "bootstrap.servers") == NULL)
		return NULL;
	conf = sink_kafka_conf_new(&w->defaults);
	if (conf == NULL)
		return NULL;
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL)
	{
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	id = rd_kafka_clusterid(rk, 5000);
	if (id)
	{
		copy = strdup(id);
		rd_kafka_mem_free(rk, id);
	}
	rd_kafka_destroy(rk);
	return copy;
}

/* Run the worker; see worker.h. */
int
sink_worker_main(const char *config_path, char **envp)
{
	SinkWorker	w;
	SinkRest   *rest;
	sigset_t	sigs;
	json_t	   *stored;
	const char *name;
	json_t	   *entry;
	const char *host = NULL;
	Connector  *c;
	int			sig;
	int			running;
	bool		aborted = false;

	memset(&w, 0, sizeof(w));
	pthread_mutex_init(&w.mutex, NULL);
	if (!load_worker_file(&w, config_path, envp, &host))
		return 1;

	/* every thread from here on inherits the mask: main takes the signals */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	/* once, before any connector's ClickHouse stage could race to do it */
	curl_global_init(CURL_GLOBAL_DEFAULT);

	stored = sink_store_load(w.store_path);
	if (stored == NULL)
	{
		free_worker_file(&w, &host);
		return 1;
	}
	json_object_foreach(stored, name, entry)
	{
		const char *target = json_string_value(json_object_get(entry, "target_state"));
		int			status = 0;
		json_t	   *body = NULL;
		char	   *key;

		c = calloc(1, sizeof(*c));
		if (c == NULL || (c->name = strdup(name)) == NULL)
		{
			sink_log_error("out of memory");
			return 1;
		}
		c->worker = &w;
		pthread_mutex_init(&c->trace_mutex, NULL);
		c->config = json_incref(json_object_get(entry, "config"));
		c->target = strcmp(target, "PAUSED") == 0 ? TARGET_PAUSED :
			strcmp(target, "STOPPED") == 0 ? TARGET_STOPPED : TARGET_STARTED;
		/* a configuration the defaults now make invalid fails at start */
		key = check_config(&w, name, c->config, &status, &body);
		if (key == NULL)
			sink_log_warning("connector \"%s\": %s", name,
							 json_string_value(json_object_get(body, "message")));
		json_decref(body);
		c->slot_key = key ? key : strdup("");
		insert_connector(&w, c);
	}
	json_decref(stored);

	w.cluster_id = kafka_cluster_id(&w);
	rest = sink_rest_start(&w, host, w.port);
	if (rest == NULL)
	{
		/* no connector has a thread yet */
		while ((c = w.connectors) != NULL)
		{
			w.connectors = c->next;
			free_connector(c);
		}
		free(w.cluster_id);
		free_worker_file(&w, &host);
		return 1;
	}

	pthread_mutex_lock(&w.mutex);
	running = 0;
	for (c = w.connectors; c; c = c->next)
		if (c->target == TARGET_STARTED)
		{
			start_task(c);
			running++;
		}
	pthread_mutex_unlock(&w.mutex);
	sink_log_info("worker %s serving the Kafka Connect REST API on port %d; %d connector(s) started from \"%s\"",
				  w.worker_id, w.port, running, w.store_path);

	while (sigwait(&sigs, &sig) != 0 || (sig != SIGINT && sig != SIGTERM))
		;
	sink_log_info("received signal %d; stopping every connector", sig);

	/* no more requests; then every connector drains and confirms at once */
	w.shutting_down = 1;
	sink_rest_stop(rest);
	pthread_mutex_lock(&w.mutex);
	for (c = w.connectors; c; c = c->next)
		c->stop = 1;
	pthread_mutex_unlock(&w.mutex);
	for (;;)
	{
		struct timespec tick = {0, 100 * 1000000L};

		running = 0;
		pthread_mutex_lock(&w.mutex);
		for (c = w.connectors; c; c = c->next)
			if (c->has_thread && !atomic_load(&c->finished))
				running++;
		pthread_mutex_unlock(&w.mutex);
		if (running == 0)
			break;
		/* a second signal: stop waiting for Kafka */
		if (sigtimedwait(&sigs, NULL, &tick) > 0 && !aborted)
		{
			sink_log_info("second signal; not waiting for Kafka any longer");
			aborted = true;
			pthread_mutex_lock(&w.mutex);
			for (c = w.connectors; c; c = c->next)
				c->abort = 1;
			pthread_mutex_unlock(&w.mutex);
		}
	}
	pthread_mutex_lock(&w.mutex);
	while ((c = w.connectors) != NULL)
	{
		stop_task(&w, c);
		w.connectors = c->next;
		free_connector(c);
	}
	pthread_mutex_unlock(&w.mutex);
	sink_log_info("worker stopped");
	sink_config_free(&w.defaults);
	free(w.store_path);
	free(w.cluster_id);
	free((char *) host);
	pthread_mutex_destroy(&w.mutex);
	return aborted ? 1 : 0;
}
