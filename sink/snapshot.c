/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *	  Initial snapshots of wal2dbz-sink (snapshot.mode), read through the
 *	  extension's wal2dbz.snapshot_frames() so that an "r" record is encoded
 *	  by the very code that encodes a streamed change.
 *
 * Consistency.  A snapshot of a new slot uses the slot's exported
 * snapshot: CREATE_REPLICATION_SLOT ... EXPORT_SNAPSHOT on the replication
 * connection, which then stays idle while ordinary connections run
 * BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT '<name>'
 * and read every table; streaming then starts at the slot's consistent
 * point.  Every transaction that committed before that point is in the
 * snapshot and every later one is streamed: nothing is missed and nothing
 * comes twice.  A snapshot taken while the slot already exists (snapshot
 * mode "always", a snapshot redone after a crash, a table newly captured)
 * cannot have that: it reads a fresh REPEATABLE READ snapshot (shared by
 * the connections through pg_export_snapshot()) and streaming resumes at
 * the slot's confirmed position, which is at or before the snapshot, so
 * the changes in between come again after the "r" records: at least once,
 * never a hole, and the last record of every key is the row's state.
 *
 * Reading.  Each table is cut into chunks of about snapshot.chunk.size
 * rows: key ranges of the primary key (boundaries from the key's histogram
 * when ANALYZE made one for a single column that sorts without collation,
 * else found in the snapshot with row_number() over the key order, so no
 * chunk is empty), or ctid page ranges for a table without one.
 * snapshot.max.threads connections share the snapshot; one thread drives
 * them all with libpq's asynchronous calls in single-row mode, so memory
 * stays bounded whatever the table size, and it alone talks to the
 * producer and the LSN tracker.  Each call
 * of the function returns a SCHEMA frame with schema id 1 and RECORD frames
 * referring to it, so each call gets its own schema table, apart from the
 * streaming one.
 *
 * Markers.  The function marks rows from where its call stands (first or
 * last table, first or last chunk).  Empty tables are left out before the
 * first and last are chosen, and the scheduler keeps the marked rows at the
 * ends of what is produced: the first chunk of the snapshot, and of each
 * table, starts producing before the table's other chunks start; the last
 * chunk of a table starts when its other chunks are done; the last chunk of
 * the snapshot starts when everything else is done.
 *
 * Durability.  Snapshot records carry no commit LSN; they all join one
 * entry of the LSN tracker whose commit LSN is the slot's position, so they
 * can never make the sink confirm anything beyond it.  The snapshot counts
 * as complete only when that entry has left the tracker, i.e. when Kafka
 * has acknowledged every record.
 *
 * State.  Whether a snapshot completed is recorded in the source database,
 * in table wal2dbz_sink.snapshot_state, one row per slot.  It lives beside
 * the slot it describes: same server, same durability and backups, and
 * readable and resettable with SQL (DELETE the row to snapshot again).  Kafka
 * would have been the other choice (Kafka Connect keeps Debezium's offsets
 * there), but the slot already is the sink's offset, and reading a compacted
 * topic back at every start needs a consumer for one row.  The row is
 * written only around snapshots, never while streaming, and the sink adds
 * its schema to the schema.exclude.list it forwards to the plugin, so the
 * row's changes never become events, and names it as the plugin's
 * state.schema, so its transactions stay off the transaction topic too.  A
 * row that says "running" (or no row at all for an existing slot) means a
 * snapshot did not complete: it is redone, so a crash never leaves a silent
 * hole.  The row also keeps the table and schema filters streaming last
 * started with: a table captured now that those filters did not capture
 * (say, added to table.include.list) has its existing rows snapshotted at
 * this start, before streaming resumes with the new filters.  Its changes
 * since the slot's position are then streamed as well (at least once);
 * without this, its rows from before the change would never reach Kafka, and
 * Debezium 3 would need an incremental snapshot signal for it.  A table
 * created after the last start, inside the old filters, is not snapshotted:
 * its rows were streamed from its creation.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/snapshot.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "frame.h"
#include "log.h"
#include "pgconn.h"
#include "repl.h"
#include "schema.h"
#include "snapshot.h"
#include "wal2dbz_frame.h"

/* rows per chunk unless snapshot.chunk.size says otherwise */
#define DEFAULT_CHUNK_SIZE		10000

/* the property naming the tables whose SELECT is overridden */
#define OVERRIDES_PROP			"snapshot.select.statement.overrides"

/* how often progress is logged, and the metrics updated */
#define PROGRESS_LOG_MS			10000
#define PROGRESS_METRICS_MS		1000

/* the librdkafka tick while waiting for the producer */
#define KAFKA_TICK_MS			100

/* how long a stopped snapshot waits for what it already produced */
#define DRAIN_TIMEOUT_MS		30000

/*
 * The call that reads one chunk, in the slot's snapshot.  In the select
 * list (not in FROM, which would materialize the whole result first) each
 * value reaches the sink while the function encodes the next.
 */
#define FRAMES_QUERY \
	"SELECT wal2dbz.snapshot_frames($1::oid::regclass, $2::text[], " \
	"$3::pg_lsn, $4::bigint, $5::boolean, $6::boolean, $7::text, " \
	"$8::boolean, $9::boolean)"

/*
 * Frames per value of the function (its option framed.batch.bytes): one
 * result row per 64 kB rather than per record saves a libpq result and an
 * executor row for each record.  Unlike streaming, there is no commit to
 * wait for, so this is not left to the user's framed.batch.bytes.
 */
#define SNAPSHOT_BATCH_BYTES	"65536"

/* the state table, qualified */
#define STATE_RELATION	SINK_STATE_SCHEMA "." SINK_STATE_TABLE

typedef enum SnapshotMode
{
	MODE_NO_DATA,				/* no_data, never */
	MODE_INITIAL,
	MODE_ALWAYS,
	MODE_INITIAL_ONLY,
	MODE_WHEN_NEEDED,
	MODE_UNSUPPORTED			/* configuration_based, custom, recovery */
} SnapshotMode;

/* what a start has to snapshot */
typedef enum SnapshotScope
{
	SCOPE_NONE,
	SCOPE_ALL,					/* every table the snapshot covers */
	SCOPE_NEW					/* only tables the last start did not capture */
} SnapshotScope;

/* a growing string */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} Buf;

/* the capture filters, as given (NULL: not set) */
typedef struct Filters
{
	const char *schema_include;
	const char *schema_exclude;
	const char *table_include;
	const char *table_exclude;
} Filters;

/* the row of the state table for our slot */
typedef struct SnapState
{
	bool		found;
	bool		complete;		/* status "complete" */
	bool		filters_known;	/* a snapshot of this slot completed */
	char	   *filter[4];		/* schema/table include/exclude, or NULL */
} SnapState;

/* one table to read */
typedef struct SnapTable
{
	char	   *oid;			/* as text, for regclass */
	char	   *name;			/* schema.table, for messages */
	char	   *qualified;		/* quoted, for SQL */
	char	   *override;		/* condition of its SELECT override, or NULL */
	char	   *pk_cols;		/* quoted primary key columns, or NULL */
	char	   *pk_literals;	/* SQL expression: the key as literals */
	char	   *pk_bounds;		/* ANALYZE's histogram of a one-column key,
								 * as text, or NULL (see plan_key_chunks) */
	char	   *pk_type;		/* that column's type, for casts */
	double		reltuples;		/* -1: never analyzed */
	int64_t		pages;			/* current size in blocks */
	int64_t		relpages;
	uint64_t	estimate;		/* rows, for progress */
	uint64_t	rows;			/* records produced */
	int			first_chunk;	/* index in Snapshot.chunks */
	int			nchunks;
	int			chunks_done;
	bool		started;		/* its first chunk has produced a record */
} SnapTable;

typedef enum ChunkState
{
	CHUNK_PENDING,
	CHUNK_RUNNING,
	CHUNK_DONE
} ChunkState;

/* one call of the function */
typedef struct SnapChunk
{
	int			table;
	int			index;			/* within its table */
	char	   *filter;			/* the row filter, or NULL */
	ChunkState	state;
} SnapChunk;

/* one connection reading chunks */
typedef struct Worker
{
	PGconn	   *conn;
	int			chunk;			/* running chunk, or -1 */
	SinkSchemas schemas;		/* SCHEMA frames of the running call */
	bool		failed;			/* the call returned an error */
} Worker;

/* everything one snapshot run needs */
typedef struct Snapshot
{
	const SinkSnapshotEnv *env;
	const SinkConfig *cfg;
	int			chunk_size;
	int			nworkers;
	char	   *options;		/* text[] literal of the plugin options */
	SinkLsnPtr	snapshot_lsn;	/* source.lsn of the records */
	char		lsn_text[32];
	SinkLsnPtr	start;			/* the slot's position: nothing beyond it
								 * is confirmed for snapshot records */
	SnapTable  *tables;
	int			ntables;
	SnapChunk  *chunks;
	int			nchunks;
	int			chunks_done;
	int			first_pending;	/* no pending chunk before this one */
	Worker	   *workers;
	uint64_t	rows;
	uint64_t	estimate;
	int			tables_done;
	int64_t		start_ms;
	int64_t		last_log_ms;
	int64_t		last_metrics_ms;
	char		errbuf[512];
} Snapshot;

/* Append to a Buf; on out of memory, remember it and stop appending. */
static void __attribute__((format(printf, 2, 3)))
buf_printf(Buf *buf, const char *fmt,...)
{
	va_list		ap;
	int			n;

	if (buf->oom)
		return;
	for (;;)
	{
		size_t		avail = buf->cap - buf->len;

		va_start(ap, fmt);
		n = vsnprintf(buf->data ? buf->data + buf->len : NULL, avail, fmt, ap);
		va_end(ap);
		if (n < 0)
		{
			buf->oom = true;
			return;
		}
		if ((size_t) n < avail)
		{
			buf->len += (size_t) n;
			return;
		}
		{
			size_t		newcap = (buf->cap + (size_t) n + 1) * 2;
			char	   *data = realloc(buf->data, newcap);

			if (data == NULL)
			{
				buf->oom = true;
				return;
			}
			buf->data = data;
			buf->cap = newcap;
		}
	}
}

/* Append one element, double-quoted, to an array literal. */
static void
buf_array_elem(Buf *buf, const char *s)
{
	buf_printf(buf, "%s\"", buf->len > 1 ? "," : "");
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			buf_printf(buf, "\\");
		buf_printf(buf, "%c", *s);
	}
	buf_printf(buf, "\"");
}

/* Take the string out of a Buf; NULL (logged) when out of memory. */
static char *
buf_finish(Buf *buf)
{
	if (buf->oom || buf->data == NULL)
	{
		free(buf->data);
		sink_log_error("out of memory");
		return NULL;
	}
	return buf->data;
}

