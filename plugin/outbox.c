/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  Debezium's Outbox Event Router, applied inside the plugin.
 *
 * Configured exactly as Debezium's single message transform
 * (transforms=<name>, transforms.<name>.type=
 * io.debezium.transforms.outbox.EventRouter, transforms.<name>.route.* and
 * .table.field.* ...), it turns each row inserted into an outbox table into
 * one Kafka record on the routed topic: keyed by the aggregate id, valued by
 * the payload column, with the event id (and any placed columns) as
 * headers.  Deletes are dropped and updates dropped with a log line, as
 * Debezium does by default.  Routing here, before any JSON of the change
 * event is built, is the cheapest place to do it.
 *
 * The same routing serves events written without a table by
 * wal2dbz.emit_event(): a transactional logical decoding message with the
 * prefix "wal2dbz.outbox" whose content is a JSON object of the event's
 * fields.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/outbox.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"

#include "compat.h"
#include "wal2dbz.h"

#define EVENT_ROUTER_CLASS "io.debezium.transforms.outbox.EventRouter"
#define DEFAULT_ROUTE_REGEX "(?<routedByValue>.*)"

/* Set the EventRouter's defaults (Debezium's EventRouterConfigDefinition). */
void
wal2dbz_outbox_defaults(Wal2dbzOutbox *ob)
{
	memset(ob, 0, sizeof(*ob));
	ob->field_id = "id";
	ob->field_key = "aggregateid";
	ob->field_type = "type";
	ob->field_payload = "payload";
	ob->route_by_field = "aggregatetype";
	ob->route_regex = DEFAULT_ROUTE_REGEX;
	ob->route_replacement = "outbox.event.${routedByValue}";
	ob->invalid_op_error = false;
}

/* Parse table.fields.additional.placement: column:where[:alias],... */
static void
parse_placements(Wal2dbzOutbox *ob, const char *option, char *list)
{
	char	   *item;
	char	   *saveptr = NULL;

	for (item = strtok_r(list, ",", &saveptr); item;
		 item = strtok_r(NULL, ",", &saveptr))
	{
		OutboxPlacement *p = palloc0(sizeof(OutboxPlacement));
		char	   *parts[3] = {NULL, NULL, NULL};
		int			n = 0;
		char	   *part;
		char	   *save2 = NULL;

		for (part = strtok_r(item, ":", &save2); part && n < 3;
			 part = strtok_r(NULL, ":", &save2))
			parts[n++] = pstrdup(part);
		if (n < 2)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not parse value \"%s\" for parameter \"%s\"", item, option),
					 errhint("Use column:header, column:envelope, or column:header:alias, separated by commas.")));
		p->column = parts[0];
		p->alias = parts[2] ? parts[2] : parts[0];
		if (strcmp(parts[1], "header") == 0)
			p->in_envelope = false;
		else if (strcmp(parts[1], "envelope") == 0)
			p->in_envelope = true;
		else if (strcmp(parts[1], "partition") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("placement \"partition\" in parameter \"%s\" is not supported", option),
					 errhint("Place the column in a header or in the envelope.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not parse value \"%s\" for parameter \"%s\"", parts[1], option),
					 errhint("Valid placements are \"header\" and \"envelope\".")));
		ob->placements = lappend(ob->placements, p);
	}
}

/*
 * Take one "transforms" or "transforms.<name>.<property>" option.  The
 * transform's name is only known once "transforms" is read, so properties
 * are kept and checked in wal2dbz_outbox_check().
 */
void
wal2dbz_outbox_option(Wal2dbzOutbox *ob, const char *name, const char *value)
{
	if (strcmp(name, "transforms") == 0)
	{
		char	   *list = pstrdup(value);
		char	   *first;

		first = strtok(list, ", ");
		if (first && strtok(NULL, ", "))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("only one transform is supported, \"%s\" lists several", name),
					 errhint("Configure a single Outbox Event Router.")));
		ob->name = first;
		return;
	}
	ob->pending = lappend(ob->pending,
						  list_make2(pstrdup(name), pstrdup(value)));
}

