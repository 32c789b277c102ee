/* One request/answer exchange over a socket someone else drives: the
 * decisions of the cosocket transport (sls/ngx.lua), pure. After each
 * socket operation the driver reports how it went, and the exchange says
 * what to do next and with how much time: the attempt's deadline bounds
 * every operation, the answer goes through the shared HTTP reader (caps,
 * 1xx), failures get the module's codes, and a kept-alive connection the
 * server closed meanwhile is retried once on a new one. */
#ifndef SLS_EXCHANGE_H
#define SLS_EXCHANGE_H

#include "httpparse.h"

/* What the driver did. */
enum { SLS_IO_CONNECT, SLS_IO_HANDSHAKE, SLS_IO_SEND, SLS_IO_READ };
/* What it does next. */
enum {
	SLS_NEXT_HANDSHAKE,   /* TLS handshake, within ms */
	SLS_NEXT_SEND,        /* send the request, within ms */
	SLS_NEXT_READ,        /* read up to want bytes, within ms */
	SLS_NEXT_KEEPALIVE,   /* done: put the connection back in its pool */
	SLS_NEXT_CLOSE,       /* done (answer or failure): close it */
	SLS_NEXT_RESEND       /* close it, and start over on a new connection */
};

typedef struct sls_exchange {
	sls_httpp   answer;
	long long   deadline;     /* monotonic ms */
	int         https;
	int         reused;       /* the connection came from the pool */
	int         fresh;        /* this is the one resend: no pool */
	const char *code;         /* on failure: the module's code, else NULL */
	char        message[160];
} sls_exchange;

/* Starts an exchange that must end by deadline (monotonic ms). */
void sls_exchange_start(sls_exchange *x, int https, long long deadline);
/* After operation io: ok says whether it worked, data/n what a read got,
 * err the socket's error text, reused (after connect) the connection's
 * reuse count. Returns SLS_NEXT_*, with *want bytes to read and *ms the
 * time left for the next operation; now is the monotonic clock in ms. */
int  sls_exchange_next(sls_exchange *x, int io, int ok, const char *data, size_t n,
                       const char *err, int reused, long long now, size_t *want, long *ms);
/* After SLS_NEXT_RESEND: the same exchange again on a new connection. */
void sls_exchange_resend(sls_exchange *x);
/* The connect timeout to use, within the deadline. */
long sls_exchange_connect_ms(const sls_exchange *x, long connect_timeout, long long now);
void sls_exchange_free(sls_exchange *x);

#endif
