/*-------------------------------------------------------------------------
 *
 * unwrap.c
 *	  Debezium's New Record State Extraction (io.debezium.transforms.
 *	  ExtractNewRecordState, "unwrap"): each table event becomes the row it
 *	  leaves behind instead of Debezium's envelope, as Debezium 3.x writes it.
 *
 * The transform runs on the envelope the plugin has just written, exactly
 * as the SMT runs on the envelope struct: creates, updates and snapshot
 * reads become their "after" row; deletes follow
 * delete.tombstone.handling.mode; truncates are dropped; messages,
 * heartbeats and transaction metadata pass unchanged.  add.fields appends
 * envelope fields to the row (with their schemas, made optional) and
 * add.headers puts them in record headers, as Kafka Connect's
 * SimpleHeaderConverter writes them.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/unwrap.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "wal2dbz.h"
#include "wal2dbz_frame.h"

#define UNWRAP_CLASS "io.debezium.transforms.ExtractNewRecordState"

/* Connect schemas of optional string and int64 fields, open for more */
#define OPT_STRING "{\"type\":\"string\",\"optional\":true"
#define OPT_INT64 "{\"type\":\"int64\",\"optional\":true"

/*
 * The envelope fields add.fields and add.headers can name: parent struct,
 * field, and its schema as SchemaUtil.copySchemaBasics(...).optional()
 * leaves it (type, name, version, parameters; no default).
 */
typedef struct EnvelopeField
{
	const char *parent;
	const char *field;
	const char *schema;
} EnvelopeField;

static const EnvelopeField envelope_fields[] = {
	{NULL, "op", OPT_STRING},
	{NULL, "ts_ms", OPT_INT64},
	{NULL, "ts_us", OPT_INT64},
	{NULL, "ts_ns", OPT_INT64},
	{"source", "version", OPT_STRING},
	{"source", "connector", OPT_STRING},
	{"source", "name", OPT_STRING},
	{"source", "ts_ms", OPT_INT64},
	{"source", "snapshot", OPT_STRING ",\"name\":\"io.debezium.data.Enum\",\"version\":1,"
	"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"}"},
	{"source", "db", OPT_STRING},
	{"source", "sequence", OPT_STRING},
	{"source", "ts_us", OPT_INT64},
	{"source", "ts_ns", OPT_INT64},
	{"source", "schema", OPT_STRING},
	{"source", "table", OPT_STRING},
	{"source", "txId", OPT_INT64},
	{"source", "lsn", OPT_INT64},
	{"source", "xmin", OPT_INT64},
	{"source", "origin", OPT_STRING},
	{"source", "origin_lsn", OPT_INT64},
	{"transaction", "id", OPT_STRING},
	{"transaction", "total_order", OPT_INT64},
	{"transaction", "data_collection_order", OPT_INT64},
};

static const char *const delete_modes[] = {
	[UNWRAP_DROP] = "drop",
	[UNWRAP_TOMBSTONE] = "tombstone",
	[UNWRAP_REWRITE] = "rewrite",
	[UNWRAP_REWRITE_WITH_TOMBSTONE] = "rewrite-with-tombstone",
	[UNWRAP_DELETE_TO_TOMBSTONE] = "delete-to-tombstone",
};

static bool
rewrites_deletes(const Wal2dbzUnwrap *uw)
{
	return uw->delete_mode == UNWRAP_REWRITE ||
		uw->delete_mode == UNWRAP_REWRITE_WITH_TOMBSTONE;
}

/*
 * Debezium's FieldReference: "field", "struct.field" or either with
 * ":alias".  An unqualified field is the envelope's own (op, ts_*), the
 * transaction block's (id, total_order, data_collection_order) or else the
 * source block's.
 */