/* Parse snapshot.mode. */
static SnapshotMode
parse_mode(const char *s)
{
	if (strcasecmp(s, "no_data") == 0 || strcasecmp(s, "never") == 0)
		return MODE_NO_DATA;
	if (strcasecmp(s, "initial") == 0)
		return MODE_INITIAL;
	if (strcasecmp(s, "always") == 0)
		return MODE_ALWAYS;
	if (strcasecmp(s, "initial_only") == 0)
		return MODE_INITIAL_ONLY;
	if (strcasecmp(s, "when_needed") == 0)
		return MODE_WHEN_NEEDED;
	return MODE_UNSUPPORTED;
}

/* Can snapshot.mode take a snapshot?  See snapshot.h. */
bool
sink_snapshot_may_run(const SinkConfig *cfg)
{
	return parse_mode(cfg->snapshot_mode) != MODE_NO_DATA;
}

/* An integer property in [min, max], or its default (validated before). */
static int
int_prop(const SinkConfig *cfg, const char *name, int dflt)
{
	const char *v = sink_config_get(cfg, name);

	return v ? atoi(v) : dflt;
}

/*
 * A Debezium filter list as a text[] literal of the regular expressions
 * the plugin matches: each item trimmed, empty ones skipped, \p anchored
 * as ^(?:item)$ (a filter matches whole names; Debezium orders a snapshot
 * by unanchored ones); matched case-insensitively with ~* in the C
 * collation, as the plugin does.  NULL list, NULL result: no filter.
 */
static char *
patterns_array(const char *list, bool anchored, bool *oom)
{
	Buf			buf = {0};
	char	   *copy;
	char	   *item;
	char	   *save = NULL;

	if (list == NULL)
		return NULL;
	copy = strdup(list);
	if (copy == NULL)
	{
		*oom = true;
		return NULL;
	}
	buf_printf(&buf, "{");
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
	{
		char	   *end;
		Buf			re = {0};

		while (*item == ' ' || *item == '\t')
			item++;
		end = item + strlen(item);
		while (end > item && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*item == '\0')
			continue;
		buf_printf(&re, anchored ? "^(?:%s)$" : "%s", item);
		if (re.oom)
			buf.oom = true;
		else
			buf_array_elem(&buf, re.data);
		free(re.data);
	}
	buf_printf(&buf, "}");
	free(copy);
	if (buf.oom)
	{
		free(buf.data);
		*oom = true;
		return NULL;
	}
	return buf.data;
}

/*
 * Turn "SELECT * FROM <table> [[AS] t] [WHERE <condition>]" into the
 * condition ("" when there is none).  Returns NULL when the statement has
 * another form: the function reads whole rows of the table itself and only
 * takes a row filter.  The table may be written quoted or not.
 */
static char *
override_condition(const char *stmt, const char *table)
{
	const char *p = stmt;
	char		name[512];
	size_t		n = 0;
	size_t		len;
	char	   *cond;

#define SKIP_SPACE() while (isspace((unsigned char) *p)) p++
#define KEYWORD(kw) (strncasecmp(p, kw, strlen(kw)) == 0 && \
					 !isalnum((unsigned char) p[strlen(kw)]) && p[strlen(kw)] != '_')

	SKIP_SPACE();
	if (!KEYWORD("select"))
		return NULL;
	p += 6;
	SKIP_SPACE();
	if (*p != '*')
		return NULL;
	p++;
	SKIP_SPACE();
	if (!KEYWORD("from"))
		return NULL;
	p += 4;
	SKIP_SPACE();

	/* the table: identifiers separated by '.', quoted ones kept as written */
	for (;;)
	{
		if (*p == '"')
		{
			for (p++; *p; p++)
			{
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				if (n + 1 < sizeof(name))
					name[n++] = *p;
			}
			if (*p != '"')
				return NULL;
			p++;
		}
		else
		{
			if (!(isalpha((unsigned char) *p) || *p == '_'))
				return NULL;
			while (isalnum((unsigned char) *p) || *p == '_' || *p == '$')
			{
				if (n + 1 < sizeof(name))
					name[n++] = (char) tolower((unsigned char) *p);
				p++;
			}
		}
		if (*p != '.')
			break;
		if (n + 1 < sizeof(name))
			name[n++] = '.';
		p++;
	}
	name[n] = '\0';
	if (strcmp(name, table) != 0)
		return NULL;

	/* the function calls the table "t" */
	SKIP_SPACE();
	if (KEYWORD("as"))
	{
		p += 2;
		SKIP_SPACE();
		if (!KEYWORD("t"))
			return NULL;
	}
	if (KEYWORD("t"))
	{
		p++;
		SKIP_SPACE();
	}
	if (*p == '\0' || *p == ';')
		return strdup("");
	if (!KEYWORD("where"))
		return NULL;
	p += 5;
	SKIP_SPACE();
	len = strlen(p);
	while (len > 0 && (isspace((unsigned char) p[len - 1]) || p[len - 1] == ';'))
		len--;
	if (len == 0)
		return NULL;
	cond = strndup(p, len);
	return cond;
#undef SKIP_SPACE
#undef KEYWORD
}

/* Is \p table listed in snapshot.select.statement.overrides? */
static bool
override_listed(const SinkConfig *cfg, const char *table)
{
	const char *list = sink_config_get(cfg, OVERRIDES_PROP);
	char	   *copy = list ? strdup(list) : NULL;
	char	   *item;
	char	   *save = NULL;
	bool		listed = false;

	for (item = copy ? strtok_r(copy, ",", &save) : NULL; item && !listed;
		 item = strtok_r(NULL, ",", &save))
	{
		char	   *end;

		while (isspace((unsigned char) *item))
			item++;
		end = item + strlen(item);
		while (end > item && isspace((unsigned char) end[-1]))
			*--end = '\0';
		listed = strcmp(item, table) == 0;
	}
	free(copy);
	return listed;
}

/* Check the snapshot properties; see snapshot.h. */
bool
sink_snapshot_check_config(SinkConfig *cfg)
{
	bool		ok = true;
	const char *list;
	int			i;

	if (parse_mode(cfg->snapshot_mode) == MODE_UNSUPPORTED)
	{
		const SinkProp *prop = sink_config_find(cfg, "snapshot.mode");

		sink_log_error("%s: snapshot.mode \"%s\" is not supported",
					   prop ? prop->origin : "configuration", cfg->snapshot_mode);
		sink_log_hint("Use initial, always, initial_only, when_needed or no_data.");
		ok = false;
	}

	/* every table listed needs its statement, of the one supported form */
	list = sink_config_get(cfg, OVERRIDES_PROP);
	if (list)
	{
		char	   *copy = strdup(list);
		char	   *item;
		char	   *save = NULL;

		for (item = copy ? strtok_r(copy, ",", &save) : NULL; item;
			 item = strtok_r(NULL, ",", &save))
		{
			char		propname[600];
			const SinkProp *stmt;
			char	   *cond;
			char	   *end;

			while (isspace((unsigned char) *item))
				item++;
			end = item + strlen(item);
			while (end > item && isspace((unsigned char) end[-1]))
				*--end = '\0';
			if (*item == '\0')
				continue;
			snprintf(propname, sizeof(propname), "%s.%s", OVERRIDES_PROP, item);
			stmt = sink_config_find(cfg, propname);
			if (stmt == NULL)
			{
				sink_log_error("%s: table \"%s\" is listed in \"%s\" but property \"%s\" is not set",
							   sink_config_find(cfg, OVERRIDES_PROP)->origin,
							   item, OVERRIDES_PROP, propname);
				ok = false;
				continue;
			}
			cond = override_condition(stmt->value, item);
			if (cond == NULL)
			{
				sink_log_error("%s: property \"%s\" is not supported in this form: \"%s\"",
							   stmt->origin, propname, stmt->value);
				sink_log_hint("Only \"SELECT * FROM %s WHERE <condition>\" is supported: wal2dbz.snapshot_frames() encodes whole rows of the table itself and takes a row filter, so a column list, a join, another table or ORDER BY cannot be honoured.",
							  item);
				ok = false;
			}
			free(cond);
		}
		free(copy);
	}
	for (i = 0; i < cfg->nprops; i++)
	{
		const char *name = cfg->props[i].name;
		size_t		plen = strlen(OVERRIDES_PROP);

		if (strncmp(name, OVERRIDES_PROP ".", plen + 1) == 0 &&
			!override_listed(cfg, name + plen + 1))
			sink_log_warning("%s: property \"%s\" is ignored: \"%s\" is not listed in \"%s\"",
							 cfg->props[i].origin, name, name + plen + 1,
							 OVERRIDES_PROP);
	}
	if (!ok)
		return false;

	/*
	 * The state table's rows must not become change events: exclude its
	 * schema from what the plugin captures.  A schema.include.list already
	 * leaves it out unless it names it.
	 */
	if (parse_mode(cfg->snapshot_mode) != MODE_NO_DATA &&
		sink_config_get(cfg, "schema.include.list") == NULL)
	{
		const char *excl = sink_config_get(cfg, "schema.exclude.list");
		Buf			value = {0};
		bool		set;

		if (excl && excl[0] != '\0')
			buf_printf(&value, "%s,%s", excl, SINK_STATE_SCHEMA);
		else
			buf_printf(&value, "%s", SINK_STATE_SCHEMA);
		if (value.oom)
		{
			free(value.data);
			sink_log_error("out of memory");
			return false;
		}
		set = sink_config_set(cfg, "schema.exclude.list", value.data,
							  "wal2dbz-sink (its state schema " SINK_STATE_SCHEMA ")");
		free(value.data);
		if (!set)
			return false;
	}
	return true;
}

/* The capture filters of the configuration. */
static Filters
config_filters(const SinkConfig *cfg)
{
	Filters		f;

	f.schema_include = sink_config_get(cfg, "schema.include.list");
	f.schema_exclude = sink_config_get(cfg, "schema.exclude.list");
	f.table_include = sink_config_get(cfg, "table.include.list");
	f.table_exclude = sink_config_get(cfg, "table.exclude.list");
	return f;
}

