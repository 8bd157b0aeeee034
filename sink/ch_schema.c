/*-------------------------------------------------------------------------
 *
 * ch_schema.c
 *	  Debezium (Kafka Connect) schemas to ClickHouse types and DDL, by the
 *	  server's version.
 *
 * The mapping (ch_type_for) picks the closest type the server has:
 *
 *	int8/16/32/64, float32/64		Int8/16/32/64, Float32/64
 *	boolean							Bool (22.1+), else UInt8
 *	string							String; io.debezium.data.Uuid: UUID
 *	Decimal (bytes, scale, precision) Decimal(P, S) up to 38 digits (76 from
 *									22.1), String beyond; money (no
 *									precision): Decimal(38, S)
 *	VariableScaleDecimal (struct)	String (the exact decimal text)
 *	io.debezium.time.Date, Connect Date	Date32 (21.9+), else Date
 *	Timestamp (ms), Connect Timestamp	DateTime64(3, 'UTC')
 *	MicroTimestamp, ZonedTimestamp	DateTime64(6, 'UTC')
 *	NanoTimestamp					DateTime64(9, 'UTC')
 *		(before 20.1: DateTime('UTC') in whole seconds, or String with
 *		clickhouse.datetime.fallback=string)
 *	Time, MicroTime, NanoTime, Connect Time, ZonedTime	String 'hh:mm:ss[.ffffff]'
 *	MicroDuration					Int64 (microseconds, as Debezium)
 *	bytes, Bits						String (the bytes themselves)
 *	array<T>						Array(Nullable(T)) (elements are optional)
 *	map (hstore.handling.mode=map)	Map(String, Nullable(String)) (22.1+),
 *									else String (JSON)
 *	other structs (geometry, ...)	String (JSON)
 *
 * and wraps optional fields in Nullable(), except key columns (never
 * optional in Debezium) and arrays and maps, which ClickHouse cannot make
 * Nullable (null becomes empty).  Each column's comment records its
 * Connect type, so that events without schemas can be decoded later.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_schema.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ch_schema.h"

/* the Connect type names, indexed by ChConnectKind */
static const char *const connect_names[] = {
	"", "int8", "int16", "int32", "int64", "float", "double", "boolean",
	"string", "bytes", "array", "map", "struct"
};

/* logical names the mapping looks at */
#define LN_DECIMAL			"org.apache.kafka.connect.data.Decimal"
#define LN_CONNECT_DATE		"org.apache.kafka.connect.data.Date"
#define LN_CONNECT_TIME		"org.apache.kafka.connect.data.Time"
#define LN_CONNECT_TS		"org.apache.kafka.connect.data.Timestamp"
#define LN_DATE				"io.debezium.time.Date"
#define LN_TIME				"io.debezium.time.Time"
#define LN_MICROTIME		"io.debezium.time.MicroTime"
#define LN_NANOTIME			"io.debezium.time.NanoTime"
#define LN_TIMESTAMP		"io.debezium.time.Timestamp"
#define LN_MICROTIMESTAMP	"io.debezium.time.MicroTimestamp"
#define LN_NANOTIMESTAMP	"io.debezium.time.NanoTimestamp"
#define LN_ZONEDTIMESTAMP	"io.debezium.time.ZonedTimestamp"
#define LN_UUID				"io.debezium.data.Uuid"

/* Is ct's logical name n? */
static bool
named(const ChConnect *ct, const char *n)
{
	return ct->name != NULL && strcmp(ct->name, n) == 0;
}

/* Parse "major.minor..." into the feature flags. */
void
ch_server_init(ChServer *srv, const char *version)
{
	int			major = 0;
	int			minor = 0;

	memset(srv, 0, sizeof(*srv));
	if (version)
		sscanf(version, "%d.%d", &major, &minor);
	srv->major = major;
	srv->minor = minor;
#define AT_LEAST(a, b) (major > (a) || (major == (a) && minor >= (b)))
	srv->datetime64 = AT_LEAST(20, 1);
	srv->add_if_not_exists = AT_LEAST(20, 1);
	srv->date32 = AT_LEAST(21, 9);
	srv->bool_type = AT_LEAST(22, 1);
	srv->map_type = AT_LEAST(22, 1);
	srv->decimal256 = AT_LEAST(22, 1);
	srv->is_deleted = AT_LEAST(23, 2);
#undef AT_LEAST
}

