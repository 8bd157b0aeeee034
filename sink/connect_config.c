/*-------------------------------------------------------------------------
 *
 * connect_config.c
 *	  Connector configurations of the worker: Kafka Connect's config maps
 *	  over the worker's defaults, checked by config.c exactly as a
 *	  properties file is, and shown with secrets masked.
 *
 * One loader and one validator serve both ways of running the sink, so a
 * configuration means the same in a file and over the REST API.  The
 * validate endpoint runs the same checks with a log hook that collects
 * each error instead of printing it, and files it under the property the
 * message names.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_config.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "ch_consumer.h"
#include "connect_config.h"
#include "kafka.h"
#include "log.h"
#include "snapshot.h"

/* Build and check; see connect_config.h. */
bool
sink_connect_build(const SinkConfig *defaults, json_t *config,
				   const char *origin, SinkConfig *cfg)
{
	rd_kafka_conf_t *kconf;
	bool		ok;
	int			i;

	sink_config_init(cfg);
	ok = sink_config_load_object(cfg, config, origin);
	if (ok && sink_config_get(cfg, "connector.class") == NULL)
	{
		sink_log_error("%s: required property \"connector.class\" is not set",
					   origin);
		sink_log_hint("Set it to \"%s\".", SINK_CONNECTOR_CLASS);
		ok = false;
	}
	for (i = 0; ok && i < defaults->nprops; i++)
		if (sink_config_find(cfg, defaults->props[i].name) == NULL)
			ok = sink_config_set(cfg, defaults->props[i].name,
								 defaults->props[i].value,
								 defaults->props[i].origin);
	ok = ok && sink_config_validate(cfg);
	if (ok && !cfg->source_stage)
	{
		sink_log_error("%s: a connector needs the database.* properties",
					   origin);
		ok = false;
	}
	ok = ok && sink_snapshot_check_config(cfg);
	ok = ok && (!cfg->clickhouse_stage || sink_ch_config_check(cfg));
	if (ok)
	{
		kconf = sink_kafka_conf_new(cfg);
		if (kconf == NULL)
			ok = false;
		else
			rd_kafka_conf_destroy(kconf);
	}
	return ok;
}

/* A copy with secrets masked. */
json_t *
sink_connect_masked(json_t *config)
{
	json_t	   *copy = json_deep_copy(config);
	const char *key;
	json_t	   *value;

	json_object_foreach(copy, key, value)
	{
		if (sink_config_is_secret(key))
			json_object_set_new(copy, key, json_string(SINK_CONNECT_MASK));
	}
	return copy;
}

/* Put back secrets a client sent masked. */
void
sink_connect_unmask(json_t *config, json_t *old)
{
	const char *key;
	json_t	   *value;

	json_object_foreach(config, key, value)
	{
		json_t	   *prev = old ? json_object_get(old, key) : NULL;

		if (sink_config_is_secret(key) && json_is_string(value) &&
			strcmp(json_string_value(value), SINK_CONNECT_MASK) == 0 && prev)
			json_object_set(config, key, prev);
	}
}

/* what the validate hook collects */
typedef struct ValidateState
{
	json_t	   *config;			/* the given configuration */
	json_t	   *errors;			/* property -> array of messages */
	const char *origin;
	char		last[256];		/* property of the last error, for hints */
} ValidateState;

/* Is this a property name the message could be about? */
static bool
is_property(ValidateState *vs, const char *name)
{
	const char *known;
	const char *type;
	int			i;

	if (json_object_get(vs->config, name))
		return true;
	for (i = 0; sink_config_describe(i, &known, &type); i++)
		if (strcmp(known, name) == 0)
			return true;
	return strncmp(name, SINK_KAFKA_PREFIX, strlen(SINK_KAFKA_PREFIX)) == 0 ||
		strncmp(name, "transforms.", 11) == 0;
}

/*
 * The log hook: file an error under the first quoted property name in it
 * (config.c names the property in every message), without the origin
 * prefix; a hint goes with the error before it.
 */
