/*-------------------------------------------------------------------------
 *
 * config.c
 *	  Configuration of wal2dbz-sink: Debezium property names, a properties
 *	  file or a Kafka Connect JSON file, and WAL2DBZ_* environment overrides.
 *
 * Everything is read and checked before anything connects, and every
 * problem names the property and where it came from ("file:line"), as
 * kcat's read_conf_file does.  Values of secret properties (passwords,
 * keys) never appear in a message.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/config.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "config.h"
#include "log.h"
#include "topic_creation.h"

/* how a property's value is checked */
typedef enum PropType
{
	PT_STRING,					/* anything (non-empty where required) */
	PT_BOOL,					/* true or false, as Kafka's ConfigDef */
	PT_INT,						/* integer in [min, max] */
	PT_ENUM,					/* one of choices, case-insensitive */
	PT_LIST,					/* comma-separated list */
	PT_OPS						/* skipped.operations: c, u, d, t or none */
} PropType;

#define PROP_PLUGIN		0x01	/* forwarded to the plugin as an option */
#define PROP_REQUIRED	0x02	/* must be set */
#define PROP_SECRET		0x04	/* never logged */

/*
 * One known property.  The names are the Debezium PostgreSQL connector's
 * (and Kafka Connect's), so one vocabulary serves the plugin, the sink and
 * a user coming from Debezium.
 */
typedef struct PropDef
{
	const char *name;
	PropType	type;
	int			flags;
	const char *choices;		/* PT_ENUM: "a|b|c" */
	long		min;			/* PT_INT */
	long		max;
} PropDef;