/* Skip white space. */
static const char *
skip_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	return s;
}

/* Does s start with word followed by '(' or the end? Advance past it. */
static bool
take_word(const char **s, const char *word)
{
	size_t		n = strlen(word);

	if (strncmp(*s, word, n) != 0)
		return false;
	if (isalnum((unsigned char) (*s)[n]) || (*s)[n] == '_')
		return false;
	*s += n;
	return true;
}

/* Find the ')' that closes the '(' before s; NULL if none. */
static const char *
closing_paren(const char *s)
{
	int			depth = 1;
	bool		quoted = false;

	for (; *s; s++)
	{
		if (quoted)
		{
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '\'')
				quoted = false;
			continue;
		}
		if (*s == '\'')
			quoted = true;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s;
	}
	return NULL;
}

/* Parse one type at *s; advances *s past it. */
static void
parse_type(const char **s, ChType *t)
{
	const char *p = skip_spaces(*s);
	const char *close;

	memset(t, 0, sizeof(*t));
	if (take_word(&p, "Nullable") && *p == '(')
	{
		p++;
		parse_type(&p, t);
		t->nullable = true;
		p = skip_spaces(p);
		if (*p == ')')
			p++;
		*s = p;
		return;
	}
	if (take_word(&p, "LowCardinality") && *p == '(')
	{
		p++;
		parse_type(&p, t);
		p = skip_spaces(p);
		if (*p == ')')
			p++;
		*s = p;
		return;
	}
	if (take_word(&p, "Array") && *p == '(')
	{
		p++;
		t->kind = CK_ARRAY;
		t->elem = calloc(1, sizeof(ChType));
		if (t->elem)
			parse_type(&p, t->elem);
		p = skip_spaces(p);
		if (*p == ')')
			p++;
		*s = p;
		return;
	}
	if (take_word(&p, "Map") && *p == '(')
	{
		ChType		key;

		p++;
		t->kind = CK_MAP;
		parse_type(&p, &key);
		ch_type_free(&key);
		p = skip_spaces(p);
		if (*p == ',')
			p++;
		t->elem = calloc(1, sizeof(ChType));
		if (t->elem)
			parse_type(&p, t->elem);
		p = skip_spaces(p);
		if (*p == ')')
			p++;
		*s = p;
		return;
	}

	if (take_word(&p, "Decimal") && *p == '(')
	{
		t->kind = CK_DECIMAL;
		sscanf(p, "(%d, %d)", &t->precision, &t->scale);
	}
	else if (strncmp(p, "Decimal", 7) == 0 && isdigit((unsigned char) p[7]))
	{
		int			bits = atoi(p + 7);

		t->kind = CK_DECIMAL;
		t->precision = bits == 32 ? 9 : bits == 64 ? 18 : bits == 128 ? 38 : 76;
		close = strchr(p, '(');
		if (close)
			t->scale = atoi(close + 1);
	}
	else if (take_word(&p, "DateTime64"))
	{
		t->kind = CK_DATETIME64;
		t->scale = 3;
		if (*p == '(')
			t->scale = atoi(p + 1);
	}
	else if (take_word(&p, "DateTime"))
		t->kind = CK_DATETIME;
	else if (take_word(&p, "Date32"))
		t->kind = CK_DATE32;
	else if (take_word(&p, "Date"))
		t->kind = CK_DATE;
	else if (take_word(&p, "String"))
		t->kind = CK_STRING;
	else if (take_word(&p, "FixedString"))
		t->kind = CK_FIXEDSTRING;
	else if (take_word(&p, "UUID"))
		t->kind = CK_UUID;
	else if (take_word(&p, "Bool") || take_word(&p, "Boolean"))
		t->kind = CK_BOOL;
	else if (strncmp(p, "Enum", 4) == 0)
		t->kind = CK_ENUM;
	else if (strncmp(p, "UInt", 4) == 0 && isdigit((unsigned char) p[4]))
	{
		t->kind = CK_UINT;
		t->bits = atoi(p + 4);
	}
	else if (strncmp(p, "Int", 3) == 0 && isdigit((unsigned char) p[3]))
	{
		t->kind = CK_INT;
		t->bits = atoi(p + 3);
	}
	else if (strncmp(p, "Float", 5) == 0 && isdigit((unsigned char) p[5]))
	{
		t->kind = CK_FLOAT;
		t->bits = atoi(p + 5);
	}
	else
		t->kind = CK_OTHER;

	/* skip the rest of this type: its name and any parameters */
	while (*p && (isalnum((unsigned char) *p) || *p == '_'))
		p++;
	if (*p == '(')
	{
		close = closing_paren(p + 1);
		p = close ? close + 1 : p + strlen(p);
	}
	*s = p;
}

