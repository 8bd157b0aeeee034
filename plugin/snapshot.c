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
 * for the last of the whole snapshot, and "true" for the others.  A row
 * that is both gets the marker of the whole snapshot: a one-row first
 * table's row is "first", a one-record snapshot's record "last" (as
 * Debezium 3.6.3 marks them).  The caller says where this call stands in the
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

#include "access/heaptoast.h"
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
#include "utils/portal.h"

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

/* The snapshot marker of a row, per the rules in the file header. */
static const char *
snapshot_marker(const SnapshotPosition *pos, bool first_row, bool last_row)
{
	bool		first_in_table = first_row && pos->first_chunk;
	bool		last_in_table = last_row && pos->last_chunk;

	/* the ends of the whole snapshot win over the ends of a table */
	if (last_in_table && pos->last_table)
		return "last";
	if (first_in_table && pos->first_table)
		return "first";
	if (last_in_table)
		return "last_in_data_collection";
	if (first_in_table)
		return "first_in_data_collection";
	return "true";
}

/*
 * Append the source block of a snapshot record with this marker.  Only the
 * marker varies between the records of one call.
 */
static void
append_snapshot_source(StringInfo out, Wal2dbzData *data,
					   const Wal2dbzRelInfo *info, const SnapshotPosition *pos,
					   const char *marker)
{
	wal2dbz_append_source_head(out, data, pos->start_us, marker);
	json_append_int64(out, (int64) pos->lsn);
	wal2dbz_append_source_times(out, pos->start_us);
	appendStringInfoString(out, info->source_rel);
	if (pos->have_txid)
		json_append_int64(out, pos->txid);
	else
		appendStringInfoLiteral(out, "null");
	appendStringInfoLiteral(out, ",\"lsn\":");
	json_append_int64(out, (int64) pos->lsn);
	wal2dbz_append_source_tail(out, InvalidRepOriginId, InvalidXLogRecPtr);
}

/*
 * Append one row's RECORD frame (key and "r" value, payloads only, \p source
 * its source block) to \p frame; nothing for an outbox row that routes
 * nowhere.
 */
static void
snapshot_row_frame(StringInfo frame, Wal2dbzData *data, Wal2dbzRelInfo *info,
				   TupleDesc desc, HeapTuple tuple, const SnapshotPosition *pos,
				   const StringInfoData *source)
{
	StringInfo	value = &data->value;
	Wal2dbzRecord rec = {0};

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
	appendBinaryStringInfo(value, source->data, source->len);
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
	rec.op = 'r';
	rec.info = info;
	if (data->opt.unwrap.enabled)
	{
		bool		null_row;

		/* a read is never dropped; it becomes its row */
		(void) wal2dbz_unwrap_record(data, info, &rec, &null_row);
	}
	wal2dbz_append_frame(frame, WAL2DBZ_FRAME_RECORD, &rec, InvalidXLogRecPtr,
						 InvalidTransactionId, data);
}


/*
 * The state of one call of wal2dbz.snapshot_frames() across the calls that
 * return its rows (value per call: each row goes to the client while the
 * next is encoded, and nothing is materialized).  It lives in the
 * multi-call memory context; rows fetched from the cursor live in one of
 * two fetch contexts, so the last row of one fetch is still there while
 * the next fetch says whether it is the last of the call.
 */
typedef struct SnapshotScan
{
	SnapshotPosition pos;
	Wal2dbzData *data;
	Wal2dbzRelInfo *info;
	MemoryContext context;		/* the multi-call context: the scan's own */
	Relation	rel;			/* open until the scan ends */
	TupleDesc	desc;
	bool		has_dropped;	/* the table has dropped columns, which
								 * SELECT * leaves out: its rows are formed
								 * again with nulls in their places */
	char	   *cursor;			/* the cursor's portal name, NULL when closed */
	int			batch_bytes;	/* framed.batch.bytes: frames per value */
	MemoryContext fetch_context[2];
	int			current;		/* fetch_context[current] holds rows[] */
	HeapTuple  *rows;
	int			nrows;
	int			next;			/* index in rows[] of the next row */
	bool		exhausted;		/* the cursor has no more rows */
	bool		schema_sent;
	bool		first_row;
	bool		done;

	/*
	 * The source block of the records marked "true" (all but the first and
	 * last few), written once, in the scan's context: about half of each
	 * record's value.  Others are written each time into source_other.
	 */
	StringInfoData source_true;
	StringInfoData source_other;
} SnapshotScan;

