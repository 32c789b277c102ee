/* An attempt's request, built and signed, or copied from the client's memo
 * of the last one (sls_memo in client.h). Above the client, below the
 * call: it knows what a call asks for and what it sent, not the call. */
#ifndef SLS_ATTEMPT_H
#define SLS_ATTEMPT_H

#include <time.h>

#include "request.h"

struct sls_client;

/* Builds and signs the request for ask at now (skew applied) into the
 * client's scratch, which libcurl sends, and its bytes into out, which
 * cosockets send; the client's memo of the same request in the same second
 * is copied instead. 1; 0 out of memory; -1 a clock outside 1970..9999. */
int sls_attempt_build(struct sls_client *c, const sls_ask *ask, sls_sent *out, time_t now);

#endif