/* Parse a type as system.columns shows it. */
void
ch_type_parse(const char *s, ChType *type)
{
	parse_type(&s, type);
}

/* Free a parsed type's element types. */
void
ch_type_free(ChType *type)
{
	if (type->elem)
	{
		ch_type_free(type->elem);
		free(type->elem);
	}
	memset(type, 0, sizeof(*type));
}

/* Parse one Connect schema. */
static bool
parse_connect(json_t *schema, ChConnect *ct)
{
	const char *type;
	json_t	   *params;
	int			k;

	memset(ct, 0, sizeof(*ct));
	if (!json_is_object(schema))
		return false;
	type = json_string_value(json_object_get(schema, "type"));
	if (type == NULL)
		return false;
	for (k = CT_INT8; k <= CT_STRUCT; k++)
		if (strcmp(type, connect_names[k]) == 0)
			ct->kind = (ChConnectKind) k;
	if (ct->kind == CT_NONE)
		return false;
	ct->optional = json_is_true(json_object_get(schema, "optional"));
	if (json_is_string(json_object_get(schema, "name")))
	{
		ct->name = strdup(json_string_value(json_object_get(schema, "name")));
		if (ct->name == NULL)
			return false;
	}
	params = json_object_get(schema, "parameters");
	if (json_is_object(params))
	{
		const char *v = json_string_value(json_object_get(params, "scale"));

		if (v)
			ct->scale = atoi(v);
		v = json_string_value(json_object_get(params, "connect.decimal.precision"));
		if (v)
			ct->precision = atoi(v);
	}
	if (ct->kind == CT_ARRAY || ct->kind == CT_MAP)
	{
		json_t	   *items = json_object_get(schema,
										   ct->kind == CT_ARRAY ? "items" : "values");

		ct->items = calloc(1, sizeof(ChConnect));
		if (ct->items == NULL || !parse_connect(items, ct->items))
			return false;
	}
	return true;
}

/* Free one Connect schema's parts. */
void
ch_connect_free(ChConnect *ct)
{
	free(ct->name);
	if (ct->items)
	{
		ch_connect_free(ct->items);
		free(ct->items);
	}
	memset(ct, 0, sizeof(*ct));
}

/* Parse the fields of a struct schema. */
bool
ch_connect_parse_fields(json_t *schema, ChField **fields, int *nfields)
{
	json_t	   *arr = json_object_get(schema, "fields");
	ChField    *out;
	size_t		i;
	size_t		n;

	*fields = NULL;
	*nfields = 0;
	if (!json_is_array(arr))
		return false;
	n = json_array_size(arr);
	out = calloc(n ? n : 1, sizeof(ChField));
	if (out == NULL)
		return false;
	for (i = 0; i < n; i++)
	{
		json_t	   *f = json_array_get(arr, i);
		const char *name = json_string_value(json_object_get(f, "field"));

		if (name == NULL || (out[i].name = strdup(name)) == NULL ||
			!parse_connect(f, &out[i].type))
		{
			ch_connect_free_fields(out, (int) i + 1);
			return false;
		}
	}
	*fields = out;
	*nfields = (int) n;
	return true;
}

