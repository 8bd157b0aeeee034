/*-------------------------------------------------------------------------
 *
 * repl.c
 *	  The replication loop of wal2dbz-sink, modelled on pg_recvlogical.
 *
 * One thread does everything, as in pg_recvlogical's StreamLogicalLog:
 * PQgetCopyData() without waiting, and when nothing is there, poll() on the
 * connection's socket until the next status deadline or a short librdkafka
 * tick, whichever is first.  Each XLogData message carries one frame of
 * the plugin's framed mode; its record goes to Kafka, and the flush LSN in
 * our standby status updates comes from lsn.c only, so PostgreSQL releases
 * WAL only for what Kafka has acknowledged.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/repl.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "frame.h"
#include "heartbeat.h"
#include "log.h"
#include "pgconn.h"
#include "repl.h"
#include "schema.h"
#include "snapshot.h"
#include "wal2dbz_frame.h"

/* the librdkafka tick: delivery reports are served at least this often */
#define KAFKA_TICK_MS			100

/* a non-forced status update goes out at most this often */
#define MIN_FEEDBACK_INTERVAL_MS 1000

/* the drain at shutdown, in slices between status updates */
#define DRAIN_TIMEOUT_MS		30000
#define DRAIN_SLICE_MS			1000

/* reconnect backoff */
#define RECONNECT_MIN_SECONDS	1
#define RECONNECT_MAX_SECONDS	30

/* seconds from the Unix epoch to the PostgreSQL epoch (2000-01-01) */
#define POSTGRES_EPOCH_OFFSET	INT64_C(946684800)

/* sizes of the replication protocol messages */
#define XLOGDATA_HEADER_SIZE	25	/* 'w', dataStart, walEnd, sendTime */
#define KEEPALIVE_SIZE			18	/* 'k', walEnd, sendTime, replyRequested */
#define FEEDBACK_SIZE			34	/* 'r', write, flush, apply, time, reply */

/* why one streaming session ended */
typedef enum StreamStopReason
{
	STOP_SIGNAL,				/* SIGINT or SIGTERM */
	STOP_ENDPOS,				/* --endpos reached */
	STOP_DISCONNECTED,			/* connection lost: reconnect */
	STOP_KAFKA_FAILED,			/* fatal producer error or failed delivery */
	STOP_SNAPSHOT_DONE,			/* snapshot.mode initial_only: done */
	STOP_FATAL					/* bad frame, bad slot: exit non-zero */
} StreamStopReason;

/*
 * Signal state: the first SIGINT/SIGTERM asks for a clean stop, a second
 * one cuts the drain short.  The handlers only set these flags: atomic,
 * like every stop flag, because in worker mode another thread sets them
 * (lock-free atomics are safe in a signal handler too).
 */
static atomic_int time_to_stop = 0;
static atomic_int time_to_abort = 0;
static bool signals_installed = false;

/*
 * The open connection, for the atexit safety net only: disconnect() is the
 * one release site, and clears this too.
 */
static PGconn *exit_conn = NULL;

/*
 * State of the replication loop that outlives one connection.
 */
typedef struct ReplState
{
	const SinkConfig *cfg;
	SinkKafka  *sk;
	SinkLsn    *lsn;
	SinkMetrics *metrics;
	const SinkReplOptions *opts;
	atomic_int *stop;	/* the signal flags, or the caller's */
	atomic_int *abort;
	PGconn	   *conn;			/* current connection, or NULL */
	SinkLsnPtr	received_lsn;	/* highest position seen from the server */
	SinkLsnPtr	sent_write;		/* last write position reported */
	SinkLsnPtr	sent_flush;		/* last flush position reported */
	int64_t		last_status_ms; /* when we last reported (monotonic) */
	int64_t		last_metrics_ms;
	SinkSchemas schemas;		/* SCHEMA frames of the current session */
	SinkHeartbeat *heartbeat;	/* of the current session; NULL: off */
	bool		snapshot_interrupted;	/* a connection was lost during a
										 * snapshot: retry even at first */
	bool		streamed;		/* streaming started once in this run */
	char		errbuf[512];
} ReplState;

/* Wall-clock microseconds since the PostgreSQL epoch, as feGetCurrentTimestamp. */
static int64_t
pg_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec - POSTGRES_EPOCH_OFFSET) * 1000000 +
		ts.tv_nsec / 1000;
}

/* Write a big-endian uint64, as fe_sendint64. */
static void
put_uint64(char *p, uint64_t v)
{
	int			i;

	for (i = 7; i >= 0; i--)
	{
		p[i] = (char) (v & 0xff);
		v >>= 8;
	}
}

/* Parse "X/X". */
bool
sink_parse_lsn(const char *s, SinkLsnPtr *lsn)
{
	unsigned int hi;
	unsigned int lo;
	char		tail;

	if (sscanf(s, "%X/%X%c", &hi, &lo, &tail) != 2)
		return false;
	*lsn = ((uint64_t) hi << 32) | lo;
	return true;
}

