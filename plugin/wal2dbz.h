/*-------------------------------------------------------------------------
 *
 * wal2dbz.h
 *	  Shared declarations of the wal2dbz output plugin and extension.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/wal2dbz.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WAL2DBZ_H
#define WAL2DBZ_H

#include "access/attnum.h"
#include "access/htup.h"
#include "access/xlogdefs.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "replication/origin.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/relcache.h"

#define WAL2DBZ_VERSION "0.1.0"

/*
 * Append len bytes: appendBinaryStringInfo() without its function calls
 * when the buffer has room.  The encoders append a few bytes at a time,
 * dozens of times per row.
 */
static inline void
wal2dbz_append(StringInfo out, const char *data, int len)
{
	if (likely(out->maxlen - out->len > len))
	{
		memcpy(out->data + out->len, data, len);
		out->len += len;
		out->data[out->len] = '\0';
	}
	else
		appendBinaryStringInfo(out, data, len);
}

/* Append a string literal without measuring it at run time. */
#define appendStringInfoLiteral(out, lit) \
	wal2dbz_append((out), "" lit, sizeof(lit) - 1)
#define WAL2DBZ_DEFAULT_PLACEHOLDER "__debezium_unavailable_value"

/* Microseconds between the Unix epoch and PostgreSQL's. */
#define UNIX_EPOCH_OFFSET_USECS INT64CONST(946684800000000)

/* What each logical decoding message carries (option "output.format"). */
typedef enum Wal2dbzOutputFormat
{
	OUTPUT_VALUE,				/* one Debezium value JSON (default) */
	OUTPUT_RECORD,				/* {"topic":..,"key":..,"value":..} JSON */
	OUTPUT_FRAMED				/* binary frame, see wal2dbz_frame.h */
} Wal2dbzOutputFormat;

typedef enum DecimalMode
{
	DECIMAL_PRECISE, DECIMAL_STRING, DECIMAL_DOUBLE
} DecimalMode;

typedef enum TimeMode
{
	TIME_ADAPTIVE, TIME_ADAPTIVE_MICRO, TIME_CONNECT
} TimeMode;

typedef enum BinaryMode
{
	BINARY_BYTES, BINARY_BASE64, BINARY_BASE64_URL, BINARY_HEX
} BinaryMode;

typedef enum HstoreMode
{
	HSTORE_JSON, HSTORE_MAP
} HstoreMode;

typedef enum IntervalMode
{
	INTERVAL_NUMERIC, INTERVAL_STRING
} IntervalMode;

/* A compiled include or exclude list of anchored, case-insensitive regexes. */
typedef struct Wal2dbzFilter
{
	List	   *patterns;		/* of text *, each "^(?:re)$" */
	bool		exclude;		/* true: an exclude list */
} Wal2dbzFilter;

/* Debezium's column mappers, in the order Debezium tries them. */
typedef enum ColumnMapperKind
{
	MAPPER_TRUNCATE,			/* column.truncate.to.<n>.chars */
	MAPPER_MASK,				/* column.mask.with.<n>.chars */
	MAPPER_HASH_V2,				/* column.mask.hash.v2.<algorithm>.with.salt.<s> */
	MAPPER_HASH_V1,				/* column.mask.hash.<algorithm>.with.salt.<s> */
	MAPPER_PROPAGATE			/* column.propagate.source.type */
} ColumnMapperKind;

typedef struct Wal2dbzColumnMapper
{
	ColumnMapperKind kind;
	int			length;			/* characters to keep or to write */
	int			digest;			/* hashes: index into column_mapper.c's list */
	char	   *salt;
	Wal2dbzFilter columns;		/* the columns, "schema.table.column" */
	int			position;		/* among the options, for the order */
} Wal2dbzColumnMapper;

/* One entry of the outbox router's table.fields.additional.placement. */
typedef struct OutboxPlacement
{
	char	   *column;
	char	   *alias;
	bool		in_envelope;	/* else a header */
} OutboxPlacement;

/*
 * Debezium's Outbox Event Router (transforms.<name>.*), with Debezium's
 * property names and defaults; see outbox.c.
 */
