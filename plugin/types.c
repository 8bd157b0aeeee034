/*-------------------------------------------------------------------------
 *
 * types.c
 *	  Debezium's schema and value encoding of every PostgreSQL type.
 *
 * wal2dbz_type_init() decides once per column how its values are written
 * (the Connect schema type, logical name and parameters Debezium's
 * PostgresValueConverter would choose); wal2dbz_write_value() then writes
 * each value straight from its Datum where Debezium's encoding allows it,
 * and through the type's output function otherwise.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/types.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_type.h"
#include "common/md5.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/catcache.h"
#include "utils/builtins.h"
#include "utils/cash.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/geo_decls.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/varbit.h"

#include "wal2dbz.h"

/* Seconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
#define EPOCH_DIFF_DAYS		10957
#define EPOCH_DIFF_USECS	INT64CONST(946684800000000)

/*
 * pgjdbc reads PostgreSQL's infinite timestamps as these microsecond values
 * (PGStatement.DATE_POSITIVE_INFINITY / DATE_NEGATIVE_INFINITY), and
 * Debezium passes them on.
 */
#define DBZ_TIMESTAMP_POS_INFINITY	INT64CONST(9223372036825200000)
#define DBZ_TIMESTAMP_NEG_INFINITY	INT64CONST(-9223372036832400000)
#define DBZ_DATE_POS_INFINITY		(-2147472692)
#define DBZ_DATE_NEG_INFINITY		(-2147472691)
#define DBZ_ARRAY_DATE_POS_INFINITY	(-622191234)

static void write_array(StringInfo out, const Wal2dbzType *type, Datum value,
						const Wal2dbzOptions *opt);
static char *get_typ_typname_or_null(Oid typid);

/* Set the schema type and logical name of a type in one call. */
static void
set_schema(Wal2dbzType *type, ColumnKind kind, const char *schema_type,
		   const char *logical_name)
{
	type->kind = kind;
	type->schema_type = schema_type;
	type->logical_name = logical_name;
}

/* The schema type of binary values under binary.handling.mode. */
static const char *
binary_schema_type(const Wal2dbzOptions *opt)
{
	return opt->binary_mode == BINARY_BYTES ? "bytes" : "string";
}

/* An enum's labels in sort order, as Debezium's "allowed" parameter. */
static char *
enum_allowed_params(Oid typid)
{
	CatCList   *list = SearchSysCacheList1(ENUMTYPOIDNAME, ObjectIdGetDatum(typid));
	int			n = list->n_members;
	HeapTuple  *sorted = palloc(sizeof(HeapTuple) * Max(n, 1));
	StringInfoData labels;
	StringInfoData params;

	for (int i = 0; i < n; i++)
		sorted[i] = &list->members[i]->tuple;
	/* insertion sort by enumsortorder; enums are short */
	for (int i = 1; i < n; i++)
	{
		HeapTuple	t = sorted[i];
		float4		key = ((Form_pg_enum) GETSTRUCT(t))->enumsortorder;
		int			j = i - 1;

		while (j >= 0 && ((Form_pg_enum) GETSTRUCT(sorted[j]))->enumsortorder > key)
		{
			sorted[j + 1] = sorted[j];
			j--;
		}
		sorted[j + 1] = t;
	}
	initStringInfo(&labels);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoCharMacro(&labels, ',');
		appendStringInfoString(&labels,
							   NameStr(((Form_pg_enum) GETSTRUCT(sorted[i]))->enumlabel));
	}
	ReleaseCatCacheList(list);
	pfree(sorted);

	initStringInfo(&params);
	appendStringInfoLiteral(&params, "{\"allowed\":");
	json_append_string(&params, labels.data);
	appendStringInfoCharMacro(&params, '}');
	return params.data;
}

/* Use the type's output function for its values. */
static void
use_outfunc(Wal2dbzType *type, MemoryContext context)
{
	Oid			outfuncoid;
	bool		isvarlena;

	getTypeOutputInfo(type->typid, &outfuncoid, &isvarlena);
	fmgr_info_cxt(outfuncoid, &type->outfunc, context);
	type->has_outfunc = true;
}

/* Is this an array element type Debezium cannot encode? */
static bool
unsupported_array_element(Oid elemtype)
{
	switch (elemtype)
	{
		case CASHOID:
		case NAMEOID:
		case INTERVALOID:
		case VARBITOID:
		case XMLOID:
		case POINTOID:
		case REFCURSOROID:
			return true;
		default:
			return false;
	}
}

/*
 * Choose how values of (typid, typmod) are written.  Returns false when
 * Debezium would leave such a column out of the schema and the payload
 * (unknown types without include.unknown.datatypes).
 */
