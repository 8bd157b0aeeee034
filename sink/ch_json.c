/*-------------------------------------------------------------------------
 *
 * ch_json.c
 *	  A growing byte buffer and a small JSON scanner for the ClickHouse
 *	  stage of wal2dbz-sink.
 *
 * The scanner validates structure (brackets, strings, escapes) as it
 * skips, but not number syntax beyond the characters a number may hold:
 * numbers are copied to ClickHouse, which parses them.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_json.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ch_json.h"

/* nesting deeper than this is refused (the scanner recurses) */
#define MAX_DEPTH	64

/* Initialise an empty buffer. */
void
ch_buf_init(ChBuf *buf)
{
	memset(buf, 0, sizeof(*buf));
}

/* Free the buffer's memory. */
void
ch_buf_free(ChBuf *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}

/* Empty the buffer, keeping its memory. */
void
ch_buf_reset(ChBuf *buf)
{
	buf->len = 0;
	buf->oom = false;
}

/* Make room for extra more bytes (and a NUL). */
bool
ch_buf_reserve(ChBuf *buf, size_t extra)
{
	size_t		need;
	size_t		newcap;
	char	   *data;

	if (buf->oom)
		return false;
	need = buf->len + extra + 1;
	if (need <= buf->cap)
		return true;
	newcap = buf->cap ? buf->cap : 256;
	while (newcap < need)
		newcap *= 2;
	data = realloc(buf->data, newcap);
	if (data == NULL)
	{
		buf->oom = true;
		return false;
	}
	buf->data = data;
	buf->cap = newcap;
	return true;
}

/* Append bytes. */
void
ch_buf_append(ChBuf *buf, const void *data, size_t len)
{
	if (len == 0 || !ch_buf_reserve(buf, len))
		return;
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
}

/* Append a C string. */
void
ch_buf_puts(ChBuf *buf, const char *s)
{
	ch_buf_append(buf, s, strlen(s));
}

/* Append one byte. */
void
ch_buf_putc(ChBuf *buf, char c)
{
	if (!ch_buf_reserve(buf, 1))
		return;
	buf->data[buf->len++] = c;
}

/* Append formatted text. */
void
ch_buf_printf(ChBuf *buf, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !ch_buf_reserve(buf, (size_t) n))
		return;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t) n;
}

/* NUL-terminate and return the data. */
const char *
ch_buf_cstr(ChBuf *buf)
{
	if (!ch_buf_reserve(buf, 0))
		return "";
	buf->data[buf->len] = '\0';
	return buf->data;
}

/*
 * Append bytes as a JSON string.  Control characters are escaped; every
 * other byte, including invalid UTF-8 (bytea decoded to String), is
 * written as it is: ClickHouse keeps String bytes verbatim.
 */
void
ch_buf_json_string(ChBuf *buf, const char *s, size_t len)
{
	size_t		i;

	if (!ch_buf_reserve(buf, len + 2))
		return;
	buf->data[buf->len++] = '"';
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
		{
			ch_buf_putc(buf, '\\');
			ch_buf_putc(buf, (char) c);
		}
		else if (c < 0x20)
		{
			switch (c)
			{
				case '\n':
					ch_buf_puts(buf, "\\n");
					break;
				case '\t':
					ch_buf_puts(buf, "\\t");
					break;
				case '\r':
					ch_buf_puts(buf, "\\r");
					break;
				default:
					ch_buf_printf(buf, "\\u%04X", c);
			}
		}
		else
			ch_buf_putc(buf, (char) c);
	}
	ch_buf_putc(buf, '"');
}

/* Skip white space. */
static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Skip a string starting at its opening quote; NULL if malformed. */
static const char *
skip_string(const char *p, const char *end)
{
	p++;
	while (p < end)
	{
		const char *q = memchr(p, '"', (size_t) (end - p));
		const char *b;
		size_t		nb;

		if (q == NULL)
			return NULL;
		/* an even number of backslashes before the quote ends the string */
		for (b = q, nb = 0; b > p && b[-1] == '\\'; b--)
			nb++;
		if (nb % 2 == 0)
			return q + 1;
		p = q + 1;
	}
	return NULL;
}

