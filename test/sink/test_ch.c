/*-------------------------------------------------------------------------
 *
 * test_ch.c
 *	  Unit tests of the ClickHouse stage's pure parts: the JSON scanner
 *	  (sink/ch_json.c), Debezium values to ClickHouse values
 *	  (sink/ch_convert.c), and types and DDL by server version
 *	  (sink/ch_schema.c), in TAP.  No server needed.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  test/sink/test_ch.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ch_convert.h"
#include "ch_json.h"
#include "ch_schema.h"
#include "tap.h"

/* Compare strings, with a diagnostic on mismatch. */
static void
is_str(const char *got, const char *expected, const char *name)
{
	if (!tap_ok(got != NULL && strcmp(got, expected) == 0, name))
		printf("#   got:      %s\n#   expected: %s\n", got ? got : "(null)", expected);
}

/* A Connect type from its JSON schema. */
static void
connect_from(const char *json, ChConnect *ct)
{
	char		buf[1024];
	json_t	   *schema;
	ChField    *fields;
	int			n;

	snprintf(buf, sizeof(buf), "{\"type\":\"struct\",\"fields\":[%s]}", json);
	schema = json_loads(buf, 0, NULL);
	memset(ct, 0, sizeof(*ct));
	if (schema && ch_connect_parse_fields(schema, &fields, &n) && n == 1)
	{
		*ct = fields[0].type;
		memset(&fields[0].type, 0, sizeof(ChConnect));
		ch_connect_free_fields(fields, n);
	}
	json_decref(schema);
}

/* Convert value (JSON) of Connect type ct_json into ClickHouse type chtype. */
static void
conv_is(const char *ct_json, const char *chtype, const char *value,
		const char *expected, const char *name)
{
	ChConnect	ct;
	ChType		type;
	ChConv		conv;
	ChBuf		out;
	ChBuf		scratch;
	ChSpan		v = {value, strlen(value)};
	ChConvResult r;

	connect_from(ct_json, &ct);
	ch_type_parse(chtype, &type);
	ch_conv_init(&conv, ct_json ? &ct : NULL, &type);
	ch_buf_init(&out);
	ch_buf_init(&scratch);
	r = ch_conv_value(&conv, v, &out, &scratch);
	is_str(r == CH_CONV_OK ? ch_buf_cstr(&out) : r == CH_CONV_OMIT ? "(omit)" :
		   ch_buf_cstr(&scratch), expected, name);
	ch_buf_free(&out);
	ch_buf_free(&scratch);
	ch_conv_free(&conv);
	ch_type_free(&type);
	ch_connect_free(&ct);
}

/* The ClickHouse type of a Connect type on a server. */
static void
type_is(const char *ct_json, const char *version, bool key, const char *expected,
		const char *name)
{
	ChConnect	ct;
	ChServer	srv;
	ChBuf		out;

	connect_from(ct_json, &ct);
	ch_server_init(&srv, version);
	ch_buf_init(&out);
	ch_type_for(&ct, &srv, key, CH_DT_FALLBACK_DATETIME, &out);
	is_str(ch_buf_cstr(&out), expected, name);
	ch_buf_free(&out);
	ch_connect_free(&ct);
}

#define DECIMAL(p, s) "{\"type\":\"bytes\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"" #s "\",\"connect.decimal.precision\":\"" #p "\"},\"field\":\"x\"}"
#define NAMED(t, n, opt) "{\"type\":\"" t "\",\"optional\":" opt ",\"name\":\"" n "\",\"field\":\"x\"}"
#define PLAIN(t, opt) "{\"type\":\"" t "\",\"optional\":" opt ",\"field\":\"x\"}"

/* The scanner: spans, members, escapes, integers. */
static void
test_json(void)
{
	const char *doc = "{\"a\" : [1, {\"b\":\"x\\\"y\"}], \"c\":\"\\u00e9\\ud83d\\ude00\", \"n\":\"-42\"}";
	ChSpan		whole;
	ChSpan		v;
	ChBuf		b;
	int64_t		i;

	tap_ok(ch_json_value(doc, doc + strlen(doc), &whole) && whole.len == strlen(doc),
		   "json: a whole object is one value");
	tap_ok(ch_json_member(whole, "a", &v) && v.len == strlen("[1, {\"b\":\"x\\\"y\"}]"),
		   "json: a member's span covers nested values and escaped quotes");
	ch_buf_init(&b);
	tap_ok(ch_json_member(whole, "c", &v) && ch_json_decode_string(v, &b) &&
		   b.len == 6 && memcmp(b.data, "\xc3\xa9\xf0\x9f\x98\x80", 6) == 0,
		   "json: \\u escapes and surrogate pairs decode to UTF-8");
	ch_buf_free(&b);
	tap_ok(ch_json_member(whole, "n", &v) && ch_json_int64(v, &i) && i == -42,
		   "json: a quoted integer reads as ClickHouse writes 64-bit ones");
	tap_ok(!ch_json_value("{\"a\":[1,2}", "{\"a\":[1,2}" + 10, &v),
		   "json: mismatched brackets are refused");
}

