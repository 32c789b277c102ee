/* An attempt's request: built and signed into the client's scratch (which
 * libcurl sends), its bytes copied into the call (which cosockets send),
 * and kept as the client's memo for the second it was signed in. Within
 * that second, with the same keys and options, a request is the same
 * bytes: the memo is copied instead of building and signing again. */
#include "attempt.h"

#include <stdio.h>
#include <string.h>

#include "client.h"

/* Whether the client's last request (its memo) is the one ask would build
 * at now: signed for the same second, with the same keys, for the same
 * action and options (a ticket to refresh is never kept). */
static int memo_fits(const sls_client *c, const sls_ask *ask, time_t now)
{
	const sls_memo *m = &c->memo;

	return m->valid && ask->ticket == NULL && m->signed_at == now &&
	       m->creds_gen == c->creds.gen && m->ask.action == ask->action &&
	       m->ask.has_exp == ask->has_exp && m->ask.exp == ask->exp &&
	       m->ask.has_at == ask->has_at && m->ask.at == ask->at;
}

/* A sent request's bytes and where its secrets are, copied into to. */
static void copy_sent(sls_sent *to, const sls_sent *from)
{
	sls_buf_clear(&to->raw);
	sls_buf_add(&to->raw, from->raw.data, from->raw.len);
	to->token_at = from->token_at;
	to->token_len = from->token_len;
	to->sig_at = from->sig_at;
	to->sig_len = from->sig_len;
}

int sls_attempt_build(sls_client *c, const sls_ask *ask, sls_sent *out, time_t now)
{
	size_t value_at[SLS_MAX_HEADERS], i;
	sls_signer s;
	sls_creds cr;
	char num[24];
	int r;

	if (memo_fits(c, ask, now)) {
		copy_sent(out, &c->memo.sent);
		return out->raw.oom ? 0 : 1;
	}
	c->memo.valid = 0;                    /* c->req is about to change */
	sls_request_reset(&c->req, ask->action == SLS_ACTION_TICKET ? "/tickets"
	                                                            : "/token/refresh");
	if (ask->has_at) {
		snprintf(num, sizeof num, "%lld", ask->at);
		sls_request_query(&c->req, "accessTokenExpirationTime", num, strlen(num));
	}
	if (ask->has_exp) {
		snprintf(num, sizeof num, "%lld", ask->exp);
		sls_request_query(&c->req, "expirationTime", num, strlen(num));
	}
	if (ask->ticket != NULL)
		sls_request_query(&c->req, "ticket", ask->ticket, ask->ticket_len);
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
	                &out->raw, value_at);
	if (out->raw.oom)
		return 0;
	/* What the server may echo and err must not show: where the token and
	 * the signature (after the last ':' for v1, "Signature=" for v4) are. */
	out->token_len = out->sig_len = 0;
	for (i = 0; i < c->req.nheaders; i++) {
		const char *key = c->req.headers[i].key, *v = c->req.headers[i].value;
		if (strcmp(key, "x-acs-security-token") == 0) {
			out->token_at = value_at[i];
			out->token_len = strlen(v);
		} else if (strcmp(key, "authorization") == 0) {
			const char *sig = c->cfg.version == 4 ? strstr(v, "Signature=") : strrchr(v, ':');
			if (sig != NULL) {
				sig += c->cfg.version == 4 ? 10 : 1;
				out->sig_at = value_at[i] + (size_t)(sig - v);
				out->sig_len = strlen(sig);
			}
		}
	}
	if (ask->ticket == NULL) {           /* kept as the client's memo */
		copy_sent(&c->memo.sent, out);
		c->memo.ask = *ask;
		c->memo.signed_at = now;
		c->memo.creds_gen = c->creds.gen;
		c->memo.valid = !c->memo.sent.raw.oom;
	}
	return 1;
}