/* Safety net: close a connection left open by an unexpected exit(). */
static void
disconnect_atexit(void)
{
	if (exit_conn != NULL)
		PQfinish(exit_conn);
	exit_conn = NULL;
}

/* SIGINT/SIGTERM: ask for a stop; a second signal aborts the drain. */
static void
sigexit_handler(int signum)
{
	(void) signum;
	if (time_to_stop)
		time_to_abort = 1;
	time_to_stop = 1;
}

/*
 * Install the handlers, once, after the first connection exists (as
 * pg_recvlogical does, so that a password prompt can still be interrupted).
 * No SA_RESTART: poll() must return EINTR.
 */
static void
install_signal_handlers(void)
{
	struct sigaction sa;

	if (signals_installed)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sigexit_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signals_installed = true;
}

/* Publish the replication gauges, at most every KAFKA_TICK_MS. */
static void
update_metrics(ReplState *rs, bool force)
{
	int64_t		now = sink_mono_ms();
	int64_t		oldest = sink_lsn_oldest_time(rs->lsn);

	if (!force && now - rs->last_metrics_ms < KAFKA_TICK_MS)
		return;
	rs->last_metrics_ms = now;
	sink_metrics_set_progress(rs->metrics, rs->received_lsn, rs->sent_flush,
							  rs->lsn->in_flight,
							  oldest ? now - oldest : 0);
}

/*
 * Send a standby status update ('r'), as pg_recvlogical's sendFeedback.
 * The flush position is the durable LSN from lsn.c, never more.  Unless
 * forced, nothing is sent when nothing changed.
 */
static bool
send_feedback(ReplState *rs, bool force, bool reply_requested)
{
	char		replybuf[FEEDBACK_SIZE];
	SinkLsnPtr	flush = sink_lsn_flush(rs->lsn);
	SinkLsnPtr	write = rs->received_lsn > flush ? rs->received_lsn : flush;

	if (!force && write == rs->sent_write && flush == rs->sent_flush)
		return true;

	replybuf[0] = 'r';
	put_uint64(&replybuf[1], write);
	put_uint64(&replybuf[9], flush);
	put_uint64(&replybuf[17], 0);	/* apply: invalid */
	put_uint64(&replybuf[25], (uint64_t) pg_now_us());
	replybuf[33] = reply_requested ? 1 : 0;

	if (sink_log_enabled(SINK_LOG_TRACE) || flush != rs->sent_flush)
		sink_log_debug("confirming write " SINK_LSN_FORMAT " flush " SINK_LSN_FORMAT,
					   SINK_LSN_ARGS(write), SINK_LSN_ARGS(flush));

	if (PQputCopyData(rs->conn, replybuf, sizeof(replybuf)) <= 0 ||
		PQflush(rs->conn))
	{
		sink_log_error("could not send feedback packet: %s",
					   PQerrorMessage(rs->conn));
		return false;
	}
	rs->sent_write = write;
	rs->sent_flush = flush;
	rs->last_status_ms = sink_mono_ms();
	update_metrics(rs, true);
	return true;
}

/*
 * Send a status update if one is due: forced every status interval
 * ("otherwise wal_sender_timeout will kill us"), and otherwise soon after
 * the flush position moved, so that WAL is released promptly.
 */
static bool
feedback_if_due(ReplState *rs)
{
	int64_t		now = sink_mono_ms();
	int			interval = rs->cfg->status_interval_ms;

	if (interval > 0 && now - rs->last_status_ms >= interval)
		return send_feedback(rs, true, false);
	if (now - rs->last_status_ms >= MIN_FEEDBACK_INTERVAL_MS &&
		sink_lsn_flush(rs->lsn) != rs->sent_flush)
		return send_feedback(rs, false, false);
	return true;
}

