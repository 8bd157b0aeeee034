/*-------------------------------------------------------------------------
 *
 * topic_creation.c
 *	  Kafka Connect's topic creation settings (KIP-158) for the topics the
 *	  sink creates.
 *
 * A Debezium configuration carries them as Kafka Connect reads them:
 *
 *	topic.creation.enable				false: create nothing, produce anyway
 *	topic.creation.groups				aliases, tried in this order
 *	topic.creation.<alias>.include		patterns of topic names (required)
 *	topic.creation.<alias>.exclude		patterns taken out again
 *	topic.creation.<group>.partitions	-1: the broker's default
 *	topic.creation.<group>.replication.factor
 *	topic.creation.<group>.<topic config>	cleanup.policy, retention.ms, ...
 *
 * where <group> is an alias or "default", the group of every topic that no
 * alias takes.  A named group's partitions and replication factor default
 * to the default group's; its topic configurations are its own only, as in
 * Kafka Connect's TopicCreationGroup.  Patterns match whole topic names
 * (Java's Pattern.matches); they are POSIX extended expressions here, which
 * agree with Java's for the usual names, dots, classes and alternations;
 * Java's own syntax (\d, \p{...}, (?i), ...) is refused, not misread.
 *
 * Topic configuration names are checked against Kafka 4.1's TopicConfig
 * (and the two replication throttles), so that a typo is reported before
 * anything connects rather than as a broker's INVALID_CONFIG at the first
 * record of a new table.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/topic_creation.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "topic_creation.h"

#define PREFIX				"topic.creation."
#define PREFIX_LEN			(sizeof(PREFIX) - 1)
#define DEFAULT_GROUP		"default"

/* Kafka 4.1's topic-level configurations (TopicConfig, QuotaConfig) */
static const char *const topic_configs[] = {
	"cleanup.policy", "compression.gzip.level", "compression.lz4.level",
	"compression.type", "compression.zstd.level", "delete.retention.ms",
	"file.delete.delay.ms", "flush.messages", "flush.ms",
	"follower.replication.throttled.replicas", "index.interval.bytes",
	"leader.replication.throttled.replicas", "local.retention.bytes",
	"local.retention.ms", "max.compaction.lag.ms", "max.message.bytes",
	"message.downconversion.enable", "message.timestamp.after.max.ms",
	"message.timestamp.before.max.ms", "message.timestamp.type",
	"min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas",
	"preallocate", "remote.log.copy.disable", "remote.log.delete.on.disable",
	"remote.storage.enable", "retention.bytes", "retention.ms",
	"segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
	"unclean.leader.election.enable",
};

#define NUM_TOPIC_CONFIGS ((int) (sizeof(topic_configs) / sizeof(topic_configs[0])))

static bool
is_topic_config(const char *name)
{
	int			i;

	for (i = 0; i < NUM_TOPIC_CONFIGS; i++)
		if (strcmp(topic_configs[i], name) == 0)
			return true;
	return false;
}

/* Is this alias (len bytes, not terminated) the default group's? */
static bool
is_default_group(const char *alias, size_t len)
{
	return len == strlen(DEFAULT_GROUP) && strncmp(alias, DEFAULT_GROUP, len) == 0;
}

bool
sink_topic_creation_property(const char *name)
{
	return strncmp(name, PREFIX, PREFIX_LEN) == 0;
}

/*
 * Compile one pattern, anchored at both ends as Java's Pattern.matches.
 * On failure, errbuf says why.
 */
static bool
compile_pattern(regex_t *re, const char *pattern, size_t len,
				char *errbuf, size_t errlen)
{
	char	   *anchored;
	int			rc;
	size_t		i;

	/*
	 * Java syntax that POSIX reads differently, or as a plain letter
	 * (glibc takes \d for "d"): refused rather than matched wrongly.
	 */
	for (i = 0; i + 1 < len; i++)
	{
		if (pattern[i] == '\\' && strchr("dDpPhHvVRQEzZAGbBX", pattern[i + 1]))
		{
			snprintf(errbuf, errlen,
					 "\"\\%c\" is Java regular expression syntax that POSIX expressions do not have (for \\d write [0-9])",
					 pattern[i + 1]);
			return false;
		}
		if (pattern[i] == '\\')
			i++;				/* an escaped character, whatever it is */
		else if (pattern[i] == '(' && pattern[i + 1] == '?')
		{
			snprintf(errbuf, errlen,
					 "\"(?\" groups and flags are Java regular expression syntax that POSIX expressions do not have");
			return false;
		}
	}
	anchored = malloc(len + 5);

	if (anchored == NULL)
	{
		snprintf(errbuf, errlen, "out of memory");
		return false;
	}
	snprintf(anchored, len + 5, "^(%.*s)$", (int) len, pattern);
	rc = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	if (rc != 0)
	{
		regerror(rc, re, errbuf, errlen);
		return false;
	}
	return true;
}

