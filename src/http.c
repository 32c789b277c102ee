#include "http.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int sls_http_global_init(void)
{
	pthread_once(&global_once, global_init);
	return global_rc == CURLE_OK;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	sls_http *h = ud;

	/* 0 ends the transfer (CURLE_WRITE_ERROR); the reader says why. */
	return sls_httpp_body(h->answer, p, size * n) == SLS_HTTPP_ERROR ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	sls_http *h = ud;

	/* libcurl hands over each line of every answer, interim 1xx ones and
	 * a proxy's CONNECT answer too: the reader skips what is not final. */
	return sls_httpp_feed(h->answer, p, size * n, NULL) == SLS_HTTPP_ERROR ? 0 : size * n;
}

#define SETOPT(opt, val) \
	do { if (curl_easy_setopt(h->curl, (opt), (val)) != CURLE_OK) return #opt; } while (0)

const char *sls_http_open(sls_http *h, const sls_http_opts *o)
{
	if (!sls_http_global_init())
		return "curl_global_init failed";
	h->curl = curl_easy_init();
	if (h->curl == NULL)
		return "curl_easy_init failed";
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, h->error);
#if LIBCURL_VERSION_NUM >= 0x075500
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	/* HTTP/1.1, as the cosocket transport speaks: libcurl with nghttp2
	 * would offer h2 over TLS, whose answers the shared reader refuses. */
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
#if LIBCURL_VERSION_NUM >= 0x073600
	/* A proxy's CONNECT answer is not SLS's. */
	SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
#endif
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, o->timeout_ms);
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SLS_BODY_MAX);
	SETOPT(CURLOPT_SSL_VERIFYPEER, o->ssl_verify ? 1L : 0L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, o->ssl_verify ? 2L : 0L);
	if (o->ca_file != NULL)
		SETOPT(CURLOPT_CAINFO, o->ca_file);
	if (o->ca_path != NULL)
		SETOPT(CURLOPT_CAPATH, o->ca_path);
	if (o->proxy != NULL)
		SETOPT(CURLOPT_PROXY, o->proxy);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, h);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, h);
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_POSTFIELDS, "");
	SETOPT(CURLOPT_POSTFIELDSIZE, 0L);
	return NULL;
}

void sls_http_close(sls_http *h)
{
	if (h->curl != NULL) {
		curl_easy_cleanup(h->curl);
		h->curl = NULL;
	}
	sls_buf_wipe(&h->lines);     /* held the security token */
	sls_buf_free(&h->url);
}

/* Builds h->nodes from headers plus the fixed lines in extra ("Name:" with
 * no value removes a header libcurl would add). NULL when out of memory or
 * when there are more headers than nodes. */
static struct curl_slist *header_list(sls_http *h, const sls_kv *headers, size_t n,
                                      const char *const extra[], size_t nextra)
{
	size_t start[SLS_MAX_HEADERS + 2], i;

	if (n + nextra > SLS_MAX_HEADERS + 2)
		return NULL;
	sls_buf_clear(&h->lines);
	for (i = 0; i < n + nextra; i++) {
		start[i] = h->lines.len;
		if (i < n) {
			sls_buf_adds(&h->lines, headers[i].key);
			sls_buf_adds(&h->lines, ": ");
			sls_buf_adds(&h->lines, headers[i].value);
		} else {
			sls_buf_adds(&h->lines, extra[i - n]);
		}
		sls_buf_addc(&h->lines, '\0');
	}
	if (h->lines.oom)
		return NULL;
	/* Pointers only now: the buffer may have moved while it grew. */
	for (i = 0; i < n + nextra; i++) {
		h->nodes[i].data = h->lines.data + start[i];
		h->nodes[i].next = i + 1 < n + nextra ? &h->nodes[i + 1] : NULL;
	}
	return n + nextra > 0 ? h->nodes : NULL;
}