/* Are two filter strings the same (NULL for unset)? */
static bool
same_filter(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The plugin options as a text[] literal {name,value,...}; see snapshot.h. */
char *
sink_snapshot_options_array(const SinkConfig *cfg)
{
	Buf			buf = {0};
	int			i;

	buf_printf(&buf, "{");
	for (i = 0; i < cfg->nprops; i++)
	{
		if (!sink_config_is_plugin_option(cfg->props[i].name) ||
			strcmp(cfg->props[i].name, "framed.batch.bytes") == 0)
			continue;
		buf_array_elem(&buf, cfg->props[i].name);
		buf_array_elem(&buf, cfg->props[i].value);
	}
	buf_array_elem(&buf, "framed.batch.bytes");
	buf_array_elem(&buf, SNAPSHOT_BATCH_BYTES);
	buf_printf(&buf, "}");
	return buf_finish(&buf);
}

/* Run a command without parameters that must succeed; logs on failure. */
static PGresult *
exec_ok(PGconn *conn, const char *sql, ExecStatusType expected, const char *what)
{
	PGresult   *res = PQexec(conn, sql);

	if (PQresultStatus(res) != expected)
	{
		sink_log_error("could not %s: %s", what, PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Run a command with text parameters that must succeed; logs on failure. */
static PGresult *
exec_params(PGconn *conn, const char *sql, int n, const char *const *values,
			ExecStatusType expected, const char *what)
{
	PGresult   *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);

	if (PQresultStatus(res) != expected)
	{
		sink_log_error("could not %s: %s", what, PQerrorMessage(conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Is the connection broken (rather than the command refused)? */
static SinkSnapshotResult
failure_of(PGconn *conn)
{
	return PQstatus(conn) == CONNECTION_BAD ? SINK_SNAPSHOT_DISCONNECTED :
		SINK_SNAPSHOT_FATAL;
}

/*
 * Open the control connection: create the state table if missing and
 * check that the extension's function is there, before any slot exists.
 */
static SinkSnapshotResult
open_control(const SinkConfig *cfg, PGconn **out)
{
	PGconn	   *conn;
	PGresult   *res;
	bool		have_table;
	bool		have_function;

	*out = NULL;
	conn = sink_pg_connect(cfg, false);
	if (conn == NULL)
		return SINK_SNAPSHOT_DISCONNECTED;
	res = exec_ok(conn,
				  "SELECT pg_catalog.to_regclass('" STATE_RELATION "') IS NOT NULL, "
				  "pg_catalog.to_regprocedure('" SINK_FRAMES_SIGNATURE "') IS NOT NULL, "
				  "pg_catalog.current_database()",
				  PGRES_TUPLES_OK, "look up the snapshot prerequisites");
	if (res == NULL)
		goto error;
	have_table = PQgetvalue(res, 0, 0)[0] == 't';
	have_function = PQgetvalue(res, 0, 1)[0] == 't';
	if (!have_function)
	{
		sink_log_error("function wal2dbz.snapshot_frames() does not exist in database \"%s\"",
					   PQgetvalue(res, 0, 2));
		sink_log_hint("Run \"CREATE EXTENSION wal2dbz\" in that database (snapshots read tables through it), or set \"snapshot.mode\" to \"no_data\".");
		PQclear(res);
		PQfinish(conn);
		return SINK_SNAPSHOT_FATAL;
	}
	PQclear(res);

	if (!have_table)
	{
		res = exec_ok(conn,
					  "CREATE SCHEMA IF NOT EXISTS " SINK_STATE_SCHEMA ";"
					  "CREATE TABLE IF NOT EXISTS " STATE_RELATION " ("
					  " slot_name text PRIMARY KEY,"
					  " status text NOT NULL CHECK (status IN ('running', 'complete')),"
					  " snapshot_lsn pg_lsn,"
					  " started_at timestamptz,"
					  " completed_at timestamptz,"
					  " records bigint,"
					  " tables integer,"
					  " filters_known boolean NOT NULL DEFAULT false,"
					  " schema_include_list text,"
					  " schema_exclude_list text,"
					  " table_include_list text,"
					  " table_exclude_list text)",
					  PGRES_COMMAND_OK, "create the snapshot state table " STATE_RELATION);
		if (res == NULL)
		{
			sink_log_hint("The sink records its snapshots there.  Give its role CREATE on the database, or create the schema and table as in sink/README.md; \"snapshot.mode\" \"no_data\" needs neither.");
			PQfinish(conn);
			return SINK_SNAPSHOT_FATAL;
		}
		PQclear(res);
		sink_log_info("created table " STATE_RELATION " for the sink's snapshot state");
	}
	*out = conn;
	return SINK_SNAPSHOT_STREAM;

error:
	{
		SinkSnapshotResult r = failure_of(conn);

		PQfinish(conn);
		return r;
	}
}

/* Free what a SnapState holds. */
static void
state_free(SnapState *state)
{
	int			i;

	for (i = 0; i < 4; i++)
		free(state->filter[i]);
	memset(state, 0, sizeof(*state));
}

/* Read our slot's row of the state table. */
static bool
state_read(PGconn *conn, const char *slot, SnapState *state)
{
	const char *values[1] = {slot};
	PGresult   *res;
	int			i;

	memset(state, 0, sizeof(*state));
	res = exec_params(conn,
					  "SELECT status = 'complete', filters_known, schema_include_list, "
					  "schema_exclude_list, table_include_list, table_exclude_list "
					  "FROM " STATE_RELATION " WHERE slot_name = $1",
					  1, values, PGRES_TUPLES_OK, "read the snapshot state");
	if (res == NULL)
		return false;
	if (PQntuples(res) == 1)
	{
		state->found = true;
		state->complete = PQgetvalue(res, 0, 0)[0] == 't';
		state->filters_known = PQgetvalue(res, 0, 1)[0] == 't';
		for (i = 0; i < 4; i++)
			if (!PQgetisnull(res, 0, 2 + i))
				state->filter[i] = strdup(PQgetvalue(res, 0, 2 + i));
	}
	PQclear(res);
	return true;
}

/*
 * Record that a snapshot starts.  For a new slot (\p reset) forget what
 * the old one had completed.
 */
static bool
state_running(PGconn *conn, const char *slot, const char *lsn, int ntables,
			  bool reset)
{
	char		tables[16];
	const char *values[4];
	PGresult   *res;

	snprintf(tables, sizeof(tables), "%d", ntables);
	values[0] = slot;
	values[1] = lsn;
	values[2] = tables;
	values[3] = reset ? "t" : "f";
	res = exec_params(conn,
					  "INSERT INTO " STATE_RELATION " AS s (slot_name, status, snapshot_lsn, "
					  "started_at, records, tables) "
					  "VALUES ($1, 'running', $2::pg_lsn, now(), 0, $3::int) "
					  "ON CONFLICT (slot_name) DO UPDATE SET status = 'running', "
					  "snapshot_lsn = $2::pg_lsn, started_at = now(), completed_at = NULL, "
					  "records = 0, tables = $3::int, "
					  "filters_known = s.filters_known AND NOT $4::boolean",
					  4, values, PGRES_COMMAND_OK, "record the snapshot's start");
	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/*
 * Record the capture filters streaming starts with, and, with \p complete,
 * that the snapshot completed with \p records records.
 */
static bool
state_filters(PGconn *conn, const char *slot, const Filters *f, bool complete,
			  const uint64_t *records)
{
	char		count[32];
	const char *values[7];
	PGresult   *res;

	if (records)
		snprintf(count, sizeof(count), "%" PRIu64, *records);
	values[0] = slot;
	values[1] = f->schema_include;
	values[2] = f->schema_exclude;
	values[3] = f->table_include;
	values[4] = f->table_exclude;
	values[5] = complete ? "t" : "f";
	values[6] = records ? count : NULL;
	res = exec_params(conn,
					  "UPDATE " STATE_RELATION " SET filters_known = true, "
					  "schema_include_list = $2, schema_exclude_list = $3, "
					  "table_include_list = $4, table_exclude_list = $5, "
					  "status = CASE WHEN $6::boolean THEN 'complete' ELSE status END, "
					  "completed_at = CASE WHEN $7::bigint IS NOT NULL THEN now() ELSE completed_at END, "
					  "records = coalesce($7::bigint, records) "
					  "WHERE slot_name = $1",
					  7, values, PGRES_COMMAND_OK,
					  complete ? "record the snapshot's completion" :
					  "record the capture filters");
	if (res == NULL)
		return false;
	PQclear(res);
	return true;
}

/*
 * Create the slot on the replication connection: without a snapshot, or
 * exporting one (\p snapshot_name, which the caller frees), temporary for
 * initial_only so that nothing holds WAL once the process is gone.
 */
static SinkSnapshotResult
create_slot(PGconn *repl, const char *slot, bool export, bool temporary,
			SinkLsnPtr *lsn, char **snapshot_name)
{
	char		sql[256];
	PGresult   *res;

	if (!export)
		snprintf(sql, sizeof(sql),
				 PQserverVersion(repl) >= 150000 ?
				 "CREATE_REPLICATION_SLOT \"%s\" LOGICAL %s (SNAPSHOT 'nothing')" :
				 "CREATE_REPLICATION_SLOT \"%s\" LOGICAL %s NOEXPORT_SNAPSHOT",
				 slot, SINK_PLUGIN_NAME);
	else
		snprintf(sql, sizeof(sql),
				 "CREATE_REPLICATION_SLOT \"%s\"%s LOGICAL %s EXPORT_SNAPSHOT",
				 slot, temporary ? " TEMPORARY" : "", SINK_PLUGIN_NAME);
	res = PQexec(repl, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
		PQnfields(res) < 3 || PQgetisnull(res, 0, 1))
	{
		sink_log_error("could not send replication command \"%s\": %s",
					   sql, PQerrorMessage(repl));
		PQclear(res);
		return SINK_SNAPSHOT_DISCONNECTED;
	}
	*lsn = SINK_LSN_INVALID;
	if (!sink_parse_lsn(PQgetvalue(res, 0, 1), lsn))
	{
		sink_log_error("could not parse consistent point \"%s\" of the new slot",
					   PQgetvalue(res, 0, 1));
		PQclear(res);
		return SINK_SNAPSHOT_FATAL;
	}
	if (export)
	{
		*snapshot_name = PQgetisnull(res, 0, 2) ? NULL : strdup(PQgetvalue(res, 0, 2));
		if (*snapshot_name == NULL)
		{
			sink_log_error("the new slot exported no snapshot");
			PQclear(res);
			return SINK_SNAPSHOT_FATAL;
		}
	}
	PQclear(res);
	sink_log_info("created %sreplication slot \"%s\" at " SINK_LSN_FORMAT "%s",
				  temporary ? "temporary " : "", slot, SINK_LSN_ARGS(*lsn),
				  export ? " with an exported snapshot" : "");
	return SINK_SNAPSHOT_STREAM;
}

/* Drop the slot on the replication connection. */
static bool
drop_slot(PGconn *repl, const char *slot)
{
	char		sql[256];
	PGresult   *res;

	snprintf(sql, sizeof(sql), "DROP_REPLICATION_SLOT \"%s\"", slot);
	res = PQexec(repl, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		sink_log_error("could not send replication command \"%s\": %s",
					   sql, PQerrorMessage(repl));
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

/*
 * Open a reading connection and start its snapshot transaction: import
 * \p import, or take a new snapshot and, with \p export, export it for the
 * others.  The snapshot's LSN goes to \p lsn when asked.
 */
static SinkSnapshotResult
open_worker(const SinkConfig *cfg, const char *import, bool export,
			char **exported, SinkLsnPtr *lsn, PGconn **out)
{
	PGconn	   *conn;
	PGresult   *res;
	SinkSnapshotResult r;

	*out = NULL;
	conn = sink_pg_connect(cfg, false);
	if (conn == NULL)
		return SINK_SNAPSHOT_DISCONNECTED;

	/* a snapshot may idle in its transaction while Kafka catches up */
	res = exec_ok(conn,
				  "SET statement_timeout = 0; SET idle_in_transaction_session_timeout = 0; "
				  "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
				  PGRES_COMMAND_OK, "start the snapshot transaction");
	if (res == NULL)
		goto error;
	PQclear(res);
	if (import)
	{
		char	   *lit = PQescapeLiteral(conn, import, strlen(import));
		char		sql[256];

		if (lit == NULL)
			goto error;
		snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT %s", lit);
		PQfreemem(lit);
		res = exec_ok(conn, sql, PGRES_COMMAND_OK, "import the snapshot");
		if (res == NULL)
			goto error;
		PQclear(res);
	}
	else
	{
		/* the first query takes the snapshot */
		res = exec_ok(conn,
					  export ?
					  "SELECT pg_catalog.pg_current_wal_lsn(), pg_catalog.pg_export_snapshot()" :
					  "SELECT pg_catalog.pg_current_wal_lsn()",
					  PGRES_TUPLES_OK, "take the snapshot");
		if (res == NULL)
			goto error;
		if (lsn)
			sink_parse_lsn(PQgetvalue(res, 0, 0), lsn);
		if (export)
		{
			*exported = strdup(PQgetvalue(res, 0, 1));
			if (*exported == NULL)
			{
				PQclear(res);
				sink_log_error("out of memory");
				PQfinish(conn);
				return SINK_SNAPSHOT_FATAL;
			}
		}
		PQclear(res);
	}
	*out = conn;
	return SINK_SNAPSHOT_STREAM;

error:
	r = failure_of(conn);
	PQfinish(conn);
	return r;
}

/*
 * Hold ACCESS SHARE locks on the planned tables in the planning
 * connection's transaction until the snapshot ends (Debezium's
 * snapshot.locking.mode=shared), waiting at most snapshot.lock.timeout.ms
 * (Debezium's default 10 s): TRUNCATE and table-rewriting ALTER TABLE are
 * not MVCC-safe, and a snapshot reading a table after one committed would
 * find it empty.  Then make sure none committed between the snapshot and
 * the locks: a table whose file is not the one the snapshot sees was
 * truncated or rewritten (or VACUUM FULL/CLUSTER ran), and its rows as of
 * the snapshot cannot be read any more, so the snapshot stops, to be
 * taken again.
 */
static bool
lock_tables(Snapshot *s, PGconn *conn)
{
	const SinkConfig *cfg = s->cfg;
	const char *mode = sink_config_get(cfg, "snapshot.locking.mode");
	Buf			buf = {0};
	Buf			oids = {0};
	char	   *sql;
	PGresult   *res;
	const char *values[1];
	int			i;

	if (s->ntables == 0)
		return true;
	if (mode == NULL || strcmp(mode, "none") != 0)
	{
		buf_printf(&buf, "SET LOCAL lock_timeout = %d; LOCK TABLE ",
				   int_prop(cfg, "snapshot.lock.timeout.ms", 10000));
		for (i = 0; i < s->ntables; i++)
			buf_printf(&buf, "%s%s", i > 0 ? ", " : "", s->tables[i].qualified);
		buf_printf(&buf, " IN ACCESS SHARE MODE; SET LOCAL lock_timeout = 0");
		sql = buf_finish(&buf);
		if (sql == NULL)
			return false;
		res = PQexec(conn, sql);
		free(sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			sink_log_error("could not lock the tables to snapshot: %s", PQerrorMessage(conn));
			if (code && strcmp(code, "55P03") == 0)	/* lock_not_available */
				sink_log_hint("Another session holds a conflicting lock (an ALTER TABLE, a long TRUNCATE...) for longer than snapshot.lock.timeout.ms; let it finish or raise the setting, then start again.");
			PQclear(res);
			return false;
		}
		PQclear(res);
	}

	buf_printf(&oids, "{");
	for (i = 0; i < s->ntables; i++)
		buf_printf(&oids, "%s%s", i > 0 ? "," : "", s->tables[i].oid);
	buf_printf(&oids, "}");
	sql = buf_finish(&oids);
	if (sql == NULL)
		return false;
	values[0] = sql;
	/* relfilenode as the snapshot sees pg_class, against the file in use now */
	res = exec_params(conn,
					  "SELECT pg_catalog.string_agg(n.nspname OPERATOR(pg_catalog.||) '.' "
					  "   OPERATOR(pg_catalog.||) c.relname, ', ') "
					  "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
					  "WHERE c.oid = ANY ($1::pg_catalog.oid[]) "
					  " AND c.relfilenode IS DISTINCT FROM pg_catalog.pg_relation_filenode(c.oid)",
					  1, values, PGRES_TUPLES_OK, "check the tables to snapshot");
	free(sql);
	if (res == NULL)
		return false;
	if (!PQgetisnull(res, 0, 0))
	{
		sink_log_error("table(s) %s were truncated or rewritten (TRUNCATE, ALTER TABLE, VACUUM FULL, CLUSTER) after the snapshot began: their rows as of the snapshot cannot be read",
					   PQgetvalue(res, 0, 0));
		sink_log_hint("Start the sink again: the snapshot is taken again, and the changes after it follow.");
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

/* Free what one table of the plan owns. */
static void
free_table(SnapTable *t)
{
	free(t->oid);
	free(t->name);
	free(t->qualified);
	free(t->override);
	free(t->pk_cols);
	free(t->pk_literals);
	free(t->pk_bounds);
	free(t->pk_type);
}

/* Free the tables and chunks of a run. */
static void
free_plan(Snapshot *s)
{
	int			i;

	for (i = 0; i < s->ntables; i++)
		free_table(&s->tables[i]);
	for (i = 0; i < s->nchunks; i++)
		free(s->chunks[i].filter);
	free(s->tables);
	free(s->chunks);
	s->tables = NULL;
	s->chunks = NULL;
	s->ntables = s->nchunks = 0;
}

/* Append a chunk of table \p ti with row filter \p filter (taken over). */
static bool
add_chunk(Snapshot *s, int ti, char *filter, int *cap)
{
	SnapChunk  *c;

	if (s->nchunks == *cap)
	{
		int			newcap = *cap ? *cap * 2 : 64;
		SnapChunk  *chunks = realloc(s->chunks, newcap * sizeof(SnapChunk));

		if (chunks == NULL)
		{
			free(filter);
			sink_log_error("out of memory");
			return false;
		}
		s->chunks = chunks;
		*cap = newcap;
	}
	c = &s->chunks[s->nchunks++];
	c->table = ti;
	c->index = s->tables[ti].nchunks++;
	c->filter = filter;
	c->state = CHUNK_PENDING;
	return true;
}

/*
 * The row filter of one chunk: the override's condition and the range,
 * either of which may be missing.  NULL filter for neither.
 */
static char *
chunk_filter(const SnapTable *t, const char *range, bool *oom)
{
	Buf			buf = {0};

	if (t->override == NULL && range == NULL)
		return NULL;
	if (t->override && range)
		buf_printf(&buf, "(%s) AND %s", t->override, range);
	else if (t->override)
		buf_printf(&buf, "(%s)", t->override);
	else
		buf_printf(&buf, "%s", range);
	if (buf.oom)
	{
		free(buf.data);
		*oom = true;
		return NULL;
	}
	return buf.data;
}

/* Does the table have a row matching \p cond (NULL: any row)? */
static int
has_rows(PGconn *conn, const SnapTable *t, const char *cond)
{
	Buf			sql = {0};
	PGresult   *res;
	int			r;

	buf_printf(&sql, "SELECT EXISTS (SELECT 1 FROM ONLY %s t%s%s%s)", t->qualified,
			   cond ? " WHERE (" : "", cond ? cond : "", cond ? ")" : "");
	if (sql.oom)
	{
		free(sql.data);
		sink_log_error("out of memory");
		return -1;
	}
	res = exec_ok(conn, sql.data, PGRES_TUPLES_OK, "look for rows");
	free(sql.data);
	if (res == NULL)
	{
		if (t->override)
			sink_log_hint("The rows of table \"%s\" are selected by property \"%s.%s\".",
						  t->name, OVERRIDES_PROP, t->name);
		return -1;
	}
	r = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return r;
}

/*
 * Add the chunks of \p column's ranges split at \p n boundaries: below the
 * first, between each two, from the last on (the outer ends open).
 * Boundaries are SQL literals of the column, ascending: key values, or
 * ctids.
 */
static bool
add_ranges(Snapshot *s, int ti, const char *column, const char *const *bounds,
		   int n, int *cap)
{
	SnapTable  *t = &s->tables[ti];
	bool		oom = false;
	int			i;

	for (i = 0; i <= n && !oom; i++)
	{
		Buf			range = {0};
		char	   *filter;

		if (i > 0)
			buf_printf(&range, "(%s) >= (%s)", column, bounds[i - 1]);
		if (i > 0 && i < n)
			buf_printf(&range, " AND ");
		if (i < n)
			buf_printf(&range, "(%s) < (%s)", column, bounds[i]);
		if (range.oom)
			oom = true;
		filter = chunk_filter(t, range.data, &oom);
		free(range.data);
		if (oom || !add_chunk(s, ti, filter, cap))
			oom = true;
	}
	if (oom)
		sink_log_error("out of memory");
	return !oom;
}

/*
 * Cut a table with a one-column key into chunks at the bounds of the key's
 * histogram from ANALYZE, which are spaced by rows: no scan of the table,
 * only its two ends in the key's index.  Bounds outside (min, max] are left
 * out, so the first and the last chunk hold the smallest and largest key
 * (and the table's markers); the others can be empty when the statistics
 * are stale, never overlapping.  Only for types without collation whose
 * key index uses the default operator class (see the table list), so that
 * the histogram's order is the order of the comparisons in the ranges.
 */
static bool
plan_histogram_chunks(Snapshot *s, PGconn *conn, int ti, int *cap)
{
	SnapTable  *t = &s->tables[ti];
	Buf			sql = {0};
	PGresult   *res;
	const char *values[2] = {t->pk_bounds, t->pk_type};
	const char **bounds = NULL;
	int			m;
	int			want;
	int			n = 0;
	int			i;
	bool		ok;

	buf_printf(&sql,
			   "SELECT pg_catalog.quote_literal(b::text) OPERATOR(pg_catalog.||) '::' "
			   "  OPERATOR(pg_catalog.||) $2 "
			   "FROM (SELECT DISTINCT b FROM pg_catalog.unnest($1::text::%s[]) b, "
			   "  (SELECT min(%s), max(%s) FROM ONLY %s t%s%s%s) r(lo, hi) "
			   "  WHERE b > r.lo AND b <= r.hi) x ORDER BY b",
			   t->pk_type, t->pk_cols, t->pk_cols, t->qualified,
			   t->override ? " WHERE (" : "", t->override ? t->override : "",
			   t->override ? ")" : "");
	if (sql.oom)
	{
		free(sql.data);
		sink_log_error("out of memory");
		return false;
	}
	res = exec_params(conn, sql.data, 2, values, PGRES_TUPLES_OK,
					  "find the chunks of a table");
	free(sql.data);
	if (res == NULL)
		return false;

	/* as many chunks as chunk.size asks for, as far as the bounds go */
	m = PQntuples(res);
	want = (int) (t->reltuples / s->chunk_size);
	if (want > m)
		want = m;
	if (want > 0 && (bounds = calloc(want, sizeof(char *))) == NULL)
	{
		PQclear(res);
		sink_log_error("out of memory");
		return false;
	}
	for (i = 1; i <= want; i++)
	{
		int			at = (int) ((double) i * (m + 1) / (want + 1)) - 1;

		/* want <= m: at rises with i, and the bounds are distinct */
		if (at >= 0 && at < m)
			bounds[n++] = PQgetvalue(res, at, 0);
	}
	ok = add_ranges(s, ti, t->pk_cols, bounds, n, cap);
	free(bounds);
	PQclear(res);
	return ok;
}

/*
 * Cut a table with a primary key into chunks: at its key histogram's bounds
 * when it has one, else each starting at a key found by row_number() over
 * the key order, so none is empty (one scan of the key's index, and a sort
 * if the planner prefers one: seconds for millions of rows).
 */
static bool
plan_key_chunks(Snapshot *s, PGconn *conn, int ti, int *cap)
{
	SnapTable  *t = &s->tables[ti];
	Buf			sql = {0};
	PGresult   *res;
	const char **bounds;
	int			n;
	int			i;
	bool		ok;

	if (t->pk_bounds)
		return plan_histogram_chunks(s, conn, ti, cap);

	buf_printf(&sql,
			   "SELECT %s FROM (SELECT %s, row_number() OVER (ORDER BY %s) AS wal2dbz_rn "
			   "FROM ONLY %s t%s%s%s) s "
			   "WHERE wal2dbz_rn > 1 AND (wal2dbz_rn - 1) %% %d = 0 ORDER BY wal2dbz_rn",
			   t->pk_literals, t->pk_cols, t->pk_cols, t->qualified,
			   t->override ? " WHERE (" : "", t->override ? t->override : "",
			   t->override ? ")" : "", s->chunk_size);
	if (sql.oom)
	{
		free(sql.data);
		sink_log_error("out of memory");
		return false;
	}
	res = exec_ok(conn, sql.data, PGRES_TUPLES_OK, "find the chunks of a table");
	free(sql.data);
	if (res == NULL)
		return false;
	n = PQntuples(res);
	bounds = calloc(n > 0 ? n : 1, sizeof(char *));
	if (bounds == NULL)
	{
		PQclear(res);
		sink_log_error("out of memory");
		return false;
	}
	for (i = 0; i < n; i++)
		bounds[i] = PQgetvalue(res, i, 0);
	ok = add_ranges(s, ti, t->pk_cols, bounds, n, cap);
	free(bounds);
	PQclear(res);
	if (!ok)
		return false;
	/* the boundaries say how many rows there are, to within a chunk */
	if ((double) n * s->chunk_size > t->reltuples)
		t->estimate = (uint64_t) n * s->chunk_size + 1;
	return true;
}

/*
 * Cut a table without a primary key into ctid page ranges.  Empty ranges
 * at either end are merged into their neighbour, so that the first and
 * the last chunk have rows (and the table's markers).  Returns 0 if the
 * table turned out empty, 1 if chunks were added, -1 on error.
 */
static int
plan_ctid_chunks(Snapshot *s, PGconn *conn, int ti, int *cap)
{
	SnapTable  *t = &s->tables[ti];
	double		per_page = (t->reltuples > 0 && t->relpages > 0) ?
		t->reltuples / (double) t->relpages : 50.0;
	int64_t		step = (int64_t) (s->chunk_size / (per_page > 1 ? per_page : 1));
	int64_t		nranges;
	int64_t		first;
	int64_t		last;
	int64_t		i;
	int			n;
	char		(*literals)[40];
	const char **bounds;
	bool		oom = false;
	bool		ok;

	if (step < 1)
		step = 1;
	nranges = (t->pages + step - 1) / step;
	if (nranges < 1)
		nranges = 1;

	/* the first and the last range with rows */
	for (first = 0; first < nranges; first++)
	{
		char		range[128];
		int			r;

		snprintf(range, sizeof(range),
				 "ctid >= '(%" PRId64 ",0)'::tid AND ctid < '(%" PRId64 ",0)'::tid",
				 first * step, (first + 1) * step);
		{
			char	   *cond = chunk_filter(t, nranges == 1 ? NULL : range, &oom);

			r = oom ? -1 : has_rows(conn, t, cond);
			free(cond);
		}
		if (r < 0)
			return -1;
		if (r)
			break;
	}
	if (first == nranges)
		return 0;
	for (last = nranges - 1; last > first; last--)
	{
		char		range[128];
		char	   *cond;
		int			r;

		snprintf(range, sizeof(range),
				 "ctid >= '(%" PRId64 ",0)'::tid AND ctid < '(%" PRId64 ",0)'::tid",
				 last * step, (last + 1) * step);
		cond = chunk_filter(t, range, &oom);
		r = oom ? -1 : has_rows(conn, t, cond);
		free(cond);
		if (r < 0)
			return -1;
		if (r)
			break;
	}

	/* ranges first..last, split where each of the others starts */
	n = (int) (last - first);
	literals = calloc(n > 0 ? n : 1, sizeof(*literals));
	bounds = calloc(n > 0 ? n : 1, sizeof(char *));
	if (literals == NULL || bounds == NULL)
	{
		free(literals);
		free(bounds);
		sink_log_error("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++)
	{
		snprintf(literals[i], sizeof(literals[i]), "'(%" PRId64 ",0)'::tid",
				 (first + 1 + i) * step);
		bounds[i] = literals[i];
	}
	ok = add_ranges(s, ti, "ctid", bounds, n, cap);
	free(literals);
	free(bounds);
	return ok ? 1 : -1;
}

/* Find the condition of a table's SELECT override, if any (checked before). */
static char *
table_override(const SinkConfig *cfg, const char *name, bool *oom)
{
	char		propname[600];
	const char *stmt;
	char	   *cond;

	snprintf(propname, sizeof(propname), "%s.%s", OVERRIDES_PROP, name);
	stmt = sink_config_get(cfg, propname);
	/* only honoured for the tables listed, as in Debezium */
	if (stmt == NULL || !override_listed(cfg, name))
		return NULL;
	cond = override_condition(stmt, name);
	if (cond == NULL)
		*oom = true;			/* cannot happen: checked at startup */
	else if (cond[0] == '\0')
	{
		free(cond);
		cond = NULL;
	}
	return cond;
}

/*
 * Find the tables to read, in the snapshot, in a fixed order: ordinary
 * tables and leaf partitions (what logical decoding emits) that the
 * capture filters and snapshot.include.collection.list let through, with
 * \p scope SCOPE_NEW only those the filters of the last start (\p state)
 * did not capture; leave out the empty ones; cut each into chunks.
 */
static bool
plan(Snapshot *s, PGconn *conn, SnapshotScope scope, const SnapState *state)
{
	const SinkConfig *cfg = s->cfg;
	Filters		f = config_filters(cfg);
	bool		oom = false;
	char	   *arrays[10];
	const char *values[11];
	PGresult   *res;
	int			cap = 0;
	int			nrows;
	int			i;
	bool		ok = false;

	arrays[0] = patterns_array(f.schema_include, true, &oom);
	arrays[1] = patterns_array(f.schema_exclude, true, &oom);
	arrays[2] = patterns_array(f.table_include, true, &oom);
	arrays[3] = patterns_array(f.table_exclude, true, &oom);
	arrays[4] = patterns_array(sink_config_get(cfg, "snapshot.include.collection.list"),
							   true, &oom);
	for (i = 0; i < 4; i++)
		arrays[5 + i] = patterns_array(state->filter[i], true, &oom);
	arrays[9] = patterns_array(f.table_include, false, &oom);
	for (i = 0; i < 9; i++)
		values[i] = arrays[i];
	values[9] = (scope == SCOPE_NEW && state->filters_known) ? "t" : "f";
	values[10] = arrays[9];
	if (oom)
	{
		sink_log_error("out of memory");
		goto done;
	}

#define DC "((n.nspname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) c.relname) COLLATE \"C\")"
#define NSP "(n.nspname::text COLLATE \"C\")"
	res = exec_params(conn,
					  "SELECT c.oid, n.nspname OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) c.relname, "
					  " pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' "
					  "   OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname), "
					  " c.reltuples::float8, c.relpages::int8, "
					  " pg_catalog.pg_relation_size(c.oid) / pg_catalog.current_setting('block_size')::int8, "
					  " (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY k.n) "
					  "  FROM pg_catalog.pg_index i, "
					  "   LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n), "
					  "   pg_catalog.pg_attribute a "
					  "  WHERE i.indrelid = c.oid AND i.indisprimary "
					  "   AND a.attrelid = c.oid AND a.attnum = k.attnum), "
					  " (SELECT pg_catalog.string_agg(pg_catalog.format('pg_catalog.quote_literal(%I::text) || %L', "
					  "      a.attname, '::' OPERATOR(pg_catalog.||) pg_catalog.format_type(a.atttypid, a.atttypmod)), "
					  "    ' || '', '' || ' ORDER BY k.n) "
					  "  FROM pg_catalog.pg_index i, "
					  "   LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n), "
					  "   pg_catalog.pg_attribute a "
					  "  WHERE i.indrelid = c.oid AND i.indisprimary "
					  "   AND a.attrelid = c.oid AND a.attnum = k.attnum), "
					  " h.bounds, h.type "
					  "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
					  /* a one-column key whose histogram sorts as its index does */
					  "LEFT JOIN LATERAL (SELECT s.histogram_bounds::text AS bounds, "
					  "   pg_catalog.format_type(a.atttypid, a.atttypmod) AS type "
					  "  FROM pg_catalog.pg_index i, pg_catalog.pg_attribute a, pg_catalog.pg_type ty, "
					  "   pg_catalog.pg_opclass o, pg_catalog.pg_stats s "
					  "  WHERE i.indrelid = c.oid AND i.indisprimary AND i.indnkeyatts = 1 "
					  "   AND a.attrelid = c.oid AND a.attnum = i.indkey[0] "
					  "   AND ty.oid = a.atttypid AND ty.typcollation = 0 "
					  "   AND o.oid = i.indclass[0] AND o.opcdefault AND o.opcintype = a.atttypid "
					  "   AND s.schemaname = n.nspname AND s.tablename = c.relname "
					  "   AND s.attname = a.attname AND NOT s.inherited "
					  "   AND s.histogram_bounds IS NOT NULL) h ON true "
					  "WHERE c.relkind = 'r' AND c.relpersistence = 'p' "
					  " AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema', '" SINK_STATE_SCHEMA "']) "
					  " AND n.nspname !~ '^pg_(toast|temp_)' "
					  " AND ($1::text[] IS NULL OR " NSP " ~* ANY ($1::text[])) "
					  " AND ($2::text[] IS NULL OR NOT (" NSP " ~* ANY ($2::text[]))) "
					  " AND ($3::text[] IS NULL OR " DC " ~* ANY ($3::text[])) "
					  " AND ($4::text[] IS NULL OR NOT (" DC " ~* ANY ($4::text[]))) "
					  " AND ($5::text[] IS NULL OR " DC " ~* ANY ($5::text[])) "
					  " AND NOT ($10::boolean "
					  "  AND ($6::text[] IS NULL OR " NSP " ~* ANY ($6::text[])) "
					  "  AND ($7::text[] IS NULL OR NOT (" NSP " ~* ANY ($7::text[]))) "
					  "  AND ($8::text[] IS NULL OR " DC " ~* ANY ($8::text[])) "
					  "  AND ($9::text[] IS NULL OR NOT (" DC " ~* ANY ($9::text[])))) "
					  /*
					   * Debezium's order: the tables of table.include.list's
					   * first item that finds a match in the name, then of the
					   * next; by name within each and without a list
					   */
					  "ORDER BY (SELECT pg_catalog.min(k.n) "
					  "  FROM pg_catalog.unnest($11::text[]) WITH ORDINALITY AS k(p, n) "
					  "  WHERE " DC " ~* k.p), "
					  " n.nspname COLLATE \"C\", c.relname COLLATE \"C\"",
					  11, values, PGRES_TUPLES_OK, "list the tables to snapshot");
#undef DC
#undef NSP
	if (res == NULL)
		goto done;
	nrows = PQntuples(res);
	s->tables = calloc(nrows > 0 ? nrows : 1, sizeof(SnapTable));
	if (s->tables == NULL)
	{
		PQclear(res);
		sink_log_error("out of memory");
		goto done;
	}
	for (i = 0; i < nrows && !oom; i++)
	{
		SnapTable  *t = &s->tables[s->ntables];
		int			r;

		memset(t, 0, sizeof(*t));
		s->ntables++;			/* from here on free_plan() frees it */
		t->oid = strdup(PQgetvalue(res, i, 0));
		t->name = strdup(PQgetvalue(res, i, 1));
		t->qualified = strdup(PQgetvalue(res, i, 2));
		t->reltuples = atof(PQgetvalue(res, i, 3));
		t->relpages = strtoll(PQgetvalue(res, i, 4), NULL, 10);
		t->pages = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		if (!PQgetisnull(res, i, 6))
		{
			t->pk_cols = strdup(PQgetvalue(res, i, 6));
			t->pk_literals = strdup(PQgetvalue(res, i, 7));
			if (t->pk_cols == NULL || t->pk_literals == NULL)
				oom = true;
			if (!PQgetisnull(res, i, 8) && !PQgetisnull(res, i, 9) &&
				((t->pk_bounds = strdup(PQgetvalue(res, i, 8))) == NULL ||
				 (t->pk_type = strdup(PQgetvalue(res, i, 9))) == NULL))
				oom = true;
		}
		if (t->oid == NULL || t->name == NULL || t->qualified == NULL)
			oom = true;
		if (oom)
			break;
		t->override = table_override(cfg, t->name, &oom);
		if (oom)
			break;
		t->estimate = t->reltuples > 0 ? (uint64_t) t->reltuples : 0;
		t->first_chunk = s->nchunks;

		/* small tables are one chunk; unknown sizes count as big */
		if (t->pk_cols && (t->reltuples < 0 || t->reltuples > s->chunk_size ||
						   t->pages * 8192 / 64 > s->chunk_size))
		{
			r = has_rows(conn, t, t->override);
			if (r < 0)
				break;
			if (r && !plan_key_chunks(s, conn, s->ntables - 1, &cap))
				break;
		}
		else if (t->pk_cols == NULL && t->pages > 1 &&
				 (t->reltuples < 0 || t->reltuples > s->chunk_size ||
				  t->pages * 8192 / 64 > s->chunk_size))
		{
			r = plan_ctid_chunks(s, conn, s->ntables - 1, &cap);
			if (r < 0)
				break;
		}
		else
		{
			r = has_rows(conn, t, t->override);
			if (r < 0)
				break;
			if (r)
			{
				char	   *filter = chunk_filter(t, NULL, &oom);

				if (oom || !add_chunk(s, s->ntables - 1, filter, &cap))
					break;
			}
		}
		if (r == 0)
		{
			/* empty: not part of the snapshot */
			sink_log_debug("snapshot: table \"%s\" is empty", t->name);
			free_table(t);
			s->ntables--;
			continue;
		}
		if (t->estimate == 0)
			t->estimate = 1;
		s->estimate += t->estimate;
		sink_log_debug("snapshot: table \"%s\", about %" PRIu64 " rows in %d chunk(s)%s",
					   t->name, t->estimate, t->nchunks,
					   t->nchunks < 2 ? "" :
					   t->pk_bounds ? " by primary key, at its histogram's bounds" :
					   t->pk_cols ? " by primary key, at row_number() bounds" : " by ctid");
	}
	PQclear(res);
	if (oom)
		sink_log_error("out of memory");
	ok = (i == nrows && !oom);

done:
	for (i = 0; i < 10; i++)
		free(arrays[i]);
	return ok;
}

/*
 * Publish progress in /metrics (at once when it starts or ends), and in the
 * log every PROGRESS_LOG_MS.
 */
static void
progress(Snapshot *s, bool force_log, bool running)
{
	int64_t		now = sink_mono_ms();
	double		secs = (double) (now - s->start_ms) / 1000.0;
	double		rate = secs > 0 ? (double) s->rows / secs : 0;
	uint64_t	estimate = s->estimate > s->rows ? s->estimate : s->rows;
	int64_t		left = rate > 0 ? (int64_t) ((double) (estimate - s->rows) / rate) : -1;
	SinkMetricsSnapshot m;

	if (force_log || !running || s->last_metrics_ms == 0 ||
		now - s->last_metrics_ms >= PROGRESS_METRICS_MS)
	{
		s->last_metrics_ms = now;
		m.running = running;
		m.rows = s->rows;
		m.rows_estimated = estimate;
		m.tables = (uint32_t) s->ntables;
		m.tables_done = (uint32_t) s->tables_done;
		m.rows_per_second = rate;
		m.seconds_left = running ? left : 0;
		sink_metrics_set_snapshot(s->env->metrics, &m);
	}
	if (!force_log && (!running || now - s->last_log_ms < PROGRESS_LOG_MS))
		return;
	s->last_log_ms = now;
	if (left >= 0)
		sink_log_info("snapshot: %" PRIu64 " of about %" PRIu64 " rows (%d%%), %.0f rows/s, about %" PRId64 " s left; %d of %d tables done",
					  s->rows, estimate,
					  estimate ? (int) (100.0 * (double) s->rows / (double) estimate) : 100,
					  rate, left, s->tables_done, s->ntables);
	else
		sink_log_info("snapshot: %" PRIu64 " of about %" PRIu64 " rows; %d of %d tables done",
					  s->rows, estimate, s->tables_done, s->ntables);
}

/* Serve delivery reports until the producer takes the frame. */
static SinkSnapshotResult
produce(Snapshot *s, const SinkFrame *frame, SinkSchema *schema)
{
	const SinkSnapshotEnv *env = s->env;
	SinkLsnTxn *txn;
	SinkProduceResult result;

	/* one tracker entry for all of them, committed at the slot's position */
	txn = sink_lsn_record(env->lsn, s->start, s->start, sink_mono_ms(), s->errbuf,
						  sizeof(s->errbuf));
	if (txn == NULL)
	{
		sink_log_error("snapshot: %s", s->errbuf);
		return SINK_SNAPSHOT_FATAL;
	}
	while ((result = sink_kafka_produce(env->sk, frame, schema, txn)) ==
		   SINK_PRODUCE_QUEUE_FULL)
	{
		sink_kafka_poll(env->sk, KAFKA_TICK_MS);
		progress(s, false, true);
		if (*env->stop)
			return SINK_SNAPSHOT_STOPPED;
	}
	if (result == SINK_PRODUCE_INTERRUPTED)
		return SINK_SNAPSHOT_STOPPED;
	if (result == SINK_PRODUCE_ERROR)
		return SINK_SNAPSHOT_KAFKA_FAILED;
	return SINK_SNAPSHOT_STREAM;
}

/* Handle one frame of a call. */
static SinkSnapshotResult
handle_frame(Snapshot *s, Worker *w, const SinkFrame *frame)
{
	SnapChunk  *c = &s->chunks[w->chunk];
	SnapTable  *t = &s->tables[c->table];
	SinkSchema *schema = NULL;
	SinkSnapshotResult r;

	if (frame->kind == WAL2DBZ_FRAME_SCHEMA)
	{
		if (!sink_schemas_add(&w->schemas, frame, s->errbuf, sizeof(s->errbuf)))
		{
			sink_log_error("invalid SCHEMA frame for table \"%s\": %s", t->name,
						   s->errbuf);
			return SINK_SNAPSHOT_FATAL;
		}
		return SINK_SNAPSHOT_STREAM;
	}
	if (frame->kind != WAL2DBZ_FRAME_RECORD)
	{
		sink_log_error("unexpected frame kind '%c' from wal2dbz.snapshot_frames() for table \"%s\"",
					   frame->kind, t->name);
		return SINK_SNAPSHOT_FATAL;
	}
	if (frame->schema_id != 0)
	{
		schema = sink_schemas_get(&w->schemas, frame->schema_id);
		if (schema == NULL)
		{
			sink_log_error("invalid frame sequence for table \"%s\": record refers to schema id %u, which the function has not sent",
						   t->name, frame->schema_id);
			return SINK_SNAPSHOT_FATAL;
		}
	}
	r = produce(s, frame, schema);
	if (r != SINK_SNAPSHOT_STREAM)
		return r;
	s->rows++;
	t->rows++;
	if (c->index == 0)
		t->started = true;
	return SINK_SNAPSHOT_STREAM;
}

/* Handle one row of a call: a batch of frames (see SNAPSHOT_BATCH_BYTES). */
static SinkSnapshotResult
handle_row(Snapshot *s, Worker *w, PGresult *res)
{
	const SnapTable *t = &s->tables[s->chunks[w->chunk].table];
	const char *data = PQgetvalue(res, 0, 0);
	size_t		len = (size_t) PQgetlength(res, 0, 0);
	size_t		pos = 0;

	if (PQnfields(res) != 1 || PQgetisnull(res, 0, 0) || len == 0)
	{
		sink_log_error("invalid result from wal2dbz.snapshot_frames() for table \"%s\": not one non-empty bytea",
					   t->name);
		return SINK_SNAPSHOT_FATAL;
	}
	while (pos < len)
	{
		SinkFrame	frame;
		size_t		consumed;
		SinkSnapshotResult r;

		if (!sink_frame_parse(data + pos, len - pos, &frame, &consumed, s->errbuf,
							  sizeof(s->errbuf)))
		{
			sink_log_error("invalid frame from wal2dbz.snapshot_frames() for table \"%s\": %s",
						   t->name, s->errbuf);
			return SINK_SNAPSHOT_FATAL;
		}
		r = handle_frame(s, w, &frame);
		if (r != SINK_SNAPSHOT_STREAM)
			return r;
		pos += consumed;
	}
	return SINK_SNAPSHOT_STREAM;
}

/* May this pending chunk start now?  See the file header (markers). */
static bool
may_start(const Snapshot *s, int ci)
{
	const SnapChunk *c = &s->chunks[ci];
	const SnapTable *t = &s->tables[c->table];

	/* the first rows of the snapshot go first */
	if (!s->tables[0].started && ci != 0)
		return false;
	if (c->index > 0 && !t->started)
		return false;
	/* the last chunk of a table, and of the snapshot, goes last */
	if (c->index == t->nchunks - 1 && t->chunks_done < t->nchunks - 1)
		return false;
	if (ci == s->nchunks - 1 && s->chunks_done < s->nchunks - 1)
		return false;
	return true;
}

/* The next chunk that may start, or -1. */
static int
next_chunk(Snapshot *s)
{
	int			ci;

	while (s->first_pending < s->nchunks &&
		   s->chunks[s->first_pending].state != CHUNK_PENDING)
		s->first_pending++;
	for (ci = s->first_pending; ci < s->nchunks; ci++)
	{
		const SnapChunk *c = &s->chunks[ci];
		const SnapTable *t = &s->tables[c->table];

		if (c->state != CHUNK_PENDING)
			continue;
		if (may_start(s, ci))
			return ci;
		if (!s->tables[0].started)
			return -1;
		/* nothing else of a table that has not started can go */
		if (c->index > 0 && !t->started)
			ci = t->first_chunk + t->nchunks - 1;
	}
	return -1;
}

/* Send the call of chunk \p ci on an idle worker. */
static SinkSnapshotResult
start_chunk(Snapshot *s, Worker *w, int ci)
{
	SnapChunk  *c = &s->chunks[ci];
	SnapTable  *t = &s->tables[c->table];
	const char *values[9];

	values[0] = t->oid;
	values[1] = s->options;
	values[2] = s->lsn_text;
	values[3] = NULL;			/* source.txId: see sink/README.md */
	values[4] = c->table == 0 ? "t" : "f";
	values[5] = c->table == s->ntables - 1 ? "t" : "f";
	values[6] = c->filter;
	values[7] = c->index == 0 ? "t" : "f";
	values[8] = c->index == t->nchunks - 1 ? "t" : "f";

	sink_schemas_reset(&w->schemas);
	if (!PQsendQueryParams(w->conn, FRAMES_QUERY, 9, NULL, values, NULL, NULL, 1) ||
		!PQsetSingleRowMode(w->conn))
	{
		sink_log_error("could not read table \"%s\": %s", t->name,
					   PQerrorMessage(w->conn));
		return failure_of(w->conn);
	}
	sink_log_trace("snapshot: table \"%s\" chunk %d of %d: %s", t->name,
				   c->index + 1, t->nchunks, c->filter ? c->filter : "all rows");
	c->state = CHUNK_RUNNING;
	w->chunk = ci;
	w->failed = false;
	return SINK_SNAPSHOT_STREAM;
}

/* A worker's call has ended. */
static void
finish_chunk(Snapshot *s, Worker *w)
{
	SnapChunk  *c = &s->chunks[w->chunk];
	SnapTable  *t = &s->tables[c->table];

	c->state = CHUNK_DONE;
	s->chunks_done++;
	t->chunks_done++;
	if (c->index == 0)
		t->started = true;
	if (t->chunks_done == t->nchunks)
	{
		s->tables_done++;
		/* now the count is known */
		s->estimate = s->estimate - t->estimate + t->rows;
		t->estimate = t->rows;
		sink_log_debug("snapshot: table \"%s\" done, %" PRIu64 " rows", t->name,
					   t->rows);
	}
	sink_schemas_reset(&w->schemas);
	w->chunk = -1;
}

/* Read what a worker has received.  Returns STREAM to go on. */
static SinkSnapshotResult
drain_worker(Snapshot *s, Worker *w)
{
	if (!PQconsumeInput(w->conn))
	{
		sink_log_error("could not read table \"%s\": %s",
					   s->tables[s->chunks[w->chunk].table].name,
					   PQerrorMessage(w->conn));
		return SINK_SNAPSHOT_DISCONNECTED;
	}
	while (w->chunk >= 0 && !PQisBusy(w->conn))
	{
		PGresult   *res = PQgetResult(w->conn);
		SinkSnapshotResult r = SINK_SNAPSHOT_STREAM;

		if (res == NULL)
		{
			/* the call is over */
			if (w->failed)
				return failure_of(w->conn);
			finish_chunk(s, w);
			break;
		}
		switch (PQresultStatus(res))
		{
			case PGRES_SINGLE_TUPLE:
				if (!w->failed)
					r = handle_row(s, w, res);
				break;
			case PGRES_TUPLES_OK:
				break;
			default:
				{
					const SnapTable *t = &s->tables[s->chunks[w->chunk].table];

					sink_log_error("could not read table \"%s\": %s", t->name,
								   PQresultErrorMessage(res));
					if (t->override)
						sink_log_hint("Its rows are selected by property \"%s.%s\".",
									  OVERRIDES_PROP, t->name);
					w->failed = true;
				}
				break;
		}
		PQclear(res);
		if (r != SINK_SNAPSHOT_STREAM)
			return r;
	}
	return SINK_SNAPSHOT_STREAM;
}

/* Read every chunk; returns STREAM when all are read. */
static SinkSnapshotResult
read_all(Snapshot *s)
{
	const SinkSnapshotEnv *env = s->env;
	struct pollfd *pfds;
	int		   *owner;
	int			i;
	SinkSnapshotResult r = SINK_SNAPSHOT_STREAM;

	pfds = calloc(s->nworkers, sizeof(struct pollfd));
	owner = calloc(s->nworkers, sizeof(int));
	if (pfds == NULL || owner == NULL)
	{
		free(pfds);
		free(owner);
		sink_log_error("out of memory");
		return SINK_SNAPSHOT_FATAL;
	}
	while (s->chunks_done < s->nchunks)
	{
		int			n = 0;
		int			rc;

		sink_kafka_poll(env->sk, 0);
		progress(s, false, true);
		if (*env->stop)
		{
			r = SINK_SNAPSHOT_STOPPED;
			break;
		}
		if (sink_kafka_failed(env->sk))
		{
			r = SINK_SNAPSHOT_KAFKA_FAILED;
			break;
		}

		/* idle workers take the next chunks that may start */
		for (i = 0; i < s->nworkers && r == SINK_SNAPSHOT_STREAM; i++)
		{
			Worker	   *w = &s->workers[i];
			int			ci;

			if (w->chunk >= 0 || (ci = next_chunk(s)) < 0)
				continue;
			r = start_chunk(s, w, ci);
		}
		if (r != SINK_SNAPSHOT_STREAM)
			break;

		for (i = 0; i < s->nworkers; i++)
		{
			if (s->workers[i].chunk < 0)
				continue;
			pfds[n].fd = PQsocket(s->workers[i].conn);
			pfds[n].events = POLLIN;
			pfds[n].revents = 0;
			owner[n++] = i;
		}
		if (n == 0)
		{
			/* cannot happen: some chunk may always start when none runs */
			sink_log_error("snapshot: no chunk can start (%d of %d done)",
						   s->chunks_done, s->nchunks);
			r = SINK_SNAPSHOT_FATAL;
			break;
		}
		rc = poll(pfds, n, KAFKA_TICK_MS);
		if (rc < 0 && errno != EINTR)
		{
			sink_log_error("poll() failed: %m");
			r = SINK_SNAPSHOT_FATAL;
			break;
		}
		for (i = 0; i < n && rc > 0 && r == SINK_SNAPSHOT_STREAM; i++)
			if (pfds[i].revents)
				r = drain_worker(s, &s->workers[owner[i]]);
		if (r != SINK_SNAPSHOT_STREAM)
			break;
	}
	free(pfds);
	free(owner);
	return r;
}

/*
 * Wait until Kafka has acknowledged every snapshot record: until the
 * tracker is empty (nothing else is in it before streaming starts).  A stop
 * waits at most DRAIN_TIMEOUT_MS, a second signal not at all.
 */
static bool
drain(Snapshot *s, bool stopping)
{
	const SinkSnapshotEnv *env = s->env;
	int64_t		deadline = sink_mono_ms() + DRAIN_TIMEOUT_MS;
	int			remaining;

	if (stopping)
	{
		/*
		 * A record interrupted while the queue was full is counted in the
		 * tracker without a message, so wait for the queue, not the tracker;
		 * the snapshot is incomplete anyway.
		 */
		remaining = sink_kafka_drain(env->sk, DRAIN_TIMEOUT_MS, env->abort);
		if (remaining > 0)
			sink_log_warning("%d snapshot record(s) were not acknowledged by Kafka",
							 remaining);
		return false;
	}
	while (!sink_lsn_idle(env->lsn) && !sink_kafka_failed(env->sk) &&
		   !*env->abort)
	{
		if (*env->stop && sink_mono_ms() > deadline)
			break;
		sink_kafka_poll(env->sk, KAFKA_TICK_MS);
		progress(s, false, true);
	}
	return sink_lsn_idle(env->lsn) && !sink_kafka_failed(env->sk);
}

/*
 * Record the filters (and the completion) on the control connection, which
 * idled through the snapshot: reconnect once if the server dropped it.
 */
static bool
state_filters_retry(PGconn *ctl, const char *slot, const Filters *f,
					bool complete, const uint64_t *records)
{
	if (PQstatus(ctl) == CONNECTION_OK &&
		state_filters(ctl, slot, f, complete, records))
		return true;
	if (PQstatus(ctl) != CONNECTION_BAD)
		return false;
	PQreset(ctl);
	if (PQstatus(ctl) != CONNECTION_OK)
	{
		sink_log_error("could not connect to the server: %s", PQerrorMessage(ctl));
		return false;
	}
	return state_filters(ctl, slot, f, complete, records);
}

/*
 * Take a snapshot of \p scope: plan it in the snapshot (exported as
 * \p snapshot_name, or a new one), record its start, read everything,
 * wait for Kafka, record its completion.  \p new_slot: the slot was just
 * created for it.
 */
static SinkSnapshotResult
take_snapshot(const SinkSnapshotEnv *env, PGconn *repl, PGconn *ctl,
			  SnapshotScope scope, const SnapState *state,
			  const char *snapshot_name, SinkLsnPtr snapshot_lsn,
			  SinkLsnPtr start, bool new_slot)
{
	const SinkConfig *cfg = env->cfg;
	Snapshot	s;
	Filters		f = config_filters(cfg);
	char	   *exported = NULL;
	SinkSnapshotResult r = SINK_SNAPSHOT_FATAL;
	int			nalloc;
	int			i;

	memset(&s, 0, sizeof(s));
	s.env = env;
	s.cfg = cfg;
	s.chunk_size = int_prop(cfg, "snapshot.chunk.size", DEFAULT_CHUNK_SIZE);
	s.nworkers = int_prop(cfg, "snapshot.max.threads", 1);
	nalloc = s.nworkers;
	s.start = start;
	s.snapshot_lsn = snapshot_lsn;
	s.options = sink_snapshot_options_array(cfg);
	s.workers = calloc(s.nworkers, sizeof(Worker));
	if (s.options == NULL || s.workers == NULL)
	{
		sink_log_error("out of memory");
		goto done;
	}
	for (i = 0; i < s.nworkers; i++)
	{
		s.workers[i].chunk = -1;
		sink_schemas_init(&s.workers[i].schemas);
	}

	/* the first connection plans, in the snapshot the others share */
	r = open_worker(cfg, snapshot_name, snapshot_name == NULL && s.nworkers > 1,
					&exported, snapshot_name ? NULL : &s.snapshot_lsn,
					&s.workers[0].conn);
	if (r != SINK_SNAPSHOT_STREAM)
		goto done;
	snprintf(s.lsn_text, sizeof(s.lsn_text), SINK_LSN_FORMAT,
			 SINK_LSN_ARGS(s.snapshot_lsn));
	s.start_ms = sink_mono_ms();
	sink_lsn_raise(env->lsn, start);	/* what the slot already has */
	if (!plan(&s, s.workers[0].conn, scope, state) ||
		!lock_tables(&s, s.workers[0].conn))
	{
		r = failure_of(s.workers[0].conn);
		goto done;
	}
	if (s.ntables == 0 && scope == SCOPE_NEW)
	{
		/* nothing newly captured holds rows: streaming covers everything */
		r = SINK_SNAPSHOT_STREAM;
		if (!state_filters_retry(ctl, cfg->slot_name, &f, true, NULL))
			r = failure_of(ctl);
		goto done;
	}
	if (!state_running(ctl, cfg->slot_name, s.lsn_text, s.ntables, new_slot))
	{
		r = failure_of(ctl);
		goto done;
	}
	if (s.nworkers > s.nchunks)
		s.nworkers = s.nchunks > 0 ? s.nchunks : 1;
	for (i = 1; i < s.nworkers; i++)
	{
		r = open_worker(cfg, snapshot_name ? snapshot_name : exported, false,
						NULL, NULL, &s.workers[i].conn);
		if (r != SINK_SNAPSHOT_STREAM)
			goto done;
	}

	/*
	 * Every connection has the snapshot now, so the replication connection
	 * may run commands again: keep a server's idle_session_timeout from
	 * ending it while it waits for START_REPLICATION.
	 */
	if (PQserverVersion(repl) >= 140000)
		PQclear(PQexec(repl, "SET idle_session_timeout = 0"));

	sink_log_info("snapshot%s of %d table(s), about %" PRIu64 " rows in %d chunk(s), at " SINK_LSN_FORMAT " with %d connection(s)%s",
				  scope == SCOPE_NEW ? " of newly captured tables" : "",
				  s.ntables, s.estimate, s.nchunks, SINK_LSN_ARGS(s.snapshot_lsn),
				  s.nworkers,
				  snapshot_name ? " (the slot's exported snapshot)" :
				  "; changes since the slot's position follow it (at least once)");

	s.start_ms = sink_mono_ms();
	r = read_all(&s);
	if (r == SINK_SNAPSHOT_STREAM && env->lsn->open != NULL &&
		!sink_lsn_commit(env->lsn, s.start, s.errbuf, sizeof(s.errbuf)))
	{
		sink_log_error("snapshot: %s", s.errbuf);
		r = SINK_SNAPSHOT_FATAL;
	}
	if (r == SINK_SNAPSHOT_STREAM || r == SINK_SNAPSHOT_STOPPED)
	{
		bool		stopping = r == SINK_SNAPSHOT_STOPPED;
		bool		delivered = drain(&s, stopping);

		if (stopping)
			sink_log_info("stopped during the snapshot after %" PRIu64 " rows; it is taken again at the next start",
						  s.rows);
		else if (!delivered && sink_kafka_failed(env->sk))
			r = SINK_SNAPSHOT_KAFKA_FAILED;
		else if (!delivered)
		{
			sink_log_info("stopped while Kafka acknowledged the snapshot; it is taken again at the next start");
			r = SINK_SNAPSHOT_STOPPED;
		}
		else
		{
			progress(&s, true, false);
			if (!state_filters_retry(ctl, cfg->slot_name, &f, true, &s.rows))
				r = failure_of(ctl);
			else
			{
				double		secs = (double) (sink_mono_ms() - s.start_ms) / 1000.0;

				sink_log_info("snapshot complete: %" PRIu64 " records of %d table(s) in %.1f s (%.0f rows/s), all acknowledged by Kafka",
							  s.rows, s.ntables, secs,
							  secs > 0 ? (double) s.rows / secs : 0.0);
				if (*env->stop)
					r = SINK_SNAPSHOT_STOPPED;
			}
		}
	}
	if (r == SINK_SNAPSHOT_DISCONNECTED)
		r = SINK_SNAPSHOT_INTERRUPTED;

done:
	if (s.workers)
	{
		for (i = 0; i < nalloc; i++)
		{
			/* closing ends the read-only transactions */
			if (s.workers[i].conn)
				PQfinish(s.workers[i].conn);
			sink_schemas_reset(&s.workers[i].schemas);
		}
	}
	if (s.ntables > 0 || s.rows > 0)
		progress(&s, false, false);
	free(s.workers);
	free(s.options);
	free(exported);
	free_plan(&s);
	return r;
}

/* Make sure the slot exists and snapshot as asked; see snapshot.h. */
SinkSnapshotResult
sink_snapshot_before_streaming(const SinkSnapshotEnv *env, PGconn *repl,
							   const SinkSlotInfo *slot, SinkLsnPtr *start)
{
	const SinkConfig *cfg = env->cfg;
	SnapshotMode mode = parse_mode(cfg->snapshot_mode);
	SnapState	state;
	PGconn	   *ctl = NULL;
	bool		exists = slot->exists;
	SnapshotScope scope = SCOPE_NONE;
	SinkSnapshotResult r;
	Filters		f = config_filters(cfg);

	memset(&state, 0, sizeof(state));
	*start = slot->confirmed;

	if (exists && slot->invalidated && mode != MODE_WHEN_NEEDED)
	{
		sink_log_error("replication slot \"%s\" has been invalidated: the WAL it needs was removed",
					   cfg->slot_name);
		sink_log_hint("Changes were lost.  Drop the slot to start over, or set \"snapshot.mode\" to \"when_needed\" to have the sink recreate it and take a new snapshot.");
		return SINK_SNAPSHOT_FATAL;
	}

	if (mode == MODE_NO_DATA)
	{
		if (!exists)
			return create_slot(repl, cfg->slot_name, false, false, start, NULL);
		return SINK_SNAPSHOT_STREAM;
	}

	r = open_control(cfg, &ctl);
	if (r != SINK_SNAPSHOT_STREAM)
		return r;
	if (!state_read(ctl, cfg->slot_name, &state))
	{
		r = failure_of(ctl);
		goto done;
	}

	if (exists && slot->invalidated)
	{
		sink_log_warning("replication slot \"%s\" has been invalidated (its WAL was removed); recreating it and taking a new snapshot (snapshot.mode when_needed)",
						 cfg->slot_name);
		if (!drop_slot(repl, cfg->slot_name))
		{
			r = SINK_SNAPSHOT_DISCONNECTED;
			goto done;
		}
		exists = false;
	}

	if (!exists)
	{
		char	   *snapshot_name = NULL;
		bool		temporary = mode == MODE_INITIAL_ONLY;

		if (mode == MODE_INITIAL_ONLY && state.found && state.complete)
		{
			sink_log_info("the snapshot was completed before (snapshot.mode initial_only); nothing to do");
			r = SINK_SNAPSHOT_DONE;
			goto done;
		}
		/*
		 * Forget what an earlier slot of this name completed before the new
		 * one exists, so that a crash from here on means "snapshot again".
		 */
		if (!state_running(ctl, cfg->slot_name, NULL, 0, true))
		{
			r = failure_of(ctl);
			goto done;
		}
		r = create_slot(repl, cfg->slot_name, true, temporary, start,
						&snapshot_name);
		if (r != SINK_SNAPSHOT_STREAM)
			goto done;
		r = take_snapshot(env, repl, ctl, SCOPE_ALL, &state, snapshot_name,
						  *start, *start, true);
		free(snapshot_name);
	}
	else
	{
		switch (mode)
		{
			case MODE_ALWAYS:
				scope = SCOPE_ALL;
				break;
			case MODE_INITIAL:
			case MODE_WHEN_NEEDED:
			case MODE_INITIAL_ONLY:
				if (!state.found || !state.filters_known)
				{
					scope = SCOPE_ALL;
					sink_log_info("no completed snapshot is recorded for replication slot \"%s\"%s; taking one",
								  cfg->slot_name,
								  state.found ? " (one was interrupted)" : "");
				}
				else if (!state.complete ||
						 !same_filter(state.filter[0], f.schema_include) ||
						 !same_filter(state.filter[1], f.schema_exclude) ||
						 !same_filter(state.filter[2], f.table_include) ||
						 !same_filter(state.filter[3], f.table_exclude))
					scope = SCOPE_NEW;
				break;
			case MODE_NO_DATA:
			case MODE_UNSUPPORTED:
				break;
		}
		if (scope != SCOPE_NONE)
			r = take_snapshot(env, repl, ctl, scope, &state, NULL,
							  SINK_LSN_INVALID, slot->confirmed, false);
		else
			r = SINK_SNAPSHOT_STREAM;
	}
	if (r == SINK_SNAPSHOT_STREAM && mode == MODE_INITIAL_ONLY)
	{
		sink_log_info("snapshot.mode initial_only: not streaming");
		if (exists && cfg->slot_drop_on_stop && drop_slot(repl, cfg->slot_name))
			sink_log_info("dropped replication slot \"%s\" (slot.drop.on.stop)",
						  cfg->slot_name);
		r = SINK_SNAPSHOT_DONE;
	}

done:
	state_free(&state);
	if (ctl)
		PQfinish(ctl);
	return r;
}