/* Free parsed fields. */
void
ch_connect_free_fields(ChField *fields, int nfields)
{
	int			i;

	if (fields == NULL)
		return;
	for (i = 0; i < nfields; i++)
	{
		free(fields[i].name);
		ch_connect_free(&fields[i].type);
	}
	free(fields);
}

/* Describe a Connect type without the prefix. */
static void
describe(const ChConnect *ct, ChBuf *out)
{
	ch_buf_puts(out, connect_names[ct->kind]);
	if (ct->kind == CT_ARRAY || ct->kind == CT_MAP)
	{
		ch_buf_putc(out, ' ');
		describe(ct->items, out);
		return;
	}
	if (ct->name)
	{
		ch_buf_putc(out, ' ');
		ch_buf_puts(out, ct->name);
		/* a Decimal kept as String needs its scale to be read back */
		if (strcmp(ct->name, LN_DECIMAL) == 0)
			ch_buf_printf(out, " scale=%d", ct->scale);
	}
}

/* The comment that records a Connect type. */
void
ch_connect_describe(const ChConnect *ct, ChBuf *out)
{
	ch_buf_puts(out, CH_COMMENT_PREFIX);
	describe(ct, out);
}

/* Parse a description; *s advances past it. */
static bool
undescribe(const char **s, ChConnect *ct)
{
	const char *p = *s;
	size_t		n = strcspn(p, " ");
	int			k;

	memset(ct, 0, sizeof(*ct));
	ct->optional = true;
	for (k = CT_INT8; k <= CT_STRUCT; k++)
		if (strlen(connect_names[k]) == n && strncmp(p, connect_names[k], n) == 0)
			ct->kind = (ChConnectKind) k;
	if (ct->kind == CT_NONE)
		return false;
	p += n;
	if (*p == ' ')
		p++;
	if (ct->kind == CT_ARRAY || ct->kind == CT_MAP)
	{
		ct->items = calloc(1, sizeof(ChConnect));
		if (ct->items == NULL || !undescribe(&p, ct->items))
			return false;
	}
	else if (*p)
	{
		n = strcspn(p, " ");
		ct->name = strndup(p, n);
		if (ct->name == NULL)
			return false;
		p += n;
		if (strncmp(p, " scale=", 7) == 0)
		{
			ct->scale = atoi(p + 7);
			p += 7 + strspn(p + 7, "-0123456789");
		}
	}
	*s = p;
	return true;
}

/* Read a column comment back into a Connect type. */
bool
ch_connect_from_comment(const char *comment, ChConnect *ct)
{
	const char *p = comment;

	memset(ct, 0, sizeof(*ct));
	if (comment == NULL ||
		strncmp(comment, CH_COMMENT_PREFIX, strlen(CH_COMMENT_PREFIX)) != 0)
		return false;
	p += strlen(CH_COMMENT_PREFIX);
	if (!undescribe(&p, ct))
	{
		ch_connect_free(ct);
		return false;
	}
	return true;
}

/* A timestamp type with digits of fraction. */
static void
timestamp_type(const ChServer *srv, ChDatetimeFallback fallback, int digits,
			   ChBuf *out)
{
	if (srv->datetime64)
		ch_buf_printf(out, "DateTime64(%d, 'UTC')", digits);
	else if (fallback == CH_DT_FALLBACK_STRING)
		ch_buf_puts(out, "String");
	else
		ch_buf_puts(out, "DateTime('UTC')");
}

