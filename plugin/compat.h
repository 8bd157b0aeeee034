/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Every PostgreSQL-version shim of wal2dbz, in one place.
 *
 * The plugin targets PostgreSQL 13 and later; only 15 is built and tested
 * here.  Code elsewhere uses the macros below and never tests
 * PG_VERSION_NUM itself.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WAL2DBZ_COMPAT_H
#define WAL2DBZ_COMPAT_H

#include "replication/output_plugin.h"
#include "replication/reorderbuffer.h"

#if PG_VERSION_NUM < 130000
#error "wal2dbz needs PostgreSQL 13 or later"
#endif

/* PG 18 records the module's name and version in its magic block. */
#if PG_VERSION_NUM >= 180000
#define WAL2DBZ_MODULE_MAGIC \
	PG_MODULE_MAGIC_EXT(.name = "wal2dbz", .version = WAL2DBZ_VERSION)
#else
#define WAL2DBZ_MODULE_MAGIC PG_MODULE_MAGIC
#endif

/* PG 16+ headers declare the plugin entry point themselves. */
#if PG_VERSION_NUM < 160000
extern PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);
#endif

/* PG 17 turned the tuples of a change into plain HeapTuples. */
#if PG_VERSION_NUM >= 170000
#define DBZ_CHANGE_NEWTUPLE(change) ((change)->data.tp.newtuple)
#define DBZ_CHANGE_OLDTUPLE(change) ((change)->data.tp.oldtuple)
#else
#define DBZ_CHANGE_NEWTUPLE(change) \
	((change)->data.tp.newtuple ? &(change)->data.tp.newtuple->tuple : NULL)
#define DBZ_CHANGE_OLDTUPLE(change) \
	((change)->data.tp.oldtuple ? &(change)->data.tp.oldtuple->tuple : NULL)
#endif

/* PG 15 moved the commit time into a union shared with prepare time. */
#if PG_VERSION_NUM >= 150000
#define DBZ_TXN_COMMIT_TIME(txn) ((txn)->xact_time.commit_time)
#else
#define DBZ_TXN_COMMIT_TIME(txn) ((txn)->commit_time)
#endif

/* PG 15 added the "skipped transaction" flag to progress updates. */
#if PG_VERSION_NUM >= 150000
#define DBZ_UPDATE_PROGRESS(ctx, skipped) OutputPluginUpdateProgress(ctx, skipped)
#else
#define DBZ_UPDATE_PROGRESS(ctx, skipped) OutputPluginUpdateProgress(ctx)
#endif

/*
 * PG 16 made the JSON parser's semantic actions return an error code; PG 17
 * gave makeJsonLexContextCstringLen() a context to fill in (NULL: palloc it).
 */
#if PG_VERSION_NUM >= 160000
#define DBZ_JSON_ACTION JsonParseErrorType
#define DBZ_JSON_ACTION_DONE return JSON_SUCCESS
#else
#define DBZ_JSON_ACTION void
#define DBZ_JSON_ACTION_DONE return
#endif
#if PG_VERSION_NUM >= 170000
#define DBZ_JSON_LEXER(json, len, encoding) \
	makeJsonLexContextCstringLen(NULL, (json), (len), (encoding), true)
#else
#define DBZ_JSON_LEXER(json, len, encoding) \
	makeJsonLexContextCstringLen((json), (len), (encoding), true)
#endif

#endif							/* WAL2DBZ_COMPAT_H */
