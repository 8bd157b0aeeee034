/*-------------------------------------------------------------------------
 *
 * envelope.c
 *	  Parts of a record shared by streamed and snapshot events: the source
 *	  block, the envelope's processing times, and the binary frame.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/envelope.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "replication/origin.h"

#include "wal2dbz.h"
#include "wal2dbz_frame.h"

/*
 * Render the session's constant strings (the source block's head and the
 * database name) and create the key and value buffers, in the current
 * memory context.  Options and dbname must be set.
 */
void
wal2dbz_session_strings(Wal2dbzData *data)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoLiteral(&buf, "{\"version\":");
	json_append_string(&buf, data->opt.source_version);
	appendStringInfoLiteral(&buf, ",\"connector\":\"postgresql\",\"name\":");
	json_append_string(&buf, data->opt.topic_prefix);
	appendStringInfoLiteral(&buf, ",\"ts_ms\":");
	data->source_head = buf.data;
	initStringInfo(&buf);
	appendStringInfoLiteral(&buf, ",\"db\":");
	json_append_string(&buf, data->dbname);
	data->db_json = buf.data;

	initStringInfo(&data->key);
	initStringInfo(&data->value);
	initStringInfo(&data->unwrapped);
}

/* Append a big-endian integer of "bytes" bytes. */
static void
append_be(StringInfo out, uint64 value, int bytes)
{
	char		buf[8];

	for (int i = bytes - 1; i >= 0; i--)
	{
		buf[i] = (char) (value & 0xFF);
		value >>= 8;
	}
	wal2dbz_append(out, buf, bytes);
}

/* Append one frame header: name, then value (NULL: a null header). */
static void
append_frame_header(StringInfo out, const char *name, const char *value)
{
	append_be(out, strlen(name), 2);
	appendStringInfoString(out, name);
	if (value == NULL)
	{
		append_be(out, (uint32) -1, 4);
		return;
	}
	append_be(out, strlen(value), 4);
	appendStringInfoString(out, value);
}

/*
 * Append the header and body of one frame (wal2dbz_frame.h).  A table event
 * is flagged so that the consumer adds Debezium's context headers: they are
 * the same for every record of a run, so they do not travel with each one.
 */
void
wal2dbz_append_frame(StringInfo out, char kind, const Wal2dbzRecord *rec,
					 XLogRecPtr commit_lsn, TransactionId xid,
					 const Wal2dbzData *data)
{
	int			topic_len = rec && rec->topic ? strlen(rec->topic) : 0;
	uint8		flags = rec ? rec->flags : 0;

	/* a record referring to a SCHEMA frame takes its topic from there */
	if (kind == WAL2DBZ_FRAME_RECORD && rec->schema_id != 0)
		topic_len = 0;

	appendStringInfoCharMacro(out, WAL2DBZ_FRAME_MAGIC);
	appendStringInfoCharMacro(out, WAL2DBZ_FRAME_VERSION);
	appendStringInfoCharMacro(out, kind);
	if (rec && rec->change_event)
		flags |= WAL2DBZ_FRAME_F_CHANGE_EVENT;
	appendStringInfoCharMacro(out, flags);
	append_be(out, rec ? rec->change_lsn : 0, 8);
	append_be(out, commit_lsn, 8);
	append_be(out, xid, 4);
	append_be(out, rec ? rec->schema_id : 0, 4);
	append_be(out, topic_len, 2);
	append_be(out, rec ? rec->nheaders : 0, 2);
	append_be(out, rec && rec->key ? (uint32) rec->key->len : (uint32) -1, 4);
	append_be(out, rec && rec->value ? (uint32) rec->value->len : (uint32) -1, 4);
	if (rec == NULL)
		return;
	wal2dbz_append(out, rec->topic, topic_len);
	if (rec->key)
		wal2dbz_append(out, rec->key->data, rec->key->len);
	if (rec->value)
		wal2dbz_append(out, rec->value->data, rec->value->len);
	for (int i = 0; i < rec->nheaders; i++)
		append_frame_header(out, rec->headers[i].name, rec->headers[i].value);
}

/* The current wall-clock time in nanoseconds since the Unix epoch. */
int64
wal2dbz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64) ts.tv_sec * INT64CONST(1000000000) + ts.tv_nsec;
}

