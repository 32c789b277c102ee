/* Reading an SLS answer: retry classification, HTML, Retry-After. Pure. */
#ifndef SLS_RESPONSE_H
#define SLS_RESPONSE_H

#include <stddef.h>

typedef struct sls_span {
	const char *p;
	size_t      n;
} sls_span;

/* Whether a server answer is worth another attempt: 5xx, 429, ServerBusy,
 * InternalServerError and the quota / throttling family. */
int sls_retryable_status(long status, const char *code);
/* Whether a body starts like an HTML page (a proxy's error page). */
int sls_looks_like_html(const char *body, size_t n);
/* A Retry-After value as delta seconds; -1 when not a small integer. */
long sls_retry_after(sls_span value);

#endif
