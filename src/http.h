/* The libcurl transport: one easy handle per client, reused across calls so
 * the connection is kept alive. No lua_State here, so no Lua error can unwind
 * through a libcurl frame. */
#ifndef SLS_HTTP_H
#define SLS_HTTP_H

#include <curl/curl.h>

#include "buf.h"
#include "httpparse.h"
#include "kv.h"
#include "limits.h"

typedef struct sls_http_opts {
	long        connect_timeout_ms;
	long        timeout_ms;
	int         ssl_verify;
	const char *ca_file;   /* NULL: the system store */
	const char *ca_path;
	const char *proxy;     /* NULL: libcurl's environment handling */
} sls_http_opts;

typedef struct sls_http {
	CURL   *curl;
	sls_httpp *answer;     /* the reader of the transfer under way: libcurl's
	                        * header lines and body go through the same caps
	                        * as the cosocket transport's bytes */
	sls_buf lines;         /* the request's header lines, NUL-separated */
	/* libcurl walks a caller's list without copying it (CURLOPT_HTTPHEADER),
	 * so the nodes live here and point into `lines`: no allocation per
	 * header, and one buffer to wipe of the security token. */
	struct curl_slist nodes[SLS_MAX_HEADERS + 2];
	sls_buf url;           /* the URL the handle has: set again only on change */
	char    error[CURL_ERROR_SIZE];
} sls_http;

typedef struct sls_http_result {
	CURLcode code;
	long     status;       /* 0 when no response came */
	const char *error;     /* libcurl's text for a failure, or "" */
} sls_http_result;

/* curl_global_init, once per process, thread-safe. 0 on failure. */
int  sls_http_global_init(void);
/* Creates the handle and applies the options that hold for its lifetime.
 * Returns NULL, or why it failed. */
const char *sls_http_open(sls_http *h, const sls_http_opts *o);
void sls_http_close(sls_http *h);
/* POSTs an empty body to url with exactly the given headers; the answer
 * goes into `answer` (reset here). */
void sls_http_post(sls_http *h, const char *url, const sls_kv *headers,
                   size_t nheaders, sls_httpp *answer, sls_http_result *res);
/* One request on a handle of its own, for credential providers (IMDS, STS,
 * a credentials URI): method, url, headers, body; the answer into answer.
 * Blocking, bounded by timeout_ms. Returns CURLE_OK, or the failure with
 * its text in err (CURL_ERROR_SIZE bytes). */
CURLcode sls_http_fetch(const char *method, const char *url, const sls_kv *headers,
                        size_t nheaders, const char *body, size_t body_len,
                        long timeout_ms, sls_httpp *answer, char *err);
/* The module's code for a failed transfer: the reader's when it refused
 * the answer, else the one for libcurl's code (the cosocket transport's
 * failures get the same codes, exchange.c). */
const char *sls_http_code_name(const sls_httpp *answer, CURLcode code);

#endif
