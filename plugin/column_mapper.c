/*-------------------------------------------------------------------------
 *
 * column_mapper.c
 *	  Debezium's column mappers: column.truncate.to.<n>.chars,
 *	  column.mask.with.<n>.chars, column.mask.hash[.v2].<algorithm>.
 *	  with.salt.<salt> and column.propagate.source.type.
 *
 * Debezium applies a mapper to the value its converter produced, so here it
 * rewrites the JSON a column's value was just written as (record.c):
 *
 *	- truncation cuts a string value to n UTF-16 code units, as Java's
 *	  String.substring does (a character outside the Basic Multilingual
 *	  Plane is two, and Jackson writes both halves escaped, so a cut between
 *	  them leaves the first escape alone, as Jackson writes a lone
 *	  surrogate); other values pass.  It applies only when the column's
 *	  length is unknown or larger than n, and then adds the schema parameter
 *	  "truncateLength";
 *	- masking writes n asterisks for every value of a character column,
 *	  nulls included (MaskStrings ignores the value);
 *	- hashing writes the hex digest of salt + value, a null staying null, cut
 *	  to the column's length when it has one.  Version 1 hashes the value as
 *	  Java serializes a String (ObjectOutputStream: header, TC_STRING, length,
 *	  modified UTF-8), version 2 its UTF-8 bytes;
 *	- column.propagate.source.type changes no value: it adds the source
 *	  column's type, length, scale and name to the value schema.
 *
 * Masks and hashes change only what PgJDBC reports as a character type
 * (text, varchar, bpchar, "char", name, enums); any other column they name
 * keeps its values but still gets the schema parameter "masked".  A column
 * takes the first mapper that names it, in Debezium's order: truncations,
 * masks, version 2 hashes, version 1 hashes, source types.  Lengths are
 * what PgJDBC's getPrecision() reports for the types whose length matters
 * here.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/column_mapper.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "common/cryptohash.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "wal2dbz.h"

/* Java's MessageDigest names of the digests PostgreSQL has. */
static const struct
{
	const char *name;
	pg_cryptohash_type type;
	int			bytes;
}			digests[] = {
	{"MD5", PG_MD5, 16},
	{"SHA-1", PG_SHA1, 20},
	{"SHA-224", PG_SHA224, 28},
	{"SHA-256", PG_SHA256, 32},
	{"SHA-384", PG_SHA384, 48},
	{"SHA-512", PG_SHA512, 64},
};

/* Parse "<n>.chars" at "p"; returns n, or -1. */
static int
parse_chars(const char *p)
{
	char	   *end;
	long		n;

	if (*p < '0' || *p > '9')
		return -1;
	n = strtol(p, &end, 10);
	if (strcmp(end, ".chars") != 0 || n > INT_MAX)
		return -1;
	return (int) n;
}

/*
 * If "name" is a column mapper property, return a new mapper for it (its
 * column list not yet set); else NULL.  A malformed one is an error.
 */
