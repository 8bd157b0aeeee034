/*-------------------------------------------------------------------------
 *
 * frame.c
 *	  Parse one wal2dbz frame (plugin/wal2dbz_frame.h) from a buffer.
 *
 * The frame is the contract between the output plugin and the sink.  The
 * sink trusts nothing in it: every length is checked against the bytes
 * that arrived before anything is read, so a truncated or corrupt frame
 * is reported instead of read past its end.  Frames are self-delimiting,
 * so a message holding several is walked one frame at a time.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/frame.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "frame.h"
#include "wal2dbz_frame.h"

/* Read a big-endian uint16. */
uint16_t
sink_get_uint16(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return (uint16_t) ((u[0] << 8) | u[1]);
}

/* Read a big-endian uint32. */
uint32_t
sink_get_uint32(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return ((uint32_t) u[0] << 24) | ((uint32_t) u[1] << 16) |
		((uint32_t) u[2] << 8) | (uint32_t) u[3];
}

/* Read a big-endian uint64. */
uint64_t
sink_get_uint64(const char *p)
{
	return ((uint64_t) sink_get_uint32(p) << 32) | sink_get_uint32(p + 4);
}

/*
 * Check that a length field of a variable part fits in what remains.
 * Lengths of -1 mean null and take no bytes; anything below -1 is corrupt.
 */
static bool
check_length(const char *what, int64_t length, bool nullable,
			 size_t remaining, char *err, size_t errlen)
{
	if (length == -1 && nullable)
		return true;
	if (length < 0)
	{
		snprintf(err, errlen, "invalid %s length %" PRId64, what, length);
		return false;
	}
	if ((uint64_t) length > remaining)
	{
		snprintf(err, errlen,
				 "frame truncated: %s length %" PRId64 " but only %zu bytes remain",
				 what, length, remaining);
		return false;
	}
	return true;
}

