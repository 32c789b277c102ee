/* An attempt's request, built and signed, or copied from the client's memo
 * of the last one (sls_memo in client.h). */
#ifndef SLS_ATTEMPT_H
#define SLS_ATTEMPT_H

#include <time.h>

#include "call.h"

struct sls_client;

/* Builds and signs call k's request at now (skew applied) into the
 * client's scratch, and copies its bytes into k->raw with where the
 * security token and the signature are; the client's memo of the same
 * request in the same second is copied instead. 1; 0 out of memory; -1 a
 * clock outside 1970..9999. */
int sls_attempt_build(struct sls_client *c, sls_call *k, time_t now);

#endif
