/*-------------------------------------------------------------------------
 *
 * wal2dbz.c
 *	  Logical decoding output plugin writing Debezium change events.
 *
 * Each committed change becomes the Kafka record the Debezium PostgreSQL
 * connector (JSON converter) would publish for it: topic, key and value
 * envelope, byte for byte.  The JSON is built here, once; a consumer in
 * framed mode only reads a small header (wal2dbz_frame.h) and hands the
 * key and value bytes to Kafka.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/wal2dbz.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "common/hashfn.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "compat.h"
#include "wal2dbz.h"
#include "wal2dbz_frame.h"

WAL2DBZ_MODULE_MAGIC;

/* Record buffers larger than this are given back after the change. */
#define LARGE_BUFFER_BYTES (8 * 1024 * 1024)

static void wal2dbz_startup(LogicalDecodingContext *ctx,
							OutputPluginOptions *opt, bool is_init);
static void wal2dbz_begin_txn(LogicalDecodingContext *ctx,
							  ReorderBufferTXN *txn);
static void wal2dbz_change(LogicalDecodingContext *ctx,
						   ReorderBufferTXN *txn, Relation relation,
						   ReorderBufferChange *change);
static void wal2dbz_truncate(LogicalDecodingContext *ctx,
							 ReorderBufferTXN *txn, int nrelations,
							 Relation relations[],
							 ReorderBufferChange *change);
static void wal2dbz_commit_txn(LogicalDecodingContext *ctx,
							   ReorderBufferTXN *txn, XLogRecPtr commit_lsn);
static void wal2dbz_message(LogicalDecodingContext *ctx,
							ReorderBufferTXN *txn, XLogRecPtr message_lsn,
							bool transactional, const char *prefix,
							Size message_size, const char *message);
static void wal2dbz_shutdown(LogicalDecodingContext *ctx);

/* Assign the callbacks; this function does nothing else. */
void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	cb->startup_cb = wal2dbz_startup;
	cb->begin_cb = wal2dbz_begin_txn;
	cb->change_cb = wal2dbz_change;
	cb->truncate_cb = wal2dbz_truncate;
	cb->commit_cb = wal2dbz_commit_txn;
	cb->message_cb = wal2dbz_message;
	cb->shutdown_cb = wal2dbz_shutdown;
}

/* Set up the session: options, memory contexts, pre-rendered strings. */
static void
wal2dbz_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt,
				bool is_init)
{
	Wal2dbzData *data = palloc0(sizeof(Wal2dbzData));
	MemoryContext old;
	bool		started_tx = false;

	data->context = AllocSetContextCreate(ctx->context, "wal2dbz change context",
										  ALLOCSET_DEFAULT_SIZES);
	data->txn_context = AllocSetContextCreate(ctx->context,
											  "wal2dbz transaction context",
											  ALLOCSET_SMALL_SIZES);
	wal2dbz_parse_options(ctx->output_plugin_options, &data->opt, is_init);

	/* a walsender calls us outside a transaction: catalogs need one */
	if (!IsTransactionState())
	{
		StartTransactionCommand();
		started_tx = true;
	}
	old = MemoryContextSwitchTo(ctx->context);
	data->dbname = get_database_name(MyDatabaseId);
	MemoryContextSwitchTo(old);
	if (started_tx)
		CommitTransactionCommand();

	if (data->opt.topic_prefix == NULL)
		data->opt.topic_prefix = data->dbname;
	data->last_commit_lsn = InvalidXLogRecPtr;
	wal2dbz_relinfo_init(data, ctx->context);

	wal2dbz_session_strings(data);
	initStringInfo(&data->batch);

	ctx->output_plugin_private = data;
	opt->output_type = data->opt.format == OUTPUT_FRAMED ?
		OUTPUT_PLUGIN_BINARY_OUTPUT : OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
	opt->receive_rewrites = false;
}

/* Free what the session allocated outside ctx->context: nothing. */
static void
wal2dbz_shutdown(LogicalDecodingContext *ctx)
{
	/* the contexts are children of ctx->context, freed with it */
}

/* Allocate the per-transaction state; nothing is written yet. */
static void
wal2dbz_begin_txn(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	Wal2dbzData *data = ctx->output_plugin_private;

	/* everything a transaction keeps goes in txn_context, reset at commit */
	txn->output_plugin_private =
		MemoryContextAllocZero(data->txn_context, sizeof(Wal2dbzTxnData));
}

/*
 * Framed output goes straight into one logical decoding message per frame,
 * or, with framed.batch.bytes, into a batch written as one message once it
 * is that large and at every commit: the walsender and its client then
 * handle far fewer messages, and frames are self-delimiting.
 */
static StringInfo
frame_begin(LogicalDecodingContext *ctx, Wal2dbzData *data)
{
	if (data->opt.framed_batch_bytes > 0)
		return &data->batch;
	OutputPluginPrepareWrite(ctx, true);
	return ctx->out;
}

