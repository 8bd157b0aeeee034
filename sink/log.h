/*-------------------------------------------------------------------------
 *
 * log.h
 *	  Logging for wal2dbz-sink, with the semantics of PostgreSQL's pg_log_*.
 *
 * Messages are lower case, have no trailing newline in the format, and one
 * trailing newline in the expanded text is stripped, so that
 * PQerrorMessage() can be the last %s.  Secrets are never passed here: the
 * configuration code masks them (sink_config_is_secret()).
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/log.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_LOG_H
#define SINK_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* verbosity levels; messages above the current level are dropped */
typedef enum SinkLogLevel
{
	SINK_LOG_ERROR = 0,
	SINK_LOG_WARNING,
	SINK_LOG_INFO,				/* default */
	SINK_LOG_DEBUG,				/* -v */
	SINK_LOG_TRACE				/* -v -v: per-frame detail */
} SinkLogLevel;

#define SINK_PRINTF(f, a) __attribute__((format(printf, f, a)))

/** @brief Set the program name used as message prefix. */
extern void sink_log_init(const char *progname);

/** @brief Set the verbosity (SINK_LOG_*). */
extern void sink_log_set_level(int level);

/** @returns true if messages of \p level are printed. */
extern int	sink_log_enabled(int level);

extern void sink_log_error(const char *fmt,...) SINK_PRINTF(1, 2);
extern void sink_log_warning(const char *fmt,...) SINK_PRINTF(1, 2);
extern void sink_log_info(const char *fmt,...) SINK_PRINTF(1, 2);
extern void sink_log_debug(const char *fmt,...) SINK_PRINTF(1, 2);
extern void sink_log_trace(const char *fmt,...) SINK_PRINTF(1, 2);

/** @brief A hint line after an error ("hint: ..."), as pg_log_error_hint. */
extern void sink_log_hint(const char *fmt,...) SINK_PRINTF(1, 2);

/** @brief Log an error and exit(1).  Only main and startup code may call it. */
extern void sink_fatal(const char *fmt,...) SINK_PRINTF(1, 2)
			__attribute__((noreturn));

/*
 * Sees an error (is_error) or a hint of the calling thread, without the
 * program name and level prefix; returns true to print it as well.
 */
typedef bool (*SinkLogHook) (void *arg, bool is_error, const char *msg);

/** @brief Name the calling thread's messages ("[context] ..."); NULL: none. */
extern void sink_log_set_context(const char *context);

/** @brief Give the calling thread's errors and hints to \p hook; NULL: none. */
extern void sink_log_set_hook(SinkLogHook hook, void *arg);

/**
 * @brief The calling thread's context and hook, for a helper thread that
 * works for the same owner (a connector's ClickHouse stage) to set them.
 */
extern void sink_log_get_thread(const char **context, SinkLogHook *hook,
								void **arg);

/** @brief The program name given to sink_log_init(). */
extern const char *sink_progname(void);

#endif							/* SINK_LOG_H */
