/*-------------------------------------------------------------------------
 *
 * log.c
 *	  Logging for wal2dbz-sink, with the semantics of PostgreSQL's pg_log_*.
 *
 * Every message goes to stderr as one line, "wal2dbz-sink: error: ...".
 * librdkafka may call the logger from its own threads (log_cb), so a
 * message is formatted into a local buffer and written with one fputs.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/log.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_progname = "wal2dbz-sink";
static volatile int log_level = SINK_LOG_INFO;

/*
 * Per thread (worker mode: one connector per thread): a name printed in
 * every message, and a hook that sees every error and hint.
 */
static __thread const char *log_context = NULL;
static __thread SinkLogHook log_hook = NULL;
static __thread void *log_hook_arg = NULL;

/* prefixes printed after the program name, indexed by SinkLogLevel */
static const char *const level_prefix[] = {
	"error: ",
	"warning: ",
	"",
	"debug: ",
	"trace: ",
};

/* Set the program name. */
void
sink_log_init(const char *progname)
{
	const char *slash = strrchr(progname, '/');

	log_progname = slash ? slash + 1 : progname;
}

/* Set the verbosity. */
void
sink_log_set_level(int level)
{
	if (level < SINK_LOG_ERROR)
		level = SINK_LOG_ERROR;
	if (level > SINK_LOG_TRACE)
		level = SINK_LOG_TRACE;
	log_level = level;
}

/* Is this level printed? */
int
sink_log_enabled(int level)
{
	return level <= log_level;
}

/* Name this thread's messages. */
void
sink_log_set_context(const char *context)
{
	log_context = context;
}

/* Hand this thread's errors and hints to a hook. */
void
sink_log_set_hook(SinkLogHook hook, void *arg)
{
	log_hook = hook;
	log_hook_arg = arg;
}

/* This thread's context and hook, to hand them to a thread it starts. */
void
sink_log_get_thread(const char **context, SinkLogHook *hook, void **arg)
{
	*context = log_context;
	*hook = log_hook;
	*arg = log_hook_arg;
}

/* The program name. */
const char *
sink_progname(void)
{
	return log_progname;
}

/*
 * Format and print one message.  One trailing newline of the expanded text
 * is removed, as common/logging.c does "for PQerrorMessage()".
 */
static void
log_vprint(const char *prefix, const char *fmt, va_list ap)
{
	char		msg[4096];
	char		line[4096 + 128];
	size_t		len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	if (len > 0 && msg[len - 1] == '\n')
		msg[len - 1] = '\0';
	if (log_hook != NULL &&
		(prefix == level_prefix[SINK_LOG_ERROR] || strcmp(prefix, "hint: ") == 0) &&
		!log_hook(log_hook_arg, prefix == level_prefix[SINK_LOG_ERROR], msg))
		return;
	if (log_context)
		snprintf(line, sizeof(line), "%s: [%s] %s%s\n", log_progname,
				 log_context, prefix, msg);
	else
		snprintf(line, sizeof(line), "%s: %s%s\n", log_progname, prefix, msg);
	fputs(line, stderr);
}

#define SINK_LOG_BODY(level, prefix) \
	do { \
		va_list		ap; \
		if ((level) > log_level) \
			return; \
		va_start(ap, fmt); \
		log_vprint((prefix), fmt, ap); \
		va_end(ap); \
	} while (0)

/* Log at error level. */
void
sink_log_error(const char *fmt,...)
{
	SINK_LOG_BODY(SINK_LOG_ERROR, level_prefix[SINK_LOG_ERROR]);
}

/* Log at warning level. */
void
sink_log_warning(const char *fmt,...)
{
	SINK_LOG_BODY(SINK_LOG_WARNING, level_prefix[SINK_LOG_WARNING]);
}

/* Log at info level. */
void
sink_log_info(const char *fmt,...)
{
	SINK_LOG_BODY(SINK_LOG_INFO, level_prefix[SINK_LOG_INFO]);
}

/* Log at debug level. */
void
sink_log_debug(const char *fmt,...)
{
	SINK_LOG_BODY(SINK_LOG_DEBUG, level_prefix[SINK_LOG_DEBUG]);
}

/* Log at trace level. */
void
sink_log_trace(const char *fmt,...)
{
	SINK_LOG_BODY(SINK_LOG_TRACE, level_prefix[SINK_LOG_TRACE]);
}

/* Hints go with errors, so they are printed whenever errors are. */
void
sink_log_hint(const char *fmt,...)
{
	SINK_LOG_BODY(SINK_LOG_ERROR, "hint: ");
}

/* Log an error and exit(1). */
void
sink_fatal(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	log_vprint(level_prefix[SINK_LOG_ERROR], fmt, ap);
	va_end(ap);
	exit(1);
}