bool
wal2dbz_type_init(Wal2dbzType *type, Oid typid, int32 typmod,
				  const Wal2dbzOptions *opt, MemoryContext context)
{
	Oid			basetype;
	int32		basetypmod = typmod;
	char		typtype;
	char	   *typname;

	memset(type, 0, sizeof(*type));
	/* domains are written as their base type, with its typmod if none */
	basetype = getBaseTypeAndTypmod(typid, &basetypmod);
	if (basetype != typid && typmod < 0)
		typmod = basetypmod;
	else if (basetype != typid)
		typmod = Max(typmod, basetypmod);
	type->typid = basetype;
	type->typmod = typmod;

	switch (basetype)
	{
		case BOOLOID:
			set_schema(type, COL_BOOL, "boolean", NULL);
			return true;
		case INT2OID:
			set_schema(type, COL_INT2, "int16", NULL);
			return true;
		case INT4OID:
			set_schema(type, COL_INT4, "int32", NULL);
			return true;
		case INT8OID:
			set_schema(type, COL_INT8, "int64", NULL);
			return true;
		case OIDOID:
			set_schema(type, COL_OID, "int64", NULL);
			return true;
		case FLOAT4OID:
			set_schema(type, COL_FLOAT4, "float", NULL);
			return true;
		case FLOAT8OID:
			set_schema(type, COL_FLOAT8, "double", NULL);
			return true;
		case NUMERICOID:
			if (opt->decimal_mode == DECIMAL_STRING)
			{
				set_schema(type, COL_NUMERIC_STRING, "string", NULL);
				type->precision = typmod < (int32) VARHDRSZ ? 0 :
					(typmod - VARHDRSZ) & 0xFFFF;
			}
			else if (opt->decimal_mode == DECIMAL_DOUBLE)
				set_schema(type, COL_NUMERIC_DOUBLE, "double", NULL);
			else if (typmod < (int32) VARHDRSZ)
			{
				set_schema(type, COL_VARSCALE, "struct",
						   "io.debezium.data.VariableScaleDecimal");
				type->doc = "Variable scaled decimal";
			}
			else
			{
				int			precision = ((typmod - VARHDRSZ) >> 16) & 0xFFFF;
				int			scale = (typmod - VARHDRSZ) & 0xFFFF;

				set_schema(type, COL_DECIMAL, "bytes",
						   "org.apache.kafka.connect.data.Decimal");
				type->precision = scale;
				type->params = psprintf("{\"scale\":\"%d\",\"connect.decimal.precision\":\"%d\"}",
										scale, precision);
			}
			if (type->kind == COL_NUMERIC_STRING)
				use_outfunc(type, context);
			return true;
		case CASHOID:
			if (opt->decimal_mode == DECIMAL_PRECISE)
			{
				set_schema(type, COL_MONEY, "bytes",
						   "org.apache.kafka.connect.data.Decimal");
				type->params = pstrdup("{\"scale\":\"2\"}");
			}
			else
				set_schema(type, COL_MONEY,
						   opt->decimal_mode == DECIMAL_STRING ? "string" : "double",
						   NULL);
			return true;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			set_schema(type, COL_TEXT, "string", NULL);
			type->direct_text = true;
			return true;
		case NAMEOID:
		case CHAROID:
		case INETOID:
		case CIDROID:
		case MACADDROID:
		case MACADDR8OID:
		case INT4RANGEOID:
		case INT8RANGEOID:
		case NUMRANGEOID:
		case TSRANGEOID:
		case TSTZRANGEOID:
		case DATERANGEOID:
			set_schema(type, COL_TEXT, "string", NULL);
			use_outfunc(type, context);
			return true;
		case JSONOID:
			set_schema(type, COL_TEXT, "string", "io.debezium.data.Json");
			type->direct_text = true;
			return true;
		case JSONBOID:
			set_schema(type, COL_TEXT, "string", "io.debezium.data.Json");
			use_outfunc(type, context);
			return true;
		case XMLOID:
			/* xml_out drops a default XML declaration: not stored bytes */
			set_schema(type, COL_TEXT, "string", "io.debezium.data.Xml");
			use_outfunc(type, context);
			return true;
		case UUIDOID:
			set_schema(type, COL_TEXT, "string", "io.debezium.data.Uuid");
			use_outfunc(type, context);
			return true;
		case TSVECTOROID:
			set_schema(type, COL_TEXT, "string", "io.debezium.data.Tsvector");
			use_outfunc(type, context);
			return true;
		case BYTEAOID:
			set_schema(type, COL_BYTEA, binary_schema_type(opt), NULL);
			return true;
		case DATEOID:
			if (opt->time_mode == TIME_CONNECT)
				set_schema(type, COL_DATE, "int32", "org.apache.kafka.connect.data.Date");
			else
				set_schema(type, COL_DATE, "int32", "io.debezium.time.Date");
			return true;
		case TIMEOID:
			type->precision = typmod < 0 ? 6 : typmod;
			if (opt->time_mode == TIME_CONNECT)
				set_schema(type, COL_TIME_MILLI, "int32", "org.apache.kafka.connect.data.Time");
			else if (opt->time_mode == TIME_ADAPTIVE && type->precision <= 3)
				set_schema(type, COL_TIME_MILLI, "int32", "io.debezium.time.Time");
			else
				set_schema(type, COL_TIME_MICRO, "int64", "io.debezium.time.MicroTime");
			return true;
		case TIMESTAMPOID:
			type->precision = typmod < 0 ? 6 : typmod;
			if (opt->time_mode == TIME_CONNECT)
				set_schema(type, COL_TIMESTAMP_MILLI, "int64",
						   "org.apache.kafka.connect.data.Timestamp");
			else if (type->precision <= 3)
				set_schema(type, COL_TIMESTAMP_MILLI, "int64", "io.debezium.time.Timestamp");
			else
				set_schema(type, COL_TIMESTAMP_MICRO, "int64", "io.debezium.time.MicroTimestamp");
			return true;
		case TIMESTAMPTZOID:
			type->precision = typmod < 0 ? 6 : typmod;
			set_schema(type, COL_TIMESTAMPTZ, "string", "io.debezium.time.ZonedTimestamp");
			return true;
		case TIMETZOID:
			set_schema(type, COL_TIMETZ, "string", "io.debezium.time.ZonedTime");
			return true;
		case INTERVALOID:
			if (opt->interval_mode == INTERVAL_STRING)
				set_schema(type, COL_INTERVAL_STRING, "string", "io.debezium.time.Interval");
			else
				set_schema(type, COL_INTERVAL_MICRO, "int64", "io.debezium.time.MicroDuration");
			return true;
		case BITOID:
		case VARBITOID:
			if (typmod == 1)
			{
				set_schema(type, COL_BIT_BOOL, "boolean", NULL);
				return true;
			}
			type->precision = typmod < 0 ? PG_INT32_MAX : typmod;
			set_schema(type, COL_BITS, "bytes", "io.debezium.data.Bits");
			type->params = psprintf("{\"length\":\"%d\"}", type->precision);
			return true;
		case POINTOID:
			set_schema(type, COL_POINT, "struct", "io.debezium.data.geometry.Point");
			type->doc = "Geometry (POINT)";
			return true;
		default:
			break;
	}

	typtype = get_typtype(basetype);
	if (typtype == TYPTYPE_ENUM)
	{
		set_schema(type, COL_TEXT, "string", "io.debezium.data.Enum");
		type->params = enum_allowed_params(basetype);
		use_outfunc(type, context);
		return true;
	}

	/*
	 * arrays: the element's encoding, unless Debezium can't do it; the
	 * vector types are not arrays to it (it writes them as [] whatever they
	 * hold, so they are left out here like other unknown types)
	 */
	if (typtype == TYPTYPE_BASE && type_is_array(basetype) &&
		basetype != INT2VECTOROID && basetype != OIDVECTOROID)
	{
		Oid			elemtype = get_element_type(basetype);
		Wal2dbzType *elem = MemoryContextAllocZero(context, sizeof(Wal2dbzType));

		/* Debezium leaves these out even with include.unknown.datatypes */
		if (unsupported_array_element(elemtype))
			return false;
		if (get_typtype(elemtype) != TYPTYPE_DOMAIN &&
			wal2dbz_type_init(elem, elemtype, typmod, opt, context) &&
			elem->kind != COL_UNKNOWN_BYTES && elem->kind != COL_ARRAY)
		{
			set_schema(type, COL_ARRAY, "array", NULL);
			type->elem = elem;
			get_typlenbyvalalign(elemtype, &type->elmlen, &type->elmbyval,
								 &type->elmalign);
			return true;
		}
		pfree(elem);
	}

	/* extension types Debezium knows by name */
	typname = get_typ_typname_or_null(basetype);
	if (typname != NULL && typtype == TYPTYPE_BASE)
	{
		if (strcmp(typname, "citext") == 0 || strcmp(typname, "isbn") == 0)
		{
			set_schema(type, COL_TEXT, "string", NULL);
			use_outfunc(type, context);
			return true;
		}
		if (strcmp(typname, "ltree") == 0)
		{
			set_schema(type, COL_TEXT, "string", "io.debezium.data.Ltree");
			use_outfunc(type, context);
			return true;
		}
		if (strcmp(typname, "hstore") == 0)
		{
			if (opt->hstore_mode == HSTORE_MAP)
				set_schema(type, COL_HSTORE_MAP, "map", NULL);
			else
				set_schema(type, COL_HSTORE_JSON, "string", "io.debezium.data.Json");
			use_outfunc(type, context);
			return true;
		}
	}

	/*
	 * Anything else (composites, tsquery, pg_lsn, geometric types other than
	 * point, ...) is what Debezium calls an unknown type: left out, or with
	 * include.unknown.datatypes its text output as binary.
	 */
	if (!opt->include_unknown_datatypes)
		return false;
	set_schema(type, COL_UNKNOWN_BYTES, binary_schema_type(opt), NULL);
	use_outfunc(type, context);
	return true;
}

