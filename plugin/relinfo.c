/*-------------------------------------------------------------------------
 *
 * relinfo.c
 *	  Per-relation cache: topic, key columns, schemas and column writers.
 *
 * Everything about a table that does not change from one row to the next
 * is worked out once: whether the filters capture it, its topic, which
 * columns form the key, how each column is written, and the key and value
 * JSON up to the payload with the Connect schemas already rendered.  An
 * entry is rebuilt after a relcache invalidation of its table (ALTER TABLE,
 * a changed default) or any type change (a new enum label).
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/relinfo.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_index.h"
#include "nodes/readfuncs.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "wal2dbz.h"

/* Kafka's limit on topic name length. */
#define MAX_TOPIC_LENGTH 249

/*
 * The cache of the current decoding session.  Static because the
 * invalidation callbacks, registered once per backend, have no other way to
 * find it; a reset callback on its memory context clears the pointer when
 * decoding ends, even by ERROR.
 */
static HTAB *RelInfoHash = NULL;
static bool callbacks_registered = false;

/* The Debezium source struct schema (3.x), identical for every table. */
static const char source_schema[] =
"{\"type\":\"struct\",\"fields\":["
"{\"type\":\"string\",\"optional\":false,\"field\":\"version\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"connector\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"ts_ms\"},"
"{\"type\":\"string\",\"optional\":true,\"name\":\"io.debezium.data.Enum\",\"version\":1,"
"\"parameters\":{\"allowed\":\"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental\"},"
"\"default\":\"false\",\"field\":\"snapshot\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"db\"},"
"{\"type\":\"string\",\"optional\":true,\"field\":\"sequence\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"schema\"},"
"{\"type\":\"string\",\"optional\":false,\"field\":\"table\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"txId\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"lsn\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"xmin\"},"
"{\"type\":\"string\",\"optional\":true,\"field\":\"origin\"},"
"{\"type\":\"int64\",\"optional\":true,\"field\":\"origin_lsn\"}],"
"\"optional\":false,\"name\":\"io.debezium.connector.postgresql.Source\",\"version\":1,\"field\":\"source\"}";

/* The transaction block schema ("event.block"). */
static const char transaction_schema[] =
"{\"type\":\"struct\",\"fields\":["
"{\"type\":\"string\",\"optional\":false,\"field\":\"id\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"total_order\"},"
"{\"type\":\"int64\",\"optional\":false,\"field\":\"data_collection_order\"}],"
"\"optional\":true,\"name\":\"event.block\",\"version\":1,\"field\":\"transaction\"}";

const char *wal2dbz_source_schema = source_schema;
const char *wal2dbz_transaction_schema = transaction_schema;

/* Mark one entry (or, for InvalidOid, every entry) for rebuilding. */
static void
relinfo_invalidate(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	Wal2dbzRelInfo *entry;

	if (RelInfoHash == NULL)
		return;
	if (OidIsValid(relid))
	{
		entry = hash_search(RelInfoHash, &relid, HASH_FIND, NULL);
		if (entry)
			entry->valid = false;
		return;
	}
	hash_seq_init(&status, RelInfoHash);
	while ((entry = hash_seq_search(&status)) != NULL)
		entry->valid = false;
}

/* A type changed (an enum label, a domain): rebuild every entry. */
static void
relinfo_type_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	relinfo_invalidate(arg, InvalidOid);
}

/* The cache's memory is going away: forget it. */
static void
relinfo_forget(void *arg)
{
	RelInfoHash = NULL;
}

/* Create the session's relation cache under "parent". */
void
wal2dbz_relinfo_init(Wal2dbzData *data, MemoryContext parent)
{
	HASHCTL		ctl;
	MemoryContextCallback *cb;

	data->cache_context = AllocSetContextCreate(parent, "wal2dbz relation cache",
												ALLOCSET_SMALL_SIZES);
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(Wal2dbzRelInfo);
	ctl.hcxt = data->cache_context;
	RelInfoHash = hash_create("wal2dbz relation cache", 64, &ctl,
							  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	cb = MemoryContextAlloc(data->cache_context, sizeof(MemoryContextCallback));
	cb->func = relinfo_forget;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(data->cache_context, cb);

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(relinfo_invalidate, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, relinfo_type_invalidate, (Datum) 0);
		callbacks_registered = true;
	}
}

