/*-------------------------------------------------------------------------
 *
 * connect_rest.c
 *	  Kafka Connect's REST API for the worker mode of wal2dbz-sink.
 *
 * The routes, methods, status codes and error bodies of Kafka Connect's
 * ConnectorsResource, ConnectorPluginsResource and RootResource, so that
 * scripts and clients written for Kafka Connect work unchanged.  This
 * file only speaks HTTP: it routes each request to worker.c and writes
 * what comes back as compact JSON.  Request bodies are never logged:
 * they carry passwords.
 *
 *	GET    /                                        version, commit, cluster
 *	GET    /health                                  (Kafka Connect 3.9)
 *	GET    /connectors[?expand=status&expand=info]
 *	POST   /connectors                              {"name", "config"}
 *	GET    /connectors/{name}
 *	DELETE /connectors/{name}
 *	GET    /connectors/{name}/config
 *	PUT    /connectors/{name}/config
 *	PATCH  /connectors/{name}/config                (merge; null removes)
 *	GET    /connectors/{name}/status
 *	GET    /connectors/{name}/tasks
 *	GET    /connectors/{name}/tasks/{id}/status
 *	POST   /connectors/{name}/tasks/{id}/restart
 *	POST   /connectors/{name}/restart[?includeTasks=&onlyFailed=]
 *	PUT    /connectors/{name}/pause | resume | stop
 *	GET    /connectors/{name}/offsets
 *	GET    /connector-plugins
 *	GET    /connector-plugins/{class}/config
 *	PUT    /connector-plugins/{class}/config/validate
 *	GET    /metrics                                 Prometheus text, not JSON
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_rest.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "connect_rest.h"
#include "log.h"

/* MHD_Result appeared in 0.9.71; older headers return int */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result RestMhdResult;
#else
typedef int RestMhdResult;
#endif

/* a request body larger than this is refused */
#define MAX_BODY_BYTES		(1024 * 1024)

/* path segments of one request */
#define MAX_SEGMENTS		8

struct SinkRest
{
	struct MHD_Daemon *daemon;
	SinkWorker *worker;			/* not owned */
};

/* the body of one request, as it arrives */
typedef struct RestRequest
{
	char	   *data;
	size_t		len;
	bool		too_big;
} RestRequest;

/* the query arguments the API knows */
typedef struct RestQuery
{
	bool		expand_status;
	bool		expand_info;
	bool		include_tasks;
	bool		only_failed;
} RestQuery;

/* Send a response: compact JSON, or no content when body is NULL. */
static RestMhdResult
respond(struct MHD_Connection *connection, int status, json_t *body)
{
	struct MHD_Response *response;
	char	   *text = NULL;
	RestMhdResult ret;

	if (body)
	{
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text == NULL)
			return MHD_NO;
		response = MHD_create_response_from_buffer(strlen(text), text,
												   MHD_RESPMEM_MUST_FREE);
	}
	else
		response = MHD_create_response_from_buffer(0, (void *) "",
												   MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
	{
		free(text);
		return MHD_NO;
	}
	if (body)
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
								"application/json");
	ret = MHD_queue_response(connection, (unsigned int) status, response);
	MHD_destroy_response(response);
	return ret;
}

/* Send /metrics: Prometheus text format 0.0.4; \p text is freed. */
static RestMhdResult
respond_text(struct MHD_Connection *connection, char *text, size_t len)
{
	struct MHD_Response *response;
	RestMhdResult ret;

	response = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (response == NULL)
	{
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
							"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return ret;
}

/* Collect the query arguments (expand may come more than once). */
static RestMhdResult
query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
		  const char *value)
{
	RestQuery  *q = cls;

	(void) kind;
	if (value == NULL)
		return MHD_YES;
	if (strcmp(key, "expand") == 0)
	{
		if (strcmp(value, "status") == 0)
			q->expand_status = true;
		else if (strcmp(value, "info") == 0)
			q->expand_info = true;
	}
	else if (strcmp(key, "includeTasks") == 0)
		q->include_tasks = strcasecmp(value, "true") == 0;
	else if (strcmp(key, "onlyFailed") == 0)
		q->only_failed = strcasecmp(value, "true") == 0;
	return MHD_YES;
}

