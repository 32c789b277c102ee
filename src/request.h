/* Building a signed SLS request: query, URL and headers, exactly as the
 * official SDK sends them. Pure: the clock is passed in. */
#ifndef SLS_REQUEST_H
#define SLS_REQUEST_H

#include <time.h>

#include "buf.h"
#include "endpoint.h"
#include "sign.h"

typedef struct sls_creds {
	const char *access_key_id;
	const char *secret;
	size_t      secret_len;
	const char *security_token;   /* NULL or "" when none */
} sls_creds;

typedef struct sls_signer {
	const sls_endpoint *endpoint;
	int                 version;      /* 1 or 4 */
	const char         *region;       /* v4 */
	const char         *user_agent;
	sls_sign_ctx       *ctx;          /* the client's signing state */
} sls_signer;

enum { SLS_ACTION_TICKET, SLS_ACTION_REFRESH };

/* What a call asks for: the action and its options, checked (call.c). */
typedef struct sls_ask {
	int         action;       /* SLS_ACTION_* */
	int         has_exp, has_at;
	long long   exp, at;
	const char *ticket;       /* refresh_token's, or NULL */
	size_t      ticket_len;
} sls_ask;

/* A request as sent, and where in it the security token and the signature
 * are: what an answer may echo and err must not show. */
typedef struct sls_sent {
	sls_buf raw;              /* wiped */
	size_t  token_at, token_len;
	size_t  sig_at, sig_len;
} sls_sent;

typedef struct sls_request {
	const char *path;
	sls_kv      query[SLS_MAX_QUERY];
	size_t      nquery;
	size_t      query_at[SLS_MAX_QUERY];
	sls_kv      headers[SLS_MAX_HEADERS];
	size_t      nheaders;
	char        date[32];
	sls_buf     values;    /* query values, each NUL-terminated, see sls_request_query */
	sls_buf     url;
	sls_buf     auth;
	sls_buf     scratch;
} sls_request;

/* Starts a request for path; keeps the buffers' memory. */
void sls_request_reset(sls_request *r, const char *path);
/* Adds a query parameter; the value is copied. */
void sls_request_query(sls_request *r, const char *key, const char *value, size_t n);
/* Fills url, headers and the authorization for a POST with an empty body.
 * Returns 1, 0 on allocation failure, -1 when `now` is outside the years
 * 1970 to 9999. */
int  sls_request_sign(sls_request *r, const sls_signer *s, const sls_creds *c,
                      time_t now);
/* The request head as it goes on the wire (for the cosocket transport):
 * "POST <path> HTTP/1.1", the signed headers, content-length: 0. out is
 * cleared first; it holds the security token, so wipe it after use. With
 * value_at (room for nheaders), where each header's value starts in out. */
void sls_request_raw(const sls_request *r, const char *path, sls_buf *out,
                     size_t *value_at);
void sls_request_free(sls_request *r);

#endif