/* Skip one value starting at p (no white space); NULL if malformed. */
static const char *
skip_value(const char *p, const char *end, int depth)
{
	if (p >= end || depth > MAX_DEPTH)
		return NULL;
	switch (*p)
	{
		case '"':
			return skip_string(p, end);
		case '{':
		case '[':
			{
				char		close = *p == '{' ? '}' : ']';
				bool		object = *p == '{';
				bool		first = true;

				p = skip_ws(p + 1, end);
				if (p < end && *p == close)
					return p + 1;
				for (;;)
				{
					if (!first)
					{
						if (p >= end)
							return NULL;
						if (*p == close)
							return p + 1;
						if (*p != ',')
							return NULL;
						p = skip_ws(p + 1, end);
					}
					first = false;
					if (object)
					{
						if (p >= end || *p != '"')
							return NULL;
						p = skip_string(p, end);
						if (p == NULL)
							return NULL;
						p = skip_ws(p, end);
						if (p >= end || *p != ':')
							return NULL;
						p = skip_ws(p + 1, end);
					}
					p = skip_value(p, end, depth + 1);
					if (p == NULL)
						return NULL;
					p = skip_ws(p, end);
				}
			}
		case 't':
			return end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
		case 'f':
			return end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
		case 'n':
			return end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
		default:
			if (*p == '-' || (*p >= '0' && *p <= '9'))
			{
				p++;
				while (p < end && ((*p >= '0' && *p <= '9') || *p == '.' ||
								   *p == 'e' || *p == 'E' || *p == '+' ||
								   *p == '-'))
					p++;
				return p;
			}
			return NULL;
	}
}

/* The kind of a value. */
ChJsonType
ch_json_type(ChSpan v)
{
	if (v.len == 0)
		return CHJ_INVALID;
	switch (v.p[0])
	{
		case '"':
			return CHJ_STRING;
		case '{':
			return CHJ_OBJECT;
		case '[':
			return CHJ_ARRAY;
		case 'n':
			return CHJ_NULL;
		case 't':
		case 'f':
			return CHJ_BOOL;
		default:
			return CHJ_NUMBER;
	}
}

/* Find one value. */
bool
ch_json_value(const char *p, const char *end, ChSpan *value)
{
	const char *q;

	p = skip_ws(p, end);
	q = skip_value(p, end, 0);
	if (q == NULL)
		return false;
	value->p = p;
	value->len = (size_t) (q - p);
	return true;
}

/* Start iterating an object. */
bool
ch_json_iter_object(ChJsonIter *it, ChSpan v)
{
	if (v.len < 2 || v.p[0] != '{')
		return false;
	it->p = v.p + 1;
	it->end = v.p + v.len;
	it->close = '}';
	it->first = true;
	return true;
}

/* Start iterating an array. */
bool
ch_json_iter_array(ChJsonIter *it, ChSpan v)
{
	if (v.len < 2 || v.p[0] != '[')
		return false;
	it->p = v.p + 1;
	it->end = v.p + v.len;
	it->close = ']';
	it->first = true;
	return true;
}

/* Step over the separator before the next item; 0 at the end. */
static int
iter_step(ChJsonIter *it)
{
	it->p = skip_ws(it->p, it->end);
	if (it->p >= it->end)
		return -1;
	if (*it->p == it->close)
		return 0;
	if (!it->first)
	{
		if (*it->p != ',')
			return -1;
		it->p = skip_ws(it->p + 1, it->end);
	}
	it->first = false;
	return 1;
}

