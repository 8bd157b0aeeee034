/*-------------------------------------------------------------------------
 *
 * check.c
 *	  "wal2dbz-sink check": the configuration and every prerequisite.
 *
 * Each finding is one line on stdout:
 *
 *	OK|WARN|FAIL <what>: <detail>; <what to do>
 *
 * The checks only read: a normal (not replication) connection runs
 * catalog queries, and Kafka is asked for its metadata.  Nothing is
 * created, so check is safe to run beside a running sink.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/check.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "ch_consumer.h"
#include "check.h"
#include "kafka.h"
#include "log.h"
#include "pgconn.h"
#include "snapshot.h"
#include "topic_creation.h"

/* how long Kafka has to answer the metadata request */
#define KAFKA_PROBE_TIMEOUT_MS	10000

/* tables reported one by one before the rest are counted */
#define MAX_TABLES_REPORTED		20

/* the minimum server version */
#define MIN_SERVER_VERSION		130000

/* counts of findings, for the exit code and the summary */
typedef struct CheckState
{
	const SinkConfig *cfg;
	PGconn	   *conn;
	int			nfail;
	int			nwarn;
} CheckState;

static CheckState *check_state;

/* Print one finding. */
void
sink_check_report(const char *level, const char *what, const char *todo,
				  const char *fmt,...)
{
	va_list		ap;

	if (check_state && strcmp(level, "FAIL") == 0)
		check_state->nfail++;
	if (check_state && strcmp(level, "WARN") == 0)
		check_state->nwarn++;
	printf("%s %s: ", level, what);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (todo)
		printf("; %s", todo);
	putchar('\n');
	fflush(stdout);
}

/*
 * The connection's last error in \p buf, without libpq's trailing newline,
 * so that it can stand inside a finding's line.
 */
static const char *
last_error(CheckState *cs, char *buf, size_t size)
{
	size_t		len;

	snprintf(buf, size, "%s", PQerrorMessage(cs->conn));
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = '\0';
	return buf;
}

