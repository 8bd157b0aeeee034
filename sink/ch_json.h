/*-------------------------------------------------------------------------
 *
 * ch_json.h
 *	  A growing byte buffer and a small JSON scanner for the ClickHouse
 *	  stage of wal2dbz-sink.
 *
 * The stage reads every change event, so it does not build a tree for
 * each one: the scanner walks the bytes in place and hands out spans (a
 * pointer and a length into the record), and numbers and strings that
 * need no conversion are copied to the insert body as they are.  Schemas
 * are parsed with jansson, once per distinct schema (ch_schema.c).
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_json.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_JSON_H
#define SINK_CH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/*
 * A growing buffer.  After an allocation failure it stops growing and
 * sets oom; callers check oom once, where the content is used.
 */
typedef struct ChBuf
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} ChBuf;

extern void ch_buf_init(ChBuf *buf);
extern void ch_buf_free(ChBuf *buf);
extern void ch_buf_reset(ChBuf *buf);

/** @returns false (and sets oom) when \p extra more bytes cannot fit. */
extern bool ch_buf_reserve(ChBuf *buf, size_t extra);
extern void ch_buf_append(ChBuf *buf, const void *data, size_t len);
extern void ch_buf_puts(ChBuf *buf, const char *s);
extern void ch_buf_putc(ChBuf *buf, char c);
extern void ch_buf_printf(ChBuf *buf, const char *fmt,...) SINK_PRINTF(2, 3);

/** @brief Make data a NUL-terminated string (the NUL is not counted). */
extern const char *ch_buf_cstr(ChBuf *buf);

/** @brief Append \p len bytes as a JSON string (quotes included). */
extern void ch_buf_json_string(ChBuf *buf, const char *s, size_t len);

/* a JSON value or key as it appears in the input */
typedef struct ChSpan
{
	const char *p;
	size_t		len;
} ChSpan;

/* the kind of a JSON value, from its first byte */
typedef enum ChJsonType
{
	CHJ_INVALID = 0,
	CHJ_NULL,
	CHJ_BOOL,
	CHJ_NUMBER,
	CHJ_STRING,
	CHJ_ARRAY,
	CHJ_OBJECT
} ChJsonType;

/* Iterate the members of an object or the elements of an array. */
typedef struct ChJsonIter
{
	const char *p;
	const char *end;
	char		close;			/* '}' or ']' */
	bool		first;
} ChJsonIter;

/** @returns the kind of the value \p v. */
extern ChJsonType ch_json_type(ChSpan v);

/**
 * @brief Find the value that starts at or after \p p (white space
 * skipped) and ends before \p end.
 * @returns false if it is not well-formed JSON.
 */
extern bool ch_json_value(const char *p, const char *end, ChSpan *value);

/**
 * @brief Start iterating an object (\p v is '{...}') or an array.
 * @returns false if \p v is neither.
 */
extern bool ch_json_iter_object(ChJsonIter *it, ChSpan v);
extern bool ch_json_iter_array(ChJsonIter *it, ChSpan v);

/**
 * @brief The next member of an object: \p key is the key's raw text
 * without its quotes (escapes not decoded), \p value the value.
 * @returns 1 for a member, 0 at the end, -1 on malformed JSON.
 */
extern int	ch_json_next_member(ChJsonIter *it, ChSpan *key, ChSpan *value);

/** @brief The next element of an array; returns as ch_json_next_member. */
extern int	ch_json_next_element(ChJsonIter *it, ChSpan *value);

/** @returns true if the raw key \p key (escapes allowed) equals \p s. */
extern bool ch_json_key_is(ChSpan key, const char *s);

/**
 * @brief Find member \p name of object \p obj.
 * @returns false if \p obj is not an object or has no such member.
 */
extern bool ch_json_member(ChSpan obj, const char *name, ChSpan *value);

/**
 * @brief Decode a JSON string value (quotes included) into \p out
 * (appended, not NUL-terminated).
 * @returns false if \p v is not a well-formed string.
 */
extern bool ch_json_decode_string(ChSpan v, ChBuf *out);

/**
 * @brief Decode a raw key or string body (no quotes) into \p out.
 * @returns false on a malformed escape.
 */
extern bool ch_json_unescape(const char *p, size_t len, ChBuf *out);

/**
 * @brief Read an integer, bare or quoted ("123", as ClickHouse writes
 * 64-bit integers).
 * @returns false if \p v is not an integer that fits.
 */
extern bool ch_json_int64(ChSpan v, int64_t *result);
extern bool ch_json_uint64(ChSpan v, uint64_t *result);

/** @returns true if \p v is the string \p s (compared after decoding). */
extern bool ch_json_string_is(ChSpan v, const char *s);

/** @brief 64-bit FNV-1a of \p len bytes, for caches keyed by raw JSON. */
extern uint64_t ch_hash(const void *data, size_t len);

/**
 * @brief Decode standard or URL-safe Base64 (padding optional) into
 * \p out.
 * @returns false on a character outside both alphabets.
 */
extern bool ch_base64_decode(const char *p, size_t len, ChBuf *out);

#endif							/* SINK_CH_JSON_H */
