#include "creds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "exio.h"
#include "fetch.h"
#include "text.h"

/* Expirations past this are taken as this: the end of year 9999. */
#define LAST_TIME 253402300799.0

int sls_creds_due(const sls_creds_cache *k, time_t now)
{
	return k->provider != LUA_NOREF &&
	       (k->id == NULL || (k->due != 0 && (long long)now >= k->due));
}

int sls_creds_usable(const sls_creds_cache *k, time_t now)
{
	return k->id != NULL && (k->expires == 0 || (long long)now < k->expires);
}

static char *dup_bytes(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void free_secret(char **p)
{
	if (*p != NULL) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void drop_keys(sls_creds_cache *k)
{
	free(k->id);
	k->id = NULL;
	free_secret(&k->secret);
	free_secret(&k->token);
	k->secret_len = 0;
	k->gen++;                 /* whatever was signed with them is stale */
}

int sls_creds_fix(sls_creds_cache *k, const char *id, size_t id_len, const char *secret,
                  size_t secret_len, const char *token, size_t token_len)
{
	drop_keys(k);
	k->id = dup_bytes(id, id_len);
	k->secret = dup_bytes(secret, secret_len);
	k->secret_len = secret_len;
	k->token = token != NULL ? dup_bytes(token, token_len) : NULL;
	k->expires = k->due = 0;
	if (k->id == NULL || k->secret == NULL || (token != NULL && k->token == NULL)) {
		drop_keys(k);
		return 0;
	}
	return 1;
}

/* A string field of the credentials table: NULL and a reason when absent
 * or unfit (never the value: it may be a secret). Keys go into headers, so
 * printable ASCII without spaces; the secret only into HMAC, so anything
 * but control bytes and NUL. */
static const char *field(lua_State *L, int idx, size_t max, int header, size_t *len,
                         const char **why)
{
	const char *s;

	if (lua_type(L, idx) != LUA_TSTRING) {
		*why = "is missing or not a string";
		return NULL;
	}
	s = lua_tolstring(L, idx, len);
	if (*len == 0) {
		*why = "is empty";
		return NULL;
	}
	if (*len > max) {
		*why = "is too long";
		return NULL;
	}
	if (!sls_text_printable(s, *len, header ? SLS_PRINT_ASCII | SLS_PRINT_NOSPACE : 0)) {
		*why = header ? "is not printable ASCII without spaces" : "contains control bytes";
		return NULL;
	}
	return s;
}

/* The expiration field (at idx) as Unix seconds: 0 when absent, not a
 * number, or not a time at all (nan, negative); clamped, so no value
 * overflows. */
static long long expiration(lua_State *L, int idx)
{
	double x = lua_type(L, idx) == LUA_TNUMBER ? (double)lua_tonumber(L, idx) : 0;

	if (!(x >= 1))                        /* also nan */
		return 0;
	return x > LAST_TIME ? (long long)LAST_TIME : (long long)x;
}

/* creds -> access_key_id, access_key_secret, security_token, expiration:
 * read under lua_pcall, since a provider's table may raise in __index. */
static int read_fields(lua_State *L)
{
	lua_getfield(L, 1, "access_key_id");
	lua_getfield(L, 1, "access_key_secret");
	lua_getfield(L, 1, "security_token");
	lua_getfield(L, 1, "expiration");
	return 4;
}

static void set_error(sls_creds_cache *k, const char *prefix, const char *text, size_t n)
{
	sls_secret secrets[2];
	size_t used;

	secrets[0].p = k->secret;
	secrets[0].n = k->secret != NULL ? strlen(k->secret) : 0;
	secrets[1].p = k->token;
	secrets[1].n = k->token != NULL ? strlen(k->token) : 0;
	used = (size_t)snprintf(k->error, sizeof k->error, "%s", prefix);
	if (used >= sizeof k->error)
		return;
	sls_text_clean(k->error + used, sizeof k->error - used, text, n, secrets, 2);
}

int sls_creds_apply(lua_State *L, sls_creds_cache *k, int creds_idx, int err_idx,
                    time_t now)
{
	const char *id = NULL, *secret = NULL, *token = NULL, *why = NULL, *bad = NULL;
	size_t id_len = 0, secret_len = 0, token_len = 0;
	char *nid, *nsecret, *ntoken = NULL;
	long long exp;
	int top = lua_gettop(L);

	creds_idx = sls_absindex(L, creds_idx);
	err_idx = sls_absindex(L, err_idx);
	luaL_checkstack(L, 6, "sls: credentials");
	if (lua_istable(L, creds_idx)) {
		lua_pushcfunction(L, read_fields);
		lua_pushvalue(L, creds_idx);
		if (lua_pcall(L, 1, 4, 0) != 0) {
			size_t n = 0;
			const char *e = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : "?";
			set_error(k, "reading the credentials provider's answer raised: ", e,
			          n ? n : strlen(e));
			lua_settop(L, top);
			return 0;
		}
		/* The four values stay on the stack until copied. */
		if ((id = field(L, top + 1, SLS_ID_MAX, 1, &id_len, &why)) == NULL)
			bad = "access_key_id";
		else if ((secret = field(L, top + 2, SLS_SECRET_MAX, 0, &secret_len, &why)) == NULL)
			bad = "access_key_secret";
		else if (!lua_isnil(L, top + 3) &&
		         (token = field(L, top + 3, SLS_TOKEN_MAX, 1, &token_len, &why)) == NULL)
			bad = "security_token";
	}
	if (bad != NULL || !lua_istable(L, creds_idx)) {
		char prefix[128];
		size_t n = 0;
		const char *text = "";

		if (bad != NULL) {
			snprintf(prefix, sizeof prefix, "the credentials provider answered an "
			         "%s that %s", bad, why);
		} else if (lua_type(L, err_idx) == LUA_TSTRING) {
			prefix[0] = '\0';
			text = lua_tolstring(L, err_idx, &n);
		} else {
			snprintf(prefix, sizeof prefix, "the credentials provider answered nothing");
		}
		set_error(k, prefix, text, n);
		lua_settop(L, top);
		return 0;
	}
	exp = expiration(L, top + 4);
	nid = dup_bytes(id, id_len);
	nsecret = dup_bytes(secret, secret_len);
	if (token != NULL)
		ntoken = dup_bytes(token, token_len);
	lua_settop(L, top);
	if (nid == NULL || nsecret == NULL || (token != NULL && ntoken == NULL)) {
		free(nid);
		free_secret(&nsecret);
		free_secret(&ntoken);
		snprintf(k->error, sizeof k->error, "out of memory");
		return 0;
	}
	drop_keys(k);
	k->id = nid;
	k->secret = nsecret;
	k->secret_len = secret_len;
	k->token = ntoken;
	/* Temporary keys live hours (STS: 1 to 12): an answer that says more,
	 * or years, is not kept past SLS_TEMP_EXPIRY_MAX_S. */
	if (ntoken != NULL && exp > (long long)now + SLS_TEMP_EXPIRY_MAX_S)
		exp = (long long)now + SLS_TEMP_EXPIRY_MAX_S;
	k->expires = exp;
	if (exp != 0)
		k->due = exp - SLS_REFRESH_MARGIN_S;
	else if (ntoken != NULL)              /* temporary, for who knows how long */
		k->due = (long long)now + SLS_UNKNOWN_EXPIRY_S;
	else
		k->due = 0;
	k->error[0] = '\0';
	return 1;
}

/* fetch(req) for a provider outside nginx: sls._fetch with what is left of
 * the time one provider call may take (upvalue 1: the monotonic deadline,
 * ms). */
static int bounded_fetch(lua_State *L)
{
	double left = lua_tonumber(L, lua_upvalueindex(1)) - (double)sls_exio_now_ms();

	lua_settop(L, 1);
	lua_pushnumber(L, left < 1 ? 1 : left);
	return sls_fetch_lua(L);
}

/* provider, now, fetch -> provider:get(now, fetch), at most two values. */
static int call_get(lua_State *L)
{
	lua_settop(L, 3);
	lua_getfield(L, 1, "get");
	lua_insert(L, 1);
	lua_call(L, 3, 2);
	return 2;
}

int sls_creds_ask(lua_State *L, sls_creds_cache *k, time_t now)
{
	int top = lua_gettop(L), changed;

	luaL_checkstack(L, 6, "sls: credentials");
	lua_pushcfunction(L, call_get);       /* reading get may raise too */
	lua_rawgeti(L, LUA_REGISTRYINDEX, k->provider);
	lua_pushnumber(L, (lua_Number)now);
	lua_pushnumber(L, (lua_Number)(sls_exio_now_ms() + SLS_CRED_TIMEOUT_MS));
	lua_pushcclosure(L, bounded_fetch, 1);
	if (lua_pcall(L, 3, 2, 0) != 0) {
		size_t n = 0;
		const char *e = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : "?";
		set_error(k, "the credentials provider raised: ", e, n ? n : strlen(e));
		changed = 0;
	} else {
		changed = sls_creds_apply(L, k, -2, -1, now);
	}
	lua_settop(L, top);
	return changed;
}

const char *sls_creds_why(const sls_creds_cache *k)
{
	if (k->error[0] != '\0')
		return k->error;
	if (k->id != NULL)
		return "the credentials expired and the provider gave no new ones";
	return "no credentials";
}

void sls_creds_free(lua_State *L, sls_creds_cache *k)
{
	drop_keys(k);
	if (k->provider != LUA_NOREF && k->provider != LUA_REFNIL)
		luaL_unref(L, LUA_REGISTRYINDEX, k->provider);
	k->provider = LUA_NOREF;
}