/* Values: decimals, dates, timestamps, times, bytes, arrays, nulls. */
static void
test_values(void)
{
	conv_is(DECIMAL(10, 2), "Decimal(10, 2)", "\"AeI6\"", "1234.50",
			"Connect Decimal: Base64 two's complement, scale 2");
	conv_is(DECIMAL(10, 2), "Decimal(10, 2)", "\"kg==\"", "-1.10",
			"Connect Decimal: negative");
	conv_is(DECIMAL(38, 0), "Decimal(38, 0)", "\"AA==\"", "0", "Connect Decimal: zero");
	conv_is(DECIMAL(40, 3), "String", "\"AeI6\"", "\"123.450\"",
			"Connect Decimal beyond 38 digits on 18.16: a quoted String");
	conv_is("{\"type\":\"struct\",\"optional\":true,\"name\":\"io.debezium.data.VariableScaleDecimal\",\"fields\":[],\"field\":\"x\"}",
			"Nullable(String)", "{\"scale\":4,\"value\":\"AYr3\"}", "\"10.1111\"",
			"VariableScaleDecimal: exact text");
	conv_is(NAMED("int32", "io.debezium.time.Date", "true"), "Nullable(Date)", "19844",
			"\"2024-05-01\"", "Date: days since 1970");
	conv_is(NAMED("int32", "io.debezium.time.Date", "true"), "Nullable(Date)", "-5",
			"\"1970-01-01\"", "Date: clamped to 1970 on 18.16's Date");
	conv_is(NAMED("int32", "io.debezium.time.Date", "true"), "Nullable(Date32)", "-5",
			"\"1969-12-27\"", "Date32: before 1970");
	conv_is(NAMED("int64", "io.debezium.time.MicroTimestamp", "true"),
			"Nullable(DateTime64(6, 'UTC'))", "1714566896789123",
			"\"2024-05-01 12:34:56.789123\"", "MicroTimestamp into DateTime64(6)");
	conv_is(NAMED("int64", "io.debezium.time.MicroTimestamp", "true"),
			"Nullable(DateTime('UTC'))", "1714566896789123",
			"\"2024-05-01 12:34:56\"", "MicroTimestamp into DateTime: whole seconds");
	conv_is(NAMED("int64", "io.debezium.time.MicroTimestamp", "true"),
			"Nullable(DateTime64(6, 'UTC'))", "-1000001",
			"\"1969-12-31 23:59:58.999999\"", "MicroTimestamp before 1970");
	conv_is(NAMED("string", "io.debezium.time.ZonedTimestamp", "true"),
			"Nullable(DateTime64(6, 'UTC'))", "\"2024-05-01T12:34:56.789000Z\"",
			"\"2024-05-01 12:34:56.789000\"", "ZonedTimestamp into DateTime64(6)");
	conv_is(NAMED("string", "io.debezium.time.ZonedTimestamp", "true"),
			"Nullable(DateTime64(6, 'UTC'))", "\"infinity\"",
			"\"2299-12-31 23:59:59.999999\"", "ZonedTimestamp infinity: clamped");
	conv_is(NAMED("int64", "io.debezium.time.Timestamp", "true"),
			"Nullable(DateTime64(3, 'UTC'))", "1714566896789",
			"\"2024-05-01 12:34:56.789\"", "Timestamp (ms) into DateTime64(3)");
	conv_is(NAMED("int64", "io.debezium.time.MicroTime", "true"), "Nullable(String)",
			"14706500000", "\"04:05:06.5\"", "MicroTime: hh:mm:ss.f, as PostgreSQL prints it");
	conv_is(NAMED("int64", "io.debezium.time.MicroTime", "true"), "Nullable(String)",
			"86400000000", "\"24:00:00\"", "MicroTime 24:00:00");
	conv_is(PLAIN("bytes", "true"), "Nullable(String)", "\"AP8Q\"", "\"\\u0000\xff\\u0010\"",
			"bytes: the bytes themselves");
	conv_is(PLAIN("string", "true"), "Nullable(String)", "\"a\\\"b\"", "\"a\\\"b\"",
			"string: copied as it is");
	conv_is(NAMED("string", "io.debezium.data.Json", "true"), "String", "null", "(omit)",
			"null into a column that is not Nullable: left out (its default)");
	conv_is(PLAIN("int32", "true"), "Nullable(Int32)", "null", "null", "null into Nullable");
	conv_is(NAMED("string", "io.debezium.data.Uuid", "false"), "UUID", "\"\"", "(omit)",
			"\"\" into UUID (a delete's fallback for a NOT NULL column): left out");
	conv_is(NAMED("string", "io.debezium.data.Uuid", "false"), "UUID",
			"\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"",
			"\"b68a35a7-17ad-35b3-af2a-ae46edb4545a\"", "a UUID: copied as it is");
	conv_is("{\"type\":\"array\",\"items\":" NAMED("int32", "io.debezium.time.Date", "true")
			",\"optional\":true,\"field\":\"x\"}", "Array(Nullable(Date32))", "[0,null,19844]",
			"[\"1970-01-01\",null,\"2024-05-01\"]", "arrays: element by element");
	conv_is(NULL, "Nullable(Decimal(12, 2))", "\"AeI6\"", "1234.50",
			"without a schema: a Decimal column decodes Base64 with its scale");
	conv_is(NULL, "Nullable(DateTime64(3, 'UTC'))", "1714566896789",
			"\"2024-05-01 12:34:56.789\"", "without a schema: DateTime64(3) takes ms");
	conv_is(PLAIN("double", "true"), "Nullable(Float64)", "\"NaN\"", "\"NaN\"",
			"NaN stays a quoted string (ClickHouse parses it)");
}

