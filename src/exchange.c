#include "exchange.h"

#include <stdio.h>
#include <string.h>

void sls_exchange_start(sls_exchange *x, int https, long long deadline)
{
	sls_httpp_reset(&x->answer, 0);
	x->deadline = deadline;
	x->https = https;
	x->reused = 0;
	x->fresh = 0;
	x->code = NULL;
	x->message[0] = '\0';
}

void sls_exchange_resend(sls_exchange *x)
{
	sls_httpp_reset(&x->answer, 0);
	x->reused = 0;
	x->fresh = 1;
	x->code = NULL;
	x->message[0] = '\0';
}

void sls_exchange_free(sls_exchange *x)
{
	sls_httpp_free(&x->answer);
}

/* Time left, at least 1 ms: a socket operation given 1 ms after the
 * deadline times out at once, and reports "timeout" like any other. */
static long left(const sls_exchange *x, long long now)
{
	long long ms = x->deadline - now;
	return ms < 1 ? 1 : (long)ms;
}

long sls_exchange_connect_ms(const sls_exchange *x, long connect_timeout, long long now)
{
	long ms = left(x, now);
	return connect_timeout < ms ? connect_timeout : ms;
}

static int failed(sls_exchange *x, const char *code, const char *what, const char *err)
{
	x->code = code;
	snprintf(x->message, sizeof x->message, "%s%s%s", what, err ? ": " : "", err ? err : "");
	return SLS_NEXT_CLOSE;
}

/* The module's code for a cosocket error text (lua-nginx-module's own
 * words: "timeout", "closed", "... could not be resolved ...", "no
 * resolver defined ..."). The same codes libcurl's failures get (http.c). */
static const char *code_of(const char *err, const char *dflt)
{
	if (err == NULL)
		return dflt;
	if (strcmp(err, "timeout") == 0)
		return "Timeout";
	if (strstr(err, "could not be resolved") != NULL || strstr(err, "no resolver") != NULL ||
	    strstr(err, "failed to parse host name") != NULL)
		return "ResolveFailed";
	return dflt;
}

int sls_exchange_next(sls_exchange *x, int io, int ok, const char *data, size_t n,
                      const char *err, int reused, long long now, size_t *want, long *ms)
{
	int r;

	*want = 0;
	*ms = left(x, now);
	switch (io) {
	case SLS_IO_CONNECT:
		if (!ok)
			return failed(x, code_of(err, "ConnectFailed"), "connecting", err);
		if (now >= x->deadline)
			return failed(x, "Timeout", "no time left after connecting", NULL);
		x->reused = reused > 0;
		return x->https && !x->reused ? SLS_NEXT_HANDSHAKE : SLS_NEXT_SEND;
	case SLS_IO_HANDSHAKE:
		if (!ok)
			return failed(x, code_of(err, "TLSError"), "the TLS handshake", err);
		if (now >= x->deadline)
			return failed(x, "Timeout", "no time left after the TLS handshake", NULL);
		return SLS_NEXT_SEND;
	case SLS_IO_SEND:
		if (!ok) {
			if (x->reused && !x->fresh)
				return SLS_NEXT_RESEND;
			return failed(x, code_of(err, "NetworkError"), "sending the request", err);
		}
		*want = sls_httpp_want(&x->answer);
		return SLS_NEXT_READ;
	case SLS_IO_READ:
		if (ok) {
			r = sls_httpp_feed(&x->answer, data, n, NULL);
			if (r == SLS_HTTPP_MORE) {
				/* A server trickling bytes must not outlive the deadline. */
				if (now >= x->deadline)
					return failed(x, "Timeout", "the answer did not arrive within "
					              "the timeout", NULL);
				*want = sls_httpp_want(&x->answer);
				return SLS_NEXT_READ;
			}
		} else if (err != NULL && strcmp(err, "closed") == 0) {
			/* A kept-alive connection the server closed before answering. */
			if (!sls_httpp_started(&x->answer) && x->reused && !x->fresh)
				return SLS_NEXT_RESEND;
			r = sls_httpp_eof(&x->answer);
		} else {
			return failed(x, code_of(err, "NetworkError"), "reading the answer", err);
		}
		if (r == SLS_HTTPP_ERROR)
			return failed(x, x->answer.code, x->answer.why, NULL);
		return x->answer.keep_alive && !x->fresh ? SLS_NEXT_KEEPALIVE : SLS_NEXT_CLOSE;
	default:
		return failed(x, "BadRequest", "an unknown socket operation", NULL);
	}
}
