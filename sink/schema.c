/*-------------------------------------------------------------------------
 *
 * schema.c
 *	  The Connect schema prefixes the plugin sends in SCHEMA frames, and the
 *	  assembly of complete Kafka keys and values from them.
 *
 * The sink still never parses JSON: it concatenates bytes the plugin made.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/schema.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* Initialise an empty table. */
void
sink_schemas_init(SinkSchemas *schemas)
{
	memset(schemas, 0, sizeof(*schemas));
}

/* Forget every schema and free the table. */
void
sink_schemas_reset(SinkSchemas *schemas)
{
	uint32_t	i;

	for (i = 0; i < schemas->nitems; i++)
	{
		free(schemas->items[i].topic);
		free(schemas->items[i].key_prefix);
		free(schemas->items[i].value_prefix);
	}
	free(schemas->items);
	memset(schemas, 0, sizeof(*schemas));
}

/* Copy n bytes into a new NUL-terminated string (NUL for convenience only). */
static char *
copy_bytes(const char *p, size_t n)
{
	char	   *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* Store the prefixes of a SCHEMA frame. */
bool
sink_schemas_add(SinkSchemas *schemas, const SinkFrame *frame, char *err,
				 size_t errlen)
{
	uint32_t	id = frame->schema_id;
	SinkSchema *schema;
	char	   *topic;
	char	   *key_prefix;
	char	   *value_prefix;

	if (id == 0 || id > SINK_SCHEMA_MAX_ID)
	{
		snprintf(err, errlen, "schema id %u out of range", id);
		return false;
	}
	if (id > schemas->nitems)
	{
		uint32_t	newn = schemas->nitems ? schemas->nitems : 16;
		SinkSchema *items;

		while (newn < id)
			newn *= 2;
		items = realloc(schemas->items, newn * sizeof(SinkSchema));
		if (items == NULL)
			goto oom;
		memset(items + schemas->nitems, 0,
			   (newn - schemas->nitems) * sizeof(SinkSchema));
		schemas->items = items;
		schemas->nitems = newn;
	}

	topic = copy_bytes(frame->topic, frame->topic_len);
	key_prefix = copy_bytes(frame->key, (size_t) frame->key_len);
	value_prefix = copy_bytes(frame->value, (size_t) frame->value_len);
	if (topic == NULL || key_prefix == NULL || value_prefix == NULL)
	{
		free(topic);
		free(key_prefix);
		free(value_prefix);
		goto oom;
	}

	schema = &schemas->items[id - 1];
	free(schema->topic);
	free(schema->key_prefix);
	free(schema->value_prefix);
	schema->topic = topic;
	schema->topic_len = frame->topic_len;
	schema->producer_topic = NULL;
	schema->key_prefix = key_prefix;
	schema->key_prefix_len = (size_t) frame->key_len;
	schema->value_prefix = value_prefix;
	schema->value_prefix_len = (size_t) frame->value_len;
	return true;

oom:
	snprintf(err, errlen, "out of memory");
	return false;
}

/* The schema of an id, if sent. */
SinkSchema *
sink_schemas_get(const SinkSchemas *schemas, uint32_t id)
{
	if (id == 0 || id > schemas->nitems ||
		schemas->items[id - 1].topic == NULL)
		return NULL;
	return &schemas->items[id - 1];
}

/* Length of an assembled key or value. */
size_t
sink_schema_assembled_len(const char *prefix, size_t prefix_len,
						  size_t payload_len)
{
	(void) prefix;
	return prefix_len > 0 ? prefix_len + payload_len + 1 : payload_len;
}

/* Assemble prefix + payload + "}". */
void
sink_schema_assemble(char *out, const char *prefix, size_t prefix_len,
					 const char *payload, size_t payload_len)
{
	if (prefix_len > 0)
	{
		memcpy(out, prefix, prefix_len);
		out += prefix_len;
	}
	if (payload_len > 0)
		memcpy(out, payload, payload_len);
	if (prefix_len > 0)
		out[payload_len] = '}';
}