/*
 * The name of a type if it is not a built-in one (for extension types), or
 * NULL.  Built-in types never need a name check.
 */
static char *
get_typ_typname_or_null(Oid typid)
{
	HeapTuple	tuple;
	char	   *result;

	if (typid < FirstNormalObjectId)
		return NULL;
	tuple = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tuple))
		return NULL;
	result = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(tuple))->typname));
	ReleaseSysCache(tuple);
	return result;
}

/*
 * Append a type's schema JSON up to and including "parameters"; the caller
 * adds "default" and "field" if it needs them and closes the object.  Key
 * order is JsonConverter's: type, items/keys/values/fields, optional, name,
 * version, doc, parameters.
 */
void
wal2dbz_type_schema(StringInfo out, const Wal2dbzType *type, bool optional)
{
	appendStringInfoLiteral(out, "{\"type\":\"");
	appendStringInfoString(out, type->schema_type);
	appendStringInfoCharMacro(out, '"');
	switch (type->kind)
	{
		case COL_ARRAY:
			appendStringInfoLiteral(out, ",\"items\":");
			/* elements are optional, except enum labels */
			wal2dbz_type_schema(out, type->elem,
								!(type->elem->logical_name &&
								  strcmp(type->elem->logical_name,
										 "io.debezium.data.Enum") == 0));
			appendStringInfoCharMacro(out, '}');
			break;
		case COL_VARSCALE:
			appendStringInfoLiteral(out, ",\"fields\":[{\"type\":\"int32\",\"optional\":false,\"field\":\"scale\"},{\"type\":\"bytes\",\"optional\":false,\"field\":\"value\"}]");
			break;
		case COL_POINT:
			appendStringInfoLiteral(out, ",\"fields\":[{\"type\":\"double\",\"optional\":false,\"field\":\"x\"},{\"type\":\"double\",\"optional\":false,\"field\":\"y\"},{\"type\":\"bytes\",\"optional\":true,\"field\":\"wkb\"},{\"type\":\"int32\",\"optional\":true,\"field\":\"srid\"}]");
			break;
		case COL_HSTORE_MAP:
			appendStringInfoLiteral(out, ",\"keys\":{\"type\":\"string\",\"optional\":false},\"values\":{\"type\":\"string\",\"optional\":true}");
			break;
		default:
			break;
	}
	appendStringInfoString(out, optional ? ",\"optional\":true" : ",\"optional\":false");
	if (type->logical_name)
	{
		appendStringInfoLiteral(out, ",\"name\":\"");
		appendStringInfoString(out, type->logical_name);
		appendStringInfoLiteral(out, "\",\"version\":1");
	}
	if (type->doc)
	{
		appendStringInfoLiteral(out, ",\"doc\":");
		json_append_string(out, type->doc);
	}
	if (type->params)
	{
		appendStringInfoLiteral(out, ",\"parameters\":");
		appendStringInfoString(out, type->params);
	}
}

/*
 * Append an unscaled integer, given as a decimal digit string with an
 * optional leading '-', as Base64 of Java's BigInteger.toByteArray(): big
 * endian two's complement in the fewest bytes.
 */
static void
append_unscaled_base64(StringInfo out, const char *digits)
{
	bool		neg = false;
	uint32		limbs[64];		/* little-endian base 2^32; numeric max 131072 digits
								 * does not fit, see below */
	uint32	   *mag = limbs;
	int			nlimbs = 0;
	int			maxlimbs = lengthof(limbs);
	unsigned char *bytes;
	int			nbytes;
	int			start;

	if (*digits == '-')
	{
		neg = true;
		digits++;
	}
	/* 9.6 decimal digits per 32-bit limb; allocate for very long values */
	if ((int) strlen(digits) / 9 + 2 > maxlimbs)
	{
		maxlimbs = strlen(digits) / 9 + 2;
		mag = palloc(sizeof(uint32) * maxlimbs);
	}
	/* mag = mag * 10 + digit, nine digits at a time */
	while (*digits)
	{
		uint64		mul = 1;
		uint64		add = 0;
		uint64		carry;
		int			i;

		for (i = 0; i < 9 && *digits; i++, digits++)
		{
			add = add * 10 + (*digits - '0');
			mul *= 10;
		}
		carry = add;
		for (i = 0; i < nlimbs; i++)
		{
			uint64		v = (uint64) mag[i] * mul + carry;

			mag[i] = (uint32) v;
			carry = v >> 32;
		}
		if (carry)
			mag[nlimbs++] = (uint32) carry;
	}

	/* big-endian magnitude with one spare byte for the sign */
	nbytes = nlimbs * 4 + 1;
	bytes = palloc0(nbytes);
	for (int i = 0; i < nlimbs; i++)
	{
		int			pos = nbytes - 1 - i * 4;

		bytes[pos] = mag[i] & 0xFF;
		bytes[pos - 1] = (mag[i] >> 8) & 0xFF;
		bytes[pos - 2] = (mag[i] >> 16) & 0xFF;
		bytes[pos - 3] = (mag[i] >> 24) & 0xFF;
	}
	if (neg)
	{
		/* two's complement: invert and add one */
		int			carry = 1;

		for (int i = nbytes - 1; i >= 0; i--)
		{
			int			v = (unsigned char) ~bytes[i] + carry;

			bytes[i] = v & 0xFF;
			carry = v >> 8;
		}
	}
	/* drop redundant sign bytes, keeping at least one */
	start = 0;
	while (start < nbytes - 1 &&
		   ((bytes[start] == 0x00 && !(bytes[start + 1] & 0x80)) ||
			(bytes[start] == 0xFF && (bytes[start + 1] & 0x80))))
		start++;
	json_append_base64(out, bytes + start, nbytes - start, false);
	pfree(bytes);
	if (mag != limbs)
		pfree(mag);
}