/* Write out the batch, if any. */
static void
frame_flush(LogicalDecodingContext *ctx, Wal2dbzData *data)
{
	if (data->batch.len == 0)
		return;
	OutputPluginPrepareWrite(ctx, true);
	appendBinaryStringInfo(ctx->out, data->batch.data, data->batch.len);
	OutputPluginWrite(ctx, true);
	resetStringInfo(&data->batch);
}

/* Finish a frame started with frame_begin(); "flush" ends a batch. */
static void
frame_end(LogicalDecodingContext *ctx, Wal2dbzData *data, bool flush)
{
	if (data->opt.framed_batch_bytes <= 0)
		OutputPluginWrite(ctx, true);
	else if (flush || data->batch.len >= data->opt.framed_batch_bytes)
		frame_flush(ctx, data);
}

/*
 * Write one Kafka record as one logical decoding message, in the configured
 * output format.  In the default "value" format a tombstone (null value)
 * has nothing to show and is not written.
 */
static uint32 unwrap_delete_schema_id(LogicalDecodingContext *ctx,
									  Wal2dbzData *data, Wal2dbzRelInfo *info);

static void
emit_record(LogicalDecodingContext *ctx, Wal2dbzData *data,
			ReorderBufferTXN *txn, const Wal2dbzRecord *rec)
{
	Wal2dbzTxnData *txndata = txn ? txn->output_plugin_private : NULL;
	Wal2dbzRecord unwrapped;

	/* the New Record State Extraction replaces or drops table events */
	if (data->opt.unwrap.enabled && rec->op != 0)
	{
		bool		null_row;

		unwrapped = *rec;
		if (!wal2dbz_unwrap_record(data, rec->info, &unwrapped, &null_row))
			return;
		if (null_row && data->opt.format == OUTPUT_FRAMED)
			unwrapped.schema_id = unwrap_delete_schema_id(ctx, data, rec->info);
		rec = &unwrapped;
	}

	if (data->opt.format == OUTPUT_VALUE && rec->value == NULL)
		return;

	if (data->opt.format == OUTPUT_FRAMED)
	{
		/* a non-transactional record has no commit to wait for */
		wal2dbz_append_frame(frame_begin(ctx, data), WAL2DBZ_FRAME_RECORD, rec,
							 txndata ? txn->end_lsn : InvalidXLogRecPtr,
							 txndata ? txn->xid : InvalidTransactionId, data);
		frame_end(ctx, data, txndata == NULL);
		if (txndata)
			txndata->wrote_records = true;
		return;
	}

	OutputPluginPrepareWrite(ctx, true);
	switch (data->opt.format)
	{
		case OUTPUT_VALUE:
			appendBinaryStringInfo(ctx->out, rec->value->data, rec->value->len);
			break;
		case OUTPUT_RECORD:
			appendStringInfoLiteral(ctx->out, "{\"topic\":");
			json_append_string(ctx->out, rec->topic);
			appendStringInfoLiteral(ctx->out, ",\"key\":");
			if (rec->key)
				appendBinaryStringInfo(ctx->out, rec->key->data, rec->key->len);
			else
				appendStringInfoLiteral(ctx->out, "null");
			appendStringInfoLiteral(ctx->out, ",\"value\":");
			if (rec->value)
				appendBinaryStringInfo(ctx->out, rec->value->data, rec->value->len);
			else
				appendStringInfoLiteral(ctx->out, "null");
			if (rec->nheaders > 0)
			{
				appendStringInfoLiteral(ctx->out, ",\"headers\":{");
				for (int i = 0; i < rec->nheaders; i++)
				{
					/* where the sink puts Debezium's context headers */
					if (rec->headers[i].name[0] == '\0')
						continue;
					if (ctx->out->data[ctx->out->len - 1] != '{')
						appendStringInfoChar(ctx->out, ',');
					json_append_string(ctx->out, rec->headers[i].name);
					appendStringInfoChar(ctx->out, ':');
					if (rec->headers[i].value)
						json_append_string(ctx->out, rec->headers[i].value);
					else
						appendStringInfoLiteral(ctx->out, "null");
				}
				appendStringInfoChar(ctx->out, '}');
			}
			appendStringInfoChar(ctx->out, '}');
			break;
		case OUTPUT_FRAMED:
			Assert(false);		/* handled above */
			break;
	}
	OutputPluginWrite(ctx, true);
	if (txndata)
		txndata->wrote_records = true;
}

/*
 * Append the source block of an event outside a transaction (a
 * non-transactional message), or inside one when "txn" is given.
 * "source_rel" is the pre-rendered ,"schema":..,"table":..,"txId": part.
 */