/* The type without Nullable. */
static void
base_type(const ChConnect *ct, const ChServer *srv,
		  ChDatetimeFallback fallback, ChBuf *out)
{
	int			maxp = srv->decimal256 ? 76 : 38;

	switch (ct->kind)
	{
		case CT_INT8:
			ch_buf_puts(out, "Int8");
			return;
		case CT_INT16:
			ch_buf_puts(out, "Int16");
			return;
		case CT_INT32:
			if (named(ct, LN_DATE) || named(ct, LN_CONNECT_DATE))
				ch_buf_puts(out, srv->date32 ? "Date32" : "Date");
			else if (named(ct, LN_TIME) || named(ct, LN_CONNECT_TIME))
				ch_buf_puts(out, "String");
			else
				ch_buf_puts(out, "Int32");
			return;
		case CT_INT64:
			if (named(ct, LN_MICROTIMESTAMP))
				timestamp_type(srv, fallback, 6, out);
			else if (named(ct, LN_TIMESTAMP) || named(ct, LN_CONNECT_TS))
				timestamp_type(srv, fallback, 3, out);
			else if (named(ct, LN_NANOTIMESTAMP))
				timestamp_type(srv, fallback, 9, out);
			else if (named(ct, LN_MICROTIME) || named(ct, LN_NANOTIME))
				ch_buf_puts(out, "String");
			else
				ch_buf_puts(out, "Int64");
			return;
		case CT_FLOAT32:
			ch_buf_puts(out, "Float32");
			return;
		case CT_FLOAT64:
			ch_buf_puts(out, "Float64");
			return;
		case CT_BOOLEAN:
			ch_buf_puts(out, srv->bool_type ? "Bool" : "UInt8");
			return;
		case CT_STRING:
			if (named(ct, LN_UUID))
				ch_buf_puts(out, "UUID");
			else if (named(ct, LN_ZONEDTIMESTAMP))
				timestamp_type(srv, fallback, 6, out);
			else
				ch_buf_puts(out, "String");
			return;
		case CT_BYTES:
			if (named(ct, LN_DECIMAL))
			{
				int			p = ct->precision > 0 ? ct->precision : 38;

				if (p > maxp || ct->scale < 0 || ct->scale > p)
					ch_buf_puts(out, "String");
				else
					ch_buf_printf(out, "Decimal(%d, %d)", p, ct->scale);
			}
			else
				ch_buf_puts(out, "String");
			return;
		case CT_ARRAY:
			if (ct->items->kind == CT_ARRAY || ct->items->kind == CT_MAP ||
				ct->items->kind == CT_STRUCT)
			{
				ch_buf_puts(out, "String");
				return;
			}
			ch_buf_puts(out, "Array(");
			if (ct->items->optional)
				ch_buf_puts(out, "Nullable(");
			base_type(ct->items, srv, fallback, out);
			if (ct->items->optional)
				ch_buf_putc(out, ')');
			ch_buf_putc(out, ')');
			return;
		case CT_MAP:
			if (srv->map_type && ct->items->kind == CT_STRING)
				ch_buf_puts(out, "Map(String, Nullable(String))");
			else
				ch_buf_puts(out, "String");
			return;
		case CT_STRUCT:
		case CT_NONE:
			ch_buf_puts(out, "String");
			return;
	}
}

/* The ClickHouse type for a Connect type. */
void
ch_type_for(const ChConnect *ct, const ChServer *srv, bool key,
			ChDatetimeFallback fallback, ChBuf *out)
{
	ChBuf		base;
	bool		nullable;

	ch_buf_init(&base);
	base_type(ct, srv, fallback, &base);
	ch_buf_cstr(&base);
	nullable = ct->optional && !key && !base.oom &&
		strncmp(base.data, "Array(", 6) != 0 &&
		strncmp(base.data, "Map(", 4) != 0;
	if (nullable)
		ch_buf_puts(out, "Nullable(");
	ch_buf_append(out, base.data, base.len);
	if (nullable)
		ch_buf_putc(out, ')');
	if (base.oom)
		out->oom = true;
	ch_buf_free(&base);
}