/*
 * Call fn for each trimmed, non-empty item of a comma-separated list; stop
 * at the first false.
 */
typedef bool (*ItemFn) (const char *item, size_t len, void *arg);

static bool
for_each_item(const char *list, ItemFn fn, void *arg)
{
	const char *p = list;

	while (p && *p)
	{
		const char *end = strchr(p, ',');
		const char *stop = end ? end : p + strlen(p);

		while (p < stop && *p == ' ')
			p++;
		while (stop > p && stop[-1] == ' ')
			stop--;
		if (stop > p && !fn(p, stop - p, arg))
			return false;
		p = end ? end + 1 : NULL;
	}
	return true;
}

typedef struct ItemSearch
{
	const char *wanted;
	size_t		len;
	bool		found;
} ItemSearch;

static bool
item_is(const char *item, size_t len, void *arg)
{
	ItemSearch *is = arg;

	if (len == is->len && strncmp(item, is->wanted, len) == 0)
		is->found = true;
	return !is->found;
}

/* Is alias one of the names of a comma-separated list? */
static bool
list_has(const char *list, const char *alias, size_t alias_len)
{
	ItemSearch	is = {alias, alias_len, false};

	for_each_item(list, item_is, &is);
	return is.found;
}

/* Parse -1 or 1..max. */
static bool
parse_count(const char *s, long max, int *result)
{
	char	   *end;
	long		v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v == 0 || v < -1 || v > max)
		return false;
	*result = (int) v;
	return true;
}

typedef struct PatternCheck
{
	const SinkProp *prop;
	bool		ok;
} PatternCheck;

static bool
check_pattern(const char *item, size_t len, void *arg)
{
	PatternCheck *pc = arg;
	regex_t		re;
	char		err[256];

	if (!compile_pattern(&re, item, len, err, sizeof(err)))
	{
		sink_log_error("%s: invalid pattern \"%.*s\" in property \"%s\": %s",
					   pc->prop->origin, (int) len, item, pc->prop->name, err);
		sink_log_hint("Topic patterns are regular expressions that match whole topic names, such as \"inventory\\.orders.*\".");
		pc->ok = false;
		return true;			/* report the others too */
	}
	regfree(&re);
	return true;
}

/* Check one topic.creation.<group>.<key> property. */
static bool
check_group_property(const SinkProp *prop, const char *groups)
{
	const char *rest = prop->name + PREFIX_LEN;
	const char *dot = strchr(rest, '.');
	size_t		alias_len = dot ? (size_t) (dot - rest) : 0;
	bool		is_default;
	const char *key;
	int			count;

	if (dot == NULL || alias_len == 0 || dot[1] == '\0')
	{
		sink_log_error("%s: unknown property \"%s\"", prop->origin, prop->name);
		sink_log_hint("Topic creation takes \"topic.creation.enable\", \"topic.creation.groups\" and \"topic.creation.<group>.<setting>\", where <group> is \"default\" or one of the groups.");
		return false;
	}
	is_default = is_default_group(rest, alias_len);
	key = dot + 1;
	if (!is_default && (groups == NULL || !list_has(groups, rest, alias_len)))
	{
		sink_log_error("%s: property \"%s\" is for the topic creation group \"%.*s\", which \"topic.creation.groups\" does not list",
					   prop->origin, prop->name, (int) alias_len, rest);
		sink_log_hint("Add \"%.*s\" to \"topic.creation.groups\", or use \"topic.creation.default.%s\" for every topic.",
					  (int) alias_len, rest, key);
		return false;
	}

	if (strcmp(key, "include") == 0 || strcmp(key, "exclude") == 0)
	{
		PatternCheck pc = {prop, true};

		if (is_default)
		{
			sink_log_error("%s: property \"%s\" cannot be set: the default group takes every topic that no other group takes",
						   prop->origin, prop->name);
			sink_log_hint("Name a group in \"topic.creation.groups\" and give it \"topic.creation.<group>.%s\".", key);
			return false;
		}
		for_each_item(prop->value, check_pattern, &pc);
		return pc.ok;
	}
	if (strcmp(key, "partitions") == 0 || strcmp(key, "replication.factor") == 0)
	{
		if (is_default)
			return true;		/* config.c checks the default group's */
		if (!parse_count(prop->value, strcmp(key, "partitions") == 0 ? 1000000 : 32767,
						 &count))
		{
			sink_log_error("%s: invalid value \"%s\" for property \"%s\": expected -1 (the broker's default) or a positive number",
						   prop->origin, prop->value, prop->name);
			return false;
		}
		return true;
	}
	if (!is_topic_config(key))
	{
		sink_log_error("%s: property \"%s\": \"%s\" is not a Kafka topic configuration",
					   prop->origin, prop->name, key);
		sink_log_hint("topic.creation.<group>.* takes Kafka's topic-level configurations (cleanup.policy, retention.ms, max.message.bytes, compression.type, ...), as Kafka Connect does.");
		return false;
	}
	if (prop->value[0] == '\0')
	{
		sink_log_error("%s: property \"%s\" is empty", prop->origin, prop->name);
		sink_log_hint("Give the topic configuration a value, or leave the property out for the broker's default.");
		return false;
	}
	return true;
}

