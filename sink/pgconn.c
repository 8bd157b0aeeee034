/*-------------------------------------------------------------------------
 *
 * pgconn.c
 *	  Open a libpq connection from the database.* properties.
 *
 * Keyword/value arrays, not a connection string, so that no value needs
 * quoting and the password never appears in a string we could log.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/pgconn.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include <libpq-fe.h>

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

/* Connect; see pgconn.h. */
PGconn *
sink_pg_connect(const SinkConfig *cfg, bool replication)
{
	const char *keywords[NUM_PG_KEYWORDS + 4];
	const char *values[NUM_PG_KEYWORDS + 4];
	int			n = 0;
	int			i;
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
	keywords[n] = NULL;
	values[n] = NULL;

	conn = PQconnectdbParams(keywords, values, 0);
	if (conn == NULL)
	{
		sink_log_error("could not connect to the server: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK)
	{
		sink_log_error("could not connect to the server: %s",
					   PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}