/* Compare two types without their Nullable flags. */
static ChTypeRelation
relation(const ChType *e, const ChType *d, const ChConnect *ct)
{
	if (e->kind == CK_STRING || e->kind == CK_OTHER)
		return e->kind == d->kind && e->kind == CK_STRING ? CH_REL_SAME : CH_REL_HOLDS;
	if (e->kind == CK_FIXEDSTRING || e->kind == CK_ENUM)
		return d->kind == CK_STRING ? CH_REL_HOLDS : CH_REL_INCOMPATIBLE;

	switch (d->kind)
	{
		case CK_INT:
		case CK_UINT:
			if (e->kind == d->kind)
				return e->bits == d->bits ? CH_REL_SAME :
					e->bits > d->bits ? CH_REL_HOLDS : CH_REL_WIDEN;
			if (e->kind == CK_INT && d->kind == CK_UINT)
				return e->bits > d->bits ? CH_REL_HOLDS : CH_REL_WIDEN;
			if (e->kind == CK_FLOAT && e->bits == 64 && d->bits <= 32)
				return CH_REL_HOLDS;
			if (e->kind == CK_BOOL && d->kind == CK_UINT && d->bits == 8)
				return CH_REL_HOLDS;	/* boolean on a newer server */
			if (e->kind == CK_DECIMAL && e->precision - e->scale >= 19)
				return CH_REL_HOLDS;
			return CH_REL_INCOMPATIBLE;
		case CK_FLOAT:
			if (e->kind == CK_FLOAT)
				return e->bits == d->bits ? CH_REL_SAME :
					e->bits > d->bits ? CH_REL_HOLDS : CH_REL_WIDEN;
			return CH_REL_INCOMPATIBLE;
		case CK_BOOL:
			if (e->kind == CK_BOOL)
				return CH_REL_SAME;
			if (e->kind == CK_UINT || e->kind == CK_INT)
				return CH_REL_HOLDS;	/* UInt8 from an older server */
			return CH_REL_INCOMPATIBLE;
		case CK_DECIMAL:
			if (e->kind != CK_DECIMAL)
				return CH_REL_INCOMPATIBLE;
			if (e->scale == d->scale)
				return e->precision == d->precision ? CH_REL_SAME :
					e->precision > d->precision ? CH_REL_HOLDS : CH_REL_WIDEN;
			if (e->scale > d->scale &&
				e->precision - e->scale >= d->precision - d->scale)
				return CH_REL_HOLDS;
			return CH_REL_INCOMPATIBLE;
		case CK_UUID:
			return e->kind == CK_UUID ? CH_REL_SAME : CH_REL_INCOMPATIBLE;
		case CK_DATE:
			if (e->kind == CK_DATE)
				return CH_REL_SAME;
			return e->kind == CK_DATE32 ? CH_REL_HOLDS : CH_REL_INCOMPATIBLE;
		case CK_DATE32:
			if (e->kind == CK_DATE32)
				return CH_REL_SAME;
			/* a table made before the server had Date32 keeps Date */
			return e->kind == CK_DATE ? CH_REL_HOLDS : CH_REL_INCOMPATIBLE;
		case CK_DATETIME:
			if (e->kind == CK_DATETIME)
				return CH_REL_SAME;
			return e->kind == CK_DATETIME64 ? CH_REL_HOLDS : CH_REL_INCOMPATIBLE;
		case CK_DATETIME64:
			if (e->kind == CK_DATETIME64)
				return e->scale == d->scale ? CH_REL_SAME :
					e->scale > d->scale ? CH_REL_HOLDS : CH_REL_WIDEN;
			/* a table made before the server had DateTime64 keeps DateTime */
			return e->kind == CK_DATETIME ? CH_REL_HOLDS : CH_REL_INCOMPATIBLE;
		case CK_ARRAY:
			if (e->kind != CK_ARRAY || e->elem == NULL || d->elem == NULL)
				return CH_REL_INCOMPATIBLE;
			{
				ChTypeRelation r = relation(e->elem, d->elem,
											ct && ct->items ? ct->items : NULL);

				if (r == CH_REL_SAME && e->elem->nullable != d->elem->nullable)
					r = e->elem->nullable ? CH_REL_HOLDS : CH_REL_WIDEN;
				return r;
			}
		case CK_MAP:
			return e->kind == CK_MAP ? CH_REL_SAME : CH_REL_INCOMPATIBLE;
		case CK_STRING:
			/* a String where a typed column exists: only for the same meaning */
			return CH_REL_INCOMPATIBLE;
		default:
			return e->kind == d->kind ? CH_REL_SAME : CH_REL_INCOMPATIBLE;
	}
}

