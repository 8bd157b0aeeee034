/*-------------------------------------------------------------------------
 *
 * ch_table.c
 *	  The ClickHouse tables of the ClickHouse stage: creation and evolution
 *	  from event schemas, pending rows, TOAST and tombstone resolution, and
 *	  the batched INSERT.
 *
 * Tables.  Each table is a ReplacingMergeTree ordered by the Kafka key's
 * fields, versioned by _version, with is_deleted (ch_schema.c has the
 * DDL).  A table is created from the first event that carries a schema
 * (value.converter.schemas.enable=true); events without schemas need the
 * table to exist, and are decoded by its column types (and the Connect
 * types recorded in the column comments).
 *
 * Versions.  _version = (source.lsn << 16) | sub-order.  Two changes of
 * one key are always in different WAL records, and a later change of a
 * row is written after the earlier one committed (row locks), so the LSN
 * alone orders them; it comes from the event itself, so a replayed event
 * (same Kafka record, or the same change sent again by the source after a
 * restart) gets the same version.  The low 16 bits order records that
 * share an LSN and a key: only a delete and its tombstone (+1).  Events
 * without source.lsn (Debezium's incremental snapshots) get version 0.
 * Caveat: an initial snapshot's rows carry the snapshot's LSN, and a
 * transaction that was already running when the slot was created can
 * have changes with smaller LSNs that commit after it; such a change
 * loses against the snapshot row until the row changes again.
 *
 * Updates.  Every change is an INSERT; ClickHouse keeps the row with the
 * highest _version per key (SELECT ... FINAL, or after merges).  Deletes
 * insert the before image with is_deleted = 1; current servers (23.2+)
 * get ReplacingMergeTree(_version, is_deleted), which drops those rows
 * from FINAL results; on older ones, filter with WHERE is_deleted = 0.
 *
 * Tombstones carry only a key.  After a delete (the usual case) they
 * change nothing and are dropped; alone (a compacted topic, or deletes
 * skipped) they delete the key's live row: its last version is read back
 * and written again, deleted, with version + 1.
 *
 * Unchanged TOAST values (Debezium's placeholder, in each type's form)
 * never reach ClickHouse: the column keeps its previous value, taken from
 * the same key's earlier row in the batch, or else read back from
 * ClickHouse in one SELECT ... FINAL per table and batch, keyed by an
 * external table (cost: one query per batch that has such rows, reading
 * the granules of those keys).  A key ClickHouse does not have (created
 * before capture started, never snapshotted) gets the column's default.
 *
 * Key changes take those values from the old key's last live row.  That
 * row is in the old key's partition, which another member may own or
 * which may lag behind: when neither it nor the old key's delete of the
 * same update (same version) is in the batch or in ClickHouse, the row's
 * partition is held at that record: nothing from there on is written now,
 * and the consumer commits up to it and reads it again (ch_tables_holds()),
 * while the other partitions go on.  A partition waits at one record up
 * to HOLD_MAX_MS, then the column gets its default (the delete may never
 * come: skipped.operations=d).
 *
 * The other way round, the old key's delete (header __debezium.newkey)
 * waits the same way until the new key's insert of the same update is in
 * the batch (and written now, or in the delete's own partition) or in
 * ClickHouse: once the delete, a higher version, is in,
 * a merge may collapse the old key's rows into it at any time, and the
 * insert, if its partition lags or is re-read after a restart, would find
 * no live row to take its unchanged TOAST values from.
 *
 * Truncates (op t, when the source does not skip them) delete the rows
 * whose version is below the truncate's, with ALTER TABLE ... DELETE (a
 * mutation), not TRUNCATE TABLE: the table's keys are spread over
 * partitions, and rows written after the truncate may already have
 * arrived from other partitions.  Rows below the truncate's version that
 * arrive later are dropped.  "Later" includes after a restart and in other
 * members of the group (which own the other partitions, and never see the
 * truncate record): each target database has a table TRUNC_TABLE (table
 * name, _version) where a truncate is recorded before its mutation runs.
 * A table's truncate version is read from it when the table is first
 * used, and after every flush that inserted rows; if it grew and rows
 * below it were just inserted, the mutation is run again.  The order
 * makes that sound: the truncater records (1) then mutates (2); a member
 * inserts (3) then reads (4).  If (4) misses (1), then (3) came before (2),
 * and the mutation covers the part (3) wrote.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_table.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ch_convert.h"
#include "ch_table.h"
#include "clock.h"
#include "log.h"

#define HASH_SIZE			256

/* schema maps kept per table (a new one per ALTER TABLE in PostgreSQL) */
#define MAX_SCHEMA_MAPS		8

/* the external table of a lookup */
#define KEYS_TABLE			"_wal2dbz_keys"

/* the truncates table of each target database */
#define TRUNC_TABLE			"_wal2dbz_truncates"
#define TRUNC_TABLE_COLUMN	"table"

/* settings of queries that read rows back */
#define SELECT_SETTINGS		"wait_end_of_query=1&output_format_json_quote_denormals=1"

/* unresolved TOAST values logged one by one up to this many */
#define MAX_LOGGED_UNRESOLVED 5

/* ChVal.off values that are not offsets */
#define VAL_PLACEHOLDER		UINT32_MAX	/* unchanged TOAST: resolve */
#define VAL_OMIT			(UINT32_MAX - 1)	/* leave out: the default */

/* ChRow.flags */
#define ROW_PLACEHOLDERS	0x01	/* has VAL_PLACEHOLDER values */
#define ROW_TOMBSTONE		0x02	/* key only: resolve */
#define ROW_DROPPED			0x04	/* resolved to nothing */
#define ROW_OLDKEY			0x08	/* a key change: resolve from the old key */
#define ROW_HELD			0x10	/* not written now: read again later (a hold) */
#define ROW_NEWKEY			0x20	/* a key change's delete: okfirst is the new key */

/* how long a partition is held back waiting for an old key's row */
#define HOLD_MAX_MS			60000
#define MAX_HELD_POSITIONS	64	/* partitions waiting at once */

/* one column of a ClickHouse table */
typedef struct ChColumn
{
	char	   *name;
	char	   *type_text;
	ChType		type;
	ChConnect	ct;				/* from the comment; CT_NONE if none */
	ChConv		conv;			/* for events without schemas */
	char	   *json_name;		/* "name": as JSON */
	bool		is_key;
} ChColumn;

/* one field of an event schema, bound to a column */
typedef struct ChMapField
{
	char	   *name;
	size_t		namelen;
	int			col;			/* column index; -1: not stored */
	ChConv		conv;
} ChMapField;

/* an event schema seen on a table, by its exact JSON text */
typedef struct ChSchemaMap
{
	struct ChSchemaMap *next;
	struct ChTable *table;		/* the table it binds to */
	char	   *raw;			/* NULL: the map for events without schemas */
	size_t		rawlen;
	ChMapField *fields;
	int			nfields;
} ChSchemaMap;

/* a value of a pending row: bytes in the table's arena */
typedef struct ChVal
{
	uint32_t	col;
	uint32_t	off;			/* or VAL_PLACEHOLDER, VAL_OMIT */
	uint32_t	len;
} ChVal;

/*
 * A pending row.  A key change's insert with unchanged TOAST values also
 * keeps the old key (from the __debezium.oldkey header), whose last live
 * row holds them: vals[okfirst .. okfirst + t->nkeys).
 */
typedef struct ChRow
{
	uint64_t	version;
	uint32_t	first;			/* its values: vals[first .. first + nvals) */
	uint32_t	nvals;
	uint32_t	okfirst;		/* ROW_OLDKEY: the old key's values */
	uint8_t		deleted;
	uint8_t		flags;
	int32_t		partition;		/* where it was read: topic, partition, offset */
	int64_t		offset;
	const struct ChTopic *topic;
} ChRow;

/* one ClickHouse table and its pending rows */
typedef struct ChTable
{
	struct ChTable *next;		/* hash chain */
	char	   *database;
	char	   *name;
	char	   *qualified;		/* `db`.`t`, for SQL */
	char	   *display;		/* db.t, for messages and metrics */
	bool		loaded;			/* columns read from ClickHouse */
	ChColumn   *cols;
	int			ncols;
	int		   *keys;			/* key column indexes, in ORDER BY order */
	int			nkeys;
	ChSchemaMap *maps;
	int			nmaps;
	ChSchemaMap *schemaless;

	ChRow	   *rows;
	size_t		nrows;
	size_t		maxrows;
	ChVal	   *vals;
	size_t		nvals;
	size_t		maxvals;
	ChBuf		arena;
	bool		need_resolve;	/* placeholders or tombstones pending */
	uint64_t	truncate_pending;	/* delete rows below this version */
	uint64_t	truncated_below;	/* drop arriving rows below this */
	bool		truncates_read; /* truncated_below read from TRUNC_TABLE */
	uint64_t	inserted_min;	/* lowest version inserted since the last
								 * check of TRUNC_TABLE; UINT64_MAX: none */
	int			metrics_idx;
} ChTable;

/* a target database's TRUNC_TABLE */
typedef struct ChTruncDb
{
	struct ChTruncDb *next;
	char	   *database;
	char	   *qualified;		/* `db`.`_wal2dbz_truncates` */
	bool		ready;			/* created (or found) */
	bool		unusable;		/* could not be created: warned once */
	bool		inserted;		/* rows went into a table of it since the
								 * last check */
} ChTruncDb;

/* a topic: the table and schema map its last record used */
typedef struct ChTopic
{
	struct ChTopic *next;
	char	   *name;
	ChTable    *table;
	ChSchemaMap *map;
	bool		warned_no_table;
} ChTopic;

struct ChTables
{
	SinkChHttp *http;			/* not owned */
	const ChServer *srv;		/* not owned */
	ChMetrics  *metrics;		/* not owned */
	ChTablesOptions opts;
	bool		uses_source;	/* a name format uses ${source.*} */
	ChPlaceholders ph;
	ChTable    *tables[HASH_SIZE];
	ChTopic    *topics[HASH_SIZE];
	ChTruncDb  *truncdbs;
	ChHold	   *holds;			/* partitions to read again from an offset */
	size_t		nholds;
	size_t		maxholds;
	struct
	{
		const char *topic;		/* a ChTopic's name */
		int32_t		partition;
		int64_t		offset;
		int64_t		since_ms;
	}			held[MAX_HELD_POSITIONS];	/* where partitions wait, since when */
	int			nheld;
	ChBuf		sql;			/* scratch */
	ChBuf		response;		/* scratch */
	ChBuf		scratch;		/* scratch for conversions */
	ChBuf		scratch2;
	size_t		pending_rows;	/* rows not yet written, dropped or held */
	size_t		pending_bytes;
	uint64_t	unresolved_logged;
	int			last_code;		/* ClickHouse code of the last failure */
	int			tolerated_code; /* a code run_sql does not log */
};

/* the parts of an event's value the stage reads */
typedef struct ChEvent
{
	ChSpan		schema;			/* len 0: none */
	ChSpan		payload;
	char		op;
	ChSpan		before;
	ChSpan		after;
	ChSpan		source;
	uint64_t	lsn;
	bool		schema_cached;	/* schema is the topic's last map's */
} ChEvent;

static void table_reset_pending(ChTables *ts, ChTable *t);
static void drop_rows_below(ChTables *ts, ChTable *t, uint64_t version);
static void forget_maps(ChTables *ts, const ChTable *t, const ChSchemaMap *map);

/* Hash a C string into a bucket. */
static unsigned
bucket_of(const char *a, const char *b)
{
	uint64_t	h = ch_hash(a, strlen(a));

	if (b)
		h ^= ch_hash(b, strlen(b)) * 31;
	return (unsigned) (h % HASH_SIZE);
}