static UnwrapField *
parse_field(const char *property, const char *entry, const char *prefix)
{
	UnwrapField *f = palloc0(sizeof(UnwrapField));
	char	   *ref = pstrdup(entry);
	char	   *alias = strchr(ref, ':');
	char	   *dot;
	const char *qualified = NULL;

	if (alias)
	{
		*alias++ = '\0';
		if (strchr(alias, ':') || *alias == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"%s\" entry \"%s\" is not a field name", property, entry),
					 errhint("Write each entry as FIELD, STRUCT.FIELD or either followed by :NEW_NAME.")));
	}
	dot = strchr(ref, '.');
	if (dot)
	{
		*dot = '\0';
		qualified = ref;
		f->field = dot + 1;
	}
	else
		f->field = ref;

	if (qualified)
		f->parent = qualified;
	else if (strcmp(f->field, "op") == 0 || strncmp(f->field, "ts_", 3) == 0)
		f->parent = NULL;
	else if (strcmp(f->field, "id") == 0 || strcmp(f->field, "total_order") == 0 ||
			 strcmp(f->field, "data_collection_order") == 0)
		f->parent = "transaction";
	else
		f->parent = "source";
	for (int i = 0; i < lengthof(envelope_fields); i++)
	{
		const EnvelopeField *e = &envelope_fields[i];

		if (strcmp(e->field, f->field) == 0 &&
			(e->parent == NULL ? f->parent == NULL :
			 f->parent != NULL && strcmp(e->parent, f->parent) == 0))
		{
			f->parent = e->parent;
			f->schema = e->schema;
			break;
		}
	}
	if (f->schema == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" names \"%s\", which is not a field of the change event envelope",
						property, entry),
				 errhint("Name op, ts_ms, ts_us, ts_ns, a field of the source block (e.g. source.ts_ms, table, lsn, txId) or of the transaction block (id, total_order, data_collection_order).")));

	if (alias)
		f->name = psprintf("%s%s", prefix, alias);
	else if (qualified)
		f->name = psprintf("%s%s_%s", prefix, qualified, f->field);
	else
		f->name = psprintf("%s%s", prefix, f->field);
	return f;
}

static List *
parse_fields(const char *property, const char *list, const char *prefix)
{
	List	   *fields = NIL;
	char	   *copy = pstrdup(list);
	char	   *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		tok = wal2dbz_trim(tok);
		if (*tok != '\0')
			fields = lappend(fields, parse_field(property, tok, prefix));
	}
	return fields;
}

static bool
parse_bool_text(const char *value, bool *result)
{
	if (pg_strcasecmp(value, "true") == 0)
		*result = true;
	else if (pg_strcasecmp(value, "false") == 0)
		*result = false;
	else
		return false;
	return true;
}

/*
 * If the configured transform is ExtractNewRecordState, take its
 * "transforms.<name>.*" options from the outbox router's pending list and
 * configure "uw" from them.  Runs after every option has been seen.
 */
void
wal2dbz_unwrap_check(Wal2dbzOutbox *ob, Wal2dbzUnwrap *uw)
{
	char	   *prefix;
	int			prefix_len;
	bool		is_unwrap = false;
	const char *fields = "";
	const char *fields_prefix = "__";
	const char *headers = "";
	const char *headers_prefix = "__";
	ListCell   *lc;

	if (ob->name == NULL)
		return;
	prefix = psprintf("transforms.%s.", ob->name);
	prefix_len = strlen(prefix);
	foreach(lc, ob->pending)
	{
		List	   *pair = lfirst(lc);

		if (strcmp(linitial(pair), psprintf("%stype", prefix)) == 0 &&
			strcmp(lsecond(pair), UNWRAP_CLASS) == 0)
			is_unwrap = true;
	}
	if (!is_unwrap)
		return;					/* the outbox router's, or an error there */

	uw->delete_mode = UNWRAP_TOMBSTONE;
	foreach(lc, ob->pending)
	{
		List	   *pair = lfirst(lc);
		char	   *name = linitial(pair);
		char	   *value = lsecond(pair);
		const char *prop = name + prefix_len;
		bool		flag;

		if (strncmp(name, prefix, prefix_len) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" names no configured transform", name),
					 errhint("The configured transform is \"%s\".", ob->name)));
		if (strcmp(prop, "type") == 0)
			continue;
		else if (strcmp(prop, "delete.tombstone.handling.mode") == 0)
		{
			int			i;

			for (i = 0; i < lengthof(delete_modes); i++)
				if (strcmp(value, delete_modes[i]) == 0)
					break;
			if (i == lengthof(delete_modes))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for \"%s\"", value, name),
						 errhint("Valid values are \"drop\", \"tombstone\", \"rewrite\", \"rewrite-with-tombstone\" and \"delete-to-tombstone\".")));
			uw->delete_mode = (UnwrapDeleteMode) i;
		}
		else if (strcmp(prop, "add.fields") == 0)
			fields = value;
		else if (strcmp(prop, "add.fields.prefix") == 0)
			fields_prefix = value;
		else if (strcmp(prop, "add.headers") == 0)
			headers = value;
		else if (strcmp(prop, "add.headers.prefix") == 0)
			headers_prefix = value;
		else if (strcmp(prop, "drop.tombstones") == 0 ||
				 strcmp(prop, "delete.handling.mode") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("option \"%s\" was removed in Debezium 3", name),
					 errhint("Use \"%sdelete.tombstone.handling.mode\": drop, tombstone, rewrite, rewrite-with-tombstone or delete-to-tombstone.",
							 prefix)));
		/* settings accepted at their defaults, which is what is implemented */
		else if ((strcmp(prop, "route.by.field") == 0 ||
				  strcmp(prop, "drop.fields.header.name") == 0) && value[0] == '\0')
			continue;
		else if (strcmp(prop, "drop.fields.from.key") == 0 &&
				 parse_bool_text(value, &flag) && !flag)
			continue;
		else if ((strcmp(prop, "drop.fields.keep.schema.compatible") == 0 ||
				  strcmp(prop, "replace.null.with.default") == 0) &&
				 parse_bool_text(value, &flag) && flag)
			continue;
		else if (strcmp(prop, "route.by.field") == 0 ||
				 strncmp(prop, "drop.fields.", 12) == 0 ||
				 strcmp(prop, "replace.null.with.default") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("option \"%s\" = \"%s\" of the New Record State Extraction is not supported",
							name, value),
					 errhint("wal2dbz implements delete.tombstone.handling.mode, add.fields, add.fields.prefix, add.headers and add.headers.prefix; leave the others at their defaults.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is unknown", name),
					 errhint("The New Record State Extraction's properties are delete.tombstone.handling.mode, add.fields, add.fields.prefix, add.headers and add.headers.prefix.")));
	}
	uw->fields = parse_fields(psprintf("%sadd.fields", prefix), fields, fields_prefix);
	uw->headers = parse_fields(psprintf("%sadd.headers", prefix), headers, headers_prefix);
	uw->enabled = true;

	/* the outbox router has nothing left to configure */
	ob->name = NULL;
	ob->pending = NIL;
}

