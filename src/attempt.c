/* An attempt's request: built and signed into the client's scratch (which
 * libcurl sends), its bytes copied into the call (which cosockets send),
 * and kept as the client's memo for the second it was signed in. Within
 * that second, with the same keys and options, a request is the same
 * bytes: the memo is copied instead of building and signing again. */
#include "attempt.h"

#include <stdio.h>
#include <string.h>

#include "client.h"

/* Whether the client's last request (c->memo) is the one k would build
 * at now: signed for the same second, with the same keys, for the same
 * action and options (a ticket to refresh is never kept). */
static int memo_fits(const sls_client *c, const sls_call *k, time_t now)
{
	const sls_memo *m = &c->memo;

	return m->valid && k->ticket == NULL && m->signed_at == now &&
	       m->creds_gen == c->creds.gen && m->action == k->action &&
	       m->has_exp == k->has_exp && m->exp == k->exp &&
	       m->has_at == k->has_at && m->at == k->at;
}

/* k's request, just built, kept as the client's memo. */
static void memo_keep(sls_client *c, const sls_call *k, time_t now)
{
	sls_memo *m = &c->memo;

	sls_buf_clear(&m->raw);
	sls_buf_add(&m->raw, k->raw.data, k->raw.len);
	m->action = k->action;
	m->has_exp = k->has_exp;
	m->exp = k->exp;
	m->has_at = k->has_at;
	m->at = k->at;
	m->signed_at = now;
	m->creds_gen = c->creds.gen;
	m->token_at = k->token_at;
	m->token_len = k->token_len;
	m->sig_at = k->sig_at;
	m->sig_len = k->sig_len;
	m->valid = !m->raw.oom;
}

int sls_attempt_build(sls_client *c, sls_call *k, time_t now)
{
	size_t value_at[SLS_MAX_HEADERS], i;
	sls_signer s;
	sls_creds cr;
	char num[24];
	int r;

	if (memo_fits(c, k, now)) {
		sls_buf_clear(&k->raw);
		sls_buf_add(&k->raw, c->memo.raw.data, c->memo.raw.len);
		k->token_at = c->memo.token_at;
		k->token_len = c->memo.token_len;
		k->sig_at = c->memo.sig_at;
		k->sig_len = c->memo.sig_len;
		return k->raw.oom ? 0 : 1;
	}
	c->memo.valid = 0;                    /* c->req is about to change */
	sls_request_reset(&c->req, k->action == SLS_ACTION_TICKET ? "/tickets"
	                                                         : "/token/refresh");
	if (k->has_at) {
		snprintf(num, sizeof num, "%lld", k->at);
		sls_request_query(&c->req, "accessTokenExpirationTime", num, strlen(num));
	}
	if (k->has_exp) {
		snprintf(num, sizeof num, "%lld", k->exp);
		sls_request_query(&c->req, "expirationTime", num, strlen(num));
	}
	if (k->ticket != NULL)
		sls_request_query(&c->req, "ticket", k->ticket, k->ticket_len);
	s.endpoint = &c->cfg.endpoint;
	s.version = c->cfg.version;
	s.region = c->cfg.region;
	s.user_agent = c->cfg.user_agent;
	s.ctx = &c->sign;
	cr.access_key_id = c->creds.id;
	cr.secret = c->creds.secret;
	cr.secret_len = c->creds.secret_len;
	cr.security_token = c->creds.token;
	r = sls_request_sign(&c->req, &s, &cr, now);
	if (r != 1)
		return r;
	sls_request_raw(&c->req, sls_buf_str(&c->req.url) + strlen(c->cfg.endpoint.url_base),
	                &k->raw, value_at);
	if (k->raw.oom)
		return 0;
	/* What the server may echo and err must not show: where the token and
	 * the signature (after the last ':' for v1, "Signature=" for v4) are. */
	k->token_len = k->sig_len = 0;
	for (i = 0; i < c->req.nheaders; i++) {
		const char *key = c->req.headers[i].key, *v = c->req.headers[i].value;
		if (strcmp(key, "x-acs-security-token") == 0) {
			k->token_at = value_at[i];
			k->token_len = strlen(v);
		} else if (strcmp(key, "authorization") == 0) {
			const char *sig = c->cfg.version == 4 ? strstr(v, "Signature=") : strrchr(v, ':');
			if (sig != NULL) {
				sig += c->cfg.version == 4 ? 10 : 1;
				k->sig_at = value_at[i] + (size_t)(sig - v);
				k->sig_len = strlen(sig);
			}
		}
	}
	if (k->ticket == NULL)
		memo_keep(c, k, now);
	return 1;
}