/*
 * Split numeric text into unscaled digits and scale.  With strip, trailing
 * fractional zeros are dropped first (BigDecimal.stripTrailingZeros, with
 * negative scales clamped to 0 as VariableScaleDecimal does).
 */
static char *
numeric_unscaled(Numeric num, bool strip, int *scale)
{
	char	   *text = DatumGetCString(DirectFunctionCall1(numeric_out,
														   NumericGetDatum(num)));
	char	   *point = strchr(text, '.');
	int			len = strlen(text);

	*scale = 0;
	if (point == NULL)
		return text;
	if (strip)
	{
		while (len > 0 && text[len - 1] == '0')
			text[--len] = '\0';
		if (text[len - 1] == '.')
		{
			text[--len] = '\0';
			return text;
		}
	}
	*scale = text + len - point - 1;
	memmove(point, point + 1, *scale + 1);
	/* "-0.05" -> "-005": leading zeros are harmless to the conversion */
	return text;
}

/* Append a money value (an int64 in cents) in the configured decimal mode. */
static void
write_money(StringInfo out, Cash cash, const Wal2dbzOptions *opt)
{
	char		buf[32];

	if (opt->decimal_mode == DECIMAL_DOUBLE)
	{
		json_append_java_double(out, (double) cash / 100.0);
		return;
	}
	if (opt->decimal_mode == DECIMAL_PRECISE)
	{
		snprintf(buf, sizeof(buf), INT64_FORMAT, (int64) cash);
		append_unscaled_base64(out, buf);
		return;
	}
	snprintf(buf, sizeof(buf), "%s" UINT64_FORMAT ".%02d",
			 cash < 0 ? "-" : "",
			 (uint64) (cash < 0 ? -(uint64) cash : cash) / 100,
			 (int) ((cash < 0 ? -(uint64) cash : (uint64) cash) % 100));
	json_append_string(out, buf);
}

/* Append a numeric in the configured decimal mode. */
static void
write_numeric(StringInfo out, const Wal2dbzType *type, Numeric num)
{
	char	   *digits;
	int			scale;

	switch (type->kind)
	{
		case COL_NUMERIC_DOUBLE:
			json_append_java_double(out,
									DatumGetFloat8(DirectFunctionCall1(numeric_float8,
																	   NumericGetDatum(num))));
			return;
		case COL_NUMERIC_STRING:
			{
				char	   *str = OutputFunctionCall((FmgrInfo *) &type->outfunc,
													 NumericGetDatum(num));

				/* BigDecimal has no NaN: Debezium names the special values */
				if (strcmp(str, "NaN") == 0)
					appendStringInfoLiteral(out, "\"NAN\"");
				else if (strcmp(str, "Infinity") == 0)
					appendStringInfoLiteral(out, "\"POSITIVE_INFINITY\"");
				else if (strcmp(str, "-Infinity") == 0)
					appendStringInfoLiteral(out, "\"NEGATIVE_INFINITY\"");
				else
					json_append_string(out, str);
			}
			return;
		default:
			break;
	}

	/* precise: Connect's Decimal has no NaN or infinity */
	if (numeric_is_nan(num) || numeric_is_inf(num))
	{
		appendStringInfoLiteral(out, "null");
		return;
	}
	digits = numeric_unscaled(num, type->kind == COL_VARSCALE, &scale);
	if (type->kind == COL_VARSCALE)
	{
		appendStringInfo(out, "{\"scale\":%d,\"value\":", scale);
		append_unscaled_base64(out, digits);
		appendStringInfoCharMacro(out, '}');
	}
	else
	{
		/* the stored scale is the column's; pad if a domain widened it */
		if (scale < type->precision)
		{
			StringInfoData padded;

			initStringInfo(&padded);
			appendStringInfoString(&padded, digits);
			for (; scale < type->precision; scale++)
				appendStringInfoCharMacro(&padded, '0');
			digits = padded.data;
		}
		append_unscaled_base64(out, digits);
	}
}

/*
 * Append value (>= 0) with at least width digits, zero-padded: the
 * date/time fields, without a printf per field.
 */
static void
append_padded(StringInfo out, int value, int width)
{
	char		buf[16];
	int			n = 0;

	do
	{
		buf[sizeof(buf) - 1 - n++] = '0' + value % 10;
		value /= 10;
	} while (value > 0 || n < width);
	wal2dbz_append(out, buf + sizeof(buf) - n, n);
}

/* Append an ISO-8601 year as java.time does: 4+ digits, '+' past 9999. */
static void
append_iso_year(StringInfo out, int year)
{
	if (year > 9999)
		appendStringInfoCharMacro(out, '+');
	else if (year < 0)
		appendStringInfoCharMacro(out, '-');
	append_padded(out, abs(year), 4);
}

/*
 * Append a fraction of a second (microseconds) with exactly "width" digits,
 * or, with width < 0, with the fewest digits (none when zero) as
 * java.time's ISO formatters do.
 */
static void
append_fraction(StringInfo out, int usec, int width)
{
	char		buf[6];
	int			n;

	for (int i = 5; i >= 0; i--, usec /= 10)
		buf[i] = '0' + usec % 10;
	if (width < 0)
	{
		n = 6;
		while (n > 0 && buf[n - 1] == '0')
			n--;
	}
	else
		n = Min(width, 6);
	if (n == 0)
		return;
	appendStringInfoCharMacro(out, '.');
	wal2dbz_append(out, buf, n);
}

