/*-------------------------------------------------------------------------
 *
 * json.c
 *	  JSON text exactly as Kafka Connect's JsonConverter (Jackson) writes it.
 *
 * Jackson escapes control characters with upper-case hex, writes other
 * non-ASCII characters raw except those outside the Basic Multilingual
 * Plane (escaped surrogate pairs), prints doubles the way Java's Double.toString
 * does and Base64 without line breaks.  Matching those rules byte for byte
 * is what lets a Debezium consumer read our records unchanged.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/json.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/base64.h"
#include "common/int.h"
#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "wal2dbz.h"

/* Which bytes below 0x80 need escaping, and how ('u' = \u00XX). */
static const char json_escape[128] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

static const char upper_hex[] = "0123456789ABCDEF";

/*
 * Append the UTF-8 character at p, which lies beyond the Basic Multilingual
 * Plane: the JVM holds it as a surrogate pair, which Jackson writes escaped.
 */
static void
append_surrogate_pair(StringInfo out, const unsigned char *p)
{
	uint32		cp = ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) |
		((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
	uint32		hi = 0xD800 + ((cp - 0x10000) >> 10);
	uint32		lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);
	char		buf[12] = {'\\', 'u', upper_hex[hi >> 12], upper_hex[(hi >> 8) & 15],
		upper_hex[(hi >> 4) & 15], upper_hex[hi & 15], '\\', 'u', upper_hex[lo >> 12],
	upper_hex[(lo >> 8) & 15], upper_hex[(lo >> 4) & 15], upper_hex[lo & 15]};

	wal2dbz_append(out, buf, 12);
}

/*
 * The escape of one character below 0x80 that JSON escapes (esc is its
 * json_escape entry).  Once: as Jackson writes it (\u00XX in upper case).
 * Twice: as it stands inside the JSON string of a jsonb document's text:
 * escape_json()'s escape for jsonb_out() (\u00xx in lower case), escaped
 * again by Jackson, which doubles its backslash (and escapes a quote).
 */
static inline void
append_escape(StringInfo out, unsigned char c, char esc, bool twice)
{
	static const char lower_hex[] = "0123456789abcdef";

	if (!twice && esc == 'u')
	{
		char		buf[6] = {'\\', 'u', '0', '0', upper_hex[c >> 4], upper_hex[c & 15]};

		wal2dbz_append(out, buf, 6);
	}
	else if (!twice)
	{
		char		buf[2] = {'\\', esc};

		wal2dbz_append(out, buf, 2);
	}
	else if (esc == 'u')
	{
		char		buf[7] = {'\\', '\\', 'u', '0', '0', lower_hex[c >> 4],
		lower_hex[c & 15]};

		wal2dbz_append(out, buf, 7);
	}
	else if (esc == '"' || esc == '\\')
	{
		/* \" and \\ in the document's text: each character escaped */
		char		buf[4] = {'\\', '\\', '\\', esc};

		wal2dbz_append(out, buf, 4);
	}
	else
	{
		char		buf[3] = {'\\', '\\', esc};

		wal2dbz_append(out, buf, 3);
	}
}

/*
 * Append str (len bytes) as a quoted JSON string, escaped once or twice
 * (append_escape).  Runs of characters that need no escaping are copied in
 * one go.  Inlined into its two callers, so that "twice" is a constant in
 * each.
 */
static pg_attribute_always_inline void
append_escaped(StringInfo out, const char *str, int len, bool twice)
{
	const unsigned char *p = (const unsigned char *) str;
	const unsigned char *end = p + len;
	const unsigned char *run = p;

	enlargeStringInfo(out, len + 4);
	if (twice)
		out->data[out->len++] = '\\';
	out->data[out->len++] = '"';
	for (; p < end; p++)
	{
		char		esc;

		if (*p >= 0xF0 && end - p >= 4)
		{
			if (p > run)
				wal2dbz_append(out, (const char *) run, p - run);
			append_surrogate_pair(out, p);
			p += 3;
			run = p + 1;
			continue;
		}
		if (*p >= 128 || (esc = json_escape[*p]) == 0)
			continue;
		if (p > run)
			wal2dbz_append(out, (const char *) run, p - run);
		run = p + 1;
		append_escape(out, *p, esc, twice);
	}
	if (p > run)
		wal2dbz_append(out, (const char *) run, p - run);
	if (twice)
		appendStringInfoCharMacro(out, '\\');
	appendStringInfoCharMacro(out, '"');
}

