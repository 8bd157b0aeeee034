/*-------------------------------------------------------------------------
 *
 * options.c
 *	  Parse and check the wal2dbz output plugin's options.
 *
 * Options carry the Debezium PostgreSQL connector's property names
 * ("topic.prefix", "decimal.handling.mode", "table.include.list", ...) with
 * the same meanings, so one vocabulary serves the plugin, the sink's
 * configuration and a user coming from Debezium.  Every option is parsed
 * once, here, at startup; an unknown option, a bad value or two options
 * that contradict each other stop decoding with a message naming them.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/options.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "regex/regex.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "wal2dbz.h"

/* One choice of an enumerated option. */
typedef struct OptionChoice
{
	const char *name;
	int			value;
} OptionChoice;

static const OptionChoice format_choices[] = {
	{"value", OUTPUT_VALUE}, {"record", OUTPUT_RECORD},
	{"framed", OUTPUT_FRAMED}, {NULL, 0}
};
static const OptionChoice decimal_choices[] = {
	{"precise", DECIMAL_PRECISE}, {"string", DECIMAL_STRING},
	{"double", DECIMAL_DOUBLE}, {NULL, 0}
};
static const OptionChoice time_choices[] = {
	{"adaptive", TIME_ADAPTIVE},
	{"adaptive_time_microseconds", TIME_ADAPTIVE_MICRO},
	{"connect", TIME_CONNECT}, {NULL, 0}
};
static const OptionChoice binary_choices[] = {
	{"bytes", BINARY_BYTES}, {"base64", BINARY_BASE64},
	{"base64-url-safe", BINARY_BASE64_URL}, {"hex", BINARY_HEX}, {NULL, 0}
};
static const OptionChoice hstore_choices[] = {
	{"json", HSTORE_JSON}, {"map", HSTORE_MAP}, {NULL, 0}
};
static const OptionChoice interval_choices[] = {
	{"numeric", INTERVAL_NUMERIC}, {"string", INTERVAL_STRING}, {NULL, 0}
};

/*
 * publication.autocreate.mode: which tables Debezium's publication holds.
 * "disabled" and "no_tables" leave that to a publication someone made for
 * the connector, usually of the captured tables; the plugin reads no
 * publication, so they act as "filtered".
 */
static const OptionChoice publication_choices[] = {
	{"all_tables", false}, {"filtered", true},
	{"disabled", true}, {"no_tables", true}, {NULL, 0}
};

/* The value of an option as a string; a bare option (no value) is NULL. */
static const char *
option_string(DefElem *elem)
{
	Assert(elem->arg == NULL || IsA(elem->arg, String));
	return elem->arg ? strVal(elem->arg) : NULL;
}

/*
 * A boolean option.  No value means true, as in test_decoding; parse_bool
 * also takes '0'/'1', which SQL callers pass.
 */
static bool
option_bool(DefElem *elem)
{
	const char *str = option_string(elem);
	bool		result;

	if (str == NULL)
		return true;
	if (!parse_bool(str, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not parse value \"%s\" for parameter \"%s\"",
						str, elem->defname),
				 errhint("Use true or false.")));
	return result;
}

/* An integer option within [min, max]. */
static int
option_int(DefElem *elem, int min, int max)
{
	const char *str = option_string(elem);
	char	   *end;
	long		value;

	errno = 0;
	value = str ? strtol(str, &end, 10) : 0;
	if (str == NULL || *str == '\0' || *end != '\0' || errno != 0 ||
		value < min || value > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not parse value \"%s\" for parameter \"%s\"",
						str ? str : "", elem->defname),
				 errhint("Use an integer from %d to %d.", min, max)));
	return (int) value;
}

/* A string option that must have a value. */
static char *
option_required_string(DefElem *elem)
{
	const char *str = option_string(elem);

	if (str == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" needs a value", elem->defname)));
	return pstrdup(str);
}

/* An enumerated option; the hint lists the valid values. */
static int
option_choice(DefElem *elem, const OptionChoice *choices)
{
	const char *str = option_string(elem);
	StringInfoData valid;

	for (const OptionChoice *c = choices; str && c->name; c++)
		if (pg_strcasecmp(str, c->name) == 0)
			return c->value;

	initStringInfo(&valid);
	for (const OptionChoice *c = choices; c->name; c++)
		appendStringInfo(&valid, "%s\"%s\"", c == choices ? "" : ", ", c->name);
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("could not parse value \"%s\" for parameter \"%s\"",
					str ? str : "", elem->defname),
			 errhint("Valid values are: %s.", valid.data)));
	return 0;					/* keep compiler quiet */
}