Wal2dbzColumnMapper *
wal2dbz_column_mapper_parse(const char *name)
{
	Wal2dbzColumnMapper *mapper;
	const char *p;

	if (strcmp(name, "column.propagate.source.type") == 0)
	{
		mapper = palloc0(sizeof(Wal2dbzColumnMapper));
		mapper->kind = MAPPER_PROPAGATE;
		return mapper;
	}
	if (strncmp(name, "column.truncate.to.", 19) != 0 &&
		strncmp(name, "column.mask.with.", 17) != 0 &&
		strncmp(name, "column.mask.hash.", 17) != 0)
		return NULL;

	mapper = palloc0(sizeof(Wal2dbzColumnMapper));
	if (strncmp(name, "column.mask.hash.", 17) == 0)
	{
		const char *with = strstr(name, ".with.salt.");
		char	   *algorithm;

		p = name + 17;
		mapper->kind = MAPPER_HASH_V1;
		if (strncmp(p, "v2.", 3) == 0)
		{
			mapper->kind = MAPPER_HASH_V2;
			p += 3;
		}
		else if (strncmp(p, "v1.", 3) == 0)
			p += 3;
		if (with == NULL || with <= p || with[11] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is not of the form column.mask.hash[.v2].<algorithm>.with.salt.<salt>",
							name)));
		algorithm = pnstrdup(p, with - p);
		mapper->digest = -1;
		for (int i = 0; i < lengthof(digests); i++)
			if (pg_strcasecmp(algorithm, digests[i].name) == 0)
				mapper->digest = i;
		if (mapper->digest < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("hash algorithm \"%s\" of option \"%s\" is not supported",
							algorithm, name),
					 errhint("Use MD5, SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512.")));
		mapper->salt = pstrdup(with + 11);
		return mapper;
	}

	if (strncmp(name, "column.truncate.to.", 19) == 0)
	{
		mapper->kind = MAPPER_TRUNCATE;
		mapper->length = parse_chars(name + 19);
	}
	else
	{
		mapper->kind = MAPPER_MASK;
		mapper->length = parse_chars(name + 17);
	}
	if (mapper->length < (mapper->kind == MAPPER_TRUNCATE ? 1 : 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" does not name a number of characters", name),
				 errhint("Write it as in \"%s\".",
						 mapper->kind == MAPPER_TRUNCATE ?
						 "column.truncate.to.20.chars" : "column.mask.with.8.chars")));
	return mapper;
}

/* Debezium's order of mappers: by kind, then as given. */
int
wal2dbz_column_mapper_cmp(const ListCell *a, const ListCell *b)
{
	const Wal2dbzColumnMapper *ma = lfirst(a);
	const Wal2dbzColumnMapper *mb = lfirst(b);

	if (ma->kind != mb->kind)
		return ma->kind < mb->kind ? -1 : 1;
	return ma->position < mb->position ? -1 : ma->position > mb->position;
}

/* Is the type one PgJDBC reports as CHAR or VARCHAR? */
static bool
is_character_type(Oid typid)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case CHAROID:
		case NAMEOID:
			return true;
		default:
			return get_typtype(typid) == TYPTYPE_ENUM;
	}
}

/*
 * The column's length as PgJDBC's TypeInfoCache.getPrecision() gives it,
 * for the types whose values can be strings or are character types;
 * INT_MAX is its "unknown length".
 */
static int
column_length(Oid typid, int32 typmod)
{
	switch (typid)
	{
		case INT2OID:
			return 5;
		case INT4OID:
		case OIDOID:
			return 10;
		case INT8OID:
			return 19;
		case FLOAT4OID:
			return 8;
		case FLOAT8OID:
			return 17;
		case NUMERICOID:
			return typmod == -1 ? 0 : ((typmod - VARHDRSZ) >> 16) & 0xffff;
		case CHAROID:
		case BOOLOID:
			return 1;
		case BPCHAROID:
		case VARCHAROID:
			return typmod == -1 ? INT_MAX : typmod - VARHDRSZ;
		case BITOID:
			return typmod;
		case VARBITOID:
			return typmod == -1 ? INT_MAX : typmod;
		default:
			return INT_MAX;
	}
}

/* Add "name":"value" to the column's schema parameters. */
static void
add_parameter(Wal2dbzType *type, const char *name, const char *value)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (type->params)
	{
		appendBinaryStringInfo(&buf, type->params, strlen(type->params) - 1);
		appendStringInfoChar(&buf, ',');
	}
	else
		appendStringInfoChar(&buf, '{');
	json_append_string(&buf, name);
	appendStringInfoChar(&buf, ':');
	json_append_string(&buf, value);
	appendStringInfoChar(&buf, '}');
	type->params = buf.data;
}

/*
 * Set "name":"value" among the column's schema parameters: in place if it
 * is there (Kafka Connect keeps them in a LinkedHashMap), else last.
 * Parameter values are JSON strings as types.c writes them.
 */