/* Apply the "transforms.<name>.*" properties once the name is known. */
void
wal2dbz_outbox_check(Wal2dbzOutbox *ob, bool value_schemas)
{
	ListCell   *lc;
	char	   *prefix;
	int			prefix_len;
	bool		type_given = false;

	if (ob->name == NULL)
	{
		if (ob->pending != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" needs \"transforms\"",
							(char *) linitial((List *) linitial(ob->pending))),
					 errhint("Name the transform with transforms=<name>.")));
		return;
	}
	prefix = psprintf("transforms.%s.", ob->name);
	prefix_len = strlen(prefix);
	foreach(lc, ob->pending)
	{
		List	   *pair = lfirst(lc);
		char	   *name = linitial(pair);
		char	   *value = lsecond(pair);
		const char *prop = name + prefix_len;

		if (strncmp(name, prefix, prefix_len) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" names no configured transform", name),
					 errhint("The configured transform is \"%s\".", ob->name)));
		if (strcmp(prop, "type") == 0)
		{
			if (strcmp(value, EVENT_ROUTER_CLASS) != 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("transform type \"%s\" is not supported", value),
						 errhint("The supported transform is \"%s\".", EVENT_ROUTER_CLASS)));
			type_given = true;
		}
		else if (strcmp(prop, "table.field.event.id") == 0)
			ob->field_id = value;
		else if (strcmp(prop, "table.field.event.key") == 0)
			ob->field_key = value;
		else if (strcmp(prop, "table.field.event.type") == 0)
			ob->field_type = value;
		else if (strcmp(prop, "table.field.event.payload") == 0)
			ob->field_payload = value;
		else if (strcmp(prop, "route.by.field") == 0)
			ob->route_by_field = value;
		else if (strcmp(prop, "route.topic.regex") == 0)
			ob->route_regex = value;
		else if (strcmp(prop, "route.topic.replacement") == 0)
			ob->route_replacement = value;
		else if (strcmp(prop, "route.tombstone.on.empty.payload") == 0)
		{
			if (!parse_bool(value, &ob->tombstone_on_empty_payload))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("could not parse value \"%s\" for parameter \"%s\"", value, name)));
		}
		else if (strcmp(prop, "table.expand.json.payload") == 0)
		{
			if (!parse_bool(value, &ob->expand_json_payload))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("could not parse value \"%s\" for parameter \"%s\"", value, name)));
		}
		else if (strcmp(prop, "table.fields.additional.placement") == 0)
			parse_placements(ob, name, pstrdup(value));
		else if (strcmp(prop, "table.op.invalid.behavior") == 0)
		{
			if (strcmp(value, "warn") == 0)
				ob->invalid_op_error = false;
			else if (strcmp(value, "error") == 0 || strcmp(value, "fatal") == 0)
				ob->invalid_op_error = true;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("could not parse value \"%s\" for parameter \"%s\"", value, name),
						 errhint("Valid values are \"warn\", \"error\" and \"fatal\".")));
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is unknown", name),
					 errhint("The Outbox Event Router's properties are table.field.event.{id,key,type,payload}, route.by.field, route.topic.regex, route.topic.replacement, route.tombstone.on.empty.payload, table.expand.json.payload, table.fields.additional.placement and table.op.invalid.behavior.")));
	}
	if (!type_given)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%stype\" missing", prefix),
				 errhint("Set it to \"%s\".", EVENT_ROUTER_CLASS)));

	/*
	 * Java's named groups become plain groups; ${name} in the replacement
	 * becomes the group's number.
	 */
	{
		StringInfoData re;
		StringInfoData rep;
		List	   *names = NIL;
		const char *p;

		initStringInfo(&re);
		for (p = ob->route_regex; *p; p++)
		{
			if (strncmp(p, "(?<", 3) == 0 && p[3] != '=' && p[3] != '!')
			{
				const char *end = strchr(p + 3, '>');

				if (end == NULL)
					break;
				names = lappend(names, pnstrdup(p + 3, end - p - 3));
				appendStringInfoChar(&re, '(');
				p = end;
			}
			else
			{
				if (*p == '(' && p[1] != '?')
					names = lappend(names, "");
				appendStringInfoChar(&re, *p);
			}
		}
		initStringInfo(&rep);
		for (p = ob->route_replacement; *p; p++)
		{
			if (p[0] == '$' && p[1] == '{')
			{
				const char *end = strchr(p + 2, '}');
				char	   *group = end ? pnstrdup(p + 2, end - p - 2) : "";
				int			index = 0;
				ListCell   *nc;

				foreach(nc, names)
				{
					if (strcmp(lfirst(nc), group) == 0)
					{
						index = foreach_current_index(nc) + 1;
						break;
					}
				}
				if (end == NULL || index == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("\"route.topic.replacement\" refers to group \"%s\", which \"route.topic.regex\" does not define",
									group)));
				appendStringInfo(&rep, "\\%d", index);
				p = end;
			}
			else if (*p == '\\')
				appendStringInfoString(&rep, "\\\\");
			else
				appendStringInfoChar(&rep, *p);
		}
		ob->pg_regex = psprintf("^(?:%s)$", re.data);
		ob->pg_replacement = rep.data;
	}
	ob->enabled = true;
}

/* The routed topic: Debezium's RegexRouter over route.by.field's value. */
static char *
routed_topic(const Wal2dbzOutbox *ob, const char *routed_by, const char *original)
{
	text	   *pattern = cstring_to_text(ob->pg_regex);

	if (!RE_compile_and_execute(pattern, (char *) routed_by, strlen(routed_by),
								REG_ADVANCED, C_COLLATION_OID, 0, NULL))
		return pstrdup(original);
	return TextDatumGetCString(DirectFunctionCall3Coll(textregexreplace_noopt,
													   C_COLLATION_OID,
													   CStringGetTextDatum(routed_by),
													   PointerGetDatum(pattern),
													   CStringGetTextDatum(ob->pg_replacement)));
}

/* The index of a column in a cached relation, or -1. */
static int
column_index(const Wal2dbzRelInfo *info, const char *name)
{
	for (int i = 0; i < info->ncolumns; i++)
	{
		/* json_key is "\"name\":" */
		const char *key = info->columns[i].json_key;
		int			len = info->columns[i].json_key_len - 3;

		if ((int) strlen(name) == len && strncmp(key + 1, name, len) == 0)
			return i;
	}
	return -1;
}

/* A column's value as plain text (its output function), or NULL. */
static char *
column_text(const Wal2dbzRelInfo *info, int index, HeapTuple tuple, TupleDesc desc)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, info->columns[index].attnum, desc, &isnull);
	Oid			typoutput;
	bool		varlena;

	if (isnull)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(desc, info->columns[index].attnum - 1)->atttypid,
					  &typoutput, &varlena);
	return OidOutputFunctionCall(typoutput, value);
}

/* A required outbox column, or an error naming it and the table. */
static int
required_column(const Wal2dbzRelInfo *info, const char *name, const char *property)
{
	int			index = column_index(info, name);

	if (index < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("outbox table \"%s\" has no column \"%s\"", info->data_collection, name),
				 errhint("Set the transform's \"%s\" to the column holding it, or exclude the table from the capture.",
						 property)));
	return index;
}