/*
 * Check that a regular expression compiles, so a typo in a filter list is
 * reported at startup with the option's name rather than never matching.
 */
static void
check_regex(const char *option, const char *re)
{
	regex_t		compiled;
	pg_wchar   *wide;
	int			len;
	int			rc;

	wide = palloc((strlen(re) + 1) * sizeof(pg_wchar));
	len = pg_mb2wchar_with_len(re, wide, strlen(re));
	rc = pg_regcomp(&compiled, wide, len, REG_ADVANCED | REG_ICASE,
					C_COLLATION_OID);
	if (rc != REG_OKAY)
	{
		char		errbuf[100];

		pg_regerror(rc, &compiled, errbuf, sizeof(errbuf));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid regular expression \"%s\" in parameter \"%s\": %s",
						re, option, errbuf)));
	}
	pg_regfree(&compiled);
	pfree(wide);
}

/* Strip blanks (spaces, tabs) from both ends of "s", in place. */
char *
wal2dbz_trim(char *s)
{
	char	   *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

/* Add "re" to a filter, anchored, after checking that it compiles. */
static void
filter_add(Wal2dbzFilter *filter, const char *option, const char *re)
{
	check_regex(option, re);
	filter->patterns = lappend(filter->patterns,
							   cstring_to_text(psprintf("^(?:%s)$", re)));
}

/*
 * A Debezium filter list: comma-separated regular expressions, each matched
 * against the whole name, ignoring case.
 */
static void
option_filter(DefElem *elem, Wal2dbzFilter *filter, bool exclude,
			  const char *other)
{
	char	   *list = option_required_string(elem);
	char	   *item;
	char	   *saveptr = NULL;

	if (filter->patterns != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("conflicting or redundant options"),
				 errdetail("\"%s\" cannot be combined with \"%s\".",
						   elem->defname, other),
				 errhint("Use either the include list or the exclude list.")));
	filter->exclude = exclude;
	for (item = strtok_r(list, ",", &saveptr); item;
		 item = strtok_r(NULL, ",", &saveptr))
	{
		char	   *re = wal2dbz_trim(item);

		if (*re != '\0')
			filter_add(filter, elem->defname, re);
	}
	if (filter->patterns == NIL && !exclude)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"%s\" lists no regular expression",
						elem->defname)));
}

/*
 * message.key.columns: "<table>:<column>[,<column>...]" entries separated
 * by ';', where <table> is a regular expression for "schema.table".  As
 * Debezium's CustomKeyMapper does, each column becomes the regular
 * expression "<table>.<column>", matched against whole column names
 * ("schema.table.column"), ignoring case.
 */
static void
option_key_columns(DefElem *elem, Wal2dbzFilter *filter)
{
	char	   *list = option_required_string(elem);
	char	   *entry;
	char	   *entry_save = NULL;

	filter->patterns = NIL;
	filter->exclude = false;
	for (entry = strtok_r(list, ";", &entry_save); entry;
		 entry = strtok_r(NULL, ";", &entry_save))
	{
		char	   *colon = strchr(entry, ':');
		char	   *column;
		char	   *column_save = NULL;
		char	   *table = entry;

		while (*table == ' ' || *table == '\t')
			table++;
		if (*table == '\0')
			continue;
		if (colon == NULL || colon == table || colon[1] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid entry \"%s\" in parameter \"%s\"",
							table, elem->defname),
					 errhint("Each entry is <schema>.<table>:<column>[,<column>...]; entries are separated by \";\".")));
		*colon = '\0';
		table = wal2dbz_trim(table);
		for (column = strtok_r(colon + 1, ",", &column_save); column;
			 column = strtok_r(NULL, ",", &column_save))
		{
			column = wal2dbz_trim(column);
			if (*column != '\0')
				filter_add(filter, elem->defname,
						   psprintf("%s.%s", table, column));
		}
	}
}

/* Does one of a filter's patterns match the whole "name", ignoring case? */
bool
wal2dbz_pattern_matches(text *pattern, const char *name)
{
	return RE_compile_and_execute(pattern, (char *) name, strlen(name),
								  REG_ADVANCED | REG_ICASE, C_COLLATION_OID,
								  0, NULL);
}