static void
append_source(StringInfo out, Wal2dbzData *data, ReorderBufferTXN *txn,
			  const char *source_rel, XLogRecPtr lsn, int64 unix_us)
{
	wal2dbz_append_source_head(out, data, unix_us, NULL);
	json_append_int64(out, (int64) lsn);
	wal2dbz_append_source_times(out, unix_us);
	appendStringInfoString(out, source_rel);
	if (txn && TransactionIdIsValid(txn->xid))
		json_append_int64(out, txn->xid);
	else
		appendStringInfoLiteral(out, "null");
	appendStringInfoLiteral(out, ",\"lsn\":");
	json_append_int64(out, (int64) lsn);
	if (txn)
		wal2dbz_append_source_tail(out, txn->origin_id, txn->origin_lsn);
	else
		wal2dbz_append_source_tail(out, InvalidRepOriginId, InvalidXLogRecPtr);
}

/* The transaction's commit time in Unix microseconds. */
static int64
txn_commit_us(ReorderBufferTXN *txn)
{
	return DBZ_TXN_COMMIT_TIME(txn) + UNIX_EPOCH_OFFSET_USECS;
}

/*
 * Append the source block of a table event.  Everything but the LSN and
 * the table is the same for every event of a transaction, so those parts
 * are rendered once per transaction.
 */
static void
append_txn_source(StringInfo out, Wal2dbzData *data, ReorderBufferTXN *txn,
				  const char *source_rel, XLogRecPtr lsn)
{
	Wal2dbzTxnData *txndata = txn->output_plugin_private;

	if (txndata->src_head == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(data->txn_context);
		StringInfoData buf;
		int64		unix_us = txn_commit_us(txn);

		initStringInfo(&buf);
		wal2dbz_append_source_head(&buf, data, unix_us, NULL);
		txndata->src_head = buf.data;
		txndata->src_head_len = buf.len;
		initStringInfo(&buf);
		wal2dbz_append_source_times(&buf, unix_us);
		txndata->src_times = buf.data;
		txndata->src_times_len = buf.len;
		initStringInfo(&buf);
		json_append_int64(&buf, txn->xid);
		appendStringInfoLiteral(&buf, ",\"lsn\":");
		txndata->src_xid = buf.data;
		txndata->src_xid_len = buf.len;
		initStringInfo(&buf);
		wal2dbz_append_source_tail(&buf, txn->origin_id, txn->origin_lsn);
		txndata->src_tail = buf.data;
		txndata->src_tail_len = buf.len;
		MemoryContextSwitchTo(old);
	}
	appendBinaryStringInfo(out, txndata->src_head, txndata->src_head_len);
	json_append_int64(out, (int64) lsn);
	appendBinaryStringInfo(out, txndata->src_times, txndata->src_times_len);
	appendStringInfoString(out, source_rel);
	appendBinaryStringInfo(out, txndata->src_xid, txndata->src_xid_len);
	json_append_int64(out, (int64) lsn);
	appendBinaryStringInfo(out, txndata->src_tail, txndata->src_tail_len);
}