/* The next member of an object. */
int
ch_json_next_member(ChJsonIter *it, ChSpan *key, ChSpan *value)
{
	const char *q;
	int			r = iter_step(it);

	if (r <= 0)
		return r;
	if (it->p >= it->end || *it->p != '"')
		return -1;
	q = skip_string(it->p, it->end);
	if (q == NULL)
		return -1;
	key->p = it->p + 1;
	key->len = (size_t) (q - it->p - 2);
	it->p = skip_ws(q, it->end);
	if (it->p >= it->end || *it->p != ':')
		return -1;
	it->p = skip_ws(it->p + 1, it->end);
	q = skip_value(it->p, it->end, 1);
	if (q == NULL)
		return -1;
	value->p = it->p;
	value->len = (size_t) (q - it->p);
	it->p = q;
	return 1;
}

/* The next element of an array. */
int
ch_json_next_element(ChJsonIter *it, ChSpan *value)
{
	const char *q;
	int			r = iter_step(it);

	if (r <= 0)
		return r;
	q = skip_value(it->p, it->end, 1);
	if (q == NULL)
		return -1;
	value->p = it->p;
	value->len = (size_t) (q - it->p);
	it->p = q;
	return 1;
}

/* Compare a raw key with a plain string. */
bool
ch_json_key_is(ChSpan key, const char *s)
{
	size_t		n = strlen(s);

	if (memchr(key.p, '\\', key.len) == NULL)
		return key.len == n && memcmp(key.p, s, n) == 0;
	{
		ChBuf		tmp;
		bool		eq;

		ch_buf_init(&tmp);
		eq = ch_json_unescape(key.p, key.len, &tmp) && !tmp.oom &&
			tmp.len == n && memcmp(tmp.data, s, n) == 0;
		ch_buf_free(&tmp);
		return eq;
	}
}

/* Find a member by name. */
bool
ch_json_member(ChSpan obj, const char *name, ChSpan *value)
{
	ChJsonIter	it;
	ChSpan		key;
	ChSpan		v;

	if (!ch_json_iter_object(&it, obj))
		return false;
	while (ch_json_next_member(&it, &key, &v) == 1)
	{
		if (ch_json_key_is(key, name))
		{
			*value = v;
			return true;
		}
	}
	return false;
}

/* The value of one hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read four hex digits. */
static bool
read_hex4(const char *p, const char *end, unsigned *cp)
{
	int			i;

	if (end - p < 4)
		return false;
	*cp = 0;
	for (i = 0; i < 4; i++)
	{
		int			h = hexval(p[i]);

		if (h < 0)
			return false;
		*cp = *cp * 16 + (unsigned) h;
	}
	return true;
}

/* Append a code point as UTF-8. */
static void
put_utf8(ChBuf *out, unsigned cp)
{
	if (cp < 0x80)
		ch_buf_putc(out, (char) cp);
	else if (cp < 0x800)
	{
		ch_buf_putc(out, (char) (0xC0 | (cp >> 6)));
		ch_buf_putc(out, (char) (0x80 | (cp & 0x3F)));
	}
	else if (cp < 0x10000)
	{
		ch_buf_putc(out, (char) (0xE0 | (cp >> 12)));
		ch_buf_putc(out, (char) (0x80 | ((cp >> 6) & 0x3F)));
		ch_buf_putc(out, (char) (0x80 | (cp & 0x3F)));
	}
	else
	{
		ch_buf_putc(out, (char) (0xF0 | (cp >> 18)));
		ch_buf_putc(out, (char) (0x80 | ((cp >> 12) & 0x3F)));
		ch_buf_putc(out, (char) (0x80 | ((cp >> 6) & 0x3F)));
		ch_buf_putc(out, (char) (0x80 | (cp & 0x3F)));
	}
}

/* The character a one-letter JSON escape stands for; 0 if none. */
static char
unescape_char(char c)
{
	static const char from[] = "\"\\/bfnrt";
	static const char to[] = "\"\\/\b\f\n\r\t";
	const char *at = c ? strchr(from, c) : NULL;

	return at ? to[at - from] : 0;
}