/*
 * The value JSON before an unwrapped payload, from the row struct's field
 * schemas: the row with __deleted (rewrite modes) and add.fields, required,
 * or, for the null row a delete becomes in "tombstone" mode, the bare row
 * struct, optional (ExtractField keeps the "after" field's schema).
 */
char *
wal2dbz_unwrap_value_prefix(const Wal2dbzUnwrap *uw, const char *row_fields,
							const char *topic, bool null_row)
{
	StringInfoData buf;
	bool		first = row_fields[0] == '\0';
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoLiteral(&buf, "{\"schema\":{\"type\":\"struct\",\"fields\":[");
	appendStringInfoString(&buf, row_fields);
	if (!null_row)
	{
		if (rewrites_deletes(uw))
		{
			if (!first)
				appendStringInfoChar(&buf, ',');
			appendStringInfoLiteral(&buf, OPT_STRING ",\"field\":\"__deleted\"}");
			first = false;
		}
		foreach(lc, uw->fields)
		{
			UnwrapField *f = lfirst(lc);

			if (!first)
				appendStringInfoChar(&buf, ',');
			appendStringInfoString(&buf, f->schema);
			appendStringInfoLiteral(&buf, ",\"field\":");
			json_append_string(&buf, f->name);
			appendStringInfoChar(&buf, '}');
			first = false;
		}
	}
	appendStringInfo(&buf, "],\"optional\":%s,\"name\":", null_row ? "true" : "false");
	json_append_string(&buf, psprintf("%s.Value", topic));
	appendStringInfoLiteral(&buf, "},\"payload\":");
	return buf.data;
}

/*
 * The end of the JSON value starting at p (the plugin's own output: no
 * white space outside strings).
 */