/* Transaction metadata key and value schemas (Debezium's TransactionMonitor). */
static const char txmeta_key_schema[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":false,\"field\":\"id\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataKey\",\"version\":1}";
static const char txmeta_value_schema[] =
"{\"type\":\"struct\",\"fields\":["
"{\"type\":\"string\",\"optional\":false,\"field\":\"status\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"event_count\"},"
"{\"type\":\"array\",\"items\":{\"type\":\"struct\",\"fields\":["
"{\"type\":\"string\",\"optional\":false,\"field\":\"data_collection\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"event_count\"}],"
"\"optional\":true,\"name\":\"event.collection\",\"version\":1},\"optional\":true,\"field\":\"data_collections\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.common.TransactionMetadataValue\",\"version\":1}";

/*
 * Write a transaction BEGIN or END record on <prefix>.transaction; END
 * carries the event counts per table, in Java HashMap order as Debezium's.
 */
static void
emit_txmeta(LogicalDecodingContext *ctx, Wal2dbzData *data,
			ReorderBufferTXN *txn, bool end, XLogRecPtr lsn)
{
	Wal2dbzTxnData *txndata = txn->output_plugin_private;
	Wal2dbzRecord rec = {0};
	char	   *id = psprintf("%u:" UINT64_FORMAT, txn->xid, (uint64) lsn);
	int64		commit_us = txn_commit_us(txn);
	MemoryContext old = MemoryContextSwitchTo(data->context);

	resetStringInfo(&data->key);
	resetStringInfo(&data->value);
	if (data->opt.key_schemas)
		appendStringInfo(&data->key, "{\"schema\":%s,\"payload\":", txmeta_key_schema);
	appendStringInfoLiteral(&data->key, "{\"id\":");
	json_append_string(&data->key, id);
	appendStringInfoChar(&data->key, '}');
	if (data->opt.key_schemas)
		appendStringInfoChar(&data->key, '}');

	if (data->opt.value_schemas)
		appendStringInfo(&data->value, "{\"schema\":%s,\"payload\":", txmeta_value_schema);
	appendStringInfo(&data->value, "{\"status\":\"%s\",\"id\":", end ? "END" : "BEGIN");
	json_append_string(&data->value, id);
	if (end)
	{
		int			n = list_length(txndata->collections);
		char	  **names = palloc(sizeof(char *) * Max(n, 1));
		int		   *order;

		for (int i = 0; i < n; i++)
			names[i] = ((Wal2dbzCollectionCount *) list_nth(txndata->collections, i))->name;
		order = java_hashmap_order(names, n);
		appendStringInfo(&data->value, ",\"event_count\":" INT64_FORMAT ",\"data_collections\":[",
						 txndata->total_order);
		for (int i = 0; i < n; i++)
		{
			Wal2dbzCollectionCount *cc = list_nth(txndata->collections, order[i]);

			if (i > 0)
				appendStringInfoChar(&data->value, ',');
			appendStringInfoLiteral(&data->value, "{\"data_collection\":");
			json_append_string(&data->value, cc->name);
			appendStringInfo(&data->value, ",\"event_count\":" INT64_FORMAT "}", cc->count);
		}
		appendStringInfoChar(&data->value, ']');
	}
	else
		appendStringInfoLiteral(&data->value, ",\"event_count\":null,\"data_collections\":null");
	appendStringInfoLiteral(&data->value, ",\"ts_ms\":");
	json_append_int64(&data->value, commit_us / 1000);
	appendStringInfoChar(&data->value, '}');
	if (data->opt.value_schemas)
		appendStringInfoChar(&data->value, '}');

	rec.topic = psprintf("%s.transaction", data->opt.topic_prefix);
	rec.key = &data->key;
	rec.value = &data->value;
	rec.flags = WAL2DBZ_FRAME_F_TXMETA;
	rec.change_lsn = lsn;
	emit_record(ctx, data, txn, &rec);

	MemoryContextSwitchTo(old);
	MemoryContextReset(data->context);
}

/*
 * Would Debezium's publication send this table's changes?  Its default one
 * is of all tables, so even a filtered table's change opens a transaction
 * (BEGIN/END records, the "sequence" commit); a filtered publication holds
 * only the captured tables, and PostgreSQL 15 sends nothing for a
 * transaction without a published change.  state.schema is never seen.
 */
static bool
published(const Wal2dbzData *data, const Wal2dbzRelInfo *info)
{
	if (info->invisible)
		return false;
	return info->captured || !data->opt.publication_filtered;
}

/*
 * Note a table change for transaction metadata: open the transaction
 * (BEGIN) on its first change, as Debezium does on pgoutput's BEGIN, which
 * PostgreSQL 15 sends with the first change.
 */
static void
note_table_change(LogicalDecodingContext *ctx, Wal2dbzData *data,
				  ReorderBufferTXN *txn, XLogRecPtr lsn)
{
	Wal2dbzTxnData *txndata = txn->output_plugin_private;

	txndata->had_change = true;
	if (data->opt.provide_transaction_metadata && !txndata->began)
	{
		txndata->began = true;
		txndata->begin_lsn = lsn;
		emit_txmeta(ctx, data, txn, false, lsn);
	}
}

/*
 * Count one data event of a collection and append its transaction block;
 * the counts live in the transaction's context, for the END record.
 * "fresh" makes a new collection entry even if one of that name exists.
 */
static void
append_transaction_block(StringInfo out, Wal2dbzData *data,
						 ReorderBufferTXN *txn, const char *collection,
						 bool fresh, XLogRecPtr lsn)
{
	Wal2dbzTxnData *txndata = txn->output_plugin_private;
	Wal2dbzCollectionCount *cc = NULL;
	ListCell   *lc;

	if (!data->opt.provide_transaction_metadata)
	{
		appendStringInfoLiteral(out, "null");
		return;
	}
	foreach(lc, txndata->collections)
	{
		if (fresh)
			break;
		cc = lfirst(lc);
		if (strcmp(cc->name, collection) == 0)
			break;
		cc = NULL;
	}
	if (cc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(data->txn_context);

		cc = palloc0(sizeof(Wal2dbzCollectionCount));
		cc->name = pstrdup(collection);
		txndata->collections = lappend(txndata->collections, cc);
		MemoryContextSwitchTo(old);
	}
	txndata->total_order++;
	cc->count++;
	appendStringInfo(out, "{\"id\":\"%u:" UINT64_FORMAT "\",\"total_order\":" INT64_FORMAT
					 ",\"data_collection_order\":" INT64_FORMAT "}",
					 txn->xid, (uint64) lsn, txndata->total_order, cc->count);
}

/*
 * Count an event for transaction metadata without writing its block (the
 * outbox router drops the envelope that would carry it).
 */
static void
count_transaction_event(Wal2dbzData *data, ReorderBufferTXN *txn,
						const char *collection, XLogRecPtr lsn)
{
	StringInfoData ignored;

	if (!data->opt.provide_transaction_metadata)
		return;
	initStringInfo(&ignored);
	append_transaction_block(&ignored, data, txn, collection, false, lsn);
	pfree(ignored.data);
}

/*
 * Build the value of one table event into data->value: before/after rows
 * (either may be NULL), source, transaction, op and processing times.
 */
static void
build_value(LogicalDecodingContext *ctx, Wal2dbzData *data,
			ReorderBufferTXN *txn, Wal2dbzRelInfo *info, TupleDesc desc,
			HeapTuple before, HeapTuple after, HeapTuple toast_source,
			char op, XLogRecPtr lsn)
{
	StringInfo	out = &data->value;

	resetStringInfo(out);
	if (data->opt.format != OUTPUT_FRAMED)
		appendStringInfoString(out, info->value_prefix);
	appendStringInfoLiteral(out, "{\"before\":");
	if (before)
		wal2dbz_write_row(out, info, before, desc, NULL, &data->opt);
	else
		appendStringInfoLiteral(out, "null");
	appendStringInfoLiteral(out, ",\"after\":");
	if (after)
		wal2dbz_write_row(out, info, after, desc, toast_source, &data->opt);
	else
		appendStringInfoLiteral(out, "null");
	appendStringInfoLiteral(out, ",\"source\":");
	append_txn_source(out, data, txn, info->source_rel, lsn);
	appendStringInfoLiteral(out, ",\"transaction\":");
	append_transaction_block(out, data, txn, info->data_collection, false, lsn);
	appendStringInfo(out, ",\"op\":\"%c\"", op);
	wal2dbz_append_envelope_times(out);
	appendStringInfoChar(out, '}');
	if (data->opt.format != OUTPUT_FRAMED)
		appendStringInfoString(out, info->value_suffix);
}

/* Render the key of "tuple" into "out" (with schema if enabled). */
static void
build_key(StringInfo out, Wal2dbzData *data, Wal2dbzRelInfo *info,
		  TupleDesc desc, HeapTuple tuple)
{
	resetStringInfo(out);
	if (data->opt.format != OUTPUT_FRAMED)
		appendStringInfoString(out, info->key_prefix);
	wal2dbz_write_key(out, info, tuple, desc, &data->opt);
	if (data->opt.format != OUTPUT_FRAMED)
		appendStringInfoString(out, info->key_suffix);
}

/*
 * In framed mode, table records carry only payloads and refer to the
 * table's schema by id: send the SCHEMA frame once before the first.
 */
static uint32
table_schema_id(LogicalDecodingContext *ctx, Wal2dbzData *data,
				Wal2dbzRelInfo *info)
{
	if (data->opt.format != OUTPUT_FRAMED)
		return 0;
	if (info->schema_id != 0)
		return info->schema_id;

	info->schema_id = ++data->last_schema_id;
	wal2dbz_append_schema_frame(frame_begin(ctx, data), info, info->value_prefix,
								info->schema_id, data);
	frame_end(ctx, data, false);
	return info->schema_id;
}

/*
 * The SCHEMA frame of the null row a delete becomes under the New Record
 * State Extraction's "tombstone" mode (the row struct, optional), sent once
 * before the first such record.
 */
static uint32
unwrap_delete_schema_id(LogicalDecodingContext *ctx, Wal2dbzData *data,
						Wal2dbzRelInfo *info)
{
	if (info->unwrap_delete_schema_id != 0)
		return info->unwrap_delete_schema_id;

	info->unwrap_delete_schema_id = ++data->last_schema_id;
	wal2dbz_append_schema_frame(frame_begin(ctx, data), info,
								info->unwrap_delete_prefix,
								info->unwrap_delete_schema_id, data);
	frame_end(ctx, data, false);
	return info->unwrap_delete_schema_id;
}

/* The key payload alone, as a Kafka header value (SimpleHeaderConverter). */
static char *
key_header_value(Wal2dbzData *data, Wal2dbzRelInfo *info, TupleDesc desc,
				 HeapTuple tuple)
{
	StringInfoData buf;

	initStringInfo(&buf);
	wal2dbz_write_key(&buf, info, tuple, desc, &data->opt);
	return buf.data;
}

/*
 * The key and value buffers live as long as the session so that they are
 * not reallocated for every record; one huge row must not pin its size
 * for the rest of the session, though.
 */
static void
release_large_buffers(LogicalDecodingContext *ctx, Wal2dbzData *data)
{
	MemoryContext old;

	if (data->value.maxlen <= LARGE_BUFFER_BYTES &&
		data->key.maxlen <= LARGE_BUFFER_BYTES &&
		data->unwrapped.maxlen <= LARGE_BUFFER_BYTES)
		return;
	old = MemoryContextSwitchTo(ctx->context);
	pfree(data->key.data);
	pfree(data->value.data);
	pfree(data->unwrapped.data);
	initStringInfo(&data->key);
	initStringInfo(&data->value);
	initStringInfo(&data->unwrapped);
	MemoryContextSwitchTo(old);
}

/*
 * An INSERT, UPDATE or DELETE.  Filters come first and return early; after
 * the switch into the scratch context there is one exit, at cleanup.
 */
static void
wal2dbz_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			   Relation relation, ReorderBufferChange *change)
{
	Wal2dbzData *data = ctx->output_plugin_private;
	Wal2dbzRelInfo *info;
	TupleDesc	desc = RelationGetDescr(relation);
	HeapTuple	newtuple = DBZ_CHANGE_NEWTUPLE(change);
	HeapTuple	oldtuple = DBZ_CHANGE_OLDTUPLE(change);
	Wal2dbzRecord rec = {0};
	bool		has_key;
	MemoryContext old;

	info = wal2dbz_relinfo_get(data, relation);
	if (!published(data, info))
		return;
	note_table_change(ctx, data, txn, change->lsn);
	if (!info->captured)
		return;
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			if (data->opt.skip_create || newtuple == NULL)
				return;
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			if (data->opt.skip_update || newtuple == NULL)
				return;
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			if (data->opt.skip_delete)
				return;
			if (oldtuple == NULL)
			{
				elog(DEBUG1, "didn't send DELETE change because of missing oldtuple");
				return;
			}
			break;
		default:
			Assert(false);
			return;
	}

	old = MemoryContextSwitchTo(data->context);

	/* the outbox router replaces the change event by the routed event */
	if (data->opt.outbox.enabled)
	{
		char		action = change->action == REORDER_BUFFER_CHANGE_INSERT ? 'c' :
			change->action == REORDER_BUFFER_CHANGE_UPDATE ? 'u' : 'd';

		if (wal2dbz_outbox_row(data, info, desc,
							   action == 'd' ? oldtuple : newtuple, action, &rec))
		{
			count_transaction_event(data, txn, info->data_collection, change->lsn);
			rec.change_lsn = change->lsn;
			rec.change_event = true;
			/* the router keeps the change event's headers, then adds its own */
			rec.flags |= WAL2DBZ_FRAME_F_CONTEXT_FIRST;
			emit_record(ctx, data, txn, &rec);
		}
		goto cleanup;
	}

	has_key = info->nkeys > 0;
	rec.topic = info->topic;
	rec.change_lsn = change->lsn;
	rec.schema_id = table_schema_id(ctx, data, info);
	rec.change_event = true;
	rec.info = info;

	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			rec.op = 'c';
			if (has_key)
				build_key(&data->key, data, info, desc, newtuple);
			build_value(ctx, data, txn, info, desc, NULL, newtuple, NULL, 'c',
						change->lsn);
			rec.key = has_key ? &data->key : NULL;
			rec.value = &data->value;
			emit_record(ctx, data, txn, &rec);
			break;

		case REORDER_BUFFER_CHANGE_UPDATE:
			if (has_key)
				build_key(&data->key, data, info, desc, newtuple);
			/*
			 * With an old tuple (its key changed, or REPLICA IDENTITY FULL),
			 * Debezium compares the key built from it, absent key columns
			 * included, with the new key.
			 */
			if (oldtuple && has_key)
			{
				StringInfoData old_key;

				/* a changed key is a delete of the old and a create of the new */
				initStringInfo(&old_key);
				build_key(&old_key, data, info, desc, oldtuple);
				if (old_key.len != data->key.len ||
					memcmp(old_key.data, data->key.data, old_key.len) != 0)
				{
					RecordHeader header;

					header.name = "__debezium.newkey";
					header.value = key_header_value(data, info, desc, newtuple);
					build_value(ctx, data, txn, info, desc, oldtuple, NULL, NULL, 'd',
								change->lsn);
					rec.op = 'd';
					rec.key = &old_key;
					rec.value = &data->value;
					rec.headers = &header;
					rec.nheaders = 1;
					emit_record(ctx, data, txn, &rec);
					if (data->opt.tombstones_on_delete)
					{
						Wal2dbzRecord tombstone = rec;

						/* the tombstone keeps the __debezium.newkey header */
						tombstone.value = NULL;
						tombstone.flags = WAL2DBZ_FRAME_F_TOMBSTONE;
						emit_record(ctx, data, txn, &tombstone);
					}
					header.name = "__debezium.oldkey";
					header.value = key_header_value(data, info, desc, oldtuple);
					build_value(ctx, data, txn, info, desc, NULL, newtuple, oldtuple, 'c',
								change->lsn);
					rec.op = 'c';
					rec.key = &data->key;
					emit_record(ctx, data, txn, &rec);
					goto cleanup;
				}
			}
			build_value(ctx, data, txn, info, desc, oldtuple, newtuple, oldtuple, 'u',
						change->lsn);
			rec.op = 'u';
			rec.key = has_key ? &data->key : NULL;
			rec.value = &data->value;
			emit_record(ctx, data, txn, &rec);
			break;

		case REORDER_BUFFER_CHANGE_DELETE:
			if (has_key)
				build_key(&data->key, data, info, desc, oldtuple);
			build_value(ctx, data, txn, info, desc, oldtuple, NULL, NULL, 'd',
						change->lsn);
			rec.op = 'd';
			rec.key = has_key ? &data->key : NULL;
			rec.value = &data->value;
			emit_record(ctx, data, txn, &rec);
			if (data->opt.tombstones_on_delete)
			{
				rec.value = NULL;
				rec.flags = WAL2DBZ_FRAME_F_TOMBSTONE;
				emit_record(ctx, data, txn, &rec);
			}
			break;

		default:
			Assert(false);
	}

