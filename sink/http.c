/*-------------------------------------------------------------------------
 *
 * http.c
 *	  The HTTP endpoint of wal2dbz-sink: /health and /metrics.
 *
 * libmicrohttpd runs its own polling thread, so the handlers only read the
 * metrics through their mutex and never touch libpq or librdkafka.
 *
 *	GET /health, /health/live
 *				  liveness: 200 while the process runs (this thread answers
 *				  only while the process exists); the body is the state
 *				  below with "status":"UP"
 *	GET /health/ready
 *				  readiness: 200 {"status":"UP",...} while the replication
 *				  connection is open (streaming or snapshotting) and Kafka
 *				  answers, else 503 {"status":"DOWN",...}; the body names the
 *				  source, Kafka, snapshot and ClickHouse states
 *	GET /metrics  Prometheus text format 0.0.4
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/http.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>

#include "http.h"
#include "log.h"

/* MHD_Result appeared in 0.9.71; older headers return int */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result SinkMhdResult;
#else
typedef int SinkMhdResult;
#endif

struct SinkHttp
{
	struct MHD_Daemon *daemon;
	SinkMetrics *metrics;		/* not owned */
};

/* Queue a response, copying \p body; the response is released at once. */
static SinkMhdResult
respond(struct MHD_Connection *connection, unsigned int status,
		const char *content_type, const char *body, size_t len)
{
	struct MHD_Response *response;
	SinkMhdResult ret;

	response = MHD_create_response_from_buffer(len, (void *) body,
											   MHD_RESPMEM_MUST_COPY);
	if (response == NULL)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
							content_type);
	ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return ret;
}

/* The request handler, called on libmicrohttpd's thread. */
static SinkMhdResult
handle_request(void *cls, struct MHD_Connection *connection,
			   const char *url, const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size,
			   void **con_cls)
{
	SinkHttp   *http = cls;
	static const char not_found[] = "{\"error\":\"not found\"}";
	static const char bad_method[] = "{\"error\":\"method not allowed\"}";

	(void) version;
	(void) upload_data;
	(void) upload_data_size;
	(void) con_cls;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return respond(connection, MHD_HTTP_METHOD_NOT_ALLOWED,
					   "application/json", bad_method, strlen(bad_method));

	if (strcmp(url, "/health") == 0 || strcmp(url, "/health/live") == 0 ||
		strcmp(url, "/health/ready") == 0)
	{
		bool		liveness = strcmp(url, "/health/ready") != 0;
		bool		ready;
		size_t		len;
		char	   *body = sink_metrics_health(http->metrics, liveness, &ready,
											   &len);
		SinkMhdResult ret;

		if (body == NULL)
			return MHD_NO;
		ret = respond(connection,
					  liveness || ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE,
					  "application/json", body, len);
		free(body);
		return ret;
	}
	if (strcmp(url, "/metrics") == 0)
	{
		size_t		len;
		char	   *text = sink_metrics_render(http->metrics, &len);
		SinkMhdResult ret;

		if (text == NULL)
			return MHD_NO;
		ret = respond(connection, MHD_HTTP_OK,
					  "text/plain; version=0.0.4; charset=utf-8", text, len);
		free(text);
		return ret;
	}
	return respond(connection, MHD_HTTP_NOT_FOUND, "application/json",
				   not_found, strlen(not_found));
}

/* Start the server. */
SinkHttp *
sink_http_start(int port, SinkMetrics *metrics)
{
	SinkHttp   *http = calloc(1, sizeof(*http));

	if (http == NULL)
	{
		sink_log_error("out of memory");
		return NULL;
	}
	http->metrics = metrics;
	errno = 0;
	http->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
									MHD_USE_DUAL_STACK,
									(uint16_t) port, NULL, NULL,
									handle_request, http,
									MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 10,
									MHD_OPTION_END);
	if (http->daemon == NULL)
	{
		/* no IPv6 on this machine: retry on IPv4 only */
		http->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD,
										(uint16_t) port, NULL, NULL,
										handle_request, http,
										MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 10,
										MHD_OPTION_END);
	}
	if (http->daemon == NULL)
	{
		if (errno != 0)
			sink_log_error("could not start the HTTP server on port %d: %m",
						   port);
		else
			sink_log_error("could not start the HTTP server on port %d",
						   port);
		sink_log_hint("Set \"http.port\" to a free port, or to 0 to disable the HTTP endpoint.");
		free(http);
		return NULL;
	}
	sink_log_debug("HTTP endpoint listening on port %d", port);
	return http;
}

/* Stop the server. */
void
sink_http_stop(SinkHttp *http)
{
	if (http == NULL)
		return;
	MHD_stop_daemon(http->daemon);
	free(http);
}