/* Compare an existing column with the desired type. */
ChTypeRelation
ch_type_relation(const ChType *existing, const ChType *desired,
				 const ChConnect *ct)
{
	ChTypeRelation r = relation(existing, desired, ct);

	if (r == CH_REL_INCOMPATIBLE || r == CH_REL_WIDEN)
		return r;
	/* a column that must become Nullable is widened */
	if (desired->nullable && !existing->nullable &&
		existing->kind != CK_ARRAY && existing->kind != CK_MAP)
		return CH_REL_WIDEN;
	if (r == CH_REL_SAME && existing->nullable != desired->nullable)
		return CH_REL_HOLDS;
	return r;
}

/* Append s between two q's, backslash before q and backslash. */
static void
quote_with(ChBuf *out, const char *s, char q)
{
	ch_buf_putc(out, q);
	for (; *s; s++)
	{
		if (*s == q || *s == '\\')
			ch_buf_putc(out, '\\');
		ch_buf_putc(out, *s);
	}
	ch_buf_putc(out, q);
}

/* Append an identifier in backquotes. */
void
ch_quote_ident(ChBuf *out, const char *s)
{
	quote_with(out, s, '`');
}

/* Append a string literal. */
void
ch_quote_literal(ChBuf *out, const char *s)
{
	quote_with(out, s, '\'');
}

/* Expand a name format. */
bool
ch_expand_name(const char *format, const char *topic, const char *db,
			   const char *schema, const char *table, ChBuf *out)
{
	const char *p = format;
	size_t		start = out->len;
	size_t		i;

	while (*p)
	{
		if (p[0] == '$' && p[1] == '{')
		{
			const char *close = strchr(p, '}');
			size_t		n;
			const char *v;

			if (close == NULL)
				goto bad;
			n = (size_t) (close - p - 2);
			if (n == 5 && strncmp(p + 2, "topic", 5) == 0)
				v = topic;
			else if (n == 9 && strncmp(p + 2, "source.db", 9) == 0)
				v = db;
			else if (n == 13 && strncmp(p + 2, "source.schema", 13) == 0)
				v = schema;
			else if (n == 12 && strncmp(p + 2, "source.table", 12) == 0)
				v = table;
			else
				goto bad;
			if (v)
				ch_buf_puts(out, v);
			p = close + 1;
			continue;
		}
		ch_buf_putc(out, *p++);
	}
	if (out->oom)
		return false;
	for (i = start; i < out->len; i++)
		if (out->data[i] == '.')
			out->data[i] = '_';
	return true;

bad:
	out->len = start;
	ch_buf_printf(out, "unknown placeholder in \"%s\"; use ${topic}, ${source.db}, ${source.schema} or ${source.table}",
				  format);
	return false;
}

/* Does the format use ${source.*}? */
bool
ch_name_uses_source(const char *format)
{
	return strstr(format, "${source.") != NULL;
}

/* "`db`.`table`" */
void
ch_qualified_name(ChBuf *out, const char *database, const char *table)
{
	ch_quote_ident(out, database);
	ch_buf_putc(out, '.');
	ch_quote_ident(out, table);
}

/* " ON CLUSTER `c`" when clustered. */
static void
on_cluster(ChBuf *out, const char *cluster)
{
	if (cluster == NULL || cluster[0] == '\0')
		return;
	ch_buf_puts(out, " ON CLUSTER ");
	ch_quote_ident(out, cluster);
}