cleanup:
	MemoryContextSwitchTo(old);
	MemoryContextReset(data->context);
	release_large_buffers(ctx, data);
}

/* TRUNCATE: one "t" event per captured table, with a null key. */
static void
wal2dbz_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				 int nrelations, Relation relations[],
				 ReorderBufferChange *change)
{
	Wal2dbzData *data = ctx->output_plugin_private;
	MemoryContext old;
	bool		any_published = false;

	for (int i = 0; i < nrelations && !any_published; i++)
		any_published = published(data, wal2dbz_relinfo_get(data, relations[i]));
	if (!any_published)
		return;
	note_table_change(ctx, data, txn, change->lsn);
	if (data->opt.skip_truncate)
		return;

	old = MemoryContextSwitchTo(data->context);
	for (int i = 0; i < nrelations; i++)
	{
		Wal2dbzRelInfo *info = wal2dbz_relinfo_get(data, relations[i]);
		Wal2dbzRecord rec = {0};

		if (!info->captured)
			continue;
		build_value(ctx, data, txn, info, RelationGetDescr(relations[i]),
					NULL, NULL, NULL, 't', change->lsn);
		rec.topic = info->topic;
		rec.value = &data->value;
		rec.change_lsn = change->lsn;
		rec.schema_id = table_schema_id(ctx, data, info);
		rec.change_event = true;
		rec.op = 't';
		rec.info = info;
		emit_record(ctx, data, txn, &rec);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(data->context);
}

/* Message key and value schemas (Debezium's LogicalDecodingMessageMonitor). */
static const char message_key_schema[] =
"{\"type\":\"struct\",\"fields\":[{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageKey\",\"version\":1}";

/*
 * A pg_logical_emit_message() message: a record on <prefix>.message keyed
 * by its prefix, in Debezium's MessageValue envelope.
 */
static void
wal2dbz_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				XLogRecPtr message_lsn, bool transactional,
				const char *prefix, Size message_size, const char *message)
{
	Wal2dbzData *data = ctx->output_plugin_private;
	Wal2dbzRecord rec = {0};
	StringInfo	out;
	int64		unix_us;
	MemoryContext old;

	/* pgoutput sends a transaction with a message; Debezium opens it */
	if (transactional)
		note_table_change(ctx, data, txn, message_lsn);
	if (!wal2dbz_filter_allows(&data->opt.message_filter, prefix))
		return;

	/* wal2dbz.emit_event(): published as the outbox router publishes a row */
	if (transactional && strcmp(prefix, WAL2DBZ_OUTBOX_PREFIX) == 0)
	{
		old = MemoryContextSwitchTo(data->context);
		wal2dbz_outbox_event(data, message, message_size, &rec);
		rec.change_lsn = message_lsn;
		/* with the headers a routed outbox row has */
		rec.change_event = true;
		rec.flags |= WAL2DBZ_FRAME_F_CONTEXT_FIRST;
		emit_record(ctx, data, txn, &rec);
		MemoryContextSwitchTo(old);
		MemoryContextReset(data->context);
		return;
	}

	old = MemoryContextSwitchTo(data->context);
	resetStringInfo(&data->key);
	if (data->opt.key_schemas)
		appendStringInfo(&data->key, "{\"schema\":%s,\"payload\":", message_key_schema);
	appendStringInfoLiteral(&data->key, "{\"prefix\":");
	json_append_string(&data->key, prefix);
	appendStringInfoChar(&data->key, '}');
	if (data->opt.key_schemas)
		appendStringInfoChar(&data->key, '}');

	/*
	 * A non-transactional message has no commit: Debezium keeps the time of
	 * the last commit it saw, or uses the current time.
	 */
	if (transactional)
		unix_us = txn_commit_us(txn);
	else if (data->last_commit_time != 0)
		unix_us = data->last_commit_time + UNIX_EPOCH_OFFSET_USECS;
	else
		unix_us = wal2dbz_now_ns() / 1000;

	out = &data->value;
	resetStringInfo(out);
	if (data->opt.value_schemas)
	{
		appendStringInfoString(out, "{\"schema\":{\"type\":\"struct\",\"fields\":["
							   "{\"type\":\"string\",\"optional\":false,\"field\":\"op\"},"
							   "{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"},");
		appendStringInfoString(out, wal2dbz_source_schema);
		appendStringInfoChar(out, ',');
		appendStringInfoString(out, wal2dbz_transaction_schema);
		appendStringInfo(out, ",{\"type\":\"struct\",\"fields\":["
						 "{\"type\":\"string\",\"optional\":true,\"field\":\"prefix\"},"
						 "{\"type\":\"%s\",\"optional\":true,\"field\":\"content\"}],"
						 "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Message\","
						 "\"version\":1,\"field\":\"message\"}],"
						 "\"optional\":false,\"name\":\"io.debezium.connector.postgresql.MessageValue\","
						 "\"version\":1},\"payload\":",
						 data->opt.binary_mode == BINARY_BYTES ? "bytes" : "string");
	}
	appendStringInfo(out, "{\"op\":\"m\",\"ts_ms\":" INT64_FORMAT ",\"source\":",
					 wal2dbz_now_ns() / 1000000);
	append_source(out, data, transactional ? txn : NULL,
				  ",\"schema\":\"\",\"table\":\"\",\"txId\":", message_lsn, unix_us);
	appendStringInfoLiteral(out, ",\"transaction\":");
	if (transactional)
	{
		/*
		 * Debezium counts each message under a collection named after a
		 * fresh Java object (class@identity-hash); any hash is as good as
		 * the JVM's, so derive one from the message's position.
		 */
		char	   *collection =
			psprintf("io.debezium.connector.postgresql.LogicalDecodingMessageMonitor$LogicalDecodingMessageId@%x",
					 (unsigned) (hash_bytes_uint32((uint32) message_lsn) & 0x7fffffff));

		append_transaction_block(out, data, txn, collection, true, message_lsn);
	}
	else
		appendStringInfoLiteral(out, "null");
	appendStringInfoLiteral(out, ",\"message\":{\"prefix\":");
	json_append_string(out, prefix);
	appendStringInfoLiteral(out, ",\"content\":");
	if (data->opt.binary_mode == BINARY_HEX)
		json_append_hex(out, (const unsigned char *) message, message_size);
	else
		json_append_base64(out, (const unsigned char *) message, message_size,
						   data->opt.binary_mode == BINARY_BASE64_URL);
	appendStringInfoLiteral(out, "}}");
	if (data->opt.value_schemas)
		appendStringInfoChar(out, '}');

	rec.topic = psprintf("%s.message", data->opt.topic_prefix);
	rec.key = &data->key;
	rec.value = out;
	rec.flags = WAL2DBZ_FRAME_F_MESSAGE;
	rec.change_lsn = message_lsn;
	emit_record(ctx, data, transactional ? txn : NULL, &rec);

	MemoryContextSwitchTo(old);
	MemoryContextReset(data->context);
}