static void
set_parameter(Wal2dbzType *type, const char *name, const char *value)
{
	StringInfoData key;
	StringInfoData buf;
	const char *params = type->params;
	const char *at;

	initStringInfo(&key);
	json_append_string(&key, name);
	appendStringInfoChar(&key, ':');
	at = params ? strstr(params, key.data) : NULL;
	if (at == NULL)
	{
		add_parameter(type, name, value);
		return;
	}
	/* replace the old value: a JSON string after the key */
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, params, at - params + key.len);
	json_append_string(&buf, value);
	at += key.len + 1;
	while (*at != '"')
		at += *at == '\\' ? 2 : 1;
	appendStringInfoString(&buf, at + 1);
	type->params = buf.data;
}

/* Is the default a nextval() call, as PgJDBC tells a serial column? */
static bool
is_nextval_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, FuncExpr) && ((FuncExpr *) node)->funcid == F_NEXTVAL)
		return true;
	return expression_tree_walker(node, is_nextval_walker, context);
}

/* Seconds' digits and dot in PgJDBC's display size of a time type. */
static int
seconds_size(int32 typmod)
{
	return typmod == -1 ? 7 : typmod == 0 ? 0 : typmod == 1 ? 3 : typmod + 1;
}

/*
 * column.propagate.source.type: the parameters __debezium.source.column.
 * type, .length, .scale and .name as Debezium has them: its snapshot from
 * PgJDBC's column metadata (type name in upper case, a domain's own,
 * "serial" for an integer column defaulting to nextval(); length and scale
 * of the base type, an array's of its element), its streaming from the
 * type registry it fills at start (no serials; unconstrained numeric as
 * PgJDBC's display size, scale 0).
 */
static void
propagate_source_type(Wal2dbzColumn *col, Form_pg_attribute att, Node *dflt,
					  bool snapshot)
{
	char	   *typname = pstrdup("");
	int32		typmod = att->atttypmod;
	Oid			base = getBaseTypeAndTypmod(att->atttypid, &typmod);
	Oid			elem = get_element_type(base);
	Oid			typid = OidIsValid(elem) ? elem : base;
	int			length = INT_MAX;
	int			scale = 0;
	bool		has_scale = true;
	HeapTuple	tuple;

	/* PgJDBC's name is pg_type.typname, "_int4" for an int4[] */
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(att->atttypid));
	if (HeapTupleIsValid(tuple))
	{
		typname = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname));
		ReleaseSysCache(tuple);
	}
	if (snapshot && dflt && is_nextval_walker(dflt, NULL))
	{
		if (base == INT2OID)
			typname = pstrdup("smallserial");
		else if (base == INT4OID)
			typname = pstrdup("serial");
		else if (base == INT8OID)
			typname = pstrdup("bigserial");
	}
	for (char *c = typname; *c; c++)
		*c = pg_ascii_toupper((unsigned char) *c);

	switch (typid)
	{
		case NUMERICOID:
			if (typmod == -1)
			{
				/*
				 * the display size, except for a snapshot's plain column:
				 * 0 and no scale
				 */
				has_scale = OidIsValid(elem) || !snapshot;
				length = has_scale ? 131089 : 0;
			}
			else
			{
				length = ((typmod - VARHDRSZ) >> 16) & 0xffff;
				scale = (typmod - VARHDRSZ) & 0xffff;
			}
			break;
		case FLOAT4OID:
			length = scale = 8;
			break;
		case FLOAT8OID:
			length = scale = 17;
			break;
		case DATEOID:
			length = 13;
			break;
		case TIMEOID:
		case TIMETZOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			/* the display size: the digits before the seconds' fraction */
			length = (typid == TIMEOID ? 8 : typid == TIMETZOID ? 14 :
					  typid == TIMESTAMPOID ? 22 : 28) + seconds_size(typmod);
			scale = typmod == -1 ? 6 : typmod;
			break;
		case INTERVALOID:
			length = 49;
			scale = typmod == -1 ? 6 : typmod & 0xffff;
			break;
		default:
			length = column_length(typid, typmod);
			break;
	}
	set_parameter(&col->type, "__debezium.source.column.type", typname);
	set_parameter(&col->type, "__debezium.source.column.length", psprintf("%d", length));
	if (has_scale)
		set_parameter(&col->type, "__debezium.source.column.scale", psprintf("%d", scale));
	set_parameter(&col->type, "__debezium.source.column.name", NameStr(att->attname));
	col->mapped_schema = true;
}

