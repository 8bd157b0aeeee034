/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *	  wal2dbz.snapshot_frames(): a table's rows as snapshot ("r") records.
 *
 * The sink reads each table inside the slot's exported snapshot through
 * this function, so a snapshot record is encoded by exactly the code that
 * encodes a streamed change: same relation cache, same type writers, same
 * frames (a SCHEMA frame first, then payload-only RECORD frames).
 *
 * Debezium marks the records of a snapshot in source.snapshot: "first" for
 * the first record of the whole snapshot, "first_in_data_collection" and
 * "last_in_data_collection" for the first and last of each table, "last"
 * for the last of the whole snapshot (a one-record snapshot gets "last"),
 * and "true" for the others.  The caller says where this call stands in the
 * snapshot (first or last table, first or last chunk of its table); the
 * function looks one row ahead to know which row is the last.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/snapshot.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "access/tupdesc.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "wal2dbz.h"
#include "wal2dbz_frame.h"

PG_FUNCTION_INFO_V1(wal2dbz_snapshot_frames);

/* Rows fetched from the cursor at a time: bounds memory on big tables. */
#define SNAPSHOT_FETCH_ROWS 1000

/* Where this call stands in the whole snapshot. */
typedef struct SnapshotPosition
{
	bool		first_table;
	bool		last_table;
	bool		first_chunk;
	bool		last_chunk;
	XLogRecPtr	lsn;			/* the snapshot's LSN (slot consistent point) */
	bool		have_txid;
	int64		txid;
	int64		start_us;		/* snapshot transaction start, Unix us */
} SnapshotPosition;

/* Turn text[] {name, value, name, value...} into plugin options. */
static List *
options_from_array(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *options = NIL;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be name/value pairs"),
				 errhint("Pass ARRAY['topic.prefix', 'dbserver1', ...].")));
	for (int i = 0; i < n; i += 2)
	{
		if (nulls[i] || nulls[i + 1])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("options must not contain nulls")));
		options = lappend(options,
						  makeDefElem(TextDatumGetCString(elems[i]),
									  (Node *) makeString(TextDatumGetCString(elems[i + 1])),
									  -1));
	}
	return options;
}

/* The snapshot marker of a row, per the rules in the file header. */
static const char *
snapshot_marker(const SnapshotPosition *pos, bool first_row, bool last_row)
{
	bool		first_in_table = first_row && pos->first_chunk;
	bool		last_in_table = last_row && pos->last_chunk;

	if (last_in_table)
		return pos->last_table ? "last" : "last_in_data_collection";
	if (first_in_table)
		return pos->first_table ? "first" : "first_in_data_collection";
	return "true";
}

/* Set up the materialized result: one bytea column per frame. */
static void
init_frame_result(ReturnSetInfo *rsinfo)
{
	MemoryContext old;
	TupleDesc	desc;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTemplateTupleDesc(1);
	TupleDescInitEntry(desc, (AttrNumber) 1, "frame", BYTEAOID, -1, 0);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->setDesc = desc;
	MemoryContextSwitchTo(old);
}

/* Add one frame to the result as a bytea row. */
static void
put_frame(Tuplestorestate *store, TupleDesc desc, StringInfo frame)
{
	bytea	   *b = palloc(VARHDRSZ + frame->len);
	Datum		value;
	bool		isnull = false;

	SET_VARSIZE(b, VARHDRSZ + frame->len);
	memcpy(VARDATA(b), frame->data, frame->len);
	value = PointerGetDatum(b);
	tuplestore_putvalues(store, desc, &value, &isnull);
	pfree(b);
}