/* Append {"schema":<schema>,"payload":<value>} or just the value. */
static void
append_with_schema(StringInfo out, const Wal2dbzColumn *col, bool schemas,
				   HeapTuple tuple, TupleDesc desc, Wal2dbzRelInfo *info,
				   const Wal2dbzOptions *opt)
{
	if (schemas)
	{
		appendStringInfoLiteral(out, "{\"schema\":");
		wal2dbz_type_schema(out, &col->type, col->optional);
		appendStringInfoLiteral(out, "},\"payload\":");
	}
	wal2dbz_write_column(out, info, col, tuple, desc, opt);
	if (schemas)
		appendStringInfoChar(out, '}');
}

/*
 * table.expand.json.payload: Debezium's JsonSchemaData.  A payload whose
 * text starts with '{' or '[' becomes a Connect value with a schema
 * inferred from it: objects are optional structs named after the payload
 * column (nested ones "<name>.<key>"), strings, booleans, int32, int64 or
 * float64 as Jackson reads the number, arrays of the first non-null
 * element's schema.  Null members and empty arrays have no schema and are
 * left out.  Whatever Debezium cannot convert (an array of different
 * types or number types, or of nulls only) makes it log "JSON expansion
 * failed" and keep the payload as it was: here too.  A number beyond int64
 * or a top-level array makes Debezium fail its task (the record keeps the
 * inferred schema with the unexpanded text, which the converter rejects):
 * here those payloads are kept as they are too.
 *
 * Debezium reads the payload column's text with Jackson.  For a jsonb
 * column that is jsonb's normalised text (keys sorted, duplicates gone,
 * 1e2 written 100), so the jsonb value is walked as it is; a json column's
 * text is the one the row was written with, so it is parsed here keeping
 * what Jackson keeps: members in their order, a repeated name in its first
 * place with its last value, numbers typed by how they are written.
 */
typedef enum ExpandType
{
	EXPAND_STRING,
	EXPAND_BOOLEAN,
	EXPAND_INT32,
	EXPAND_INT64,
	EXPAND_FLOAT64,
	EXPAND_ARRAY,
	EXPAND_STRUCT
} ExpandType;

typedef struct ExpandSchema
{
	ExpandType	type;
	char	   *name;			/* struct: its schema name */
	List	   *fields;			/* struct: ExpandField, in order */
	struct ExpandSchema *items; /* array */
	bool		merged;			/* struct merged from several: not optional */
} ExpandSchema;

typedef struct ExpandField
{
	char	   *name;
	ExpandSchema *schema;
} ExpandField;

/* A JSON value as Jackson's readTree() gives it to JsonSchemaData. */
typedef enum ExpandNodeKind
{
	NODE_NULL,
	NODE_STRING,
	NODE_BOOLEAN,
	NODE_NUMBER,
	NODE_ARRAY,
	NODE_OBJECT
} ExpandNodeKind;

typedef struct ExpandNode
{
	ExpandNodeKind kind;
	char	   *text;			/* string: its value; number: its JSON text */
	int			len;			/* string: its length */
	bool		boolean;
	List	   *keys;			/* object: member names, in order */
	List	   *values;			/* object: member values; array: elements */
	HTAB	   *positions;		/* object of NODE_INDEX_MIN members or more:
								 * name -> position in keys */
} ExpandNode;

/* Objects this large find their members through a hash table. */
#define NODE_INDEX_MIN 16

typedef struct NodePosition
{
	const char *name;			/* the hash key: the pointer, hashed by value */
	int			position;
} NodePosition;

static ExpandSchema *expand_infer(const char *name, const ExpandNode *v, bool *failed);

static ExpandNode *
node_new(ExpandNodeKind kind)
{
	ExpandNode *node = palloc0(sizeof(ExpandNode));

	node->kind = kind;
	return node;
}

static uint32
position_hash(const void *key, Size keysize)
{
	const char *name = *(const char *const *) key;

	return hash_bytes((const unsigned char *) name, (int) strlen(name));
}