/* ZonedTimestamp: the instant in UTC, fraction as wide as the precision. */
static void
write_timestamptz(StringInfo out, TimestampTz ts, int precision)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (TIMESTAMP_NOT_FINITE(ts))
	{
		appendStringInfoString(out, TIMESTAMP_IS_NOBEGIN(ts) ?
							   "\"-infinity\"" : "\"infinity\"");
		return;
	}
	if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	appendStringInfoCharMacro(out, '"');
	append_iso_year(out, tm.tm_year);
	appendStringInfoCharMacro(out, '-');
	append_padded(out, tm.tm_mon, 2);
	appendStringInfoCharMacro(out, '-');
	append_padded(out, tm.tm_mday, 2);
	appendStringInfoCharMacro(out, 'T');
	append_padded(out, tm.tm_hour, 2);
	appendStringInfoCharMacro(out, ':');
	append_padded(out, tm.tm_min, 2);
	appendStringInfoCharMacro(out, ':');
	append_padded(out, tm.tm_sec, 2);
	/* precision 0 values are whole seconds: java prints no fraction */
	append_fraction(out, fsec, precision == 0 ? -1 : precision);
	appendStringInfoLiteral(out, "Z\"");
}

/* ZonedTime: the time shifted to UTC, fewest fraction digits. */
static void
write_timetz(StringInfo out, TimeTzADT *tz)
{
	int64		usecs = tz->time + (int64) tz->zone * USECS_PER_SEC;
	int64		secs;

	usecs %= USECS_PER_DAY;
	if (usecs < 0)
		usecs += USECS_PER_DAY;
	secs = usecs / USECS_PER_SEC;
	appendStringInfo(out, "\"%02d:%02d:%02d", (int) (secs / 3600),
					 (int) (secs / 60 % 60), (int) (secs % 60));
	append_fraction(out, (int) (usecs % USECS_PER_SEC), -1);
	appendStringInfoLiteral(out, "Z\"");
}

/*
 * The text of the uuid of these 16 bytes, as uuid_out() writes it, into
 * buf (36 characters, no NUL).
 */
static void
uuid_text(char *buf, const unsigned char *bytes)
{
	static const char hex[] = "0123456789abcdef";
	int			n = 0;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[n++] = '-';
		buf[n++] = hex[bytes[i] >> 4];
		buf[n++] = hex[bytes[i] & 0x0F];
	}
}

/* A uuid as a JSON string, without uuid_out()'s palloc and fmgr call. */
static void
write_uuid(StringInfo out, const pg_uuid_t *uuid)
{
	char		buf[38];

	buf[0] = '"';
	uuid_text(buf + 1, uuid->data);
	buf[37] = '"';
	wal2dbz_append(out, buf, sizeof(buf));
}

/* Java's (long) cast of a double: saturating, NaN to 0. */
static int64
java_double_to_long(double d)
{
	if (isnan(d))
		return 0;
	if (d >= 9223372036854775807.0)
		return PG_INT64_MAX;
	if (d <= -9223372036854775808.0)
		return PG_INT64_MIN;
	return (int64) d;
}

/*
 * An interval as Debezium's MicroDuration (approximate microseconds, with
 * 30.4375-day months, computed in doubles in Debezium's order) or as its
 * ISO-8601 Interval string.
 */
static void
write_interval(StringInfo out, Interval *iv, bool as_string)
{
	int			years = iv->month / 12;
	int			months = iv->month % 12;
	int			days = iv->day;
	int64		hours = iv->time / USECS_PER_HOUR;
	int			minutes = (int) ((iv->time / USECS_PER_MINUTE) % 60);
	int			whole = (int) ((iv->time / USECS_PER_SEC) % 60);
	int			micros = (int) (iv->time % USECS_PER_SEC);
	double		seconds = (double) whole + (double) micros / 1e6;

	if (as_string)
	{
		appendStringInfo(out, "\"P%dY%dM%dDT" INT64_FORMAT "H%dM",
						 years, months, days, hours, minutes);
		json_append_plain_double(out, seconds);
		appendStringInfoLiteral(out, "S\"");
	}
	else
	{
		double		nd = ((double) years * 12 + months) * 30.4375 + days;
		double		ns = (((nd * 24 + hours) * 60) + minutes) * 60 + seconds;

		json_append_int64(out, java_double_to_long(ns * 1e6));
	}
}

/*
 * Bits: the bit string read most significant bit first as an unsigned
 * integer, written as its little-endian minimal byte array (Java
 * BitSet.toByteArray()).
 */
static void
write_bits(StringInfo out, VarBit *bits)
{
	int			nbits = VARBITLEN(bits);
	int			nbytes = (nbits + 7) / 8;
	unsigned char *le = palloc0(Max(nbytes, 1));
	int			used = 0;

	for (int i = 0; i < nbits; i++)
	{
		/* bit i of the string is bit (nbits - 1 - i) of the integer */
		if (VARBITS(bits)[i / 8] & (0x80 >> (i % 8)))
		{
			int			pos = nbits - 1 - i;

			le[pos / 8] |= 1 << (pos % 8);
			used = Max(used, pos / 8 + 1);
		}
	}
	json_append_base64(out, le, used, false);
	pfree(le);
}

/* A point as Debezium's geometry Point struct, WKB little-endian. */
static void
write_point(StringInfo out, Point *pt)
{
	unsigned char wkb[21];
	uint32		type = 1;

	wkb[0] = 1;
	memcpy(wkb + 1, &type, 4);
	memcpy(wkb + 5, &pt->x, 8);
	memcpy(wkb + 13, &pt->y, 8);
#ifdef WORDS_BIGENDIAN
	for (int i = 0; i < 4; i++)
	{
		unsigned char t = wkb[1 + i];

		wkb[1 + i] = wkb[4 - i];
		wkb[4 - i] = t;
	}
	/* doubles likewise; no big-endian machine is supported yet */
#endif
	appendStringInfoLiteral(out, "{\"x\":");
	json_append_java_double(out, pt->x);
	appendStringInfoLiteral(out, ",\"y\":");
	json_append_java_double(out, pt->y);
	appendStringInfoLiteral(out, ",\"wkb\":");
	json_append_base64(out, wkb, sizeof(wkb), false);
	appendStringInfoLiteral(out, ",\"srid\":null}");
}