/*
 * The topic name: every character outside [A-Za-z0-9._-] becomes '_', and
 * the name is cut at Kafka's limit, as Debezium's naming strategy does.
 */
static char *
sanitized_topic(const Wal2dbzOptions *opt, const char *prefix,
				const char *nspname, const char *relname)
{
	char	   *topic = psprintf("%s%s%s%s%s", prefix, opt->topic_delimiter,
								 nspname, opt->topic_delimiter, relname);

	for (char *p = topic; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			*p = '_';
	if (strlen(topic) > MAX_TOPIC_LENGTH)
		topic[MAX_TOPIC_LENGTH] = '\0';
	return topic;
}

/* The columns of an index, or NIL for an expression index. */
static List *
index_columns(Oid indexoid)
{
	HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
	Form_pg_index index;
	List	   *result = NIL;

	if (!HeapTupleIsValid(tuple))
		return NIL;
	index = (Form_pg_index) GETSTRUCT(tuple);
	for (int i = 0; i < index->indnkeyatts; i++)
	{
		if (index->indkey.values[i] == 0)
		{
			list_free(result);
			result = NIL;
			break;
		}
		result = lappend_int(result, index->indkey.values[i]);
	}
	ReleaseSysCache(tuple);
	return result;
}

/*
 * The key columns Debezium uses: the primary key; else the replica identity
 * index; else the first unique index by name that has no expressions; else
 * none.
 */
static List *
key_attnums(Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	Oid			pk = RelationGetPrimaryKeyIndex(rel);
	Oid			ri = RelationGetReplicaIndex(rel);
	char	   *best_name = NULL;
	List	   *best = NIL;
	ListCell   *lc;

	if (OidIsValid(pk))
		return index_columns(pk);
	if (OidIsValid(ri))
		return index_columns(ri);
	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		bool		unique;
		List	   *cols;
		char	   *name;

		if (!HeapTupleIsValid(tuple))
			continue;
		unique = ((Form_pg_index) GETSTRUCT(tuple))->indisunique;
		ReleaseSysCache(tuple);
		if (!unique || (cols = index_columns(indexoid)) == NIL)
			continue;
		name = get_rel_name(indexoid);
		if (best_name == NULL || strcmp(name, best_name) < 0)
		{
			best_name = name;
			best = cols;
		}
	}
	return best;
}

/* The column's DEFAULT expression, or NULL. */
static Node *
column_default(Relation rel, AttrNumber attnum)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;

	if (constr == NULL)
		return NULL;
	for (int i = 0; i < constr->num_defval; i++)
		if (constr->defval[i].adnum == attnum)
			return stringToNode(constr->defval[i].adbin);
	return NULL;
}

/*
 * Append one struct member: the field's schema with default and name; in a
 * key, without what column mappers add.
 */
static void
append_field_schema(StringInfo out, const Wal2dbzColumn *col, const char *name,
					bool key)
{
	if (key && col->mapped_schema)
	{
		Wal2dbzType unmapped = col->type;

		unmapped.params = col->key_params;
		wal2dbz_type_schema(out, &unmapped, col->optional);
	}
	else
		wal2dbz_type_schema(out, &col->type, col->optional);
	if (col->default_json)
	{
		appendStringInfoLiteral(out, ",\"default\":");
		appendStringInfoString(out, col->default_json);
	}
	appendStringInfoLiteral(out, ",\"field\":");
	json_append_string(out, name);
	appendStringInfoChar(out, '}');
}

/* Append the row struct schema ("<topic>.Value") as member "field". */
static void
append_row_schema(StringInfo out, Wal2dbzRelInfo *info, char **names,
				  const char *field)
{
	appendStringInfoLiteral(out, "{\"type\":\"struct\",\"fields\":[");
	for (int i = 0; i < info->ncolumns; i++)
	{
		if (i > 0)
			appendStringInfoChar(out, ',');
		append_field_schema(out, &info->columns[i], names[i], false);
	}
	appendStringInfoLiteral(out, "],\"optional\":true,\"name\":");
	json_append_string(out, psprintf("%s.Value", info->topic));
	appendStringInfoLiteral(out, ",\"field\":");
	json_append_string(out, field);
	appendStringInfoChar(out, '}');
}