static int
position_match(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * Keep an object's names findable by hash once it has NODE_INDEX_MIN of
 * them: all of them the first time, then the last one added.
 */
static void
node_index(ExpandNode *object)
{
	NodePosition *entry;
	HASHCTL		ctl;
	ListCell   *lk;

	if (object->positions != NULL)
	{
		entry = hash_search(object->positions, &llast(object->keys), HASH_ENTER, NULL);
		entry->position = list_length(object->keys) - 1;
		return;
	}
	if (list_length(object->keys) < NODE_INDEX_MIN)
		return;
	/* in the current context, freed with the rest of the change */
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(NodePosition);
	ctl.hash = position_hash;
	ctl.match = position_match;
	ctl.hcxt = CurrentMemoryContext;
	object->positions = hash_create("wal2dbz json members", 2 * list_length(object->keys),
									&ctl, HASH_ELEM | HASH_FUNCTION | HASH_COMPARE |
									HASH_CONTEXT);
	foreach(lk, object->keys)
	{
		entry = hash_search(object->positions, &lfirst(lk), HASH_ENTER, NULL);
		entry->position = foreach_current_index(lk);
	}
}

/* The position of an object's member, -1 when it has none of that name. */
static int
node_find(const ExpandNode *object, const char *name)
{
	ListCell   *lk;

	if (object->positions != NULL)
	{
		NodePosition *entry = hash_search(object->positions, &name, HASH_FIND, NULL);

		return entry ? entry->position : -1;
	}
	foreach(lk, object->keys)
	{
		if (strcmp(lfirst(lk), name) == 0)
			return foreach_current_index(lk);
	}
	return -1;
}

/*
 * A jsonb value as a node tree: members in jsonb's order, numbers as
 * numeric_out writes them.
 */
static ExpandNode *
node_from_jsonb(const JsonbValue *v)
{
	ExpandNode *node;
	JsonbIterator *it;
	JsonbValue	member;
	JsonbIteratorToken tok;

	switch (v->type)
	{
		case jbvString:
			node = node_new(NODE_STRING);
			node->text = v->val.string.val;
			node->len = v->val.string.len;
			return node;
		case jbvBool:
			node = node_new(NODE_BOOLEAN);
			node->boolean = v->val.boolean;
			return node;
		case jbvNumeric:
			node = node_new(NODE_NUMBER);
			node->text = DatumGetCString(DirectFunctionCall1(numeric_out,
															 NumericGetDatum(v->val.numeric)));
			return node;
		case jbvBinary:
			break;
		default:
			return node_new(NODE_NULL);
	}
	node = node_new(JsonContainerIsArray(v->val.binary.data) ? NODE_ARRAY : NODE_OBJECT);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &member, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			node->keys = lappend(node->keys,
								 pnstrdup(member.val.string.val, member.val.string.len));
		else if (tok == WJB_VALUE || tok == WJB_ELEM)
			node->values = lappend(node->values, node_from_jsonb(&member));
	}
	if (node->kind == NODE_OBJECT)
		node_index(node);
	return node;
}

/* The JSON parser's state while it builds a node tree from json text. */
typedef struct NodeBuilder
{
	ExpandNode *root;
	List	   *open;			/* the arrays and objects being read, innermost first */
	char	   *key;			/* the name of the object member being read */
} NodeBuilder;

/*
 * Put a value read into its array or object.  Jackson's ObjectNode is a
 * LinkedHashMap: a repeated name keeps its first place and takes the last
 * value.
 */
static void
node_attach(NodeBuilder *b, ExpandNode *node)
{
	ExpandNode *parent;

	if (b->open == NIL)
	{
		b->root = node;
		return;
	}
	parent = linitial(b->open);
	if (parent->kind == NODE_OBJECT)
	{
		int			position = node_find(parent, b->key);

		if (position >= 0)
		{
			lfirst(list_nth_cell(parent->values, position)) = node;
			return;
		}
		parent->keys = lappend(parent->keys, b->key);
		node_index(parent);
	}
	parent->values = lappend(parent->values, node);
}

static void
node_open(NodeBuilder *b, ExpandNodeKind kind)
{
	ExpandNode *node = node_new(kind);

	node_attach(b, node);
	b->open = lcons(node, b->open);
}

static DBZ_JSON_ACTION
node_object_start(void *state)
{
	node_open(state, NODE_OBJECT);
	DBZ_JSON_ACTION_DONE;
}

static DBZ_JSON_ACTION
node_array_start(void *state)
{
	node_open(state, NODE_ARRAY);
	DBZ_JSON_ACTION_DONE;
}

static DBZ_JSON_ACTION
node_end(void *state)
{
	NodeBuilder *b = state;

	b->open = list_delete_first(b->open);
	DBZ_JSON_ACTION_DONE;
}

static DBZ_JSON_ACTION
node_field_start(void *state, char *fname, bool isnull)
{
	((NodeBuilder *) state)->key = fname;
	DBZ_JSON_ACTION_DONE;
}

static DBZ_JSON_ACTION
node_scalar(void *state, char *token, JsonTokenType tokentype)
{
	ExpandNode *node;

	switch (tokentype)
	{
		case JSON_TOKEN_STRING:
			node = node_new(NODE_STRING);
			node->text = token;
			node->len = strlen(token);
			break;
		case JSON_TOKEN_NUMBER:
			node = node_new(NODE_NUMBER);
			node->text = token;
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			node = node_new(NODE_BOOLEAN);
			node->boolean = tokentype == JSON_TOKEN_TRUE;
			break;
		default:
			node = node_new(NODE_NULL);
			break;
	}
	node_attach(state, node);
	DBZ_JSON_ACTION_DONE;
}

/*
 * A json column's text as a node tree, in the text's order; NULL (logged)
 * where PostgreSQL's parser cannot give Jackson's reading: a string with
 * \u0000, or a \u escape beyond ASCII in a database not in UTF8.
 */
static ExpandNode *
node_from_text(char *text)
{
	NodeBuilder b = {0};
	JsonSemAction sem = {0};
	JsonLexContext *lex = DBZ_JSON_LEXER(text, strlen(text), GetDatabaseEncoding());
	JsonParseErrorType error;

	sem.semstate = &b;
	sem.object_start = node_object_start;
	sem.object_end = node_end;
	sem.array_start = node_array_start;
	sem.array_end = node_end;
	sem.object_field_start = node_field_start;
	sem.scalar = node_scalar;
	error = pg_parse_json(lex, &sem);
	if (error != JSON_SUCCESS)
	{
		elog(LOG, "JSON expansion of an outbox payload failed (%s); it is published as it is",
			 json_errdetail(error, lex));
		return NULL;
	}
	return b.root;
}