static bool
validate_hook(void *arg, bool is_error, const char *msg)
{
	ValidateState *vs = arg;
	const char *p = msg;
	const char *text = msg;
	char		field[256] = "";
	json_t	   *list;
	size_t		olen = strlen(vs->origin);

	if (!is_error)
	{
		json_t	   *prev;
		char	   *joined;

		list = vs->last[0] ? json_object_get(vs->errors, vs->last) : NULL;
		prev = list ? json_array_get(list, json_array_size(list) - 1) : NULL;
		if (prev && asprintf(&joined, "%s (%s)", json_string_value(prev), msg) >= 0)
		{
			json_string_set(prev, joined);
			free(joined);
		}
		return false;
	}

	while ((p = strchr(p, '"')) != NULL)
	{
		const char *end = strchr(p + 1, '"');

		if (end == NULL)
			break;
		if ((size_t) (end - p - 1) < sizeof(field))
		{
			memcpy(field, p + 1, end - p - 1);
			field[end - p - 1] = '\0';
			if (is_property(vs, field))
				break;
		}
		field[0] = '\0';
		p = end + 1;
	}
	if (field[0] == '\0')
		snprintf(field, sizeof(field), "connector.class");

	/* drop "origin: " and "\"property\": " */
	if (strncmp(text, vs->origin, olen) == 0 && strncmp(text + olen, ": ", 2) == 0)
		text += olen + 2;
	if (text[0] == '"' && strncmp(text + 1, field, strlen(field)) == 0 &&
		strncmp(text + 1 + strlen(field), "\": ", 3) == 0)
		text += strlen(field) + 4;

	list = json_object_get(vs->errors, field);
	if (list == NULL)
	{
		list = json_array();
		json_object_set_new(vs->errors, field, list);
	}
	json_array_append_new(list, json_string(text));
	snprintf(vs->last, sizeof(vs->last), "%s", field);
	return false;
}

/* One ConfigInfo: {"definition": {...}, "value": {...}}. */
static json_t *
config_info(ValidateState *vs, const char *name, const char *type,
			bool required)
{
	json_t	   *given = json_object_get(vs->config, name);
	json_t	   *errors = json_object_get(vs->errors, name);
	json_t	   *value;

	if (given && sink_config_is_secret(name))
		value = json_string(SINK_CONNECT_MASK);
	else if (given && json_is_string(given))
		value = json_incref(given);
	else if (given)
	{
		char	   *text = json_dumps(given, JSON_ENCODE_ANY);

		value = json_string(text ? text : "");
		free(text);
	}
	else
		value = json_null();

	return json_pack("{s:{s:s,s:s,s:b,s:n,s:s,s:s,s:n,s:s,s:s,s:[],s:i},"
					 "s:{s:s,s:o,s:[],s:o,s:b}}",
					 "definition",
					 "name", name, "type", type, "required", required,
					 "default_value", "importance", required ? "HIGH" : "MEDIUM",
					 "documentation", "", "group", "width", "NONE",
					 "display_name", name, "dependents", "order", -1,
					 "value",
					 "name", name, "value", value, "recommended_values",
					 "errors", errors ? json_incref(errors) : json_array(),
					 "visible", 1);
}

/* The validate endpoint's answer; see connect_config.h. */
json_t *
sink_connect_validate(const SinkConfig *defaults, json_t *config)
{
	ValidateState vs;
	SinkConfig	cfg;
	json_t	   *configs = json_array();
	json_t	   *result;
	const char *name;
	const char *type;
	json_t	   *value;
	json_t	   *list;
	size_t		nerrors = 0;
	int			i;

	memset(&vs, 0, sizeof(vs));
	vs.config = config;
	vs.errors = json_object();
	vs.origin = "config";
	sink_log_set_hook(validate_hook, &vs);
	sink_connect_build(defaults, config, vs.origin, &cfg);
	sink_log_set_hook(NULL, NULL);
	sink_config_free(&cfg);

	for (i = 0; sink_config_describe(i, &name, &type); i++)
		json_array_append_new(configs,
							  config_info(&vs, name, type,
										  strcmp(name, "topic.prefix") == 0 ||
										  strcmp(name, "connector.class") == 0));
	/* given properties that are not known ones: kafka.*, transforms.*, typos */
	json_object_foreach(config, name, value)
	{
		const char *known;
		const char *ktype;
		bool		found = false;

		for (i = 0; !found && sink_config_describe(i, &known, &ktype); i++)
			found = strcmp(known, name) == 0;
		if (!found)
			json_array_append_new(configs,
								  config_info(&vs, name,
											  sink_config_is_secret(name) ? "PASSWORD" : "STRING",
											  false));
	}
	/* errors about properties that are neither (the worker's defaults) */
	json_object_foreach(vs.errors, name, list)
	{
		bool		found = json_object_get(config, name) != NULL;
		const char *known;
		const char *ktype;

		for (i = 0; !found && sink_config_describe(i, &known, &ktype); i++)
			found = strcmp(known, name) == 0;
		if (!found)
			json_array_append_new(configs, config_info(&vs, name, "STRING", false));
		nerrors += json_array_size(list);
	}

	result = json_pack("{s:s,s:I,s:[],s:o}", "name", SINK_CONNECTOR_CLASS,
					   "error_count", (json_int_t) nerrors, "groups",
					   "configs", configs);
	json_decref(vs.errors);
	return result;
}
