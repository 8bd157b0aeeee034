/*-------------------------------------------------------------------------
 *
 * config.h
 *	  Configuration of wal2dbz-sink: Debezium property names, a properties
 *	  file or a Kafka Connect JSON file, and WAL2DBZ_* environment overrides.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/config.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CONFIG_H
#define SINK_CONFIG_H

#include <stdbool.h>

/* environment variables that override properties start with this */
#define SINK_ENV_PREFIX		"WAL2DBZ_"

/* prefix of the properties passed to librdkafka */
#define SINK_KAFKA_PREFIX	"kafka."

/* the only output plugin and connector class accepted */
#define SINK_PLUGIN_NAME	"wal2dbz"
#define SINK_CONNECTOR_CLASS "io.debezium.connector.postgresql.PostgresConnector"

/*
 * One property as given by the user.  The origin ("file:line" or
 * "environment variable WAL2DBZ_X") is kept for error messages.
 */
typedef struct SinkProp
{
	char	   *name;
	char	   *value;
	char	   *origin;
} SinkProp;

/*
 * The configuration.  props holds every property given, in order; the
 * typed fields are filled by sink_config_validate() and their strings
 * point into props (or are static defaults), so they live as long as the
 * SinkConfig.
 */
typedef struct SinkConfig
{
	char	   *path;			/* the configuration file */
	SinkProp   *props;
	int			nprops;
	int			maxprops;

	/* typed view, valid after sink_config_validate() */
	const char *name;			/* connector name, for logs */
	const char *topic_prefix;
	const char *slot_name;
	bool		slot_drop_on_stop;
	bool		extended_headers;	/* add __debezium.context.* headers */
	const char *snapshot_mode;
	int			status_interval_ms;
	int			http_port;
	int			topic_partitions;	/* -1: broker default */
	int			topic_replication_factor;	/* -1: broker default */
	const char *topic_delimiter;
	int			heartbeat_interval_ms;	/* 0: no heartbeats */
	const char *heartbeat_topic_prefix;
	const char *heartbeat_topic_name;	/* NULL: prefix + delimiter + topic.prefix */
	const char *heartbeat_action_query; /* NULL: none */
	bool		source_stage;	/* PostgreSQL -> Kafka runs */
	bool		clickhouse_stage;	/* Kafka -> ClickHouse runs (clickhouse.url) */
} SinkConfig;

/** @brief Initialise an empty configuration. */
extern void sink_config_init(SinkConfig *cfg);

/**
 * @brief Read a properties file or a Kafka Connect JSON file.
 * Errors are logged; @returns false if there were any.
 */
extern bool sink_config_load(SinkConfig *cfg, const char *path);

struct json_t;

/**
 * @brief Add the members of a Kafka Connect config object (the body of
 * PUT /connectors/NAME/config) as properties, as sink_config_load() does
 * for a JSON file; \p path names the source in messages.
 * Errors are logged; @returns false if there were any.
 */
extern bool sink_config_load_object(SinkConfig *cfg, struct json_t *obj,
									const char *path);

/**
 * @brief The \p i th known property: its name and its Kafka ConfigDef type
 * (STRING, BOOLEAN, INT, LIST or PASSWORD).
 * @returns false past the last one.
 */
extern bool sink_config_describe(int i, const char **name, const char **type);

/**
 * @brief Apply WAL2DBZ_* environment overrides from \p envp.
 * @returns false (errors logged) on a malformed variable.
 */
extern bool sink_config_apply_env(SinkConfig *cfg, char **envp);

/**
 * @brief Set (or replace) one property.
 * @returns false when out of memory.
 */
extern bool sink_config_set(SinkConfig *cfg, const char *name,
							const char *value, const char *origin);

/**
 * @brief Check every property by name and value, and fill the typed view.
 * Each problem is logged as one error naming the property and its origin.
 * @returns false if there were any.
 */
extern bool sink_config_validate(SinkConfig *cfg);

/** @returns the value of \p name, or NULL if not set. */
extern const char *sink_config_get(const SinkConfig *cfg, const char *name);

/** @returns the SinkProp of \p name, or NULL if not set. */
extern const SinkProp *sink_config_find(const SinkConfig *cfg,
										const char *name);

/** @returns true if \p name is forwarded to the plugin as an option. */
extern bool sink_config_is_plugin_option(const char *name);

/** @returns true if the value of \p name must never be logged. */
extern bool sink_config_is_secret(const char *name);

/** @brief Log every property at debug level, secrets masked. */
extern void sink_config_log(const SinkConfig *cfg);

/** @brief Free everything the configuration owns. */
extern void sink_config_free(SinkConfig *cfg);

#endif							/* SINK_CONFIG_H */