/* A number as Jackson types it, by its text; sets *failed beyond int64. */
static ExpandType
number_type(const ExpandNode *v, bool *failed)
{
	char	   *end;
	long long	n;

	if (strpbrk(v->text, ".eE"))
		return EXPAND_FLOAT64;
	errno = 0;
	n = strtoll(v->text, &end, 10);
	if (errno != 0 || *end != '\0')
	{
		*failed = true;			/* a BigIntegerNode: Connect refuses it */
		return EXPAND_INT64;
	}
	return n >= PG_INT32_MIN && n <= PG_INT32_MAX ? EXPAND_INT32 : EXPAND_INT64;
}

static ExpandSchema *
expand_new(ExpandType type)
{
	ExpandSchema *schema = palloc0(sizeof(ExpandSchema));

	schema->type = type;
	return schema;
}

/* Do two inferred schemas describe the same Connect schema? */
static bool
expand_equal(const ExpandSchema *a, const ExpandSchema *b)
{
	ListCell   *la;
	ListCell   *lb;

	if (a == NULL || b == NULL)
		return a == b;
	if (a->type != b->type)
		return false;
	if (a->type == EXPAND_ARRAY)
		return expand_equal(a->items, b->items);
	if (a->type != EXPAND_STRUCT)
		return true;
	if (strcmp(a->name, b->name) != 0 || list_length(a->fields) != list_length(b->fields))
		return false;
	forboth(la, a->fields, lb, b->fields)
	{
		ExpandField *fa = lfirst(la);
		ExpandField *fb = lfirst(lb);

		if (strcmp(fa->name, fb->name) != 0 || !expand_equal(fa->schema, fb->schema))
			return false;
	}
	return true;
}

/* The struct field of that name, or NULL. */
static ExpandField *
expand_field(const ExpandSchema *schema, const char *name)
{
	ListCell   *lc;

	foreach(lc, schema->fields)
	{
		ExpandField *f = lfirst(lc);

		if (strcmp(f->name, name) == 0)
			return f;
	}
	return NULL;
}

/*
 * An array's element schema (getFirstArrayElement and
 * toConnectSchemaWithCycles): the non-null elements must all be of one JSON
 * type, numbers of one number type; objects' struct schemas are merged.
 */
static ExpandSchema *
expand_items(const char *name, const ExpandNode *array, bool *failed)
{
	ListCell   *le;
	ExpandNodeKind first = NODE_NULL;
	ExpandType	first_number = EXPAND_INT32;
	ExpandSchema *items = NULL;

	foreach(le, array->values)
	{
		const ExpandNode *v = lfirst(le);
		bool		object = v->kind == NODE_OBJECT;
		ExpandSchema *schema;

		if (v->kind == NODE_NULL)
			continue;
		if (first == NODE_NULL)
		{
			first = v->kind;
			if (v->kind == NODE_NUMBER)
				first_number = number_type(v, failed);
		}
		else if (v->kind != first ||
				 (v->kind == NODE_NUMBER && number_type(v, failed) != first_number))
		{
			*failed = true;		/* "Field is not a homogenous array" */
			return NULL;
		}
		if (items != NULL && !object)
			continue;
		schema = expand_infer(name, v, failed);
		if (*failed)
			return NULL;
		if (items == NULL)
			items = schema;
		else if (!expand_equal(items, schema))
		{
			ListCell   *lc;

			/*
			 * Merge the fields of objects of different shapes, in order of
			 * appearance (Debezium merges over a HashSet of schemas, whose
			 * order follows identity hash codes); a field of two types
			 * cannot be merged.  Debezium's merged struct is not optional
			 * (SchemaUtil.copySchemaBasics leaves that out).
			 */
			items->merged = true;
			foreach(lc, schema->fields)
			{
				ExpandField *f = lfirst(lc);
				ExpandField *mine = expand_field(items, f->name);

				if (mine == NULL)
					items->fields = lappend(items->fields, f);
				else if (!expand_equal(mine->schema, f->schema))
				{
					*failed = true;
					return NULL;
				}
			}
		}
	}
	if (items == NULL)
		*failed = true;			/* "Array '%s' has unrecognized member schema." */
	return items;
}

/* toConnectSchema(): the schema of one JSON value, NULL for none. */
static ExpandSchema *
expand_infer(const char *name, const ExpandNode *v, bool *failed)
{
	switch (v->kind)
	{
		case NODE_NULL:
			return NULL;
		case NODE_STRING:
			return expand_new(EXPAND_STRING);
		case NODE_BOOLEAN:
			return expand_new(EXPAND_BOOLEAN);
		case NODE_NUMBER:
			return expand_new(number_type(v, failed));
		case NODE_ARRAY:
			{
				ExpandSchema *schema;

				if (v->values == NIL)
					return NULL;
				schema = expand_new(EXPAND_ARRAY);
				schema->items = expand_items(name, v, failed);
				return schema;
			}
		case NODE_OBJECT:
			break;
	}
	{
		ExpandSchema *schema = expand_new(EXPAND_STRUCT);
		ListCell   *lk;
		ListCell   *lv;

		schema->name = pstrdup(name);
		forboth(lk, v->keys, lv, v->values)
		{
			char	   *key = lfirst(lk);
			char	   *child = name[0] ? psprintf("%s.%s", name, key) : key;
			ExpandSchema *fs = expand_infer(child, lfirst(lv), failed);

			if (*failed)
				break;
			/* a node's names are unique (jsonb's, or node_attach's) */
			if (fs != NULL)
			{
				ExpandField *f = palloc(sizeof(ExpandField));

				f->name = key;
				f->schema = fs;
				schema->fields = lappend(schema->fields, f);
			}
		}
		return schema;
	}
}

