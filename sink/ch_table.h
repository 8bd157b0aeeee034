/*-------------------------------------------------------------------------
 *
 * ch_table.h
 *	  The ClickHouse tables of the ClickHouse stage: creation and evolution
 *	  from event schemas, pending rows, TOAST and tombstone resolution, and
 *	  the batched INSERT.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_table.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_TABLE_H
#define SINK_CH_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ch_http.h"
#include "ch_metrics.h"
#include "ch_schema.h"

typedef struct ChTables ChTables;

/* the stage's settings that the tables need; strings outlive ChTables */
typedef struct ChTablesOptions
{
	const char *database_format;	/* clickhouse.database */
	const char *table_format;	/* clickhouse.table.name.format */
	const char *cluster;		/* clickhouse.cluster, NULL if none */
	ChDatetimeFallback fallback;	/* clickhouse.datetime.fallback */
	const char *placeholder;	/* unavailable.value.placeholder */
	const char *connector;		/* worker mode: the connector, which is what
								 * a user restarts; NULL: wal2dbz-sink alone */
} ChTablesOptions;

/* the outcome of adding a record or flushing */
typedef enum ChResult
{
	CH_OK,
	CH_SKIPPED,					/* not a row change: nothing to do */
	CH_RETRY,					/* ClickHouse did not answer: try again later */
	CH_FATAL					/* stop the stage (logged) */
} ChResult;

/* one Kafka record, as the consumer hands it over (nothing is kept) */
typedef struct ChRecord
{
	const char *topic;
	int32_t		partition;
	int64_t		offset;
	const char *key;			/* NULL: null key */
	size_t		keylen;
	const char *value;			/* NULL: tombstone */
	size_t		valuelen;
	const char *oldkey;			/* header __debezium.oldkey, or NULL */
	size_t		oldkeylen;
	const char *newkey;			/* header __debezium.newkey, or NULL */
	size_t		newkeylen;
} ChRecord;

/**
 * @brief Create the registry.  \p http, \p srv and \p metrics must outlive
 * it.
 * @returns NULL when out of memory (logged).
 */
extern ChTables *ch_tables_new(SinkChHttp *http, const ChServer *srv,
							   const ChTablesOptions *opts,
							   ChMetrics *metrics);
extern void ch_tables_free(ChTables *tables);

/**
 * @brief Take one record into the pending batch.  Creates or evolves its
 * table first when needed (this talks to ClickHouse).  On CH_RETRY
 * nothing was taken: add the same record again later.
 */
extern ChResult ch_tables_add(ChTables *tables, const ChRecord *rec);

/**
 * @brief Write everything pending: truncates, then each table's rows in one
 * INSERT.  Tables done are not written again when a later one fails.
 * @returns CH_OK once ClickHouse accepted every row.
 */
extern ChResult ch_tables_flush(ChTables *tables);

/*
 * A partition the last flush wrote only up to an offset: the records from
 * there on were not written (a key change's insert waits for its old key's
 * row, which another partition has not brought yet; or a key change's
 * delete of the old key waits for the new key's insert).  Commit up to the
 * offset and read the partition again from it.
 */
typedef struct ChHold
{
	const char *topic;			/* owned by the registry */
	int32_t		partition;
	int64_t		offset;
	bool		delete_waits;	/* the row at offset is a key change's delete
								 * waiting for its insert (else an insert
								 * waiting for its old key's row) */
} ChHold;

/**
 * @brief The holds of the flushes since ch_tables_clear_holds(); the
 * array lives until then.
 */
extern size_t ch_tables_holds(const ChTables *tables, const ChHold **holds);
extern void ch_tables_clear_holds(ChTables *tables);

/** @brief Forget everything pending (partitions were revoked). */
extern void ch_tables_discard(ChTables *tables);

/** @returns the pending rows and their approximate bytes. */
extern size_t ch_tables_pending_rows(const ChTables *tables);
extern size_t ch_tables_pending_bytes(const ChTables *tables);

/**
 * @brief Classify a failed request: CH_RETRY for an unavailable server or
 * a transient error, CH_FATAL for one that retrying cannot fix.
 */
extern ChResult ch_classify(const ChHttpResult *res);

#endif							/* SINK_CH_TABLE_H */
