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
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "ch_consumer.h"
#include "connect_config.h"
#include "kafka.h"
#include "log.h"
#include "snapshot.h"

/* Kafka's config providers, by class */
typedef enum ProviderKind
{
	PROVIDER_NONE,
	PROVIDER_FILE,				/* ${name:path:key}: key of a properties file */
	PROVIDER_DIRECTORY,			/* ${name:dir:file}: a file's content */
	PROVIDER_ENV				/* ${name:VAR}: an environment variable */
} ProviderKind;

/* Is this a worker property that declares config providers? */
bool
sink_connect_is_provider_property(const char *name)
{
	return strcmp(name, "config.providers") == 0 ||
		strncmp(name, "config.providers.", 17) == 0;
}

/* The kind of provider \p name, as config.providers declares it. */
static ProviderKind
provider_kind(const SinkConfig *defaults, const char *name)
{
	const char *list = sink_config_get(defaults, "config.providers");
	const char *cls;
	char		key[300];
	const char *p;
	size_t		len = strlen(name);
	bool		listed = false;

	for (p = list; p && *p;)
	{
		const char *end = strchr(p, ',');
		size_t		n = end ? (size_t) (end - p) : strlen(p);

		while (n > 0 && isspace((unsigned char) *p))
			p++, n--;
		while (n > 0 && isspace((unsigned char) p[n - 1]))
			n--;
		if (n == len && strncmp(p, name, n) == 0)
			listed = true;
		p = end ? end + 1 : p + strlen(p);
	}
	if (!listed)
		return PROVIDER_NONE;
	snprintf(key, sizeof(key), "config.providers.%s.class", name);
	cls = sink_config_get(defaults, key);
	if (cls == NULL)
		return PROVIDER_NONE;
	if (strcmp(cls, "org.apache.kafka.common.config.provider.FileConfigProvider") == 0)
		return PROVIDER_FILE;
	if (strcmp(cls, "org.apache.kafka.common.config.provider.DirectoryConfigProvider") == 0)
		return PROVIDER_DIRECTORY;
	if (strcmp(cls, "org.apache.kafka.common.config.provider.EnvVarConfigProvider") == 0)
		return PROVIDER_ENV;
	return PROVIDER_NONE;
}

/* Check the worker's config.providers declarations; see connect_config.h. */
bool
sink_connect_check_providers(const SinkConfig *defaults)
{
	bool		ok = true;
	int			i;

	for (i = 0; i < defaults->nprops; i++)
	{
		const SinkProp *p = &defaults->props[i];
		const char *dot;
		char		name[256];

		if (strncmp(p->name, "config.providers.", 17) != 0)
			continue;
		dot = strchr(p->name + 17, '.');
		if (dot == NULL || strcmp(dot, ".class") != 0 ||
			(size_t) (dot - p->name - 17) >= sizeof(name))
		{
			sink_log_error("%s: unknown property \"%s\"", p->origin, p->name);
			sink_log_hint("Declare a provider with config.providers=NAME and config.providers.NAME.class=CLASS.");
			ok = false;
			continue;
		}
		memcpy(name, p->name + 17, dot - p->name - 17);
		name[dot - p->name - 17] = '\0';
		if (provider_kind(defaults, name) == PROVIDER_NONE)
		{
			sink_log_error("%s: invalid value \"%s\" for property \"%s\": expected org.apache.kafka.common.config.provider.FileConfigProvider, DirectoryConfigProvider or EnvVarConfigProvider, and \"%s\" listed in \"config.providers\"",
						   p->origin, p->value, p->name, name);
			ok = false;
		}
	}
	return ok;
}