/*
 * COMMIT: close the transaction's metadata (END), mark its end for a framed
 * consumer, and remember its end LSN for the next events' "sequence".
 */
static void
wal2dbz_commit_txn(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				   XLogRecPtr commit_lsn)
{
	Wal2dbzData *data = ctx->output_plugin_private;
	Wal2dbzTxnData *txndata = txn->output_plugin_private;
	bool		skipped = !txndata->wrote_records;

	if (txndata->began)
		emit_txmeta(ctx, data, txn, true, txn->end_lsn);
	if (txndata->wrote_records && data->opt.format == OUTPUT_FRAMED)
	{
		wal2dbz_append_frame(frame_begin(ctx, data), WAL2DBZ_FRAME_COMMIT, NULL,
							 txn->end_lsn, txn->xid, data);
		frame_end(ctx, data, true);
	}

	/*
	 * Debezium's "sequence" names the last commit it processed; pgoutput
	 * sends it every transaction that touched a published table.
	 */
	if (txndata->had_change)
	{
		data->last_commit_lsn = txn->end_lsn;
		data->last_commit_time = DBZ_TXN_COMMIT_TIME(txn);
	}

	txn->output_plugin_private = NULL;
	MemoryContextReset(data->txn_context);
	DBZ_UPDATE_PROGRESS(ctx, skipped);
}
