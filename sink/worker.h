/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  Worker mode of wal2dbz-sink: PostgreSQL source connectors managed
 *	  over Kafka Connect's REST API, each in its own thread.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_WORKER_H
#define SINK_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

typedef struct SinkWorker SinkWorker;

/**
 * @brief Run the worker of the worker file \p config_path until SIGINT or
 * SIGTERM: read its connectors from its store, serve the REST API, and
 * at the end stop every connector as a single sink stops (drain, confirm).
 * @returns the process exit code.
 */
extern int	sink_worker_main(const char *config_path, char **envp);

/*
 * The REST layer's operations (connect_rest.c).  Each returns the HTTP
 * status and sets *body to the response (NULL: no content), which the
 * caller owns; errors are Kafka Connect's {"error_code", "message"}.
 * They may be called from several threads at once.
 */
extern int	sink_worker_root(SinkWorker *w, json_t **body);
extern int	sink_worker_health(SinkWorker *w, json_t **body);
extern int	sink_worker_list(SinkWorker *w, bool expand_status,
							 bool expand_info, json_t **body);
extern int	sink_worker_create(SinkWorker *w, json_t *request, json_t **body);
extern int	sink_worker_info(SinkWorker *w, const char *name, json_t **body);
extern int	sink_worker_get_config(SinkWorker *w, const char *name,
								   json_t **body);
extern int	sink_worker_put_config(SinkWorker *w, const char *name,
								   json_t *config, json_t **body);
extern int	sink_worker_patch_config(SinkWorker *w, const char *name,
									 json_t *patch, json_t **body);
extern int	sink_worker_status(SinkWorker *w, const char *name, json_t **body);
extern int	sink_worker_tasks(SinkWorker *w, const char *name, json_t **body);
extern int	sink_worker_task_status(SinkWorker *w, const char *name,
									const char *task, json_t **body);
extern int	sink_worker_restart(SinkWorker *w, const char *name,
								bool include_tasks, bool only_failed,
								json_t **body);
extern int	sink_worker_task_restart(SinkWorker *w, const char *name,
									 const char *task, json_t **body);
/* \p target: "PAUSED", "STARTED" (resume) or "STOPPED" */
extern int	sink_worker_set_target(SinkWorker *w, const char *name,
								   const char *target, json_t **body);
extern int	sink_worker_delete(SinkWorker *w, const char *name, json_t **body);
extern int	sink_worker_offsets(SinkWorker *w, const char *name, json_t **body);
extern int	sink_worker_plugins(SinkWorker *w, json_t **body);
extern int	sink_worker_plugin_config(SinkWorker *w, const char *plugin,
									  json_t **body);
extern int	sink_worker_validate(SinkWorker *w, const char *plugin,
								 json_t *config, json_t **body);

/**
 * @brief GET /metrics: every connector's metrics in Prometheus text
 * format, labelled connector="name" (connect_metrics.c).
 * @returns the HTTP status; *text (malloc'd, the caller frees) and *len
 * are set on 200.
 */
extern int	sink_worker_metrics(SinkWorker *w, char **text, size_t *len);

/** @returns Kafka Connect's error body {"error_code": status, "message"}. */
extern json_t *sink_worker_error(int status, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

#endif							/* SINK_WORKER_H */
