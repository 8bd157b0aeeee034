/*-------------------------------------------------------------------------
 *
 * connect_store.h
 *	  Durable storage of the worker's connectors: one local JSON file.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_store.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CONNECT_STORE_H
#define SINK_CONNECT_STORE_H

#include <stdbool.h>

#include <jansson.h>

/**
 * @brief Read the store: {"connectors": {NAME: {"config": {...},
 * "target_state": "STARTED" | "PAUSED" | "STOPPED"}}}.
 * A missing file is an empty store.
 * @returns the "connectors" object (the caller owns it), or NULL after
 *          logging why the file cannot be used.
 */
extern json_t *sink_store_load(const char *path);

/**
 * @brief Replace the store with \p connectors, atomically: a temporary
 * file in the same directory (mode 0600: configurations hold passwords),
 * fsync, rename over the old one, fsync of the directory.
 * @returns false after logging an error; the old file is then intact.
 */
extern bool sink_store_save(const char *path, json_t *connectors);

#endif							/* SINK_CONNECT_STORE_H */
