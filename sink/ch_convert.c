/*-------------------------------------------------------------------------
 *
 * ch_convert.c
 *	  Debezium JSON values to values ClickHouse's JSONEachRow accepts.
 *
 * Rules worth knowing:
 *
 * - null into a column that is not Nullable leaves the member out, so
 *   ClickHouse writes the column's default (18.16 refuses null there).
 * - Date-times are written as 'YYYY-MM-DD hh:mm:ss[.fff...]' (UTC), with
 *   as many fraction digits as the column has (none for DateTime, which
 *   18.16 requires).  Values outside the column's range are clamped to it
 *   (DateTime and Date: 1970 to 2105, as far as 18.16 can show them;
 *   DateTime64 and Date32: 1900 to 2299), and so are Debezium's
 *   infinities.
 * - Connect Decimals (Base64 of a two's complement integer) become exact
 *   decimal numbers, never floating point.
 * - A String column holds JSON objects and arrays as their JSON text.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_convert.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_convert.h"

/* the default placeholder and its java.util.UUID.nameUUIDFromBytes() */
#define DEFAULT_PLACEHOLDER			"__debezium_unavailable_value"
#define DEFAULT_PLACEHOLDER_UUID	"b68a35a7-17ad-35b3-af2a-ae46edb4545a"

/* clamp ranges, in seconds or days since 1970-01-01 */
#define DATETIME_MIN		INT64_C(0)
#define DATETIME_MAX		INT64_C(4291747199)	/* 2105-12-31 23:59:59 */
#define DATETIME64_MIN		INT64_C(-2208988800)	/* 1900-01-01 */
#define DATETIME64_MAX		INT64_C(10413791999)	/* 2299-12-31 23:59:59 */
#define DATE_MIN			INT64_C(0)
#define DATE_MAX			INT64_C(49672)	/* 2105-12-31: 18.16's last date */
#define DATE32_MIN			INT64_C(-25567)	/* 1900-01-01 */
#define DATE32_MAX			INT64_C(120529)	/* 2299-12-31 */

/* logical names (see ch_schema.c) */
#define LN_DECIMAL			"org.apache.kafka.connect.data.Decimal"
#define LN_VARDECIMAL		"io.debezium.data.VariableScaleDecimal"

/* Is ct's logical name n? */
static bool
named(const ChConnect *ct, const char *n)
{
	return ct != NULL && ct->name != NULL && strcmp(ct->name, n) == 0;
}

/* The unit (3, 6, 9) of an integer timestamp type, 0 for ISO strings, -1 if not one. */
static int
timestamp_unit(const ChConnect *ct)
{
	if (ct == NULL || ct->name == NULL)
		return -1;
	if (strcmp(ct->name, "io.debezium.time.MicroTimestamp") == 0)
		return 6;
	if (strcmp(ct->name, "io.debezium.time.Timestamp") == 0 ||
		strcmp(ct->name, "org.apache.kafka.connect.data.Timestamp") == 0)
		return 3;
	if (strcmp(ct->name, "io.debezium.time.NanoTimestamp") == 0)
		return 9;
	if (strcmp(ct->name, "io.debezium.time.ZonedTimestamp") == 0)
		return 0;
	return -1;
}

/* The unit of an integer time-of-day type, -1 if not one. */
static int
time_unit(const ChConnect *ct)
{
	if (ct == NULL || ct->name == NULL)
		return -1;
	if (strcmp(ct->name, "io.debezium.time.Time") == 0 ||
		strcmp(ct->name, "org.apache.kafka.connect.data.Time") == 0)
		return 3;
	if (strcmp(ct->name, "io.debezium.time.MicroTime") == 0)
		return 6;
	if (strcmp(ct->name, "io.debezium.time.NanoTime") == 0)
		return 9;
	return -1;
}

