/*-------------------------------------------------------------------------
 *
 * ch_schema.h
 *	  Debezium (Kafka Connect) schemas to ClickHouse types and DDL, by the
 *	  server's version.
 *
 * Pure functions: nothing here talks to a server, so the DDL for any
 * server version can be produced and tested offline (test/sink).
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_schema.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_SCHEMA_H
#define SINK_CH_SCHEMA_H

#include <stdbool.h>

#include <jansson.h>

#include "ch_json.h"

/* the two columns every table gets besides the event's */
#define CH_VERSION_COLUMN	"_version"
#define CH_DELETED_COLUMN	"is_deleted"

/* the prefix of the column comments that record each column's Connect type */
#define CH_COMMENT_PREFIX	"wal2dbz: "

/*
 * What the server accepts, from SELECT version().  The CI's Debian server
 * is 18.16: none of the flags below.
 */
typedef struct ChServer
{
	int			major;
	int			minor;
	bool		datetime64;		/* DateTime64(p, tz): 20.1 */
	bool		add_if_not_exists;	/* ADD COLUMN IF NOT EXISTS: 20.1 */
	bool		date32;			/* Date32: 21.9 */
	bool		bool_type;		/* Bool: 22.1 (21.12) */
	bool		map_type;		/* Map(K, V) without a setting: 22.1 */
	bool		decimal256;		/* Decimal up to 76 digits: 22.1 */
	bool		is_deleted;		/* ReplacingMergeTree(ver, is_deleted): 23.2 */
} ChServer;

/** @brief Fill \p srv from a version string such as "18.16.1" or "26.9.2.1". */
extern void ch_server_init(ChServer *srv, const char *version);

/* the kinds of ClickHouse types the stage tells apart */
typedef enum ChTypeKind
{
	CK_OTHER = 0,				/* anything else: values go in as they are */
	CK_INT,
	CK_UINT,
	CK_FLOAT,
	CK_DECIMAL,
	CK_STRING,
	CK_FIXEDSTRING,
	CK_UUID,
	CK_DATE,
	CK_DATE32,
	CK_DATETIME,
	CK_DATETIME64,
	CK_BOOL,
	CK_ENUM,
	CK_ARRAY,
	CK_MAP
} ChTypeKind;

/* a parsed ClickHouse type */
typedef struct ChType
{
	ChTypeKind	kind;
	bool		nullable;		/* Nullable(...) */
	int			bits;			/* CK_INT, CK_UINT, CK_FLOAT */
	int			precision;		/* CK_DECIMAL */
	int			scale;			/* CK_DECIMAL; CK_DATETIME64: digits */
	struct ChType *elem;		/* CK_ARRAY element, CK_MAP value */
} ChType;

/**
 * @brief Parse a type as system.columns shows it
 * ("Nullable(Decimal(38, 2))", "Array(Nullable(Int32))", ...).
 * Unknown types parse as CK_OTHER.  Free with ch_type_free().
 */
extern void ch_type_parse(const char *s, ChType *type);
extern void ch_type_free(ChType *type);

/* Kafka Connect schema types */
typedef enum ChConnectKind
{
	CT_NONE = 0,				/* unknown: the event had no schema */
	CT_INT8,
	CT_INT16,
	CT_INT32,
	CT_INT64,
	CT_FLOAT32,
	CT_FLOAT64,
	CT_BOOLEAN,
	CT_STRING,
	CT_BYTES,
	CT_ARRAY,
	CT_MAP,
	CT_STRUCT
} ChConnectKind;

/* one Connect schema: type, logical name, parameters that matter */
typedef struct ChConnect
{
	ChConnectKind kind;
	bool		optional;
	char	   *name;			/* logical name, e.g. io.debezium.time.Date */
	int			scale;			/* Decimal */
	int			precision;		/* Decimal; 0 when not given (money) */
	struct ChConnect *items;	/* array items, map values */
} ChConnect;

/* one field of a row struct */
typedef struct ChField
{
	char	   *name;
	ChConnect	type;
} ChField;

/**
 * @brief Parse the fields of a struct schema (the envelope's "after" or
 * the key schema).
 * @returns false if \p schema is not a struct schema; \p fields is then
 *          NULL.
 */
extern bool ch_connect_parse_fields(json_t *schema, ChField **fields,
									int *nfields);
