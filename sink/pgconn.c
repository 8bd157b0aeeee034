/*-------------------------------------------------------------------------
 *
 * pgconn.c
 *	  Open a libpq connection from the database.* properties.
 *
 * Keyword/value arrays, not a connection string, so that no value needs
 * quoting and the password never appears in a string we could log.
 *
 * The connection is made with PQconnectStartParams() and PQconnectPoll()
 * rather than PQconnectdbParams(), so that it has a deadline of its own
 * (libpq enforces connect_timeout only in its blocking calls) and gives
 * up at once when the thread's owner asks it to stop: a host that never
 * answers must not hold up a connector's stop or the worker's shutdown.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/pgconn.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "log.h"
#include "pgconn.h"

/* Debezium property → libpq keyword */
static const struct
{
	const char *property;
	const char *keyword;
}			pg_keywords[] = {
	{"database.hostname", "host"},
	{"database.port", "port"},
	{"database.user", "user"},
	{"database.password", "password"},
	{"database.dbname", "dbname"},
	{"database.sslmode", "sslmode"},
	{"database.sslrootcert", "sslrootcert"},
	{"database.sslcert", "sslcert"},
	{"database.sslkey", "sslkey"},
};

#define NUM_PG_KEYWORDS ((int) (sizeof(pg_keywords) / sizeof(pg_keywords[0])))

/*
 * database.connectTimeout: pgjdbc's connectTimeout, which Debezium passes
 * through from its database.* properties, in seconds, with its default
 */
#define CONNECT_TIMEOUT_PROPERTY	"database.connectTimeout"
#define DEFAULT_CONNECT_TIMEOUT_S	10

/* how often a connection attempt looks at the stop flag */
#define CONNECT_TICK_MS		100

/* the calling thread's stop flag (sink_pg_set_interrupt) */
static __thread atomic_int *connect_interrupt = NULL;

/* Give up connecting when *flag is set; see pgconn.h. */
void
sink_pg_set_interrupt(atomic_int *flag)
{
	connect_interrupt = flag;
}

/* The connect timeout in seconds (0: none); config.c checked the range. */
static int
connect_timeout_s(const SinkConfig *cfg)
{
	const char *v = sink_config_get(cfg, CONNECT_TIMEOUT_PROPERTY);

	return v ? atoi(v) : DEFAULT_CONNECT_TIMEOUT_S;
}

/*
 * Drive PQconnectPoll() to the end, as libpq's documentation describes
 * (start as if it had asked to write), waking every CONNECT_TICK_MS to
 * look at the stop flag and the deadline.  Returns true once connected;
 * false after logging why not.
 */
static bool
connect_poll(PGconn *conn, int timeout_s)
{
	PostgresPollingStatusType status = PGRES_POLLING_WRITING;
	int64_t		deadline = timeout_s > 0 ? sink_mono_ms() + (int64_t) timeout_s * 1000 : 0;

	for (;;)
	{
		struct pollfd pfd;
		int			wait_ms = CONNECT_TICK_MS;
		int			rc;

		if (status == PGRES_POLLING_OK)
			return true;
		if (status == PGRES_POLLING_FAILED)
		{
			sink_log_error("could not connect to the server: %s",
						   PQerrorMessage(conn));
			return false;
		}
		if (connect_interrupt && *connect_interrupt)
		{
			sink_log_info("connection attempt to the server at \"%s\", port %s abandoned: a stop was requested",
						  PQhost(conn), PQport(conn));
			return false;
		}
		if (deadline)
		{
			int64_t		left = deadline - sink_mono_ms();

			if (left <= 0)
			{
				sink_log_error("could not connect to the server at \"%s\", port %s: no answer within %d s (\"%s\")",
							   PQhost(conn), PQport(conn), timeout_s,
							   CONNECT_TIMEOUT_PROPERTY);
				return false;
			}
			if (left < wait_ms)
				wait_ms = (int) left;
		}

		/* the socket may change from one host or address to the next */
		pfd.fd = PQsocket(conn);
		pfd.events = status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		pfd.revents = 0;
		if (pfd.fd < 0)
		{
			status = PQconnectPoll(conn);
			continue;
		}
		rc = poll(&pfd, 1, wait_ms);
		if (rc < 0 && errno != EINTR)
		{
			sink_log_error("could not connect to the server: poll() failed: %m");
			return false;
		}
		if (rc > 0)
			status = PQconnectPoll(conn);
	}
}