/* Does a filter let "name" through? */
bool
wal2dbz_filter_allows(const Wal2dbzFilter *filter, const char *name)
{
	ListCell   *lc;

	if (filter->patterns == NIL)
		return true;
	foreach(lc, filter->patterns)
	{
		if (wal2dbz_pattern_matches(lfirst(lc), name))
			return !filter->exclude;
	}
	return filter->exclude;
}

/* skipped.operations: a comma-separated subset of c,u,d,t, or "none". */
static void
option_skipped_operations(DefElem *elem, Wal2dbzOptions *opt)
{
	char	   *list = option_required_string(elem);
	char	   *item;
	char	   *saveptr = NULL;

	opt->skip_create = opt->skip_update = opt->skip_delete =
		opt->skip_truncate = false;
	for (item = strtok_r(list, ", ", &saveptr); item;
		 item = strtok_r(NULL, ", ", &saveptr))
	{
		if (strcmp(item, "c") == 0)
			opt->skip_create = true;
		else if (strcmp(item, "u") == 0)
			opt->skip_update = true;
		else if (strcmp(item, "d") == 0)
			opt->skip_delete = true;
		else if (strcmp(item, "t") == 0)
			opt->skip_truncate = true;
		else if (strcmp(item, "none") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not parse value \"%s\" for parameter \"%s\"",
							item, elem->defname),
					 errhint("Valid values are a comma-separated list of \"c\", \"u\", \"d\", \"t\", or \"none\".")));
	}
}

/*
 * Parse the options given to START_REPLICATION or the SQL decoding
 * functions.  Creating a slot passes none (is_init), so only the defaults
 * are set then.
 */