/* The JsonConverter's JSON of an inferred schema (optional everywhere). */
static void
expand_write_schema(StringInfo out, const ExpandSchema *schema, const char *field)
{
	static const char *const names[] = {"string", "boolean", "int32", "int64",
	"double", "array", "struct"};

	appendStringInfoString(out, "{\"type\":");
	json_append_string(out, names[schema->type]);
	if (schema->type == EXPAND_STRUCT)
	{
		ListCell   *lc;

		appendStringInfoString(out, ",\"fields\":[");
		foreach(lc, schema->fields)
		{
			ExpandField *f = lfirst(lc);

			if (foreach_current_index(lc) > 0)
				appendStringInfoChar(out, ',');
			expand_write_schema(out, f->schema, f->name);
		}
		appendStringInfoChar(out, ']');
	}
	else if (schema->type == EXPAND_ARRAY)
	{
		appendStringInfoString(out, ",\"items\":");
		expand_write_schema(out, schema->items, NULL);
	}
	appendStringInfoString(out, schema->merged ? ",\"optional\":false" : ",\"optional\":true");
	if (schema->type == EXPAND_STRUCT)
	{
		appendStringInfoString(out, ",\"name\":");
		json_append_string(out, schema->name);
	}
	if (field)
	{
		appendStringInfoString(out, ",\"field\":");
		json_append_string(out, field);
	}
	appendStringInfoChar(out, '}');
}

/*
 * The member of an object node, or NULL.  A struct's schema is inferred
 * from an object with the same members in the same order (every object
 * but the later elements of an array), so the member at the field's own
 * position is tried first, then the object's names (hashed when there are
 * many of them).
 */
static const ExpandNode *
node_member(const ExpandNode *object, const char *name, int position)
{
	if (position >= list_length(object->keys) ||
		strcmp(list_nth(object->keys, position), name) != 0)
		position = node_find(object, name);
	return position >= 0 ? list_nth(object->values, position) : NULL;
}

/* toConnectData() and the JsonConverter: a value in its schema's shape. */
static void
expand_write_value(StringInfo out, const ExpandSchema *schema, const ExpandNode *v)
{
	if (v == NULL || v->kind == NODE_NULL)
	{
		appendStringInfoString(out, "null");
		return;
	}
	switch (schema->type)
	{
		case EXPAND_STRING:
			json_append_string_len(out, v->text, v->len);
			break;
		case EXPAND_BOOLEAN:
			appendStringInfoString(out, v->boolean ? "true" : "false");
			break;
		case EXPAND_INT32:
		case EXPAND_INT64:
			/* as Jackson writes the int or long it read: -0 is 0 */
			appendStringInfo(out, "%lld", strtoll(v->text, NULL, 10));
			break;
		case EXPAND_FLOAT64:
			json_append_java_double(out, strtod(v->text, NULL));
			break;
		case EXPAND_ARRAY:
			{
				ListCell   *le;

				appendStringInfoChar(out, '[');
				foreach(le, v->values)
				{
					if (foreach_current_index(le) > 0)
						appendStringInfoChar(out, ',');
					expand_write_value(out, schema->items, lfirst(le));
				}
				appendStringInfoChar(out, ']');
				break;
			}
		case EXPAND_STRUCT:
			{
				ListCell   *lc;

				appendStringInfoChar(out, '{');
				foreach(lc, schema->fields)
				{
					ExpandField *f = lfirst(lc);

					if (foreach_current_index(lc) > 0)
						appendStringInfoChar(out, ',');
					json_append_string(out, f->name);
					appendStringInfoChar(out, ':');
					expand_write_value(out, f->schema,
									   node_member(v, f->name,
												   foreach_current_index(lc)));
				}
				appendStringInfoChar(out, '}');
				break;
			}
	}
}

/*
 * Expand a JSON payload given as text into *schema_out (its Connect
 * schema's JSON, as the struct field "field" unless that is NULL) and
 * *value_out: read as jsonb, or in the text's own order (a json column).
 * Returns false when Debezium would keep the payload as it is.
 */
static bool
expand_json(char *text, bool in_text_order, const char *name, const char *field,
			StringInfo schema_out, StringInfo value_out)
{
	ExpandNode *root;
	ExpandSchema *schema;
	bool		failed = false;

	/*
	 * Debezium parses a payload starting with '[' too, but then fails the
	 * task: an array is no struct, and the record it leaves has the array's
	 * schema with the unexpanded text.  Here such a payload stays as it is.
	 */
	if (text[0] != '{')
		return false;
	if (in_text_order)
	{
		root = node_from_text(text);
		if (root == NULL)
			return false;
	}
	else
	{
		Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
		JsonbValue	value;

		value.type = jbvBinary;
		value.val.binary.data = &jb->root;
		value.val.binary.len = VARSIZE(jb) - VARHDRSZ;
		root = node_from_jsonb(&value);
	}
	schema = expand_infer(name, root, &failed);
	if (failed || schema == NULL)
	{
		elog(LOG, "JSON expansion of an outbox payload failed; it is published as it is");
		return false;
	}
	expand_write_schema(schema_out, schema, field);
	expand_write_value(value_out, schema, root);
	return true;
}

/*
 * The payload column expanded (table.expand.json.payload), into *schema
 * (as the struct field "field" unless NULL) and *value; false when it is
 * published as the column's value.
 */
static bool
expand_column(Wal2dbzRelInfo *info, const Wal2dbzColumn *col, HeapTuple tuple,
			  TupleDesc desc, const Wal2dbzOutbox *ob, const char *field,
			  StringInfo schema, StringInfo value)
{
	char	   *text;

	if (!ob->expand_json_payload ||
		(col->type.typid != JSONBOID && col->type.typid != JSONOID))
		return false;
	text = column_text(info, col - info->columns, tuple, desc);
	return text && expand_json(text, col->type.typid == JSONOID, ob->field_payload, field,
							   schema, value);
}

