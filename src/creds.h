/* A client's credential cache: the keys it signs with, when they expire,
 * when to ask its provider again, and why the provider last failed. The
 * provider (sls/credentials.lua, or the caller's) is asked by the call
 * (call.c): blocking through sls._fetch, or over cosockets by sls/ngx.lua. */
#ifndef SLS_CREDS_H
#define SLS_CREDS_H

#include <time.h>

#include "compat.h"
#include "limits.h"

typedef struct sls_creds_cache {
	char      *id;
	char      *secret;
	size_t     secret_len;
	char      *token;          /* NULL when none */
	long long  expires;        /* 0: never, as far as anyone knows */
	long long  due;            /* ask the provider from then on; 0: never */
	int        provider;       /* registry ref, or LUA_NOREF for fixed keys */
	unsigned long gen;         /* counts changes of the keys */
	char       error[SLS_TEXT_MAX + 1];   /* the provider's last failure */
} sls_creds_cache;

/* Whether the provider must be asked before signing at now. */
int  sls_creds_due(const sls_creds_cache *k, time_t now);
/* Whether the keys may sign at now. */
int  sls_creds_usable(const sls_creds_cache *k, time_t now);
/* Sets fixed keys (options). 0 when out of memory. */
int  sls_creds_fix(sls_creds_cache *k, const char *id, size_t id_len, const char *secret,
                   size_t secret_len, const char *token, size_t token_len);
/* Takes what a provider answered at now: credentials at creds_idx, else
 * the reason at err_idx (cleaned of the old keys and control bytes). A
 * failure keeps the keys the cache has. Returns 1 when the keys changed,
 * so the signing state keyed with the old secret must be dropped. */
int  sls_creds_apply(lua_State *L, sls_creds_cache *k, int creds_idx, int err_idx,
                     time_t now);
/* Calls the provider (blocking): get(self, now, fetch), fetch being
 * sls._fetch bounded to SLS_CRED_TIMEOUT_MS in all, then applies what it
 * answered. Returns as sls_creds_apply. The caller checks afterwards that
 * its client is still open: the provider may have closed it. */
int  sls_creds_ask(lua_State *L, sls_creds_cache *k, time_t now);
/* Why the keys cannot sign: the text of a NoCredentials failure. */
const char *sls_creds_why(const sls_creds_cache *k);
/* Wipes and frees the keys; unrefs the provider. Idempotent. */
void sls_creds_free(lua_State *L, sls_creds_cache *k);

#endif
