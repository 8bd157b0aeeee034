/*-------------------------------------------------------------------------
 *
 * ch_http.c
 *	  ClickHouse's HTTP interface over libcurl, for the ClickHouse stage.
 *
 * One easy handle serves every request, so the connection is kept alive
 * between batches.  A request succeeded only if libcurl says so, the
 * status is 200, and no exception code came back (the
 * X-ClickHouse-Exception-Code header of current servers, or "Code: N" at
 * the start of the body, as 18.16 writes it).  SELECTs are sent with
 * wait_end_of_query=1 so that an error cannot hide behind a 200 sent
 * before the result was complete.
 *
 * Credentials go through CURLOPT_USERNAME/CURLOPT_PASSWORD (basic
 * authentication), never through a message.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/ch_http.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <zlib.h>

#include "ch_http.h"
#include "log.h"

/* connection set-up may take this long */
#define CONNECT_TIMEOUT_MS	10000L

struct SinkChHttp
{
	CURL	   *curl;
	struct curl_slist *plain_headers;	/* Expect: (no 100-continue wait) */
	struct curl_slist *gzip_headers;	/* the same and Content-Encoding: gzip */
	ChHttpOptions opts;
	char	   *base_url;		/* url with a trailing '/' */
	char	   *display_url;	/* without user:password@ */
	char		errbuf[CURL_ERROR_SIZE];	/* lives as long as the handle */
	ChBuf		url;			/* scratch: the request URL */
	ChBuf		zbody;			/* scratch: the compressed body */
	ChBuf		discard;		/* the response body when the caller wants none */
	ChBuf	   *response;		/* where the write callback appends */
	int			header_code;	/* X-ClickHouse-Exception-Code */
};

/* libcurl write callback: append to the current response buffer. */
static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	SinkChHttp *http = userdata;
	size_t		n = size * nmemb;

	ch_buf_append(http->response, ptr, n);
	return http->response->oom ? 0 : n;
}

/* libcurl header callback: catch the exception code header. */
static size_t
header_cb(char *buffer, size_t size, size_t nitems, void *userdata)
{
	SinkChHttp *http = userdata;
	size_t		n = size * nitems;
	static const char name[] = "X-ClickHouse-Exception-Code:";

	if (n > sizeof(name) && strncasecmp(buffer, name, sizeof(name) - 1) == 0)
		http->header_code = atoi(buffer + sizeof(name) - 1);
	return n;
}

/* The URL without user:password@. */
static char *
strip_userinfo(const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *at = strchr(host, '@');
	const char *slash = strchr(host, '/');
	char	   *out;

	if (at == NULL || (slash != NULL && at > slash))
		return strdup(url);
	out = malloc(strlen(url) + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, url, (size_t) (host - url));
	strcpy(out + (host - url), at + 1);
	return out;
}