/* Add a mapper's parameter to the value schema of a column. */
static void
add_value_parameter(Wal2dbzColumn *col, const char *name, const char *value)
{
	add_parameter(&col->type, name, value);
	col->mapped_schema = true;
}

/*
 * Give a column ("schema.table.column") the first mapper that names it,
 * and its value schema the parameter that mapper adds.  Debezium maps no
 * key: keys keep their values and their schema.  Runs in the relation
 * entry's context.
 */
void
wal2dbz_column_mapper_bind(const Wal2dbzOptions *opt, Wal2dbzColumn *col,
						   const char *qualified, Form_pg_attribute att,
						   Node *dflt, bool snapshot)
{
	ListCell   *lc;

	foreach(lc, opt->column_mappers)
	{
		const Wal2dbzColumnMapper *mapper = lfirst(lc);

		if (!wal2dbz_filter_allows(&mapper->columns, qualified))
			continue;
		col->key_params = col->type.params;
		col->length = column_length(col->type.typid, col->type.typmod);
		if (mapper->kind == MAPPER_PROPAGATE)
			propagate_source_type(col, att, dflt, snapshot);
		else if (mapper->kind == MAPPER_TRUNCATE)
		{
			if (col->length > mapper->length)
			{
				col->mapper = mapper;
				add_value_parameter(col, "truncateLength",
							  psprintf("%d", mapper->length));
			}
		}
		else
		{
			if (is_character_type(col->type.typid))
				col->mapper = mapper;
			add_value_parameter(col, "masked", "true");
		}
		return;
	}
}

/*
 * Cut the JSON string at "s" (from its opening quote; "end" is past its
 * closing one) after "units" UTF-16 code units.  Returns the length to
 * keep before the closing quote, or -1 if it is short enough already.
 */
static int
truncated_length(const char *s, const char *end, int units)
{
	const char *p = s + 1;

	end--;						/* the closing quote */
	while (p < end)
	{
		if (units == 0)
			return p - s;
		if (*p == '\\')
			p += p[1] == 'u' ? 6 : 2;
		else if ((unsigned char) *p < 0x80)
			p++;
		else
		{
			/* a multibyte character of the Basic Multilingual Plane */
			p++;
			while (p < end && ((unsigned char) *p & 0xC0) == 0x80)
				p++;
		}
		units--;
	}
	return -1;
}

/*
 * Cut the bytes of the base64 JSON string at out->data + start (to the
 * end) to "length" bytes.
 */
static void
truncate_base64(StringInfo out, int start, int length)
{
	const char *b64 = out->data + start + 1;
	int			b64len = out->len - start - 2;
	int			maxlen = pg_b64_dec_len(b64len);
	char	   *bytes;
	int			n;

	if (maxlen <= length)
		return;
	bytes = palloc(maxlen);
	n = pg_b64_decode(b64, b64len, bytes, maxlen);
	if (n < 0)
		elog(ERROR, "could not decode the base64 value of a bytes column");
	if (n > length)
	{
		out->len = start;
		json_append_base64(out, (const unsigned char *) bytes, length, false);
	}
	pfree(bytes);
}

/* The hex value of four hex digits. */
static unsigned int
hex4(const char *p)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = p[i];

		v = v * 16 + (c >= '0' && c <= '9' ? c - '0' :
					  c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10);
	}
	return v;
}