/* Render one row's RECORD frame: key and "r" value, payloads only. */
static void
snapshot_row_frame(StringInfo frame, Wal2dbzData *data, Wal2dbzRelInfo *info,
				   TupleDesc desc, HeapTuple tuple, const SnapshotPosition *pos,
				   const char *marker)
{
	StringInfo	value = &data->value;
	Wal2dbzRecord rec = {0};

	resetStringInfo(frame);
	if (data->opt.outbox.enabled)
	{
		/* an outbox row read by the snapshot is routed like an insert */
		if (wal2dbz_outbox_row(data, info, desc, tuple, 'r', &rec))
		{
			rec.flags = WAL2DBZ_FRAME_F_SNAPSHOT | WAL2DBZ_FRAME_F_CONTEXT_FIRST;
			rec.change_lsn = pos->lsn;
			rec.change_event = true;
			wal2dbz_append_frame(frame, WAL2DBZ_FRAME_RECORD, &rec, InvalidXLogRecPtr,
								 InvalidTransactionId, data);
		}
		return;
	}

	resetStringInfo(&data->key);
	wal2dbz_write_key(&data->key, info, tuple, desc, &data->opt);

	resetStringInfo(value);
	appendStringInfoLiteral(value, "{\"before\":null,\"after\":");
	wal2dbz_write_row(value, info, tuple, desc, NULL, &data->opt);
	appendStringInfoLiteral(value, ",\"source\":");
	wal2dbz_append_source_head(value, data, pos->start_us, marker);
	json_append_int64(value, (int64) pos->lsn);
	wal2dbz_append_source_times(value, pos->start_us);
	appendStringInfoString(value, info->source_rel);
	if (pos->have_txid)
		json_append_int64(value, pos->txid);
	else
		appendStringInfoLiteral(value, "null");
	appendStringInfoLiteral(value, ",\"lsn\":");
	json_append_int64(value, (int64) pos->lsn);
	wal2dbz_append_source_tail(value, InvalidRepOriginId, InvalidXLogRecPtr);
	appendStringInfoLiteral(value, ",\"transaction\":null,\"op\":\"r\"");
	wal2dbz_append_envelope_times(value);
	appendStringInfoChar(value, '}');

	rec.topic = info->topic;
	rec.key = info->nkeys > 0 ? &data->key : NULL;
	rec.value = value;
	rec.flags = WAL2DBZ_FRAME_F_SNAPSHOT;
	rec.change_lsn = pos->lsn;
	rec.schema_id = info->schema_id;
	rec.change_event = true;
	wal2dbz_append_frame(frame, WAL2DBZ_FRAME_RECORD, &rec, InvalidXLogRecPtr,
						 InvalidTransactionId, data);
}

/*
 * wal2dbz.snapshot_frames(rel regclass, options text[], snapshot_lsn pg_lsn,
 *     snapshot_txid bigint, first_table bool, last_table bool,
 *     row_filter text, first_chunk bool, last_chunk bool) RETURNS SETOF bytea
 *
 * Reads ONLY rel (optionally WHERE row_filter) in the current snapshot and
 * returns its SCHEMA frame and one RECORD frame per row.
 */