void
wal2dbz_parse_options(List *options, Wal2dbzOptions *opt, bool is_init)
{
	ListCell   *lc;
	List	   *seen = NIL;

	memset(opt, 0, sizeof(*opt));
	opt->format = OUTPUT_VALUE;
	opt->topic_delimiter = ".";
	opt->source_version = WAL2DBZ_VERSION;
	opt->key_schemas = true;
	opt->value_schemas = true;
	opt->decimal_mode = DECIMAL_PRECISE;
	opt->time_mode = TIME_ADAPTIVE;
	opt->binary_mode = BINARY_BYTES;
	opt->hstore_mode = HSTORE_JSON;
	opt->interval_mode = INTERVAL_NUMERIC;
	opt->tombstones_on_delete = true;
	opt->replace_null_with_default = true;
	opt->skip_truncate = true;	/* Debezium's default skipped.operations=t */
	opt->placeholder = WAL2DBZ_DEFAULT_PLACEHOLDER;
	wal2dbz_outbox_defaults(&opt->outbox);

	if (is_init)
		return;

	foreach(lc, options)
	{
		DefElem    *elem = lfirst(lc);
		const char *name = elem->defname;
		Wal2dbzColumnMapper *mapper;
		ListCell   *s;

		foreach(s, seen)
			if (strcmp(lfirst(s), name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options"),
						 errdetail("Option \"%s\" is given more than once.", name)));
		seen = lappend(seen, (char *) name);

		if (strncmp(name, "transforms", 10) == 0 &&
			(name[10] == '\0' || name[10] == '.'))
			wal2dbz_outbox_option(&opt->outbox, name, option_required_string(elem));
		else if (strcmp(name, "output.format") == 0)
			opt->format = option_choice(elem, format_choices);
		else if (strcmp(name, "topic.prefix") == 0)
			opt->topic_prefix = option_required_string(elem);
		else if (strcmp(name, "topic.delimiter") == 0)
			opt->topic_delimiter = option_required_string(elem);
		else if (strcmp(name, "source.version") == 0)
			opt->source_version = option_required_string(elem);
		else if (strcmp(name, "schemas.enable") == 0)
			opt->key_schemas = opt->value_schemas = option_bool(elem);
		else if (strcmp(name, "key.converter.schemas.enable") == 0)
			opt->key_schemas = option_bool(elem);
		else if (strcmp(name, "value.converter.schemas.enable") == 0)
			opt->value_schemas = option_bool(elem);
		else if (strcmp(name, "decimal.handling.mode") == 0)
			opt->decimal_mode = option_choice(elem, decimal_choices);
		else if (strcmp(name, "time.precision.mode") == 0)
			opt->time_mode = option_choice(elem, time_choices);
		else if (strcmp(name, "binary.handling.mode") == 0)
			opt->binary_mode = option_choice(elem, binary_choices);
		else if (strcmp(name, "hstore.handling.mode") == 0)
			opt->hstore_mode = option_choice(elem, hstore_choices);
		else if (strcmp(name, "interval.handling.mode") == 0)
			opt->interval_mode = option_choice(elem, interval_choices);
		else if (strcmp(name, "tombstones.on.delete") == 0)
			opt->tombstones_on_delete = option_bool(elem);
		else if (strcmp(name, "provide.transaction.metadata") == 0)
			opt->provide_transaction_metadata = option_bool(elem);
		else if (strcmp(name, "framed.batch.bytes") == 0)
			opt->framed_batch_bytes = option_int(elem, 0, 64 * 1024 * 1024);
		else if (strcmp(name, "value.converter.replace.null.with.default") == 0)
			opt->replace_null_with_default = option_bool(elem);
		else if (strcmp(name, "include.schema.comments") == 0)
		{
			/*
			 * Accepted for compatibility: Debezium takes comments from JDBC
			 * metadata, which its streaming path never reads, so streamed
			 * events carry no "doc" either way.
			 */
			(void) option_bool(elem);
		}
		else if (strcmp(name, "include.unknown.datatypes") == 0)
			opt->include_unknown_datatypes = option_bool(elem);
		else if (strcmp(name, "skipped.operations") == 0)
			option_skipped_operations(elem, opt);
		else if (strcmp(name, "unavailable.value.placeholder") == 0)
			opt->placeholder = option_required_string(elem);
		else if (strcmp(name, "publication.autocreate.mode") == 0)
			opt->publication_filtered = option_choice(elem, publication_choices);
		else if (strcmp(name, "message.key.columns") == 0)
			option_key_columns(elem, &opt->key_columns);
		else if (strcmp(name, "state.schema") == 0)
			opt->state_schema = option_required_string(elem);
		else if (strcmp(name, "schema.include.list") == 0)
			option_filter(elem, &opt->schema_filter, false, "schema.exclude.list");
		else if (strcmp(name, "schema.exclude.list") == 0)
			option_filter(elem, &opt->schema_filter, true, "schema.include.list");
		else if (strcmp(name, "table.include.list") == 0)
			option_filter(elem, &opt->table_filter, false, "table.exclude.list");
		else if (strcmp(name, "table.exclude.list") == 0)
			option_filter(elem, &opt->table_filter, true, "table.include.list");
		else if (strcmp(name, "column.include.list") == 0)
			option_filter(elem, &opt->column_filter, false, "column.exclude.list");
		else if (strcmp(name, "column.exclude.list") == 0)
			option_filter(elem, &opt->column_filter, true, "column.include.list");
		else if (strcmp(name, "message.prefix.include.list") == 0)
			option_filter(elem, &opt->message_filter, false,
						  "message.prefix.exclude.list");
		else if (strcmp(name, "message.prefix.exclude.list") == 0)
			option_filter(elem, &opt->message_filter, true,
						  "message.prefix.include.list");
		else if ((mapper = wal2dbz_column_mapper_parse(name)) != NULL)
		{
			option_filter(elem, &mapper->columns, false, NULL);
			mapper->position = list_length(opt->column_mappers);
			opt->column_mappers = lappend(opt->column_mappers, mapper);
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" = \"%s\" is unknown",
							name, option_string(elem) ? option_string(elem) : "(null)"),
					 errhint("The options are Debezium PostgreSQL connector property names, e.g. \"topic.prefix\", \"schemas.enable\", \"decimal.handling.mode\", \"table.include.list\"; see the README for the full list.")));
	}

	list_sort(opt->column_mappers, wal2dbz_column_mapper_cmp);
	wal2dbz_unwrap_check(&opt->outbox, &opt->unwrap);
	wal2dbz_outbox_check(&opt->outbox, opt->value_schemas);

	if (opt->topic_prefix != NULL && opt->topic_prefix[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("parameter \"%s\" must not be empty", "topic.prefix")));
}

/* Turn text[] {name, value, name, value...} into plugin options. */
List *
wal2dbz_options_from_array(ArrayType *array)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *options = NIL;

	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n % 2 != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be name/value pairs"),
				 errhint("Pass ARRAY['topic.prefix', 'dbserver1', ...].")));
	for (int i = 0; i < n; i += 2)
	{
		if (nulls[i] || nulls[i + 1])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("options must not contain nulls")));
		options = lappend(options,
						  makeDefElem(TextDatumGetCString(elems[i]),
									  (Node *) makeString(TextDatumGetCString(elems[i + 1])),
									  -1));
	}
	return options;
}