/* Parse one frame; see frame.h. */
bool
sink_frame_parse(const char *buf, size_t len, SinkFrame *frame,
				 size_t *consumed, char *err, size_t errlen)
{
	size_t		pos;
	size_t		remaining;
	uint16_t	i;

	memset(frame, 0, sizeof(*frame));
	*consumed = 0;

	if (len < WAL2DBZ_FRAME_HEADER_SIZE)
	{
		snprintf(err, errlen, "frame too small: %zu bytes, header needs %d",
				 len, WAL2DBZ_FRAME_HEADER_SIZE);
		return false;
	}
	if (buf[0] != WAL2DBZ_FRAME_MAGIC)
	{
		snprintf(err, errlen,
				 "not a wal2dbz frame (first byte 0x%02x); is the plugin in framed mode?",
				 (unsigned char) buf[0]);
		return false;
	}
	if ((unsigned char) buf[1] != WAL2DBZ_FRAME_VERSION)
	{
		snprintf(err, errlen,
				 "plugin sent frame version %d but this sink only supports version %d",
				 (unsigned char) buf[1], WAL2DBZ_FRAME_VERSION);
		return false;
	}

	frame->kind = (uint8_t) buf[WAL2DBZ_FRAME_OFF_KIND];
	frame->flags = (uint8_t) buf[WAL2DBZ_FRAME_OFF_FLAGS];
	frame->change_lsn = sink_get_uint64(buf + WAL2DBZ_FRAME_OFF_CHANGE_LSN);
	frame->commit_lsn = sink_get_uint64(buf + WAL2DBZ_FRAME_OFF_COMMIT_LSN);
	frame->xid = sink_get_uint32(buf + WAL2DBZ_FRAME_OFF_XID);
	frame->schema_id = sink_get_uint32(buf + WAL2DBZ_FRAME_OFF_SCHEMA_ID);
	frame->topic_len = sink_get_uint16(buf + WAL2DBZ_FRAME_OFF_TOPIC_LEN);
	frame->nheaders = sink_get_uint16(buf + WAL2DBZ_FRAME_OFF_NHEADERS);
	frame->key_len = (int32_t) sink_get_uint32(buf + WAL2DBZ_FRAME_OFF_KEY_LEN);
	frame->value_len = (int32_t) sink_get_uint32(buf + WAL2DBZ_FRAME_OFF_VALUE_LEN);

	if (frame->kind != WAL2DBZ_FRAME_RECORD &&
		frame->kind != WAL2DBZ_FRAME_SCHEMA &&
		frame->kind != WAL2DBZ_FRAME_COMMIT)
	{
		snprintf(err, errlen, "unrecognized frame kind 0x%02x", frame->kind);
		return false;
	}

	pos = WAL2DBZ_FRAME_HEADER_SIZE;
	remaining = len - pos;

	/* topic */
	if (!check_length("topic", (int64_t) frame->topic_len, false, remaining,
					  err, errlen))
		return false;
	frame->topic = buf + pos;
	pos += frame->topic_len;
	remaining -= frame->topic_len;

	/* key */
	if (!check_length("key", frame->key_len, true, remaining, err, errlen))
		return false;
	if (frame->key_len >= 0)
	{
		frame->key = buf + pos;
		pos += (size_t) frame->key_len;
		remaining -= (size_t) frame->key_len;
	}

	/* value */
	if (!check_length("value", frame->value_len, true, remaining, err, errlen))
		return false;
	if (frame->value_len >= 0)
	{
		frame->value = buf + pos;
		pos += (size_t) frame->value_len;
		remaining -= (size_t) frame->value_len;
	}

	/* headers: walk them once so that iteration later cannot fail */
	frame->headers = buf + pos;
	for (i = 0; i < frame->nheaders; i++)
	{
		uint16_t	name_len;
		int32_t		value_len;

		if (remaining < 2)
		{
			snprintf(err, errlen, "frame truncated in header %d of %d",
					 i + 1, frame->nheaders);
			return false;
		}
		name_len = sink_get_uint16(buf + pos);
		pos += 2;
		remaining -= 2;
		if (!check_length("header name", name_len, false, remaining,
						  err, errlen))
			return false;
		pos += name_len;
		remaining -= name_len;
		if (remaining < 4)
		{
			snprintf(err, errlen, "frame truncated in header %d of %d",
					 i + 1, frame->nheaders);
			return false;
		}
		value_len = (int32_t) sink_get_uint32(buf + pos);
		pos += 4;
		remaining -= 4;
		if (!check_length("header value", value_len, true, remaining,
						  err, errlen))
			return false;
		if (value_len > 0)
		{
			pos += (size_t) value_len;
			remaining -= (size_t) value_len;
		}
	}
	frame->headers_len = (size_t) (buf + pos - frame->headers);

	/* a COMMIT carries no record */
	if (frame->kind == WAL2DBZ_FRAME_COMMIT &&
		(frame->topic_len != 0 || frame->key_len != -1 ||
		 frame->value_len != -1 || frame->nheaders != 0))
	{
		snprintf(err, errlen, "COMMIT frame carries a record");
		return false;
	}
	if (frame->kind == WAL2DBZ_FRAME_COMMIT && frame->commit_lsn == 0)
	{
		snprintf(err, errlen, "COMMIT frame without a commit LSN");
		return false;
	}
	/* a record names its topic, or takes its schema's */
	if (frame->kind == WAL2DBZ_FRAME_RECORD && frame->topic_len == 0 &&
		frame->schema_id == 0)
	{
		snprintf(err, errlen, "RECORD frame without a topic or a schema id");
		return false;
	}
	if (frame->kind == WAL2DBZ_FRAME_SCHEMA && frame->topic_len == 0)
	{
		snprintf(err, errlen, "SCHEMA frame without a topic");
		return false;
	}

	/* a SCHEMA carries two prefixes, possibly empty, under a non-zero id */
	if (frame->kind == WAL2DBZ_FRAME_SCHEMA &&
		(frame->schema_id == 0 || frame->key_len < 0 || frame->value_len < 0))
	{
		snprintf(err, errlen, "SCHEMA frame without an id or a prefix");
		return false;
	}
	*consumed = pos;
	return true;
}

/* Return the next header of a parsed frame. */
bool
sink_frame_header_next(const SinkFrame *frame, size_t *pos,
					   SinkFrameHeader *header)
{
	const char *p;

	if (*pos >= frame->headers_len)
		return false;
	p = frame->headers + *pos;
	header->name_len = sink_get_uint16(p);
	header->name = p + 2;
	p += 2 + header->name_len;
	header->value_len = (int32_t) sink_get_uint32(p);
	p += 4;
	header->value = header->value_len >= 0 ? p : NULL;
	if (header->value_len > 0)
		p += header->value_len;
	*pos = (size_t) (p - frame->headers);
	return true;
}
