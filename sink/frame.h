/*-------------------------------------------------------------------------
 *
 * frame.h
 *	  Parse one wal2dbz frame (plugin/wal2dbz_frame.h) from a buffer.
 *
 * The parser never copies: a SinkFrame points into the buffer it was
 * parsed from, so it is valid only as long as that buffer (the libpq copy
 * buffer, freed at the top of the next loop iteration).
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/frame.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_FRAME_H
#define SINK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* one parsed frame; pointers refer to the parsed buffer */
typedef struct SinkFrame
{
	uint8_t		kind;			/* WAL2DBZ_FRAME_RECORD, _SCHEMA or _COMMIT */
	uint8_t		flags;			/* WAL2DBZ_FRAME_F_* */
	uint64_t	change_lsn;
	uint64_t	commit_lsn;		/* 0 for non-transactional records */
	uint32_t	xid;
	uint32_t	schema_id;		/* 0: key and value are complete */
	const char *topic;			/* not NUL-terminated */
	size_t		topic_len;
	const char *key;			/* NULL for a null key */
	int32_t		key_len;		/* -1 for a null key */
	const char *value;			/* NULL for a tombstone */
	int32_t		value_len;		/* -1 for a tombstone */
	uint16_t	nheaders;
	const char *headers;		/* the raw header block, already checked */
	size_t		headers_len;
} SinkFrame;

/* one Kafka header, as returned by sink_frame_header_next() */
typedef struct SinkFrameHeader
{
	const char *name;			/* not NUL-terminated */
	size_t		name_len;
	const char *value;			/* NULL for a null value */
	int32_t		value_len;		/* -1 for a null value */
} SinkFrameHeader;

/**
 * @brief Parse the frame that starts at \p buf, within \p len bytes.
 *
 * One replication message holds one frame, or several back to back (the
 * plugin's framed.batch.bytes), so the frame need not fill the buffer:
 * \p consumed is set to its length and the next frame, if any, starts
 * there.  Every length is checked against \p len before anything is read.
 * On failure \p err (of \p errlen bytes) says what is wrong.
 *
 * @returns true on success.
 */
extern bool sink_frame_parse(const char *buf, size_t len, SinkFrame *frame,
							 size_t *consumed, char *err, size_t errlen);

/**
 * @brief Iterate over the headers of a parsed frame.
 *
 * Start with *pos = 0.  The header block was validated by
 * sink_frame_parse(), so this cannot fail on a parsed frame.
 *
 * @returns false when there are no more headers.
 */
extern bool sink_frame_header_next(const SinkFrame *frame, size_t *pos,
								   SinkFrameHeader *header);

/* big-endian readers, shared with the replication protocol code */
extern uint16_t sink_get_uint16(const char *p);
extern uint32_t sink_get_uint32(const char *p);
extern uint64_t sink_get_uint64(const char *p);

#endif							/* SINK_FRAME_H */