typedef struct Wal2dbzOutbox
{
	bool		enabled;		/* transforms=<name> configured */
	char	   *name;
	List	   *pending;		/* "transforms.*" options until name known */
	char	   *field_id;
	char	   *field_key;
	char	   *field_type;
	char	   *field_payload;
	char	   *route_by_field;
	char	   *route_regex;	/* Java regex as configured */
	char	   *route_replacement;
	char	   *pg_regex;		/* ...as an anchored PostgreSQL regex */
	char	   *pg_replacement; /* ...with numbered group references */
	bool		tombstone_on_empty_payload;
	bool		expand_json_payload;
	bool		invalid_op_error;	/* table.op.invalid.behavior error|fatal */
	List	   *placements;		/* of OutboxPlacement * */
} Wal2dbzOutbox;

/* delete.tombstone.handling.mode of the New Record State Extraction */
typedef enum UnwrapDeleteMode
{
	UNWRAP_DROP,				/* deletes and tombstones dropped */
	UNWRAP_TOMBSTONE,			/* a delete becomes a null row (default) */
	UNWRAP_REWRITE,				/* the old row with __deleted "true" */
	UNWRAP_REWRITE_WITH_TOMBSTONE,	/* ...and the tombstone kept */
	UNWRAP_DELETE_TO_TOMBSTONE	/* a delete becomes a Kafka tombstone */
} UnwrapDeleteMode;

/* One entry of add.fields or add.headers: an envelope field and its name. */
typedef struct UnwrapField
{
	const char *parent;			/* "source", "transaction", or NULL for the
								 * envelope's own op and ts_* */
	const char *field;
	char	   *name;			/* prefix + the field's name or its alias */
	const char *schema;			/* the Connect schema, "{...,\"optional\":true" */
} UnwrapField;

/*
 * Debezium's New Record State Extraction (ExtractNewRecordState,
 * transforms.<name>.*): the row instead of the envelope; see unwrap.c.
 */
typedef struct Wal2dbzUnwrap
{
	bool		enabled;
	UnwrapDeleteMode delete_mode;
	List	   *fields;			/* add.fields, of UnwrapField * */
	List	   *headers;		/* add.headers, of UnwrapField * */
} Wal2dbzUnwrap;

/* The message prefix of wal2dbz.emit_event()'s messages. */
#define WAL2DBZ_OUTBOX_PREFIX "wal2dbz.outbox"

/*
 * The plugin's options, parsed once at startup.  Names follow the Debezium
 * PostgreSQL connector's properties, so the sink can forward them verbatim.
 */
typedef struct Wal2dbzOptions
{
	Wal2dbzOutputFormat format;
	char	   *topic_prefix;
	char	   *topic_delimiter;
	char	   *source_version;	/* source.version */
	bool		key_schemas;	/* key.converter.schemas.enable */
	bool		value_schemas;	/* value.converter.schemas.enable */
	DecimalMode decimal_mode;
	TimeMode	time_mode;
	BinaryMode	binary_mode;
	HstoreMode	hstore_mode;
	IntervalMode interval_mode;
	bool		tombstones_on_delete;
	bool		replace_null_with_default;	/* JsonConverter's
											 * replace.null.with.default */
	bool		provide_transaction_metadata;
	bool		publication_filtered;	/* publication.autocreate.mode: only
										 * captured tables open transactions */
	bool		include_unknown_datatypes;
	int			framed_batch_bytes; /* framed.batch.bytes, 0: one per message */
	bool		skip_create;	/* skipped.operations */
	bool		skip_update;
	bool		skip_delete;
	bool		skip_truncate;
	char	   *placeholder;	/* unavailable.value.placeholder */
	char	   *state_schema;	/* state.schema: changes not even seen */
	Wal2dbzFilter schema_filter;
	Wal2dbzFilter table_filter;
	Wal2dbzFilter column_filter;
	Wal2dbzFilter message_filter;
	Wal2dbzFilter key_columns;	/* message.key.columns; none: no patterns */
	List	   *column_mappers; /* of Wal2dbzColumnMapper *, in Debezium's order */
	Wal2dbzOutbox outbox;
	Wal2dbzUnwrap unwrap;
} Wal2dbzOptions;