/* Append str (len bytes) as a quoted JSON string. */
void
json_append_string_len(StringInfo out, const char *str, int len)
{
	append_escaped(out, str, len, false);
}

/* Append a NUL-terminated string as a quoted JSON string. */
void
json_append_string(StringInfo out, const char *str)
{
	json_append_string_len(out, str, strlen(str));
}

/*
 * Append one string of a jsonb document (a key or a string value) as it
 * appears inside the JSON string of the document's text: between \" and
 * \", escaped twice (append_escape).
 */
static void
append_jsonb_string(StringInfo out, const char *str, int len)
{
	append_escaped(out, str, len, true);
}

/* Append one scalar of a jsonb document, escaped as append_jsonb_string. */
static void
append_jsonb_scalar(StringInfo out, const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			appendStringInfoLiteral(out, "null");
			break;
		case jbvString:
			append_jsonb_string(out, v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			{
				/* digits, sign, point: nothing to escape */
				char	   *num = DatumGetCString(DirectFunctionCall1(numeric_out,
																	  NumericGetDatum(v->val.numeric)));

				appendStringInfoString(out, num);
				pfree(num);
			}
			break;
		case jbvBool:
			if (v->val.boolean)
				appendStringInfoLiteral(out, "true");
			else
				appendStringInfoLiteral(out, "false");
			break;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
}

/*
 * Append a jsonb datum as a JSON string of its text, byte for byte what
 * json_append_string(out, jsonb_out(value)) writes, in one pass and without
 * building the text first: the walk and the separators are those of
 * JsonbToCString() without indentation (", " between members and elements,
 * ": " after keys; a top-level scalar without brackets).
 */
void
json_append_jsonb(StringInfo out, Datum value)
{
	Jsonb	   *jb = DatumGetJsonbP(value);
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	bool		first = true;
	bool		raw_scalar = false;

	appendStringInfoCharMacro(out, '"');
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				if (!first)
					appendStringInfoLiteral(out, ", ");
				if (v.val.array.rawScalar)
					raw_scalar = true;
				else
					appendStringInfoCharMacro(out, '[');
				first = true;
				break;
			case WJB_BEGIN_OBJECT:
				if (!first)
					appendStringInfoLiteral(out, ", ");
				appendStringInfoCharMacro(out, '{');
				first = true;
				break;
			case WJB_KEY:
				if (!first)
					appendStringInfoLiteral(out, ", ");
				append_jsonb_scalar(out, &v);
				appendStringInfoLiteral(out, ": ");
				/* the value follows without a separator */
				first = true;
				break;
			case WJB_VALUE:
			case WJB_ELEM:
				if (!first)
					appendStringInfoLiteral(out, ", ");
				append_jsonb_scalar(out, &v);
				first = false;
				break;
			case WJB_END_ARRAY:
				if (!raw_scalar)
					appendStringInfoCharMacro(out, ']');
				first = false;
				break;
			case WJB_END_OBJECT:
				appendStringInfoCharMacro(out, '}');
				first = false;
				break;
			case WJB_DONE:
				break;
		}
	}
	appendStringInfoCharMacro(out, '"');
}

/* Append a signed 64-bit integer without going through printf. */
void
json_append_int64(StringInfo out, int64 value)
{
	enlargeStringInfo(out, MAXINT8LEN + 1);
	out->len += pg_lltoa(value, out->data + out->len);
}

/*
 * The shortest round-trip digits of a finite, non-zero double, as found by
 * PostgreSQL's Ryu code: value = (-1)^neg x 0.DIGITS x 10^exp10, with no
 * leading or trailing zeros in DIGITS.
 */
typedef struct ShortestDigits
{
	bool		neg;
	char		digits[32];
	int			ndigits;
	int			exp10;
} ShortestDigits;