typedef struct GroupCheck
{
	const SinkConfig *cfg;
	const SinkProp *groups_prop;
	bool		ok;
} GroupCheck;

/* Every listed group needs its include patterns (Kafka Connect's rule). */
static bool
check_listed_group(const char *item, size_t len, void *arg)
{
	GroupCheck *gc = arg;
	char		name[256];

	if (is_default_group(item, len))
		return true;			/* always there */
	snprintf(name, sizeof(name), PREFIX "%.*s.include", (int) len, item);
	if (len > 200 || sink_config_get(gc->cfg, name) == NULL)
	{
		sink_log_error("%s: topic creation group \"%.*s\" has no \"%s\"",
					   gc->groups_prop->origin, (int) len, item, name);
		sink_log_hint("Give each group of \"topic.creation.groups\" the patterns of the topics it creates.");
		gc->ok = false;
	}
	return true;
}

bool
sink_topic_creation_validate(const SinkConfig *cfg)
{
	const char *groups = sink_config_get(cfg, PREFIX "groups");
	bool		ok = true;
	int			i;

	for (i = 0; i < cfg->nprops; i++)
	{
		const SinkProp *prop = &cfg->props[i];
		const char *rest = prop->name + PREFIX_LEN;

		if (!sink_topic_creation_property(prop->name))
			continue;
		if (strcmp(rest, "enable") == 0)
		{
			if (strcasecmp(prop->value, "true") != 0 &&
				strcasecmp(prop->value, "false") != 0)
			{
				sink_log_error("%s: invalid value \"%s\" for property \"%s\": expected true or false",
							   prop->origin, prop->value, prop->name);
				ok = false;
			}
			continue;
		}
		if (strcmp(rest, "groups") == 0)
		{
			GroupCheck	gc = {cfg, prop, true};

			for_each_item(prop->value, check_listed_group, &gc);
			ok &= gc.ok;
			continue;
		}
		if (!check_group_property(prop, groups))
			ok = false;
	}
	return ok;
}

typedef struct PatternList
{
	regex_t    *res;
	int			n;
	int			max;
} PatternList;

static bool
add_pattern(const char *item, size_t len, void *arg)
{
	PatternList *pl = arg;
	char		err[256];

	if (pl->n == pl->max)
	{
		int			max = pl->max ? pl->max * 2 : 4;
		regex_t    *res = realloc(pl->res, max * sizeof(regex_t));

		if (res == NULL)
			return false;
		pl->res = res;
		pl->max = max;
	}
	if (!compile_pattern(&pl->res[pl->n], item, len, err, sizeof(err)))
		return false;
	pl->n++;
	return true;
}