/* How one column's values are written; chosen once per relation. */
typedef enum ColumnKind
{
	COL_BOOL, COL_INT2, COL_INT4, COL_INT8, COL_OID,
	COL_FLOAT4, COL_FLOAT8,
	COL_DECIMAL,				/* numeric(p,s) as Connect Decimal */
	COL_VARSCALE,				/* unconstrained numeric */
	COL_NUMERIC_STRING, COL_NUMERIC_DOUBLE,
	COL_MONEY,					/* money, per decimal mode */
	COL_TEXT,					/* any type written as its text output */
	COL_BYTEA,
	COL_DATE,
	COL_TIME_MICRO, COL_TIME_MILLI,
	COL_TIMESTAMP_MICRO, COL_TIMESTAMP_MILLI,
	COL_TIMESTAMPTZ, COL_TIMETZ,
	COL_INTERVAL_MICRO, COL_INTERVAL_STRING,
	COL_BIT_BOOL, COL_BITS,
	COL_POINT,
	COL_HSTORE_JSON, COL_HSTORE_MAP,
	COL_UNKNOWN_BYTES,			/* include.unknown.datatypes */
	COL_ARRAY
} ColumnKind;

/*
 * Everything needed to write one type's schema and values: the kind, the
 * Connect schema type and logical name, and the output function for kinds
 * that go through text.  Arrays carry their element's.
 */
typedef struct Wal2dbzType
{
	ColumnKind	kind;
	Oid			typid;			/* after domains are resolved */
	int32		typmod;
	int			precision;		/* time precision, numeric scale, bit length */
	const char *schema_type;	/* "int32", "string", "bytes", ... */
	const char *logical_name;	/* e.g. "io.debezium.time.Date", or NULL */
	const char *doc;
	char	   *params;			/* "parameters" object JSON, or NULL */
	bool		direct_text;	/* text-like varlena: copy bytes, no outfunc */
	bool		has_outfunc;
	FmgrInfo	outfunc;
	/* arrays only */
	struct Wal2dbzType *elem;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
} Wal2dbzType;

/* One captured column of a cached relation. */
typedef struct Wal2dbzColumn
{
	AttrNumber	attnum;			/* 1-based position in the tuple */
	char	   *json_key;		/* "\"name\":" ready to append */
	int			json_key_len;
	bool		optional;		/* column is nullable */
	bool		is_key;			/* part of the message key */
	bool		varlena;
	Wal2dbzType type;
	char	   *default_json;	/* schema default rendered, or NULL */
	const char *fallback_json;	/* written for a missing NOT NULL value */
	char	   *placeholder_json;	/* unchanged TOAST value */
	const Wal2dbzColumnMapper *mapper;	/* rewrites its values, or NULL */
	int			length;			/* PgJDBC's length of the type, for mappers */
	bool		mapped_schema;	/* a mapper added to type.params; keys, which
								 * Debezium does not map, have key_params */
	char	   *key_params;
} Wal2dbzColumn;

/*
 * A relation's pre-rendered Kafka metadata and column writers.  Built on
 * first use, invalidated by relcache invalidation (ALTER TABLE) and by type
 * changes; everything hangs off its own memory context.
 */
typedef struct Wal2dbzRelInfo
{
	Oid			relid;			/* hash key */
	bool		valid;
	bool		captured;		/* passes schema/table filters */
	bool		invisible;		/* in state.schema: not even a transaction */
	MemoryContext context;
	char	   *topic;
	int			topic_len;
	int			ncolumns;
	Wal2dbzColumn *columns;
	int			nkeys;
	int		   *key_columns;	/* indexes into columns[], key order */
	char	   *data_collection;	/* "schema.table" */
	char	   *key_prefix;		/* key JSON up to the first field */
	char	   *key_suffix;
	char	   *value_prefix;	/* value JSON up to "before": */
	char	   *value_suffix;	/* closes the value JSON */
	char	   *source_rel;		/* ,"schema":..,"table":..,"txId": */
	uint32		schema_id;		/* framed: id of the SCHEMA frame sent for
								 * this entry, 0 if none yet */
	char	   *unwrap_delete_prefix;	/* unwrap, delete.tombstone.handling.mode
										 * tombstone: the null row's schema */
	uint32		unwrap_delete_schema_id;	/* framed: its SCHEMA frame */
} Wal2dbzRelInfo;