/* Decode the body of a string (between the quotes). */
bool
ch_json_unescape(const char *p, size_t len, ChBuf *out)
{
	const char *end = p + len;

	while (p < end)
	{
		const char *bs = memchr(p, '\\', (size_t) (end - p));
		unsigned	cp;
		unsigned	lo;
		char		c;

		if (bs == NULL)
		{
			ch_buf_append(out, p, (size_t) (end - p));
			break;
		}
		ch_buf_append(out, p, (size_t) (bs - p));
		p = bs + 1;
		if (p >= end)
			return false;
		if (*p != 'u')
		{
			if ((c = unescape_char(*p++)) == 0)
				return false;
			ch_buf_putc(out, c);
			continue;
		}
		if (!read_hex4(++p, end, &cp))
			return false;
		p += 4;
		/* a surrogate pair is one code point */
		if (cp >= 0xD800 && cp < 0xDC00 && end - p >= 6 && p[0] == '\\' &&
			p[1] == 'u' && read_hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo < 0xE000)
		{
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			p += 6;
		}
		put_utf8(out, cp);
	}
	return true;
}

/* Decode a string value. */
bool
ch_json_decode_string(ChSpan v, ChBuf *out)
{
	if (v.len < 2 || v.p[0] != '"' || v.p[v.len - 1] != '"')
		return false;
	return ch_json_unescape(v.p + 1, v.len - 2, out);
}

/* Is v the string s? */
bool
ch_json_string_is(ChSpan v, const char *s)
{
	size_t		n = strlen(s);

	if (v.len < 2 || v.p[0] != '"')
		return false;
	if (v.len == n + 2 && memcmp(v.p + 1, s, n) == 0)
		return true;
	if (memchr(v.p, '\\', v.len) == NULL)
		return false;
	{
		ChBuf		tmp;
		bool		eq;

		ch_buf_init(&tmp);
		eq = ch_json_decode_string(v, &tmp) && !tmp.oom && tmp.len == n &&
			memcmp(tmp.data, s, n) == 0;
		ch_buf_free(&tmp);
		return eq;
	}
}

/* Copy an integer's digits (unquoted) into buf; false if not one. */
static bool
int_text(ChSpan v, char *buf, size_t buflen)
{
	const char *p = v.p;
	size_t		n = v.len;
	size_t		i;

	if (n >= 2 && p[0] == '"' && p[n - 1] == '"')
	{
		p++;
		n -= 2;
	}
	if (n == 0 || n >= buflen)
		return false;
	for (i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (i == 0 && p[i] == '-')))
			return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

/* Read a signed integer. */
bool
ch_json_int64(ChSpan v, int64_t *result)
{
	char		buf[32];
	char	   *endp;
	long long	ll;

	if (!int_text(v, buf, sizeof(buf)))
		return false;
	errno = 0;
	ll = strtoll(buf, &endp, 10);
	if (errno != 0 || *endp != '\0')
		return false;
	*result = (int64_t) ll;
	return true;
}

/* Read an unsigned integer. */
bool
ch_json_uint64(ChSpan v, uint64_t *result)
{
	char		buf[32];
	char	   *endp;
	unsigned long long ull;

	if (!int_text(v, buf, sizeof(buf)) || buf[0] == '-')
		return false;
	errno = 0;
	ull = strtoull(buf, &endp, 10);
	if (errno != 0 || *endp != '\0')
		return false;
	*result = (uint64_t) ull;
	return true;
}

/* FNV-1a, 64 bits. */
uint64_t
ch_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t	h = UINT64_C(14695981039346656037);
	size_t		i;

	for (i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Decode Base64 (both alphabets, padding optional). */
bool
ch_base64_decode(const char *p, size_t len, ChBuf *out)
{
	uint32_t	acc = 0;
	int			bits = 0;
	size_t		i;

	if (!ch_buf_reserve(out, len * 3 / 4 + 3))
		return true;			/* oom is reported by the caller */
	for (i = 0; i < len; i++)
	{
		char		c = p[i];
		int			v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else if (c == '=')
			break;
		else
			return false;
		acc = (acc << 6) | (uint32_t) v;
		bits += 6;
		if (bits >= 8)
		{
			bits -= 8;
			out->data[out->len++] = (char) ((acc >> bits) & 0xFF);
		}
	}
	return true;
}