/* Parse the request body; a 400 in *body if it is not JSON. */
static json_t *
parse_body(RestRequest *req, int *status, json_t **body)
{
	json_error_t jerr;
	json_t	   *json;

	if (req->too_big)
	{
		*status = 413;
		*body = sink_worker_error(413, "Request body is larger than %d bytes",
								  MAX_BODY_BYTES);
		return NULL;
	}
	json = json_loadb(req->data ? req->data : "", req->len,
					  JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (json == NULL)
	{
		*status = 400;
		*body = sink_worker_error(400, "Cannot parse the request body as JSON: line %d column %d: %s",
								  jerr.line, jerr.column, jerr.text);
	}
	return json;
}

#define IS(m)	(strcmp(method, (m)) == 0)

/*
 * Route one request.  Returns the status and sets *body; 404 for paths
 * the API does not have, 405 for methods a path does not take.
 */
static int
route(SinkWorker *w, struct MHD_Connection *connection, const char *method,
	  char **seg, int nseg, RestRequest *req, json_t **body)
{
	RestQuery	q;
	json_t	   *json;
	int			status = 0;
	bool		path_known = true;

	memset(&q, 0, sizeof(q));
	MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, query_arg, &q);

	if (nseg == 0)
	{
		if (IS("GET"))
			return sink_worker_root(w, body);
	}
	else if (strcmp(seg[0], "connectors") == 0)
	{
		const char *name = nseg > 1 ? seg[1] : NULL;
		const char *what = nseg > 2 ? seg[2] : NULL;

		if (nseg == 1 && IS("GET"))
			return sink_worker_list(w, q.expand_status, q.expand_info, body);
		if (nseg == 1 && IS("POST"))
		{
			if ((json = parse_body(req, &status, body)) == NULL)
				return status;
			status = sink_worker_create(w, json, body);
			json_decref(json);
			return status;
		}
		if (nseg == 2 && IS("GET"))
			return sink_worker_info(w, name, body);
		if (nseg == 2 && IS("DELETE"))
			return sink_worker_delete(w, name, body);
		if (nseg == 3 && strcmp(what, "config") == 0)
		{
			if (IS("GET"))
				return sink_worker_get_config(w, name, body);
			if (IS("PUT") || IS("PATCH"))
			{
				if ((json = parse_body(req, &status, body)) == NULL)
					return status;
				status = IS("PUT") ? sink_worker_put_config(w, name, json, body) :
					sink_worker_patch_config(w, name, json, body);
				json_decref(json);
				return status;
			}
		}
		else if (nseg == 3 && strcmp(what, "status") == 0)
		{
			if (IS("GET"))
				return sink_worker_status(w, name, body);
		}
		else if (nseg == 3 && strcmp(what, "tasks") == 0)
		{
			if (IS("GET"))
				return sink_worker_tasks(w, name, body);
		}
		else if (nseg == 3 && strcmp(what, "restart") == 0)
		{
			if (IS("POST"))
				return sink_worker_restart(w, name, q.include_tasks,
										   q.only_failed, body);
		}
		else if (nseg == 3 && (strcmp(what, "pause") == 0 ||
							   strcmp(what, "resume") == 0 ||
							   strcmp(what, "stop") == 0))
		{
			if (IS("PUT"))
				return sink_worker_set_target(w, name,
											  strcmp(what, "pause") == 0 ? "PAUSED" :
											  strcmp(what, "stop") == 0 ? "STOPPED" :
											  "STARTED", body);
		}
		else if (nseg == 3 && strcmp(what, "offsets") == 0)
		{
			if (IS("GET"))
				return sink_worker_offsets(w, name, body);
		}
		else if (nseg == 5 && strcmp(what, "tasks") == 0 &&
				 strcmp(seg[4], "status") == 0)
		{
			if (IS("GET"))
				return sink_worker_task_status(w, name, seg[3], body);
		}
		else if (nseg == 5 && strcmp(what, "tasks") == 0 &&
				 strcmp(seg[4], "restart") == 0)
		{
			if (IS("POST"))
				return sink_worker_task_restart(w, name, seg[3], body);
		}
		else
			path_known = nseg <= 2;
	}
	else if (strcmp(seg[0], "metrics") == 0 && nseg == 1)
	{
		/* GET and HEAD are answered in text by handle_request() */
	}
	else if (strcmp(seg[0], "health") == 0 && nseg == 1)
	{
		if (IS("GET"))
			return sink_worker_health(w, body);
	}
	else if (strcmp(seg[0], "connector-plugins") == 0)
	{
		if (nseg == 1)
		{
			if (IS("GET"))
				return sink_worker_plugins(w, body);
		}
		else if (nseg == 3 && strcmp(seg[2], "config") == 0)
		{
			if (IS("GET"))
				return sink_worker_plugin_config(w, seg[1], body);
		}
		else if (nseg == 4 && strcmp(seg[2], "config") == 0 &&
				 strcmp(seg[3], "validate") == 0)
		{
			if (IS("PUT"))
			{
				if ((json = parse_body(req, &status, body)) == NULL)
					return status;
				status = sink_worker_validate(w, seg[1], json, body);
				json_decref(json);
				return status;
			}
		}
		else
			path_known = false;
	}
	else
		path_known = false;

	if (!path_known)
	{
		*body = sink_worker_error(404, "HTTP 404 Not Found");
		return 404;
	}
	*body = sink_worker_error(405, "HTTP 405 Method Not Allowed");
	return 405;
}