/* Per-transaction state, in txn->output_plugin_private. */
typedef struct Wal2dbzTxnData
{
	bool		began;			/* transaction BEGIN record written */
	bool		had_change;		/* any table change decoded */
	bool		wrote_records;	/* any Kafka record written */
	XLogRecPtr	begin_lsn;
	int64		total_order;
	List	   *collections;	/* of Wal2dbzCollectionCount * */
	/* the source block's parts that are the same for the whole transaction */
	char	   *src_head;
	int			src_head_len;
	char	   *src_times;
	int			src_times_len;
	char	   *src_xid;
	int			src_xid_len;
	char	   *src_tail;
	int			src_tail_len;
} Wal2dbzTxnData;

typedef struct Wal2dbzCollectionCount
{
	char	   *name;
	int64		count;
} Wal2dbzCollectionCount;

/* The plugin's state for one decoding session. */
typedef struct Wal2dbzData
{
	MemoryContext context;		/* per-change scratch, reset after each */
	MemoryContext txn_context;	/* the current transaction's state, reset
								 * at its commit */
	MemoryContext cache_context;	/* relation cache */
	Wal2dbzOptions opt;
	bool		snapshot;		/* wal2dbz.snapshot_frames(), not decoding:
								 * the column metadata Debezium's snapshot
								 * reads (column.propagate.source.type) */
	char	   *dbname;
	char	   *source_head;	/* {"version":..,"connector":..,"name":..,"ts_ms": */
	char	   *db_json;		/* ,"db":"name" escaped */
	XLogRecPtr	last_commit_lsn;	/* end LSN of the last decoded commit */
	uint32		last_schema_id; /* framed: last SCHEMA frame id used */
	TimestampTz last_commit_time;	/* for non-transactional messages */
	StringInfoData key;			/* one record's key and value; live as long */
	StringInfoData value;		/* as the session, reset for each record */
	StringInfoData batch;		/* framed.batch.bytes: frames not yet written */
	StringInfoData unwrapped;	/* unwrap: the record's new value */
	struct RecordHeader *unwrap_headers;	/* unwrap: the last delete's headers, */
	int			unwrap_nheaders;	/* which its tombstone gets too */
} Wal2dbzData;

/* A Kafka record header: name and value (already rendered). */
typedef struct RecordHeader
{
	const char *name;
	const char *value;
} RecordHeader;

/* One Kafka record to write; key or value NULL means a Kafka null. */
typedef struct Wal2dbzRecord
{
	const char *topic;
	StringInfo	key;
	StringInfo	value;
	RecordHeader *headers;
	int			nheaders;
	uint8		flags;
	XLogRecPtr	change_lsn;
	uint32		schema_id;		/* framed: payloads only, see SCHEMA frames */
	bool		change_event;	/* a table event: flagged for Debezium's
								 * context headers */
	char		op;				/* a table event's op (c, u, d, r, t; d for
								 * its tombstone too), 0 for other records */
	struct Wal2dbzRelInfo *info;	/* a table event's relation */
} Wal2dbzRecord;


/* envelope.c */
extern void wal2dbz_session_strings(Wal2dbzData *data);
extern void wal2dbz_append_frame(StringInfo out, char kind,
								 const Wal2dbzRecord *rec,
								 XLogRecPtr commit_lsn, TransactionId xid,
								 const Wal2dbzData *data);
extern void wal2dbz_append_schema_frame(StringInfo out,
										const Wal2dbzRelInfo *info,
										const char *value_prefix,
										uint32 schema_id,
										const Wal2dbzData *data);
extern int64 wal2dbz_now_ns(void);
extern void wal2dbz_append_source_head(StringInfo out, Wal2dbzData *data,
									   int64 unix_us, const char *snapshot);
extern void wal2dbz_append_source_times(StringInfo out, int64 unix_us);
extern void wal2dbz_append_source_tail(StringInfo out, RepOriginId origin_id,
									   XLogRecPtr origin_lsn);
extern void wal2dbz_append_envelope_times(StringInfo out);

/* outbox.c */
extern void wal2dbz_outbox_defaults(Wal2dbzOutbox *ob);
extern void wal2dbz_outbox_option(Wal2dbzOutbox *ob, const char *name,
								  const char *value);
extern void wal2dbz_outbox_check(Wal2dbzOutbox *ob, bool value_schemas);
extern bool wal2dbz_outbox_row(Wal2dbzData *data, Wal2dbzRelInfo *info,
							   TupleDesc desc, HeapTuple tuple, char action,
							   Wal2dbzRecord *rec);
