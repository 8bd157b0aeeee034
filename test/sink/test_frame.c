/*-------------------------------------------------------------------------
 *
 * test_frame.c
 *	  Unit tests of the frame parser (sink/frame.c), in TAP.
 *
 * Frames are encoded here by hand from plugin/wal2dbz_frame.h, then fed
 * whole, truncated at every length, and corrupted.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  test/sink/test_frame.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "schema.h"
#include "tap.h"
#include "wal2dbz_frame.h"

/* an encoding buffer */
typedef struct Enc
{
	char		buf[4096];
	size_t		len;
} Enc;

/* Append big-endian integers and raw bytes to an Enc. */
static void
put8(Enc *e, uint8_t v)
{
	e->buf[e->len++] = (char) v;
}

/* See put8(). */
static void
put16(Enc *e, uint16_t v)
{
	put8(e, (uint8_t) (v >> 8));
	put8(e, (uint8_t) v);
}

/* See put8(). */
static void
put32(Enc *e, uint32_t v)
{
	put16(e, (uint16_t) (v >> 16));
	put16(e, (uint16_t) v);
}

/* See put8(). */
static void
put64(Enc *e, uint64_t v)
{
	put32(e, (uint32_t) (v >> 32));
	put32(e, (uint32_t) v);
}

/* See put8(). */
static void
putbytes(Enc *e, const char *s, size_t n)
{
	memcpy(e->buf + e->len, s, n);
	e->len += n;
}

/* one header to encode; value NULL means a null value */
typedef struct Hdr
{
	const char *name;
	const char *value;
} Hdr;

/* the schema id encode() writes; tests set it before encoding */
static uint32_t next_schema_id = 0;

/* Encode a frame; key or value NULL means null. */
static void
encode(Enc *e, char kind, uint8_t flags, uint64_t change_lsn,
	   uint64_t commit_lsn, uint32_t xid, const char *topic,
	   const char *key, const char *value, const Hdr *hdrs, int nhdrs)
{
	int			i;

	e->len = 0;
	put8(e, WAL2DBZ_FRAME_MAGIC);
	put8(e, WAL2DBZ_FRAME_VERSION);
	put8(e, (uint8_t) kind);
	put8(e, flags);
	put64(e, change_lsn);
	put64(e, commit_lsn);
	put32(e, xid);
	put32(e, next_schema_id);
	put16(e, (uint16_t) (topic ? strlen(topic) : 0));
	put16(e, (uint16_t) nhdrs);
	put32(e, key ? (uint32_t) strlen(key) : (uint32_t) -1);
	put32(e, value ? (uint32_t) strlen(value) : (uint32_t) -1);
	if (topic)
		putbytes(e, topic, strlen(topic));
	if (key)
		putbytes(e, key, strlen(key));
	if (value)
		putbytes(e, value, strlen(value));
	for (i = 0; i < nhdrs; i++)
	{
		put16(e, (uint16_t) strlen(hdrs[i].name));
		putbytes(e, hdrs[i].name, strlen(hdrs[i].name));
		put32(e, hdrs[i].value ? (uint32_t) strlen(hdrs[i].value) : (uint32_t) -1);
		if (hdrs[i].value)
			putbytes(e, hdrs[i].value, strlen(hdrs[i].value));
	}
}

/* Is the n-byte region at p equal to the string s? */
static bool
bytes_eq(const char *p, size_t n, const char *s)
{
	return p != NULL && n == strlen(s) && memcmp(p, s, n) == 0;
}

/* Every prefix of a valid frame must be rejected. */
static bool
all_prefixes_fail(const Enc *e)
{
	SinkFrame	f;
	char		err[256];
	size_t		n;
	size_t		consumed;

	for (n = 0; n < e->len; n++)
	{
		/* a copy of exactly n bytes, so that tools see any overread */
		char	   *copy = malloc(n ? n : 1);
		bool		ok;

		memcpy(copy, e->buf, n);
		ok = sink_frame_parse(copy, n, &f, &consumed, err, sizeof(err));
		free(copy);
		if (ok)
		{
			printf("# prefix of %zu bytes accepted\n", n);
			return false;
		}
	}
	return true;
}

