#include "request.h"

#include "date.h"

#include <stdlib.h>
#include <string.h>

void sls_request_reset(sls_request *r, const char *path)
{
	r->path = path;
	r->nquery = 0;
	r->nheaders = 0;
	r->date[0] = '\0';
	sls_buf_reset(&r->values);
	sls_buf_reset(&r->url);
	sls_buf_reset(&r->auth);
	sls_buf_reset(&r->scratch);
}

void sls_request_query(sls_request *r, const char *key, const char *value, size_t n)
{
	if (r->nquery == SLS_MAX_QUERY) {
		r->values.oom = 1;
		return;
	}
	r->query[r->nquery].key = key;
	/* An offset for now: `values` may move while it grows. */
	r->query_at[r->nquery] = r->values.len;
	r->query[r->nquery].value = NULL;
	r->nquery++;
	sls_buf_add(&r->values, value, n);
	sls_buf_add(&r->values, "", 1);
}

static void add_header(sls_request *r, const char *name, const char *value)
{
	r->headers[r->nheaders].key = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
}

static int cmp_query(const void *a, const void *b)
{
	return strcmp(((const sls_kv *)a)->key, ((const sls_kv *)b)->key);
}

int sls_request_sign(sls_request *r, const sls_signer *s, const sls_creds *c,
                     time_t now)
{
	sls_sign_input in;
	size_t i;
	int ok;

	if (r->values.oom)
		return 0;
	for (i = 0; i < r->nquery; i++)
		r->query[i].value = r->values.data + r->query_at[i];
	/* Sorted on the wire too, so the URL is deterministic. */
	qsort(r->query, r->nquery, sizeof r->query[0], cmp_query);

	sls_buf_adds(&r->url, s->endpoint->url_base);
	sls_buf_adds(&r->url, r->path);
	for (i = 0; i < r->nquery; i++) {
		sls_buf_addc(&r->url, i == 0 ? '?' : '&');
		sls_buf_addpct(&r->url, r->query[i].key, strlen(r->query[i].key));
		sls_buf_addc(&r->url, '=');
		sls_buf_addpct(&r->url, r->query[i].value, strlen(r->query[i].value));
	}

	add_header(r, "accept", "application/json");
	add_header(r, "host", s->endpoint->host_header);
	add_header(r, "user-agent", s->user_agent);
	add_header(r, "x-log-apiversion", "0.6.0");
	add_header(r, "x-log-bodyrawsize", "0");
	if (c->security_token != NULL && c->security_token[0] != '\0')
		add_header(r, "x-acs-security-token", c->security_token);
	if (s->version == 4) {
		if (!sls_date_iso8601(now, r->date))
			return -1;
		add_header(r, "x-log-date", r->date);
		add_header(r, "x-log-content-sha256", SLS_EMPTY_SHA256);
	} else {
		add_header(r, "x-log-signaturemethod", "hmac-sha256");
		if (!sls_date_rfc1123(now, r->date))
			return -1;
		add_header(r, "date", r->date);
	}

	in.method = "POST";
	in.path = r->path;
	in.query = r->query;
	in.nquery = r->nquery;
	in.headers = r->headers;
	in.nheaders = r->nheaders;
	in.access_key_id = c->access_key_id;
	in.secret = c->secret;
	in.secret_len = c->secret_len;
	in.region = s->region;
	in.content_sha256 = SLS_EMPTY_SHA256;
	ok = s->version == 4 ? sls_sign_v4(&in, &r->auth, &r->scratch, s->ctx)
	                     : sls_sign_v1(&in, &r->auth, &r->scratch, s->ctx);
	if (!ok || r->url.oom)
		return 0;
	add_header(r, "authorization", r->auth.data);
	return 1;
}

void sls_request_raw(const sls_request *r, const char *path, sls_buf *out, size_t *value_at)
{
	size_t i, total = strlen(path) + 64;

	for (i = 0; i < r->nheaders; i++)
		total += strlen(r->headers[i].key) + strlen(r->headers[i].value) + 4;
	sls_buf_clear(out);
	sls_buf_reserve(out, total);          /* once: no copy of the bytes grown */
	sls_buf_adds(out, "POST ");
	sls_buf_adds(out, path);
	sls_buf_adds(out, " HTTP/1.1\r\n");
	for (i = 0; i < r->nheaders; i++) {
		sls_buf_adds(out, r->headers[i].key);
		sls_buf_adds(out, ": ");
		if (value_at != NULL)
			value_at[i] = out->len;
		sls_buf_adds(out, r->headers[i].value);
		sls_buf_adds(out, "\r\n");
	}
	sls_buf_adds(out, "content-length: 0\r\n\r\n");
}

void sls_request_free(sls_request *r)
{
	sls_buf_wipe(&r->values);
	sls_buf_wipe(&r->url);
	sls_buf_free(&r->auth);
	sls_buf_wipe(&r->scratch);  /* held the security token */
}
