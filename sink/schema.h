/*-------------------------------------------------------------------------
 *
 * schema.h
 *	  The Connect schema prefixes the plugin sends in SCHEMA frames, and the
 *	  assembly of complete Kafka keys and values from them.
 *
 * In framed mode a table's RECORD frames carry only payloads and a schema
 * id; the SCHEMA frame sent once per decoding session before the first
 * such record holds the topic, the key prefix ({"schema":...,"payload":)
 * and the value prefix.  The Kafka key is key prefix + key payload + "}" (just the
 * payload when the prefix is empty), likewise the value; null stays null.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/schema.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_SCHEMA_H
#define SINK_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/*
 * One schema id: the topic of its records and the two prefixes, all owned
 * by SinkSchemas.  producer_topic is the producer's handle for the topic,
 * cached by kafka.c on first use (the producer outlives every session).
 */
typedef struct SinkSchema
{
	char	   *topic;			/* NULL until the id is defined */
	size_t		topic_len;
	void	   *producer_topic;
	char	   *key_prefix;
	size_t		key_prefix_len;
	char	   *value_prefix;
	size_t		value_prefix_len;
} SinkSchema;

/* every schema of one decoding session, indexed by id - 1 */
typedef struct SinkSchemas
{
	SinkSchema *items;
	uint32_t	nitems;
} SinkSchemas;

/* the highest schema id accepted: ids are small and dense per session */
#define SINK_SCHEMA_MAX_ID	(1U << 24)

/** @brief Initialise an empty table. */
extern void sink_schemas_init(SinkSchemas *schemas);

/** @brief Forget every schema (a new decoding session restarts the ids). */
extern void sink_schemas_reset(SinkSchemas *schemas);

/**
 * @brief Store the prefixes of a SCHEMA frame (replacing an id redefined).
 * @returns false with \p err set on a bad id or out of memory.
 */
extern bool sink_schemas_add(SinkSchemas *schemas, const SinkFrame *frame,
							 char *err, size_t errlen);

/** @returns the schema of \p id, or NULL if the plugin has not sent it. */
extern SinkSchema *sink_schemas_get(const SinkSchemas *schemas, uint32_t id);

/**
 * @brief The length of prefix + payload + "}" (the payload alone when the
 * prefix is empty).
 */
extern size_t sink_schema_assembled_len(const char *prefix, size_t prefix_len,
										size_t payload_len);

/**
 * @brief Write prefix + payload + "}" (or the payload alone) into \p out,
 * which has sink_schema_assembled_len() bytes.
 */
extern void sink_schema_assemble(char *out, const char *prefix,
								 size_t prefix_len, const char *payload,
								 size_t payload_len);

#endif							/* SINK_SCHEMA_H */