static const PropDef prop_defs[] = {
	/* connection to PostgreSQL, passed to libpq */
	{"database.hostname", PT_STRING, 0, NULL, 0, 0},
	{"database.port", PT_INT, 0, NULL, 1, 65535},
	{"database.user", PT_STRING, 0, NULL, 0, 0},
	{"database.password", PT_STRING, PROP_SECRET, NULL, 0, 0},
	{"database.dbname", PT_STRING, 0, NULL, 0, 0},
	{"database.sslmode", PT_ENUM, 0,
	"disable|allow|prefer|require|verify-ca|verify-full", 0, 0},
	{"database.sslrootcert", PT_STRING, 0, NULL, 0, 0},
	{"database.sslcert", PT_STRING, 0, NULL, 0, 0},
	{"database.sslkey", PT_STRING, 0, NULL, 0, 0},
	/* pgjdbc's connectTimeout as Debezium passes it through: seconds, 0 none */
	{"database.connectTimeout", PT_INT, 0, NULL, 0, 86400},
	/* SQL run on each connection but the replication one (pgconn.c) */
	{"database.initial.statements", PT_STRING, 0, NULL, 0, 0},

	/* connector identity */
	{"name", PT_STRING, 0, NULL, 0, 0},
	{"connector.class", PT_ENUM, 0, SINK_CONNECTOR_CLASS, 0, 0},
	/* Debezium 1.x's name of topic.prefix: a deprecated alias */
	{"database.server.name", PT_STRING, 0, NULL, 0, 0},
	/* any value, as Debezium's PostgreSQL connector: it runs one task */
	{"tasks.max", PT_INT, 0, NULL, 1, INT_MAX},
	{"key.converter", PT_ENUM, 0, "org.apache.kafka.connect.json.JsonConverter", 0, 0},
	{"value.converter", PT_ENUM, 0, "org.apache.kafka.connect.json.JsonConverter", 0, 0},

	/* replication slot */
	{"slot.name", PT_STRING, 0, NULL, 0, 0},
	{"slot.drop.on.stop", PT_BOOL, 0, NULL, 0, 0},
	{"plugin.name", PT_ENUM, 0, SINK_PLUGIN_NAME, 0, 0},
	{"publication.name", PT_STRING, 0, NULL, 0, 0},
	{"snapshot.mode", PT_ENUM, 0,
	"always|initial|initial_only|no_data|never|when_needed|configuration_based|custom|recovery",
	0, 0},
	{"status.update.interval.ms", PT_INT, 0, NULL, 0, INT_MAX},
	/* reconnects after a lost connection before giving up; -1: no limit */
	{"errors.max.retries", PT_INT, 0, NULL, -1, INT_MAX},

	/* initial snapshots (snapshot.c) */
	{"snapshot.max.threads", PT_INT, 0, NULL, 1, 64},
	{"snapshot.include.collection.list", PT_LIST, 0, NULL, 0, 0},
	{"snapshot.select.statement.overrides", PT_LIST, 0, NULL, 0, 0},
	/* no Debezium equivalent: rows per chunk (cf. incremental.snapshot.chunk.size) */
	{"snapshot.chunk.size", PT_INT, 0, NULL, 1, INT_MAX},
	/* ACCESS SHARE locks on the tables for the snapshot's duration */
	{"snapshot.locking.mode", PT_ENUM, 0, "shared|none", 0, 0},
	{"snapshot.lock.timeout.ms", PT_INT, 0, NULL, 0, INT_MAX},

	/* event content: forwarded verbatim to the plugin */
	{"topic.prefix", PT_STRING, PROP_PLUGIN | PROP_REQUIRED, NULL, 0, 0},
	{"topic.delimiter", PT_STRING, PROP_PLUGIN, NULL, 0, 0},
	{"table.include.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"table.exclude.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"schema.include.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"schema.exclude.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"column.include.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"column.exclude.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"message.prefix.include.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"message.prefix.exclude.list", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"skipped.operations", PT_OPS, PROP_PLUGIN, NULL, 0, 0},
	{"message.key.columns", PT_STRING, PROP_PLUGIN, NULL, 0, 0},
	{"column.propagate.source.type", PT_LIST, PROP_PLUGIN, NULL, 0, 0},
	{"tombstones.on.delete", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	{"provide.transaction.metadata", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	/* which tables' changes open a transaction (the plugin reads none) */
	{"publication.autocreate.mode", PT_ENUM, PROP_PLUGIN,
	"all_tables|filtered|disabled|no_tables", 0, 0},
	{"decimal.handling.mode", PT_ENUM, PROP_PLUGIN, "precise|double|string", 0, 0},
	{"time.precision.mode", PT_ENUM, PROP_PLUGIN,
	"adaptive|adaptive_time_microseconds|connect", 0, 0},
	{"binary.handling.mode", PT_ENUM, PROP_PLUGIN, "bytes|base64|base64-url-safe|hex", 0, 0},
	{"hstore.handling.mode", PT_ENUM, PROP_PLUGIN, "json|map", 0, 0},
	{"interval.handling.mode", PT_ENUM, PROP_PLUGIN, "numeric|string", 0, 0},
	{"unavailable.value.placeholder", PT_STRING, PROP_PLUGIN, NULL, 0, 0},
	{"include.unknown.datatypes", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	{"key.converter.schemas.enable", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	{"value.converter.schemas.enable", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	{"value.converter.replace.null.with.default", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	{"include.schema.comments", PT_BOOL, PROP_PLUGIN, NULL, 0, 0},
	/* no Debezium equivalent: frames per replication message */
	{"framed.batch.bytes", PT_INT, PROP_PLUGIN, NULL, 0, 64 * 1024 * 1024},

	/* heartbeats (heartbeat.c) */
	{"heartbeat.interval.ms", PT_INT, 0, NULL, 0, INT_MAX},
	{"heartbeat.action.query", PT_STRING, 0, NULL, 0, 0},
	{"topic.heartbeat.prefix", PT_STRING, 0, NULL, 0, 0},
	{"topic.heartbeat.name", PT_STRING, 0, NULL, 0, 0},

	/* Kafka headers __debezium.context.* on change events (Debezium 3.3+) */
	{"extended.headers.enabled", PT_BOOL, 0, NULL, 0, 0},

	/* Kafka topics */
	{"topic.creation.default.partitions", PT_INT, 0, NULL, -1, 1000000},
	{"topic.creation.default.replication.factor", PT_INT, 0, NULL, -1, 32767},

	/* the HTTP endpoint */
	{"http.port", PT_INT, 0, NULL, 0, 65535},

	/*
	 * The ClickHouse stage (ch_*.c): it runs when clickhouse.url is set;
	 * alone when no database.* property is set.
	 */
	{"clickhouse.url", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.user", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.password", PT_STRING, PROP_SECRET, NULL, 0, 0},
	{"clickhouse.database", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.topics", PT_LIST, 0, NULL, 0, 0},
	{"clickhouse.topics.regex", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.group.id", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.table.name.format", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.batch.rows", PT_INT, 0, NULL, 1, 100000000},
	{"clickhouse.batch.bytes", PT_INT, 0, NULL, 1024, 1073741824},
	{"clickhouse.batch.ms", PT_INT, 0, NULL, 0, 3600000},
	{"clickhouse.cluster", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.compression", PT_ENUM, 0, "gzip|none", 0, 0},
	{"clickhouse.datetime.fallback", PT_ENUM, 0, "datetime|string", 0, 0},
	{"clickhouse.timeout.ms", PT_INT, 0, NULL, 1000, INT_MAX},
	{"clickhouse.ssl.ca.location", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.ssl.certificate.location", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.ssl.key.location", PT_STRING, 0, NULL, 0, 0},
	{"clickhouse.ssl.key.password", PT_STRING, PROP_SECRET, NULL, 0, 0},
	{"clickhouse.ssl.verify", PT_BOOL, 0, NULL, 0, 0},
};

#define NUM_PROP_DEFS ((int) (sizeof(prop_defs) / sizeof(prop_defs[0])))

/*
 * Properties of Debezium's PostgreSQL connector and of Kafka Connect that
 * tune machinery the sink does not have.  A Debezium configuration
 * carries them, so they are accepted, and a note says that they do
 * nothing here; nothing that changes records is in this list.
 */
static const struct
{
	const char *name;
	const char *why;
}			ignored_props[] = {
	{"slot.max.retries", "the sink reconnects with backoff (errors.max.retries)"},
	{"slot.retry.delay.ms", "the sink reconnects with backoff (errors.max.retries)"},
	{"max.batch.size", "records go to the producer as they are decoded"},
	{"max.queue.size", "records go to the producer as they are decoded"},
	{"max.queue.size.in.bytes", "records go to the producer as they are decoded"},
	{"poll.interval.ms", "records go to the producer as they are decoded"},
	{"snapshot.fetch.size", "snapshots read in chunks (snapshot.chunk.size)"},
	{"errors.retry.delay.initial.ms", "the sink reconnects with backoff from 1 to 30 s"},
	{"errors.retry.delay.max.ms", "the sink reconnects with backoff from 1 to 30 s"},
	{"retriable.restart.connector.wait.ms", "the sink reconnects with backoff from 1 to 30 s"},
	{"errors.log.enable", "every error is logged"},
	{"errors.log.include.messages", "record contents are never logged"},
	{"config.action.reload", "a new configuration restarts the connector"},
	{"header.converter", "the sink writes Debezium's headers itself"},
	{"database.tcpKeepAlive", "libpq keeps TCP keepalives on (its keepalives=1)"},
	{"schema.refresh.mode", "the plugin reads each table's columns with each change; there is no schema to refresh"},
	{"custom.metric.tags", "/metrics labels its series by connector name"},
};

#define NUM_IGNORED_PROPS ((int) (sizeof(ignored_props) / sizeof(ignored_props[0])))

/*
 * Debezium properties whose default is what the sink does: accepted with
 * that value (in any case), refused with any other, saying why, so that a
 * configuration that asks for something else fails before it runs.
 */
static const struct
{
	const char *name;
	const char *accepted;		/* '|'-separated */
	const char *why;
}			default_only_props[] = {
	{"event.processing.failure.handling.mode", "fail",
	"the sink stops at an event it cannot process, as \"fail\" does; it never skips one"},
	{"errors.tolerance", "none",
	"the sink stops at the first record Kafka does not take; it never skips one"},
	{"flush.lsn.source", "true",
	"the sink confirms to the slot what Kafka has acknowledged; that is how nothing is lost"},
	{"topic.naming.strategy", "io.debezium.schema.DefaultTopicNamingStrategy",
	"topics are <topic.prefix>.<schema>.<table>, as Debezium's default strategy names them"},
	{"converters", "",
	"custom converters are Java classes; the plugin encodes every type itself"},
	{"field.name.adjustment.mode", "none",
	"field names are written as PostgreSQL has them (Debezium's default)"},
	{"schema.name.adjustment.mode", "none",
	"schema names are written as they are (Debezium's default)"},
	{"sanitize.field.names", "false",
	"field names are written as PostgreSQL has them"},
	{"snapshot.delay.ms", "0", "a snapshot starts at once"},
	{"xmin.fetch.interval.ms", "0", "source blocks carry no xmin"},
};

#define NUM_DEFAULT_ONLY_PROPS ((int) (sizeof(default_only_props) / sizeof(default_only_props[0])))

/*
 * Debezium properties for record content the sink does not produce: any
 * value is refused, naming what to do instead.  A name ending in '.' is a
 * prefix (column.mask.with.12.chars).
 */
static const struct
{
	const char *name;
	const char *why;
}			unsupported_props[] = {
	{"datatype.propagate.source.type",
	"schemas carry no __debezium.source.column.* parameters by type; name the columns in column.propagate.source.type"},
	{"signal.data.collection",
	"signals (ad hoc and incremental snapshots) are not supported; snapshot.mode and snapshot.include.collection.list choose what a snapshot reads"},
	{"incremental.snapshot.chunk.size",
	"incremental snapshots are not supported; initial snapshots read in chunks of snapshot.chunk.size"},
};

#define NUM_UNSUPPORTED_PROPS ((int) (sizeof(unsupported_props) / sizeof(unsupported_props[0])))

/*
 * Debezium's column mappers (column.truncate.to.<n>.chars,
 * column.mask.with.<n>.chars, column.mask.hash[.v2].<algorithm>.with.salt.
 * <salt>): names with a parameter in them, forwarded to the plugin, which
 * checks them.
 */
static bool
is_column_mapper_property(const char *name)
{
	return strncmp(name, "column.truncate.to.", 19) == 0 ||
		strncmp(name, "column.mask.with.", 17) == 0 ||
		strncmp(name, "column.mask.hash.", 17) == 0;
}

/*
 * "transforms" and "transforms.<name>.<property>": Debezium's single
 * message transforms, of which the plugin implements the Outbox Event
 * Router and the New Record State Extraction; they are forwarded to it,
 * and it checks them.
 */
static bool
is_transform_property(const char *name)
{
	return strcmp(name, "transforms") == 0 || strncmp(name, "transforms.", 11) == 0;
}

#define EVENT_ROUTER_CLASS "io.debezium.transforms.outbox.EventRouter"
#define UNWRAP_CLASS "io.debezium.transforms.ExtractNewRecordState"

/*
 * The transforms a configuration names must be the Outbox Event Router or
 * the New Record State Extraction, the ones the plugin implements; their
 * other properties the plugin checks when it starts.  Any other transform
 * (RegexRouter, ...) is refused here, before anything connects, and so is
 * the New Record State Extraction when this process also runs the
 * ClickHouse stage, which reads change event envelopes.
 */
static bool
check_transforms(const SinkConfig *cfg)
{
	const SinkProp *transforms = sink_config_find(cfg, "transforms");
	const char *list = transforms ? transforms->value : NULL;
	char	   *copy;
	char	   *tok;
	char	   *save = NULL;
	bool		ok = true;

	if (list == NULL)
		return true;
	copy = strdup(list);
	if (copy == NULL)
	{
		sink_log_error("out of memory");
		return false;
	}
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
	{
		char		name[300];
		const SinkProp *type;

		snprintf(name, sizeof(name), "transforms.%s.type", tok);
		type = sink_config_find(cfg, name);
		if (type == NULL)
		{
			sink_log_error("%s: transform \"%s\" has no \"%s\"", transforms->origin,
						   tok, name);
			sink_log_hint("Set it to \"%s\" or \"%s\", the transforms wal2dbz implements.",
						  EVENT_ROUTER_CLASS, UNWRAP_CLASS);
			ok = false;
		}
		else if (strcmp(type->value, UNWRAP_CLASS) == 0)
		{
			const char *ch = sink_config_get(cfg, "clickhouse.url");

			if (ch != NULL && ch[0] != '\0')
			{
				sink_log_error("%s: transform \"%s\" (%s) cannot be combined with the ClickHouse stage (clickhouse.url): the stage reads Debezium's change event envelopes, which the transform replaces by rows",
							   type->origin, tok, UNWRAP_CLASS);
				sink_log_hint("Remove the transform: the ClickHouse stage applies updates and deletes from the envelopes itself.  Or run the ClickHouse stage in a process of its own on topics written without it.");
				ok = false;
			}
		}
		else if (strcmp(type->value, EVENT_ROUTER_CLASS) != 0)
		{
			sink_log_error("%s: transform \"%s\" of type \"%s\" is not supported: wal2dbz implements the Outbox Event Router (%s) and the New Record State Extraction (%s)",
						   type->origin, tok, type->value, EVENT_ROUTER_CLASS, UNWRAP_CLASS);
			sink_log_hint("Remove the transform from \"transforms\" and its transforms.%s.* properties.", tok);
			ok = false;
		}
	}
	free(copy);
	return ok;
}

/* Look up a known property. */
static const PropDef *
find_def(const char *name)
{
	int			i;

	for (i = 0; i < NUM_PROP_DEFS; i++)
		if (strcmp(prop_defs[i].name, name) == 0)
			return &prop_defs[i];
	return NULL;
}

/* Initialise an empty configuration. */
void
sink_config_init(SinkConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

/* Find a property by name. */
const SinkProp *
sink_config_find(const SinkConfig *cfg, const char *name)
{
	int			i;

	for (i = 0; i < cfg->nprops; i++)
		if (strcmp(cfg->props[i].name, name) == 0)
			return &cfg->props[i];
	return NULL;
}

/* The value of a property, or NULL. */
const char *
sink_config_get(const SinkConfig *cfg, const char *name)
{
	const SinkProp *prop = sink_config_find(cfg, name);

	return prop ? prop->value : NULL;
}

/* Set or replace a property; the configuration owns the copies. */
bool
sink_config_set(SinkConfig *cfg, const char *name, const char *value,
				const char *origin)
{
	SinkProp   *prop = (SinkProp *) sink_config_find(cfg, name);
	char	   *value_copy = strdup(value);
	char	   *origin_copy = strdup(origin);

	if (value_copy == NULL || origin_copy == NULL)
		goto oom;

	if (prop == NULL)
	{
		if (cfg->nprops == cfg->maxprops)
		{
			int			newmax = cfg->maxprops ? cfg->maxprops * 2 : 32;
			SinkProp   *props = realloc(cfg->props, newmax * sizeof(SinkProp));

			if (props == NULL)
				goto oom;
			cfg->props = props;
			cfg->maxprops = newmax;
		}
		prop = &cfg->props[cfg->nprops];
		prop->name = strdup(name);
		if (prop->name == NULL)
			goto oom;
		cfg->nprops++;
	}
	else
	{
		free(prop->value);
		free(prop->origin);
	}
	prop->value = value_copy;
	prop->origin = origin_copy;
	return true;

oom:
	free(value_copy);
	free(origin_copy);
	sink_log_error("out of memory");
	return false;
}

/* Strip leading and trailing white space in place. */
static char *
trim(char *s)
{
	char	   *end;

	while (isspace((unsigned char) *s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char) end[-1]))
		*--end = '\0';
	return s;
}

/* Add a property read from a file; a repeat is an error. */
static bool
add_file_property(SinkConfig *cfg, const char *name, const char *value,
				  const char *origin)
{
	const SinkProp *prev = sink_config_find(cfg, name);

	if (prev)
	{
		sink_log_error("%s: property \"%s\" is set twice (also at %s)",
					   origin, name, prev->origin);
		return false;
	}
	if (name[0] == '\0')
	{
		sink_log_error("%s: expected property=value", origin);
		return false;
	}
	return sink_config_set(cfg, name, value, origin);
}

/*
 * Read a Java-style properties file: property=value per line, white space
 * trimmed, '#' and '!' comment lines and blank lines skipped.
 */
static bool
load_properties(SinkConfig *cfg, FILE *fp, const char *path)
{
	char	   *line = NULL;
	size_t		linecap = 0;
	int			lineno = 0;
	bool		ok = true;

	while (getline(&line, &linecap, fp) != -1)
	{
		char	   *s = trim(line);
		char	   *eq;
		char		origin[1024];

		lineno++;
		if (*s == '\0' || *s == '#' || *s == '!')
			continue;
		snprintf(origin, sizeof(origin), "%s:%d", path, lineno);
		eq = strchr(s, '=');
		if (eq == NULL)
		{
			sink_log_error("%s: expected property=value", origin);
			ok = false;
			continue;
		}
		*eq = '\0';
		if (!add_file_property(cfg, trim(s), trim(eq + 1), origin))
			ok = false;
	}
	if (ferror(fp))
	{
		sink_log_error("could not read file \"%s\": %m", path);
		ok = false;
	}
	free(line);
	return ok;
}

/*
 * Add the members of one JSON object as properties.  Kafka Connect writes
 * every value as a string, but numbers and booleans are accepted too.
 */
static bool
load_json_object(SinkConfig *cfg, json_t *obj, const char *path,
				 const char *where)
{
	const char *key;
	json_t	   *value;
	bool		ok = true;

	json_object_foreach(obj, key, value)
	{
		char		origin[1024];
		char		buf[64];
		const char *str;

		snprintf(origin, sizeof(origin), "%s: %s\"%s\"", path, where, key);
		if (json_is_string(value))
			str = json_string_value(value);
		else if (json_is_integer(value))
		{
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(value));
			str = buf;
		}
		else if (json_is_boolean(value))
			str = json_is_true(value) ? "true" : "false";
		else
		{
			sink_log_error("%s: value must be a string, a number or a boolean",
						   origin);
			ok = false;
			continue;
		}
		if (!add_file_property(cfg, key, str, origin))
			ok = false;
	}
	return ok;
}

/* Add the members of a connector's config object; see config.h. */
bool
sink_config_load_object(SinkConfig *cfg, struct json_t *obj, const char *path)
{
	free(cfg->path);
	cfg->path = strdup(path);
	if (!json_is_object(obj))
	{
		sink_log_error("%s: expected a JSON object", path);
		return false;
	}
	return load_json_object(cfg, obj, path, "");
}

/*
 * Read a Kafka Connect connector file: {"name": ..., "config": {...}}, or
 * the bare config object that PUT /connectors/NAME/config takes.
 */
static bool
load_json(SinkConfig *cfg, FILE *fp, const char *path)
{
	json_error_t jerr;
	json_t	   *root;
	json_t	   *config;
	bool		ok = true;

	root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
	{
		sink_log_error("%s:%d: invalid JSON: %s", path, jerr.line, jerr.text);
		return false;
	}
	if (!json_is_object(root))
	{
		sink_log_error("%s: expected a JSON object", path);
		json_decref(root);
		return false;
	}

	config = json_object_get(root, "config");
	if (config != NULL)
	{
		const char *key;
		json_t	   *value;

		if (!json_is_object(config))
		{
			sink_log_error("%s: \"config\" must be a JSON object", path);
			json_decref(root);
			return false;
		}
		ok = load_json_object(cfg, config, path, "config.");

		/* the connector's name sits beside "config" */
		json_object_foreach(root, key, value)
		{
			if (strcmp(key, "config") == 0)
				continue;
			if (strcmp(key, "name") == 0 && json_is_string(value))
			{
				const char *inner = sink_config_get(cfg, "name");

				if (inner && strcmp(inner, json_string_value(value)) != 0)
				{
					sink_log_error("%s: \"name\" is \"%s\" but \"config.name\" is \"%s\"",
								   path, json_string_value(value), inner);
					ok = false;
				}
				else if (!inner && !sink_config_set(cfg, "name",
													json_string_value(value),
													path))
					ok = false;
				continue;
			}
			if (strcmp(key, "tasks") == 0 || strcmp(key, "type") == 0)
				continue;		/* GET /connectors/NAME output */
			sink_log_error("%s: unexpected member \"%s\" beside \"config\"",
						   path, key);
			ok = false;
		}
	}
	else
		ok = load_json_object(cfg, root, path, "");

	json_decref(root);
	return ok;
}

/* Read the configuration file; JSON if its first non-blank byte is '{'. */
bool
sink_config_load(SinkConfig *cfg, const char *path)
{
	FILE	   *fp;
	int			c;
	bool		ok;

	free(cfg->path);
	cfg->path = strdup(path);
	fp = fopen(path, "r");
	if (fp == NULL)
	{
		sink_log_error("could not open configuration file \"%s\": %m", path);
		return false;
	}
	do
		c = getc(fp);
	while (c != EOF && isspace(c));
	rewind(fp);

	if (c == '{')
		ok = load_json(cfg, fp, path);
	else
		ok = load_properties(cfg, fp, path);
	fclose(fp);
	return ok;
}

/* The environment variable that overrides a property. */
static void
env_name_for(const char *prop, char *buf, size_t buflen)
{
	size_t		i;
	size_t		n = strlen(SINK_ENV_PREFIX);

	snprintf(buf, buflen, "%s", SINK_ENV_PREFIX);
	for (i = 0; prop[i] && n + 1 < buflen; i++)
		buf[n++] = prop[i] == '.' || prop[i] == '-' ? '_' :
			(char) toupper((unsigned char) prop[i]);
	buf[n] = '\0';
}

/* Lower-case s into buf with underscores as dots (KAFKA_LINGER_MS: linger.ms). */
static void
dotted_lower(const char *s, char *buf, size_t buflen)
{
	size_t		n = 0;

	for (; *s && n + 1 < buflen; s++)
		buf[n++] = *s == '_' ? '.' : (char) tolower((unsigned char) *s);
	buf[n] = '\0';
}

/*
 * The topic.creation.* property a variable WAL2DBZ_TOPIC_CREATION_<rest>
 * names: ENABLE, GROUPS, DEFAULT_<setting>, or <GROUP>_<setting> for a
 * group of topic.creation.groups (from the file, or from the variable
 * WAL2DBZ_TOPIC_CREATION_GROUPS).  Settings are Kafka's dotted names, so
 * underscores become dots.  False if rest names none of these.
 */
static bool
topic_creation_env(const SinkConfig *cfg, char **envp, const char *rest,
				   char *propname, size_t len)
{
	const char *groups = sink_config_get(cfg, "topic.creation.groups");
	char	  **env;
	char	   *copy;
	char	   *tok;
	char	   *save = NULL;
	bool		found = false;
	size_t		best = 0;
	char		setting[192];

	if (strcmp(rest, "ENABLE") == 0 || strcmp(rest, "GROUPS") == 0)
	{
		snprintf(propname, len, "topic.creation.%s", strcmp(rest, "ENABLE") == 0 ? "enable" : "groups");
		return true;
	}
	if (strncmp(rest, "DEFAULT_", 8) == 0 && rest[8] != '\0')
	{
		dotted_lower(rest + 8, setting, sizeof(setting));
		snprintf(propname, len, "topic.creation.default.%s", setting);
		return true;
	}
	for (env = envp; env && *env; env++)
		if (strncmp(*env, SINK_ENV_PREFIX "TOPIC_CREATION_GROUPS=", 30) == 0)
			groups = *env + 30;
	if (groups == NULL || (copy = strdup(groups)) == NULL)
		return false;
	/* the longest group that fits: BIG_X_PARTITIONS is big_x's, not big's */
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
	{
		char		upper[64];
		size_t		glen;

		env_name_for(tok, upper, sizeof(upper));	/* WAL2DBZ_<GROUP> */
		glen = strlen(upper) - strlen(SINK_ENV_PREFIX);
		if (strncmp(rest, upper + strlen(SINK_ENV_PREFIX), glen) == 0 &&
			rest[glen] == '_' && rest[glen + 1] != '\0' && glen > best)
		{
			dotted_lower(rest + glen + 1, setting, sizeof(setting));
			snprintf(propname, len, "topic.creation.%.40s.%s", tok, setting);
			best = glen;
			found = true;
		}
	}
	free(copy);
	return found;
}

/*
 * Apply WAL2DBZ_* overrides.  A variable names a known property, a property
 * already in the file, (WAL2DBZ_KAFKA_*) a librdkafka property, whose name
 * is the rest lower-cased with underscores as dots, or (WAL2DBZ_TOPIC_
 * CREATION_*) a topic creation setting.  Anything else is reported and
 * ignored: the WAL2DBZ_ namespace may be shared with scripts.
 */
bool
sink_config_apply_env(SinkConfig *cfg, char **envp)
{
	char	  **env;
	bool		ok = true;

	for (env = envp; env && *env; env++)
	{
		const char *eq = strchr(*env, '=');
		char		varname[256];
		char		origin[300];
		char		propname[256];
		bool		found = false;
		size_t		len;
		int			i;

		if (eq == NULL || strncmp(*env, SINK_ENV_PREFIX,
								  strlen(SINK_ENV_PREFIX)) != 0)
			continue;
		len = (size_t) (eq - *env);
		if (len >= sizeof(varname))
			continue;
		memcpy(varname, *env, len);
		varname[len] = '\0';
		snprintf(origin, sizeof(origin), "environment variable %s", varname);

		/* a property already given, or a known one */
		for (i = 0; i < cfg->nprops && !found; i++)
		{
			char		candidate[256];

			env_name_for(cfg->props[i].name, candidate, sizeof(candidate));
			if (strcmp(candidate, varname) == 0)
			{
				snprintf(propname, sizeof(propname), "%s", cfg->props[i].name);
				found = true;
			}
		}
		for (i = 0; i < NUM_PROP_DEFS && !found; i++)
		{
			char		candidate[256];

			env_name_for(prop_defs[i].name, candidate, sizeof(candidate));
			if (strcmp(candidate, varname) == 0)
			{
				snprintf(propname, sizeof(propname), "%s", prop_defs[i].name);
				found = true;
			}
		}
		if (!found && strncmp(varname, SINK_ENV_PREFIX "KAFKA_",
							  strlen(SINK_ENV_PREFIX "KAFKA_")) == 0)
		{
			dotted_lower(varname + strlen(SINK_ENV_PREFIX), propname,
						 sizeof(propname));
			found = true;
		}
		if (!found && strncmp(varname, SINK_ENV_PREFIX "TOPIC_CREATION_",
							  strlen(SINK_ENV_PREFIX "TOPIC_CREATION_")) == 0)
			found = topic_creation_env(cfg, envp,
									   varname + strlen(SINK_ENV_PREFIX "TOPIC_CREATION_"),
									   propname, sizeof(propname));
		if (!found)
		{
			sink_log_warning("ignoring environment variable %s: it does not name a property",
							 varname);
			continue;
		}
		if (!sink_config_set(cfg, propname, eq + 1, origin))
			ok = false;
	}
	return ok;
}

/* Is this property's value a secret? */
bool
sink_config_is_secret(const char *name)
{
	const PropDef *def = find_def(name);

	if (def)
		return (def->flags & PROP_SECRET) != 0;
	/* librdkafka: sasl.password, ssl.key.password, ssl.key.pem, ... */
	return strstr(name, "password") != NULL ||
		strstr(name, "secret") != NULL ||
		strstr(name, "ssl.key.pem") != NULL ||
		strstr(name, "sasl.oauthbearer.config") != NULL ||
		strstr(name, "sasl.jaas.config") != NULL;
}

/* The known properties, for the worker's validate endpoint. */
bool
sink_config_describe(int i, const char **name, const char **type)
{
	static const char *const type_names[] = {
		[PT_STRING] = "STRING", [PT_BOOL] = "BOOLEAN", [PT_INT] = "INT",
		[PT_ENUM] = "STRING", [PT_LIST] = "LIST", [PT_OPS] = "LIST",
	};

	if (i < 0 || i >= NUM_PROP_DEFS)
		return false;
	*name = prop_defs[i].name;
	*type = (prop_defs[i].flags & PROP_SECRET) ? "PASSWORD" :
		type_names[prop_defs[i].type];
	return true;
}

/* Is this property forwarded to the plugin? */
bool
sink_config_is_plugin_option(const char *name)
{
	const PropDef *def = find_def(name);

	return (def && (def->flags & PROP_PLUGIN)) || is_transform_property(name) ||
		is_column_mapper_property(name);
}

/* Edit distance, for "did you mean" hints; short strings only. */
static int
edit_distance(const char *a, const char *b)
{
	int			la = (int) strlen(a);
	int			lb = (int) strlen(b);
	int			row[128];
	int			i;
	int			j;

	if (la >= 127 || lb >= 127)
		return INT_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++)
	{
		int			diag = row[0];

		row[0] = i;
		for (j = 1; j <= lb; j++)
		{
			int			up = row[j];
			int			best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Report an unknown property, with the closest known name if any. */
static void
report_unknown(const SinkProp *prop)
{
	const char *best = NULL;
	int			bestdist = 4;
	int			i;

	sink_log_error("%s: unknown property \"%s\"", prop->origin, prop->name);
	for (i = 0; i < NUM_PROP_DEFS; i++)
	{
		int			d = edit_distance(prop->name, prop_defs[i].name);

		if (d < bestdist)
		{
			bestdist = d;
			best = prop_defs[i].name;
		}
	}
	if (best)
		sink_log_hint("Did you mean \"%s\"?", best);
	else
		sink_log_hint("Properties take the Debezium PostgreSQL connector's names; librdkafka properties take the prefix \"kafka.\".");
}

/* Report a bad value without showing secrets. */
static void
report_value(const SinkProp *prop, const char *what)
{
	if (sink_config_is_secret(prop->name))
		sink_log_error("%s: invalid value for property \"%s\": %s",
					   prop->origin, prop->name, what);
	else
		sink_log_error("%s: invalid value \"%s\" for property \"%s\": %s",
					   prop->origin, prop->value, prop->name, what);
}

/* Parse a boolean as Kafka's ConfigDef does: true or false, any case. */
static bool
parse_bool(const char *s, bool *result)
{
	if (strcasecmp(s, "true") == 0)
		*result = true;
	else if (strcasecmp(s, "false") == 0)
		*result = false;
	else
		return false;
	return true;
}

/* Parse a decimal integer in [min, max]. */
static bool
parse_long(const char *s, long min, long max, long *result)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*result = v;
	return true;
}

/* Is s one of the '|'-separated choices (case-insensitive)? */
static bool
enum_matches(const char *choices, const char *s)
{
	const char *p = choices;
	size_t		len = strlen(s);

	while (*p)
	{
		const char *bar = strchr(p, '|');
		size_t		n = bar ? (size_t) (bar - p) : strlen(p);

		if (n == len && strncasecmp(p, s, n) == 0)
			return true;
		if (!bar)
			break;
		p = bar + 1;
	}
	return false;
}

/*
 * A Debezium property that only takes its default here: check the value.
 * Returns false when prop is one (so the caller moves on), after clearing
 * *ok if the value asks for something else.
 */
static bool
check_default_only(const SinkProp *prop, bool *ok)
{
	int			i;

	for (i = 0; i < NUM_DEFAULT_ONLY_PROPS; i++)
	{
		if (strcmp(prop->name, default_only_props[i].name) != 0)
			continue;
		if (!enum_matches(default_only_props[i].accepted, prop->value) &&
			!(default_only_props[i].accepted[0] == '\0' && prop->value[0] == '\0'))
		{
			sink_log_error("%s: property \"%s\" can only be \"%s\" in wal2dbz-sink, not \"%s\": %s",
						   prop->origin, prop->name, default_only_props[i].accepted,
						   prop->value, default_only_props[i].why);
			sink_log_hint("Remove the property, or set it to \"%s\".",
						  default_only_props[i].accepted);
			*ok = false;
		}
		return false;
	}
	return true;
}

/*
 * A Debezium property for content the sink does not write: report it.
 * Returns false when prop is one.
 */
static bool
check_unsupported(const SinkProp *prop, bool *ok)
{
	int			i;

	for (i = 0; i < NUM_UNSUPPORTED_PROPS; i++)
	{
		const char *name = unsupported_props[i].name;
		size_t		len = strlen(name);
		bool		prefix = name[len - 1] == '.';

		if (prefix ? strncmp(prop->name, name, len) != 0 : strcmp(prop->name, name) != 0)
			continue;
		sink_log_error("%s: property \"%s\" is not supported by wal2dbz-sink: %s",
					   prop->origin, prop->name, unsupported_props[i].why);
		sink_log_hint("Remove the property.");
		*ok = false;
		return false;
	}
	return true;
}

/* Check skipped.operations: a comma list of c, u, d, t, or "none". */
static bool
valid_operations(const char *s)
{
	char	   *copy = strdup(s);
	char	   *save = NULL;
	char	   *tok;
	bool		ok = copy != NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && ok;
		 tok = strtok_r(NULL, ",", &save))
	{
		tok = trim(tok);
		if (strcmp(tok, "c") != 0 && strcmp(tok, "u") != 0 &&
			strcmp(tok, "d") != 0 && strcmp(tok, "t") != 0 &&
			strcmp(tok, "none") != 0)
			ok = false;
	}
	free(copy);
	return ok;
}

/*
 * Is s a name of 1 to maxlen characters, each a lower-case letter, a digit,
 * '_', or (with any_case_and_dots) an upper-case letter, '.' or '-'?
 */
static bool
valid_name(const char *s, size_t maxlen, bool any_case_and_dots)
{
	size_t		n = strlen(s);
	size_t		i;

	if (n == 0 || n > maxlen)
		return false;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')
			continue;
		if (any_case_and_dots && ((c >= 'A' && c <= 'Z') || c == '.' || c == '-'))
			continue;
		return false;
	}
	return true;
}

/* Slot names: as PostgreSQL's ReplicationSlotValidateName. */
static bool
valid_slot_name(const char *s)
{
	return valid_name(s, 63, false);
}

/* Topic name characters, as Kafka's Topic.validate. */
static bool
valid_topic_prefix(const char *s)
{
	return valid_name(s, 249, true);
}

/* Check one known property's value; logs and returns false if bad. */
static bool
check_value(const PropDef *def, const SinkProp *prop)
{
	bool		b;
	long		l;

	switch (def->type)
	{
		case PT_STRING:
		case PT_LIST:
			return true;
		case PT_BOOL:
			if (parse_bool(prop->value, &b))
				return true;
			report_value(prop, "expected true or false");
			return false;
		case PT_INT:
			if (parse_long(prop->value, def->min, def->max, &l))
				return true;
			{
				char		what[128];

				if (def->min == def->max)
					snprintf(what, sizeof(what), "expected %ld", def->min);
				else
					snprintf(what, sizeof(what),
							 "expected an integer between %ld and %ld",
							 def->min, def->max);
				report_value(prop, what);
			}
			return false;
		case PT_ENUM:
			if (enum_matches(def->choices, prop->value))
				return true;
			{
				char		what[512];
				char	   *p;

				snprintf(what, sizeof(what), "expected one of %s",
						 def->choices);
				for (p = what; *p; p++)
					if (*p == '|')
						*p = ',';
				report_value(prop, what);
			}
			return false;
		case PT_OPS:
			if (valid_operations(prop->value))
				return true;
			report_value(prop, "expected a comma-separated list of c, u, d and t, or none");
			return false;
	}
	return false;
}

/* The value of a property, or a default. */
static const char *
get_default(const SinkConfig *cfg, const char *name, const char *dflt)
{
	const char *v = sink_config_get(cfg, name);

	return v ? v : dflt;
}

/* Check everything and fill the typed view. */
bool
sink_config_validate(SinkConfig *cfg)
{
	bool		ok = true;
	int			i;
	long		l;
	const char *v;
	const SinkProp *prop;

	/*
	 * database.server.name: Debezium 1.x's topic.prefix.  It becomes
	 * topic.prefix (which the plugin receives) unless that is set too.
	 */
	prop = sink_config_find(cfg, "database.server.name");
	if (prop && sink_config_get(cfg, "topic.prefix") == NULL)
	{
		char	   *origin = strdup(prop->origin);
		char	   *value = strdup(prop->value);

		sink_log_warning("%s: property \"database.server.name\" is deprecated; use \"topic.prefix\"",
						 prop->origin);
		if (origin == NULL || value == NULL ||
			!sink_config_set(cfg, "topic.prefix", value, origin))
			ok = false;
		free(origin);
		free(value);
	}
	else if (prop && strcmp(prop->value, sink_config_get(cfg, "topic.prefix")) != 0)
	{
		report_value(prop, "it is the deprecated name of \"topic.prefix\", which is set to another value; remove one of them");
		ok = false;
	}

	for (i = 0; i < cfg->nprops; i++)
	{
		const SinkProp *p = &cfg->props[i];
		const PropDef *def = find_def(p->name);

		/* Debezium's other decoders and classes: say what is supported */
		if (strcmp(p->name, "plugin.name") == 0 &&
			strcasecmp(p->value, SINK_PLUGIN_NAME) != 0)
		{
			report_value(p, "wal2dbz-sink decodes with the wal2dbz output plugin only (not decoderbufs or pgoutput); set it to \"wal2dbz\"");
			ok = false;
			continue;
		}
		if (strcmp(p->name, "connector.class") == 0 &&
			strcmp(p->value, SINK_CONNECTOR_CLASS) != 0)
		{
			sink_log_error("%s: connector class \"%s\" is not supported: wal2dbz-sink runs \"%s\" only",
						   p->origin, p->value, SINK_CONNECTOR_CLASS);
			ok = false;
			continue;
		}

		if (strncmp(p->name, SINK_KAFKA_PREFIX, strlen(SINK_KAFKA_PREFIX)) == 0)
		{
			/* librdkafka checks these itself (sink_kafka_conf_new) */
			if (p->name[strlen(SINK_KAFKA_PREFIX)] == '\0')
			{
				report_unknown(p);
				ok = false;
			}
			continue;
		}
		/* Debezium's transforms.* (the outbox router): the plugin checks them */
		if (def == NULL && is_transform_property(p->name))
			continue;
		/* and the column mappers */
		if (def == NULL && is_column_mapper_property(p->name))
			continue;
		/* Debezium's properties whose default the sink follows */
		if (def == NULL && !check_default_only(p, &ok))
			continue;
		/* and those for record content the sink does not write */
		if (def == NULL && !check_unsupported(p, &ok))
			continue;
		/* Debezium's and Kafka Connect's knobs of machinery we do not have */
		if (def == NULL)
		{
			int			j;

			for (j = 0; j < NUM_IGNORED_PROPS; j++)
				if (strcmp(p->name, ignored_props[j].name) == 0)
					break;
			if (j < NUM_IGNORED_PROPS)
			{
				sink_log_info("%s: property \"%s\" has no effect in wal2dbz-sink: %s",
							  p->origin, p->name, ignored_props[j].why);
				continue;
			}
		}
		/* topic.creation.*: topic_creation.c checks them, after this loop */
		if (def == NULL && sink_topic_creation_property(p->name))
			continue;
		/* snapshot.select.statement.overrides.<table>: snapshot.c checks them */
		if (def == NULL &&
			strncmp(p->name, "snapshot.select.statement.overrides.", 36) == 0 &&
			p->name[36] != '\0')
			continue;
		if (def == NULL)
		{
			report_unknown(p);
			ok = false;
			continue;
		}
		if (!check_value(def, p))
			ok = false;
	}

	if (!sink_topic_creation_validate(cfg))
		ok = false;
	if (!check_transforms(cfg))
		ok = false;

	/*
	 * Which stages run: the source stage unless only Kafka and ClickHouse
	 * are configured (no database.* property), so that the ClickHouse
	 * stage can run alone and scale out as a consumer group.
	 */
	v = sink_config_get(cfg, "clickhouse.url");
	cfg->clickhouse_stage = v != NULL && v[0] != '\0';
	cfg->source_stage = !cfg->clickhouse_stage;
	for (i = 0; i < cfg->nprops; i++)
		if (strncmp(cfg->props[i].name, "database.", 9) == 0)
			cfg->source_stage = true;

	for (i = 0; i < NUM_PROP_DEFS; i++)
	{
		/* the source stage's requirements (topic.prefix) */
		if ((prop_defs[i].flags & PROP_REQUIRED) && !cfg->source_stage)
			continue;
		if ((prop_defs[i].flags & PROP_REQUIRED) &&
			(sink_config_get(cfg, prop_defs[i].name) == NULL ||
			 sink_config_get(cfg, prop_defs[i].name)[0] == '\0'))
		{
			sink_log_error("%s: required property \"%s\" is not set",
						   cfg->path ? cfg->path : "configuration",
						   prop_defs[i].name);
			ok = false;
		}
	}
	if (sink_config_get(cfg, SINK_KAFKA_PREFIX "bootstrap.servers") == NULL)
	{
		sink_log_error("%s: required property \"%s\" is not set",
					   cfg->path ? cfg->path : "configuration",
					   SINK_KAFKA_PREFIX "bootstrap.servers");
		ok = false;
	}

	/* values with rules beyond their type */
	prop = sink_config_find(cfg, "topic.prefix");
	if (prop && prop->value[0] != '\0' && !valid_topic_prefix(prop->value))
	{
		report_value(prop, "a topic prefix may only contain ASCII letters, digits, '.', '_' and '-'");
		ok = false;
	}
	prop = sink_config_find(cfg, "topic.heartbeat.prefix");
	if (prop && !valid_topic_prefix(prop->value))
	{
		report_value(prop, "a topic prefix may only contain ASCII letters, digits, '.', '_' and '-'");
		ok = false;
	}
	prop = sink_config_find(cfg, "topic.heartbeat.name");
	if (prop && prop->value[0] != '\0' && !valid_topic_prefix(prop->value))
	{
		report_value(prop, "a topic name may only contain ASCII letters, digits, '.', '_' and '-'");
		ok = false;
	}
	prop = sink_config_find(cfg, "slot.name");
	if (prop && !valid_slot_name(prop->value))
	{
		report_value(prop, "a slot name may only contain lower case letters, digits and '_', at most 63 of them");
		ok = false;
	}
	prop = sink_config_find(cfg, "topic.creation.default.partitions");
	if (prop && strcmp(prop->value, "0") == 0)
	{
		report_value(prop, "use -1 for the broker's default");
		ok = false;
	}
	prop = sink_config_find(cfg, "topic.creation.default.replication.factor");
	if (prop && strcmp(prop->value, "0") == 0)
	{
		report_value(prop, "use -1 for the broker's default");
		ok = false;
	}
	if (!ok)
		return false;

	/* the typed view */
	cfg->name = get_default(cfg, "name", NULL);
	cfg->topic_prefix = sink_config_get(cfg, "topic.prefix");
	cfg->slot_name = get_default(cfg, "slot.name", "debezium");
	parse_bool(get_default(cfg, "slot.drop.on.stop", "false"),
			   &cfg->slot_drop_on_stop);
	parse_bool(get_default(cfg, "extended.headers.enabled", "true"),
			   &cfg->extended_headers);
	cfg->snapshot_mode = get_default(cfg, "snapshot.mode", "initial");
	parse_long(get_default(cfg, "status.update.interval.ms", "10000"),
			   0, INT_MAX, &l);
	cfg->status_interval_ms = (int) l;
	parse_long(get_default(cfg, "http.port", "8083"), 0, 65535, &l);
	cfg->http_port = (int) l;
	parse_long(get_default(cfg, "topic.creation.default.partitions", "-1"),
			   -1, 1000000, &l);
	cfg->topic_partitions = (int) l;
	parse_long(get_default(cfg, "topic.creation.default.replication.factor", "-1"),
			   -1, 32767, &l);
	cfg->topic_replication_factor = (int) l;

	cfg->topic_delimiter = get_default(cfg, "topic.delimiter", ".");
	parse_long(get_default(cfg, "heartbeat.interval.ms", "0"), 0, INT_MAX, &l);
	cfg->heartbeat_interval_ms = (int) l;
	cfg->heartbeat_topic_prefix = get_default(cfg, "topic.heartbeat.prefix",
											  "__debezium-heartbeat");
	cfg->heartbeat_topic_name = sink_config_get(cfg, "topic.heartbeat.name");
	v = sink_config_get(cfg, "heartbeat.action.query");
	cfg->heartbeat_action_query = v && v[0] != '\0' ? v : NULL;
	if (cfg->heartbeat_action_query && cfg->heartbeat_interval_ms == 0)
		sink_log_warning("property \"heartbeat.action.query\" has no effect while \"heartbeat.interval.ms\" is 0, as in Debezium");

	/* accepted for compatibility, but they do nothing here: say so */
	v = sink_config_get(cfg, "publication.name");
	if (v)
		sink_log_info("property \"publication.name\" is ignored: the wal2dbz plugin does not use publications");
	v = sink_config_get(cfg, "publication.autocreate.mode");
	if (v && (strcasecmp(v, "disabled") == 0 || strcasecmp(v, "no_tables") == 0))
		sink_log_info("property \"publication.autocreate.mode\" is \"%s\": the wal2dbz plugin reads no publication, so the table filters alone choose the events, and transactions open as with \"filtered\"", v);
	return true;
}

/* Log the configuration at debug level, secrets masked. */
void
sink_config_log(const SinkConfig *cfg)
{
	int			i;

	if (!sink_log_enabled(SINK_LOG_DEBUG))
		return;
	for (i = 0; i < cfg->nprops; i++)
		sink_log_debug("property %s = %s (%s)", cfg->props[i].name,
					   sink_config_is_secret(cfg->props[i].name) ?
					   "********" : cfg->props[i].value,
					   cfg->props[i].origin);
}

/* Free everything. */
void
sink_config_free(SinkConfig *cfg)
{
	int			i;

	for (i = 0; i < cfg->nprops; i++)
	{
		free(cfg->props[i].name);
		free(cfg->props[i].value);
		free(cfg->props[i].origin);
	}
	free(cfg->props);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