/* Set up a date-time conversion into target. */
static void
init_timestamp(ChConv *conv, const ChType *target, int unit)
{
	conv->kind = CV_TIMESTAMP;
	conv->unit = unit;
	switch (target->kind)
	{
		case CK_DATETIME:
			conv->digits = 0;
			conv->clamp = true;
			conv->min = DATETIME_MIN;
			conv->max = DATETIME_MAX;
			break;
		case CK_DATETIME64:
			conv->digits = target->scale;
			conv->clamp = true;
			conv->min = DATETIME64_MIN;
			conv->max = DATETIME64_MAX;
			break;
		case CK_DATE:
		case CK_DATE32:
			conv->date_only = true;
			conv->digits = 0;
			conv->clamp = true;
			conv->min = (target->kind == CK_DATE ? DATE_MIN : DATE32_MIN) * 86400;
			conv->max = (target->kind == CK_DATE ? DATE_MAX : DATE32_MAX) * 86400;
			break;
		default:
			conv->digits = -1;	/* a String keeps every digit */
			break;
	}
}

/* Set up a date conversion into target. */
static void
init_date(ChConv *conv, const ChType *target)
{
	conv->kind = CV_DATE;
	if (target->kind == CK_DATE)
	{
		conv->clamp = true;
		conv->min = DATE_MIN;
		conv->max = DATE_MAX;
	}
	else if (target->kind == CK_DATE32)
	{
		conv->clamp = true;
		conv->min = DATE32_MIN;
		conv->max = DATE32_MAX;
	}
	else if (target->kind != CK_STRING)
		conv->kind = CV_PASS;
}

/* Prepare a conversion. */
bool
ch_conv_init(ChConv *conv, const ChConnect *ct, const ChType *target)
{
	bool		to_string = target->kind == CK_STRING ||
		target->kind == CK_FIXEDSTRING;
	int			unit;

	memset(conv, 0, sizeof(*conv));
	conv->nullable = target->nullable;
	conv->empty_omit = target->kind == CK_UUID;
	conv->scale = -1;
	conv->digits = -1;

	if (target->kind == CK_ARRAY && target->elem != NULL)
	{
		conv->kind = CV_ARRAY;
		conv->placeholders = CH_PH_ARRAY;
		conv->elem = malloc(sizeof(ChConv));
		if (conv->elem == NULL)
			return false;
		return ch_conv_init(conv->elem,
							ct && ct->kind == CT_ARRAY ? ct->items : NULL,
							target->elem);
	}
	if (target->kind == CK_MAP)
	{
		conv->kind = CV_PASS;
		conv->placeholders = CH_PH_MAP;
		return true;
	}

	if (ct == NULL || ct->kind == CT_NONE)
	{
		/* no schema: what the column's type implies */
		switch (target->kind)
		{
			case CK_DECIMAL:
				conv->kind = CV_DECIMAL;
				conv->scale = target->scale;
				break;
			case CK_DATE:
			case CK_DATE32:
				init_date(conv, target);
				break;
			case CK_DATETIME:
				init_timestamp(conv, target, 6);
				break;
			case CK_DATETIME64:
				init_timestamp(conv, target, target->scale);
				break;
			case CK_STRING:
			case CK_FIXEDSTRING:
				conv->kind = CV_STRING;
				conv->placeholders = CH_PH_STRING | CH_PH_HSTORE;
				break;
			case CK_UUID:
				conv->kind = CV_PASS;
				conv->placeholders = CH_PH_STRING;
				break;
			default:
				conv->kind = CV_PASS;
				break;
		}
		return true;
	}

	if ((ct->kind == CT_BYTES && named(ct, LN_DECIMAL)) ||
		(ct->kind == CT_STRUCT && named(ct, LN_VARDECIMAL)))
	{
		conv->kind = CV_DECIMAL;
		conv->scale = ct->kind == CT_BYTES ? ct->scale : -1;
		conv->quoted = to_string || target->kind == CK_OTHER;
		return true;
	}
	if (ct->kind == CT_INT32 &&
		(named(ct, "io.debezium.time.Date") ||
		 named(ct, "org.apache.kafka.connect.data.Date")))
	{
		init_date(conv, target);
		return true;
	}
	unit = timestamp_unit(ct);
	if (unit >= 0)
	{
		if (target->kind == CK_DATETIME || target->kind == CK_DATETIME64 ||
			target->kind == CK_DATE || target->kind == CK_DATE32 || to_string)
			init_timestamp(conv, target, unit);
		else
			conv->kind = CV_PASS;
		return true;
	}
	unit = time_unit(ct);
	if (unit >= 0)
	{
		conv->kind = to_string ? CV_TIME : CV_PASS;
		conv->unit = unit;
		return true;
	}
	switch (ct->kind)
	{
		case CT_BYTES:
			conv->kind = to_string ? CV_BYTES : CV_PASS;
			conv->placeholders = CH_PH_BASE64 | CH_PH_STRING;
			break;
		case CT_STRING:
			conv->kind = to_string ? CV_STRING : CV_PASS;
			conv->placeholders = CH_PH_STRING | CH_PH_HSTORE;
			break;
		case CT_MAP:
			conv->kind = to_string ? CV_STRING : CV_PASS;
			conv->placeholders = CH_PH_MAP;
			break;
		case CT_ARRAY:
			/* an array kept as JSON text */
			conv->kind = CV_STRING;
			conv->placeholders = CH_PH_ARRAY;
			break;
		case CT_STRUCT:
			conv->kind = CV_STRING;
			break;
		default:
			conv->kind = to_string ? CV_STRING : CV_PASS;
			break;
	}
	return true;
}