Datum
wal2dbz_snapshot_frames(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	SnapshotPosition pos;
	MemoryContext work;
	MemoryContext row_context;
	MemoryContext old;
	Wal2dbzData *data;
	Wal2dbzRelInfo *info;
	Relation	rel;
	TupleDesc	desc;
	StringInfoData query;
	StringInfoData frame;
	Portal		portal;
	HeapTuple	pending = NULL;
	bool		first_row = true;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the table to read must not be null")));
	init_frame_result(rsinfo);

	pos.lsn = PG_ARGISNULL(2) ? GetXLogInsertRecPtr() : PG_GETARG_LSN(2);
	pos.have_txid = !PG_ARGISNULL(3);
	pos.txid = pos.have_txid ? PG_GETARG_INT64(3) : 0;
	pos.first_table = PG_ARGISNULL(4) || PG_GETARG_BOOL(4);
	pos.last_table = PG_ARGISNULL(5) || PG_GETARG_BOOL(5);
	pos.first_chunk = PG_ARGISNULL(7) || PG_GETARG_BOOL(7);
	pos.last_chunk = PG_ARGISNULL(8) || PG_GETARG_BOOL(8);
	/* Debezium's snapshot source time: the snapshot transaction's start */
	pos.start_us = GetCurrentTransactionStartTimestamp() + UNIX_EPOCH_OFFSET_USECS;

	work = AllocSetContextCreate(CurrentMemoryContext, "wal2dbz snapshot",
								 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	data = palloc0(sizeof(Wal2dbzData));
	wal2dbz_parse_options(PG_ARGISNULL(1) ? NIL :
						  options_from_array(PG_GETARG_ARRAYTYPE_P(1)),
						  &data->opt, false);
	data->opt.format = OUTPUT_FRAMED;
	data->dbname = get_database_name(MyDatabaseId);
	if (data->opt.topic_prefix == NULL)
		data->opt.topic_prefix = data->dbname;
	data->last_commit_lsn = InvalidXLogRecPtr;
	data->context = AllocSetContextCreate(work, "wal2dbz snapshot row",
										  ALLOCSET_DEFAULT_SIZES);
	row_context = data->context;
	wal2dbz_session_strings(data);
	wal2dbz_relinfo_init(data, work);

	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	info = wal2dbz_relinfo_get(data, rel);
	if (!info->captured)
		goto done;

	/* the SCHEMA frame the records refer to */
	initStringInfo(&frame);
	info->schema_id = 1;
	wal2dbz_append_schema_frame(&frame, info, data);
	put_frame(rsinfo->setResult, rsinfo->setDesc, &frame);

	/* the whole row as the table's own row type keeps attnums aligned */
	initStringInfo(&query);
	appendStringInfo(&query, "SELECT t FROM ONLY %s t",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
												RelationGetRelationName(rel)));
	if (!PG_ARGISNULL(6))
		appendStringInfo(&query, " WHERE %s", text_to_cstring(PG_GETARG_TEXT_PP(6)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	portal = SPI_cursor_open_with_args(NULL, query.data, 0, NULL, NULL, NULL,
									   true, CURSOR_OPT_NO_SCROLL);
	for (;;)
	{
		uint64		nrows;

		SPI_cursor_fetch(portal, true, SNAPSHOT_FETCH_ROWS);
		nrows = SPI_processed;
		for (uint64 i = 0; i <= nrows; i++)
		{
			bool		at_end = (i == nrows && nrows < SNAPSHOT_FETCH_ROWS);
			HeapTuple	next = NULL;

			if (i == nrows && !at_end)
				break;
			if (i < nrows)
			{
				bool		isnull;
				Datum		whole = SPI_getbinval(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 1, &isnull);
				HeapTupleHeader header = DatumGetHeapTupleHeader(whole);
				HeapTupleData tmp;

				tmp.t_len = HeapTupleHeaderGetDatumLength(header);
				ItemPointerSetInvalid(&tmp.t_self);
				tmp.t_tableOid = relid;
				tmp.t_data = header;
				MemoryContextSwitchTo(work);
				next = heap_copytuple(&tmp);
			}

			/* the previous row is now known to be last or not */
			if (pending != NULL)
			{
				MemoryContextSwitchTo(row_context);
				snapshot_row_frame(&frame, data, info, desc, pending, &pos,
								   snapshot_marker(&pos, first_row, next == NULL));
				MemoryContextSwitchTo(work);
				if (frame.len > 0)
					put_frame(rsinfo->setResult, rsinfo->setDesc, &frame);
				MemoryContextReset(row_context);
				heap_freetuple(pending);
				first_row = false;
			}
			pending = next;
		}
		SPI_freetuptable(SPI_tuptable);
		if (nrows < SNAPSHOT_FETCH_ROWS)
			break;
	}
	SPI_cursor_close(portal);
	SPI_finish();

done:
	table_close(rel, AccessShareLock);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return (Datum) 0;
}