/*
 * Parse hstore's text output ("k"=>"v", "k2"=>NULL) into keys and values.
 * Returns the number of pairs.
 */
static int
parse_hstore_text(char *text, char ***keys, char ***values)
{
	int			cap = 8;
	int			n = 0;
	char	   *p = text;

	*keys = palloc(sizeof(char *) * cap);
	*values = palloc(sizeof(char *) * cap);
	while (*p)
	{
		char	   *tok[2];

		for (int part = 0; part < 2; part++)
		{
			char	   *dst;

			while (*p == ' ' || *p == ',' || *p == '=' || *p == '>')
				p++;
			if (part == 1 && strncmp(p, "NULL", 4) == 0)
			{
				tok[1] = NULL;
				p += 4;
				continue;
			}
			if (*p != '"')
				elog(ERROR, "unexpected hstore text near \"%s\"", p);
			dst = tok[part] = ++p;
			while (*p && *p != '"')
			{
				if (*p == '\\' && p[1])
					p++;
				*dst++ = *p++;
			}
			if (*p == '"')
				p++;
			*dst = '\0';
		}
		if (n == cap)
		{
			cap *= 2;
			*keys = repalloc(*keys, sizeof(char *) * cap);
			*values = repalloc(*values, sizeof(char *) * cap);
		}
		(*keys)[n] = tok[0];
		(*values)[n] = tok[1];
		n++;
		while (*p == ' ' || *p == ',')
			p++;
	}
	return n;
}

/* hstore as a JSON object in java.util.HashMap order. */
static void
append_hstore_object(StringInfo out, char *text)
{
	char	  **keys;
	char	  **values;
	int			n = parse_hstore_text(text, &keys, &values);
	int		   *order = java_hashmap_order(keys, n);

	appendStringInfoCharMacro(out, '{');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		json_append_string(out, keys[order[i]]);
		appendStringInfoCharMacro(out, ':');
		if (values[order[i]])
			json_append_string(out, values[order[i]]);
		else
			appendStringInfoLiteral(out, "null");
	}
	appendStringInfoCharMacro(out, '}');
}

/* Binary data under binary.handling.mode. */
static void
write_binary(StringInfo out, const unsigned char *data, int len,
			 const Wal2dbzOptions *opt)
{
	if (opt->binary_mode == BINARY_HEX)
		json_append_hex(out, data, len);
	else
		json_append_base64(out, data, len, opt->binary_mode == BINARY_BASE64_URL);
}

/*
 * Append one non-null value of a column as Debezium encodes it.  Varlena
 * values must already be detoasted.
 */
