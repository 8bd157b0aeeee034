/*-------------------------------------------------------------------------
 *
 * ch_convert.h
 *	  Debezium JSON values to values ClickHouse's JSONEachRow accepts.
 *
 * A ChConv is prepared once per (event schema field, ClickHouse column)
 * pair and then applied to every value: numbers and strings that need no
 * change are copied as they are; Connect Decimals, dates, timestamps,
 * times and bytes are rewritten.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_convert.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_CONVERT_H
#define SINK_CH_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "ch_json.h"
#include "ch_schema.h"

/* what a conversion does */
typedef enum ChConvKind
{
	CV_PASS,					/* copy the JSON value */
	CV_STRING,					/* into a String: non-strings as their JSON text */
	CV_BYTES,					/* Base64 into the bytes themselves */
	CV_DECIMAL,					/* Connect Decimal / VariableScaleDecimal */
	CV_DATE,					/* days since 1970 into 'YYYY-MM-DD' */
	CV_TIMESTAMP,				/* epoch ms/us/ns or ISO-8601 into a date-time */
	CV_TIME,					/* ms/us/ns of the day into 'hh:mm:ss[.f]' */
	CV_ARRAY					/* each element with elem */
} ChConvKind;

/* which TOAST placeholder forms a column can carry (CH_PH_*) */
#define CH_PH_STRING	0x01	/* "__debezium_unavailable_value" */
#define CH_PH_BASE64	0x02	/* bytea: Base64 of the placeholder */
#define CH_PH_HSTORE	0x04	/* hstore as JSON text */
#define CH_PH_MAP		0x08	/* hstore as a map */
#define CH_PH_ARRAY		0x10	/* arrays: ["..."], [95,95,...], [uuid] */

/* one prepared conversion */
typedef struct ChConv
{
	ChConvKind	kind;
	bool		quoted;			/* CV_DECIMAL into a String: quote it */
	bool		nullable;		/* the column takes null; else omit the member */
	int			scale;			/* CV_DECIMAL: digits after the point; -1: from the value */
	int			unit;			/* CV_TIMESTAMP, CV_TIME: 3 ms, 6 us, 9 ns (integers) */
	int			digits;			/* CV_TIMESTAMP: fraction digits written; -1: as read */
	bool		date_only;		/* CV_TIMESTAMP into a Date column */
	int64_t		min;			/* clamp range: seconds (CV_TIMESTAMP) or days */
	int64_t		max;
	bool		clamp;
	int			placeholders;	/* CH_PH_* forms to recognise */
	bool		empty_omit;		/* UUID: "" (Debezium's fallback for a NOT NULL
								 * column missing from a delete's before image)
								 * is no UUID: leave it out, the default */
	struct ChConv *elem;		/* CV_ARRAY */
} ChConv;

/**
 * @brief Prepare the conversion of values of Connect type \p ct (NULL
 * when the events have no schema) into a column of type \p target.
 * @returns false when out of memory.
 */
extern bool ch_conv_init(ChConv *conv, const ChConnect *ct,
						 const ChType *target);
extern void ch_conv_free(ChConv *conv);

/* the JSON forms of unavailable.value.placeholder, computed once */
typedef struct ChPlaceholders
{
	char	   *string;			/* "ph" */
	char	   *base64;			/* "<base64 of ph>" */
	char	   *hstore;			/* "{\"ph\":\"ph\"}" */
	char	   *map;			/* {"ph":"ph"} */
	char	   *array_string;	/* ["ph"] */
	char	   *array_base64;	/* ["<base64>"] */
	char	   *array_bytes;	/* [95,95,...] */
	char	   *array_uuid;		/* [UUID.nameUUIDFromBytes(ph)], default ph only */
} ChPlaceholders;

/** @brief Compute the forms of \p placeholder. @returns false on OOM. */
extern bool ch_placeholders_init(ChPlaceholders *ph, const char *placeholder);
extern void ch_placeholders_free(ChPlaceholders *ph);

/** @returns true if \p v is a TOAST placeholder in a form \p conv allows. */
extern bool ch_conv_is_placeholder(const ChConv *conv,
								   const ChPlaceholders *ph, ChSpan v);

/* the outcome of converting one value */
typedef enum ChConvResult
{
	CH_CONV_OK,					/* written to out */
	CH_CONV_OMIT,				/* null into a non-Nullable column: leave it out */
	CH_CONV_BAD					/* not a value of this type (message in scratch) */
} ChConvResult;

/**
 * @brief Convert one value, appending it to \p out.  \p scratch is a
 * work buffer the caller keeps between calls.
 */
extern ChConvResult ch_conv_value(const ChConv *conv, ChSpan v, ChBuf *out,
								  ChBuf *scratch);

/**
 * @brief Two's complement big-endian bytes as a decimal with \p scale
 * digits after the point (Kafka Connect's Decimal).
 */
extern void ch_decimal_text(const unsigned char *bytes, size_t n, int scale,
							ChBuf *out);

#endif							/* SINK_CH_CONVERT_H */
