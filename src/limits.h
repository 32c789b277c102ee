/* Every size and time limit of the module, in one place. The binding
 * exports them to Lua as sls._limits (sls/ngx.lua, sls/credentials.lua and
 * bin/sls-ticket read them there), so no limit is written twice. */
#ifndef SLS_LIMITS_H
#define SLS_LIMITS_H

/* What one request may carry. */
#define SLS_MAX_QUERY          8
#define SLS_MAX_HEADERS        16

/* Caps on an HTTP answer, equal on both transports (httpparse.c). A header
 * line over SLS_LINE_MAX, a head over SLS_HEAD_MAX or a body over
 * SLS_BODY_MAX is ResponseTooLarge. libcurl refuses header lines over
 * 100 KiB and heads over 300 KiB by itself: ours are below both, so the
 * same answer fails the same way on either transport. */
#define SLS_LINE_MAX           (16 * 1024)
#define SLS_HEAD_MAX           (256 * 1024)
#define SLS_BODY_MAX           (1024 * 1024)

/* Option ranges. */
#define SLS_ID_MAX             256      /* access_key_id, bytes */
#define SLS_SECRET_MAX         256      /* access_key_secret, bytes */
#define SLS_TOKEN_MAX          16384    /* security_token, bytes */
#define SLS_TICKET_MAX         16384    /* ticket, bytes */
#define SLS_TIMEOUT_MAX_MS     600000
#define SLS_ATTEMPTS_MAX       10
#define SLS_EXPIRATION_MAX     2592000  /* expiration_time, seconds (30 days) */
#define SLS_TOKEN_EXPIRY_MAX   86400    /* access_token_expiration_time, seconds */
#define SLS_DEFAULT_EXPIRY     86400    /* what the server assumes when none is sent */

/* Retries (policy.c). */
#define SLS_BACKOFF_BASE_MS    100
#define SLS_BACKOFF_CAP_MS     2000
#define SLS_RETRY_AFTER_CAP_S  5

/* A clock offset learnt from a server's Date (RequestTimeExpired) is kept
 * only within a day: a Date further off is a broken or hostile server, and
 * adopting it would leave the client signing at a time no date exists for. */
#define SLS_SKEW_MAX_S         86400

/* Idle time of a kept-alive cosocket: a call's, a credential fetch's (ms). */
#define SLS_KEEPALIVE_MS       60000
#define SLS_FETCH_KEEPALIVE_MS 10000

/* Credentials (creds.c). Temporary keys are renewed 15 minutes before they
 * expire; temporary keys whose expiry is unknown are renewed within the
 * hour. One provider call (the whole chain) gets SLS_CRED_TIMEOUT_MS. */
#define SLS_REFRESH_MARGIN_S   900
#define SLS_UNKNOWN_EXPIRY_S   3600
#define SLS_TEMP_EXPIRY_MAX_S  86400    /* temporary keys kept at most a day */
#define SLS_CRED_TIMEOUT_MS    5000

/* Server text that reaches err or detail is cut to this many bytes. */
#define SLS_TEXT_MAX           1024

#endif