/* The payload, expanded as JSON (table.expand.json.payload) or as the column's value. */
static void
append_payload(StringInfo out, Wal2dbzRelInfo *info, const Wal2dbzColumn *col,
			   HeapTuple tuple, TupleDesc desc, const Wal2dbzOptions *opt,
			   bool schemas)
{
	StringInfoData schema;
	StringInfoData value;

	initStringInfo(&schema);
	initStringInfo(&value);
	if (!expand_column(info, col, tuple, desc, &opt->outbox, NULL, &schema, &value))
		append_with_schema(out, col, schemas, tuple, desc, info, opt);
	else if (schemas)
		appendStringInfo(out, "{\"schema\":%s,\"payload\":%s}", schema.data, value.data);
	else
		appendBinaryStringInfo(out, value.data, value.len);
}

/*
 * Build the routed record of an outbox row into rec (key and value in the
 * session's buffers, the rest palloc'd in the current context).  Returns
 * false when the change is dropped: deletes, and updates (logged).
 */
bool
wal2dbz_outbox_row(Wal2dbzData *data, Wal2dbzRelInfo *info, TupleDesc desc,
				   HeapTuple tuple, char action, Wal2dbzRecord *rec)
{
	const Wal2dbzOutbox *ob = &data->opt.outbox;
	int			by = required_column(info, ob->route_by_field, "route.by.field");
	int			payload = required_column(info, ob->field_payload, "table.field.event.payload");
	int			key = column_index(info, ob->field_key);
	int			id = column_index(info, ob->field_id);
	char	   *routed_by;
	bool		payload_null;
	RecordHeader *headers;
	int			nheaders = 0;
	List	   *envelope = NIL;
	ListCell   *lc;

	if (action == 'd')
		return false;
	if (action != 'c' && action != 'r')
	{
		ereport(ob->invalid_op_error ? ERROR : LOG,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("outbox table \"%s\" had an update; the event router ignores it",
						info->data_collection),
				 errhint("Outbox rows should only be inserted (and deleted).")));
		return false;
	}

	routed_by = column_text(info, by, tuple, desc);
	if (routed_by == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("outbox row of \"%s\" has a null \"%s\"", info->data_collection,
						ob->route_by_field)));
	rec->topic = routed_topic(ob, routed_by, info->topic);

	resetStringInfo(&data->key);
	if (key >= 0)
		append_with_schema(&data->key, &info->columns[key], data->opt.key_schemas,
						   tuple, desc, info, &data->opt);
	rec->key = key >= 0 ? &data->key : NULL;

	headers = palloc(sizeof(RecordHeader) * (list_length(ob->placements) + 1));
	if (id >= 0)
	{
		headers[nheaders].name = "id";
		headers[nheaders].value = column_text(info, id, tuple, desc);
		if (headers[nheaders].value)
			nheaders++;
	}
	foreach(lc, ob->placements)
	{
		OutboxPlacement *p = lfirst(lc);
		int			index = required_column(info, p->column,
											"table.fields.additional.placement");

		if (p->in_envelope)
		{
			envelope = lappend(envelope, p);
			continue;
		}
		headers[nheaders].name = p->alias;
		headers[nheaders].value = column_text(info, index, tuple, desc);
		if (headers[nheaders].value)
			nheaders++;
	}
	rec->headers = headers;
	rec->nheaders = nheaders;

	payload_null = heap_attisnull(tuple, info->columns[payload].attnum, desc);
	resetStringInfo(&data->value);
	if (payload_null && ob->tombstone_on_empty_payload)
		rec->value = NULL;
	else if (envelope == NIL)
	{
		append_payload(&data->value, info, &info->columns[payload], tuple, desc,
					   &data->opt, data->opt.value_schemas);
		rec->value = &data->value;
	}
	else
	{
		/* a struct of the payload and the fields placed in the envelope */
		StringInfo	out = &data->value;
		StringInfoData expanded_schema;
		StringInfoData expanded;
		bool		expand;

		initStringInfo(&expanded_schema);
		initStringInfo(&expanded);
		expand = expand_column(info, &info->columns[payload], tuple, desc, ob,
							   "payload", &expanded_schema, &expanded);
		if (data->opt.value_schemas)
		{
			appendStringInfoLiteral(out, "{\"schema\":{\"type\":\"struct\",\"fields\":[");
			if (expand)
				appendBinaryStringInfo(out, expanded_schema.data, expanded_schema.len);
			else
			{
				wal2dbz_type_schema(out, &info->columns[payload].type,
									info->columns[payload].optional);
				appendStringInfoLiteral(out, ",\"field\":\"payload\"}");
			}
			foreach(lc, envelope)
			{
				OutboxPlacement *p = lfirst(lc);
				const Wal2dbzColumn *col = &info->columns[column_index(info, p->column)];

				appendStringInfoChar(out, ',');
				wal2dbz_type_schema(out, &col->type, col->optional);
				appendStringInfoLiteral(out, ",\"field\":");
				json_append_string(out, p->alias);
				appendStringInfoChar(out, '}');
			}
			appendStringInfoLiteral(out, "],\"optional\":false,\"name\":");
			json_append_string(out, psprintf("%s.%s.Value", info->topic, routed_by));
			appendStringInfoLiteral(out, "},\"payload\":");
		}
		appendStringInfoLiteral(out, "{\"payload\":");
		if (expand)
			appendBinaryStringInfo(out, expanded.data, expanded.len);
		else
			append_payload(out, info, &info->columns[payload], tuple, desc, &data->opt, false);
		foreach(lc, envelope)
		{
			OutboxPlacement *p = lfirst(lc);

			appendStringInfoChar(out, ',');
			json_append_string(out, p->alias);
			appendStringInfoChar(out, ':');
			wal2dbz_write_column(out, info, &info->columns[column_index(info, p->column)],
								 tuple, desc, &data->opt);
		}
		appendStringInfoChar(out, '}');
		if (data->opt.value_schemas)
			appendStringInfoChar(out, '}');
		rec->value = out;
	}
	return true;
}

