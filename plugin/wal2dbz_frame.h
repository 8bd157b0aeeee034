/*-------------------------------------------------------------------------
 *
 * wal2dbz_frame.h
 *	  The framed output format of the wal2dbz output plugin.
 *
 * With the plugin option "output.format" set to "framed", every logical
 * decoding message the plugin writes is exactly one frame: one Kafka record
 * (topic, key bytes, value bytes, headers) or one transaction marker.  The
 * key and value are the final Debezium JSON bytes; the consumer (the sink)
 * never parses them, it only reads this header and hands the bytes to the
 * Kafka producer.
 *
 * This header is shared by the plugin (backend code) and by wal2dbz-sink
 * (frontend code), so it uses only <stdint.h> types and no PostgreSQL
 * headers.
 *
 * Layout (all integers big-endian, as the replication protocol is):
 *
 *	offset size  field
 *	0      1     magic 'W'
 *	1      1     version (WAL2DBZ_FRAME_VERSION)
 *	2      1     kind (WAL2DBZ_FRAME_*)
 *	3      1     flags (WAL2DBZ_FRAME_F_*)
 *	4      8     change LSN (the WAL position of the change; 0 if none)
 *	12     8     commit LSN (end LSN of the commit record of the
 *				 transaction; 0 for non-transactional records)
 *	20     4     xid (top-level transaction id; 0 if none)
 *	24     4     schema id (0: key and value are complete; see SCHEMA)
 *	28     2     topic length T (0 for transaction markers)
 *	30     2     header count H
 *	32     4     key length K, or -1 for a null key
 *	36     4     value length V, or -1 for a null value (tombstone)
 *	40     T     topic (UTF-8, no terminator)
 *	..     K     key bytes
 *	..     V     value bytes
 *	..           H headers, each: name length (2), name, value length (4,
 *				 -1 for null), value
 *
 * Frame kinds:
 *	RECORD	a Kafka record (change event, tombstone, logical message, or a
 *			transaction BEGIN/END metadata record).
 *	SCHEMA	the Connect schema part of one table's records, sent once per
 *			decoding session before the first RECORD that refers to it (and
 *			again under a new id after the table changes).  Its key bytes
 *			are the key prefix ({"schema":...,"payload":) and its value bytes
 *			the value prefix; either is empty when schemas are disabled for
 *			it.  A RECORD with a non-zero schema id carries only payloads:
 *			the Kafka key is key prefix + key + "}" (just the key when the
 *			prefix is empty), likewise the value; null stays null; and its
 *			topic is the SCHEMA frame's (T = 0).  This
 *			keeps the schemas, often ten times the size of the payload, off
 *			the replication stream, while the consumer still only copies
 *			bytes.
 *	COMMIT	end of a transaction that produced at least one RECORD; carries
 *			no Kafka record (T = 0, K = V = -1).  A consumer may confirm the
 *			commit LSN to PostgreSQL once every RECORD before it has been
 *			durably delivered.
 *
 * One logical decoding message holds one frame, or, with the plugin option
 * framed.batch.bytes, several frames back to back (a batch never spans a
 * transaction's end: a COMMIT frame always ends its message).  Readers walk
 * a message frame by frame using the lengths.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/wal2dbz_frame.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef WAL2DBZ_FRAME_H
#define WAL2DBZ_FRAME_H

#include <stdint.h>

#define WAL2DBZ_FRAME_MAGIC			'W'
#define WAL2DBZ_FRAME_VERSION		1
#define WAL2DBZ_FRAME_HEADER_SIZE	40

/* frame kinds */
#define WAL2DBZ_FRAME_RECORD		'R'
#define WAL2DBZ_FRAME_COMMIT		'C'
#define WAL2DBZ_FRAME_SCHEMA		'S'

/* flags */
#define WAL2DBZ_FRAME_F_TOMBSTONE	0x01	/* value is null after a delete */
#define WAL2DBZ_FRAME_F_TXMETA		0x02	/* transaction BEGIN/END record */
#define WAL2DBZ_FRAME_F_MESSAGE		0x04	/* logical decoding message */
#define WAL2DBZ_FRAME_F_SNAPSHOT	0x08	/* snapshot (op "r") record */
#define WAL2DBZ_FRAME_F_CHANGE_EVENT 0x10	/* a table event (c, u, d, t, r or
											 * its tombstone): Debezium adds its
											 * __debezium.context.* headers
											 * (connectorLogicalName, taskId,
											 * connectorName, runId) after the
											 * record's own; the consumer does */
#define WAL2DBZ_FRAME_F_CONTEXT_FIRST 0x20	/* with CHANGE_EVENT: the context
											 * headers go before the record's
											 * own, as on a record Debezium's
											 * outbox router made from a change
											 * event */
#define WAL2DBZ_FRAME_F_CONTEXT_AT_MARKER 0x40	/* with CHANGE_EVENT: the
												 * context headers go where the
												 * record has a header with an
												 * empty name and a null value,
												 * which is not sent itself: after
												 * the change event's headers,
												 * before those a transform (the
												 * New Record State Extraction's
												 * add.headers) added */

/* field offsets, for readers that decode the header by hand */
#define WAL2DBZ_FRAME_OFF_KIND		2
#define WAL2DBZ_FRAME_OFF_FLAGS		3
#define WAL2DBZ_FRAME_OFF_CHANGE_LSN 4
#define WAL2DBZ_FRAME_OFF_COMMIT_LSN 12
#define WAL2DBZ_FRAME_OFF_XID		20
#define WAL2DBZ_FRAME_OFF_SCHEMA_ID	24
#define WAL2DBZ_FRAME_OFF_TOPIC_LEN	28
#define WAL2DBZ_FRAME_OFF_NHEADERS	30
#define WAL2DBZ_FRAME_OFF_KEY_LEN	32
#define WAL2DBZ_FRAME_OFF_VALUE_LEN	36

#endif							/* WAL2DBZ_FRAME_H */
