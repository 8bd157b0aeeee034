/*-------------------------------------------------------------------------
 *
 * pgconn.h
 *	  Open a libpq connection from the database.* properties.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/pgconn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_PGCONN_H
#define SINK_PGCONN_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "config.h"

/**
 * @brief Connect with the database.* properties; unset ones fall back to
 * libpq's defaults (PGHOST, PGPORT, ...).  With \p replication the
 * connection is a database-specific walsender (replication=database).
 *
 * @returns an open connection the caller must PQfinish(), or NULL after
 *          logging PQerrorMessage().
 */
extern PGconn *sink_pg_connect(const SinkConfig *cfg, bool replication);

#endif							/* SINK_PGCONN_H */
