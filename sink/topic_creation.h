/*-------------------------------------------------------------------------
 *
 * topic_creation.h
 *	  Which partitions, replication factor and topic configurations a topic
 *	  the sink creates gets: Kafka Connect's topic.creation.* properties
 *	  (KIP-158), the default group and the named groups.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/topic_creation.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_TOPIC_CREATION_H
#define SINK_TOPIC_CREATION_H

#include <regex.h>
#include <stdbool.h>

#include "config.h"

/* One topic configuration (cleanup.policy=compact); the strings are owned */
typedef struct SinkTopicSetting
{
	char	   *name;
	char	   *value;
} SinkTopicSetting;

/*
 * One group: "default", or an alias of topic.creation.groups with the
 * topics its include patterns match and its exclude patterns do not.
 */
typedef struct SinkTopicGroup
{
	char	   *alias;			/* owned */
	int			partitions;		/* -1: the broker's default */
	int			replication_factor; /* -1: the broker's default */
	regex_t    *include;		/* compiled, anchored; owned */
	int			ninclude;
	regex_t    *exclude;
	int			nexclude;
	SinkTopicSetting *settings; /* owned */
	int			nsettings;
} SinkTopicGroup;

/* The groups in the order Kafka Connect tries them; the default last. */
typedef struct SinkTopicCreation
{
	bool		enabled;		/* topic.creation.enable */
	SinkTopicGroup *groups;		/* owned */
	int			ngroups;
} SinkTopicCreation;

/*
 * Check every topic.creation.* property of a configuration: known groups,
 * Kafka topic configurations by name, valid numbers and patterns.  Logs
 * each problem by property name; false if there was any.
 */
extern bool sink_topic_creation_validate(const SinkConfig *cfg);

/* Is this a topic.creation.* property (validated by the function above)? */
extern bool sink_topic_creation_property(const char *name);

/*
 * Build the groups of a validated configuration (copies: cfg may go away
 * first).  False (logged) when out of memory.
 */
extern bool sink_topic_creation_init(SinkTopicCreation *tc,
									 const SinkConfig *cfg);

/* The group a topic's creation follows: the first that matches, else default. */
extern const SinkTopicGroup *sink_topic_creation_group(const SinkTopicCreation *tc,
													   const char *topic);

/* Release what sink_topic_creation_init() allocated. */
extern void sink_topic_creation_free(SinkTopicCreation *tc);

#endif							/* SINK_TOPIC_CREATION_H */