/* Fill one group from the properties topic.creation.<alias>.*. */
static bool
init_group(SinkTopicGroup *g, const SinkConfig *cfg, const char *alias,
		   size_t alias_len)
{
	char		prefix[300];
	size_t		prefix_len;
	int			i;

	g->alias = strndup(alias, alias_len);
	if (g->alias == NULL)
		return false;
	g->partitions = cfg->topic_partitions;
	g->replication_factor = cfg->topic_replication_factor;
	prefix_len = snprintf(prefix, sizeof(prefix), PREFIX "%s.", g->alias);
	if (prefix_len >= sizeof(prefix))
		return false;

	for (i = 0; i < cfg->nprops; i++)
	{
		const SinkProp *prop = &cfg->props[i];
		const char *key = prop->name + prefix_len;

		if (strncmp(prop->name, prefix, prefix_len) != 0)
			continue;
		if (strcmp(key, "include") == 0 || strcmp(key, "exclude") == 0)
		{
			PatternList pl = {NULL, 0, 0};
			bool		include = strcmp(key, "include") == 0;

			if (!for_each_item(prop->value, add_pattern, &pl))
			{
				while (pl.n > 0)
					regfree(&pl.res[--pl.n]);
				free(pl.res);
				return false;
			}
			if (include)
			{
				g->include = pl.res;
				g->ninclude = pl.n;
			}
			else
			{
				g->exclude = pl.res;
				g->nexclude = pl.n;
			}
		}
		else if (strcmp(key, "partitions") == 0)
			parse_count(prop->value, 1000000, &g->partitions);
		else if (strcmp(key, "replication.factor") == 0)
			parse_count(prop->value, 32767, &g->replication_factor);
		else
		{
			SinkTopicSetting *s = realloc(g->settings,
										  (g->nsettings + 1) * sizeof(*s));

			if (s == NULL)
				return false;
			g->settings = s;
			s[g->nsettings].name = strdup(key);
			s[g->nsettings].value = strdup(prop->value);
			g->nsettings++;
			if (s[g->nsettings - 1].name == NULL || s[g->nsettings - 1].value == NULL)
				return false;
		}
	}
	return true;
}

typedef struct GroupInit
{
	SinkTopicCreation *tc;
	const SinkConfig *cfg;
} GroupInit;

static bool
add_group(const char *item, size_t len, void *arg)
{
	GroupInit  *gi = arg;
	SinkTopicCreation *tc = gi->tc;
	int			i;

	if (is_default_group(item, len))
		return true;
	for (i = 0; i < tc->ngroups; i++)
		if (strlen(tc->groups[i].alias) == len &&
			strncmp(tc->groups[i].alias, item, len) == 0)
			return true;		/* listed twice: the first place counts */
	return init_group(&tc->groups[tc->ngroups++], gi->cfg, item, len);
}

bool
sink_topic_creation_init(SinkTopicCreation *tc, const SinkConfig *cfg)
{
	const char *enable = sink_config_get(cfg, PREFIX "enable");
	const char *groups = sink_config_get(cfg, PREFIX "groups");
	int			max = 1;
	const char *p;
	GroupInit	gi = {tc, cfg};

	memset(tc, 0, sizeof(*tc));
	tc->enabled = enable == NULL || strcasecmp(enable, "false") != 0;
	for (p = groups; p && *p; p++)
		if (*p == ',')
			max++;
	if (groups)
		max++;
	tc->groups = calloc(max, sizeof(SinkTopicGroup));
	if (tc->groups == NULL)
		goto oom;
	if (groups && !for_each_item(groups, add_group, &gi))
		goto oom;
	if (!init_group(&tc->groups[tc->ngroups++], cfg, DEFAULT_GROUP,
					strlen(DEFAULT_GROUP)))
		goto oom;
	return true;

oom:
	sink_log_error("out of memory");
	sink_topic_creation_free(tc);
	return false;
}

static bool
matches_any(const regex_t *res, int n, const char *topic)
{
	int			i;

	for (i = 0; i < n; i++)
		if (regexec(&res[i], topic, 0, NULL, 0) == 0)
			return true;
	return false;
}

const SinkTopicGroup *
sink_topic_creation_group(const SinkTopicCreation *tc, const char *topic)
{
	int			i;

	for (i = 0; i < tc->ngroups - 1; i++)
	{
		const SinkTopicGroup *g = &tc->groups[i];

		if (matches_any(g->include, g->ninclude, topic) &&
			!matches_any(g->exclude, g->nexclude, topic))
			return g;
	}
	return &tc->groups[tc->ngroups - 1];
}

void
sink_topic_creation_free(SinkTopicCreation *tc)
{
	int			i;

	if (tc->groups == NULL)
		return;
	for (i = 0; i < tc->ngroups; i++)
	{
		SinkTopicGroup *g = &tc->groups[i];

		while (g->ninclude > 0)
			regfree(&g->include[--g->ninclude]);
		while (g->nexclude > 0)
			regfree(&g->exclude[--g->nexclude]);
		free(g->include);
		free(g->exclude);
		while (g->nsettings > 0)
		{
			g->nsettings--;
			free(g->settings[g->nsettings].name);
			free(g->settings[g->nsettings].value);
		}
		free(g->settings);
		free(g->alias);
	}
	free(tc->groups);
	tc->groups = NULL;
	tc->ngroups = 0;
}