static void
parse_shortest(const char *shortest, ShortestDigits *sd)
{
	const char *p = shortest;
	int			point = -1;
	int			lead;

	sd->neg = false;
	sd->ndigits = 0;
	sd->exp10 = 0;
	if (*p == '-')
	{
		sd->neg = true;
		p++;
	}
	for (; *p && *p != 'e'; p++)
	{
		if (*p == '.')
			point = sd->ndigits;
		else if (sd->ndigits < (int) sizeof(sd->digits))
			sd->digits[sd->ndigits++] = *p;
	}
	if (*p == 'e')
		sd->exp10 = atoi(p + 1);
	if (point < 0)
		point = sd->ndigits;

	for (lead = 0; lead < sd->ndigits - 1 && sd->digits[lead] == '0'; lead++)
		point--;
	memmove(sd->digits, sd->digits + lead, sd->ndigits - lead);
	sd->ndigits -= lead;
	while (sd->ndigits > 1 && sd->digits[sd->ndigits - 1] == '0')
		sd->ndigits--;
	sd->exp10 += point;
}

/*
 * Write digits in plain notation; with min_fraction 1 as Java's toString
 * does in its plain range ("3.0"), with 0 as BigDecimal.toPlainString()
 * after stripTrailingZeros() ("3").
 */
static void
append_plain(StringInfo out, const ShortestDigits *sd, int min_fraction)
{
	int			i;

	if (sd->neg)
		appendStringInfoCharMacro(out, '-');
	if (sd->exp10 <= 0)
	{
		appendStringInfoLiteral(out, "0.");
		for (i = sd->exp10; i < 0; i++)
			appendStringInfoCharMacro(out, '0');
		wal2dbz_append(out, sd->digits, sd->ndigits);
		return;
	}
	for (i = 0; i < sd->exp10; i++)
		appendStringInfoCharMacro(out, i < sd->ndigits ? sd->digits[i] : '0');
	if (sd->ndigits > sd->exp10)
	{
		appendStringInfoCharMacro(out, '.');
		wal2dbz_append(out, sd->digits + sd->exp10,
							   sd->ndigits - sd->exp10);
	}
	else if (min_fraction > 0)
		appendStringInfoLiteral(out, ".0");
}

/*
 * Java's Double.toString layout: plain notation for 1e-3 <= |x| < 1e7 with
 * at least one fractional digit, otherwise d.dddE<n>.
 */
static void
append_java_layout(StringInfo out, const char *shortest, double value)
{
	ShortestDigits sd;

	parse_shortest(shortest, &sd);

	/*
	 * Java always shows two significant digits (d.d), and when the shortest
	 * form has one, it prints the two-digit value nearest the exact one:
	 * 4.9E-324, not 5.0E-324.
	 */
	if (sd.ndigits == 1)
	{
		char		two[32];

		snprintf(two, sizeof(two), "%.1e", value);
		parse_shortest(two, &sd);
	}
	if (sd.exp10 >= -2 && sd.exp10 <= 7)
	{
		append_plain(out, &sd, 1);
		return;
	}
	if (sd.neg)
		appendStringInfoCharMacro(out, '-');
	appendStringInfoCharMacro(out, sd.digits[0]);
	appendStringInfoCharMacro(out, '.');
	if (sd.ndigits > 1)
		wal2dbz_append(out, sd.digits + 1, sd.ndigits - 1);
	else
		appendStringInfoCharMacro(out, '0');
	appendStringInfo(out, "E%d", sd.exp10 - 1);
}

/*
 * Append BigDecimal.valueOf(value).stripTrailingZeros().toPlainString(),
 * unquoted: Debezium's rendering of interval seconds.
 */
void
json_append_plain_double(StringInfo out, double value)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN + 1];
	ShortestDigits sd;

	if (value == 0 || isnan(value) || isinf(value))
	{
		appendStringInfoCharMacro(out, '0');
		return;
	}
	double_to_shortest_decimal_buf(value, buf);
	parse_shortest(buf, &sd);
	append_plain(out, &sd, 0);
}

/* Append NaN and the infinities as Jackson does: quoted. */
static bool
append_non_finite(StringInfo out, double value)
{
	if (isnan(value))
		appendStringInfoLiteral(out, "\"NaN\"");
	else if (isinf(value))
		appendStringInfoString(out, value > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else if (value == 0)
		appendStringInfoString(out, signbit(value) ? "-0.0" : "0.0");
	else
		return false;
	return true;
}

/* Append a double exactly as Java's Double.toString (JDK 19+). */
void
json_append_java_double(StringInfo out, double value)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN + 1];

	if (append_non_finite(out, value))
		return;
	double_to_shortest_decimal_buf(value, buf);
	append_java_layout(out, buf, value);
}