void sls_http_post(sls_http *h, const char *url, const sls_kv *headers,
                   size_t nheaders, sls_httpp *answer, sls_http_result *res)
{
	/* An empty value after the colon removes a header libcurl would add:
	 * a Content-Type the signature does not cover, and Expect. */
	static const char *const removed[] = { "Content-Type:", "Expect:" };
	struct curl_slist *list;

	sls_httpp_reset(answer, 1);
	h->answer = answer;
	h->error[0] = '\0';
	res->status = 0;
	res->error = h->error;

	list = header_list(h, headers, nheaders, removed, 2);
	/* libcurl parses a URL when it is set: most calls repeat the last one. */
	if (list != NULL && (h->url.len == 0 || strcmp(h->url.data, url) != 0)) {
		sls_buf_reset(&h->url);
		sls_buf_adds(&h->url, url);
		if (h->url.oom || curl_easy_setopt(h->curl, CURLOPT_URL, url) != CURLE_OK)
			sls_buf_reset(&h->url);  /* h->url.len == 0: fails below */
	}
	if (list == NULL || h->url.len == 0 ||
	    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, list) != CURLE_OK) {
		res->code = CURLE_OUT_OF_MEMORY;
	} else {
		res->code = curl_easy_perform(h->curl);
		if (res->code == CURLE_OUT_OF_MEMORY && sls_httpp_curl_refused(answer))
			res->code = CURLE_WRITE_ERROR;
		if (res->code == CURLE_OK && sls_httpp_eof(answer) != SLS_HTTPP_DONE)
			res->code = CURLE_WRITE_ERROR;
		if (res->code == CURLE_OK)
			res->status = answer->status;
	}
	h->answer = NULL;
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	sls_buf_clear(&h->lines);
}

CURLcode sls_http_fetch(const char *method, const char *url, const sls_kv *headers,
                        size_t nheaders, const char *body, size_t body_len,
                        long timeout_ms, sls_httpp *answer, char *err)
{
	static const char *const fixed[] = { "Expect:", "Accept: application/json" };
	sls_http h;
	struct curl_slist *list;
	sls_http_opts o;
	const char *why;
	CURLcode rc = CURLE_OUT_OF_MEMORY;

	memset(&h, 0, sizeof h);
	memset(&o, 0, sizeof o);
	o.connect_timeout_ms = timeout_ms;
	o.timeout_ms = timeout_ms;
	o.ssl_verify = 1;
	err[0] = '\0';
	sls_httpp_reset(answer, 1);
	h.answer = answer;
	why = sls_http_open(&h, &o);
	if (why != NULL) {
		snprintf(err, CURL_ERROR_SIZE, "%s", why);
		sls_http_close(&h);
		return CURLE_FAILED_INIT;
	}
	list = header_list(&h, headers, nheaders, fixed, 2);
	if (list == NULL || curl_easy_setopt(h.curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, list) != CURLE_OK) {
		snprintf(err, CURL_ERROR_SIZE, "could not set up the request");
		goto done;
	}
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h.curl, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h.curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h.curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(h.curl, CURLOPT_CUSTOMREQUEST, method);
	}
	rc = curl_easy_perform(h.curl);
	if (rc == CURLE_OUT_OF_MEMORY && sls_httpp_curl_refused(answer))
		rc = CURLE_WRITE_ERROR;
	if (rc == CURLE_OK && sls_httpp_eof(answer) != SLS_HTTPP_DONE)
		rc = CURLE_WRITE_ERROR;
	if (rc != CURLE_OK)
		snprintf(err, CURL_ERROR_SIZE, "%s", answer->why ? answer->why
		         : h.error[0] ? h.error : curl_easy_strerror(rc));
done:
	curl_easy_setopt(h.curl, CURLOPT_HTTPHEADER, NULL);
	sls_http_close(&h);
	return rc;
}

const char *sls_http_code_name(const sls_httpp *answer, CURLcode code)
{
	if (code != CURLE_OK && answer != NULL && answer->code != NULL)
		return answer->code;
	switch (code) {
	case CURLE_OK:
		return NULL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return "ResolveFailed";
	case CURLE_COULDNT_CONNECT:
		return "ConnectFailed";
	case CURLE_OPERATION_TIMEDOUT:
		return "Timeout";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return "TLSError";
	case CURLE_FILESIZE_EXCEEDED:
		return "ResponseTooLarge";
	case CURLE_WRITE_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return "BadResponse";
	case CURLE_OUT_OF_MEMORY:
		return "OutOfMemory";
	default:
		return "NetworkError";
	}
}