/*
 * Append the source block's fields from "version" to "sequence"'s second
 * element, the LSN itself excluded: {"version":..,..,"sequence":"[..,\"
 * "snapshot" is the snapshot marker of a snapshot record, NULL for a
 * streamed event.
 */
void
wal2dbz_append_source_head(StringInfo out, Wal2dbzData *data, int64 unix_us,
						   const char *snapshot)
{
	/* java's Instant.toEpochMilli() floors */
	int64		ms = unix_us >= 0 ? unix_us / 1000 : -((-unix_us + 999) / 1000);

	appendStringInfoString(out, data->source_head);
	json_append_int64(out, ms);
	/* a streamed event has no marker: JsonConverter writes the default */
	if (snapshot != NULL)
	{
		appendStringInfoLiteral(out, ",\"snapshot\":\"");
		appendStringInfoString(out, snapshot);
		appendStringInfoCharMacro(out, '"');
	}
	else if (data->opt.replace_null_with_default)
		appendStringInfoLiteral(out, ",\"snapshot\":\"false\"");
	else
		appendStringInfoLiteral(out, ",\"snapshot\":null");
	appendStringInfoString(out, data->db_json);
	appendStringInfoLiteral(out, ",\"sequence\":\"[");
	if (XLogRecPtrIsInvalid(data->last_commit_lsn))
		appendStringInfoLiteral(out, "null");
	else
		appendStringInfo(out, "\\\"" UINT64_FORMAT "\\\"", (uint64) data->last_commit_lsn);
	appendStringInfoLiteral(out, ",\\\"");
}

/* Append the rest of "sequence" after its LSN, then ts_us and ts_ns. */
void
wal2dbz_append_source_times(StringInfo out, int64 unix_us)
{
	appendStringInfoLiteral(out, "\\\"]\",\"ts_us\":");
	json_append_int64(out, unix_us);
	appendStringInfoLiteral(out, ",\"ts_ns\":");
	json_append_int64(out, unix_us * 1000);
}

/* Append the source block's end: xmin and the replication origin. */
void
wal2dbz_append_source_tail(StringInfo out, RepOriginId origin_id,
						   XLogRecPtr origin_lsn)
{
	appendStringInfoLiteral(out, ",\"xmin\":null,\"origin\":");
	if (origin_id != InvalidRepOriginId)
	{
		char	   *origin = NULL;

		if (replorigin_by_oid(origin_id, true, &origin))
			json_append_string(out, origin);
		else
			appendStringInfoLiteral(out, "null");
		appendStringInfoLiteral(out, ",\"origin_lsn\":");
		json_append_int64(out, (int64) origin_lsn);
		appendStringInfoCharMacro(out, '}');
	}
	else
		appendStringInfoLiteral(out, "null,\"origin_lsn\":null}");
}

/* Append "ts_ms","ts_us","ts_ns" of the envelope: processing time. */
void
wal2dbz_append_envelope_times(StringInfo out)
{
	int64		ns = wal2dbz_now_ns();

	appendStringInfoLiteral(out, ",\"ts_ms\":");
	json_append_int64(out, ns / 1000000);
	appendStringInfoLiteral(out, ",\"ts_us\":");
	json_append_int64(out, ns / 1000);
	appendStringInfoLiteral(out, ",\"ts_ns\":");
	json_append_int64(out, ns);
}



/*
 * Append a SCHEMA frame of a relation: its topic, key prefix and the given
 * value prefix (the relation's, or another for records of another shape).
 */
void
wal2dbz_append_schema_frame(StringInfo out, const Wal2dbzRelInfo *info,
							const char *value_prefix, uint32 schema_id,
							const Wal2dbzData *data)
{
	Wal2dbzRecord rec = {0};
	StringInfoData key;
	StringInfoData value;

	key.data = info->key_prefix;
	key.len = strlen(info->key_prefix);
	value.data = unconstify(char *, value_prefix);
	value.len = strlen(value_prefix);
	rec.topic = info->topic;
	rec.key = &key;
	rec.value = &value;
	rec.schema_id = schema_id;
	wal2dbz_append_frame(out, WAL2DBZ_FRAME_SCHEMA, &rec, InvalidXLogRecPtr,
						 InvalidTransactionId, data);
}
