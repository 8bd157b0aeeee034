/*-------------------------------------------------------------------------
 *
 * connect_config.h
 *	  Connector configurations of the worker: Kafka Connect's config maps
 *	  over the worker's defaults, checked by config.c exactly as a
 *	  properties file is, and shown with secrets masked.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_config.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CONNECT_CONFIG_H
#define SINK_CONNECT_CONFIG_H

#include <stdbool.h>

#include <jansson.h>

#include "config.h"

/* what GET .../config shows instead of a secret (Kafka's Password) */
#define SINK_CONNECT_MASK	"[hidden]"

/**
 * @brief Build a connector's configuration: every member of \p config
 * (through sink_config_load_object()), then each property of
 * \p defaults that \p config does not set, then the checks of
 * sink_config_validate(), of the snapshot and ClickHouse stages and of
 * the producer, as the properties-file way runs them.  Messages name
 * \p origin ("connector \"x\"").
 * @returns false after logging one error per problem; \p cfg must be
 *          freed either way.
 */
extern bool sink_connect_build(const SinkConfig *defaults, json_t *config,
							   const char *origin, SinkConfig *cfg);

/** @returns true for config.providers and config.providers.* (worker file). */
extern bool sink_connect_is_provider_property(const char *name);

/**
 * @brief Check the config.providers.NAME.class declarations of \p defaults:
 * Kafka's FileConfigProvider, DirectoryConfigProvider and
 * EnvVarConfigProvider, resolved in every connector configuration
 * (${NAME:path:key}, ${NAME:dir:file}, ${NAME:VARIABLE}).
 * @returns false after logging one error per problem.
 */
extern bool sink_connect_check_providers(const SinkConfig *defaults);

/**
 * @returns a copy of \p config with secret values masked (not provider
 * variables: they are no secret).
 */
extern json_t *sink_connect_masked(json_t *config);

/**
 * @brief Replace masked secrets in \p config (a client sending back what
 * GET .../config showed) with the values of \p old, in place.
 */
extern void sink_connect_unmask(json_t *config, json_t *old);

/**
 * @brief Check \p config without running it, as
 * PUT /connector-plugins/{class}/config/validate: Kafka Connect's
 * ConfigInfos, one entry per known or given property, each with its
 * errors.  Nothing is logged.
 * @returns the response body (the caller owns it).
 */
extern json_t *sink_connect_validate(const SinkConfig *defaults,
									 json_t *config);

#endif							/* SINK_CONNECT_CONFIG_H */