/* Run a query that returns rows; NULL (and a FAIL) on error. */
static PGresult *
query(CheckState *cs, const char *what, const char *sql)
{
	PGresult   *res = PQexec(cs->conn, sql);

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		char		msg[1024];

		sink_check_report("FAIL", what, "check the role's privileges",
						  "query failed: %s", last_error(cs, msg, sizeof(msg)));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Server version. */
static void
check_version(CheckState *cs)
{
	int			v = PQserverVersion(cs->conn);

	if (v >= MIN_SERVER_VERSION)
		sink_check_report("OK", "server version", NULL, "%d.%d",
						  v / 10000, v % 10000);
	else
		sink_check_report("FAIL", "server version",
						  "use PostgreSQL 13 or later",
						  "%d.%d is too old", v / 10000, v % 10000);
}

/* wal_level, max_wal_senders. */
static void
check_settings(CheckState *cs)
{
	PGresult   *res;

	res = query(cs, "wal_level",
				"SELECT current_setting('wal_level'), "
				"current_setting('max_wal_senders')::int");
	if (res == NULL)
		return;
	if (strcmp(PQgetvalue(res, 0, 0), "logical") == 0)
		sink_check_report("OK", "wal_level", NULL, "logical");
	else
		sink_check_report("FAIL", "wal_level",
						  "set wal_level = logical in postgresql.conf and restart the server",
						  "is \"%s\"", PQgetvalue(res, 0, 0));
	if (atoi(PQgetvalue(res, 0, 1)) < 1)
		sink_check_report("FAIL", "max_wal_senders",
						  "set max_wal_senders to 1 or more and restart the server",
						  "is 0");
	PQclear(res);
}

/* Does a comma-separated library list name wal2dbz? */
static bool
list_has_plugin(const char *list)
{
	const char *p = list;

	while (*p)
	{
		const char *start;
		const char *end;
		size_t		n;

		while (*p == ',' || isspace((unsigned char) *p) || *p == '"')
			p++;
		start = p;
		while (*p && *p != ',')
			p++;
		end = p;
		while (end > start && (isspace((unsigned char) end[-1]) || end[-1] == '"'))
			end--;
		n = (size_t) (end - start);
		if ((n == strlen(SINK_PLUGIN_NAME) &&
			 strncmp(start, SINK_PLUGIN_NAME, n) == 0) ||
			(n == strlen("$libdir/" SINK_PLUGIN_NAME) &&
			 strncmp(start, "$libdir/" SINK_PLUGIN_NAME, n) == 0) ||
			(n == 1 && *start == '*'))
			return true;
	}
	return false;
}

/* The role: REPLICATION or superuser. */
static void
check_role(CheckState *cs)
{
	PGresult   *res;

	res = query(cs, "role",
				"SELECT current_user, rolreplication, rolsuper "
				"FROM pg_catalog.pg_roles WHERE rolname = current_user");
	if (res == NULL)
		return;
	if (PQntuples(res) != 1)
	{
		sink_check_report("FAIL", "role", "check database.user",
						  "current user not found in pg_roles");
		PQclear(res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
		sink_check_report("OK", "role", NULL, "\"%s\" is a superuser",
						  PQgetvalue(res, 0, 0));
	else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		sink_check_report("OK", "role", NULL, "\"%s\" has REPLICATION",
						  PQgetvalue(res, 0, 0));
	else
		sink_check_report("FAIL", "role",
						  "run ALTER ROLE ... REPLICATION as a superuser",
						  "\"%s\" has neither REPLICATION nor superuser",
						  PQgetvalue(res, 0, 0));
	PQclear(res);
}

/*
 * output_plugin_libraries (Debian's PostgreSQL builds): only the plugins it
 * lists may be loaded as output plugins, by superusers too (checked on
 * 15.20).  Skipped where the setting does not exist.
 */
static void
check_plugin_libraries(CheckState *cs)
{
	PGresult   *res;

	res = query(cs, "output_plugin_libraries",
				"SELECT (SELECT setting FROM pg_catalog.pg_settings "
				"        WHERE name = 'output_plugin_libraries'), "
				"       pg_catalog.pg_has_role('pg_read_all_settings', 'USAGE')");
	if (res == NULL)
		return;
	if (PQgetisnull(res, 0, 0))
	{
		/* absent, or hidden from this role (a superuser-only setting) */
		if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
			sink_check_report("WARN", "output_plugin_libraries",
							  "ask a superuser to check that it lists wal2dbz",
							  "this role cannot read the setting, if the server has it");
		PQclear(res);
		return;
	}
	if (list_has_plugin(PQgetvalue(res, 0, 0)))
		sink_check_report("OK", "output_plugin_libraries", NULL,
						  "\"%s\" lists %s", PQgetvalue(res, 0, 0),
						  SINK_PLUGIN_NAME);
	else
		sink_check_report("FAIL", "output_plugin_libraries",
						  "add wal2dbz to output_plugin_libraries in postgresql.conf and reload",
						  "\"%s\" does not list %s, so the server refuses to load the plugin",
						  PQgetvalue(res, 0, 0), SINK_PLUGIN_NAME);
	PQclear(res);
}

/*
 * The extension in this database: snapshots read tables through its
 * wal2dbz.snapshot_frames(), so unless snapshot.mode is no_data it must be
 * installed, of this sink's version, backed by a library of that version,
 * and callable by the role.  With no_data it is only a WARN.
 */
static void
check_extension(CheckState *cs)
{
	bool		needed = sink_snapshot_may_run(cs->cfg);
	const char *level = needed ? "FAIL" : "WARN";
	PGresult   *res;
	PGresult   *lib;
	const char *installed;

	/* from the catalogs: to_regprocedure() fails without USAGE on the schema */
	res = query(cs, "extension",
				"SELECT e.extversion, "
				"       EXISTS (SELECT 1 FROM pg_catalog.pg_available_extensions "
				"               WHERE name = 'wal2dbz'), "
				"       f.oid IS NOT NULL, "
				"       pg_catalog.has_schema_privilege(e.extnamespace, 'USAGE') "
				"       AND pg_catalog.has_function_privilege(f.oid, 'EXECUTE') "
				"FROM (SELECT 1) one "
				"LEFT JOIN pg_catalog.pg_extension e ON e.extname = 'wal2dbz' "
				"LEFT JOIN pg_catalog.pg_proc f ON f.pronamespace = e.extnamespace "
				"     AND f.proname = 'snapshot_frames' "
				"     AND pg_catalog.oidvectortypes(f.proargtypes) = '" SINK_FRAMES_ARGS "'");
	if (res == NULL)
		return;
	if (PQgetisnull(res, 0, 0))
	{
		if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
			sink_check_report(level, "extension",
							  needed ? "run CREATE EXTENSION wal2dbz in this database (snapshots read tables through it), or set snapshot.mode=no_data" :
							  "run CREATE EXTENSION wal2dbz in this database",
							  "wal2dbz is available but not installed in \"%s\"",
							  PQdb(cs->conn));
		else
			sink_check_report(level, "extension",
							  "install the wal2dbz package on the database server, then run CREATE EXTENSION wal2dbz",
							  "wal2dbz is not available on the server");
		PQclear(res);
		return;
	}
	installed = PQgetvalue(res, 0, 0);
	if (strcmp(installed, WAL2DBZ_VERSION) != 0)
	{
		sink_check_report(level, "extension",
						  "install the server package of version " WAL2DBZ_VERSION " and run ALTER EXTENSION wal2dbz UPDATE, or use a sink of the extension's version",
						  "wal2dbz %s is installed in \"%s\", this sink is " WAL2DBZ_VERSION,
						  installed, PQdb(cs->conn));
		PQclear(res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 2), "t") != 0)
	{
		sink_check_report(level, "extension",
						  "run DROP EXTENSION wal2dbz; CREATE EXTENSION wal2dbz",
						  "wal2dbz %s is installed but function %s is missing",
						  installed, SINK_FRAMES_SIGNATURE);
		PQclear(res);
		return;
	}
	if (strcmp(PQgetvalue(res, 0, 3), "t") != 0)
	{
		sink_check_report(level, "extension",
						  "as its owner, GRANT USAGE ON SCHEMA wal2dbz and EXECUTE ON FUNCTION wal2dbz.snapshot_frames TO this role",
						  "role \"%s\" may not call %s", PQuser(cs->conn),
						  SINK_FRAMES_SIGNATURE);
		PQclear(res);
		return;
	}
	PQclear(res);

	/* the library the server loads for it: a package upgrade can split them */
	lib = PQexec(cs->conn, "SELECT wal2dbz.version()");
	if (PQresultStatus(lib) != PGRES_TUPLES_OK)
	{
		char		msg[512];

		sink_check_report(level, "extension",
						  "install the wal2dbz package of version " WAL2DBZ_VERSION " on the database server",
						  "wal2dbz " WAL2DBZ_VERSION " is installed but its library does not load: %s",
						  last_error(cs, msg, sizeof(msg)));
	}
	else if (strcmp(PQgetvalue(lib, 0, 0), WAL2DBZ_VERSION) != 0)
		sink_check_report(level, "extension",
						  "install the wal2dbz package of version " WAL2DBZ_VERSION " on the database server and restart it",
						  "the extension is " WAL2DBZ_VERSION " but the server's library wal2dbz.so is %s",
						  PQgetvalue(lib, 0, 0));
	else
		sink_check_report("OK", "extension", NULL,
						  "wal2dbz " WAL2DBZ_VERSION " is installed in \"%s\" and its library matches",
						  PQdb(cs->conn));
	PQclear(lib);
}

/*
 * The plugin options, as the plugin itself checks them when decoding
 * starts (the transforms.* properties are only checked there): through
 * wal2dbz.check_options() when the extension has it, else not at all (the
 * extension line says why).
 */
static void
check_plugin_options(CheckState *cs)
{
	PGresult   *res;
	char	   *options;
	const char *values[1];

	res = PQexec(cs->conn,
				 "SELECT pg_catalog.to_regprocedure('wal2dbz.check_options(text[])') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		strcmp(PQgetvalue(res, 0, 0), "t") != 0)
	{
		PQclear(res);
		return;
	}
	PQclear(res);

	options = sink_snapshot_options_array(cs->cfg);
	if (options == NULL)
	{
		sink_check_report("FAIL", "plugin options", NULL, "out of memory");
		return;
	}
	values[0] = options;
	res = PQexecParams(cs->conn, "SELECT wal2dbz.check_options($1::text[])", 1,
					   NULL, values, NULL, NULL, 0);
	free(options);
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		sink_check_report("OK", "plugin options", NULL,
						  "the plugin accepts the configuration's options");
	else
	{
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

		sink_check_report("FAIL", "plugin options",
						  hint ? hint : "correct the property the message names",
						  "the plugin refuses them: %s",
						  msg ? msg : PQerrorMessage(cs->conn));
	}
	PQclear(res);
}

/*
 * The snapshot state table (see sink/snapshot.c): the sink reads and writes
 * its row, and creates the table (and schema) at the first start when they
 * are missing.  Not used with snapshot.mode no_data.
 */
static void
check_state_table(CheckState *cs)
{
	PGresult   *res;
	const char *what = "snapshot state";
	const char *rel = SINK_STATE_SCHEMA "." SINK_STATE_TABLE;

	if (!sink_snapshot_may_run(cs->cfg))
		return;
	res = query(cs, what,
				"SELECT c.oid IS NOT NULL, n.oid IS NOT NULL, "
				"       CASE WHEN c.oid IS NOT NULL THEN "
				"         pg_catalog.has_schema_privilege(n.oid, 'USAGE') "
				"         AND pg_catalog.has_table_privilege(c.oid, 'SELECT') "
				"         AND pg_catalog.has_table_privilege(c.oid, 'INSERT') "
				"         AND pg_catalog.has_table_privilege(c.oid, 'UPDATE') END, "
				"       CASE WHEN n.oid IS NOT NULL THEN "
				"         pg_catalog.has_schema_privilege(n.oid, 'USAGE') "
				"         AND pg_catalog.has_schema_privilege(n.oid, 'CREATE') END, "
				"       pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') "
				"FROM (SELECT 1) one "
				"LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = '" SINK_STATE_SCHEMA "' "
				"LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid "
				"     AND c.relname = '" SINK_STATE_TABLE "' AND c.relkind IN ('r', 'p')");
	if (res == NULL)
		return;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		if (strcmp(PQgetvalue(res, 0, 2), "t") == 0)
			sink_check_report("OK", what, NULL,
							  "table %s exists and role \"%s\" may read and write it",
							  rel, PQuser(cs->conn));
		else
			sink_check_report("FAIL", what,
							  "GRANT USAGE ON SCHEMA " SINK_STATE_SCHEMA " and SELECT, INSERT, UPDATE ON " SINK_STATE_SCHEMA "." SINK_STATE_TABLE " TO this role, or set snapshot.mode=no_data",
							  "role \"%s\" may not read and write table %s",
							  PQuser(cs->conn), rel);
	}
	else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
	{
		if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
			sink_check_report("OK", what, NULL,
							  "table %s does not exist yet; it is created on the first start",
							  rel);
		else
			sink_check_report("FAIL", what,
							  "GRANT USAGE, CREATE ON SCHEMA " SINK_STATE_SCHEMA " TO this role, or create the table as in sink/README.md",
							  "table %s does not exist and role \"%s\" may not create it in schema " SINK_STATE_SCHEMA,
							  rel, PQuser(cs->conn));
	}
	else if (strcmp(PQgetvalue(res, 0, 4), "t") == 0)
		sink_check_report("OK", what, NULL,
						  "schema " SINK_STATE_SCHEMA " and table %s do not exist yet; they are created on the first start",
						  rel);
	else
		sink_check_report("FAIL", what,
						  "GRANT CREATE ON DATABASE to this role, or create schema " SINK_STATE_SCHEMA " and its table as in sink/README.md, or set snapshot.mode=no_data",
						  "schema " SINK_STATE_SCHEMA " does not exist and role \"%s\" may not create it in \"%s\"",
						  PQuser(cs->conn), PQdb(cs->conn));
	PQclear(res);
}

/* The replication slot: absent (created on start), or ours and usable. */
static void
check_slot(CheckState *cs)
{
	const char *slot = cs->cfg->slot_name;
	PGresult   *res;
	char	   *lit;
	char		sql[1024];

	lit = PQescapeLiteral(cs->conn, slot, strlen(slot));
	if (lit == NULL)
		return;
	snprintf(sql, sizeof(sql),
			 "SELECT s.plugin, s.slot_type, d.datname, s.active, s.active_pid, "
			 "       s.confirmed_flush_lsn, s.wal_status, "
			 "       (SELECT current_setting('max_replication_slots')::int - count(*) "
			 "        FROM pg_catalog.pg_replication_slots) "
			 "FROM (SELECT 1) one "
			 "LEFT JOIN pg_catalog.pg_replication_slots s ON s.slot_name = %s "
			 "LEFT JOIN pg_catalog.pg_database d ON d.oid = s.datoid",
			 lit);
	PQfreemem(lit);
	res = query(cs, "slot", sql);
	if (res == NULL)
		return;

	if (PQgetisnull(res, 0, 1))
	{
		if (atoi(PQgetvalue(res, 0, 7)) < 1)
			sink_check_report("FAIL", "slot",
							  "raise max_replication_slots, or drop an unused slot",
							  "\"%s\" does not exist and no free replication slot is left",
							  slot);
		else
			sink_check_report("OK", "slot", NULL,
							  "\"%s\" does not exist yet; it is created on the first start",
							  slot);
	}
	else if (strcmp(PQgetvalue(res, 0, 1), "logical") != 0)
		sink_check_report("FAIL", "slot", "set slot.name to another slot",
						  "\"%s\" is a physical slot", slot);
	else if (strcmp(PQgetvalue(res, 0, 0), SINK_PLUGIN_NAME) != 0)
		sink_check_report("FAIL", "slot",
						  "set slot.name to another slot, or drop this one if nothing uses it",
						  "\"%s\" uses output plugin \"%s\", not %s",
						  slot, PQgetvalue(res, 0, 0), SINK_PLUGIN_NAME);
	else if (strcmp(PQgetvalue(res, 0, 2), PQdb(cs->conn)) != 0)
		sink_check_report("FAIL", "slot",
						  "set slot.name to another slot, or database.dbname to the slot's database",
						  "\"%s\" belongs to database \"%s\"", slot,
						  PQgetvalue(res, 0, 2));
	else if (strcmp(PQgetvalue(res, 0, 6), "lost") == 0)
		sink_check_report("FAIL", "slot",
						  "drop the slot and start again (changes in between are lost)",
						  "\"%s\" has lost required WAL", slot);
	else if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
		sink_check_report("WARN", "slot",
						  "stop the other consumer before starting the sink",
						  "\"%s\" is in use by process %s", slot,
						  PQgetvalue(res, 0, 4));
	else
		sink_check_report("OK", "slot", NULL,
						  "\"%s\" (%s) resumes at %s", slot,
						  SINK_PLUGIN_NAME, PQgetvalue(res, 0, 5));
	PQclear(res);
}

/*
 * A Debezium filter list: comma-separated regular expressions, each
 * matched against the whole identifier.  Java and POSIX extended syntax
 * agree on the usual cases; a list POSIX cannot compile is reported.
 */
typedef struct FilterList
{
	regex_t    *res;
	int			n;
	bool		given;
} FilterList;

/* Compile a filter list property; false (and a WARN) on a bad regex. */
static bool
filter_compile(CheckState *cs, const char *property, FilterList *fl)
{
	const char *value = sink_config_get(cs->cfg, property);
	char	   *copy;
	char	   *save = NULL;
	char	   *tok;

	memset(fl, 0, sizeof(*fl));
	if (value == NULL)
		return true;
	fl->given = true;
	copy = strdup(value);
	if (copy == NULL)
		return false;
	fl->res = calloc(strlen(value) + 1, sizeof(regex_t));
	if (fl->res == NULL)
	{
		free(copy);
		return false;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		char		pattern[1024];

		while (isspace((unsigned char) *tok))
			tok++;
		if (*tok == '\0')
			continue;
		snprintf(pattern, sizeof(pattern), "^(%s)$", tok);
		if (regcomp(&fl->res[fl->n], pattern, REG_EXTENDED | REG_NOSUB) != 0)
		{
			sink_check_report("WARN", "replica identity",
							  "the plugin applies the list itself; this check cannot",
							  "cannot apply %s: \"%s\" is not a POSIX regular expression",
							  property, tok);
			free(copy);
			return false;
		}
		fl->n++;
	}
	free(copy);
	return true;
}

/* Does any expression of the list match? */
static bool
filter_match(const FilterList *fl, const char *s)
{
	int			i;

	for (i = 0; i < fl->n; i++)
		if (regexec(&fl->res[i], s, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* Free a compiled list. */
static void
filter_free(FilterList *fl)
{
	int			i;

	for (i = 0; i < fl->n; i++)
		regfree(&fl->res[i]);
	free(fl->res);
}

/*
 * Captured tables without a key: their records get a null key (so no
 * per-key order and no compaction) and their updates and deletes carry no
 * old values.
 */
static void
check_replica_identity(CheckState *cs)
{
	FilterList	tin, tex, sin, sex;
	PGresult   *res;
	int			i;
	int			ncaptured = 0;
	int			nproblems = 0;
	bool		ok;

	memset(&tin, 0, sizeof(tin));
	memset(&tex, 0, sizeof(tex));
	memset(&sin, 0, sizeof(sin));
	memset(&sex, 0, sizeof(sex));
	ok = filter_compile(cs, "table.include.list", &tin);
	ok = ok && filter_compile(cs, "table.exclude.list", &tex);
	ok = ok && filter_compile(cs, "schema.include.list", &sin);
	ok = ok && filter_compile(cs, "schema.exclude.list", &sex);
	if (!ok)
		goto done;

	res = query(cs, "replica identity",
				"SELECT n.nspname, c.relname, c.relreplident, "
				"       EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
				"               WHERE i.indrelid = c.oid AND i.indisprimary) "
				"FROM pg_catalog.pg_class c "
				"JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
				"WHERE c.relkind = 'r' "
				"  AND n.nspname <> 'information_schema' "
				"  AND n.nspname !~ '^pg_' "
				"ORDER BY 1, 2");
	if (res == NULL)
		goto done;

	for (i = 0; i < PQntuples(res); i++)
	{
		const char *nsp = PQgetvalue(res, i, 0);
		const char *rel = PQgetvalue(res, i, 1);
		char		ident = PQgetvalue(res, i, 2)[0];
		bool		has_pk = strcmp(PQgetvalue(res, i, 3), "t") == 0;
		char		qualified[512];

		snprintf(qualified, sizeof(qualified), "%s.%s", nsp, rel);
		if (sin.given && !filter_match(&sin, nsp))
			continue;
		if (sex.given && filter_match(&sex, nsp))
			continue;
		if (tin.given && !filter_match(&tin, qualified))
			continue;
		if (tex.given && filter_match(&tex, qualified))
			continue;
		ncaptured++;

		if ((ident == 'd' && !has_pk) || ident == 'n')
		{
			nproblems++;
			if (nproblems <= MAX_TABLES_REPORTED)
				sink_check_report("WARN", "replica identity",
								  "add a primary key, or run ALTER TABLE ... REPLICA IDENTITY FULL",
								  "table \"%s\" has %s: its records get a null key and its updates and deletes no old values",
								  qualified,
								  ident == 'n' ? "REPLICA IDENTITY NOTHING" :
								  "no primary key and REPLICA IDENTITY DEFAULT");
		}
	}
	PQclear(res);

	if (nproblems > MAX_TABLES_REPORTED)
		sink_check_report("WARN", "replica identity",
						  "see the tables above",
						  "%d more table(s) without a key", nproblems - MAX_TABLES_REPORTED);
	if (ncaptured == 0)
		sink_check_report("WARN", "tables",
						  "check table.include.list and schema.include.list",
						  "no table in \"%s\" is captured", PQdb(cs->conn));
	else if (nproblems == 0)
		sink_check_report("OK", "replica identity", NULL,
						  "all %d captured table(s) have a key", ncaptured);

done:
	filter_free(&tin);
	filter_free(&tex);
	filter_free(&sin);
	filter_free(&sex);
}

/*
 * Topic creation against the cluster: a replication factor above the
 * number of brokers, or min.insync.replicas above the replication factor
 * (every acks=all produce would fail), would only show at the first
 * record of a new table, possibly much later.
 */
static void
check_topic_creation(CheckState *cs, int nbrokers)
{
	SinkTopicCreation tc;
	int			nproblems = 0;
	int			i;
	int			j;

	if (!sink_topic_creation_init(&tc, cs->cfg))
		return;
	if (!tc.enabled)
	{
		sink_check_report("OK", "topic creation", NULL,
						  "off (topic.creation.enable=false): every topic must exist, or the brokers create it with their defaults");
		sink_topic_creation_free(&tc);
		return;
	}
	for (i = 0; i < tc.ngroups; i++)
	{
		const SinkTopicGroup *g = &tc.groups[i];

		if (g->replication_factor > nbrokers)
		{
			sink_check_report("FAIL", "topic creation",
							  "lower it to the number of brokers, or -1 for the brokers' default",
							  "group \"%s\" asks for replication factor %d (topic.creation.%s.replication.factor), the cluster has %d broker(s)",
							  g->alias, g->replication_factor, g->alias, nbrokers);
			nproblems++;
		}
		for (j = 0; j < g->nsettings; j++)
			if (strcmp(g->settings[j].name, "min.insync.replicas") == 0 &&
				g->replication_factor > 0 &&
				atoi(g->settings[j].value) > g->replication_factor)
			{
				sink_check_report("FAIL", "topic creation",
								  "every produce with acks=all would fail: lower topic.creation.<group>.min.insync.replicas",
								  "group \"%s\" sets min.insync.replicas %s above its replication factor %d",
								  g->alias, g->settings[j].value, g->replication_factor);
				nproblems++;
			}
	}
	if (nproblems == 0)
		sink_check_report("OK", "topic creation", NULL,
						  "%d group(s) fit the cluster's %d broker(s)", tc.ngroups, nbrokers);
	sink_topic_creation_free(&tc);
}

/* Kafka: metadata within a timeout, then what topic creation asks of it. */
static void
check_kafka(CheckState *cs)
{
	char		detail[1024];
	int			nbrokers = 0;

	if (sink_kafka_probe(cs->cfg, KAFKA_PROBE_TIMEOUT_MS, detail,
						 sizeof(detail), &nbrokers))
	{
		sink_check_report("OK", "kafka", NULL, "%s", detail);
		if (cs->cfg->source_stage)
			check_topic_creation(cs, nbrokers);
	}
	else
		sink_check_report("FAIL", "kafka",
						  "check kafka.bootstrap.servers, the kafka.security.protocol, kafka.sasl.* and kafka.ssl.* settings, and that the brokers are running",
						  "%s", detail);
}

/* Run every check. */
int
sink_check_run(const SinkConfig *cfg)
{
	CheckState	cs;

	memset(&cs, 0, sizeof(cs));
	cs.cfg = cfg;
	check_state = &cs;

	sink_check_report("OK", "configuration", NULL, "%s is valid",
					  cfg->path ? cfg->path : "the configuration");

	cs.conn = cfg->source_stage ? sink_pg_connect(cfg, false) : NULL;
	if (!cfg->source_stage)
		sink_check_report("OK", "source stage", NULL,
						  "not configured (no database.* property): the ClickHouse stage runs alone");
	else if (cs.conn == NULL)
		sink_check_report("FAIL", "connection",
						  "check the database.* properties and that the server accepts the connection",
						  "could not connect to PostgreSQL (see the error above)");
	else
	{
		sink_check_report("OK", "connection", NULL,
						  "connected to database \"%s\" as \"%s\"",
						  PQdb(cs.conn), PQuser(cs.conn));
		check_version(&cs);
		check_settings(&cs);
		check_role(&cs);
		check_plugin_libraries(&cs);
		check_extension(&cs);
		check_plugin_options(&cs);
		check_state_table(&cs);
		check_slot(&cs);
		check_replica_identity(&cs);
		PQfinish(cs.conn);
		cs.conn = NULL;
	}
	check_kafka(&cs);
	if (cfg->clickhouse_stage)
	{
		char		detail[768];

		if (sink_ch_probe(cfg, detail, sizeof(detail)))
			sink_check_report("OK", "clickhouse", NULL, "%s", detail);
		else
			sink_check_report("FAIL", "clickhouse",
							  "check clickhouse.url, clickhouse.user, clickhouse.password and that the server runs",
							  "%s", detail);
	}

	check_state = NULL;
	return cs.nfail > 0 ? 1 : 0;
}