/*
 * Fetch the next rows of the cursor into the other fetch context; the
 * current rows stay valid.  Sets exhausted when the cursor is at its end.
 */
static void
scan_fetch(SnapshotScan *scan, HeapTuple **rows, int *nrows)
{
	MemoryContext into = scan->fetch_context[1 - scan->current];
	MemoryContext old;
	Portal		portal;
	uint64		n;

	*rows = NULL;
	*nrows = 0;
	if (scan->exhausted)
		return;
	MemoryContextReset(into);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	portal = SPI_cursor_find(scan->cursor);
	if (portal == NULL)
		elog(ERROR, "cursor \"%s\" of wal2dbz.snapshot_frames() is gone", scan->cursor);
	SPI_cursor_fetch(portal, true, SNAPSHOT_FETCH_ROWS);
	n = SPI_processed;
	old = MemoryContextSwitchTo(into);
	*rows = palloc(sizeof(HeapTuple) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];

		if (scan->has_dropped)
		{
			/*
			 * Put the columns back at their attnums.  (A whole-row reference
			 * would keep them, but "SELECT t FROM tab t" means a column
			 * named t when there is one.)
			 */
			Datum	   *values = palloc(sizeof(Datum) * scan->desc->natts);
			bool	   *nulls = palloc(sizeof(bool) * scan->desc->natts);
			int			col = 1;

			for (int a = 0; a < scan->desc->natts; a++)
			{
				if (TupleDescAttr(scan->desc, a)->attisdropped)
				{
					values[a] = (Datum) 0;
					nulls[a] = true;
				}
				else
					values[a] = SPI_getbinval(tuple, SPI_tuptable->tupdesc, col++,
											  &nulls[a]);
			}
			tuple = heap_form_tuple(scan->desc, values, nulls);
			pfree(values);
			pfree(nulls);
		}
		else
		{
			/* the stored tuple as it is */
			tuple = heap_copytuple(tuple);
		}
		/* TOAST pointers are followed per row, when it is encoded */
		tuple->t_tableOid = RelationGetRelid(scan->rel);
		(*rows)[i] = tuple;
	}
	MemoryContextSwitchTo(old);
	*nrows = (int) n;
	if (n < SNAPSHOT_FETCH_ROWS)
		scan->exhausted = true;
	SPI_finish();
}

/* Close the cursor and the table; safe to call twice. */
static void
scan_end(SnapshotScan *scan)
{
	if (scan->cursor != NULL)
	{
		Portal		portal = GetPortalByName(scan->cursor);

		if (PortalIsValid(portal))
			SPI_cursor_close(portal);
		scan->cursor = NULL;
	}
	if (scan->rel != NULL)
	{
		table_close(scan->rel, AccessShareLock);
		scan->rel = NULL;
	}
	scan->done = true;
}

/* The query ended before the last row (LIMIT, an error in the caller...). */
static void
scan_shutdown(Datum arg)
{
	scan_end((SnapshotScan *) DatumGetPointer(arg));
}