/* Classify a failed request. */
ChResult
ch_classify(const ChHttpResult *res)
{
	/* errors that a retry cannot fix: bad data, bad SQL, no permission */
	static const int permanent[] = {
		6, 16, 26, 27, 36, 38, 41, 43, 44, 47, 53, 60, 62, 69, 70, 72, 81,
		117, 192, 193, 194, 497, 516
	};
	size_t		i;

	if (res->ok)
		return CH_OK;
	if (res->transport || res->status == 0)
		return CH_RETRY;
	if (res->status >= 400 && res->status < 500 &&
		res->status != 408 && res->status != 429)
		return CH_FATAL;
	for (i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (res->code == permanent[i])
			return CH_FATAL;
	return CH_RETRY;
}

/*
 * Run a statement.  A failure is logged here when fatal (with \p what),
 * and at warning level otherwise; the caller retries.
 */
static ChResult
run_sql(ChTables *ts, const char *sql, const char *settings,
		const char *body, size_t len, ChBuf *response, const char *what)
{
	ChHttpResult res;
	ChResult	r;

	if (response)
		ch_buf_reset(response);
	ts->last_code = 0;
	if (ch_http_query(ts->http, sql, settings, body, len, response, &res))
		return CH_OK;
	ts->last_code = res.code;
	if (res.code != 0 && res.code == ts->tolerated_code)
		return CH_FATAL;		/* the caller handles it, quietly */
	r = ch_classify(&res);
	ch_metrics_count(ts->metrics, 0, 0, 0, 0, 1);
	if (r == CH_FATAL)
		sink_log_error("clickhouse: %s failed (HTTP %ld): %s", what,
					   res.status, res.message);
	else
		sink_log_warning("clickhouse: %s failed: %s%s", what,
						 res.status ? "" : "no answer from the server: ",
						 res.message);
	return r;
}

/* Create the registry. */
ChTables *
ch_tables_new(SinkChHttp *http, const ChServer *srv,
			  const ChTablesOptions *opts, ChMetrics *metrics)
{
	ChTables   *ts = calloc(1, sizeof(*ts));

	if (ts == NULL ||
		!ch_placeholders_init(&ts->ph, opts->placeholder))
	{
		sink_log_error("out of memory");
		if (ts)
			ch_placeholders_free(&ts->ph);
		free(ts);
		return NULL;
	}
	ts->http = http;
	ts->srv = srv;
	ts->metrics = metrics;
	ts->opts = *opts;
	ts->uses_source = ch_name_uses_source(opts->table_format) ||
		ch_name_uses_source(opts->database_format);
	return ts;
}

/* Free a schema map. */
static void
map_free(ChSchemaMap *map)
{
	int			i;

	if (map == NULL)
		return;
	for (i = 0; i < map->nfields; i++)
	{
		free(map->fields[i].name);
		ch_conv_free(&map->fields[i].conv);
	}
	free(map->fields);
	free(map->raw);
	free(map);
}

/* Forget a table's columns and maps (before reloading them). */
static void
table_unload(ChTables *ts, ChTable *t)
{
	int			i;
	ChSchemaMap *map;

	for (i = 0; i < t->ncols; i++)
	{
		ChColumn   *c = &t->cols[i];

		free(c->name);
		free(c->type_text);
		free(c->json_name);
		ch_type_free(&c->type);
		ch_connect_free(&c->ct);
		ch_conv_free(&c->conv);
	}
	free(t->cols);
	free(t->keys);
	t->cols = NULL;
	t->keys = NULL;
	t->ncols = 0;
	t->nkeys = 0;
	forget_maps(ts, t, NULL);
	while ((map = t->maps) != NULL)
	{
		t->maps = map->next;
		map_free(map);
	}
	t->nmaps = 0;
	map_free(t->schemaless);
	t->schemaless = NULL;
	t->loaded = false;
}

/* Free the registry and everything in it. */
void
ch_tables_free(ChTables *ts)
{
	int			i;

	if (ts == NULL)
		return;
	for (i = 0; i < HASH_SIZE; i++)
	{
		ChTable    *t;
		ChTopic    *tp;

		while ((t = ts->tables[i]) != NULL)
		{
			ts->tables[i] = t->next;
			table_unload(ts, t);
			free(t->rows);
			free(t->vals);
			ch_buf_free(&t->arena);
			free(t->database);
			free(t->name);
			free(t->qualified);
			free(t->display);
			free(t);
		}
		while ((tp = ts->topics[i]) != NULL)
		{
			ts->topics[i] = tp->next;
			free(tp->name);
			free(tp);
		}
	}
	while (ts->truncdbs)
	{
		ChTruncDb  *d = ts->truncdbs;

		ts->truncdbs = d->next;
		free(d->database);
		free(d->qualified);
		free(d);
	}
	free(ts->holds);
	ch_placeholders_free(&ts->ph);
	ch_buf_free(&ts->sql);
	ch_buf_free(&ts->response);
	ch_buf_free(&ts->scratch);
	ch_buf_free(&ts->scratch2);
	free(ts);
}

/* Find or register a topic. */
static ChTopic *
get_topic(ChTables *ts, const char *name)
{
	unsigned	b = bucket_of(name, NULL);
	ChTopic    *tp;

	for (tp = ts->topics[b]; tp; tp = tp->next)
		if (strcmp(tp->name, name) == 0)
			return tp;
	tp = calloc(1, sizeof(*tp));
	if (tp == NULL || (tp->name = strdup(name)) == NULL)
	{
		free(tp);
		return NULL;
	}
	tp->next = ts->topics[b];
	ts->topics[b] = tp;
	return tp;
}

/*
 * Clear the topics' cached map pointers into table t (all of its maps, or
 * just map), before those maps are freed.
 */
static void
forget_maps(ChTables *ts, const ChTable *t, const ChSchemaMap *map)
{
	int			i;

	for (i = 0; i < HASH_SIZE; i++)
	{
		ChTopic    *tp;

		for (tp = ts->topics[i]; tp; tp = tp->next)
			if (tp->map && tp->map->table == t && (map == NULL || tp->map == map))
				tp->map = NULL;
	}
}

/* A registered table by database and name; NULL if none. */
static ChTable *
find_table(ChTables *ts, const char *database, const char *name)
{
	ChTable    *t;

	for (t = ts->tables[bucket_of(database, name)]; t; t = t->next)
		if (strcmp(t->database, database) == 0 && strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* Find or register a table by database and name. */
static ChTable *
get_table(ChTables *ts, const char *database, const char *name)
{
	unsigned	b = bucket_of(database, name);
	ChTable    *t = find_table(ts, database, name);
	ChBuf		q;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->database = strdup(database);
	t->name = strdup(name);
	ch_buf_init(&q);
	ch_qualified_name(&q, database, name);
	ch_buf_cstr(&q);
	t->qualified = q.oom ? NULL : q.data;
	if (q.oom)
		ch_buf_free(&q);
	if (asprintf(&t->display, "%s.%s", database, name) < 0)
		t->display = NULL;
	if (t->database == NULL || t->name == NULL || t->qualified == NULL ||
		t->display == NULL)
	{
		free(t->database);
		free(t->name);
		free(t->qualified);
		free(t->display);
		free(t);
		return NULL;
	}
	t->metrics_idx = ch_metrics_table(ts->metrics, t->display);
	t->inserted_min = UINT64_MAX;
	t->next = ts->tables[b];
	ts->tables[b] = t;
	return t;
}

/* Decode a string member of an object into a malloc'd C string (NULL if absent). */
static char *
member_string(ChSpan obj, const char *name)
{
	ChSpan		v;
	ChBuf		b;

	if (!ch_json_member(obj, name, &v) || ch_json_type(v) != CHJ_STRING)
		return NULL;
	ch_buf_init(&b);
	if (!ch_json_decode_string(v, &b) || b.oom)
	{
		ch_buf_free(&b);
		return NULL;
	}
	ch_buf_cstr(&b);
	return b.data ? b.data : strdup("");
}

/*
 * A walk over a response in JSONEachRow, one object a line: each query that
 * reads from ClickHouse says only what to do with one line.
 */
typedef struct ResponseLines
{
	const char *p;
	const char *end;
} ResponseLines;

/* Start walking the response \p resp (empty: no line). */
static void
lines_start(ResponseLines *it, const ChBuf *resp)
{
	it->p = resp->data;
	it->end = resp->data ? resp->data + resp->len : NULL;
}

/* The next line's object in *line; false at the end or at text that is not JSON. */
static bool
lines_next(ResponseLines *it, ChSpan *line)
{
	if (it->p == NULL || it->p >= it->end || !ch_json_value(it->p, it->end, line))
		return false;
	it->p = line->p + line->len;
	return true;
}

/* Find a column by name. */
static int
find_column(const ChTable *t, const char *name, size_t len)
{
	int			i;

	for (i = 0; i < t->ncols; i++)
		if (strlen(t->cols[i].name) == len && memcmp(t->cols[i].name, name, len) == 0)
			return i;
	return -1;
}

/*
 * Ask a system table (\p select_from: "SELECT … FROM system.…") about
 * table \p t, whose name is in column \p name_column there; the answer is
 * in ts->response, a JSONEachRow line per row.
 */
static ChResult
select_about_table(ChTables *ts, const ChTable *t, const char *select_from,
				   const char *name_column, const char *what)
{
	ch_buf_reset(&ts->sql);
	ch_buf_puts(&ts->sql, select_from);
	ch_buf_puts(&ts->sql, " WHERE database = ");
	ch_quote_literal(&ts->sql, t->database);
	ch_buf_printf(&ts->sql, " AND %s = ", name_column);
	ch_quote_literal(&ts->sql, t->name);
	ch_buf_puts(&ts->sql, " FORMAT JSONEachRow");
	return run_sql(ts, ch_buf_cstr(&ts->sql), SELECT_SETTINGS, NULL, 0,
				   &ts->response, what);
}

/*
 * Read a table's columns and key from ClickHouse.  Sets *exists; a table
 * without the _version and is_deleted columns is refused.
 */
static ChResult
table_load(ChTables *ts, ChTable *t, bool *exists)
{
	ChBuf	   *resp = &ts->response;
	ChResult	r;
	ResponseLines lines;
	ChSpan		line;
	char	   *sorting_key = NULL;
	bool		has_version = false;
	bool		has_deleted = false;
	int			maxcols = 0;

	table_unload(ts, t);
	*exists = false;

	/* the sorting key: its order is the key's order */
	r = select_about_table(ts, t, "SELECT sorting_key FROM system.tables", "name",
						   "reading the table list");
	if (r != CH_OK)
		return r;
	if (resp->len == 0)
		return CH_OK;			/* no such table */
	lines_start(&lines, resp);
	if (lines_next(&lines, &line))
		sorting_key = member_string(line, "sorting_key");

	r = select_about_table(ts, t, "SELECT name, type, comment FROM system.columns",
						   "table", "reading the table's columns");
	if (r != CH_OK)
	{
		free(sorting_key);
		return r;
	}

	lines_start(&lines, resp);
	while (lines_next(&lines, &line))
	{
		char	   *name;
		char	   *type;
		char	   *comment;
		ChColumn   *c;

		name = member_string(line, "name");
		type = member_string(line, "type");
		comment = member_string(line, "comment");
		if (name == NULL || type == NULL)
		{
			free(name);
			free(type);
			free(comment);
			continue;
		}
		if (strcmp(name, CH_VERSION_COLUMN) == 0 || strcmp(name, CH_DELETED_COLUMN) == 0)
		{
			has_version |= strcmp(name, CH_VERSION_COLUMN) == 0;
			has_deleted |= strcmp(name, CH_DELETED_COLUMN) == 0;
			free(name);
			free(type);
			free(comment);
			continue;
		}
		if (t->ncols == maxcols)
		{
			int			newmax = maxcols ? maxcols * 2 : 16;
			ChColumn   *cols = realloc(t->cols, newmax * sizeof(ChColumn));

			if (cols == NULL)
			{
				free(name);
				free(type);
				free(comment);
				goto oom;
			}
			t->cols = cols;
			maxcols = newmax;
		}
		c = &t->cols[t->ncols++];
		memset(c, 0, sizeof(*c));
		c->name = name;
		c->type_text = type;
		ch_type_parse(type, &c->type);
		/* an older comment without the scale: the column's */
		if (ch_connect_from_comment(comment, &c->ct) && c->type.kind == CK_DECIMAL &&
			(comment == NULL || strstr(comment, " scale=") == NULL))
			c->ct.scale = c->type.scale;
		free(comment);
		{
			ChBuf		jn;

			ch_buf_init(&jn);
			ch_buf_json_string(&jn, name, strlen(name));
			ch_buf_putc(&jn, ':');
			ch_buf_cstr(&jn);
			c->json_name = jn.data;
			if (jn.oom)
				goto oom;
		}
		if (!ch_conv_init(&c->conv, c->ct.kind != CT_NONE ? &c->ct : NULL, &c->type))
			goto oom;
	}
	if (t->ncols == 0)
	{
		free(sorting_key);
		return CH_OK;			/* dropped in between */
	}
	*exists = true;
	if (!has_version || !has_deleted)
	{
		sink_log_error("clickhouse: table %s exists but has no \"%s\" UInt64 and \"%s\" UInt8 columns",
					   t->display, CH_VERSION_COLUMN, CH_DELETED_COLUMN);
		sink_log_hint("Add them (ALTER TABLE %s ADD COLUMN %s UInt64, ADD COLUMN %s UInt8), or drop the table to have it created from the events.",
					  t->qualified, CH_VERSION_COLUMN, CH_DELETED_COLUMN);
		free(sorting_key);
		return CH_FATAL;
	}

	/* the key: the sorting key's columns, in its order */
	t->keys = calloc((size_t) t->ncols, sizeof(int));
	if (t->keys == NULL)
		goto oom;
	if (sorting_key && sorting_key[0])
	{
		char	   *save = NULL;
		char	   *tok;
		char	   *sk = sorting_key;
		size_t		sklen = strlen(sk);

		/* "a, b", or "(a)" on some servers */
		if (sklen >= 2 && sk[0] == '(' && sk[sklen - 1] == ')')
		{
			sk[sklen - 1] = '\0';
			sk++;
		}
		for (tok = strtok_r(sk, ",", &save); tok;
			 tok = strtok_r(NULL, ",", &save))
		{
			size_t		n;
			int			ci;

			while (*tok == ' ')
				tok++;
			n = strlen(tok);
			while (n > 0 && tok[n - 1] == ' ')
				n--;
			if (n >= 2 && tok[0] == '`' && tok[n - 1] == '`')
			{
				tok++;
				n -= 2;
			}
			ci = find_column(t, tok, n);
			if (ci >= 0 && !t->cols[ci].is_key)
			{
				t->cols[ci].is_key = true;
				t->keys[t->nkeys++] = ci;
			}
		}
	}
	free(sorting_key);
	t->loaded = true;
	return CH_OK;

oom:
	free(sorting_key);
	sink_log_error("out of memory");
	return CH_FATAL;
}

/* Parse the row struct of an envelope schema ("after", else "before"). */
static bool
parse_row_schema(ChSpan schema, ChField **fields, int *nfields)
{
	json_error_t jerr;
	json_t	   *root = json_loadb(schema.p, schema.len, 0, &jerr);
	json_t	   *envfields;
	json_t	   *row = NULL;
	size_t		i;
	bool		ok = false;

	*fields = NULL;
	*nfields = 0;
	if (root == NULL)
		return false;
	envfields = json_object_get(root, "fields");
	for (i = 0; i < json_array_size(envfields); i++)
	{
		json_t	   *f = json_array_get(envfields, i);
		const char *name = json_string_value(json_object_get(f, "field"));

		if (name && strcmp(name, "after") == 0)
			row = f;
		else if (name && strcmp(name, "before") == 0 && row == NULL)
			row = f;
	}
	if (row)
		ok = ch_connect_parse_fields(row, fields, nfields);
	json_decref(root);
	return ok;
}

/*
 * The key's field names, from the Kafka key: its schema's fields, else
 * its members.  *names is malloc'd, each name too.
 */
static bool
key_names(const char *key, size_t keylen, char ***names, int *nnames)
{
	ChSpan		k;
	ChSpan		schema;
	ChSpan		payload;
	ChJsonIter	it;
	ChSpan		mk;
	ChSpan		mv;
	int			n = 0;
	int			max = 0;
	char	  **out = NULL;

	*names = NULL;
	*nnames = 0;
	if (key == NULL || !ch_json_value(key, key + keylen, &k) ||
		ch_json_type(k) != CHJ_OBJECT)
		return true;			/* no key */
	if (ch_json_member(k, "schema", &schema) && ch_json_member(k, "payload", &payload))
	{
		if (ch_json_type(payload) != CHJ_OBJECT)
			return true;
		k = payload;
	}
	if (!ch_json_iter_object(&it, k))
		return true;
	while (ch_json_next_member(&it, &mk, &mv) == 1)
	{
		ChBuf		b;

		if (n == max)
		{
			char	  **o;

			max = max ? max * 2 : 4;
			o = realloc(out, max * sizeof(char *));
			if (o == NULL)
				goto oom;
			out = o;
		}
		ch_buf_init(&b);
		if (!ch_json_unescape(mk.p, mk.len, &b) || b.oom)
		{
			ch_buf_free(&b);
			goto oom;
		}
		ch_buf_cstr(&b);
		out[n++] = b.data ? b.data : strdup("");
		if (out[n - 1] == NULL)
			goto oom;
	}
	*names = out;
	*nnames = n;
	return true;

oom:
	while (n > 0)
		free(out[--n]);
	free(out);
	return false;
}

/* Free key names. */
static void
free_names(char **names, int n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

/* Run DDL (CREATE, ALTER) and log what it did. */
static ChResult
run_ddl(ChTables *ts, const char *what)
{
	ChResult	r = run_sql(ts, ch_buf_cstr(&ts->sql), NULL, NULL, 0, NULL, what);

	if (r == CH_OK)
		sink_log_info("clickhouse: %s", ch_buf_cstr(&ts->sql));
	return r;
}

/* Create a table from an event schema and the Kafka key. */
static ChResult
table_create(ChTables *ts, ChTable *t, const ChTopic *tp, ChSpan schema,
			 const ChRecord *rec)
{
	ChField    *fields = NULL;
	int			nfields = 0;
	char	  **keys = NULL;
	int			nkeys = 0;
	ChColumnDef *defs = NULL;
	ChBuf	   *types = NULL;
	ChResult	r = CH_FATAL;
	int			i;
	int			j;

	if (schema.len == 0)
	{
		sink_log_error("clickhouse: table %s does not exist, and the events of topic \"%s\" carry no schema to create it from",
					   t->display, tp->name);
		sink_log_hint("Set value.converter.schemas.enable=true (and key.converter.schemas.enable=true) on the source, or create the table yourself (ReplacingMergeTree(%s) with an %s UInt8 column).",
					  CH_VERSION_COLUMN, CH_DELETED_COLUMN);
		return CH_FATAL;
	}
	if (!parse_row_schema(schema, &fields, &nfields) || nfields == 0)
	{
		sink_log_error("clickhouse: could not read the row schema of an event on topic \"%s\" (offset %" PRId64 ")",
					   tp->name, rec->offset);
		return CH_FATAL;
	}
	if (!key_names(rec->key, rec->keylen, &keys, &nkeys))
		goto oom;
	for (i = 0; i < nkeys; i++)
	{
		for (j = 0; j < nfields; j++)
			if (strcmp(fields[j].name, keys[i]) == 0)
				break;
		if (j == nfields)
		{
			sink_log_error("clickhouse: the key field \"%s\" of topic \"%s\" is not a field of its rows",
						   keys[i], tp->name);
			goto done;
		}
	}
	if (nkeys == 0)
		sink_log_warning("clickhouse: topic \"%s\" has no key (a table without primary key or replica identity): table %s keeps every change (MergeTree)",
						 tp->name, t->display);

	/* the database first (idempotent) */
	ch_buf_reset(&ts->sql);
	ch_ddl_create_database(&ts->sql, t->database, ts->opts.cluster);
	r = run_sql(ts, ch_buf_cstr(&ts->sql), NULL, NULL, 0, NULL, "creating the database");
	if (r != CH_OK)
		goto done;

	defs = calloc((size_t) nfields, sizeof(ChColumnDef));
	types = calloc((size_t) nfields * 2, sizeof(ChBuf));
	if (defs == NULL || types == NULL)
		goto oom;
	for (i = 0; i < nfields; i++)
	{
		bool		is_key = false;

		for (j = 0; j < nkeys; j++)
			is_key |= strcmp(keys[j], fields[i].name) == 0;
		ch_type_for(&fields[i].type, ts->srv, is_key, ts->opts.fallback,
					&types[2 * i]);
		ch_connect_describe(&fields[i].type, &types[2 * i + 1]);
		defs[i].name = fields[i].name;
		defs[i].type = ch_buf_cstr(&types[2 * i]);
		defs[i].comment = ch_buf_cstr(&types[2 * i + 1]);
		if (types[2 * i].oom || types[2 * i + 1].oom)
			goto oom;
	}
	ch_buf_reset(&ts->sql);
	ch_ddl_create_table(&ts->sql, ts->srv, t->database, t->name, defs, nfields,
						(const char *const *) keys, nkeys, ts->opts.cluster);
	r = run_ddl(ts, "creating a table");

done:
	if (types)
		for (i = 0; i < nfields * 2; i++)
			ch_buf_free(&types[i]);
	free(types);
	free(defs);
	free_names(keys, nkeys);
	ch_connect_free_fields(fields, nfields);
	return r;

oom:
	sink_log_error("out of memory");
	r = CH_FATAL;
	goto done;
}

/* Make sure the table's columns are known, creating the table if needed. */
static ChResult
table_ensure(ChTables *ts, ChTable *t, ChTopic *tp, ChSpan schema,
			 const ChRecord *rec)
{
	bool		exists;
	ChResult	r;

	if (t->loaded)
		return CH_OK;
	r = table_load(ts, t, &exists);
	if (r != CH_OK || exists)
		return r;
	r = table_create(ts, t, tp, schema, rec);
	if (r != CH_OK)
		return r;
	r = table_load(ts, t, &exists);
	if (r == CH_OK && !exists)
	{
		sink_log_error("clickhouse: table %s was created but cannot be found", t->display);
		return CH_FATAL;
	}
	return r;
}

/* Delete a table's rows below a version (a truncate), as a mutation. */
static ChResult
apply_truncate(ChTables *ts, ChTable *t, uint64_t version)
{
	ch_buf_reset(&ts->sql);
	ch_buf_puts(&ts->sql, "ALTER TABLE ");
	ch_buf_puts(&ts->sql, t->qualified);
	if (ts->opts.cluster)
	{
		ch_buf_puts(&ts->sql, " ON CLUSTER ");
		ch_quote_ident(&ts->sql, ts->opts.cluster);
	}
	ch_buf_printf(&ts->sql, " DELETE WHERE `" CH_VERSION_COLUMN "` < %" PRIu64, version);
	return run_ddl(ts, "applying a truncate");
}

/*
 * The TRUNC_TABLE of a database, created in ClickHouse the first time.
 * When it cannot be created (no permission, say) truncates still apply,
 * but only within this process: warned once, and *out is not ready.
 */
static ChResult
trunc_db(ChTables *ts, const char *database, ChTruncDb **out)
{
	static const char *const keys[] = {TRUNC_TABLE_COLUMN};
	ChColumnDef col = {TRUNC_TABLE_COLUMN, "String", NULL};
	ChTruncDb  *d;
	ChResult	r;

	for (d = ts->truncdbs; d; d = d->next)
		if (strcmp(d->database, database) == 0)
			break;
	if (d == NULL)
	{
		ChBuf		q;

		ch_buf_init(&q);
		ch_qualified_name(&q, database, TRUNC_TABLE);
		ch_buf_cstr(&q);
		if (q.oom || (d = calloc(1, sizeof(*d))) == NULL ||
			(d->database = strdup(database)) == NULL)
		{
			free(d);
			ch_buf_free(&q);
			sink_log_error("out of memory");
			return CH_FATAL;
		}
		d->qualified = q.data;
		d->next = ts->truncdbs;
		ts->truncdbs = d;
	}
	*out = d;
	if (d->ready || d->unusable)
		return CH_OK;
	ch_buf_reset(&ts->sql);
	ch_ddl_create_table(&ts->sql, ts->srv, database, TRUNC_TABLE, &col, 1, keys, 1,
						ts->opts.cluster);
	r = run_sql(ts, ch_buf_cstr(&ts->sql), NULL, NULL, 0, NULL,
				"creating the table of truncates");
	if (r == CH_RETRY)
		return r;
	if (r == CH_FATAL)
	{
		d->unusable = true;
		sink_log_warning("clickhouse: truncates of tables in database \"%s\" are applied, but not recorded in %s: after a restart, or in other members of the group, rows a truncate removed can come back",
						 database, d->qualified);
		return CH_OK;
	}
	d->ready = true;
	return CH_OK;
}

/*
 * Read the truncates recorded in a database: of table \p only, or of every
 * table this process knows.  Raises their truncated_below (dropping
 * pending rows below it); without \p only, a table that received rows
 * below its new version since the last read has the mutation run again.
 */
static ChResult
trunc_read(ChTables *ts, ChTruncDb *d, ChTable *only)
{
	ResponseLines lines;
	ChSpan		line;
	ChResult	r;

	ch_buf_reset(&ts->sql);
	ch_buf_puts(&ts->sql, "SELECT `" TRUNC_TABLE_COLUMN "`, toString(max(`"
				CH_VERSION_COLUMN "`)) AS v FROM ");
	ch_buf_puts(&ts->sql, d->qualified);
	if (only)
	{
		ch_buf_puts(&ts->sql, " WHERE `" TRUNC_TABLE_COLUMN "` = ");
		ch_quote_literal(&ts->sql, only->name);
	}
	ch_buf_puts(&ts->sql, " GROUP BY `" TRUNC_TABLE_COLUMN "` FORMAT JSONEachRow");
	r = run_sql(ts, ch_buf_cstr(&ts->sql), SELECT_SETTINGS, NULL, 0,
				&ts->response, "reading the table of truncates");
	if (r != CH_OK)
		return r;
	lines_start(&lines, &ts->response);
	while (lines_next(&lines, &line))
	{
		char	   *name;
		char	   *v;
		uint64_t	version;
		ChTable    *t;

		name = member_string(line, TRUNC_TABLE_COLUMN);
		v = member_string(line, "v");
		version = v ? strtoull(v, NULL, 10) : 0;
		t = name == NULL ? NULL : only ? only : find_table(ts, d->database, name);
		free(name);
		free(v);
		if (t == NULL || version <= t->truncated_below)
			continue;
		t->truncated_below = version;
		drop_rows_below(ts, t, version);
		if (!only && t->inserted_min < version)
		{
			sink_log_info("clickhouse: %s was truncated (elsewhere in the group) while rows older than the truncate were written here: truncating again",
						  t->display);
			r = apply_truncate(ts, t, version);
			if (r != CH_OK)
				return r;
		}
	}
	return CH_OK;
}

/* Read a table's recorded truncate, the first time it is used. */
static ChResult
trunc_first_read(ChTables *ts, ChTable *t)
{
	ChTruncDb  *d;
	ChResult	r = trunc_db(ts, t->database, &d);

	if (r == CH_OK && d->ready)
		r = trunc_read(ts, d, t);
	if (r == CH_OK)
		t->truncates_read = true;
	return r;
}

/*
 * After a flush: the truncates recorded since the last read, in every
 * database that received rows (see "Truncates" above).
 */
static ChResult
trunc_check(ChTables *ts)
{
	ChTruncDb  *d;
	int			i;

	for (d = ts->truncdbs; d; d = d->next)
	{
		bool		inserted = false;

		if (!d->ready)
			continue;
		for (i = 0; i < HASH_SIZE && !inserted; i++)
		{
			ChTable    *t;

			for (t = ts->tables[i]; t && !inserted; t = t->next)
				inserted = t->inserted_min != UINT64_MAX &&
					strcmp(t->database, d->database) == 0;
		}
		if (inserted)
		{
			ChResult	r = trunc_read(ts, d, NULL);

			if (r != CH_OK)
				return r;
		}
	}
	for (i = 0; i < HASH_SIZE; i++)
	{
		ChTable    *t;

		for (t = ts->tables[i]; t; t = t->next)
			t->inserted_min = UINT64_MAX;
	}
	return CH_OK;
}

/* The Connect type a map field had, for messages. */
static void
describe_field(const ChConnect *ct, ChBuf *out)
{
	size_t		n = strlen(CH_COMMENT_PREFIX);

	ch_connect_describe(ct, out);
	memmove(out->data, out->data + n, out->len - n);
	out->len -= n;
	ch_buf_cstr(out);
}

/*
 * Bring the table in line with an event schema: add missing columns,
 * widen columns whose type grew, refuse a change that would lose values.
 * Reloads the table after any ALTER.
 */
static ChResult
table_evolve(ChTables *ts, ChTable *t, const ChField *fields, int nfields)
{
	int			i;
	bool		altered = false;
	ChResult	r = CH_OK;

	for (i = 0; i < nfields; i++)
	{
		const ChField *f = &fields[i];
		int			ci = find_column(t, f->name, strlen(f->name));
		ChBuf		type;
		ChBuf		comment;
		ChType		desired;
		ChColumnDef def;
		ChTypeRelation rel = CH_REL_SAME;

		ch_buf_init(&type);
		ch_buf_init(&comment);
		ch_type_for(&f->type, ts->srv, ci >= 0 && t->cols[ci].is_key,
					ts->opts.fallback, &type);
		ch_connect_describe(&f->type, &comment);
		def.name = f->name;
		def.type = ch_buf_cstr(&type);
		def.comment = ch_buf_cstr(&comment);
		ch_type_parse(def.type, &desired);
		if (ci >= 0)
			rel = ch_type_relation(&t->cols[ci].type, &desired, &f->type);

		if (ci < 0 || rel == CH_REL_WIDEN)
		{
			if (ci >= 0)
				sink_log_info("clickhouse: column \"%s\" of %s changes from %s to %s",
							  f->name, t->display, t->cols[ci].type_text, def.type);
			ch_buf_reset(&ts->sql);
			ch_ddl_alter_column(&ts->sql, ts->srv, t->database, t->name, &def,
								ci >= 0, ts->opts.cluster);
			/* another consumer of the group may have added it just now */
			ts->tolerated_code = ci < 0 ? 44 : 0;
			r = run_ddl(ts, ci < 0 ? "adding a column" : "changing a column's type");
			ts->tolerated_code = 0;
			if (r == CH_FATAL && ci < 0 && ts->last_code == 44)
			{
				sink_log_info("clickhouse: column \"%s\" of %s exists already", f->name, t->display);
				r = CH_OK;
			}
			if (r == CH_OK && ci < 0 && !ts->srv->add_if_not_exists)
			{
				/* 18.16 drops the COMMENT of ADD COLUMN: set it again */
				ch_buf_reset(&ts->sql);
				ch_buf_puts(&ts->sql, "ALTER TABLE ");
				ch_buf_puts(&ts->sql, t->qualified);
				if (ts->opts.cluster)
				{
					ch_buf_puts(&ts->sql, " ON CLUSTER ");
					ch_quote_ident(&ts->sql, ts->opts.cluster);
				}
				ch_buf_puts(&ts->sql, " COMMENT COLUMN ");
				ch_quote_ident(&ts->sql, f->name);
				ch_buf_putc(&ts->sql, ' ');
				ch_quote_literal(&ts->sql, def.comment);
				r = run_sql(ts, ch_buf_cstr(&ts->sql), NULL, NULL, 0, NULL,
							"commenting a column");
			}
			altered = true;
		}
		else if (rel == CH_REL_INCOMPATIBLE)
		{
			ChBuf		what;

			ch_buf_init(&what);
			describe_field(&f->type, &what);
			sink_log_error("clickhouse: column \"%s\" of table %s is %s, which cannot hold the events' values (%s, for %s); the column's type changed in PostgreSQL",
						   f->name, t->display, t->cols[ci].type_text,
						   ch_buf_cstr(&what), def.type);
			if (ts->opts.connector)
				sink_log_hint("Convert the column (ALTER TABLE %s MODIFY COLUMN `%s` %s), or rename or drop the table to have it created again from the events, then restart the connector (POST /connectors/%s/restart).",
							  t->qualified, f->name, def.type, ts->opts.connector);
			else
				sink_log_hint("Convert the column (ALTER TABLE %s MODIFY COLUMN `%s` %s), or rename or drop the table to have it created again from the events, then restart wal2dbz-sink.",
							  t->qualified, f->name, def.type);
			ch_buf_free(&what);
			r = CH_FATAL;
		}
		ch_type_free(&desired);
		ch_buf_free(&type);
		ch_buf_free(&comment);
		if (r != CH_OK)
		{
			/* read the table again next time: some ALTERs may have run */
			if (altered)
				t->loaded = false;
			return r;
		}
	}
	if (altered)
	{
		bool		exists;

		r = table_load(ts, t, &exists);
		if (r == CH_OK && !exists)
		{
			sink_log_error("clickhouse: table %s disappeared while being altered", t->display);
			r = CH_FATAL;
		}
	}
	return r;
}

/* Build a map for an event schema (evolving the table first). */
static ChResult
map_build(ChTables *ts, ChTable *t, ChSpan schema, ChSchemaMap **mapp)
{
	ChField    *fields = NULL;
	int			nfields = 0;
	ChSchemaMap *map;
	ChResult	r;
	int			i;

	*mapp = NULL;
	if (!parse_row_schema(schema, &fields, &nfields))
	{
		sink_log_error("clickhouse: could not read an event schema for table %s", t->display);
		return CH_FATAL;
	}
	r = table_evolve(ts, t, fields, nfields);
	if (r != CH_OK)
	{
		ch_connect_free_fields(fields, nfields);
		return r;
	}
	map = calloc(1, sizeof(*map));
	if (map == NULL || (map->fields = calloc((size_t) nfields + 1, sizeof(ChMapField))) == NULL ||
		(map->raw = malloc(schema.len)) == NULL)
		goto oom;
	memcpy(map->raw, schema.p, schema.len);
	map->rawlen = schema.len;
	map->table = t;
	for (i = 0; i < nfields; i++)
	{
		ChMapField *mf = &map->fields[i];

		mf->name = fields[i].name;
		fields[i].name = NULL;
		mf->namelen = strlen(mf->name);
		mf->col = find_column(t, mf->name, mf->namelen);
		map->nfields++;
		if (mf->col >= 0 &&
			!ch_conv_init(&mf->conv, &fields[i].type, &t->cols[mf->col].type))
			goto oom;
	}
	/* columns the events no longer have keep their default */
	for (i = 0; i < t->ncols; i++)
	{
		int			j;

		for (j = 0; j < map->nfields; j++)
			if (map->fields[j].col == i)
				break;
		if (j == map->nfields)
			sink_log_info("clickhouse: column \"%s\" of %s is not in the events (dropped in PostgreSQL?); new rows get its default",
						  t->cols[i].name, t->display);
	}
	ch_connect_free_fields(fields, nfields);

	/* keep the newest maps only */
	map->next = t->maps;
	t->maps = map;
	if (++t->nmaps > MAX_SCHEMA_MAPS)
	{
		ChSchemaMap *m = t->maps;

		while (m->next && m->next->next)
			m = m->next;
		forget_maps(ts, t, m->next);
		map_free(m->next);
		m->next = NULL;
		t->nmaps--;
	}
	*mapp = map;
	return CH_OK;

oom:
	sink_log_error("out of memory");
	ch_connect_free_fields(fields, nfields);
	map_free(map);
	return CH_FATAL;
}

/* The map for events without schemas: every column by name, by its type. */
static ChSchemaMap *
map_schemaless(ChTable *t)
{
	ChSchemaMap *map;
	int			i;

	if (t->schemaless)
		return t->schemaless;
	map = calloc(1, sizeof(*map));
	if (map == NULL || (map->fields = calloc((size_t) t->ncols + 1, sizeof(ChMapField))) == NULL)
	{
		free(map);
		return NULL;
	}
	map->table = t;
	for (i = 0; i < t->ncols; i++)
	{
		ChMapField *mf = &map->fields[i];

		mf->name = strdup(t->cols[i].name);
		if (mf->name == NULL)
		{
			map_free(map);
			return NULL;
		}
		mf->namelen = strlen(mf->name);
		mf->col = i;
		map->nfields++;
		if (!ch_conv_init(&mf->conv, t->cols[i].ct.kind != CT_NONE ? &t->cols[i].ct : NULL,
						  &t->cols[i].type))
		{
			map_free(map);
			return NULL;
		}
	}
	t->schemaless = map;
	return map;
}

/* Find the map of an exact schema text. */
static ChSchemaMap *
map_find(ChTable *t, ChSpan schema)
{
	ChSchemaMap *m;

	for (m = t->maps; m; m = m->next)
		if (m->rawlen == schema.len && memcmp(m->raw, schema.p, schema.len) == 0)
			return m;
	return NULL;
}

/*
 * Split a value into schema and payload.  With a cached schema for the
 * topic, compare the bytes first: the usual record starts with exactly
 * that schema, and the scan of its several kilobytes is skipped.
 */
static bool
split_value(const ChRecord *rec, const ChTopic *tp, ChEvent *ev)
{
	static const char head[] = "{\"schema\":";
	static const char mid[] = ",\"payload\":";
	const char *v = rec->value;
	const char *end = rec->value + rec->valuelen;
	ChSpan		whole;
	ChJsonIter	it;
	ChSpan		k;
	ChSpan		val;
	bool		have_schema = false;
	bool		have_payload = false;

	memset(ev, 0, sizeof(*ev));
	if (tp->map && tp->map->raw &&
		rec->valuelen > sizeof(head) - 1 + tp->map->rawlen + sizeof(mid) - 1 &&
		memcmp(v, head, sizeof(head) - 1) == 0 &&
		memcmp(v + sizeof(head) - 1, tp->map->raw, tp->map->rawlen) == 0 &&
		memcmp(v + sizeof(head) - 1 + tp->map->rawlen, mid, sizeof(mid) - 1) == 0)
	{
		const char *p = v + sizeof(head) - 1 + tp->map->rawlen + sizeof(mid) - 1;

		ev->schema.p = v + sizeof(head) - 1;
		ev->schema.len = tp->map->rawlen;
		ev->schema_cached = true;
		return ch_json_value(p, end, &ev->payload);
	}

	if (!ch_json_value(v, end, &whole) || ch_json_type(whole) != CHJ_OBJECT)
		return false;
	ch_json_iter_object(&it, whole);
	while (ch_json_next_member(&it, &k, &val) == 1)
	{
		if (ch_json_key_is(k, "schema"))
		{
			ev->schema = val;
			have_schema = true;
		}
		else if (ch_json_key_is(k, "payload"))
		{
			ev->payload = val;
			have_payload = true;
		}
		else
		{
			/* not a schema+payload wrapper: the value is the payload */
			have_schema = have_payload = false;
			break;
		}
	}
	if (!(have_schema && have_payload))
	{
		memset(&ev->schema, 0, sizeof(ev->schema));
		ev->payload = whole;
	}
	if (ev->schema.len > 0 && ch_json_type(ev->schema) != CHJ_OBJECT)
		memset(&ev->schema, 0, sizeof(ev->schema));
	return true;
}

/* Read op, before, after, source and source.lsn from the payload. */
static bool
read_payload(ChEvent *ev)
{
	ChJsonIter	it;
	ChSpan		k;
	ChSpan		v;

	if (!ch_json_iter_object(&it, ev->payload))
		return false;
	while (ch_json_next_member(&it, &k, &v) == 1)
	{
		if (ch_json_key_is(k, "op"))
		{
			if (ch_json_type(v) == CHJ_STRING && v.len == 3)
				ev->op = v.p[1];
		}
		else if (ch_json_key_is(k, "before"))
			ev->before = v;
		else if (ch_json_key_is(k, "after"))
			ev->after = v;
		else if (ch_json_key_is(k, "source"))
			ev->source = v;
	}
	if (ev->source.len > 0)
	{
		ChSpan		lsn;

		if (ch_json_member(ev->source, "lsn", &lsn))
			ch_json_uint64(lsn, &ev->lsn);
	}
	return true;
}

/* The table an event goes to, by the name formats. */
static ChTable *
resolve_table(ChTables *ts, ChTopic *tp, const ChEvent *ev)
{
	char	   *db = NULL;
	char	   *schema = NULL;
	char	   *table = NULL;
	ChBuf		dbname;
	ChBuf		tname;
	ChTable    *t = NULL;

	if (tp->table && !ts->uses_source)
		return tp->table;
	if (ts->uses_source && ev->source.len > 0)
	{
		db = member_string(ev->source, "db");
		schema = member_string(ev->source, "schema");
		table = member_string(ev->source, "table");
	}
	else if (ts->uses_source && tp->table)
		return tp->table;		/* a tombstone: the topic's last table */
	ch_buf_init(&dbname);
	ch_buf_init(&tname);
	if (!ch_expand_name(ts->opts.database_format, tp->name, db, schema, table, &dbname) ||
		!ch_expand_name(ts->opts.table_format, tp->name, db, schema, table, &tname))
	{
		sink_log_error("clickhouse: %s", ch_buf_cstr(dbname.len ? &dbname : &tname));
		goto done;
	}
	t = get_table(ts, ch_buf_cstr(&dbname), ch_buf_cstr(&tname));
	if (t == NULL)
		sink_log_error("out of memory");
done:
	ch_buf_free(&dbname);
	ch_buf_free(&tname);
	free(db);
	free(schema);
	free(table);
	return t;
}

/* Append a value slot to the table; returns its index or -1. */
static long
add_val(ChTable *t, int col, uint32_t off, uint32_t len)
{
	if (t->nvals == t->maxvals)
	{
		size_t		newmax = t->maxvals ? t->maxvals * 2 : 1024;
		ChVal	   *v = realloc(t->vals, newmax * sizeof(ChVal));

		if (v == NULL)
			return -1;
		t->vals = v;
		t->maxvals = newmax;
	}
	t->vals[t->nvals].col = (uint32_t) col;
	t->vals[t->nvals].off = off;
	t->vals[t->nvals].len = len;
	return (long) t->nvals++;
}

/* Append a row header; returns it or NULL. */
static ChRow *
add_row(ChTable *t, const ChTopic *tp, const ChRecord *rec)
{
	if (t->nrows == t->maxrows)
	{
		size_t		newmax = t->maxrows ? t->maxrows * 2 : 256;
		ChRow	   *r = realloc(t->rows, newmax * sizeof(ChRow));

		if (r == NULL)
			return NULL;
		t->rows = r;
		t->maxrows = newmax;
	}
	memset(&t->rows[t->nrows], 0, sizeof(ChRow));
	t->rows[t->nrows].first = (uint32_t) t->nvals;
	t->rows[t->nrows].topic = tp;
	t->rows[t->nrows].partition = rec->partition;
	t->rows[t->nrows].offset = rec->offset;
	return &t->rows[t->nrows++];
}

/*
 * pending_rows counts the rows still to write: a row leaves it once, when
 * it is dropped or held (or written: table_reset_pending()).  resolve()
 * can run again on the same rows after a read back failed, so these check
 * the flags instead of trusting their callers.
 */

/* Drop a row: it resolved to nothing (or a truncate removed it). */
static void
drop_row(ChTables *ts, ChRow *row)
{
	if (!(row->flags & (ROW_DROPPED | ROW_HELD)))
		ts->pending_rows--;
	row->flags = ROW_DROPPED;
}

/* Hold a row: not written now, read again later (see add_hold()). */
static void
hold_row(ChTables *ts, ChRow *row)
{
	if (row->flags & (ROW_DROPPED | ROW_HELD))
		return;
	row->flags |= ROW_HELD;
	ts->pending_rows--;
}

/* Has this row a value for column col (a key column)? */
static bool
row_has(const ChTable *t, const ChRow *row, int col)
{
	uint32_t	i;

	for (i = 0; i < row->nvals; i++)
		if ((int) t->vals[row->first + i].col == col &&
			t->vals[row->first + i].off != VAL_OMIT)
			return true;
	return false;
}

/*
 * Convert one value into the arena and add it to the current row.
 * Returns false when the value does not fit (logged) or on OOM.
 */
static bool
put_value(ChTables *ts, ChTable *t, const ChRecord *rec, int col,
		  const ChConv *conv, ChSpan v, bool check_placeholder,
		  ChRow *row, bool *placeholder)
{
	size_t		start = t->arena.len;
	ChConvResult cr;

	if (check_placeholder && ch_conv_is_placeholder(conv, &ts->ph, v))
	{
		*placeholder = true;
		return add_val(t, col, VAL_PLACEHOLDER, 0) >= 0;
	}
	cr = ch_conv_value(conv, v, &t->arena, &ts->scratch);
	if (cr == CH_CONV_BAD)
	{
		t->arena.len = start;
		sink_log_error("clickhouse: topic \"%s\" partition %d offset %" PRId64 ": column \"%s\" of %s: %s",
					   rec->topic, (int) rec->partition, rec->offset,
					   t->cols[col].name, t->display, ch_buf_cstr(&ts->scratch));
		return false;
	}
	if (t->arena.oom)
		return false;
	if (add_val(t, col, cr == CH_CONV_OMIT ? VAL_OMIT : (uint32_t) start,
				(uint32_t) (t->arena.len - start)) < 0)
		return false;
	(void) row;
	return true;
}

/*
 * Add the key columns a row lacks from a key (the Kafka key, for a delete
 * without a before image or a tombstone).  With \p old, add every key
 * column, as the row's old key, after its values.
 */
static bool
add_key_values(ChTables *ts, ChTable *t, const ChRecord *rec, const char *key,
			   size_t keylen, ChRow *row, bool old)
{
	ChSpan		k;
	ChSpan		schema;
	ChSpan		payload;
	int			i;

	if (key == NULL || !ch_json_value(key, key + keylen, &k))
		return false;
	if (ch_json_member(k, "schema", &schema) && ch_json_member(k, "payload", &payload))
		k = payload;
	if (old)
		row->okfirst = (uint32_t) t->nvals;
	for (i = 0; i < t->nkeys; i++)
	{
		int			col = t->keys[i];
		ChSpan		v;
		bool		ph = false;

		if (!old && row_has(t, row, col))
			continue;
		if (!ch_json_member(k, t->cols[col].name, &v))
			return false;
		if (!put_value(ts, t, rec, col, &t->cols[col].conv, v, false, row, &ph))
			return false;
		if (!old)
			row->nvals++;
	}
	return true;
}

/* Drop pending rows below a version (a truncate arrived). */
static void
drop_rows_below(ChTables *ts, ChTable *t, uint64_t version)
{
	size_t		i;

	for (i = 0; i < t->nrows; i++)
		if (!(t->rows[i].flags & (ROW_DROPPED | ROW_HELD)) && t->rows[i].version < version)
			drop_row(ts, &t->rows[i]);
}

/* Take a tombstone: a key to delete, resolved at flush. */
static ChResult
add_tombstone(ChTables *ts, ChTopic *tp, const ChRecord *rec)
{
	ChTable    *t = tp->table;
	ChRow	   *row;
	size_t		nvals = 0;

	if (t == NULL && !ts->uses_source)
	{
		ChEvent		ev;

		memset(&ev, 0, sizeof(ev));
		t = resolve_table(ts, tp, &ev);
	}
	if (t == NULL)
	{
		if (!tp->warned_no_table)
			sink_log_debug("clickhouse: tombstone on topic \"%s\" before any change event: its table is not known yet; skipped",
						   tp->name);
		tp->warned_no_table = true;
		return CH_SKIPPED;
	}
	if (!t->loaded)
	{
		bool		exists;
		ChResult	r = table_load(ts, t, &exists);

		if (r != CH_OK)
			return r;
		if (!exists)
			return CH_SKIPPED;	/* nothing to delete */
	}
	if (t->nkeys == 0 || rec->key == NULL)
		return CH_SKIPPED;
	nvals = t->nvals;
	row = add_row(t, tp, rec);
	if (row == NULL)
		goto oom;
	row->flags = ROW_TOMBSTONE;
	row->deleted = 1;
	if (!add_key_values(ts, t, rec, rec->key, rec->keylen, row, false))
	{
		t->nrows--;
		t->nvals = nvals;
		sink_log_warning("clickhouse: tombstone on topic \"%s\" partition %d offset %" PRId64 " has no usable key; skipped",
						 rec->topic, (int) rec->partition, rec->offset);
		return CH_SKIPPED;
	}
	t->need_resolve = true;
	ts->pending_rows++;
	ts->pending_bytes += rec->keylen + 16;
	return CH_OK;

oom:
	sink_log_error("out of memory");
	return CH_FATAL;
}

/* Take one record. */
ChResult
ch_tables_add(ChTables *ts, const ChRecord *rec)
{
	ChTopic    *tp = get_topic(ts, rec->topic);
	ChEvent		ev;
	ChTable    *t;
	ChSchemaMap *map;
	ChSpan		image;
	ChResult	r;
	ChRow	   *row;
	ChJsonIter	it;
	ChSpan		k;
	ChSpan		v;
	int			hint = 0;
	int			m;
	bool		placeholders = false;
	size_t		arena_start;
	size_t		vals_start;

	if (tp == NULL)
	{
		sink_log_error("out of memory");
		return CH_FATAL;
	}
	if (rec->value == NULL)
		return add_tombstone(ts, tp, rec);

	if (!split_value(rec, tp, &ev) || !read_payload(&ev))
	{
		sink_log_warning("clickhouse: topic \"%s\" partition %d offset %" PRId64 ": not a JSON object; skipped",
						 rec->topic, (int) rec->partition, rec->offset);
		return CH_SKIPPED;
	}
	if (ev.op != 'c' && ev.op != 'u' && ev.op != 'd' && ev.op != 'r' && ev.op != 't')
		return CH_SKIPPED;		/* transaction metadata, messages, heartbeats */

	t = resolve_table(ts, tp, &ev);
	if (t == NULL)
		return CH_FATAL;
	if (ev.op == 't' && !t->loaded)
	{
		bool		exists;

		/* a truncate carries no key: never create a table from one */
		r = table_load(ts, t, &exists);
		if (r != CH_OK)
			return r;
		if (!exists)
			return CH_SKIPPED;	/* nothing to truncate */
	}
	r = table_ensure(ts, t, tp, ev.schema, rec);
	if (r == CH_OK && !t->truncates_read)
		r = trunc_first_read(ts, t);
	if (r != CH_OK)
		return r;
	tp->table = t;

	if (ev.op == 't')
	{
		uint64_t	version = ev.lsn << 16;

		drop_rows_below(ts, t, version);
		if (version > t->truncate_pending)
			t->truncate_pending = version;
		if (version > t->truncated_below)
			t->truncated_below = version;
		return CH_OK;
	}

	/* the schema map: cached by exact schema text, else built */
	if (ev.schema.len > 0)
	{
		/* split_value() found the topic's last schema, or compare */
		map = tp->map && tp->map->table == t && ev.schema_cached ?
			tp->map : map_find(t, ev.schema);
		if (map == NULL)
		{
			r = map_build(ts, t, ev.schema, &map);
			if (r != CH_OK)
				return r;
		}
	}
	else if ((map = map_schemaless(t)) == NULL)
	{
		sink_log_error("out of memory");
		return CH_FATAL;
	}
	tp->map = map;

	image = ev.op == 'd' ? ev.before : ev.after;
	arena_start = t->arena.len;
	vals_start = t->nvals;
	row = add_row(t, tp, rec);
	if (row == NULL)
		goto oom;
	row->version = ev.lsn << 16;
	row->deleted = ev.op == 'd';

	if (row->version < t->truncated_below)
	{
		t->nrows--;
		return CH_OK;			/* older than a truncate already applied */
	}

	if (ch_json_type(image) == CHJ_OBJECT)
	{
		ch_json_iter_object(&it, image);
		while ((m = ch_json_next_member(&it, &k, &v)) == 1)
		{
			ChMapField *mf = NULL;
			int			i;

			/* fields come in schema order: try the next one first */
			if (hint < map->nfields && map->fields[hint].namelen == k.len &&
				memcmp(map->fields[hint].name, k.p, k.len) == 0)
				mf = &map->fields[hint++];
			else
				for (i = 0; i < map->nfields; i++)
					if (ch_json_key_is(k, map->fields[i].name))
					{
						mf = &map->fields[i];
						hint = i + 1;
						break;
					}
			if (mf == NULL || mf->col < 0)
				continue;		/* not stored (no schema for a new field) */
			/* an insert has them only when it is a key change's */
			if (!put_value(ts, t, rec, mf->col, &mf->conv, v,
						   ev.op == 'u' || ev.op == 'c', row, &placeholders))
				goto bad_row;
			row->nvals++;
		}
		if (m < 0)
			goto bad_row;
	}
	else if (ev.op != 'd')
	{
		t->nrows--;
		sink_log_warning("clickhouse: topic \"%s\" partition %d offset %" PRId64 ": op \"%c\" without \"after\"; skipped",
						 rec->topic, (int) rec->partition, rec->offset, ev.op);
		return CH_SKIPPED;
	}

	/* a key column missing from the image: from the Kafka key */
	if (t->nkeys > 0)
	{
		int			i;

		for (i = 0; i < t->nkeys; i++)
			if (!row_has(t, row, t->keys[i]))
				break;
		if (i < t->nkeys &&
			!add_key_values(ts, t, rec, rec->key, rec->keylen, row, false))
		{
			t->nrows--;
			t->nvals = vals_start;
			t->arena.len = arena_start;
			sink_log_warning("clickhouse: topic \"%s\" partition %d offset %" PRId64 ": no value for the key of %s; skipped",
							 rec->topic, (int) rec->partition, rec->offset, t->display);
			return CH_SKIPPED;
		}
	}

	if (placeholders)
	{
		row->flags |= ROW_PLACEHOLDERS;
		t->need_resolve = true;
		/* a key change: the values are under the old key */
		if (ev.op == 'c' && rec->oldkey && t->nkeys > 0)
		{
			size_t		before = t->nvals;

			if (add_key_values(ts, t, rec, rec->oldkey, rec->oldkeylen, row, true))
				row->flags |= ROW_OLDKEY;
			else
				t->nvals = before;
		}
	}
	/* a key change's delete: written after its insert (see resolve()) */
	if (ev.op == 'd' && rec->newkey && t->nkeys > 0)
	{
		size_t		before = t->nvals;

		if (add_key_values(ts, t, rec, rec->newkey, rec->newkeylen, row, true))
		{
			row->flags |= ROW_NEWKEY;
			t->need_resolve = true;
		}
		else
			t->nvals = before;
	}
	ts->pending_rows++;
	ts->pending_bytes += (t->arena.len - arena_start) +
		(t->nvals - vals_start) * 24 + 48;
	return CH_OK;

bad_row:
	t->nrows--;
	t->nvals = vals_start;
	t->arena.len = arena_start;
	if (t->arena.oom)
		goto oom;
	sink_log_error("clickhouse: could not convert the record at topic \"%s\" partition %d offset %" PRId64 " for %s",
				   rec->topic, (int) rec->partition, rec->offset, t->display);
	return CH_FATAL;

oom:
	sink_log_error("out of memory");
	return CH_FATAL;
}

/* The value of column col in a row, or NULL. */
static const ChVal *
row_value(const ChTable *t, const ChRow *row, int col)
{
	uint32_t	i;

	for (i = 0; i < row->nvals; i++)
		if ((int) t->vals[row->first + i].col == col)
			return &t->vals[row->first + i];
	return NULL;
}

/* The value of key column k of a row (of its old key with \p old). */
static const ChVal *
key_value(const ChTable *t, const ChRow *row, int k, bool old)
{
	return old ? &t->vals[row->okfirst + k] : row_value(t, row, t->keys[k]);
}

/* Append a row's key (or old key) as one string (values joined by 0x1f). */
static void
row_key(const ChTable *t, const ChRow *row, bool old, ChBuf *out)
{
	int			i;

	for (i = 0; i < t->nkeys; i++)
	{
		const ChVal *v = key_value(t, row, i, old);

		if (i > 0)
			ch_buf_putc(out, '\x1f');
		if (v && v->off < VAL_OMIT)
			ch_buf_append(out, t->arena.data + v->off, v->len);
	}
}

/* one read-back row */
typedef struct Lookup
{
	bool		found;
	bool		deleted;
	uint64_t	version;
	uint32_t	first;			/* values in t->vals */
	uint32_t	nvals;
} Lookup;

/* which row of a key read_back() reads */
typedef enum ReadBack
{
	READ_CURRENT,				/* the current one (FINAL), by the row's key */
	READ_LAST_LIVE,				/* the last one not deleted, by the old key */
	READ_LAST_ANY				/* the last one, deleted or not, by the old key */
} ReadBack;

/*
 * Read rows of the keys in lookup_rows back from ClickHouse, into
 * results[] (one per entry).
 */
static ChResult
read_back(ChTables *ts, ChTable *t, const size_t *lookup_rows, size_t n,
		  ReadBack mode, Lookup *results)
{
	bool		live = mode != READ_CURRENT;
	ChBuf	   *sql = &ts->sql;
	ChBuf		data;
	ChBuf		structure;
	ChHttpResult res;
	ChResult	r;
	size_t		i;
	int			k;
	int			c;
	ResponseLines lines;
	ChSpan		line;

	ch_buf_init(&data);
	ch_buf_init(&structure);
	/* key columns are k0, k1, ... there: structures take no quoted names */
	ch_buf_puts(&structure, "_idx UInt32");
	for (k = 0; k < t->nkeys; k++)
	{
		ChType		base = t->cols[t->keys[k]].type;

		ch_buf_printf(&structure, ", k%d ", k);
		/* the key's type without Nullable (keys are never null) */
		if (base.nullable && strncmp(t->cols[t->keys[k]].type_text, "Nullable(", 9) == 0)
		{
			const char *tt = t->cols[t->keys[k]].type_text + 9;

			ch_buf_append(&structure, tt, strlen(tt) - 1);
		}
		else
			ch_buf_puts(&structure, t->cols[t->keys[k]].type_text);
	}
	for (i = 0; i < n; i++)
	{
		const ChRow *row = &t->rows[lookup_rows[i]];

		ch_buf_printf(&data, "{\"_idx\":%zu", i);
		for (k = 0; k < t->nkeys; k++)
		{
			const ChVal *v = key_value(t, row, k, live);

			ch_buf_printf(&data, ",\"k%d\":", k);
			if (v && v->off < VAL_OMIT)
				ch_buf_append(&data, t->arena.data + v->off, v->len);
			else
				ch_buf_puts(&data, "null");
		}
		ch_buf_puts(&data, "}\n");
	}

	/* SELECT _idx, _found, _version, is_deleted, <other columns> ... */
	ch_buf_reset(sql);
	ch_buf_puts(sql, "SELECT _idx, _found, ");
	ch_quote_ident(sql, CH_VERSION_COLUMN);
	ch_buf_puts(sql, ", ");
	ch_quote_ident(sql, CH_DELETED_COLUMN);
	for (c = 0; c < t->ncols; c++)
		if (!t->cols[c].is_key)
		{
			ch_buf_puts(sql, ", ");
			ch_quote_ident(sql, t->cols[c].name);
		}
	ch_buf_puts(sql, " FROM (SELECT _idx");
	for (k = 0; k < t->nkeys; k++)
	{
		ch_buf_printf(sql, ", k%d AS ", k);
		ch_quote_ident(sql, t->cols[t->keys[k]].name);
	}
	/* current servers want aliases on joined subqueries */
	ch_buf_puts(sql, " FROM " KEYS_TABLE ") AS _k ANY LEFT JOIN (SELECT ");
	for (c = 0; c < t->ncols; c++)
	{
		ch_quote_ident(sql, t->cols[c].name);
		ch_buf_puts(sql, ", ");
	}
	ch_quote_ident(sql, CH_VERSION_COLUMN);
	ch_buf_puts(sql, ", ");
	ch_quote_ident(sql, CH_DELETED_COLUMN);
	ch_buf_puts(sql, ", toUInt8(1) AS _found FROM ");
	ch_buf_puts(sql, t->qualified);
	ch_buf_puts(sql, live ? " WHERE (" : " FINAL WHERE (");
	for (k = 0; k < t->nkeys; k++)
	{
		if (k > 0)
			ch_buf_puts(sql, ", ");
		ch_quote_ident(sql, t->cols[t->keys[k]].name);
	}
	ch_buf_puts(sql, ") IN (SELECT ");
	for (k = 0; k < t->nkeys; k++)
		ch_buf_printf(sql, "%sk%d", k > 0 ? ", " : "", k);
	ch_buf_puts(sql, " FROM " KEYS_TABLE ")");
	if (live)
	{
		/* the last row that was not deleted (not FINAL: that is the delete) */
		if (mode == READ_LAST_LIVE)
		{
			ch_buf_puts(sql, " AND ");
			ch_quote_ident(sql, CH_DELETED_COLUMN);
			ch_buf_puts(sql, " = 0");
		}
		ch_buf_puts(sql, " ORDER BY ");
		ch_quote_ident(sql, CH_VERSION_COLUMN);
		ch_buf_puts(sql, " DESC LIMIT 1 BY ");
		for (k = 0; k < t->nkeys; k++)
		{
			if (k > 0)
				ch_buf_puts(sql, ", ");
			ch_quote_ident(sql, t->cols[t->keys[k]].name);
		}
	}
	ch_buf_puts(sql, ") AS _t USING (");
	for (k = 0; k < t->nkeys; k++)
	{
		if (k > 0)
			ch_buf_puts(sql, ", ");
		ch_quote_ident(sql, t->cols[t->keys[k]].name);
	}
	ch_buf_puts(sql, ") FORMAT JSONEachRow");

	ch_buf_reset(&ts->response);
	if (data.oom || structure.oom || sql->oom)
	{
		ch_buf_free(&data);
		ch_buf_free(&structure);
		sink_log_error("out of memory");
		return CH_FATAL;
	}
	if (!ch_http_query_external(ts->http, ch_buf_cstr(sql), SELECT_SETTINGS,
								KEYS_TABLE, ch_buf_cstr(&structure),
								data.data, data.len, &ts->response, &res))
	{
		ch_buf_free(&data);
		ch_buf_free(&structure);
		r = ch_classify(&res);
		ch_metrics_count(ts->metrics, 0, 0, 0, 0, 1);
		if (r == CH_FATAL)
			sink_log_error("clickhouse: reading rows of %s back failed (HTTP %ld): %s",
						   t->display, res.status, res.message);
		else
			sink_log_warning("clickhouse: reading rows of %s back failed: %s",
							 t->display, res.message);
		return r;
	}
	ch_buf_free(&data);
	ch_buf_free(&structure);
	ch_metrics_count(ts->metrics, 0, 0, n, 0, 0);

	/* one JSON object per line, members in the SELECT's order */
	lines_start(&lines, &ts->response);
	while (lines_next(&lines, &line))
	{
		ChJsonIter	it;
		ChSpan		mk;
		ChSpan		mv;
		uint64_t	idx = UINT64_MAX;
		Lookup		lk;
		int			m;
		int			hint = 0;

		memset(&lk, 0, sizeof(lk));
		lk.first = (uint32_t) t->nvals;
		ch_json_iter_object(&it, line);
		while ((m = ch_json_next_member(&it, &mk, &mv)) == 1)
		{
			uint64_t	u;

			if (ch_json_key_is(mk, "_idx"))
				ch_json_uint64(mv, &idx);
			else if (ch_json_key_is(mk, "_found"))
				lk.found = ch_json_uint64(mv, &u) && u == 1;
			else if (ch_json_key_is(mk, CH_VERSION_COLUMN))
				ch_json_uint64(mv, &lk.version);
			else if (ch_json_key_is(mk, CH_DELETED_COLUMN))
				lk.deleted = ch_json_uint64(mv, &u) && u != 0;
			else
			{
				int			col = -1;

				for (c = hint; c < t->ncols && col < 0; c++)
					if (ch_json_key_is(mk, t->cols[c].name))
						col = c;
				for (c = 0; c < hint && col < 0; c++)
					if (ch_json_key_is(mk, t->cols[c].name))
						col = c;
				if (col < 0)
					continue;
				hint = col + 1;
				{
					uint32_t	off = (uint32_t) t->arena.len;

					ch_buf_append(&t->arena, mv.p, mv.len);
					if (add_val(t, col, off, (uint32_t) mv.len) < 0)
						goto oom;
					lk.nvals++;
				}
			}
		}
		if (t->arena.oom)
			goto oom;
		if (idx < n)
			results[idx] = lk;
	}
	return CH_OK;

oom:
	sink_log_error("out of memory");
	return CH_FATAL;
}

/* Copy every value of a source row (not the key) to the end of vals; returns the first. */
static bool
copy_values(ChTable *t, uint32_t first, uint32_t nvals, ChRow *row)
{
	uint32_t	i;
	uint32_t	start = (uint32_t) t->nvals;
	uint32_t	keep = row->nvals;
	uint32_t	oldfirst = row->first;

	/* the row's own values first (its key), then the source's others */
	for (i = 0; i < keep; i++)
	{
		ChVal		v = t->vals[oldfirst + i];

		if (add_val(t, (int) v.col, v.off, v.len) < 0)
			return false;
	}
	for (i = 0; i < nvals; i++)
	{
		ChVal		v = t->vals[first + i];

		if (t->cols[v.col].is_key)
			continue;
		if (add_val(t, (int) v.col, v.off, v.len) < 0)
			return false;
	}
	row->first = start;
	row->nvals = (uint32_t) t->nvals - start;
	return true;
}

/*
 * A hash of row keys (row index + 1 per slot, 0: empty), over the key
 * strings in keys[keyoff[i] .. keyoff[i + 1]).
 */
typedef struct KeyHash
{
	long	   *slots;
	size_t		size;			/* a power of two */
} KeyHash;

/* Find the row of a key string; -1 if none. */
static long
hash_find(const KeyHash *h, const ChBuf *keys, const size_t *keyoff,
		  const char *k, size_t klen)
{
	size_t		slot;

	for (slot = ch_hash(k, klen) & (h->size - 1);; slot = (slot + 1) & (h->size - 1))
	{
		long		j = h->slots[slot] - 1;

		if (j < 0)
			return -1;
		if (keyoff[j + 1] - keyoff[j] == klen &&
			memcmp(keys->data + keyoff[j], k, klen) == 0)
			return j;
	}
}

/* Make row i the one of its key (keys[keyoff[i] ..]). */
static void
hash_put(KeyHash *h, const ChBuf *keys, const size_t *keyoff, long i)
{
	const char *k = keys->data + keyoff[i];
	size_t		klen = keyoff[i + 1] - keyoff[i];
	size_t		slot;

	for (slot = ch_hash(k, klen) & (h->size - 1);; slot = (slot + 1) & (h->size - 1))
	{
		long		j = h->slots[slot] - 1;

		if (j < 0 || (keyoff[j + 1] - keyoff[j] == klen &&
					  memcmp(keys->data + keyoff[j], k, klen) == 0))
		{
			h->slots[slot] = i + 1;
			return;
		}
	}
}

/* the order rows are resolved in: by version, then as they came */
typedef struct RowOrder
{
	uint64_t	version;
	size_t		row;
} RowOrder;

/* qsort comparator of RowOrder. */
static int
row_order_cmp(const void *a, const void *b)
{
	const RowOrder *x = a;
	const RowOrder *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Hold the row's partition from its offset on (the lowest offset wins). */
static bool
add_hold(ChTables *ts, const ChRow *row)
{
	size_t		i;

	for (i = 0; i < ts->nholds; i++)
		if (ts->holds[i].topic == row->topic->name &&
			ts->holds[i].partition == row->partition)
		{
			if (row->offset < ts->holds[i].offset)
			{
				ts->holds[i].offset = row->offset;
				ts->holds[i].delete_waits = (row->flags & ROW_NEWKEY) != 0;
			}
			return true;
		}
	if (ts->nholds == ts->maxholds)
	{
		size_t		newmax = ts->maxholds ? ts->maxholds * 2 : 8;
		ChHold	   *h = realloc(ts->holds, newmax * sizeof(ChHold));

		if (h == NULL)
			return false;
		ts->holds = h;
		ts->maxholds = newmax;
	}
	ts->holds[ts->nholds].topic = row->topic->name;
	ts->holds[ts->nholds].partition = row->partition;
	ts->holds[ts->nholds].offset = row->offset;
	ts->holds[ts->nholds].delete_waits = (row->flags & ROW_NEWKEY) != 0;
	ts->nholds++;
	return true;
}

/*
 * May the row wait (be held) for its old key's row?  A partition waits at
 * one position up to HOLD_MAX_MS (counted by note_holds()): the old key's
 * delete may never come (skipped.operations=d), and the stage must not
 * stall for good.  Rows after that position wait with it.
 */
static bool
hold_allowed(ChTables *ts, const ChTable *t, const ChRow *row)
{
	int			i;

	for (i = 0; i < ts->nheld; i++)
		if (ts->held[i].topic == row->topic->name && ts->held[i].partition == row->partition)
		{
			if (ts->held[i].offset != row->offset ||
				sink_mono_ms() - ts->held[i].since_ms <= HOLD_MAX_MS)
				return true;
			if (row->flags & ROW_NEWKEY)
				sink_log_warning("clickhouse: topic \"%s\" partition %d offset %" PRId64 ": the new key of this key change of %s has not reached ClickHouse in %d s; writing the old key's delete",
								 row->topic->name, (int) row->partition, row->offset, t->display,
								 HOLD_MAX_MS / 1000);
			else
				sink_log_warning("clickhouse: topic \"%s\" partition %d offset %" PRId64 ": the old key of this key change of %s has not reached ClickHouse in %d s; writing it without its unchanged TOAST values",
								 row->topic->name, (int) row->partition, row->offset, t->display,
								 HOLD_MAX_MS / 1000);
			return false;
		}
	return ts->nheld < MAX_HELD_POSITIONS;
}

/*
 * After a flush: each held partition's position, and since when it waits
 * there (a new position starts the clock); partitions no longer held are
 * forgotten.
 */
static void
note_holds(ChTables *ts)
{
	int64_t		now = sink_mono_ms();
	int			i;
	size_t		h;

	/* forget partitions that moved on */
	for (i = 0; i < ts->nheld;)
	{
		bool		still = false;

		for (h = 0; h < ts->nholds && !still; h++)
			still = ts->holds[h].topic == ts->held[i].topic &&
				ts->holds[h].partition == ts->held[i].partition;
		if (still)
			i++;
		else
			ts->held[i] = ts->held[--ts->nheld];
	}
	for (h = 0; h < ts->nholds; h++)
	{
		for (i = 0; i < ts->nheld; i++)
			if (ts->held[i].topic == ts->holds[h].topic &&
				ts->held[i].partition == ts->holds[h].partition)
				break;
		if (i < ts->nheld && ts->held[i].offset == ts->holds[h].offset)
			continue;			/* still waiting there */
		if (i == ts->nheld)
		{
			if (ts->nheld == MAX_HELD_POSITIONS)
				continue;
			ts->nheld++;
		}
		ts->held[i].topic = ts->holds[h].topic;
		ts->held[i].partition = ts->holds[h].partition;
		ts->held[i].offset = ts->holds[h].offset;
		ts->held[i].since_ms = now;
		if (ts->holds[h].delete_waits)
			sink_log_info("clickhouse: topic \"%s\" partition %d: holding a key change's delete of the old key at offset %" PRId64 " until the new key's insert reaches ClickHouse (written first, a merge could drop the old key's row and the unchanged TOAST values the insert takes from it); the partition is read again from there",
						  ts->holds[h].topic, (int) ts->holds[h].partition, ts->holds[h].offset);
		else
			sink_log_info("clickhouse: topic \"%s\" partition %d: waiting at offset %" PRId64 " for the old key of a key change to reach ClickHouse (its unchanged TOAST values are there); the partition is read again from there",
						  ts->holds[h].topic, (int) ts->holds[h].partition, ts->holds[h].offset);
	}
}

/* Mark the rows of held partitions, from the held offsets on, as not written now. */
static void
apply_holds(ChTables *ts, ChTable *t)
{
	size_t		i;
	size_t		h;

	for (i = 0; i < t->nrows; i++)
	{
		ChRow	   *row = &t->rows[i];
		bool		held = false;

		if (row->flags & (ROW_DROPPED | ROW_HELD))
			continue;
		for (h = 0; h < ts->nholds && !held; h++)
			held = ts->holds[h].topic == row->topic->name &&
				ts->holds[h].partition == row->partition &&
				row->offset >= ts->holds[h].offset;
		if (held)
			hold_row(ts, row);
	}
}

/* Is the row held now, or will apply_holds() hold it? */
static bool
row_held(const ChTables *ts, const ChRow *row)
{
	size_t		h;

	if (row->flags & ROW_HELD)
		return true;
	for (h = 0; h < ts->nholds; h++)
		if (ts->holds[h].topic == row->topic->name &&
			ts->holds[h].partition == row->partition &&
			row->offset >= ts->holds[h].offset)
			return true;
	return false;
}

/*
 * Hold a key change's delete of the old key until the new key's insert
 * (same version) is in ClickHouse or written in this batch.  Once the
 * delete, a higher version, is in, ClickHouse's merges may drop the old
 * key's live row at any time, and the insert may still need that row's
 * unchanged TOAST values (a member that lags, or a restart, reads it
 * later): they would be lost for good.  \p keys, \p keyoff: each row's key.
 */
static ChResult
hold_keychange_deletes(ChTables *ts, ChTable *t,
					   const ChBuf *keys, const size_t *keyoff)
{
	long	   *in_batch = NULL;	/* row -> the new key's insert, -1: none */
	bool	   *landed_early = NULL;	/* row -> its insert came before this batch */
	size_t	   *lookup_rows = NULL;
	Lookup	   *found = NULL;
	long	   *lookup_of = NULL;
	size_t		n = 0;
	size_t		i;
	ChBuf		newkey;
	ChResult	r = CH_OK;
	int			pass;
	bool		any = false;

	for (i = 0; i < t->nrows && !any; i++)
		any = (t->rows[i].flags & (ROW_NEWKEY | ROW_DROPPED | ROW_HELD)) == ROW_NEWKEY;
	if (!any)
		return CH_OK;
	ch_buf_init(&newkey);
	in_batch = malloc(t->nrows * sizeof(long));
	lookup_of = malloc(t->nrows * sizeof(long));
	lookup_rows = malloc(t->nrows * sizeof(size_t));
	landed_early = calloc(t->nrows, sizeof(bool));
	if (in_batch == NULL || lookup_of == NULL || lookup_rows == NULL || landed_early == NULL)
		goto oom;
	for (i = 0; i < t->nrows; i++)
	{
		const ChRow *row = &t->rows[i];
		size_t		j;

		in_batch[i] = -1;
		lookup_of[i] = -1;
		if ((row->flags & (ROW_NEWKEY | ROW_DROPPED | ROW_HELD)) != ROW_NEWKEY)
			continue;
		ch_buf_reset(&newkey);
		row_key(t, row, true, &newkey);
		if (newkey.oom)
			goto oom;
		/*
		 * The insert of the same update (same version) in the batch; or a
		 * later row of the new key, so its partition got past the insert,
		 * which is written.  Only that insert counts, not later rows: they
		 * may be held for their own reasons (waiting on them could go in a
		 * circle), and the last one may be a tombstone (no version).
		 */
		for (j = 0; j < t->nrows && in_batch[i] < 0; j++)
		{
			const ChRow *o = &t->rows[j];

			if ((o->flags & (ROW_DROPPED | ROW_TOMBSTONE)) || o->version < row->version ||
				keyoff[j + 1] - keyoff[j] != newkey.len ||
				memcmp(keys->data + keyoff[j], newkey.data, newkey.len) != 0)
				continue;
			if (o->version == row->version && !o->deleted)
				in_batch[i] = (long) j;
			else if (o->version > row->version)
				landed_early[i] = true;
		}
		if (in_batch[i] >= 0)
			landed_early[i] = false;
		if (in_batch[i] >= 0 || landed_early[i])
			continue;
		lookup_of[i] = (long) n;
		lookup_rows[n++] = i;
	}
	if (n > 0)
	{
		found = calloc(n, sizeof(Lookup));
		if (found == NULL)
			goto oom;
		r = read_back(ts, t, lookup_rows, n, READ_LAST_ANY, found);
		if (r != CH_OK)
			goto done;
	}
	/* a hold may hold a new key's row of another delete: look again */
	for (pass = 0; pass < 4; pass++)
	{
		bool		added = false;

		for (i = 0; i < t->nrows; i++)
		{
			ChRow	   *row = &t->rows[i];
			bool		landed;

			if ((row->flags & (ROW_NEWKEY | ROW_DROPPED | ROW_HELD)) != ROW_NEWKEY ||
				row_held(ts, row))
				continue;
			if (landed_early[i])
				landed = true;
			else if (in_batch[i] >= 0)
			{
				const ChRow *ins = &t->rows[in_batch[i]];

				/*
				 * In the delete's own partition the insert comes right after
				 * it: a hold at the delete would hold the insert too, for
				 * ever.  Both are written together (or read again together).
				 */
				landed = (ins->topic == row->topic && ins->partition == row->partition) ||
					!row_held(ts, ins);
			}
			else
				landed = found[lookup_of[i]].found &&
					found[lookup_of[i]].version >= row->version;
			if (landed || !hold_allowed(ts, t, row))
				continue;
			if (!add_hold(ts, row))
				goto oom;
			hold_row(ts, row);
			added = true;
		}
		if (!added)
			break;
	}

done:
	free(in_batch);
	free(landed_early);
	free(lookup_of);
	free(lookup_rows);
	free(found);
	ch_buf_free(&newkey);
	return r;

oom:
	sink_log_error("out of memory");
	r = CH_FATAL;
	goto done;
}

/* The value of column col in a source row: in the batch, else read back. */
static const ChVal *
source_value(const ChTable *t, const ChRow *src, const Lookup *lk, uint32_t col)
{
	uint32_t	x;

	if (src && !src->deleted)
		return row_value(t, src, (int) col);
	if (lk && lk->found && !lk->deleted)
		for (x = 0; x < lk->nvals; x++)
			if (t->vals[lk->first + x].col == col)
				return &t->vals[lk->first + x];
	return NULL;
}

/*
 * Resolve unchanged TOAST values and tombstones: from the same key's
 * previous row in the batch (for a key change: the old key's last live
 * row), else from ClickHouse.
 *
 * Rows are visited by version: the batch holds them in the order they
 * were read, which is the order of changes only within a partition, and a
 * key change's insert and its old key's rows may sit in different
 * partitions.  A tombstone, whose version is not known yet, sorts right
 * after the row before it of the same key.
 */
static ChResult
resolve(ChTables *ts, ChTable *t)
{
	long	   *prev = NULL;	/* the row to take values from, or -1 */
	size_t	   *lookups[2] = {NULL, NULL};	/* rows to read back: FINAL, live */
	size_t		nlookups[2] = {0, 0};
	long	   *lookup_of = NULL;	/* row -> its read-back, or -1 */
	uint8_t    *lookup_kind = NULL;
	Lookup	   *results[3] = {NULL, NULL, NULL};	/* 2: READ_LAST_ANY of 1's */
	uint32_t   *unres = NULL;	/* row -> its unresolved values */
	int		   *unres_col = NULL;	/* row -> the first of them */
	KeyHash		same = {NULL, 16};	/* last row of each key */
	KeyHash		live = {NULL, 16};	/* last live row of each key */
	ChBuf		keys;
	ChBuf		oldkey;
	size_t	   *keyoff = NULL;
	RowOrder   *order = NULL;
	size_t		i;
	size_t		oi;
	int			kind;
	ChResult	r = CH_OK;
	uint64_t	unresolved = 0;

	if (!t->need_resolve)
		return CH_OK;
	while (same.size < t->nrows * 2)
		same.size *= 2;
	live.size = same.size;
	ch_buf_init(&keys);
	ch_buf_init(&oldkey);
	prev = malloc(t->nrows * sizeof(long));
	lookups[0] = malloc(t->nrows * sizeof(size_t));
	lookups[1] = malloc(t->nrows * sizeof(size_t));
	lookup_of = malloc(t->nrows * sizeof(long));
	lookup_kind = malloc(t->nrows);
	keyoff = malloc((t->nrows + 1) * sizeof(size_t));
	order = malloc(t->nrows * sizeof(RowOrder));
	same.slots = calloc(same.size, sizeof(long));
	live.slots = calloc(live.size, sizeof(long));
	if (prev == NULL || lookups[0] == NULL || lookups[1] == NULL ||
		lookup_of == NULL || lookup_kind == NULL || keyoff == NULL ||
		order == NULL || same.slots == NULL || live.slots == NULL)
		goto oom;

	/* each row's key, and the order to visit the rows in */
	keyoff[0] = 0;
	for (i = 0; i < t->nrows; i++)
	{
		ChRow	   *row = &t->rows[i];
		long		j;

		prev[i] = -1;
		lookup_of[i] = -1;
		keyoff[i + 1] = keyoff[i];
		order[i].row = i;
		order[i].version = 0;
		if (row->flags & ROW_DROPPED)
			continue;
		row_key(t, row, false, &keys);
		if (keys.oom)
			goto oom;
		keyoff[i + 1] = keys.len;
		j = hash_find(&same, &keys, keyoff, keys.data + keyoff[i],
					  keyoff[i + 1] - keyoff[i]);
		if (row->flags & ROW_TOMBSTONE)
			order[i].version = j >= 0 ? order[j].version + 1 : 0;
		else
			order[i].version = row->version;
		hash_put(&same, &keys, keyoff, (long) i);
	}
	qsort(order, t->nrows, sizeof(RowOrder), row_order_cmp);
	memset(same.slots, 0, same.size * sizeof(long));

	/* pass 1, by version: where each row needing values takes them from */
	for (oi = 0; oi < t->nrows; oi++)
	{
		ChRow	   *row;
		long		j = -1;

		i = order[oi].row;
		row = &t->rows[i];
		if (row->flags & ROW_DROPPED)
			continue;
		if (row->flags & ROW_OLDKEY)
		{
			ch_buf_reset(&oldkey);
			row_key(t, row, true, &oldkey);
			if (oldkey.oom)
				goto oom;
			j = hash_find(&live, &keys, keyoff, oldkey.data ? oldkey.data : "", oldkey.len);
			kind = 1;
		}
		else
		{
			j = hash_find(&same, &keys, keyoff, keys.data + keyoff[i],
						  keyoff[i + 1] - keyoff[i]);
			kind = 0;
		}
		if (row->flags & (ROW_PLACEHOLDERS | ROW_TOMBSTONE))
		{
			prev[i] = j;
			/* a table without a key cannot be read back by key */
			if (j < 0 && t->nkeys > 0)
			{
				lookup_kind[i] = (uint8_t) kind;
				lookup_of[i] = (long) nlookups[kind];
				lookups[kind][nlookups[kind]++] = i;
			}
		}
		else if (!(row->flags & ROW_OLDKEY))
			prev[i] = j;
		hash_put(&same, &keys, keyoff, (long) i);
		if (!row->deleted && !(row->flags & ROW_TOMBSTONE))
			hash_put(&live, &keys, keyoff, (long) i);
	}

	for (kind = 0; kind < 2; kind++)
	{
		if (nlookups[kind] == 0)
			continue;
		results[kind] = calloc(nlookups[kind], sizeof(Lookup));
		if (results[kind] == NULL)
			goto oom;
		r = read_back(ts, t, lookups[kind], nlookups[kind],
					  kind == 1 ? READ_LAST_LIVE : READ_CURRENT, results[kind]);
		if (r != CH_OK)
			goto done;
	}
	/* old keys without a live row: has their key change's delete come? */
	for (i = 0; i < nlookups[1]; i++)
		if (!results[1][i].found || results[1][i].deleted)
		{
			results[2] = calloc(nlookups[1], sizeof(Lookup));
			if (results[2] == NULL)
				goto oom;
			r = read_back(ts, t, lookups[1], nlookups[1], READ_LAST_ANY, results[2]);
			if (r != CH_OK)
				goto done;
			break;
		}
	unres = calloc(t->nrows, sizeof(uint32_t));
	unres_col = calloc(t->nrows, sizeof(int));
	if (unres == NULL || unres_col == NULL)
		goto oom;

	/* pass 2, by version: fill from the row found or the one read back */
	for (oi = 0; oi < t->nrows; oi++)
	{
		ChRow	   *row;
		const ChRow *src;
		const Lookup *lk;

		i = order[oi].row;
		row = &t->rows[i];
		src = prev[i] >= 0 ? &t->rows[prev[i]] : NULL;
		lk = lookup_of[i] >= 0 ? &results[lookup_kind[i]][lookup_of[i]] : NULL;

		if (row->flags & ROW_DROPPED)
			continue;
		if (src && (src->flags & ROW_DROPPED))
			src = NULL;			/* it resolved to nothing: so does a tombstone */
		if (row->flags & ROW_TOMBSTONE)
		{
			bool		alive = src ? !src->deleted : (lk && lk->found && !lk->deleted);

			if (!alive)
			{
				drop_row(ts, row);
				continue;
			}
			if (!(src ? copy_values(t, src->first, src->nvals, row) :
				  copy_values(t, lk->first, lk->nvals, row)))
				goto oom;
			row->version = (src ? src->version : lk->version) + 1;
			row->deleted = 1;
			row->flags = 0;
			continue;
		}
		if (row->flags & ROW_PLACEHOLDERS)
		{
			uint32_t	j;
			bool		missing = false;

			for (j = 0; j < row->nvals && !missing; j++)
			{
				const ChVal *v = &t->vals[row->first + j];
				const ChVal *from;

				if (v->off != VAL_PLACEHOLDER)
					continue;
				from = source_value(t, src, lk, v->col);
				missing = from == NULL || from->off == VAL_PLACEHOLDER;
			}

			/*
			 * A key change whose old key's row is not here: unless its delete
			 * (same version) shows the old key's partition got past it, that
			 * row is still to come (another partition, maybe another member):
			 * hold this partition from here on, rather than lose the values.
			 */
			if (missing && (row->flags & ROW_OLDKEY))
			{
				const Lookup *any = lookup_of[i] >= 0 && lookup_kind[i] == 1 && results[2] ?
					&results[2][lookup_of[i]] : NULL;
				bool		landed = any && any->found && any->version >= row->version;
				long		last;

				ch_buf_reset(&oldkey);
				row_key(t, row, true, &oldkey);
				if (oldkey.oom)
					goto oom;
				last = hash_find(&same, &keys, keyoff, oldkey.data ? oldkey.data : "", oldkey.len);
				landed |= last >= 0 && t->rows[last].version >= row->version;
				if (((src && (src->flags & ROW_HELD)) || !landed) &&
					hold_allowed(ts, t, row))
				{
					if (!add_hold(ts, row))
						goto oom;
					hold_row(ts, row);
					continue;
				}
			}

			for (j = 0; j < row->nvals; j++)
			{
				ChVal	   *v = &t->vals[row->first + j];
				const ChVal *from;

				if (v->off != VAL_PLACEHOLDER)
					continue;
				from = source_value(t, src, lk, v->col);
				if (from && from->off != VAL_PLACEHOLDER)
				{
					v->off = from->off;
					v->len = from->len;
				}
				else
				{
					v->off = VAL_OMIT;
					v->len = 0;
					if (unres[i]++ == 0)
						unres_col[i] = (int) v->col;
				}
			}
			row->flags &= ~(ROW_PLACEHOLDERS | ROW_OLDKEY);
		}
	}

	r = hold_keychange_deletes(ts, t, &keys, keyoff);
	if (r != CH_OK)
		goto done;

	/* the held partitions' later rows wait too; count what stays unresolved */
	apply_holds(ts, t);
	for (i = 0; i < t->nrows; i++)
		if (unres[i] > 0 && !(t->rows[i].flags & ROW_HELD))
		{
			unresolved += unres[i];
			if (ts->unresolved_logged++ < MAX_LOGGED_UNRESOLVED)
				sink_log_warning("clickhouse: unchanged TOAST value of column \"%s\" of %s has no previous row to take it from; the column gets its default (topic \"%s\" partition %d offset %" PRId64 ")",
								 t->cols[unres_col[i]].name, t->display, t->rows[i].topic->name,
								 (int) t->rows[i].partition, t->rows[i].offset);
		}
	t->need_resolve = false;
	if (unresolved)
		ch_metrics_count(ts->metrics, 0, 0, 0, unresolved, 0);

done:
	free(prev);
	free(lookups[0]);
	free(lookups[1]);
	free(lookup_of);
	free(lookup_kind);
	free(results[0]);
	free(results[1]);
	free(results[2]);
	free(unres);
	free(unres_col);
	free(keyoff);
	free(order);
	free(same.slots);
	free(live.slots);
	ch_buf_free(&keys);
	ch_buf_free(&oldkey);
	return r;

oom:
	sink_log_error("out of memory");
	r = CH_FATAL;
	goto done;
}

/* Render the pending rows as JSONEachRow. */
static bool
render_rows(ChTable *t, ChBuf *out, size_t *nrows, uint64_t *minversion)
{
	size_t		i;

	*nrows = 0;
	*minversion = UINT64_MAX;
	for (i = 0; i < t->nrows; i++)
	{
		const ChRow *row = &t->rows[i];
		uint32_t	j;

		if (row->flags & (ROW_DROPPED | ROW_HELD))
			continue;
		ch_buf_putc(out, '{');
		for (j = 0; j < row->nvals; j++)
		{
			const ChVal *v = &t->vals[row->first + j];

			if (v->off >= VAL_OMIT)
				continue;
			ch_buf_puts(out, t->cols[v->col].json_name);
			ch_buf_append(out, t->arena.data + v->off, v->len);
			ch_buf_putc(out, ',');
		}
		ch_buf_printf(out, "\"" CH_VERSION_COLUMN "\":%" PRIu64 ",\"" CH_DELETED_COLUMN "\":%d}\n",
					  row->version, row->deleted);
		if (row->version < *minversion)
			*minversion = row->version;
		(*nrows)++;
	}
	return !out->oom;
}

/* Forget a table's pending rows. */
static void
table_reset_pending(ChTables *ts, ChTable *t)
{
	size_t		i;

	for (i = 0; i < t->nrows; i++)
		if (!(t->rows[i].flags & (ROW_DROPPED | ROW_HELD)))
			ts->pending_rows--;
	t->nrows = 0;
	t->nvals = 0;
	ch_buf_reset(&t->arena);
	t->need_resolve = false;
	t->truncate_pending = 0;
	/* keep big buffers from one burst from staying forever */
	if (t->arena.cap > 64 * 1024 * 1024)
		ch_buf_free(&t->arena);
}

/* Write one table's truncate and rows. */
static ChResult
flush_table(ChTables *ts, ChTable *t)
{
	ChResult	r;
	size_t		nrows;
	uint64_t	minversion;
	ChBuf		body;

	if (t->truncate_pending)
	{
		ChTruncDb  *d;

		/* recorded first, so that no member misses it (see above) */
		r = trunc_db(ts, t->database, &d);
		if (r != CH_OK)
			return r;
		if (d->ready)
		{
			ch_buf_reset(&ts->sql);
			ch_buf_puts(&ts->sql, "INSERT INTO ");
			ch_buf_puts(&ts->sql, d->qualified);
			ch_buf_puts(&ts->sql, " (`" TRUNC_TABLE_COLUMN "`, `" CH_VERSION_COLUMN "`, `"
						CH_DELETED_COLUMN "`) VALUES (");
			ch_quote_literal(&ts->sql, t->name);
			ch_buf_printf(&ts->sql, ", %" PRIu64 ", 0)", t->truncate_pending);
			r = run_sql(ts, ch_buf_cstr(&ts->sql), NULL, NULL, 0, NULL,
						"recording a truncate");
			if (r != CH_OK)
				return r;
		}
		r = apply_truncate(ts, t, t->truncate_pending);
		if (r != CH_OK)
			return r;
		t->truncate_pending = 0;
	}
	if (t->nrows == 0)
		return CH_OK;
	r = resolve(ts, t);
	if (r != CH_OK)
		return r;

	ch_buf_init(&body);
	if (!render_rows(t, &body, &nrows, &minversion))
	{
		ch_buf_free(&body);
		sink_log_error("out of memory");
		return CH_FATAL;
	}
	if (nrows > 0)
	{
		ch_buf_reset(&ts->sql);
		ch_buf_puts(&ts->sql, "INSERT INTO ");
		ch_buf_puts(&ts->sql, t->qualified);
		ch_buf_puts(&ts->sql, " FORMAT JSONEachRow");
		r = run_sql(ts, ch_buf_cstr(&ts->sql), NULL, body.data, body.len, NULL,
					t->display);
		if (r == CH_OK)
			sink_log_debug("clickhouse: %zu row(s) into %s", nrows, t->display);
	}
	else
		r = CH_OK;
	ch_buf_free(&body);
	if (r == CH_OK)
	{
		ch_metrics_rows(ts->metrics, t->metrics_idx, nrows);
		if (minversion < t->inserted_min)
			t->inserted_min = minversion;
		table_reset_pending(ts, t);
	}
	return r;
}

/* Write everything pending. */
ChResult
ch_tables_flush(ChTables *ts)
{
	int			i;

	for (i = 0; i < HASH_SIZE; i++)
	{
		ChTable    *t;

		for (t = ts->tables[i]; t; t = t->next)
		{
			ChResult	r;

			if (t->nrows == 0 && !t->truncate_pending)
				continue;
			r = flush_table(ts, t);
			if (r != CH_OK)
				return r;
		}
	}
	{
		ChResult	r = trunc_check(ts);

		if (r != CH_OK)
			return r;
	}
	note_holds(ts);
	/*
	 * Every row was written, dropped or held, and left the count once.  A
	 * miscount would only make the next batch due early or late, so it is
	 * reported and corrected rather than fatal.
	 */
	if (ts->pending_rows != 0)
	{
		sink_log_warning("clickhouse: %zu row(s) still counted as pending after a flush; the count is reset (a bookkeeping error, please report it)",
						 ts->pending_rows);
		ts->pending_rows = 0;
	}
	ts->pending_bytes = 0;
	return CH_OK;
}

/* The holds since the last clear. */
size_t
ch_tables_holds(const ChTables *ts, const ChHold **holds)
{
	*holds = ts->holds;
	return ts->nholds;
}

/* Forget the holds (the consumer applied them). */
void
ch_tables_clear_holds(ChTables *ts)
{
	ts->nholds = 0;
}

/* Forget everything pending. */
void
ch_tables_discard(ChTables *ts)
{
	ts->nholds = 0;
	int			i;

	for (i = 0; i < HASH_SIZE; i++)
	{
		ChTable    *t;

		for (t = ts->tables[i]; t; t = t->next)
			table_reset_pending(ts, t);
	}
	ts->pending_rows = 0;
	ts->pending_bytes = 0;
}

/* Pending rows. */
size_t
ch_tables_pending_rows(const ChTables *ts)
{
	return ts->pending_rows;
}

/* Pending bytes (approximate). */
size_t
ch_tables_pending_bytes(const ChTables *ts)
{
	return ts->pending_bytes;
}