/* Free a conversion's parts. */
void
ch_conv_free(ChConv *conv)
{
	if (conv->elem)
	{
		ch_conv_free(conv->elem);
		free(conv->elem);
	}
	memset(conv, 0, sizeof(*conv));
}

/* Append standard Base64 with padding. */
static void
base64_encode(ChBuf *out, const unsigned char *p, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t		i;

	for (i = 0; i + 2 < n; i += 3)
	{
		uint32_t	v = ((uint32_t) p[i] << 16) | ((uint32_t) p[i + 1] << 8) | p[i + 2];

		ch_buf_putc(out, alphabet[(v >> 18) & 63]);
		ch_buf_putc(out, alphabet[(v >> 12) & 63]);
		ch_buf_putc(out, alphabet[(v >> 6) & 63]);
		ch_buf_putc(out, alphabet[v & 63]);
	}
	if (i < n)
	{
		uint32_t	v = (uint32_t) p[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t) p[i + 1] << 8;
		ch_buf_putc(out, alphabet[(v >> 18) & 63]);
		ch_buf_putc(out, alphabet[(v >> 12) & 63]);
		ch_buf_putc(out, i + 1 < n ? alphabet[(v >> 6) & 63] : '=');
		ch_buf_putc(out, '=');
	}
}

/* Take a finished buffer as a malloc'd string. */
static char *
take(ChBuf *buf)
{
	char	   *s;

	if (buf->oom)
	{
		ch_buf_free(buf);
		return NULL;
	}
	ch_buf_cstr(buf);
	s = buf->data;
	buf->data = NULL;
	ch_buf_free(buf);
	return s;
}

/* Compute the placeholder's forms, as Debezium (and the plugin) write them. */
bool
ch_placeholders_init(ChPlaceholders *ph, const char *placeholder)
{
	ChBuf		b;
	ChBuf		inner;
	size_t		n = strlen(placeholder);
	size_t		i;

	memset(ph, 0, sizeof(*ph));

	ch_buf_init(&b);
	ch_buf_json_string(&b, placeholder, n);
	ph->string = take(&b);

	ch_buf_init(&b);
	ch_buf_putc(&b, '"');
	base64_encode(&b, (const unsigned char *) placeholder, n);
	ch_buf_putc(&b, '"');
	ph->base64 = take(&b);

	ch_buf_init(&inner);
	ch_buf_putc(&inner, '{');
	ch_buf_json_string(&inner, placeholder, n);
	ch_buf_putc(&inner, ':');
	ch_buf_json_string(&inner, placeholder, n);
	ch_buf_putc(&inner, '}');
	ch_buf_init(&b);
	ch_buf_json_string(&b, inner.data, inner.len);
	ph->hstore = take(&b);
	ph->map = take(&inner);

	ch_buf_init(&b);
	ch_buf_putc(&b, '[');
	ch_buf_puts(&b, ph->string ? ph->string : "");
	ch_buf_putc(&b, ']');
	ph->array_string = take(&b);

	ch_buf_init(&b);
	ch_buf_putc(&b, '[');
	ch_buf_puts(&b, ph->base64 ? ph->base64 : "");
	ch_buf_putc(&b, ']');
	ph->array_base64 = take(&b);

	ch_buf_init(&b);
	ch_buf_putc(&b, '[');
	for (i = 0; i < n; i++)
		ch_buf_printf(&b, "%s%d", i ? "," : "", (int) (signed char) placeholder[i]);
	ch_buf_putc(&b, ']');
	ph->array_bytes = take(&b);

	if (strcmp(placeholder, DEFAULT_PLACEHOLDER) == 0)
		ph->array_uuid = strdup("[\"" DEFAULT_PLACEHOLDER_UUID "\"]");

	return ph->string && ph->base64 && ph->hstore && ph->map &&
		ph->array_string && ph->array_base64 && ph->array_bytes;
}