/* One column definition. */
static void
column_def(ChBuf *out, const ChColumnDef *col)
{
	ch_quote_ident(out, col->name);
	ch_buf_putc(out, ' ');
	ch_buf_puts(out, col->type);
	if (col->comment)
	{
		ch_buf_puts(out, " COMMENT ");
		ch_quote_literal(out, col->comment);
	}
}

/* CREATE TABLE IF NOT EXISTS. */
void
ch_ddl_create_table(ChBuf *out, const ChServer *srv, const char *database,
					const char *table, const ChColumnDef *cols, int ncols,
					const char *const *keys, int nkeys, const char *cluster)
{
	bool		replicated = cluster != NULL && cluster[0] != '\0';
	int			i;

	ch_buf_puts(out, "CREATE TABLE IF NOT EXISTS ");
	ch_qualified_name(out, database, table);
	on_cluster(out, cluster);
	ch_buf_puts(out, " (");
	for (i = 0; i < ncols; i++)
	{
		if (i > 0)
			ch_buf_puts(out, ", ");
		column_def(out, &cols[i]);
	}
	ch_buf_puts(out, ", ");
	ch_quote_ident(out, CH_VERSION_COLUMN);
	ch_buf_puts(out, " UInt64, ");
	ch_quote_ident(out, CH_DELETED_COLUMN);
	ch_buf_puts(out, " UInt8) ENGINE = ");

	if (nkeys == 0)
	{
		/* no key to collapse by: every change is kept */
		ch_buf_puts(out, replicated ? "ReplicatedMergeTree(" : "MergeTree(");
	}
	else
		ch_buf_puts(out, replicated ? "ReplicatedReplacingMergeTree(" :
					"ReplacingMergeTree(");
	if (replicated)
	{
		ChBuf		path;

		ch_buf_init(&path);
		ch_buf_puts(&path, "/clickhouse/tables/{shard}/");
		ch_buf_puts(&path, database);
		ch_buf_putc(&path, '/');
		ch_buf_puts(&path, table);
		ch_quote_literal(out, ch_buf_cstr(&path));
		ch_buf_free(&path);
		ch_buf_puts(out, ", '{replica}'");
		if (nkeys > 0)
			ch_buf_puts(out, ", ");
	}
	if (nkeys > 0)
	{
		ch_quote_ident(out, CH_VERSION_COLUMN);
		if (srv->is_deleted)
		{
			ch_buf_puts(out, ", ");
			ch_quote_ident(out, CH_DELETED_COLUMN);
		}
	}
	ch_buf_puts(out, ") ORDER BY ");
	if (nkeys == 0)
		ch_buf_puts(out, "tuple()");
	else if (nkeys == 1)
		ch_quote_ident(out, keys[0]);
	else
	{
		ch_buf_putc(out, '(');
		for (i = 0; i < nkeys; i++)
		{
			if (i > 0)
				ch_buf_puts(out, ", ");
			ch_quote_ident(out, keys[i]);
		}
		ch_buf_putc(out, ')');
	}
}

/* CREATE DATABASE IF NOT EXISTS. */
void
ch_ddl_create_database(ChBuf *out, const char *database, const char *cluster)
{
	ch_buf_puts(out, "CREATE DATABASE IF NOT EXISTS ");
	ch_quote_ident(out, database);
	on_cluster(out, cluster);
}

/* ALTER TABLE ADD/MODIFY COLUMN. */
void
ch_ddl_alter_column(ChBuf *out, const ChServer *srv, const char *database,
					const char *table, const ChColumnDef *col, bool modify,
					const char *cluster)
{
	ch_buf_puts(out, "ALTER TABLE ");
	ch_qualified_name(out, database, table);
	on_cluster(out, cluster);
	if (modify)
		ch_buf_puts(out, " MODIFY COLUMN ");
	else if (srv->add_if_not_exists)
		ch_buf_puts(out, " ADD COLUMN IF NOT EXISTS ");
	else
		ch_buf_puts(out, " ADD COLUMN ");
	column_def(out, col);
}
