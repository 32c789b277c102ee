#include "policy.h"

#include <stdio.h>
#include <string.h>

void sls_outcome_clear(sls_outcome *o)
{
	memset(o, 0, sizeof *o);
	o->retry_after = -1;
}

void sls_outcome_local(sls_outcome *o, const char *code, const char *message)
{
	sls_outcome_clear(o);
	snprintf(o->code, sizeof o->code, "%s", code);
	snprintf(o->message, sizeof o->message, "%s", message);
	o->retryable = sls_transport_retryable(code);
}

/* A broken or cut answer (BadResponse) and every network failure are worth
 * another attempt; what another attempt would meet again is not. */
int sls_transport_retryable(const char *code)
{
	static const char *const final[] = {
		"TLSError", "ResponseTooLarge", "OutOfMemory", "NoCredentials",
		"ClientClosed", "BadRequest", NULL
	};
	size_t i;

	for (i = 0; final[i] != NULL; i++)
		if (strcmp(code, final[i]) == 0)
			return 0;
	return 1;
}

sls_decision sls_policy_next(const sls_outcome *o, int attempt, int max_attempts,
                             int skew_fixed, time_t now, uint32_t random)
{
	sls_decision d;
	long ceiling;

	d.wait_ms = -1;
	d.learn_skew = 0;
	d.skew = 0;
	if (strcmp(o->code, "RequestTimeExpired") == 0 && o->have_date && !skew_fixed &&
	    (long long)o->server_date - (long long)now <= SLS_SKEW_MAX_S &&
	    (long long)now - (long long)o->server_date <= SLS_SKEW_MAX_S) {
		d.learn_skew = 1;
		d.skew = (long long)o->server_date - (long long)now;
		d.wait_ms = attempt < max_attempts ? 0 : -1;
		return d;
	}
	if (!o->retryable || attempt >= max_attempts)
		return d;
	if (o->retry_after >= 0) {
		d.wait_ms = (o->retry_after > SLS_RETRY_AFTER_CAP_S ? SLS_RETRY_AFTER_CAP_S
		                                                   : o->retry_after) * 1000L;
		return d;
	}
	ceiling = (long)SLS_BACKOFF_BASE_MS << (attempt - 1 < 10 ? attempt - 1 : 10);
	if (ceiling > SLS_BACKOFF_CAP_MS)
		ceiling = SLS_BACKOFF_CAP_MS;
	d.wait_ms = (long)(random % (uint32_t)(ceiling + 1));
	return d;
}
