/*-------------------------------------------------------------------------
 *
 * ch_http.h
 *	  ClickHouse's HTTP interface over libcurl, for the ClickHouse stage.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef SINK_CH_HTTP_H
#define SINK_CH_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "ch_json.h"

typedef struct SinkChHttp SinkChHttp;

/* how to reach the server; the strings must outlive the handle */
typedef struct ChHttpOptions
{
	const char *url;			/* http[s]://host:port[/] */
	const char *user;			/* NULL: the server's default user */
	const char *password;
	const char *ca_location;	/* CURLOPT_CAINFO */
	const char *cert_location;	/* CURLOPT_SSLCERT */
	const char *key_location;	/* CURLOPT_SSLKEY */
	const char *key_password;	/* CURLOPT_KEYPASSWD */
	bool		verify;			/* verify the server's certificate and name */
	bool		gzip;			/* compress insert bodies */
	long		timeout_ms;		/* per request */
} ChHttpOptions;

/*
 * The outcome of one request.  message is the first line of the body of
 * an error response, or libcurl's error text; it never contains the
 * password (the URL is never part of it).
 */
typedef struct ChHttpResult
{
	bool		ok;				/* HTTP 200 and no exception */
	bool		transport;		/* no answer: connection refused, timeout, ... */
	long		status;			/* HTTP status, 0 without an answer */
	int			code;			/* ClickHouse exception code, 0 if none */
	char		message[512];
} ChHttpResult;

/**
 * @brief Create the handle (one libcurl easy handle, kept alive between
 * requests).  Call curl_global_init() first, on the main thread.
 * @returns NULL when out of memory (logged).
 */
extern SinkChHttp *ch_http_new(const ChHttpOptions *opts);
extern void ch_http_free(SinkChHttp *http);

/**
 * @brief Run \p sql.  Without \p body the statement is the request body;
 * with one (INSERT ... FORMAT JSONEachRow) the statement goes in the URL
 * and \p body is the data, gzip-compressed when the handle says so.
 * \p settings ("name=value&...") are added to the URL.  The response body
 * is appended to \p response (may be NULL).
 * @returns res->ok
 */
extern bool ch_http_query(SinkChHttp *http, const char *sql,
						  const char *settings, const char *body, size_t len,
						  ChBuf *response, ChHttpResult *res);

/**
 * @brief Run \p sql with one external table \p name (ClickHouse's
 * "external data": structure and JSONEachRow rows sent as a multipart
 * form).
 * @returns res->ok
 */
extern bool ch_http_query_external(SinkChHttp *http, const char *sql,
								   const char *settings, const char *name,
								   const char *structure, const char *data,
								   size_t len, ChBuf *response,
								   ChHttpResult *res);

/** @brief The URL without any user:password part, for messages. */
extern const char *ch_http_display_url(SinkChHttp *http);

#endif							/* SINK_CH_HTTP_H */