/* The request handler, on the connection's own thread. */
static RestMhdResult
handle_request(void *cls, struct MHD_Connection *connection,
			   const char *url, const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size,
			   void **con_cls)
{
	SinkRest   *rest = cls;
	RestRequest *req = *con_cls;
	char	   *path;
	char	   *seg[MAX_SEGMENTS];
	char	   *save = NULL;
	char	   *tok;
	int			nseg = 0;
	json_t	   *body = NULL;
	int			status;
	RestMhdResult ret;

	(void) version;

	/* the first call only announces the request */
	if (req == NULL)
	{
		req = calloc(1, sizeof(*req));
		if (req == NULL)
			return MHD_NO;
		*con_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		if (req->len + *upload_data_size > MAX_BODY_BYTES)
			req->too_big = true;
		else
		{
			char	   *data = realloc(req->data, req->len + *upload_data_size + 1);

			if (data == NULL)
				return MHD_NO;
			memcpy(data + req->len, upload_data, *upload_data_size);
			req->data = data;
			req->len += *upload_data_size;
			req->data[req->len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	path = strdup(url);
	if (path == NULL)
		return MHD_NO;
	for (tok = strtok_r(path, "/", &save); tok; tok = strtok_r(NULL, "/", &save))
	{
		if (nseg == MAX_SEGMENTS)
		{
			nseg = -1;
			break;
		}
		seg[nseg++] = tok;
	}
	if (nseg == 1 && strcmp(seg[0], "metrics") == 0 &&
		(strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
	{
		char	   *text = NULL;
		size_t		len = 0;

		status = sink_worker_metrics(rest->worker, &text, &len);
		sink_log_debug("%s %s: %d", method, url, status);
		free(path);
		if (status == 200)
			return respond_text(connection, text, len);
		body = sink_worker_error(status, "Could not render the metrics: out of memory");
		ret = respond(connection, status, body);
		json_decref(body);
		return ret;
	}
	if (nseg < 0)
	{
		body = sink_worker_error(404, "HTTP 404 Not Found");
		status = 404;
	}
	else
		status = route(rest->worker, connection, method, seg, nseg, req, &body);
	sink_log_debug("%s %s: %d", method, url, status);
	ret = respond(connection, status, body);
	json_decref(body);
	free(path);
	return ret;
}

/* Free a request's body when its connection is done with it. */
static void
request_completed(void *cls, struct MHD_Connection *connection,
				  void **con_cls, enum MHD_RequestTerminationCode toe)
{
	RestRequest *req = *con_cls;

	(void) cls;
	(void) connection;
	(void) toe;
	if (req)
	{
		free(req->data);
		free(req);
		*con_cls = NULL;
	}
}

/* Start serving; see connect_rest.h. */
SinkRest *
sink_rest_start(SinkWorker *w, const char *host, int port)
{
	SinkRest   *rest = calloc(1, sizeof(*rest));
	struct addrinfo hints;
	struct addrinfo *addr = NULL;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_THREAD_PER_CONNECTION;

	if (rest == NULL)
	{
		sink_log_error("out of memory");
		return NULL;
	}
	rest->worker = w;
	if (host)
	{
		char		portstr[16];
		int			err;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		snprintf(portstr, sizeof(portstr), "%d", port);
		err = getaddrinfo(host, portstr, &hints, &addr);
		if (err != 0)
		{
			sink_log_error("could not resolve \"rest.host.name\" \"%s\": %s",
						   host, gai_strerror(err));
			free(rest);
			return NULL;
		}
		rest->daemon = MHD_start_daemon(flags, (uint16_t) port, NULL, NULL,
										handle_request, rest,
										MHD_OPTION_SOCK_ADDR, addr->ai_addr,
										MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
										MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
										MHD_OPTION_END);
		freeaddrinfo(addr);
	}
	else
	{
		errno = 0;
		rest->daemon = MHD_start_daemon(flags | MHD_USE_DUAL_STACK,
										(uint16_t) port, NULL, NULL,
										handle_request, rest,
										MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
										MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
										MHD_OPTION_END);
		/* no IPv6 on this machine: IPv4 only */
		if (rest->daemon == NULL)
			rest->daemon = MHD_start_daemon(flags, (uint16_t) port, NULL, NULL,
											handle_request, rest,
											MHD_OPTION_NOTIFY_COMPLETED, request_completed, NULL,
											MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
											MHD_OPTION_END);
	}
	if (rest->daemon == NULL)
	{
		if (errno != 0)
			sink_log_error("could not serve the REST API on port %d: %m", port);
		else
			sink_log_error("could not serve the REST API on port %d", port);
		sink_log_hint("Set \"rest.port\" in the worker file to a free port.");
		free(rest);
		return NULL;
	}
	return rest;
}

/* Stop serving. */
void
sink_rest_stop(SinkRest *rest)
{
	if (rest == NULL)
		return;
	MHD_stop_daemon(rest->daemon);
	free(rest);
}