/* Read a whole file into a malloc'd string. */
static char *
read_file(const char *path)
{
	FILE	   *fp = fopen(path, "r");
	char	   *buf = NULL;
	size_t		len = 0;
	size_t		cap = 0;
	size_t		n;

	if (fp == NULL)
		return NULL;
	do
	{
		if (len + 4096 + 1 > cap)
		{
			char	   *nbuf = realloc(buf, cap = len + 8192);

			if (nbuf == NULL)
			{
				free(buf);
				fclose(fp);
				return NULL;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, 4096, fp);
		len += n;
	} while (n > 0);
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

/* The value of \p key in a properties file, malloc'd, or NULL. */
static char *
file_property(const char *path, const char *key, bool *file_found)
{
	SinkConfig	file;
	char	   *value = NULL;
	bool		ok;

	sink_config_init(&file);
	ok = access(path, R_OK) == 0;
	*file_found = ok;
	if (ok && sink_config_load(&file, path) && sink_config_get(&file, key))
		value = strdup(sink_config_get(&file, key));
	sink_config_free(&file);
	return value;
}

/*
 * Resolve Kafka's ${provider:[path:]key} variables in one value.  A
 * variable that cannot be resolved is an error naming the property and
 * the variable, never the value.  Returns the new value (malloc'd).
 */
static char *
resolve_value(const SinkConfig *defaults, const char *origin,
			  const char *prop, const char *in, bool *ok)
{
	char	   *out = strdup(in);
	size_t		pos = 0;		/* resolved text is not scanned again */
	char	   *start;

	while (out && (start = strstr(out + pos, "${")) != NULL)
	{
		char	   *end = strchr(start, '}');
		char	   *var;
		char	   *first;
		char	   *last;
		char	   *value = NULL;
		char	   *path = NULL;
		char	   *joined;
		size_t		prefix = (size_t) (start - out);
		bool		found = true;
		ProviderKind kind;

		if (end == NULL)
			break;
		var = strndup(start + 2, end - start - 2);
		if (var == NULL)
		{
			free(out);
			out = NULL;
			break;
		}
		first = strchr(var, ':');
		if (first == NULL)
		{
			/* "${x}" is no provider variable: leave it */
			free(var);
			pos = prefix + 2;
			continue;
		}
		*first = '\0';
		last = strrchr(first + 1, ':');
		if (last)
		{
			*last = '\0';
			path = first + 1;
		}
		kind = provider_kind(defaults, var);
		if (kind == PROVIDER_ENV && !last)
			value = getenv(first + 1) ? strdup(getenv(first + 1)) : NULL;
		else if (kind == PROVIDER_FILE && last)
			value = file_property(path, last + 1, &found);
		else if (kind == PROVIDER_DIRECTORY && last)
		{
			char	   *file = NULL;

			/* a file of the directory, not a path below or above it */
			if (strchr(last + 1, '/') == NULL &&
				asprintf(&file, "%s/%s", path, last + 1) >= 0)
				value = read_file(file);
			free(file);
		}
		if (last)
			*last = ':';
		*first = ':';
		if (value == NULL)
		{
			sink_log_error("%s: \"%s\": could not resolve \"${%s}\": %s",
						   origin, prop, var,
						   kind == PROVIDER_NONE ? "no such provider in the worker's \"config.providers\"" :
						   !found ? "cannot read the file" :
						   kind == PROVIDER_ENV ? "no such environment variable" :
						   kind == PROVIDER_DIRECTORY ? "cannot read the file" :
						   "no such key in the file");
			*ok = false;
			free(var);
			break;
		}
		*start = '\0';
		if (asprintf(&joined, "%s%s%s", out, value, end + 1) < 0)
			joined = NULL;
		pos = prefix + strlen(value);
		/* wipe the secret's copies before freeing them */
		memset(value, 0, strlen(value));
		free(value);
		free(var);
		memset(out, 0, prefix);
		free(out);
		out = joined;
	}
	if (out == NULL)
	{
		sink_log_error("out of memory");
		*ok = false;
	}
	return out;
}

/* Build and check; see connect_config.h. */
bool
sink_connect_build(const SinkConfig *defaults, json_t *config,
				   const char *origin, SinkConfig *cfg)
{
	rd_kafka_conf_t *kconf;
	json_t	   *resolved;
	const char *key;
	json_t	   *value;
	bool		ok = true;
	int			i;

	sink_config_init(cfg);
	/* the worker's config providers: ${file:...}, ${env:...}, ${directory:...} */
	resolved = json_is_object(config) ? json_deep_copy(config) : json_incref(config);
	json_object_foreach(resolved, key, value)
	{
		if (json_is_string(value) && strstr(json_string_value(value), "${"))
		{
			char	   *v = resolve_value(defaults, origin, key,
										  json_string_value(value), &ok);

			if (v)
			{
				json_object_set_new(resolved, key, json_string(v));
				memset(v, 0, strlen(v));
				free(v);
			}
		}
	}
	ok = sink_config_load_object(cfg, resolved, origin) && ok;
	json_decref(resolved);
	if (ok && sink_config_get(cfg, "connector.class") == NULL)
	{
		sink_log_error("%s: required property \"connector.class\" is not set",
					   origin);
		sink_log_hint("Set it to \"%s\".", SINK_CONNECTOR_CLASS);
		ok = false;
	}
	for (i = 0; ok && i < defaults->nprops; i++)
	{
		const SinkProp *p = &defaults->props[i];
		char	   *v;

		if (sink_connect_is_provider_property(p->name) ||
			sink_config_find(cfg, p->name) != NULL)
			continue;
		v = strstr(p->value, "${") ?
			resolve_value(defaults, p->origin, p->name, p->value, &ok) :
			strdup(p->value);
		if (v == NULL)
		{
			ok = false;
			break;
		}
		ok = ok && sink_config_set(cfg, p->name, v, p->origin);
		memset(v, 0, strlen(v));
		free(v);
	}
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
		const char *v = json_is_string(value) ? json_string_value(value) : "";
		size_t		len = strlen(v);

		/* a provider's variable is no secret: Kafka Connect shows it */
		if (len > 3 && strncmp(v, "${", 2) == 0 && v[len - 1] == '}' &&
			strchr(v + 2, '$') == NULL)
			continue;
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
