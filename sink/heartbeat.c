/*-------------------------------------------------------------------------
 *
 * heartbeat.c
 *	  Debezium's heartbeats: heartbeat.interval.ms, heartbeat.action.query.
 *
 * As Debezium 3.6's PostgreSQL connector (HeartbeatImpl, CompositeHeartbeat,
 * DatabaseHeartbeatImpl; records checked against real Debezium 3.6.3 output
 * in test/debezium/captures/heartbeat*.jsonl): once the interval has passed,
 * checked between transactions and while the stream is idle, one record on
 * <topic.heartbeat.prefix><topic.delimiter><topic.prefix> (or
 * topic.heartbeat.name), partition 0, no headers, keyed
 * {"serverName":"<topic.prefix>"} (ServerNameKey) with the value
 * {"ts_ms":<now>} (Heartbeat); then the action query, if any, on a
 * connection of its own.  Its errors are logged and the stream goes on,
 * except the one Debezium's PostgreSQL task also stops for: an undefined
 * table (42P01), a configuration error.  Where Debezium fails or restarts
 * the task because the query's connection went away (57P01, 57P03), the
 * connection is made again at the next beat.
 *
 * The record is accounted in lsn.c as an entry of its own at the highest
 * position received, so once Kafka has it (and everything before it) that
 * position is confirmed: the slot moves on a database whose changes are all
 * filtered out even while other records are in flight, as Debezium's
 * heartbeat offsets make it move.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/heartbeat.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "heartbeat.h"
#include "log.h"
#include "pgconn.h"

/* the JsonConverter's schemas of Debezium's heartbeat key and value */
#define KEY_SCHEMA \
	"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"serverName\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.common.ServerNameKey\",\"version\":1}"
#define VALUE_SCHEMA \
	"{\"type\":\"struct\",\"fields\":[{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}]," \
	"\"optional\":false,\"name\":\"io.debezium.connector.common.Heartbeat\",\"version\":1}"

/* SQLSTATEs Debezium's PostgreSQL task treats apart (PostgresConnectorTask) */
#define SQLSTATE_UNDEFINED_TABLE	"42P01"
#define SQLSTATE_ADMIN_SHUTDOWN		"57P01"
#define SQLSTATE_CANNOT_CONNECT_NOW "57P03"

struct SinkHeartbeat
{
	const SinkConfig *cfg;		/* not owned; outlives us */
	int			interval_ms;
	const char *action_query;	/* NULL: none; points into cfg */
	char	   *topic;
	char	   *key;			/* the whole key, built once */
	bool		value_schemas;
	int64_t		next_ms;		/* monotonic time the next beat is due */
	PGconn	   *conn;			/* the action query's connection, or NULL */
};

/* Wall-clock milliseconds since the Unix epoch, as Instant.now(). */
static int64_t
unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A converter's schemas.enable (Kafka's JsonConverter default: true). */
static bool
schemas_enabled(const SinkConfig *cfg, const char *name)
{
	const char *v = sink_config_get(cfg, name);

	return v == NULL || strcasecmp(v, "false") != 0;
}