/* Create the handle. */
SinkChHttp *
ch_http_new(const ChHttpOptions *opts)
{
	SinkChHttp *http = calloc(1, sizeof(*http));
	size_t		n;

	if (http == NULL)
		goto oom;
	http->opts = *opts;
	n = strlen(opts->url);
	http->base_url = malloc(n + 2);
	http->display_url = strip_userinfo(opts->url);
	if (http->base_url == NULL || http->display_url == NULL)
		goto oom;
	memcpy(http->base_url, opts->url, n + 1);
	if (n == 0 || opts->url[n - 1] != '/')
		strcat(http->base_url, "/");
	http->curl = curl_easy_init();
	if (http->curl == NULL)
		goto oom;
	http->plain_headers = curl_slist_append(NULL, "Expect:");
	http->gzip_headers = curl_slist_append(NULL, "Expect:");
	if (http->plain_headers == NULL || http->gzip_headers == NULL ||
		curl_slist_append(http->gzip_headers, "Content-Encoding: gzip") == NULL)
		goto oom;

	/* settings that hold for every request */
	curl_easy_setopt(http->curl, CURLOPT_ERRORBUFFER, http->errbuf);
	curl_easy_setopt(http->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(http->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(http->curl, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(http->curl, CURLOPT_TIMEOUT_MS, opts->timeout_ms);
	curl_easy_setopt(http->curl, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(http->curl, CURLOPT_WRITEDATA, http);
	curl_easy_setopt(http->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(http->curl, CURLOPT_HEADERDATA, http);
	curl_easy_setopt(http->curl, CURLOPT_USERAGENT, "wal2dbz-sink");
	if (opts->user && opts->user[0])
	{
		curl_easy_setopt(http->curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
		curl_easy_setopt(http->curl, CURLOPT_USERNAME, opts->user);
		curl_easy_setopt(http->curl, CURLOPT_PASSWORD,
						 opts->password ? opts->password : "");
	}
	if (opts->ca_location)
		curl_easy_setopt(http->curl, CURLOPT_CAINFO, opts->ca_location);
	if (opts->cert_location)
		curl_easy_setopt(http->curl, CURLOPT_SSLCERT, opts->cert_location);
	if (opts->key_location)
		curl_easy_setopt(http->curl, CURLOPT_SSLKEY, opts->key_location);
	if (opts->key_password)
		curl_easy_setopt(http->curl, CURLOPT_KEYPASSWD, opts->key_password);
	curl_easy_setopt(http->curl, CURLOPT_SSL_VERIFYPEER, opts->verify ? 1L : 0L);
	curl_easy_setopt(http->curl, CURLOPT_SSL_VERIFYHOST, opts->verify ? 2L : 0L);
	return http;

oom:
	sink_log_error("out of memory");
	ch_http_free(http);
	return NULL;
}

/* Free the handle. */
void
ch_http_free(SinkChHttp *http)
{
	if (http == NULL)
		return;
	if (http->curl)
		curl_easy_cleanup(http->curl);
	curl_slist_free_all(http->plain_headers);
	curl_slist_free_all(http->gzip_headers);
	free(http->base_url);
	free(http->display_url);
	ch_buf_free(&http->url);
	ch_buf_free(&http->zbody);
	ch_buf_free(&http->discard);
	free(http);
}

/* The URL for messages. */
const char *
ch_http_display_url(SinkChHttp *http)
{
	return http->display_url;
}

/* gzip len bytes into zbody. */
static bool
gzip_body(SinkChHttp *http, const char *body, size_t len)
{
	z_stream	zs;
	int			rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
					 Z_DEFAULT_STRATEGY) != Z_OK)
		return false;
	ch_buf_reset(&http->zbody);
	if (!ch_buf_reserve(&http->zbody, deflateBound(&zs, (uLong) len)))
	{
		deflateEnd(&zs);
		return false;
	}
	zs.next_in = (Bytef *) body;
	zs.avail_in = (uInt) len;
	zs.next_out = (Bytef *) http->zbody.data;
	zs.avail_out = (uInt) (http->zbody.cap - 1);
	rc = deflate(&zs, Z_FINISH);
	http->zbody.len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END;
}

/* Start the URL: base, settings, and the statement when given. */
static void
build_url(SinkChHttp *http, const char *sql, const char *settings)
{
	ch_buf_reset(&http->url);
	ch_buf_puts(&http->url, http->base_url);
	ch_buf_putc(&http->url, '?');
	if (settings && settings[0])
	{
		ch_buf_puts(&http->url, settings);
		ch_buf_putc(&http->url, '&');
	}
	if (sql)
	{
		char	   *esc = curl_easy_escape(http->curl, sql, 0);

		ch_buf_puts(&http->url, "query=");
		if (esc)
			ch_buf_puts(&http->url, esc);
		else
			http->url.oom = true;
		curl_free(esc);
	}
	ch_buf_cstr(&http->url);
}

/* The first line of a body, for messages. */
static void
first_line(const ChBuf *body, char *out, size_t outlen)
{
	size_t		n = 0;

	if (body->data)
		while (n < body->len && body->data[n] != '\n' && n + 1 < outlen)
			n++;
	memcpy(out, body->data ? body->data : "", n);
	out[n] = '\0';
}

/* Perform the prepared request and judge it. */
static bool
perform(SinkChHttp *http, ChBuf *response, ChHttpResult *res)
{
	CURLcode	rc;
	size_t		start;

	memset(res, 0, sizeof(*res));
	if (response == NULL)
	{
		ch_buf_reset(&http->discard);
		response = &http->discard;
	}
	start = response->len;
	http->response = response;
	http->header_code = 0;
	http->errbuf[0] = '\0';

	if (http->url.oom)
	{
		snprintf(res->message, sizeof(res->message), "out of memory");
		return false;
	}
	curl_easy_setopt(http->curl, CURLOPT_URL, http->url.data);
	rc = curl_easy_perform(http->curl);
	if (rc != CURLE_OK)
	{
		res->transport = rc != CURLE_WRITE_ERROR && rc != CURLE_OUT_OF_MEMORY;
		snprintf(res->message, sizeof(res->message), "%s",
				 http->errbuf[0] ? http->errbuf : curl_easy_strerror(rc));
		/* libcurl's text may end with a newline */
		res->message[strcspn(res->message, "\n")] = '\0';
		return false;
	}
	curl_easy_getinfo(http->curl, CURLINFO_RESPONSE_CODE, &res->status);
	res->code = http->header_code;
	if (res->status == 200 && res->code == 0)
	{
		res->ok = true;
		return true;
	}
	{
		ChBuf		body = *response;

		body.data = response->data ? response->data + start : NULL;
		body.len = response->len - start;
		first_line(&body, res->message, sizeof(res->message));
		if (res->code == 0 && strncmp(res->message, "Code: ", 6) == 0)
			res->code = atoi(res->message + 6);
	}
	/* a proxy or load balancer in between: try again later */
	if (res->status == 502 || res->status == 503 || res->status == 504)
		res->transport = true;
	return false;
}

/* Run a statement. */
bool
ch_http_query(SinkChHttp *http, const char *sql, const char *settings,
			  const char *body, size_t len, ChBuf *response,
			  ChHttpResult *res)
{
	/* the statement is the body, or goes in the URL before the data */
	build_url(http, body ? sql : NULL, settings);
	curl_easy_setopt(http->curl, CURLOPT_HTTPHEADER, http->plain_headers);
	if (body == NULL)
	{
		curl_easy_setopt(http->curl, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) strlen(sql));
		curl_easy_setopt(http->curl, CURLOPT_POSTFIELDS, sql);
	}
	else if (http->opts.gzip && len > 0 && gzip_body(http, body, len))
	{
		curl_easy_setopt(http->curl, CURLOPT_HTTPHEADER, http->gzip_headers);
		curl_easy_setopt(http->curl, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) http->zbody.len);
		curl_easy_setopt(http->curl, CURLOPT_POSTFIELDS, http->zbody.data);
	}
	else
	{
		curl_easy_setopt(http->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
		curl_easy_setopt(http->curl, CURLOPT_POSTFIELDS, body);
	}
	return perform(http, response, res);
}

/* Run a statement with one external table. */
bool
ch_http_query_external(SinkChHttp *http, const char *sql,
					   const char *settings, const char *name,
					   const char *structure, const char *data, size_t len,
					   ChBuf *response, ChHttpResult *res)
{
	curl_mime  *mime;
	curl_mimepart *part;
	char	   *esc_structure;
	bool		ok;
	ChBuf		extra;

	/* NAME_structure and NAME_format go in the URL */
	ch_buf_init(&extra);
	esc_structure = curl_easy_escape(http->curl, structure, 0);
	if (settings && settings[0])
	{
		ch_buf_puts(&extra, settings);
		ch_buf_putc(&extra, '&');
	}
	ch_buf_printf(&extra, "%s_structure=%s&%s_format=JSONEachRow", name,
				  esc_structure ? esc_structure : "", name);
	curl_free(esc_structure);
	build_url(http, sql, ch_buf_cstr(&extra));
	ch_buf_free(&extra);

	mime = curl_mime_init(http->curl);
	part = mime ? curl_mime_addpart(mime) : NULL;
	if (part == NULL)
	{
		curl_mime_free(mime);
		memset(res, 0, sizeof(*res));
		snprintf(res->message, sizeof(res->message), "out of memory");
		return false;
	}
	curl_mime_name(part, name);
	curl_mime_filename(part, name);
	curl_mime_data(part, data, len);
	curl_easy_setopt(http->curl, CURLOPT_HTTPHEADER, http->plain_headers);
	curl_easy_setopt(http->curl, CURLOPT_MIMEPOST, mime);
	ok = perform(http, response, res);
	/* back to plain POSTs: the next request sets POSTFIELDS */
	curl_easy_setopt(http->curl, CURLOPT_MIMEPOST, NULL);
	curl_mime_free(mime);
	return ok;
}