/*
 * Decode the JSON string at "s" (opening quote to past the closing one)
 * into the UTF-16 code units Java holds it as; returns their number.
 */
static int
decode_utf16(const char *s, const char *end, uint16 **units)
{
	const unsigned char *p = (const unsigned char *) s + 1;
	const unsigned char *stop = (const unsigned char *) end - 1;
	uint16	   *u = palloc(sizeof(uint16) * (stop - p + 1));
	int			n = 0;

	while (p < stop)
	{
		unsigned int c;

		if (*p == '\\')
		{
			switch (p[1])
			{
				case 'b':
					c = '\b';
					break;
				case 'f':
					c = '\f';
					break;
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				case 'u':
					c = hex4((const char *) p + 2);
					p += 4;
					break;
				default:
					c = p[1];	/* \" \\ \/ */
					break;
			}
			p += 2;
		}
		else if (*p < 0x80)
			c = *p++;
		else if (*p < 0xE0)
		{
			c = ((p[0] & 0x1F) << 6) | (p[1] & 0x3F);
			p += 2;
		}
		else if (*p < 0xF0)
		{
			c = ((p[0] & 0x0F) << 12) | ((p[1] & 0x3F) << 6) | (p[2] & 0x3F);
			p += 3;
		}
		else
		{
			c = ((p[0] & 0x07) << 18) | ((p[1] & 0x3F) << 12) |
				((p[2] & 0x3F) << 6) | (p[3] & 0x3F);
			p += 4;
			c -= 0x10000;
			u[n++] = 0xD800 + (c >> 10);
			c = 0xDC00 + (c & 0x3FF);
		}
		u[n++] = (uint16) c;
	}
	*units = u;
	return n;
}

/*
 * Append one UTF-16 code unit in UTF-8's one- to three-byte forms; Java's
 * modified UTF-8 writes U+0000 in two bytes.
 */
static void
append_utf8_unit(StringInfo out, unsigned int c, bool modified)
{
	if (c < 0x80 && !(modified && c == 0))
		appendStringInfoChar(out, (char) c);
	else if (c < 0x800)
	{
		appendStringInfoChar(out, (char) (0xC0 | (c >> 6)));
		appendStringInfoChar(out, (char) (0x80 | (c & 0x3F)));
	}
	else
	{
		appendStringInfoChar(out, (char) (0xE0 | (c >> 12)));
		appendStringInfoChar(out, (char) (0x80 | ((c >> 6) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | (c & 0x3F)));
	}
}

/*
 * The bytes a hash of version 1 reads: ObjectOutputStream.writeObject() of
 * the String, i.e. the stream header, then TC_STRING and a 2-byte length
 * or TC_LONGSTRING and an 8-byte one, then modified UTF-8 (U+0000 as two
 * bytes, each surrogate as three).
 */
static void
java_serialized(StringInfo out, const uint16 *u, int n)
{
	uint64		len = 0;

	for (int i = 0; i < n; i++)
		len += (u[i] >= 0x0001 && u[i] <= 0x007F) ? 1 : u[i] <= 0x07FF ? 2 : 3;
	appendBinaryStringInfo(out, "\xAC\xED\x00\x05", 4);
	if (len <= 0xFFFF)
	{
		appendStringInfoChar(out, 0x74);
		appendStringInfoChar(out, (char) (len >> 8));
		appendStringInfoChar(out, (char) len);
	}
	else
	{
		appendStringInfoChar(out, 0x7C);
		for (int shift = 56; shift >= 0; shift -= 8)
			appendStringInfoChar(out, (char) (len >> shift));
	}
	for (int i = 0; i < n; i++)
		append_utf8_unit(out, u[i], true);
}

/*
 * The bytes a hash of version 2 reads: String.getBytes() in UTF-8 (Java 18
 * and later), a lone surrogate as '?'.
 */
static void
java_utf8(StringInfo out, const uint16 *u, int n)
{
	for (int i = 0; i < n; i++)
	{
		unsigned int c = u[i];

		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n &&
			u[i + 1] >= 0xDC00 && u[i + 1] <= 0xDFFF)
		{
			c = 0x10000 + ((c - 0xD800) << 10) + (u[++i] - 0xDC00);
			appendStringInfoChar(out, (char) (0xF0 | (c >> 18)));
			appendStringInfoChar(out, (char) (0x80 | ((c >> 12) & 0x3F)));
			appendStringInfoChar(out, (char) (0x80 | ((c >> 6) & 0x3F)));
			appendStringInfoChar(out, (char) (0x80 | (c & 0x3F)));
		}
		else if (c >= 0xD800 && c <= 0xDFFF)
			appendStringInfoChar(out, '?');
		else
			append_utf8_unit(out, c, false);
	}
}