/* Render the key and value JSON that precedes and follows each payload. */
static void
render_envelope(Wal2dbzData *data, Wal2dbzRelInfo *info, char **names,
				const char *nspname, const char *relname)
{
	const Wal2dbzOptions *opt = &data->opt;
	StringInfoData buf;

	initStringInfo(&buf);
	if (opt->key_schemas && info->nkeys > 0)
	{
		appendStringInfoLiteral(&buf, "{\"schema\":{\"type\":\"struct\",\"fields\":[");
		for (int k = 0; k < info->nkeys; k++)
		{
			int			c = info->key_columns[k];

			if (k > 0)
				appendStringInfoChar(&buf, ',');
			append_field_schema(&buf, &info->columns[c], names[c], true);
		}
		appendStringInfoLiteral(&buf, "],\"optional\":false,\"name\":");
		json_append_string(&buf, psprintf("%s.Key", info->topic));
		appendStringInfoLiteral(&buf, "},\"payload\":");
		info->key_prefix = pstrdup(buf.data);
		info->key_suffix = "}";
	}
	else
	{
		info->key_prefix = "";
		info->key_suffix = "";
	}

	resetStringInfo(&buf);
	info->unwrap_delete_prefix = "";
	if (opt->value_schemas && opt->unwrap.enabled)
	{
		/* the row struct's fields, then the transform's own */
		for (int i = 0; i < info->ncolumns; i++)
		{
			if (i > 0)
				appendStringInfoChar(&buf, ',');
			append_field_schema(&buf, &info->columns[i], names[i], false);
		}
		info->value_prefix = wal2dbz_unwrap_value_prefix(&opt->unwrap, buf.data,
														 info->topic, false);
		info->unwrap_delete_prefix =
			wal2dbz_unwrap_value_prefix(&opt->unwrap, buf.data, info->topic, true);
		info->value_suffix = "}";
	}
	else if (opt->value_schemas)
	{
		appendStringInfoLiteral(&buf, "{\"schema\":{\"type\":\"struct\",\"fields\":[");
		append_row_schema(&buf, info, names, "before");
		appendStringInfoChar(&buf, ',');
		append_row_schema(&buf, info, names, "after");
		appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, source_schema);
		appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, transaction_schema);
		appendStringInfoString(&buf,
							   ",{\"type\":\"string\",\"optional\":false,\"field\":\"op\"}"
							   ",{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ms\"}"
							   ",{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_us\"}"
							   ",{\"type\":\"int64\",\"optional\":true,\"field\":\"ts_ns\"}"
							   "],\"optional\":false,\"name\":");
		json_append_string(&buf, psprintf("%s.Envelope", info->topic));
		appendStringInfoLiteral(&buf, ",\"version\":2},\"payload\":");
		info->value_prefix = pstrdup(buf.data);
		info->value_suffix = "}";
	}
	else
	{
		info->value_prefix = "";
		info->value_suffix = "";
	}

	resetStringInfo(&buf);
	appendStringInfoLiteral(&buf, ",\"schema\":");
	json_append_string(&buf, nspname);
	appendStringInfoLiteral(&buf, ",\"table\":");
	json_append_string(&buf, relname);
	appendStringInfoLiteral(&buf, ",\"txId\":");
	info->source_rel = pstrdup(buf.data);
	pfree(buf.data);
}