/* Append a float exactly as Java's Float.toString (JDK 19+). */
void
json_append_java_float(StringInfo out, float value)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN + 1];

	if (append_non_finite(out, value))
		return;
	float_to_shortest_decimal_buf(value, buf);
	append_java_layout(out, buf, (double) value);
}

/* Append bytes as a quoted Base64 string (standard or URL-safe alphabet). */
void
json_append_base64(StringInfo out, const unsigned char *data, int len,
				   bool url_safe)
{
	int			enc_len = pg_b64_enc_len(len);
	int			written;

	enlargeStringInfo(out, enc_len + 2);
	out->data[out->len++] = '"';
	written = pg_b64_encode((const char *) data, len, out->data + out->len,
							enc_len);
	if (written < 0)
		elog(ERROR, "could not encode %d bytes as base64", len);
	if (url_safe)
	{
		char	   *p;

		for (p = out->data + out->len; p < out->data + out->len + written; p++)
		{
			if (*p == '+')
				*p = '-';
			else if (*p == '/')
				*p = '_';
		}
	}
	out->len += written;
	out->data[out->len] = '\0';
	appendStringInfoCharMacro(out, '"');
}

/* Append bytes as a quoted lower-case hex string. */
void
json_append_hex(StringInfo out, const unsigned char *data, int len)
{
	static const char hex[] = "0123456789abcdef";
	int			i;

	enlargeStringInfo(out, len * 2 + 2);
	out->data[out->len++] = '"';
	for (i = 0; i < len; i++)
	{
		out->data[out->len++] = hex[data[i] >> 4];
		out->data[out->len++] = hex[data[i] & 15];
	}
	out->data[out->len] = '\0';
	appendStringInfoCharMacro(out, '"');
}

/*
 * Java's String.hashCode(): s[0]*31^(n-1) + ... over UTF-16 code units, with
 * 32-bit wraparound.  The input is UTF-8.
 */
int32
java_string_hash(const char *str)
{
	uint32		h = 0;
	const unsigned char *p = (const unsigned char *) str;

	while (*p)
	{
		uint32		cp;
		int			n;

		if (*p < 0x80)
		{
			cp = *p;
			n = 1;
		}
		else if ((*p & 0xE0) == 0xC0)
		{
			cp = *p & 0x1F;
			n = 2;
		}
		else if ((*p & 0xF0) == 0xE0)
		{
			cp = *p & 0x0F;
			n = 3;
		}
		else
		{
			cp = *p & 0x07;
			n = 4;
		}
		for (int i = 1; i < n && p[i]; i++)
			cp = (cp << 6) | (p[i] & 0x3F);
		p += n;
		if (cp >= 0x10000)
		{
			cp -= 0x10000;
			h = h * 31 + (0xD800 + (cp >> 10));
			h = h * 31 + (0xDC00 + (cp & 0x3FF));
		}
		else
			h = h * 31 + cp;
	}
	return (int32) h;
}

/* A key's HashMap bucket and its insertion position. */
typedef struct HashMapSlot
{
	uint32		bucket;
	int			index;
} HashMapSlot;

static int
hashmap_slot_cmp(const void *a, const void *b)
{
	const HashMapSlot *x = a;
	const HashMapSlot *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->index - y->index;
}

/*
 * The order in which a java.util.HashMap<String, ?> filled with keys[] (in
 * that insertion order, no duplicates) iterates: by bucket index, then by
 * insertion within a bucket.  Debezium's hstore maps and the transaction
 * END record's data_collections are written in this order.  Returns a
 * palloc'd permutation of 0..nkeys-1.
 */
int *
java_hashmap_order(char **keys, int nkeys)
{
	HashMapSlot *slots = palloc(sizeof(HashMapSlot) * Max(nkeys, 1));
	int		   *order = palloc(sizeof(int) * Max(nkeys, 1));
	uint32		cap = 16;

	/* HashMap resizes when its size exceeds 0.75 * capacity */
	while ((double) nkeys > 0.75 * cap)
		cap *= 2;
	for (int i = 0; i < nkeys; i++)
	{
		uint32		h = (uint32) java_string_hash(keys[i]);

		slots[i].bucket = (h ^ (h >> 16)) & (cap - 1);
		slots[i].index = i;
	}
	qsort(slots, nkeys, sizeof(HashMapSlot), hashmap_slot_cmp);
	for (int i = 0; i < nkeys; i++)
		order[i] = slots[i].index;
	pfree(slots);
	return order;
}