/* Append the quoted hex digest of salt + the string's bytes. */
static void
append_hash(StringInfo out, const Wal2dbzColumnMapper *mapper,
			const uint16 *u, int n, int length)
{
	StringInfoData input;
	uint8		digest[64];
	int			bytes = digests[mapper->digest].bytes;
	pg_cryptohash_ctx *ctx;
	int			hexlen;

	initStringInfo(&input);
	if (mapper->kind == MAPPER_HASH_V1)
		java_serialized(&input, u, n);
	else
		java_utf8(&input, u, n);
	ctx = pg_cryptohash_create(digests[mapper->digest].type);
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) mapper->salt, strlen(mapper->salt)) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) input.data, input.len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute the %s hash of a column value: %s",
			 digests[mapper->digest].name, pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	pfree(input.data);

	hexlen = Min(bytes * 2, length);
	appendStringInfoChar(out, '"');
	for (int i = 0; i < hexlen; i++)
		appendStringInfoChar(out, "0123456789abcdef"[(digest[i / 2] >> (i % 2 ? 0 : 4)) & 0xF]);
	appendStringInfoChar(out, '"');
}

/*
 * Rewrite the value JSON a column's value was written as, out->data from
 * "start" on, by the column's mapper.
 */
void
wal2dbz_column_map(StringInfo out, int start, const Wal2dbzColumn *col)
{
	const Wal2dbzColumnMapper *mapper = col->mapper;
	const char *value = out->data + start;
	const char *end = out->data + out->len;
	/*
	 * A "bytes" field's string is base64 of bytes, not a Java String; bytea's
	 * bytes are a ByteBuffer, which truncation cuts too.
	 */
	bool		is_bytes = strcmp(col->type.schema_type, "bytes") == 0;
	bool		is_string = out->len - start >= 2 && value[0] == '"' && !is_bytes;

	switch (mapper->kind)
	{
		case MAPPER_TRUNCATE:
			if (is_bytes && col->type.kind == COL_BYTEA && value[0] == '"')
				truncate_base64(out, start, mapper->length);
			else if (is_string)
			{
				int			keep = truncated_length(value, end, mapper->length);

				if (keep >= 0)
				{
					out->len = start + keep;
					appendStringInfoChar(out, '"');
				}
			}
			break;
		case MAPPER_MASK:
			out->len = start;
			out->data[out->len] = '\0';
			appendStringInfoChar(out, '"');
			for (int i = 0; i < mapper->length; i++)
				appendStringInfoChar(out, '*');
			appendStringInfoChar(out, '"');
			break;
		case MAPPER_PROPAGATE:
			break;
		case MAPPER_HASH_V1:
		case MAPPER_HASH_V2:
			if (is_string)
			{
				uint16	   *units;
				int			n = decode_utf16(value, end, &units);

				out->len = start;
				append_hash(out, mapper, units, n, col->length);
				pfree(units);
			}
			break;
	}
	out->data[out->len] = '\0';
}