/* Build a cache entry from scratch for "rel". */
static void
relinfo_build(Wal2dbzData *data, Wal2dbzRelInfo *info, Relation rel)
{
	const Wal2dbzOptions *opt = &data->opt;
	TupleDesc	desc = RelationGetDescr(rel);
	char	   *nspname = get_namespace_name(RelationGetNamespace(rel));
	char	   *relname = RelationGetRelationName(rel);
	char	  **names;
	List	   *keys;
	ListCell   *lc;
	MemoryContext old;

	if (info->context)
		MemoryContextDelete(info->context);
	info->context = AllocSetContextCreate(data->cache_context,
										  "wal2dbz relation entry",
										  ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(info->context);

	info->data_collection = psprintf("%s.%s", nspname, relname);
	info->invisible = opt->state_schema != NULL &&
		strcmp(nspname, opt->state_schema) == 0;
	info->captured = !info->invisible &&
		wal2dbz_filter_allows(&opt->schema_filter, nspname) &&
		wal2dbz_filter_allows(&opt->table_filter, info->data_collection);
	info->ncolumns = 0;
	info->nkeys = 0;
	info->schema_id = 0;		/* a rebuilt entry gets a new SCHEMA frame */
	info->unwrap_delete_schema_id = 0;
	if (!info->captured)
		goto done;

	info->topic = sanitized_topic(opt, opt->topic_prefix, nspname, relname);
	info->topic_len = strlen(info->topic);
	info->columns = palloc0(sizeof(Wal2dbzColumn) * Max(desc->natts, 1));
	names = palloc(sizeof(char *) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Wal2dbzColumn *col = &info->columns[info->ncolumns];
		StringInfoData key;
		char	   *qualified;
		Node	   *dflt;

		/* pgoutput leaves generated columns out; so does Debezium */
		if (att->attisdropped || att->attnum <= 0 || att->attgenerated)
			continue;
		qualified = psprintf("%s.%s", info->data_collection, NameStr(att->attname));
		if (!wal2dbz_filter_allows(&opt->column_filter, qualified))
			continue;
		if (!wal2dbz_type_init(&col->type, att->atttypid, att->atttypmod, opt,
							   info->context))
		{
			elog(DEBUG1, "column \"%s\" of \"%s\" has a type Debezium cannot encode; left out",
				 NameStr(att->attname), info->data_collection);
			continue;
		}
		col->attnum = att->attnum;
		col->optional = !att->attnotnull;
		col->varlena = att->attlen == -1;
		initStringInfo(&key);
		json_append_string(&key, NameStr(att->attname));
		appendStringInfoChar(&key, ':');
		col->json_key = key.data;
		col->json_key_len = key.len;
		dflt = column_default(rel, att->attnum);
		col->default_json = wal2dbz_type_default(&col->type, dflt, opt);
		col->fallback_json = wal2dbz_type_fallback(&col->type);
		col->placeholder_json = wal2dbz_type_placeholder(&col->type, opt);
		if (opt->column_mappers != NIL)
			wal2dbz_column_mapper_bind(opt, col, qualified, att, dflt,
										   data->snapshot);
		names[info->ncolumns] = pstrdup(NameStr(att->attname));
		info->ncolumns++;
	}

	info->key_columns = palloc(sizeof(int) * Max(info->ncolumns, 1));

	/*
	 * message.key.columns: the columns of its first pattern (in table
	 * order), then of the next, as Debezium's CustomKeyMapper takes them
	 * (which fails on a column named twice; here it counts once); a table
	 * it names no column of keeps its usual key.
	 */
	if (opt->key_columns.patterns != NIL)
	{
		char	  **qualified = palloc(sizeof(char *) * Max(info->ncolumns, 1));

		for (int c = 0; c < info->ncolumns; c++)
			qualified[c] = psprintf("%s.%s", info->data_collection, names[c]);
		foreach(lc, opt->key_columns.patterns)
		{
			for (int c = 0; c < info->ncolumns; c++)
			{
				if (info->columns[c].is_key ||
					!wal2dbz_pattern_matches(lfirst(lc), qualified[c]))
					continue;
				info->columns[c].is_key = true;
				info->key_columns[info->nkeys++] = c;
			}
		}
	}
	if (info->nkeys == 0)
	{
		keys = key_attnums(rel);
		foreach(lc, keys)
		{
			for (int c = 0; c < info->ncolumns; c++)
				if (info->columns[c].attnum == lfirst_int(lc))
				{
					info->columns[c].is_key = true;
					info->key_columns[info->nkeys++] = c;
				}
		}
	}
	render_envelope(data, info, names, nspname, relname);

done:
	MemoryContextSwitchTo(old);
	info->valid = true;
}

/* The cache entry of "rel", built or rebuilt as needed. */
Wal2dbzRelInfo *
wal2dbz_relinfo_get(Wal2dbzData *data, Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	Wal2dbzRelInfo *info;
	bool		found;

	Assert(RelInfoHash != NULL);
	info = hash_search(RelInfoHash, &relid, HASH_ENTER, &found);
	if (!found)
	{
		info->valid = false;
		info->context = NULL;
	}
	if (!info->valid)
		relinfo_build(data, info, rel);
	return info;
}