/* Set up the scan at the first call: options, relation, SCHEMA, cursor. */
static SnapshotScan *
scan_begin(FunctionCallInfo fcinfo, MemoryContext multi)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			relid = PG_GETARG_OID(0);
	MemoryContext old = MemoryContextSwitchTo(multi);
	SnapshotScan *scan = palloc0(sizeof(SnapshotScan));
	Wal2dbzData *data;
	StringInfoData query;
	Portal		portal;
	int			ndropped = 0;

	scan->pos.lsn = PG_ARGISNULL(2) ? GetXLogInsertRecPtr() : PG_GETARG_LSN(2);
	scan->pos.have_txid = !PG_ARGISNULL(3);
	scan->pos.txid = scan->pos.have_txid ? PG_GETARG_INT64(3) : 0;
	scan->pos.first_table = PG_ARGISNULL(4) || PG_GETARG_BOOL(4);
	scan->pos.last_table = PG_ARGISNULL(5) || PG_GETARG_BOOL(5);
	scan->pos.first_chunk = PG_ARGISNULL(7) || PG_GETARG_BOOL(7);
	scan->pos.last_chunk = PG_ARGISNULL(8) || PG_GETARG_BOOL(8);
	/* Debezium's snapshot source time: the snapshot transaction's start */
	scan->pos.start_us = GetCurrentTransactionStartTimestamp() + UNIX_EPOCH_OFFSET_USECS;
	scan->first_row = true;
	scan->context = multi;
	initStringInfo(&scan->source_true);
	initStringInfo(&scan->source_other);

	scan->data = data = palloc0(sizeof(Wal2dbzData));
	data->snapshot = true;
	wal2dbz_parse_options(PG_ARGISNULL(1) ? NIL :
						  wal2dbz_options_from_array(PG_GETARG_ARRAYTYPE_P(1)),
						  &data->opt, false);
	scan->batch_bytes = data->opt.framed_batch_bytes;
	data->opt.format = OUTPUT_FRAMED;
	data->dbname = get_database_name(MyDatabaseId);
	if (data->opt.topic_prefix == NULL)
		data->opt.topic_prefix = data->dbname;
	data->last_commit_lsn = InvalidXLogRecPtr;
	data->context = AllocSetContextCreate(multi, "wal2dbz snapshot row",
										  ALLOCSET_DEFAULT_SIZES);
	scan->fetch_context[0] = AllocSetContextCreate(multi, "wal2dbz snapshot fetch",
												   ALLOCSET_DEFAULT_SIZES);
	scan->fetch_context[1] = AllocSetContextCreate(multi, "wal2dbz snapshot fetch",
												   ALLOCSET_DEFAULT_SIZES);
	wal2dbz_session_strings(data);
	wal2dbz_relinfo_init(data, multi);

	scan->rel = table_open(relid, AccessShareLock);
	scan->desc = RelationGetDescr(scan->rel);
	RegisterExprContextCallback(rsinfo->econtext, scan_shutdown, PointerGetDatum(scan));
	scan->info = wal2dbz_relinfo_get(data, scan->rel);
	if (!scan->info->captured)
	{
		scan_end(scan);
		MemoryContextSwitchTo(old);
		return scan;
	}
	scan->info->schema_id = 1;

	for (int i = 0; i < scan->desc->natts; i++)
		if (TupleDescAttr(scan->desc, i)->attisdropped)
			ndropped++;
	scan->has_dropped = ndropped > 0;
	initStringInfo(&query);
	appendStringInfo(&query, "SELECT * FROM ONLY %s t",
					 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(scan->rel)),
												RelationGetRelationName(scan->rel)));
	if (!PG_ARGISNULL(6))
		appendStringInfo(&query, " WHERE %s", text_to_cstring(PG_GETARG_TEXT_PP(6)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	portal = SPI_cursor_open_with_args(NULL, query.data, 0, NULL, NULL, NULL,
									   true, CURSOR_OPT_NO_SCROLL);
	scan->cursor = pstrdup(portal->name);
	if (portal->tupDesc->natts != scan->desc->natts - ndropped)
		elog(ERROR, "SELECT * of \"%s\" returned %d columns, not %d",
			 RelationGetRelationName(scan->rel), portal->tupDesc->natts,
			 scan->desc->natts - ndropped);
	SPI_finish();
	MemoryContextSwitchTo(old);
	return scan;
}

/*
 * Append the next frames to \p out: the SCHEMA frame first, then RECORD
 * frames, until out holds batch_bytes (one frame when batch_bytes is 0).
 * Returns false when there is nothing more.
 */
static bool
scan_next(SnapshotScan *scan, StringInfo out)
{
	int			start_len = out->len;

	if (scan->done)
		return false;
	if (!scan->schema_sent)
	{
		/* what the relation cache builds for it must outlive this call */
		MemoryContext old = MemoryContextSwitchTo(scan->context);

		scan->schema_sent = true;
		wal2dbz_append_schema_frame(out, scan->info, scan->info->value_prefix,
									scan->info->schema_id, scan->data);
		MemoryContextSwitchTo(old);
		if (scan->batch_bytes <= 0)
			return true;
	}
	for (;;)
	{
		HeapTuple	tuple;
		HeapTuple	flat = NULL;
		bool		last = false;
		const char *marker;
		StringInfo	source;
		MemoryContext old;

		if (scan->next >= scan->nrows)
		{
			/* the first fetch (later ones are look-aheads) */
			scan_fetch(scan, &scan->rows, &scan->nrows);
			scan->current = 1 - scan->current;
			scan->next = 0;
			if (scan->nrows == 0)
			{
				scan_end(scan);
				return out->len > start_len;
			}
		}
		tuple = scan->rows[scan->next++];
		if (scan->next == scan->nrows)
		{
			/* look ahead: is this the last row of the call? */
			HeapTuple  *rows;
			int			nrows;

			scan_fetch(scan, &rows, &nrows);
			last = nrows == 0;
			scan->current = 1 - scan->current;
			scan->rows = rows;
			scan->nrows = nrows;
			scan->next = 0;
		}

		marker = snapshot_marker(&scan->pos, scan->first_row, last);
		if (strcmp(marker, "true") == 0)
			source = &scan->source_true;
		else
		{
			source = &scan->source_other;
			resetStringInfo(source);
		}
		if (source->len == 0)
			append_snapshot_source(source, scan->data, scan->info, &scan->pos, marker);

		old = MemoryContextSwitchTo(scan->data->context);
		if (HeapTupleHasExternal(tuple))
			flat = toast_flatten_tuple(tuple, scan->desc);
		snapshot_row_frame(out, scan->data, scan->info, scan->desc,
						   flat ? flat : tuple, &scan->pos, source);
		MemoryContextSwitchTo(old);
		MemoryContextReset(scan->data->context);
		scan->first_row = false;
		if (last)
			scan_end(scan);
		if (scan->done)
			return out->len > start_len;
		if (out->len > start_len && out->len >= scan->batch_bytes)
			return true;
	}
}

/*
 * wal2dbz.snapshot_frames(rel regclass, options text[], snapshot_lsn pg_lsn,
 *     snapshot_txid bigint, first_table bool, last_table bool,
 *     row_filter text, first_chunk bool, last_chunk bool) RETURNS SETOF bytea
 *
 * Reads ONLY rel (optionally WHERE row_filter) in the current snapshot and
 * returns its SCHEMA frame and one RECORD frame per row; with the option
 * framed.batch.bytes, each value holds consecutive frames up to about that
 * many bytes (as a batch of the framed output), which saves a result row
 * per record on both sides.
 */
Datum
wal2dbz_snapshot_frames(PG_FUNCTION_ARGS)
{
	FuncCallContext *funcctx;
	SnapshotScan *scan;
	StringInfoData out;

	if (SRF_IS_FIRSTCALL())
	{
		if (PG_ARGISNULL(0))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the table to read must not be null")));
		funcctx = SRF_FIRSTCALL_INIT();
		funcctx->user_fctx = scan_begin(fcinfo, funcctx->multi_call_memory_ctx);
	}
	funcctx = SRF_PERCALL_SETUP();
	scan = (SnapshotScan *) funcctx->user_fctx;

	/* the value is built in place, behind room for its varlena header */
	initStringInfo(&out);
	appendStringInfoSpaces(&out, VARHDRSZ);
	if (!scan_next(scan, &out))
	{
		/* the scan's memory goes with the multi-call context */
		UnregisterExprContextCallback(((ReturnSetInfo *) fcinfo->resultinfo)->econtext,
									  scan_shutdown, PointerGetDatum(scan));
		SRF_RETURN_DONE(funcctx);
	}
	SET_VARSIZE(out.data, out.len);
	SRF_RETURN_NEXT(funcctx, PointerGetDatum(out.data));
}
