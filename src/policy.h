/* How an attempt ended, and what to do about it: retry after N ms, or give
 * up. Pure (no clock, no randomness of its own, no I/O), shared by both
 * transports, so they retry alike; spec/c/policy.c tests it alone. */
#ifndef SLS_POLICY_H
#define SLS_POLICY_H

#include <stdint.h>
#include <time.h>

#include "limits.h"

typedef struct sls_outcome {
	char   code[96];
	char   message[SLS_TEXT_MAX + 1];
	char   request_id[96];
	long   status;            /* HTTP status; 0 when no answer came */
	int    retryable;
	long   retry_after;       /* seconds from Retry-After, -1 when none */
	int    have_date;
	time_t server_date;       /* the answer's Date header */
} sls_outcome;

/* Clears o to "no answer yet". */
void sls_outcome_clear(sls_outcome *o);
/* A failure with a code of the module's own (no HTTP answer, or one that
 * is not SLS's). The message is copied as given: callers pass own text or
 * text cleaned by sls_text_clean. */
void sls_outcome_local(sls_outcome *o, const char *code, const char *message);
/* Whether a failure without an HTTP answer (a transport code) is worth
 * another attempt: all but TLSError, ResponseTooLarge, OutOfMemory,
 * NoCredentials, ClientClosed and BadRequest. */
int  sls_transport_retryable(const char *code);

typedef struct sls_decision {
	long      wait_ms;        /* before the next attempt; -1: give up */
	int       learn_skew;     /* adopt skew as the client's clock offset */
	long long skew;           /* server clock minus ours, seconds */
} sls_decision;

/* After attempt number `attempt` (from 1) failed with o. now is the local
 * clock, random 32 random bits for the jitter, skew_fixed whether this call
 * already learnt the clock offset. A RequestTimeExpired with a Date header
 * is retried at once, once per call, with the offset learnt from it (when
 * it is within SLS_SKEW_MAX_S; else the failure stands). Other
 * retryable failures wait full jitter over an exponential ceiling
 * (SLS_BACKOFF_BASE_MS doubling up to SLS_BACKOFF_CAP_MS), or the server's
 * Retry-After up to SLS_RETRY_AFTER_CAP_S. */
sls_decision sls_policy_next(const sls_outcome *o, int attempt, int max_attempts,
                             int skew_fixed, time_t now, uint32_t random);

#endif