/*
 * Run database.initial.statements on a new connection, as Debezium runs
 * them on each JDBC connection (not on the replication connection): split
 * at ';', where ";;" stands for a semicolon inside a statement.  The first
 * failure is logged with the statement's number and fails the connection.
 */
static bool
run_initial_statements(const SinkConfig *cfg, PGconn *conn)
{
	const char *list = sink_config_get(cfg, "database.initial.statements");
	char	   *stmt;
	size_t		len = 0;
	int			number = 0;
	const char *p;
	bool		ok = true;

	if (list == NULL || list[0] == '\0')
		return true;
	stmt = malloc(strlen(list) + 1);
	if (stmt == NULL)
	{
		sink_log_error("out of memory");
		return false;
	}
	for (p = list;; p++)
	{
		if (*p == ';' && p[1] == ';')
		{
			stmt[len++] = ';';
			p++;
			continue;
		}
		if (*p != ';' && *p != '\0')
		{
			stmt[len++] = *p;
			continue;
		}
		stmt[len] = '\0';
		if (strspn(stmt, " \t\r\n") < len)
		{
			PGresult   *res = PQexec(conn, stmt);

			number++;
			if (PQresultStatus(res) != PGRES_COMMAND_OK &&
				PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

				sink_log_error("database.initial.statements: statement %d failed: %s",
							   number, msg ? msg : PQerrorMessage(conn));
				sink_log_hint("Fix the statement; statements are separated by ';', and ';;' is a semicolon inside one.");
				ok = false;
			}
			PQclear(res);
		}
		len = 0;
		if (*p == '\0' || !ok)
			break;
	}
	free(stmt);
	return ok;
}

/* Connect; see pgconn.h. */
PGconn *
sink_pg_connect(const SinkConfig *cfg, bool replication)
{
	const char *keywords[NUM_PG_KEYWORDS + 5];
	const char *values[NUM_PG_KEYWORDS + 5];
	int			n = 0;
	int			i;
	int			timeout_s = connect_timeout_s(cfg);
	char		timeout_text[16];
	PGconn	   *conn;

	for (i = 0; i < NUM_PG_KEYWORDS; i++)
	{
		const char *v = sink_config_get(cfg, pg_keywords[i].property);

		if (v == NULL)
			continue;
		keywords[n] = pg_keywords[i].keyword;
		values[n] = v;
		n++;
	}
	if (replication)
	{
		keywords[n] = "replication";
		values[n] = "database";
		n++;
	}
	keywords[n] = "fallback_application_name";
	values[n] = cfg->name ? cfg->name : "wal2dbz-sink";
	n++;
	/* for libpq's own blocking calls; connect_poll() keeps the deadline */
	snprintf(timeout_text, sizeof(timeout_text), "%d", timeout_s);
	keywords[n] = "connect_timeout";
	values[n] = timeout_text;
	n++;
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectStartParams(keywords, values, 0);
	if (conn == NULL)
	{
		sink_log_error("could not connect to the server: out of memory");
		return NULL;
	}
	if (PQstatus(conn) == CONNECTION_BAD)
	{
		/* an option libpq refuses, or a host it cannot resolve */
		sink_log_error("could not connect to the server: %s",
					   PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	if (!connect_poll(conn, timeout_s))
	{
		PQfinish(conn);
		return NULL;
	}
	if (!replication && !run_initial_statements(cfg, conn))
	{
		PQfinish(conn);
		return NULL;
	}
	return conn;
}
