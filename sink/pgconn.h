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

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <libpq-fe.h>

#include "config.h"

/**
 * @brief Connect with the database.* properties; unset ones fall back to
 * libpq's defaults (PGHOST, PGPORT, ...).  With \p replication the
 * connection is a database-specific walsender (replication=database).
 * The attempt gives up after database.connectTimeout seconds (default
 * 10, 0: never), and as soon as the flag of sink_pg_set_interrupt() is set.
 * Other connections run database.initial.statements first.
 *
 * @returns an open connection the caller must PQfinish(), or NULL after
 *          logging PQerrorMessage().
 */
extern PGconn *sink_pg_connect(const SinkConfig *cfg, bool replication);

/**
 * @brief Make the calling thread's connection attempts give up as soon as
 * *\p flag is set (its owner's stop flag; NULL: none).  Thread-local, so
 * that each connector's thread and its snapshot and heartbeat connections
 * answer to their own connector's stop.
 */
extern void sink_pg_set_interrupt(atomic_int *flag);

#endif							/* SINK_PGCONN_H */