/* Valid frames, every truncation, corruptions, schemas. */
int
main(void)
{
	Enc			e;
	SinkFrame	f;
	SinkFrameHeader h;
	char		err[256];
	size_t		pos;
	size_t		consumed;
	Hdr			hdrs[] = {{"__debezium.context", "abc"}, {"empty", ""},
	{"nullval", NULL}};

	/* a record with headers */
	encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x1122334455667788ULL,
		   0x99AABBCCDDEEFF00ULL, 4242, "srv.public.t", "{\"id\":1}",
		   "{\"op\":\"c\"}", hdrs, 3);
	tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "record with headers parses");
	tap_ok(f.kind == WAL2DBZ_FRAME_RECORD && f.flags == 0, "kind and flags");
	tap_ok(f.change_lsn == 0x1122334455667788ULL, "change LSN big-endian");
	tap_ok(f.commit_lsn == 0x99AABBCCDDEEFF00ULL, "commit LSN big-endian");
	tap_ok(f.xid == 4242, "xid");
	tap_ok(bytes_eq(f.topic, f.topic_len, "srv.public.t"), "topic");
	tap_ok(f.key_len == 8 && bytes_eq(f.key, 8, "{\"id\":1}"), "key");
	tap_ok(bytes_eq(f.value, (size_t) f.value_len, "{\"op\":\"c\"}"), "value");
	tap_ok(f.nheaders == 3, "three headers");
	pos = 0;
	tap_ok(sink_frame_header_next(&f, &pos, &h) &&
		   bytes_eq(h.name, h.name_len, "__debezium.context") &&
		   bytes_eq(h.value, (size_t) h.value_len, "abc"), "first header");
	tap_ok(sink_frame_header_next(&f, &pos, &h) &&
		   bytes_eq(h.name, h.name_len, "empty") && h.value != NULL &&
		   h.value_len == 0, "empty header value");
	tap_ok(sink_frame_header_next(&f, &pos, &h) &&
		   bytes_eq(h.name, h.name_len, "nullval") && h.value == NULL &&
		   h.value_len == -1, "null header value");
	tap_ok(!sink_frame_header_next(&f, &pos, &h), "no fourth header");
	tap_ok(all_prefixes_fail(&e), "every truncation of it is rejected");

	/* a tombstone: null value */
	encode(&e, WAL2DBZ_FRAME_RECORD, WAL2DBZ_FRAME_F_TOMBSTONE, 0x10, 0x20, 1,
		   "srv.public.t", "{\"id\":1}", NULL, NULL, 0);
	tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "tombstone parses");
	tap_ok(f.value == NULL && f.value_len == -1 &&
		   (f.flags & WAL2DBZ_FRAME_F_TOMBSTONE), "tombstone has a null value");
	tap_ok(all_prefixes_fail(&e), "every truncation of the tombstone is rejected");

	/* a null key, empty value */
	encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, "t", NULL, "", NULL, 0);
	tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
		   f.key == NULL && f.key_len == -1 && f.value != NULL &&
		   f.value_len == 0, "null key and empty value");

	/* a COMMIT */
	encode(&e, WAL2DBZ_FRAME_COMMIT, 0, 0, 0x20, 1, NULL, NULL, NULL, NULL, 0);
	tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
		   f.kind == WAL2DBZ_FRAME_COMMIT && f.commit_lsn == 0x20,
		   "COMMIT parses");
	tap_ok(all_prefixes_fail(&e), "every truncation of the COMMIT is rejected");

	/* two frames back to back (framed.batch.bytes), walked one by one */
	{
		Enc			two;
		size_t		first_len;
		size_t		at;

		encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 7, "t", "k1", "v1",
			   hdrs, 1);
		memcpy(two.buf, e.buf, e.len);
		first_len = e.len;
		encode(&e, WAL2DBZ_FRAME_COMMIT, 0, 0, 0x20, 7, NULL, NULL, NULL,
			   NULL, 0);
		memcpy(two.buf + first_len, e.buf, e.len);
		two.len = first_len + e.len;
		tap_ok(sink_frame_parse(two.buf, two.len, &f, &consumed, err, sizeof(err)) &&
			   consumed == first_len && f.kind == WAL2DBZ_FRAME_RECORD &&
			   bytes_eq(f.value, (size_t) f.value_len, "v1"),
			   "batch: first frame");
		at = consumed;
		tap_ok(sink_frame_parse(two.buf + at, two.len - at, &f, &consumed, err,
								sizeof(err)) &&
			   at + consumed == two.len && f.kind == WAL2DBZ_FRAME_COMMIT,
			   "batch: second frame ends the message");
		tap_ok(all_prefixes_fail(&e), "every truncation of the second is rejected");
	}

	/* corruptions */
	encode(&e, WAL2DBZ_FRAME_COMMIT, 0, 0, 0, 1, NULL, NULL, NULL, NULL, 0);
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "COMMIT without a commit LSN rejected");
	encode(&e, WAL2DBZ_FRAME_COMMIT, 0, 0, 0x20, 1, "t", NULL, NULL, NULL, 0);
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "COMMIT with a topic rejected");
	encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, NULL, "k", "v", NULL, 0);
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "RECORD without a topic rejected");

	encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, "t", "k", "v", NULL, 0);
	e.buf[0] = '{';
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
		   strstr(err, "framed mode") != NULL,
		   "plain JSON instead of a frame: says framed mode");
	e.buf[0] = WAL2DBZ_FRAME_MAGIC;
	e.buf[1] = WAL2DBZ_FRAME_VERSION + 1;
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
		   strstr(err, "version") != NULL, "unknown version rejected");
	e.buf[1] = WAL2DBZ_FRAME_VERSION;
	e.buf[WAL2DBZ_FRAME_OFF_KIND] = 'X';
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "unknown kind rejected");
	e.buf[WAL2DBZ_FRAME_OFF_KIND] = WAL2DBZ_FRAME_RECORD;
	tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "restored frame parses");

	/* a frame ends at its own length; what follows is the next frame */
	e.buf[e.len++] = 'x';
	tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
		   consumed == e.len - 1, "a frame stops at its own length");
	tap_ok(!sink_frame_parse(e.buf + consumed, e.len - consumed, &f, &consumed,
							 err, sizeof(err)) &&
		   strstr(err, "too small") != NULL, "a stray byte after it is no frame");
	e.len--;

	/* a key length below -1 */
	e.buf[WAL2DBZ_FRAME_OFF_KEY_LEN] = (char) 0xff;
	e.buf[WAL2DBZ_FRAME_OFF_KEY_LEN + 1] = (char) 0xff;
	e.buf[WAL2DBZ_FRAME_OFF_KEY_LEN + 2] = (char) 0xff;
	e.buf[WAL2DBZ_FRAME_OFF_KEY_LEN + 3] = (char) 0xfe;
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "key length -2 rejected");

	/* a huge value length */
	encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, "t", "k", "v", NULL, 0);
	e.buf[WAL2DBZ_FRAME_OFF_VALUE_LEN] = 0x7f;
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
		   strstr(err, "truncated") != NULL, "value length past the end rejected");

	/* a header count larger than the headers present */
	encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, "t", "k", "v", hdrs, 1);
	e.buf[WAL2DBZ_FRAME_OFF_NHEADERS + 1] = 2;
	tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
		   "missing header rejected");

	/* SCHEMA frames and assembly */
	{
		SinkSchemas schemas;
		SinkSchema *sc;
		char		out[256];
		size_t		n;
		const char *kp = "{\"schema\":{\"k\":1},\"payload\":";
		const char *vp = "{\"schema\":{\"v\":2},\"payload\":";

		sink_schemas_init(&schemas);
		next_schema_id = 3;
		encode(&e, WAL2DBZ_FRAME_SCHEMA, 0, 0, 0, 0, "srv.public.t", kp, vp,
			   NULL, 0);
		tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
			   f.kind == WAL2DBZ_FRAME_SCHEMA && f.schema_id == 3,
			   "SCHEMA frame parses with its id");
		tap_ok(all_prefixes_fail(&e), "every truncation of the SCHEMA is rejected");
		tap_ok(sink_schemas_add(&schemas, &f, err, sizeof(err)), "schema stored");
		tap_ok(sink_schemas_get(&schemas, 2) == NULL, "unsent id unknown");
		sc = sink_schemas_get(&schemas, 3);
		tap_ok(sc != NULL, "sent id known");

		n = sink_schema_assembled_len(sc->key_prefix, sc->key_prefix_len, 8);
		sink_schema_assemble(out, sc->key_prefix, sc->key_prefix_len,
							 "{\"id\":1}", 8);
		tap_ok(bytes_eq(out, n, "{\"schema\":{\"k\":1},\"payload\":{\"id\":1}}"),
			   "key assembled as prefix + payload + }");

		next_schema_id = 4;
		encode(&e, WAL2DBZ_FRAME_SCHEMA, 0, 0, 0, 0, "srv.public.u", "", "",
			   NULL, 0);
		tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
			   sink_schemas_add(&schemas, &f, err, sizeof(err)),
			   "SCHEMA with empty prefixes (schemas disabled)");
		sc = sink_schemas_get(&schemas, 4);
		n = sink_schema_assembled_len(sc->value_prefix, sc->value_prefix_len, 8);
		sink_schema_assemble(out, sc->value_prefix, sc->value_prefix_len,
							 "{\"id\":1}", 8);
		tap_ok(bytes_eq(out, n, "{\"id\":1}"), "empty prefix: payload alone");

		next_schema_id = 0;
		encode(&e, WAL2DBZ_FRAME_SCHEMA, 0, 0, 0, 0, "srv.public.u", "", "",
			   NULL, 0);
		tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
			   "SCHEMA with id 0 rejected");
		next_schema_id = 5;
		encode(&e, WAL2DBZ_FRAME_SCHEMA, 0, 0, 0, 0, "srv.public.u", NULL, "",
			   NULL, 0);
		tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
			   "SCHEMA with a null prefix rejected");

		next_schema_id = 3;
		encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, "srv.public.t",
			   "{\"id\":1}", NULL, NULL, 0);
		tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
			   f.schema_id == 3 && f.value == NULL,
			   "RECORD refers to its schema id; a tombstone stays null");
		encode(&e, WAL2DBZ_FRAME_RECORD, 0, 0x10, 0x20, 1, NULL,
			   "{\"id\":1}", "{}", NULL, 0);
		tap_ok(sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)) &&
			   f.topic_len == 0 && f.schema_id == 3,
			   "RECORD with a schema id may leave the topic to the schema");
		sc = sink_schemas_get(&schemas, 3);
		tap_ok(sc && bytes_eq(sc->topic, sc->topic_len, "srv.public.t"),
			   "the schema keeps its topic");
		encode(&e, WAL2DBZ_FRAME_SCHEMA, 0, 0, 0, 0, NULL, "", "", NULL, 0);
		tap_ok(!sink_frame_parse(e.buf, e.len, &f, &consumed, err, sizeof(err)),
			   "SCHEMA without a topic rejected");
		next_schema_id = 0;

		sink_schemas_reset(&schemas);
		tap_ok(sink_schemas_get(&schemas, 3) == NULL,
			   "reset forgets every schema (new decoding session)");
	}

	return tap_done();
}