/* Free the forms. */
void
ch_placeholders_free(ChPlaceholders *ph)
{
	free(ph->string);
	free(ph->base64);
	free(ph->hstore);
	free(ph->map);
	free(ph->array_string);
	free(ph->array_base64);
	free(ph->array_bytes);
	free(ph->array_uuid);
	memset(ph, 0, sizeof(*ph));
}

/* Does span v hold exactly s? */
static bool
span_is(ChSpan v, const char *s)
{
	return s != NULL && v.len == strlen(s) && memcmp(v.p, s, v.len) == 0;
}

/* Is v a placeholder this column can carry? */
bool
ch_conv_is_placeholder(const ChConv *conv, const ChPlaceholders *ph, ChSpan v)
{
	int			m = conv->placeholders;

	if (m == 0 || v.len < 2)
		return false;
	if (v.p[0] == '"')
		return ((m & CH_PH_STRING) && span_is(v, ph->string)) ||
			((m & CH_PH_BASE64) && span_is(v, ph->base64)) ||
			((m & CH_PH_HSTORE) && span_is(v, ph->hstore));
	if (v.p[0] == '{')
		return (m & CH_PH_MAP) && span_is(v, ph->map);
	if (v.p[0] == '[')
		return (m & CH_PH_ARRAY) &&
			(span_is(v, ph->array_string) || span_is(v, ph->array_base64) ||
			 span_is(v, ph->array_bytes) || span_is(v, ph->array_uuid));
	return false;
}

/* Two's complement big-endian bytes as a decimal number. */
void
ch_decimal_text(const unsigned char *bytes, size_t n, int scale, ChBuf *out)
{
	bool		neg = n > 0 && (bytes[0] & 0x80);
	uint32_t   *limbs;			/* base 1e9, least significant first */
	size_t		nlimbs = 0;
	size_t		i;
	size_t		j;
	char	   *digits;
	size_t		ndigits = 0;
	unsigned char carry_in = 1;

	limbs = calloc(n / 4 + 2, sizeof(uint32_t));
	digits = malloc(n * 3 + 16 + (scale > 0 ? (size_t) scale : 0));
	if (limbs == NULL || digits == NULL)
	{
		free(limbs);
		free(digits);
		out->oom = true;
		return;
	}

	/* the magnitude, byte by byte (negated on the fly when negative) */
	{
		unsigned char *mag = malloc(n ? n : 1);

		if (mag == NULL)
		{
			free(limbs);
			free(digits);
			out->oom = true;
			return;
		}
		for (i = n; i-- > 0;)
		{
			unsigned int b = bytes[i];

			if (neg)
			{
				b = (~b & 0xFF) + carry_in;
				carry_in = b > 0xFF;
				b &= 0xFF;
			}
			mag[i] = (unsigned char) b;
		}
		for (i = 0; i < n; i++)
		{
			uint64_t	carry = mag[i];

			for (j = 0; j < nlimbs; j++)
			{
				uint64_t	v = (uint64_t) limbs[j] * 256 + carry;

				limbs[j] = (uint32_t) (v % 1000000000);
				carry = v / 1000000000;
			}
			while (carry)
			{
				limbs[nlimbs++] = (uint32_t) (carry % 1000000000);
				carry /= 1000000000;
			}
		}
		free(mag);
	}

	/* decimal digits, most significant first */
	if (nlimbs == 0)
		digits[ndigits++] = '0';
	else
	{
		char		tmp[16];

		ndigits = (size_t) sprintf(digits, "%" PRIu32, limbs[nlimbs - 1]);
		for (j = nlimbs - 1; j-- > 0;)
		{
			sprintf(tmp, "%09" PRIu32, limbs[j]);
			memcpy(digits + ndigits, tmp, 9);
			ndigits += 9;
		}
	}

	if (neg && !(ndigits == 1 && digits[0] == '0'))
		ch_buf_putc(out, '-');
	if (scale <= 0)
		ch_buf_append(out, digits, ndigits);
	else
	{
		size_t		s = (size_t) scale;

		if (ndigits <= s)
		{
			ch_buf_puts(out, "0.");
			for (i = ndigits; i < s; i++)
				ch_buf_putc(out, '0');
			ch_buf_append(out, digits, ndigits);
		}
		else
		{
			ch_buf_append(out, digits, ndigits - s);
			ch_buf_putc(out, '.');
			ch_buf_append(out, digits + ndigits - s, s);
		}
	}
	free(limbs);
	free(digits);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* A civil date to days since 1970-01-01. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Floor division. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Append 'YYYY-MM-DD' (no quotes). */
static void
put_date(ChBuf *out, int64_t days)
{
	int64_t		y;
	int			m;
	int			d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0)
		ch_buf_printf(out, "-%04" PRId64 "-%02d-%02d", -y, m, d);
	else
		ch_buf_printf(out, "%04" PRId64 "-%02d-%02d", y, m, d);
}