static const char *
skip_value(const char *p, const char *end)
{
	int			depth = 0;

	if (p >= end)
		return end;
	if (*p == '"')
	{
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\')
				p++;
		return Min(p + 1, end);
	}
	if (*p != '{' && *p != '[')
	{
		while (p < end && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	for (; p < end; p++)
	{
		if (*p == '"')
			p = skip_value(p, end) - 1;
		else if (*p == '{' || *p == '[')
			depth++;
		else if ((*p == '}' || *p == ']') && --depth == 0)
			return p + 1;
	}
	return end;
}

/* Find member "name" of the JSON object [obj, end): its value's extent. */
static bool
json_member(const char *obj, const char *end, const char *name,
			const char **value, const char **value_end)
{
	size_t		len = strlen(name);
	const char *p;

	if (obj >= end || *obj != '{')
		return false;
	p = obj + 1;
	while (p < end && *p == '"')
	{
		const char *key_end = skip_value(p, end);
		bool		match = (size_t) (key_end - p - 2) == len &&
			memcmp(p + 1, name, len) == 0;
		const char *v = key_end + 1;	/* past ':' */
		const char *v_end = skip_value(v, end);

		if (match)
		{
			*value = v;
			*value_end = v_end;
			return true;
		}
		p = v_end;
		if (p < end && *p == ',')
			p++;
	}
	return false;
}

/* An add.fields/add.headers field's JSON value in the envelope [env, end). */
static void
field_value(const UnwrapField *f, const char *env, const char *end,
			const char **value, const char **value_end)
{
	const char *obj = env;
	const char *obj_end = end;

	*value = "null";
	*value_end = *value + 4;
	if (f->parent &&
		(!json_member(env, end, f->parent, &obj, &obj_end) || *obj != '{'))
		return;					/* e.g. no transaction block: null */
	(void) json_member(obj, obj_end, f->field, value, value_end);

	/*
	 * A streamed event's source.snapshot is null; the envelope shows the
	 * field's default, "false", as JsonConverter writes it, but the
	 * transform reads the struct without defaults.
	 */
	if (f->parent && strcmp(f->field, "snapshot") == 0 &&
		*value_end - *value == 7 && memcmp(*value, "\"false\"", 7) == 0)
	{
		*value = "null";
		*value_end = *value + 4;
	}
}

/* Append the text of the JSON string [p, end) to out, escapes resolved. */
static void
append_unescaped(StringInfo out, const char *p, const char *end)
{
	for (p++, end--; p < end; p++)
	{
		if (*p != '\\')
		{
			appendStringInfoCharMacro(out, *p);
			continue;
		}
		p++;
		switch (*p)
		{
			case 'b':
				appendStringInfoChar(out, '\b');
				break;
			case 'f':
				appendStringInfoChar(out, '\f');
				break;
			case 'n':
				appendStringInfoChar(out, '\n');
				break;
			case 'r':
				appendStringInfoChar(out, '\r');
				break;
			case 't':
				appendStringInfoChar(out, '\t');
				break;
			case 'u':
				{
					pg_wchar	c = strtol(pnstrdup(p + 1, 4), NULL, 16);
					unsigned char utf8[8];

					p += 4;
					if (c >= 0xD800 && c <= 0xDBFF && p + 6 < end &&
						p[1] == '\\' && p[2] == 'u')
					{
						pg_wchar	lo = strtol(pnstrdup(p + 3, 4), NULL, 16);

						c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
						p += 6;
					}
					unicode_to_utf8(c, utf8);
					appendBinaryStringInfo(out, (char *) utf8, pg_utf_mblen(utf8));
					break;
				}
			default:			/* \" \\ \/ */
				appendStringInfoChar(out, *p);
				break;
		}
	}
}

/*
 * The record's headers followed by add.headers, rendered as Kafka
 * Connect's SimpleHeaderConverter writes them: strings as they are,
 * numbers as their digits, null as a null header.
 */
static void
add_headers(Wal2dbzData *data, Wal2dbzRecord *rec, const char *env,
			const char *end)
{
	List	   *headers = data->opt.unwrap.headers;
	RecordHeader *all;
	int			n = 0;
	ListCell   *lc;

	if (headers == NIL)
		return;
	all = palloc(sizeof(RecordHeader) * (rec->nheaders + 1 + list_length(headers)));
	for (int i = 0; i < rec->nheaders; i++)
		all[n++] = rec->headers[i];

	/* Debezium's context headers come before the transform's */
	all[n].name = "";
	all[n++].value = NULL;
	rec->flags |= WAL2DBZ_FRAME_F_CONTEXT_AT_MARKER;
	foreach(lc, headers)
	{
		UnwrapField *f = lfirst(lc);
		const char *v;
		const char *v_end;
		StringInfoData text;

		field_value(f, env, end, &v, &v_end);
		all[n].name = f->name;
		if (v_end - v == 4 && memcmp(v, "null", 4) == 0)
			all[n].value = NULL;
		else
		{
			initStringInfo(&text);
			if (*v == '"')
				append_unescaped(&text, v, v_end);
			else
				appendBinaryStringInfo(&text, v, v_end - v);
			all[n].value = text.data;
		}
		n++;
	}
	rec->headers = all;
	rec->nheaders = n;
}

/*
 * Apply the transform to one record.  Returns false to drop it; else "rec"
 * may now point at data->unwrapped and other headers, and *null_row says
 * that its value is the null row of a delete ("tombstone" mode), which is
 * written with info->unwrap_delete_prefix.
 *
 * The record's value holds the envelope (after info->value_prefix unless
 * framed); a table event's tombstone has none and comes right after its
 * delete, whose headers it gets.
 */
bool
wal2dbz_unwrap_record(Wal2dbzData *data, Wal2dbzRelInfo *info,
					  Wal2dbzRecord *rec, bool *null_row)
{
	const Wal2dbzUnwrap *uw = &data->opt.unwrap;
	bool		framed = data->opt.format == OUTPUT_FRAMED;
	int			prefix_len = framed ? 0 : strlen(info->value_prefix);
	int			suffix_len = framed ? 0 : strlen(info->value_suffix);
	const char *env;
	const char *end;
	const char *row;
	const char *row_end;
	StringInfo	out = &data->unwrapped;
	ListCell   *lc;

	*null_row = false;
	if (rec->op == 0)
		return true;			/* not a table event */
	if (rec->op == 't')
		return false;
	if (rec->value == NULL)
	{
		/* Debezium's tombstone after a delete */
		if (uw->delete_mode != UNWRAP_REWRITE_WITH_TOMBSTONE)
			return false;
		if (data->unwrap_nheaders > 0)
		{
			rec->headers = data->unwrap_headers;
			rec->nheaders = data->unwrap_nheaders;
			if (data->opt.unwrap.headers != NIL)
				rec->flags |= WAL2DBZ_FRAME_F_CONTEXT_AT_MARKER;
		}
		return true;
	}

	env = rec->value->data + prefix_len;
	end = rec->value->data + rec->value->len - suffix_len;
	data->unwrap_nheaders = 0;	/* only a delete's go to a tombstone */
	if (rec->op == 'd' && uw->delete_mode == UNWRAP_DROP)
		return false;
	add_headers(data, rec, env, end);
	if (rec->op == 'd')
	{
		data->unwrap_headers = rec->headers;
		data->unwrap_nheaders = rec->nheaders;
		if (uw->delete_mode == UNWRAP_DELETE_TO_TOMBSTONE)
		{
			rec->value = NULL;
			rec->flags |= WAL2DBZ_FRAME_F_TOMBSTONE;
			return true;
		}
	}

	resetStringInfo(out);
	if (rec->op == 'd' && uw->delete_mode == UNWRAP_TOMBSTONE)
	{
		*null_row = true;
		if (!framed)
			appendStringInfoString(out, info->unwrap_delete_prefix);
		appendStringInfoLiteral(out, "null");
		if (!framed)
			appendStringInfoString(out, info->value_suffix);
		rec->value = out;
		return true;
	}

	if (!json_member(env, end, rec->op == 'd' ? "before" : "after", &row, &row_end) ||
		*row != '{')
		elog(ERROR, "wal2dbz: change event of \"%s\" has no row to unwrap", info->topic);
	if (!framed)
		appendBinaryStringInfo(out, rec->value->data, prefix_len);
	appendBinaryStringInfo(out, row, row_end - row - 1);	/* without '}' */
	if (rewrites_deletes(uw))
	{
		if (row_end - row > 2)
			appendStringInfoChar(out, ',');
		if (rec->op == 'd')
			appendStringInfoLiteral(out, "\"__deleted\":\"true\"");
		else
			appendStringInfoLiteral(out, "\"__deleted\":\"false\"");
	}
	foreach(lc, uw->fields)
	{
		UnwrapField *f = lfirst(lc);
		const char *v;
		const char *v_end;

		if (out->data[out->len - 1] != '{')
			appendStringInfoChar(out, ',');
		json_append_string(out, f->name);
		appendStringInfoChar(out, ':');
		field_value(f, env, end, &v, &v_end);
		appendBinaryStringInfo(out, v, v_end - v);
	}
	appendStringInfoChar(out, '}');
	if (!framed)
		appendStringInfoString(out, info->value_suffix);
	rec->value = out;
	return true;
}