void
wal2dbz_write_value(StringInfo out, const Wal2dbzType *type, Datum value,
					const Wal2dbzOptions *opt)
{
	switch (type->kind)
	{
		case COL_BOOL:
			appendStringInfoString(out, DatumGetBool(value) ? "true" : "false");
			break;
		case COL_INT2:
			json_append_int64(out, DatumGetInt16(value));
			break;
		case COL_INT4:
			json_append_int64(out, DatumGetInt32(value));
			break;
		case COL_INT8:
			json_append_int64(out, DatumGetInt64(value));
			break;
		case COL_OID:
			json_append_int64(out, (int64) DatumGetObjectId(value));
			break;
		case COL_FLOAT4:
			json_append_java_float(out, DatumGetFloat4(value));
			break;
		case COL_FLOAT8:
			json_append_java_double(out, DatumGetFloat8(value));
			break;
		case COL_DECIMAL:
		case COL_VARSCALE:
		case COL_NUMERIC_STRING:
		case COL_NUMERIC_DOUBLE:
			write_numeric(out, type, DatumGetNumeric(value));
			break;
		case COL_MONEY:
			write_money(out, DatumGetCash(value), opt);
			break;
		case COL_TEXT:
			if (type->direct_text)
			{
				text	   *t = (text *) DatumGetPointer(value);

				json_append_string_len(out, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
			else if (type->typid == UUIDOID)
				write_uuid(out, DatumGetUUIDP(value));
			else if (type->typid == JSONBOID)
				json_append_jsonb(out, value);
			else
				json_append_string(out, OutputFunctionCall((FmgrInfo *) &type->outfunc,
														   value));
			break;
		case COL_BYTEA:
			{
				bytea	   *b = (bytea *) DatumGetPointer(value);

				if (opt->binary_mode == BINARY_BYTES)
					json_append_base64(out, (unsigned char *) VARDATA_ANY(b),
									   VARSIZE_ANY_EXHDR(b), false);
				else
					write_binary(out, (unsigned char *) VARDATA_ANY(b),
								 VARSIZE_ANY_EXHDR(b), opt);
			}
			break;
		case COL_DATE:
			{
				DateADT		d = DatumGetDateADT(value);

				if (DATE_IS_NOEND(d))
					json_append_int64(out, DBZ_DATE_POS_INFINITY);
				else if (DATE_IS_NOBEGIN(d))
					json_append_int64(out, DBZ_DATE_NEG_INFINITY);
				else
					json_append_int64(out, (int64) d + EPOCH_DIFF_DAYS);
			}
			break;
		case COL_TIME_MICRO:
			json_append_int64(out, DatumGetTimeADT(value));
			break;
		case COL_TIME_MILLI:
			json_append_int64(out, DatumGetTimeADT(value) / 1000);
			break;
		case COL_TIMESTAMP_MICRO:
		case COL_TIMESTAMP_MILLI:
			{
				Timestamp	ts = DatumGetTimestamp(value);
				int64		us;

				if (TIMESTAMP_IS_NOEND(ts))
					us = DBZ_TIMESTAMP_POS_INFINITY;
				else if (TIMESTAMP_IS_NOBEGIN(ts))
					us = DBZ_TIMESTAMP_NEG_INFINITY;
				else
					us = ts + EPOCH_DIFF_USECS;
				if (type->kind == COL_TIMESTAMP_MILLI)
				{
					/* Instant.toEpochMilli() rounds toward negative infinity */
					int64		ms = us / 1000;

					if (us % 1000 < 0 && !TIMESTAMP_NOT_FINITE(ts))
						ms--;
					us = ms;
				}
				json_append_int64(out, us);
			}
			break;
		case COL_TIMESTAMPTZ:
			write_timestamptz(out, DatumGetTimestampTz(value), type->precision);
			break;
		case COL_TIMETZ:
			write_timetz(out, DatumGetTimeTzADTP(value));
			break;
		case COL_INTERVAL_MICRO:
		case COL_INTERVAL_STRING:
			write_interval(out, DatumGetIntervalP(value),
						   type->kind == COL_INTERVAL_STRING);
			break;
		case COL_BIT_BOOL:
			{
				VarBit	   *bits = DatumGetVarBitP(value);

				/* Debezium reads an empty varbit(1) as no value */
				if (VARBITLEN(bits) == 0)
					appendStringInfoLiteral(out, "null");
				else if (VARBITS(bits)[0] & 0x80)
					appendStringInfoLiteral(out, "true");
				else
					appendStringInfoLiteral(out, "false");
			}
			break;
		case COL_BITS:
			write_bits(out, DatumGetVarBitP(value));
			break;
		case COL_POINT:
			write_point(out, DatumGetPointP(value));
			break;
		case COL_HSTORE_JSON:
			{
				StringInfoData obj;

				initStringInfo(&obj);
				append_hstore_object(&obj, OutputFunctionCall((FmgrInfo *) &type->outfunc,
															  value));
				json_append_string_len(out, obj.data, obj.len);
				pfree(obj.data);
			}
			break;
		case COL_HSTORE_MAP:
			append_hstore_object(out, OutputFunctionCall((FmgrInfo *) &type->outfunc,
														 value));
			break;
		case COL_UNKNOWN_BYTES:
			{
				char	   *str = OutputFunctionCall((FmgrInfo *) &type->outfunc,
													 value);

				write_binary(out, (unsigned char *) str, strlen(str), opt);
			}
			break;
		case COL_ARRAY:
			write_array(out, type, value, opt);
			break;
	}
}

/* Append the elements of one array dimension, recursing for the next. */
static int
write_array_dim(StringInfo out, const Wal2dbzType *type, int ndim,
				const int *dims, int dim, Datum *elems, bool *nulls,
				int pos, const Wal2dbzOptions *opt)
{
	appendStringInfoCharMacro(out, '[');
	for (int i = 0; i < dims[dim]; i++)
	{
		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		if (dim + 1 < ndim)
			pos = write_array_dim(out, type, ndim, dims, dim + 1, elems, nulls,
								  pos, opt);
		else
		{
			if (nulls[pos])
				appendStringInfoLiteral(out, "null");
			else if (type->elem->kind == COL_DATE &&
					 DATE_IS_NOEND(DatumGetDateADT(elems[pos])))
			{
				/*
				 * pgjdbc reads an infinite date inside an array through
				 * java.sql.Date, whose epoch day overflows to this value.
				 */
				json_append_int64(out, DBZ_ARRAY_DATE_POS_INFINITY);
			}
			else
				wal2dbz_write_value(out, type->elem, elems[pos], opt);
			pos++;
		}
	}
	appendStringInfoCharMacro(out, ']');
	return pos;
}

/*
 * An array as a JSON array of its elements; a multidimensional array as
 * nested arrays.
 */
static void
write_array(StringInfo out, const Wal2dbzType *type, Datum value,
			const Wal2dbzOptions *opt)
{
	ArrayType  *arr = DatumGetArrayTypeP(value);
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	if (ARR_NDIM(arr) == 0)
	{
		appendStringInfoLiteral(out, "[]");
		return;
	}
	deconstruct_array(arr, ARR_ELEMTYPE(arr), type->elmlen, type->elmbyval,
					  type->elmalign, &elems, &nulls, &nelems);

	/* a NaN or infinite element makes Debezium drop the whole numeric array */
	if (type->elem->typid == NUMERICOID)
	{
		for (int i = 0; i < nelems; i++)
			if (!nulls[i] && (numeric_is_nan(DatumGetNumeric(elems[i])) ||
							  numeric_is_inf(DatumGetNumeric(elems[i]))))
			{
				appendStringInfoLiteral(out, "null");
				return;
			}
	}
	write_array_dim(out, type, ARR_NDIM(arr), ARR_DIMS(arr), 0, elems, nulls,
					0, opt);
}

/*
 * The value Debezium writes for a NOT NULL column that has no value (the
 * non-key columns of a DELETE's old key tuple): a fixed fallback per schema.
 */
const char *
wal2dbz_type_fallback(const Wal2dbzType *type)
{
	switch (type->kind)
	{
		case COL_BOOL:
		case COL_BIT_BOOL:
			return "false";
		case COL_FLOAT4:
		case COL_FLOAT8:
		case COL_NUMERIC_DOUBLE:
			return "0.0";
		case COL_DECIMAL:
			return "\"AA==\"";
		case COL_MONEY:
			return strcmp(type->schema_type, "bytes") == 0 ? "\"AA==\"" :
				strcmp(type->schema_type, "double") == 0 ? "0.0" : "\"0.00\"";
		case COL_VARSCALE:
			return "{\"scale\":0,\"value\":\"AA==\"}";
		case COL_TIMESTAMPTZ:
			return "\"1970-01-01T00:00:00Z\"";
		case COL_TIMETZ:
			return "\"00:00:00Z\"";
		case COL_INTERVAL_STRING:
			return "\"P0Y0M0DT0H0M0S\"";
		case COL_POINT:
			return "{\"x\":0.0,\"y\":0.0,\"wkb\":\"AQEAAAAAAAAAAAAAAAAAAAAAAAAA\",\"srid\":null}";
		case COL_ARRAY:
			return "[]";
		case COL_HSTORE_JSON:
			return "\"{}\"";
		case COL_HSTORE_MAP:
			return "{}";
		case COL_NUMERIC_STRING:
			{
				/* zero at the column's scale, as BigDecimal.toPlainString() */
				StringInfoData zero;

				initStringInfo(&zero);
				appendStringInfoString(&zero, type->precision > 0 ? "\"0." : "\"0");
				for (int i = 0; i < type->precision; i++)
					appendStringInfoCharMacro(&zero, '0');
				appendStringInfoCharMacro(&zero, '"');
				return zero.data;
			}
		case COL_TEXT:
		case COL_BYTEA:
		case COL_BITS:
		case COL_UNKNOWN_BYTES:
			return "\"\"";
		default:
			return "0";
	}
}

/*
 * The value Debezium writes for an unchanged TOASTed column (the bytes of
 * unavailable.value.placeholder, in the form each schema can hold), or NULL
 * for JSON null.
 */
char *
wal2dbz_type_placeholder(const Wal2dbzType *type, const Wal2dbzOptions *opt)
{
	StringInfoData out;
	const char *ph = opt->placeholder;
	const Wal2dbzType *elem = type->elem;

	initStringInfo(&out);
	switch (type->kind)
	{
		case COL_TEXT:
		case COL_NUMERIC_STRING:
			json_append_string(&out, ph);
			break;
		case COL_BYTEA:
			if (opt->binary_mode == BINARY_BYTES)
				json_append_base64(&out, (const unsigned char *) ph, strlen(ph), false);
			else if (opt->binary_mode == BINARY_HEX)
				json_append_string(&out, ph);
			else
				return NULL;
			break;
		case COL_HSTORE_JSON:
		case COL_HSTORE_MAP:
			{
				StringInfoData obj;

				initStringInfo(&obj);
				appendStringInfoCharMacro(&obj, '{');
				json_append_string(&obj, ph);
				appendStringInfoCharMacro(&obj, ':');
				json_append_string(&obj, ph);
				appendStringInfoCharMacro(&obj, '}');
				if (type->kind == COL_HSTORE_JSON)
					json_append_string(&out, obj.data);
				else
					appendStringInfoString(&out, obj.data);
			}
			break;
		case COL_ARRAY:
			appendStringInfoCharMacro(&out, '[');
			if (elem->kind == COL_TEXT && elem->typid == UUIDOID)
			{
				/* java.util.UUID.nameUUIDFromBytes(placeholder) */
				unsigned char md5[16];
				const char *errstr = NULL;
				char		uuid[37];

				if (!pg_md5_binary(ph, strlen(ph), md5, &errstr))
					elog(ERROR, "could not compute MD5: %s", errstr);
				md5[6] = (md5[6] & 0x0F) | 0x30;
				md5[8] = (md5[8] & 0x3F) | 0x80;
				uuid_text(uuid, md5);
				uuid[36] = '\0';
				json_append_string(&out, uuid);
			}
			else if (elem->kind == COL_TEXT)
				json_append_string(&out, ph);
			else if (elem->kind == COL_BYTEA)
				json_append_base64(&out, (const unsigned char *) ph, strlen(ph), false);
			else if (strcmp(elem->schema_type, "int32") == 0 ||
					 strcmp(elem->schema_type, "int64") == 0)
			{
				for (const char *p = ph; *p; p++)
					appendStringInfo(&out, "%s%d", p == ph ? "" : ",",
									 (int) (signed char) *p);
			}
			else
				return NULL;
			appendStringInfoCharMacro(&out, ']');
			break;
		default:
			return NULL;
	}
	return out.data;
}

/*
 * Does Debezium's PostgresDefaultValueConverter parse defaults of this
 * type?  Others (bytea, money, inet, arrays, struct-typed values, ...) get
 * no schema default.
 */
static bool
default_parsed_for(const Wal2dbzType *type)
{
	switch (type->typid)
	{
		case BITOID:
		case VARBITOID:
		case BOOLOID:
		case BPCHAROID:
		case VARCHAROID:
		case TEXTOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case JSONOID:
		case JSONBOID:
		case XMLOID:
		case UUIDOID:
		case DATEOID:
		case TIMEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
		case INTERVALOID:
			return true;
		case NUMERICOID:
			return type->kind != COL_VARSCALE;
		default:
			return type->logical_name != NULL &&
				strcmp(type->logical_name, "io.debezium.data.Enum") == 0;
	}
}

/* Strip casts and relabellings that wrap a constant default. */
static Node *
strip_default_casts(Node *expr)
{
	for (;;)
	{
		if (expr == NULL)
			return NULL;
		if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else if (IsA(expr, CoerceToDomain))
			expr = (Node *) ((CoerceToDomain *) expr)->arg;
		else if (IsA(expr, CoerceViaIO))
			expr = (Node *) ((CoerceViaIO *) expr)->arg;
		else if (IsA(expr, FuncExpr) &&
				 ((FuncExpr *) expr)->funcformat != COERCE_EXPLICIT_CALL &&
				 ((FuncExpr *) expr)->args != NIL)
			expr = linitial(((FuncExpr *) expr)->args);
		else
			return expr;
	}
}

/* The text Debezium's default-value parser substitutes for function calls. */
static const char *
function_default_text(const Wal2dbzType *type)
{
	switch (type->typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return "0";
		case BOOLOID:
			return "false";
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return "";
		case JSONOID:
		case JSONBOID:
			return "{}";
		case UUIDOID:
			return "00000000-0000-0000-0000-000000000000";
		case DATEOID:
			return "1970-01-01";
		case TIMEOID:
			return "00:00";
		case TIMESTAMPOID:
			return "1970-01-01 00:00:00";
		case TIMESTAMPTZOID:
			return "1970-01-01 00:00:00+00";
		case INTERVALOID:
			return "0";
		default:
			return NULL;
	}
}

/*
 * The schema "default" Debezium derives from a column's DEFAULT expression,
 * rendered as a JSON value, or NULL for none.  Constants keep their value,
 * function calls (nextval, now(), ...) become a per-type placeholder, and
 * struct-typed defaults are dropped, as in PostgresDefaultValueConverter.
 */
char *
wal2dbz_type_default(const Wal2dbzType *type, Node *expr,
					 const Wal2dbzOptions *opt)
{
	Node	   *stripped = strip_default_casts(expr);
	const char *text = NULL;
	Oid			infunc;
	Oid			ioparam;
	Datum		value;
	StringInfoData out;

	if (stripped == NULL || !default_parsed_for(type))
		return NULL;

	if (IsA(stripped, Const))
	{
		Const	   *c = (Const *) stripped;
		Oid			outfunc;
		bool		isvarlena;

		if (c->constisnull)
			return NULL;
		getTypeOutputInfo(c->consttype, &outfunc, &isvarlena);
		text = OidOutputFunctionCall(outfunc, c->constvalue);
	}
	else if (IsA(stripped, FuncExpr) || IsA(stripped, SQLValueFunction) ||
			 IsA(stripped, NextValueExpr))
		text = function_default_text(type);

	if (text == NULL)
		return NULL;
	getTypeInputInfo(type->typid, &infunc, &ioparam);
	value = OidInputFunctionCall(infunc, (char *) text, ioparam, type->typmod);
	initStringInfo(&out);
	wal2dbz_write_value(&out, type, value, opt);
	return out.data;
}