/* 10^n for n in 0..9. */
static int64_t
pow10i(int n)
{
	int64_t		r = 1;

	while (n-- > 0)
		r *= 10;
	return r;
}

/*
 * Parse an ISO-8601 date-time as ZonedTimestamp writes it
 * ("2024-05-01T12:34:56.789000Z", "+21016-...", "-0044-..."), also with a
 * ' ' separator and a numeric offset.
 */
static bool
parse_iso(const char *s, size_t n, int64_t *secs, int32_t *nanos, int *digits)
{
	const char *p = s;
	const char *end = s + n;
	int			sign = 1;
	int64_t		y = 0;
	int			mo;
	int			d;
	int			h;
	int			mi;
	int			se;
	int			nd = 0;
	int64_t		frac = 0;
	int64_t		offset = 0;

	if (p < end && (*p == '+' || *p == '-'))
		sign = *p++ == '-' ? -1 : 1;
	if (p >= end || *p < '0' || *p > '9')
		return false;
	while (p < end && *p >= '0' && *p <= '9')
		y = y * 10 + (*p++ - '0');
	y *= sign;
	if (end - p < 15 || sscanf(p, "-%2d-%2d", &mo, &d) != 2)
		return false;
	p += 6;
	if (*p != 'T' && *p != ' ')
		return false;
	if (sscanf(p + 1, "%2d:%2d:%2d", &h, &mi, &se) != 3)
		return false;
	p += 9;
	if (p < end && *p == '.')
	{
		p++;
		while (p < end && *p >= '0' && *p <= '9')
		{
			if (nd < 9)
				frac = frac * 10 + (*p - '0');
			nd++;
			p++;
		}
	}
	if (p < end && (*p == '+' || *p == '-'))
	{
		int			oh = 0;
		int			om = 0;
		int			osign = *p == '-' ? -1 : 1;

		if (sscanf(p + 1, "%2d:%2d", &oh, &om) < 1)
			return false;
		offset = osign * ((int64_t) oh * 3600 + om * 60);
	}
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - offset;
	*nanos = (int32_t) (frac * pow10i(9 - (nd < 9 ? nd : 9)));
	*digits = nd < 9 ? nd : 9;
	return true;
}

/* Append a quoted date-time. */
static void
put_timestamp(ChBuf *out, const ChConv *conv, int64_t secs, int32_t nanos,
			  int digits_in)
{
	int64_t		days = floor_div(secs, 86400);
	int64_t		tod = secs - days * 86400;
	int			digits = conv->digits >= 0 ? conv->digits : digits_in;

	if (conv->clamp && secs < conv->min)
	{
		secs = conv->min;
		nanos = 0;
		days = floor_div(secs, 86400);
		tod = secs - days * 86400;
	}
	else if (conv->clamp && secs > conv->max)
	{
		secs = conv->max;
		nanos = 999999999;
		days = floor_div(secs, 86400);
		tod = secs - days * 86400;
	}
	ch_buf_putc(out, '"');
	put_date(out, days);
	if (!conv->date_only)
	{
		ch_buf_printf(out, " %02d:%02d:%02d", (int) (tod / 3600),
					  (int) (tod / 60 % 60), (int) (tod % 60));
		if (digits > 0)
		{
			char		frac[16];

			snprintf(frac, sizeof(frac), "%09" PRId32, nanos);
			ch_buf_putc(out, '.');
			ch_buf_append(out, frac, (size_t) (digits > 9 ? 9 : digits));
		}
	}
	ch_buf_putc(out, '"');
}