/* A string field of the emit_event() JSON object, or NULL. */
static char *
event_field(Jsonb *jb, const char *name, bool as_json)
{
	JsonbValue	key;
	JsonbValue *v;

	key.type = jbvString;
	key.val.string.val = (char *) name;
	key.val.string.len = strlen(name);
	v = findJsonbValueFromContainer(&jb->root, JB_FOBJECT, &key);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (!as_json && v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	/* anything else as JSON text, as jsonb_out writes it */
	{
		Jsonb	   *sub = JsonbValueToJsonb(v);

		return JsonbToCString(NULL, &sub->root, VARSIZE(sub));
	}
}

/*
 * Build the routed record of a wal2dbz.emit_event() message, as if it were
 * an outbox row whose columns hold the event's fields (aggregate type and
 * id as text, the payload as jsonb).
 */
void
wal2dbz_outbox_event(Wal2dbzData *data, const char *message, Size size,
					 Wal2dbzRecord *rec)
{
	const Wal2dbzOutbox *ob = &data->opt.outbox;
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
														CStringGetDatum(pnstrdup(message, size))));
	char	   *aggregate_type = event_field(jb, "aggregate_type", false);
	char	   *aggregate_id = event_field(jb, "aggregate_id", false);
	char	   *event_type = event_field(jb, "event_type", false);
	char	   *payload = event_field(jb, "payload", true);
	char	   *headers_json = event_field(jb, "headers", true);
	char	   *id = event_field(jb, "id", false);
	RecordHeader *headers;
	int			nheaders = 0;
	int			maxheaders;
	ListCell   *lc;

	if (aggregate_type == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("outbox event without an aggregate type")));
	rec->topic = routed_topic(ob, aggregate_type, "outbox.event.unrouted");

	resetStringInfo(&data->key);
	if (data->opt.key_schemas)
		appendStringInfoLiteral(&data->key,
								"{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":");
	if (aggregate_id)
		json_append_string(&data->key, aggregate_id);
	else
		appendStringInfoLiteral(&data->key, "null");
	if (data->opt.key_schemas)
		appendStringInfoChar(&data->key, '}');
	rec->key = &data->key;

	resetStringInfo(&data->value);
	if (payload == NULL && ob->tombstone_on_empty_payload)
		rec->value = NULL;
	else
	{
		StringInfoData schema;
		StringInfoData value;

		initStringInfo(&schema);
		initStringInfo(&value);
		if (payload && ob->expand_json_payload &&
			expand_json(payload, false, ob->field_payload, NULL, &schema, &value))
		{
			if (data->opt.value_schemas)
				appendStringInfo(&data->value, "{\"schema\":%s,\"payload\":%s}",
								 schema.data, value.data);
			else
				appendBinaryStringInfo(&data->value, value.data, value.len);
		}
		else
		{
			if (data->opt.value_schemas)
				appendStringInfoLiteral(&data->value,
										"{\"schema\":{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Json\",\"version\":1},\"payload\":");
			if (payload == NULL)
				appendStringInfoLiteral(&data->value, "null");
			else
				json_append_string(&data->value, payload);
			if (data->opt.value_schemas)
				appendStringInfoChar(&data->value, '}');
		}
		rec->value = &data->value;
	}

	/* the id, the placed event type, then the caller's own headers */
	maxheaders = 2 + list_length(ob->placements);
	if (headers_json)
	{
		Jsonb	   *hj = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(headers_json)));

		maxheaders += JsonContainerSize(&hj->root);
	}
	headers = palloc(sizeof(RecordHeader) * maxheaders);
	if (id)
	{
		headers[nheaders].name = "id";
		headers[nheaders++].value = id;
	}
	foreach(lc, ob->placements)
	{
		OutboxPlacement *p = lfirst(lc);

		if (!p->in_envelope && strcmp(p->column, ob->field_type) == 0 && event_type)
		{
			headers[nheaders].name = p->alias;
			headers[nheaders++].value = event_type;
		}
	}
	if (headers_json)
	{
		Jsonb	   *hj = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(headers_json)));
		JsonbIterator *it = JsonbIteratorInit(&hj->root);
		JsonbValue	v;
		JsonbIteratorToken tok;
		char	   *name = NULL;

		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				name = pnstrdup(v.val.string.val, v.val.string.len);
			else if (tok == WJB_VALUE && name && nheaders < maxheaders)
			{
				headers[nheaders].name = name;
				if (v.type == jbvString)
					headers[nheaders].value = pnstrdup(v.val.string.val, v.val.string.len);
				else
				{
					Jsonb	   *sub = JsonbValueToJsonb(&v);

					headers[nheaders].value = JsonbToCString(NULL, &sub->root, VARSIZE(sub));
				}
				nheaders++;
			}
		}
	}
	rec->headers = headers;
	rec->nheaders = nheaders;
}