extern void ch_connect_free_fields(ChField *fields, int nfields);
extern void ch_connect_free(ChConnect *ct);

/**
 * @brief The column comment that records \p ct (CH_COMMENT_PREFIX, then
 * e.g. "int64 io.debezium.time.MicroTimestamp" or "array bytes").
 */
extern void ch_connect_describe(const ChConnect *ct, ChBuf *out);

/**
 * @brief Read a comment written by ch_connect_describe() back.
 * @returns false if \p comment is not one.
 */
extern bool ch_connect_from_comment(const char *comment, ChConnect *ct);

/* how timestamps are stored on servers without DateTime64 */
typedef enum ChDatetimeFallback
{
	CH_DT_FALLBACK_DATETIME,	/* DateTime('UTC'): whole seconds, 1970-2105 */
	CH_DT_FALLBACK_STRING		/* String 'YYYY-MM-DD hh:mm:ss.ffffff' */
} ChDatetimeFallback;

/**
 * @brief The ClickHouse type for a Connect type on \p srv.  Key columns
 * are never Nullable; arrays and maps cannot be (null becomes empty).
 */
extern void ch_type_for(const ChConnect *ct, const ChServer *srv, bool key,
						ChDatetimeFallback fallback, ChBuf *out);

/* how an existing column relates to the type an event asks for */
typedef enum ChTypeRelation
{
	CH_REL_SAME,				/* same type */
	CH_REL_HOLDS,				/* the existing type holds every value */
	CH_REL_WIDEN,				/* widen it with MODIFY COLUMN */
	CH_REL_INCOMPATIBLE			/* stop: values would be lost */
} ChTypeRelation;

/**
 * @brief Compare the column's type with the desired one.  \p ct is what
 * the event says; a String column holds anything.
 */
extern ChTypeRelation ch_type_relation(const ChType *existing,
									   const ChType *desired,
									   const ChConnect *ct);

/** @brief Append an identifier in backquotes, escaped. */
extern void ch_quote_ident(ChBuf *out, const char *s);

/** @brief Append a string literal in single quotes, escaped. */
extern void ch_quote_literal(ChBuf *out, const char *s);

/**
 * @brief Expand a name format: ${topic}, ${source.db}, ${source.schema},
 * ${source.table}; then every '.' becomes '_' (as Debezium's JDBC sink
 * names tables).  NULL parts expand to nothing.
 * @returns false (with \p out holding the message) on an unknown
 *          placeholder.
 */
extern bool ch_expand_name(const char *format, const char *topic,
						   const char *db, const char *schema,
						   const char *table, ChBuf *out);

/** @returns true if \p format uses a ${source.*} placeholder. */
extern bool ch_name_uses_source(const char *format);

/* one column of a table to create */
typedef struct ChColumnDef
{
	const char *name;
	const char *type;			/* ClickHouse type */
	const char *comment;		/* may be NULL */
} ChColumnDef;

/**
 * @brief CREATE TABLE IF NOT EXISTS: \p cols, then CH_VERSION_COLUMN and
 * CH_DELETED_COLUMN; ReplacingMergeTree ordered by the \p nkeys columns
 * named in \p keys (with CH_DELETED_COLUMN as its second parameter from
 * 23.2), or MergeTree ORDER BY tuple() without a key; Replicated* and ON
 * CLUSTER when \p cluster is set.
 */
extern void ch_ddl_create_table(ChBuf *out, const ChServer *srv,
								const char *database, const char *table,
								const ChColumnDef *cols, int ncols,
								const char *const *keys, int nkeys,
								const char *cluster);

/** @brief CREATE DATABASE IF NOT EXISTS [ON CLUSTER]. */
extern void ch_ddl_create_database(ChBuf *out, const char *database,
								   const char *cluster);

/** @brief ALTER TABLE ... ADD COLUMN (or MODIFY COLUMN when \p modify). */
extern void ch_ddl_alter_column(ChBuf *out, const ChServer *srv,
								const char *database, const char *table,
								const ChColumnDef *col, bool modify,
								const char *cluster);

/** @brief "`db`.`table`" */
extern void ch_qualified_name(ChBuf *out, const char *database,
							  const char *table);

#endif							/* SINK_CH_SCHEMA_H */