/* Write a decimal from Base64 bytes. */
static bool
put_decimal_b64(ChBuf *out, const ChConv *conv, const char *p, size_t n,
				int scale, ChBuf *scratch)
{
	ch_buf_reset(scratch);
	if (!ch_base64_decode(p, n, scratch) || scratch->oom)
		return false;
	if (conv->quoted)
		ch_buf_putc(out, '"');
	ch_decimal_text((const unsigned char *) scratch->data, scratch->len,
					scale, out);
	if (conv->quoted)
		ch_buf_putc(out, '"');
	return true;
}

/* A message for a value that does not fit, in scratch. */
static ChConvResult
bad(ChBuf *scratch, const char *what, ChSpan v)
{
	ch_buf_reset(scratch);
	ch_buf_printf(scratch, "%s: %.*s", what, (int) (v.len > 80 ? 80 : v.len), v.p);
	ch_buf_cstr(scratch);
	return CH_CONV_BAD;
}

/* Convert one value. */
ChConvResult
ch_conv_value(const ChConv *conv, ChSpan v, ChBuf *out, ChBuf *scratch)
{
	ChJsonType	t = ch_json_type(v);
	size_t		start = out->len;

	if (t == CHJ_NULL)
	{
		if (!conv->nullable)
			return CH_CONV_OMIT;
		ch_buf_puts(out, "null");
		return CH_CONV_OK;
	}
	if (conv->empty_omit && t == CHJ_STRING && v.len == 2)
		return CH_CONV_OMIT;

	switch (conv->kind)
	{
		case CV_PASS:
			ch_buf_append(out, v.p, v.len);
			return CH_CONV_OK;

		case CV_STRING:
			if (t == CHJ_STRING)
				ch_buf_append(out, v.p, v.len);
			else
				ch_buf_json_string(out, v.p, v.len);
			return CH_CONV_OK;

		case CV_BYTES:
			if (t != CHJ_STRING)
				return bad(scratch, "expected a Base64 string", v);
			ch_buf_reset(scratch);
			if (!ch_base64_decode(v.p + 1, v.len - 2, scratch))
			{
				/* binary.handling.mode=hex or a placeholder: keep the text */
				ch_buf_append(out, v.p, v.len);
				return CH_CONV_OK;
			}
			ch_buf_json_string(out, scratch->data ? scratch->data : "", scratch->len);
			return CH_CONV_OK;

		case CV_DECIMAL:
			if (t == CHJ_NUMBER)
			{
				if (conv->quoted)
					ch_buf_json_string(out, v.p, v.len);
				else
					ch_buf_append(out, v.p, v.len);
				return CH_CONV_OK;
			}
			if (t == CHJ_STRING)
			{
				if (put_decimal_b64(out, conv, v.p + 1, v.len - 2,
									conv->scale < 0 ? 0 : conv->scale, scratch))
					return CH_CONV_OK;
				/* decimal.handling.mode=string: the digits themselves */
				out->len = start;
				if (conv->quoted)
					ch_buf_append(out, v.p, v.len);
				else
					ch_buf_append(out, v.p + 1, v.len - 2);
				return CH_CONV_OK;
			}
			if (t == CHJ_OBJECT)
			{
				/* io.debezium.data.VariableScaleDecimal {"scale":s,"value":b64} */
				ChSpan		sv;
				ChSpan		vv;
				int64_t		scale;

				if (ch_json_member(v, "scale", &sv) && ch_json_int64(sv, &scale) &&
					ch_json_member(v, "value", &vv) && ch_json_type(vv) == CHJ_STRING &&
					scale >= 0 && scale < 100000 &&
					put_decimal_b64(out, conv, vv.p + 1, vv.len - 2, (int) scale,
									scratch))
					return CH_CONV_OK;
			}
			return bad(scratch, "expected a Connect Decimal", v);

		case CV_DATE:
			if (t == CHJ_NUMBER)
			{
				int64_t		days;

				if (!ch_json_int64(v, &days))
					return bad(scratch, "expected days since 1970-01-01", v);
				if (conv->clamp && days < conv->min)
					days = conv->min;
				else if (conv->clamp && days > conv->max)
					days = conv->max;
				ch_buf_putc(out, '"');
				put_date(out, days);
				ch_buf_putc(out, '"');
				return CH_CONV_OK;
			}
			ch_buf_append(out, v.p, v.len);
			return CH_CONV_OK;

		case CV_TIMESTAMP:
			if (t == CHJ_NUMBER)
			{
				int64_t		x;
				int64_t		per;
				int64_t		secs;
				int			unit = conv->unit > 0 ? conv->unit : 6;

				if (!ch_json_int64(v, &x))
					return bad(scratch, "expected an epoch timestamp", v);
				per = pow10i(unit);
				secs = floor_div(x, per);
				put_timestamp(out, conv, secs,
							  (int32_t) ((x - secs * per) * pow10i(9 - unit)),
							  unit);
				return CH_CONV_OK;
			}
			if (t == CHJ_STRING)
			{
				int64_t		secs;
				int32_t		nanos;
				int			digits;

				if (ch_json_string_is(v, "infinity") || ch_json_string_is(v, "-infinity"))
				{
					if (!conv->clamp)
					{
						ch_buf_append(out, v.p, v.len);
						return CH_CONV_OK;
					}
					put_timestamp(out, conv, v.p[1] == '-' ? INT64_MIN / 2 : INT64_MAX / 2,
								  0, 0);
					return CH_CONV_OK;
				}
				if (!parse_iso(v.p + 1, v.len - 2, &secs, &nanos, &digits))
				{
					/* already 'YYYY-MM-DD hh:mm:ss' or similar: let ClickHouse judge */
					ch_buf_append(out, v.p, v.len);
					return CH_CONV_OK;
				}
				put_timestamp(out, conv, secs, nanos, digits);
				return CH_CONV_OK;
			}
			return bad(scratch, "expected a timestamp", v);

		case CV_TIME:
			if (t == CHJ_NUMBER)
			{
				int64_t		x;
				int64_t		per = pow10i(conv->unit);
				int64_t		secs;
				int64_t		frac;

				if (!ch_json_int64(v, &x))
					return bad(scratch, "expected a time of day", v);
				secs = floor_div(x, per);
				frac = x - secs * per;
				ch_buf_printf(out, "\"%02d:%02d:%02d", (int) (secs / 3600),
							  (int) (secs / 60 % 60), (int) (secs % 60));
				if (frac)
				{
					char		tmp[16];
					int			n = conv->unit;

					snprintf(tmp, sizeof(tmp), "%0*" PRId64, conv->unit, frac);
					while (n > 0 && tmp[n - 1] == '0')
						n--;
					ch_buf_putc(out, '.');
					ch_buf_append(out, tmp, (size_t) n);
				}
				ch_buf_putc(out, '"');
				return CH_CONV_OK;
			}
			ch_buf_append(out, v.p, v.len);
			return CH_CONV_OK;

		case CV_ARRAY:
			{
				ChJsonIter	it;
				ChSpan		e;
				int			r;
				bool		first = true;

				if (!ch_json_iter_array(&it, v))
					return bad(scratch, "expected an array", v);
				ch_buf_putc(out, '[');
				while ((r = ch_json_next_element(&it, &e)) == 1)
				{
					ChConvResult cr;

					if (!first)
						ch_buf_putc(out, ',');
					first = false;
					cr = ch_conv_value(conv->elem, e, out, scratch);
					if (cr == CH_CONV_BAD)
						return cr;
					if (cr == CH_CONV_OMIT)
						ch_buf_puts(out, "null");
				}
				if (r < 0)
					return bad(scratch, "malformed array", v);
				ch_buf_putc(out, ']');
				return CH_CONV_OK;
			}
	}
	return bad(scratch, "unexpected value", v);
}