extern void wal2dbz_outbox_event(Wal2dbzData *data, const char *message,
								 Size size, Wal2dbzRecord *rec);

/* unwrap.c */
extern void wal2dbz_unwrap_check(Wal2dbzOutbox *ob, Wal2dbzUnwrap *uw);
extern char *wal2dbz_unwrap_value_prefix(const Wal2dbzUnwrap *uw,
										 const char *row_fields,
										 const char *topic, bool null_row);
extern bool wal2dbz_unwrap_record(Wal2dbzData *data, Wal2dbzRelInfo *info,
								  Wal2dbzRecord *rec, bool *null_row);

/* options.c */
extern void wal2dbz_parse_options(List *options, Wal2dbzOptions *opt,
								  bool is_init);
struct ArrayType;				/* utils/array.h */
extern List *wal2dbz_options_from_array(struct ArrayType *array);
extern char *wal2dbz_trim(char *s);
extern bool wal2dbz_pattern_matches(text *pattern, const char *name);

/* column_mapper.c */
extern Wal2dbzColumnMapper *wal2dbz_column_mapper_parse(const char *name);
extern int	wal2dbz_column_mapper_cmp(const ListCell *a, const ListCell *b);
extern void wal2dbz_column_mapper_bind(const Wal2dbzOptions *opt,
									   Wal2dbzColumn *col, const char *qualified,
									   Form_pg_attribute att, Node *dflt,
									   bool snapshot);
extern void wal2dbz_column_map(StringInfo out, int start, const Wal2dbzColumn *col);
extern bool wal2dbz_filter_allows(const Wal2dbzFilter *filter,
								  const char *name);

/* json.c */
extern void json_append_string(StringInfo out, const char *str);
extern void json_append_string_len(StringInfo out, const char *str, int len);
extern void json_append_jsonb(StringInfo out, Datum value);
extern void json_append_java_double(StringInfo out, double value);
extern void json_append_java_float(StringInfo out, float value);
extern void json_append_plain_double(StringInfo out, double value);
extern void json_append_base64(StringInfo out, const unsigned char *data,
							   int len, bool url_safe);
extern void json_append_hex(StringInfo out, const unsigned char *data, int len);
extern void json_append_int64(StringInfo out, int64 value);
extern int32 java_string_hash(const char *str);
extern int *java_hashmap_order(char **keys, int nkeys);

/* types.c */
extern bool wal2dbz_type_init(Wal2dbzType *type, Oid typid, int32 typmod,
							  const Wal2dbzOptions *opt,
							  MemoryContext context);
extern void wal2dbz_type_schema(StringInfo out, const Wal2dbzType *type,
								bool optional);
extern void wal2dbz_write_value(StringInfo out, const Wal2dbzType *type,
								Datum value, const Wal2dbzOptions *opt);
extern const char *wal2dbz_type_fallback(const Wal2dbzType *type);
extern char *wal2dbz_type_placeholder(const Wal2dbzType *type,
									  const Wal2dbzOptions *opt);
extern char *wal2dbz_type_default(const Wal2dbzType *type, Node *expr,
								  const Wal2dbzOptions *opt);

/* relinfo.c */
extern const char *wal2dbz_source_schema;
extern const char *wal2dbz_transaction_schema;
extern void wal2dbz_relinfo_init(Wal2dbzData *data, MemoryContext parent);
extern Wal2dbzRelInfo *wal2dbz_relinfo_get(Wal2dbzData *data, Relation rel);

/* record.c */
extern void wal2dbz_write_row(StringInfo out, Wal2dbzRelInfo *info,
							  HeapTuple tuple, TupleDesc desc,
							  HeapTuple fallback_tuple,
							  const Wal2dbzOptions *opt);
extern void wal2dbz_write_column(StringInfo out, Wal2dbzRelInfo *info,
								 const Wal2dbzColumn *col, HeapTuple tuple,
								 TupleDesc desc, const Wal2dbzOptions *opt);
extern void wal2dbz_write_key(StringInfo out, Wal2dbzRelInfo *info,
							  HeapTuple tuple, TupleDesc desc,
							  const Wal2dbzOptions *opt);

#endif							/* WAL2DBZ_H */