/* TOAST placeholders, in each type's form. */
static void
test_placeholders(void)
{
	ChPlaceholders ph;
	ChConnect	ct;
	ChType		type;
	ChConv		conv;
	ChSpan		v;

	ch_placeholders_init(&ph, "__debezium_unavailable_value");
	connect_from(PLAIN("string", "true"), &ct);
	ch_type_parse("Nullable(String)", &type);
	ch_conv_init(&conv, &ct, &type);
	v.p = "\"__debezium_unavailable_value\"";
	v.len = strlen(v.p);
	tap_ok(ch_conv_is_placeholder(&conv, &ph, v), "placeholder: text");
	v.p = "\"X19kZWJleml1bV91bmF2YWlsYWJsZV92YWx1ZQ==\"";
	v.len = strlen(v.p);
	tap_ok(!ch_conv_is_placeholder(&conv, &ph, v), "placeholder: the Base64 form is not one for text");
	ch_conv_free(&conv);
	ch_type_free(&type);
	ch_connect_free(&ct);

	connect_from(PLAIN("bytes", "true"), &ct);
	ch_type_parse("Nullable(String)", &type);
	ch_conv_init(&conv, &ct, &type);
	tap_ok(ch_conv_is_placeholder(&conv, &ph, v), "placeholder: bytea in Base64");
	ch_conv_free(&conv);
	ch_type_free(&type);
	ch_connect_free(&ct);

	connect_from("{\"type\":\"array\",\"items\":" PLAIN("int32", "true") ",\"optional\":true,\"field\":\"x\"}", &ct);
	ch_type_parse("Array(Nullable(Int32))", &type);
	ch_conv_init(&conv, &ct, &type);
	v.p = "[95,95,100,101,98,101,122,105,117,109,95,117,110,97,118,97,105,108,97,98,108,101,95,118,97,108,117,101]";
	v.len = strlen(v.p);
	tap_ok(ch_conv_is_placeholder(&conv, &ph, v), "placeholder: int[] as the placeholder's bytes");
	ch_conv_free(&conv);
	ch_type_free(&type);
	ch_connect_free(&ct);
	ch_placeholders_free(&ph);
}