/* s as a JSON string (malloc'd); topic prefixes are plain ASCII already. */
static char *
json_string(const char *s)
{
	size_t		n = strlen(s);
	char	   *out = malloc(2 * n + 3);
	char	   *p = out;

	if (out == NULL)
		return NULL;
	*p++ = '"';
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* Prepare heartbeats; see heartbeat.h. */
SinkHeartbeat *
sink_heartbeat_new(const SinkConfig *cfg, bool *failed)
{
	SinkHeartbeat *hb;
	char	   *server;
	const char *name = cfg->heartbeat_topic_name;
	int			n;

	*failed = false;
	if (cfg->heartbeat_interval_ms <= 0)
		return NULL;

	hb = calloc(1, sizeof(*hb));
	server = json_string(cfg->topic_prefix);
	if (hb == NULL || server == NULL)
		goto oom;
	hb->cfg = cfg;
	hb->interval_ms = cfg->heartbeat_interval_ms;
	hb->action_query = cfg->heartbeat_action_query;
	hb->value_schemas = schemas_enabled(cfg, "value.converter.schemas.enable");

	if (name != NULL && name[0] != '\0')
		hb->topic = strdup(name);
	else if (asprintf(&hb->topic, "%s%s%s", cfg->heartbeat_topic_prefix,
					  cfg->topic_delimiter, cfg->topic_prefix) < 0)
		hb->topic = NULL;
	if (hb->topic == NULL)
		goto oom;

	if (schemas_enabled(cfg, "key.converter.schemas.enable"))
		n = asprintf(&hb->key, "{\"schema\":" KEY_SCHEMA ",\"payload\":{\"serverName\":%s}}",
					 server);
	else
		n = asprintf(&hb->key, "{\"serverName\":%s}", server);
	if (n < 0)
	{
		hb->key = NULL;
		goto oom;
	}
	free(server);

	/* the first beat one interval after the start, as Debezium's timer */
	hb->next_ms = sink_mono_ms() + hb->interval_ms;
	sink_log_info("heartbeats every %d ms on topic \"%s\"%s", hb->interval_ms,
				  hb->topic, hb->action_query ? ", each followed by heartbeat.action.query" : "");
	return hb;

oom:
	sink_log_error("out of memory");
	free(server);
	sink_heartbeat_free(hb);
	*failed = true;
	return NULL;
}

/* Time to the next beat, for the loop's poll(). */
int
sink_heartbeat_timeout(const SinkHeartbeat *hb, int timeout_ms)
{
	int64_t		until;

	if (hb == NULL)
		return timeout_ms;
	until = hb->next_ms - sink_mono_ms();
	if (until < 0)
		return 0;
	return until < timeout_ms ? (int) until : timeout_ms;
}

/*
 * Run heartbeat.action.query on its own connection, made when first
 * needed and again after it was lost.  Returns false only for an error
 * that stops the sink.
 */
static bool
run_action_query(SinkHeartbeat *hb)
{
	PGresult   *res;
	ExecStatusType status;
	const char *sqlstate;
	bool		ok = true;

	if (hb->conn == NULL)
	{
		hb->conn = sink_pg_connect(hb->cfg, false);
		if (hb->conn == NULL)
		{
			sink_log_error("could not execute heartbeat action query: no connection; trying again at the next heartbeat");
			return true;
		}
	}

	res = PQexec(hb->conn, hb->action_query);
	status = PQresultStatus(res);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
	{
		sink_log_debug("executed heartbeat action query");
		PQclear(res);
		return true;
	}

	sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	sink_log_error("could not execute heartbeat action query (error %s): %s",
				   sqlstate ? sqlstate : "none", PQerrorMessage(hb->conn));
	if (sqlstate && strcmp(sqlstate, SQLSTATE_UNDEFINED_TABLE) == 0)
	{
		sink_log_hint("Create the table it writes to, or correct \"heartbeat.action.query\".");
		ok = false;
	}

	/* a connection that is gone (57P01, 57P03, or any break): make it again */
	if (PQstatus(hb->conn) != CONNECTION_OK ||
		(sqlstate && (strcmp(sqlstate, SQLSTATE_ADMIN_SHUTDOWN) == 0 ||
					  strcmp(sqlstate, SQLSTATE_CANNOT_CONNECT_NOW) == 0)))
	{
		PQfinish(hb->conn);
		hb->conn = NULL;
	}
	/* last: sqlstate points into the result */
	PQclear(res);
	return ok;
}

/* Beat if due; see heartbeat.h. */
SinkHeartbeatResult
sink_heartbeat_tick(SinkHeartbeat *hb, SinkKafka *sk, SinkLsn *lsn,
					SinkLsnPtr position)
{
	int64_t		now = sink_mono_ms();
	char		value[256];		/* the longest form is 208 bytes */
	int			value_len;
	char		err[256];
	SinkLsnTxn *txn;
	SinkProduceResult result;

	if (hb == NULL || now < hb->next_ms)
		return SINK_HEARTBEAT_OK;
	hb->next_ms = now + hb->interval_ms;

	if (hb->value_schemas)
		value_len = snprintf(value, sizeof(value),
							 "{\"schema\":" VALUE_SCHEMA ",\"payload\":{\"ts_ms\":%" PRId64 "}}",
							 unix_ms());
	else
		value_len = snprintf(value, sizeof(value), "{\"ts_ms\":%" PRId64 "}",
							 unix_ms());

	/* a non-transactional entry of its own, after everything received */
	txn = sink_lsn_record(lsn, SINK_LSN_INVALID, position, now, err, sizeof(err));
	if (txn == NULL)
	{
		sink_log_error("could not account for a heartbeat: %s", err);
		return SINK_HEARTBEAT_KAFKA_FAILED;
	}
	result = sink_kafka_produce_heartbeat(sk, hb->topic, hb->key, strlen(hb->key),
										  value, (size_t) value_len, txn);
	switch (result)
	{
		case SINK_PRODUCE_OK:
			break;
		case SINK_PRODUCE_QUEUE_FULL:
		case SINK_PRODUCE_INTERRUPTED:

			/*
			 * The producer is busy with real records, which keep the
			 * connection alive anyway: skip this beat.  Its entry only holds
			 * a position that is safe to confirm once everything before it
			 * is, so it may leave the tracker as if delivered.
			 */
			sink_log_debug("heartbeat skipped: the producer queue is full");
			sink_lsn_delivered(lsn, txn, true);
			return SINK_HEARTBEAT_OK;
		case SINK_PRODUCE_ERROR:
			return SINK_HEARTBEAT_KAFKA_FAILED;
	}

	if (hb->action_query && !run_action_query(hb))
		return SINK_HEARTBEAT_FATAL;
	return SINK_HEARTBEAT_OK;
}

/* Free everything. */
void
sink_heartbeat_free(SinkHeartbeat *hb)
{
	if (hb == NULL)
		return;
	if (hb->conn)
		PQfinish(hb->conn);
	free(hb->topic);
	free(hb->key);
	free(hb);
}