/* Run one command that must succeed with tuples or completion. */
static PGresult *
run_command(PGconn *conn, const char *sql, ExecStatusType expected)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != expected)
	{
		sink_log_error("could not send replication command \"%s\": %s",
					   sql, PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/*
 * Append s between two "quote" characters, doubling any inside: an
 * identifier with '"', a literal with '\'' (the replication grammar has
 * no E'' strings).
 */
static bool
append_quoted(char **buf, size_t *len, size_t *cap, const char *s, char quote)
{
	size_t		need = *len + 2 * strlen(s) + 3;
	const char *p;

	if (need > *cap)
	{
		size_t		newcap = need * 2;
		char	   *nbuf = realloc(*buf, newcap);

		if (nbuf == NULL)
			return false;
		*buf = nbuf;
		*cap = newcap;
	}
	(*buf)[(*len)++] = quote;
	for (p = s; *p; p++)
	{
		if (*p == quote)
			(*buf)[(*len)++] = quote;
		(*buf)[(*len)++] = *p;
	}
	(*buf)[(*len)++] = quote;
	(*buf)[*len] = '\0';
	return true;
}

/* Append a double-quoted identifier. */
static bool
append_ident(char **buf, size_t *len, size_t *cap, const char *s)
{
	return append_quoted(buf, len, cap, s, '"');
}

/* Append a single-quoted literal. */
static bool
append_literal(char **buf, size_t *len, size_t *cap, const char *s)
{
	return append_quoted(buf, len, cap, s, '\'');
}

/* Append plain text. */
static bool
append_text(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t		n = strlen(s);

	if (*len + n + 1 > *cap)
	{
		size_t		newcap = (*len + n + 1) * 2;
		char	   *nbuf = realloc(*buf, newcap);

		if (nbuf == NULL)
			return false;
		*buf = nbuf;
		*cap = newcap;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return true;
}

/*
 * Build START_REPLICATION SLOT "slot" LOGICAL 0/0 ("output.format"
 * 'framed', "name" 'value', ...) with every plugin-side property forwarded
 * under its own name.  0/0 makes the server start at the slot's
 * confirmed_flush_lsn.  The caller frees the result.
 */
static char *
build_start_command(const SinkConfig *cfg)
{
	char	   *buf = NULL;
	size_t		len = 0;
	size_t		cap = 0;
	bool		ok = true;
	int			i;

	ok &= append_text(&buf, &len, &cap, "START_REPLICATION SLOT ");
	ok &= append_ident(&buf, &len, &cap, cfg->slot_name);
	ok &= append_text(&buf, &len, &cap, " LOGICAL 0/0 (");
	ok &= append_ident(&buf, &len, &cap, "output.format");
	ok &= append_text(&buf, &len, &cap, " ");
	ok &= append_literal(&buf, &len, &cap, "framed");

	/*
	 * The state table's writes must not even open a transaction on the
	 * transaction topic: Debezium has no such table.
	 */
	ok &= append_text(&buf, &len, &cap, ", ");
	ok &= append_ident(&buf, &len, &cap, "state.schema");
	ok &= append_text(&buf, &len, &cap, " ");
	ok &= append_literal(&buf, &len, &cap, SINK_STATE_SCHEMA);
	for (i = 0; i < cfg->nprops && ok; i++)
	{
		if (!sink_config_is_plugin_option(cfg->props[i].name))
			continue;
		ok &= append_text(&buf, &len, &cap, ", ");
		ok &= append_ident(&buf, &len, &cap, cfg->props[i].name);
		ok &= append_text(&buf, &len, &cap, " ");
		ok &= append_literal(&buf, &len, &cap, cfg->props[i].value);
	}
	ok &= append_text(&buf, &len, &cap, ")");
	if (!ok)
	{
		free(buf);
		sink_log_error("out of memory");
		return NULL;
	}
	return buf;
}

/*
 * Look up the slot: if it exists, it must use our plugin and belong to this
 * database.  Fills *info (snapshot.c creates a missing slot).  Returns
 * STOP_FATAL for a slot we must not use, STOP_DISCONNECTED for errors that
 * may pass, -1 to go on.
 */
static int
prepare_slot(ReplState *rs, const char *dbname, SinkSlotInfo *info)
{
	PGconn	   *conn = rs->conn;
	const char *slot = rs->cfg->slot_name;
	char		sql[512];
	PGresult   *res;
	char	   *lit;

	memset(info, 0, sizeof(*info));

	/* a walsender in database mode runs simple SQL queries too */
	lit = PQescapeLiteral(conn, slot, strlen(slot));
	if (lit == NULL)
	{
		sink_log_error("could not quote slot name: %s", PQerrorMessage(conn));
		return STOP_DISCONNECTED;
	}
	snprintf(sql, sizeof(sql),
			 "SELECT s.plugin, s.slot_type, d.datname, s.confirmed_flush_lsn, %s "
			 "FROM pg_catalog.pg_replication_slots s "
			 "LEFT JOIN pg_catalog.pg_database d ON d.oid = s.datoid "
			 "WHERE s.slot_name = %s",
			 PQserverVersion(conn) >= 130000 ? "s.wal_status = 'lost'" : "false",
			 lit);
	PQfreemem(lit);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		sink_log_error("could not look up replication slot \"%s\": %s",
					   slot, PQerrorMessage(conn));
		PQclear(res);
		return STOP_DISCONNECTED;
	}

	if (PQntuples(res) == 1)
	{
		const char *plugin = PQgetvalue(res, 0, 0);
		const char *slot_type = PQgetvalue(res, 0, 1);
		const char *slot_db = PQgetvalue(res, 0, 2);

		if (strcmp(slot_type, "logical") != 0)
		{
			sink_log_error("replication slot \"%s\" is a %s slot, not a logical one",
						   slot, slot_type);
			sink_log_hint("Set \"slot.name\" to another slot.");
			PQclear(res);
			return STOP_FATAL;
		}
		if (strcmp(plugin, SINK_PLUGIN_NAME) != 0)
		{
			sink_log_error("replication slot \"%s\" uses output plugin \"%s\", not \"%s\"",
						   slot, plugin, SINK_PLUGIN_NAME);
			sink_log_hint("Set \"slot.name\" to another slot, or drop this one if nothing else uses it.");
			PQclear(res);
			return STOP_FATAL;
		}
		if (strcmp(slot_db, dbname) != 0)
		{
			sink_log_error("replication slot \"%s\" belongs to database \"%s\", not \"%s\"",
						   slot, slot_db, dbname);
			sink_log_hint("Set \"slot.name\" to another slot, or \"database.dbname\" to \"%s\".",
						  slot_db);
			PQclear(res);
			return STOP_FATAL;
		}
		info->exists = true;
		if (!PQgetisnull(res, 0, 3))
			sink_parse_lsn(PQgetvalue(res, 0, 3), &info->confirmed);
		info->invalidated = PQgetvalue(res, 0, 4)[0] == 't';
	}
	PQclear(res);
	return -1;
}

/*
 * Connect, check the system, prepare the slot and start streaming.
 * Returns -1 when streaming has started, else why not.
 */
static int
start_streaming(ReplState *rs)
{
	PGresult   *res;
	char	   *cmd;
	char	   *dbname;
	SinkLsnPtr	confirmed;
	SinkSlotInfo slot;
	SinkSnapshotEnv env;
	int			rc;

	/* schema ids start again in every decoding session */
	sink_schemas_reset(&rs->schemas);

	rs->conn = sink_pg_connect(rs->cfg, true);
	if (rs->conn == NULL)
		return STOP_DISCONNECTED;
	sink_metrics_set_connected(rs->metrics, true);
	/* a caller with its own stop flags (worker mode) handles signals */
	if (rs->opts->stop == NULL)
	{
		exit_conn = rs->conn;

		/* handlers only once a connection exists, as pg_recvlogical */
		install_signal_handlers();
	}

	res = run_command(rs->conn, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK);
	if (res == NULL)
		return STOP_DISCONNECTED;
	if (PQntuples(res) != 1 || PQnfields(res) < 4)
	{
		sink_log_error("could not identify system: got %d rows and %d fields, expected %d rows and %d or more fields",
					   PQntuples(res), PQnfields(res), 1, 4);
		PQclear(res);
		return STOP_FATAL;
	}
	if (PQgetisnull(res, 0, 3))
	{
		sink_log_error("replication connection is unexpectedly not database specific");
		PQclear(res);
		return STOP_FATAL;
	}
	dbname = strdup(PQgetvalue(res, 0, 3));
	PQclear(res);
	if (dbname == NULL)
	{
		sink_log_error("out of memory");
		return STOP_FATAL;
	}

	rc = prepare_slot(rs, dbname, &slot);
	free(dbname);
	if (rc >= 0)
		return rc;

	/* the slot we streamed from has gone: what happened meanwhile is lost */
	if (!slot.exists && rs->streamed && rs->opts->fail_on_lost_slot &&
		strcmp(rs->cfg->snapshot_mode, "when_needed") != 0)
	{
		sink_log_error("replication slot \"%s\" was dropped while in use: the changes made since the last confirmed position are lost",
					   rs->cfg->slot_name);
		sink_log_hint("Restart the connector to create the slot again (with \"snapshot.mode\" \"when_needed\", it does so by itself and takes a new snapshot).");
		return STOP_FATAL;
	}

	/* create a missing slot; snapshot as snapshot.mode asks */
	env.cfg = rs->cfg;
	env.sk = rs->sk;
	env.lsn = rs->lsn;
	env.metrics = rs->metrics;
	env.stop = rs->stop;
	env.abort = rs->abort;
	switch (sink_snapshot_before_streaming(&env, rs->conn, &slot, &confirmed))
	{
		case SINK_SNAPSHOT_STREAM:
			break;
		case SINK_SNAPSHOT_DONE:
			return STOP_SNAPSHOT_DONE;
		case SINK_SNAPSHOT_STOPPED:
			return STOP_SIGNAL;
		case SINK_SNAPSHOT_INTERRUPTED:
			rs->snapshot_interrupted = true;
			return STOP_DISCONNECTED;
		case SINK_SNAPSHOT_DISCONNECTED:
			return STOP_DISCONNECTED;
		case SINK_SNAPSHOT_KAFKA_FAILED:
			return STOP_KAFKA_FAILED;
		case SINK_SNAPSHOT_FATAL:
			return STOP_FATAL;
	}

	/* never report less than the slot already has */
	sink_lsn_raise(rs->lsn, confirmed);

	cmd = build_start_command(rs->cfg);
	if (cmd == NULL)
		return STOP_FATAL;
	sink_log_debug("%s", cmd);
	res = PQexec(rs->conn, cmd);
	if (PQresultStatus(res) != PGRES_COPY_BOTH)
	{
		sink_log_error("could not send replication command \"%s\": %s",
					   cmd, PQresultErrorMessage(res));
		PQclear(res);
		free(cmd);
		return STOP_DISCONNECTED;
	}
	PQclear(res);
	free(cmd);

	sink_log_info("streaming from replication slot \"%s\" at " SINK_LSN_FORMAT,
				  rs->cfg->slot_name, SINK_LSN_ARGS(confirmed));
	{
		bool		failed;

		/* heartbeat.interval.ms: a timer and a connection per session */
		rs->heartbeat = sink_heartbeat_new(rs->cfg, &failed);
		if (failed)
			return STOP_FATAL;
	}
	rs->sent_write = rs->sent_flush = SINK_LSN_INVALID;
	rs->last_status_ms = 0;
	sink_metrics_set_streaming(rs->metrics, true);
	return -1;
}

/*
 * Hand one RECORD frame to the producer.  A full producer queue is waited
 * out here while delivery reports are served and status updates keep the
 * walsender from timing out.
 */
static int
handle_record(ReplState *rs, const SinkFrame *frame)
{
	SinkLsnTxn *txn;
	SinkProduceResult result;
	SinkSchema *schema = NULL;

	if (frame->schema_id != 0)
	{
		schema = sink_schemas_get(&rs->schemas, frame->schema_id);
		if (schema == NULL)
		{
			sink_log_error("invalid frame sequence at " SINK_LSN_FORMAT ": record refers to schema id %u, which the plugin has not sent",
						   SINK_LSN_ARGS(frame->change_lsn), frame->schema_id);
			return STOP_FATAL;
		}
	}

	txn = sink_lsn_record(rs->lsn, frame->commit_lsn, frame->change_lsn,
						  sink_mono_ms(), rs->errbuf, sizeof(rs->errbuf));
	if (txn == NULL)
	{
		sink_log_error("invalid frame sequence at " SINK_LSN_FORMAT ": %s",
					   SINK_LSN_ARGS(frame->change_lsn), rs->errbuf);
		return STOP_FATAL;
	}

	while ((result = sink_kafka_produce(rs->sk, frame, schema, txn)) ==
		   SINK_PRODUCE_QUEUE_FULL)
	{
		sink_kafka_poll(rs->sk, KAFKA_TICK_MS);
		if (!feedback_if_due(rs))
			return STOP_DISCONNECTED;
		if (*rs->stop)
			return STOP_SIGNAL; /* this record is not confirmed */
	}
	if (result == SINK_PRODUCE_INTERRUPTED)
		return STOP_SIGNAL;
	if (result == SINK_PRODUCE_ERROR)
		return STOP_KAFKA_FAILED;
	return -1;
}

/*
 * Handle one frame of an XLogData message.  Returns -1 to go on, or why to
 * stop.
 */
static int
handle_frame(ReplState *rs, const SinkFrame *frame, SinkLsnPtr data_start)
{
	SinkLsnPtr	endpos = rs->opts->endpos;

	if (sink_log_enabled(SINK_LOG_TRACE))
		sink_log_trace("frame %c flags 0x%02x change " SINK_LSN_FORMAT " commit " SINK_LSN_FORMAT " schema %u topic \"%.*s\" key %d bytes value %d bytes",
					   frame->kind, frame->flags,
					   SINK_LSN_ARGS(frame->change_lsn),
					   SINK_LSN_ARGS(frame->commit_lsn), frame->schema_id,
					   (int) frame->topic_len, frame->topic,
					   frame->key_len, frame->value_len);

	/* a schema: remember it for the records that follow */
	if (frame->kind == WAL2DBZ_FRAME_SCHEMA)
	{
		if (!sink_schemas_add(&rs->schemas, frame, rs->errbuf,
							  sizeof(rs->errbuf)))
		{
			sink_log_error("invalid SCHEMA frame at " SINK_LSN_FORMAT ": %s",
						   SINK_LSN_ARGS(data_start), rs->errbuf);
			return STOP_FATAL;
		}
		return -1;
	}

	/*
	 * Stop before anything that ends after --endpos, as pg_recvlogical does;
	 * the transactions before it are drained and confirmed.
	 */
	if (endpos != SINK_LSN_INVALID &&
		(frame->commit_lsn ? frame->commit_lsn : frame->change_lsn) > endpos)
	{
		sink_log_debug("end position " SINK_LSN_FORMAT " reached by a frame at " SINK_LSN_FORMAT,
					   SINK_LSN_ARGS(endpos), SINK_LSN_ARGS(data_start));
		return STOP_ENDPOS;
	}

	if (frame->kind == WAL2DBZ_FRAME_COMMIT)
	{
		if (!sink_lsn_commit(rs->lsn, frame->commit_lsn, rs->errbuf,
							 sizeof(rs->errbuf)))
		{
			sink_log_error("invalid frame sequence at " SINK_LSN_FORMAT ": %s",
						   SINK_LSN_ARGS(data_start), rs->errbuf);
			return STOP_FATAL;
		}
		return -1;
	}
	return handle_record(rs, frame);
}

/*
 * Handle one XLogData message: one frame, or several back to back (the
 * plugin's framed.batch.bytes).  Returns -1 to go on, or why to stop.
 */
static int
handle_xlogdata(ReplState *rs, const char *copybuf, int len)
{
	SinkLsnPtr	data_start;
	SinkLsnPtr	wal_end;
	size_t		pos;

	if (len < XLOGDATA_HEADER_SIZE)
	{
		sink_log_error("streaming header too small: %d", len);
		return STOP_FATAL;
	}
	data_start = sink_get_uint64(copybuf + 1);
	wal_end = sink_get_uint64(copybuf + 9);
	if (data_start > rs->received_lsn)
		rs->received_lsn = data_start;
	if (wal_end > rs->received_lsn)
		rs->received_lsn = wal_end;

	pos = XLOGDATA_HEADER_SIZE;
	if (pos == (size_t) len)
	{
		sink_log_error("empty message from the plugin at " SINK_LSN_FORMAT,
					   SINK_LSN_ARGS(data_start));
		return STOP_FATAL;
	}
	while (pos < (size_t) len)
	{
		SinkFrame	frame;
		size_t		consumed;
		int			rc;

		if (!sink_frame_parse(copybuf + pos, (size_t) len - pos, &frame,
							  &consumed, rs->errbuf, sizeof(rs->errbuf)))
		{
			sink_log_error("invalid frame from the plugin at " SINK_LSN_FORMAT " (byte %zu of the message): %s",
						   SINK_LSN_ARGS(data_start),
						   pos - XLOGDATA_HEADER_SIZE, rs->errbuf);
			return STOP_FATAL;
		}
		rc = handle_frame(rs, &frame, data_start);
		if (rc >= 0)
			return rc;
		pos += consumed;
	}
	return -1;
}

/*
 * Handle one keepalive: remember the server's position, confirm it when
 * nothing is in flight, and answer at once if asked.
 */
static int
handle_keepalive(ReplState *rs, const char *copybuf, int len)
{
	SinkLsnPtr	wal_end;
	bool		reply_requested;

	if (len < KEEPALIVE_SIZE)
	{
		sink_log_error("streaming header too small: %d", len);
		return STOP_FATAL;
	}
	wal_end = sink_get_uint64(copybuf + 1);
	reply_requested = copybuf[17] != 0;

	if (wal_end > rs->received_lsn)
		rs->received_lsn = wal_end;
	sink_lsn_keepalive(rs->lsn, wal_end);

	if (reply_requested && !send_feedback(rs, true, false))
		return STOP_DISCONNECTED;
	return -1;
}

/*
 * The streaming loop proper, as StreamLogicalLog.  Returns why it stopped;
 * the connection is still open.
 */
static StreamStopReason
stream_loop(ReplState *rs)
{
	char	   *copybuf = NULL;
	int			rc;

	for (;;)
	{
		int			r;
		SinkLsnPtr	endpos = rs->opts->endpos;

		/* the previous message is done with: one release site */
		if (copybuf != NULL)
		{
			PQfreemem(copybuf);
			copybuf = NULL;
		}

		sink_kafka_poll(rs->sk, 0);
		update_metrics(rs, false);

		if (sink_kafka_failed(rs->sk))
			return STOP_KAFKA_FAILED;
		if (*rs->stop)
			return STOP_SIGNAL;
		if (endpos != SINK_LSN_INVALID && sink_lsn_flush(rs->lsn) >= endpos)
			return STOP_ENDPOS;

		if (!feedback_if_due(rs))
			return STOP_DISCONNECTED;

		/* a heartbeat, if due: between transactions, as Debezium */
		if (rs->lsn->open == NULL)
		{
			switch (sink_heartbeat_tick(rs->heartbeat, rs->sk, rs->lsn,
										rs->received_lsn))
			{
				case SINK_HEARTBEAT_OK:
					break;
				case SINK_HEARTBEAT_KAFKA_FAILED:
					return STOP_KAFKA_FAILED;
				case SINK_HEARTBEAT_FATAL:
					return STOP_FATAL;
			}
		}

		r = PQgetCopyData(rs->conn, &copybuf, 1);
		if (r == 0)
		{
			struct pollfd pfd;
			int			timeout = KAFKA_TICK_MS;
			int			interval = rs->cfg->status_interval_ms;

			/* wake for the next forced status update if it comes first */
			if (interval > 0)
			{
				int64_t		until = rs->last_status_ms + interval - sink_mono_ms();

				if (until < timeout)
					timeout = until > 0 ? (int) until : 0;
			}

			timeout = sink_heartbeat_timeout(rs->heartbeat, timeout);
			pfd.fd = PQsocket(rs->conn);
			pfd.events = POLLIN;
			pfd.revents = 0;
			if (pfd.fd < 0)
			{
				sink_log_error("invalid socket: %s", PQerrorMessage(rs->conn));
				return STOP_DISCONNECTED;
			}
			r = poll(&pfd, 1, timeout);
			if (r == 0 || (r < 0 && errno == EINTR))
				continue;
			if (r < 0)
			{
				sink_log_error("poll() failed: %m");
				return STOP_DISCONNECTED;
			}
			if (PQconsumeInput(rs->conn) == 0)
			{
				sink_log_error("could not receive data from WAL stream: %s",
							   PQerrorMessage(rs->conn));
				return STOP_DISCONNECTED;
			}
			continue;
		}
		if (r == -1)
		{
			/* the server ended the COPY: find out why */
			PGresult   *res = PQgetResult(rs->conn);

			if (PQresultStatus(res) != PGRES_COMMAND_OK)
				sink_log_error("unexpected termination of replication stream: %s",
							   PQresultErrorMessage(res));
			else
				sink_log_warning("the server ended the replication stream");
			PQclear(res);
			return STOP_DISCONNECTED;
		}
		if (r == -2)
		{
			sink_log_error("could not read COPY data: %s",
						   PQerrorMessage(rs->conn));
			return STOP_DISCONNECTED;
		}

		if (copybuf[0] == 'k')
			rc = handle_keepalive(rs, copybuf, r);
		else if (copybuf[0] == 'w')
			rc = handle_xlogdata(rs, copybuf, r);
		else
		{
			sink_log_error("unrecognized streaming header: \"%c\"", copybuf[0]);
			rc = STOP_FATAL;
		}
		if (rc >= 0)
		{
			PQfreemem(copybuf);
			return (StreamStopReason) rc;
		}
	}
}

/*
 * End a session that is still connected: drain the producer (unless it
 * failed), confirm what is durable, end the COPY and collect the server's
 * final result, as pg_recvlogical's prepareToTerminate.
 */
static void
finish_streaming(ReplState *rs, StreamStopReason reason)
{
	char	   *copybuf = NULL;
	PGresult   *res;
	int			r;

	if (reason == STOP_SIGNAL || reason == STOP_ENDPOS)
	{
		int64_t		deadline = sink_mono_ms() + DRAIN_TIMEOUT_MS;
		int			remaining;

		/* drain in slices, keeping the walsender informed in between */
		do
		{
			remaining = sink_kafka_drain(rs->sk, DRAIN_SLICE_MS,
										 rs->abort);
			if (!feedback_if_due(rs))
				break;
		} while (remaining > 0 && !*rs->abort &&
				 !sink_kafka_failed(rs->sk) && sink_mono_ms() < deadline);
		if (remaining > 0)
			sink_log_warning("%d record(s) were not acknowledged by Kafka; they are not confirmed and will be sent again on restart",
							 remaining);
	}

	/* the final status update: only what is durable */
	if (!send_feedback(rs, true, false))
		return;

	if (PQputCopyEnd(rs->conn, NULL) <= 0 || PQflush(rs->conn))
	{
		sink_log_error("could not send copy-end packet: %s",
					   PQerrorMessage(rs->conn));
		return;
	}

	/* drain what the server still sends, so no ErrorResponse is lost */
	res = PQgetResult(rs->conn);
	if (PQresultStatus(res) == PGRES_COPY_OUT || PQresultStatus(res) == PGRES_COPY_BOTH)
	{
		PQclear(res);
		while ((r = PQgetCopyData(rs->conn, &copybuf, 0)) >= 0)
		{
			PQfreemem(copybuf);
			copybuf = NULL;
		}
		res = PQgetResult(rs->conn);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		sink_log_warning("unexpected termination of replication stream: %s",
						 PQresultErrorMessage(res));
	PQclear(res);
	/* the walsender reports completion of START_REPLICATION separately */
	while ((res = PQgetResult(rs->conn)) != NULL)
		PQclear(res);

	if (rs->cfg->slot_drop_on_stop &&
		(reason == STOP_SIGNAL || reason == STOP_ENDPOS))
	{
		char		sql[256];

		snprintf(sql, sizeof(sql), "DROP_REPLICATION_SLOT \"%s\"",
				 rs->cfg->slot_name);
		res = run_command(rs->conn, sql, PGRES_COMMAND_OK);
		if (res)
		{
			sink_log_info("dropped replication slot \"%s\" (slot.drop.on.stop)",
						  rs->cfg->slot_name);
			PQclear(res);
		}
	}
}

/* Close the current connection, if any. */
static void
disconnect(ReplState *rs)
{
	if (rs->conn)
	{
		if (exit_conn == rs->conn)
			exit_conn = NULL;
		PQfinish(rs->conn);
		rs->conn = NULL;
	}
	sink_heartbeat_free(rs->heartbeat);
	rs->heartbeat = NULL;
	sink_metrics_set_streaming(rs->metrics, false);
	sink_metrics_set_connected(rs->metrics, false);
}

/*
 * Wait before reconnecting, still serving delivery reports so that the
 * producer drains and nothing it acknowledges is forgotten.  Returns false
 * if a stop was requested meanwhile.
 */
static bool
reconnect_wait(ReplState *rs, int seconds)
{
	int64_t		until = sink_mono_ms() + (int64_t) seconds * 1000;

	while (sink_mono_ms() < until)
	{
		sink_kafka_poll(rs->sk, KAFKA_TICK_MS);
		update_metrics(rs, false);
		if (*rs->stop || sink_kafka_failed(rs->sk))
			return false;
	}
	return true;
}

/* Stream until stopped; see repl.h. */
int
sink_repl_run(const SinkConfig *cfg, SinkKafka *sk, SinkLsn *lsn,
			  SinkMetrics *metrics, const SinkReplOptions *opts)
{
	ReplState	rs;
	int			backoff = RECONNECT_MIN_SECONDS;
	bool		ever_streamed = false;
	int			retries = 0;	/* failed reconnects in a row */

	memset(&rs, 0, sizeof(rs));
	rs.cfg = cfg;
	rs.sk = sk;
	rs.lsn = lsn;
	rs.metrics = metrics;
	rs.opts = opts;
	rs.stop = opts->stop ? opts->stop : &time_to_stop;
	rs.abort = opts->abort ? opts->abort : &time_to_abort;
	sink_kafka_set_interrupt(sk, rs.stop);
	/* a connection attempt (stream, snapshot, heartbeat) ends on a stop too */
	sink_pg_set_interrupt(rs.stop);
	if (opts->stop == NULL)
		atexit(disconnect_atexit);

	for (;;)
	{
		int			rc;
		StreamStopReason reason;

		rc = start_streaming(&rs);
		if (rc < 0)
		{
			ever_streamed = true;
			rs.streamed = true;
			backoff = RECONNECT_MIN_SECONDS;
			retries = 0;
			reason = stream_loop(&rs);
			if (reason != STOP_DISCONNECTED)
				finish_streaming(&rs, reason);
		}
		else
			reason = (StreamStopReason) rc;
		disconnect(&rs);
		sink_schemas_reset(&rs.schemas);

		switch (reason)
		{
			case STOP_SIGNAL:
				if (*rs.abort)
				{
					sink_log_info("aborted");
					return 1;
				}
				sink_log_info("stopped; confirmed " SINK_LSN_FORMAT,
							  SINK_LSN_ARGS(sink_lsn_flush(lsn)));
				return 0;
			case STOP_SNAPSHOT_DONE:
				sink_log_info("stopped after the snapshot (snapshot.mode initial_only)");
				return 0;
			case STOP_ENDPOS:
				sink_log_info("end position " SINK_LSN_FORMAT " reached; confirmed " SINK_LSN_FORMAT,
							  SINK_LSN_ARGS(opts->endpos),
							  SINK_LSN_ARGS(sink_lsn_flush(lsn)));
				return 0;
			case STOP_KAFKA_FAILED:
				sink_log_error("stopping after a Kafka error; confirmed position stays at " SINK_LSN_FORMAT,
							   SINK_LSN_ARGS(sink_lsn_flush(lsn)));
				return 1;
			case STOP_FATAL:
				return 1;
			case STOP_DISCONNECTED:
				break;
		}

		/* a lost connection: the open transaction will come again in full */
		sink_lsn_disconnected(lsn);
		sink_metrics_error(metrics);
		if (!ever_streamed && !rs.snapshot_interrupted)
			return 1;
		if (opts->no_loop)
		{
			sink_log_error("disconnected");
			return 1;
		}
		if (opts->limit_retries && retries++ >= opts->max_retries)
		{
			sink_log_error("disconnected, and %d attempt(s) to reconnect failed; giving up (errors.max.retries)",
						   opts->max_retries);
			return 1;
		}
		sink_log_info("disconnected; waiting %d seconds to try again",
					  backoff);
		sink_metrics_reconnect(metrics);
		if (!reconnect_wait(&rs, backoff))
		{
			if (sink_kafka_failed(sk))
				return 1;
			sink_kafka_drain(sk, DRAIN_TIMEOUT_MS, rs.abort);
			sink_log_info("stopped while disconnected; confirmed " SINK_LSN_FORMAT " at the last status update",
						  SINK_LSN_ARGS(rs.sent_flush));
			return 0;
		}
		backoff = backoff * 2 > RECONNECT_MAX_SECONDS ?
			RECONNECT_MAX_SECONDS : backoff * 2;
	}
}