/* Types by server version; relations; DDL. */
static void
test_types(void)
{
	ChServer	srv;
	ChBuf		out;
	ChColumnDef cols[2] = {{"id", "Int64", NULL}, {"it's", "Nullable(String)", "c'"}};
	const char *keys[] = {"id"};
	ChType		a;
	ChType		b;

	type_is(NAMED("int64", "io.debezium.time.MicroTimestamp", "true"), "18.16.1", false,
			"Nullable(DateTime('UTC'))", "18.16: MicroTimestamp -> DateTime('UTC')");
	type_is(NAMED("int64", "io.debezium.time.MicroTimestamp", "true"), "26.9.2.1", false,
			"Nullable(DateTime64(6, 'UTC'))", "26.9: MicroTimestamp -> DateTime64(6, 'UTC')");
	type_is(NAMED("int32", "io.debezium.time.Date", "false"), "18.16.1", false, "Date",
			"18.16: Date");
	type_is(NAMED("int32", "io.debezium.time.Date", "false"), "24.3", false, "Date32",
			"24.3: Date32");
	type_is(PLAIN("boolean", "false"), "18.16.1", false, "UInt8", "18.16: boolean -> UInt8");
	type_is(PLAIN("boolean", "false"), "23.8", false, "Bool", "23.8: boolean -> Bool");
	type_is(NAMED("string", "io.debezium.data.Uuid", "true"), "18.16.1", false,
			"Nullable(UUID)", "uuid -> UUID");
	type_is(DECIMAL(60, 4), "18.16.1", false, "Nullable(String)", "18.16: Decimal(60,4) -> String");
	type_is(DECIMAL(60, 4), "25.1", false, "Nullable(Decimal(60, 4))", "25.1: Decimal(60, 4)");
	type_is(PLAIN("int32", "true"), "18.16.1", true, "Int32", "key columns are never Nullable");
	type_is("{\"type\":\"array\",\"items\":" PLAIN("string", "true") ",\"optional\":true,\"field\":\"x\"}",
			"18.16.1", false, "Array(Nullable(String))", "text[] -> Array(Nullable(String)), never Nullable");
	type_is("{\"type\":\"map\",\"keys\":" PLAIN("string", "false") ",\"values\":" PLAIN("string", "true")
			",\"optional\":true,\"field\":\"x\"}", "24.1", false, "Map(String, Nullable(String))",
			"hstore map -> Map on current servers");

	ch_type_parse("Nullable(Int32)", &a);
	ch_type_parse("Nullable(Int64)", &b);
	tap_ok(ch_type_relation(&a, &b, NULL) == CH_REL_WIDEN, "Int32 -> Int64 is widened");
	tap_ok(ch_type_relation(&b, &a, NULL) == CH_REL_HOLDS, "an Int64 column holds Int32 values");
	ch_type_free(&a);
	ch_type_free(&b);
	ch_type_parse("Nullable(Float32)", &a);
	ch_type_parse("Nullable(String)", &b);
	tap_ok(ch_type_relation(&a, &b, NULL) == CH_REL_INCOMPATIBLE, "Float32 -> String is refused");
	ch_type_free(&a);
	ch_type_free(&b);
	ch_type_parse("Decimal(10, 2)", &a);
	ch_type_parse("Decimal(10, 3)", &b);
	tap_ok(ch_type_relation(&a, &b, NULL) == CH_REL_INCOMPATIBLE, "a scale change is refused");
	ch_type_free(&a);
	ch_type_free(&b);
	ch_type_parse("Int32", &a);
	ch_type_parse("Nullable(Int32)", &b);
	tap_ok(ch_type_relation(&a, &b, NULL) == CH_REL_WIDEN, "NOT NULL dropped: made Nullable");
	ch_type_free(&a);
	ch_type_free(&b);

	ch_buf_init(&out);
	ch_server_init(&srv, "18.16.1");
	ch_ddl_create_table(&out, &srv, "db", "t`x", cols, 2, keys, 1, NULL);
	is_str(ch_buf_cstr(&out),
		   "CREATE TABLE IF NOT EXISTS `db`.`t\\`x` (`id` Int64, `it's` Nullable(String) COMMENT 'c\\'', "
		   "`_version` UInt64, `is_deleted` UInt8) ENGINE = ReplacingMergeTree(`_version`) ORDER BY `id`",
		   "18.16 DDL: ReplacingMergeTree(_version), identifiers and literals escaped");
	ch_buf_reset(&out);
	ch_server_init(&srv, "24.8.1");
	ch_ddl_create_table(&out, &srv, "db", "t", cols, 1, keys, 1, "main");
	is_str(ch_buf_cstr(&out),
		   "CREATE TABLE IF NOT EXISTS `db`.`t` ON CLUSTER `main` (`id` Int64, `_version` UInt64, "
		   "`is_deleted` UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/db/t', "
		   "'{replica}', `_version`, `is_deleted`) ORDER BY `id`",
		   "clustered DDL: ON CLUSTER and ReplicatedReplacingMergeTree(..., _version, is_deleted)");
	ch_buf_reset(&out);
	tap_ok(ch_expand_name("${topic}", "srv.public.t", NULL, NULL, NULL, &out) &&
		   strcmp(ch_buf_cstr(&out), "srv_public_t") == 0, "${topic}: dots become underscores");
	ch_buf_reset(&out);
	tap_ok(!ch_expand_name("${nope}", "t", NULL, NULL, NULL, &out), "unknown placeholders are refused");
	ch_buf_free(&out);
}

/* Run everything. */
int
main(void)
{
	test_json();
	test_values();
	test_placeholders();
	test_types();
	return tap_done();
}
