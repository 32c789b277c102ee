/* The natives sls/credentials.lua, sls/ngx.lua, the specs and the tools
 * use: HMAC-SHA1 for STS, the bare signer, the module's percent-encoder,
 * ISO 8601 parser and text cleaner, its limits, and (from fetch.c) the
 * requests credential providers make. Private (their names start with
 * "_"): not part of the public API. */
#include "natives.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "args.h"
#include "buf.h"
#include "client.h"
#include "date.h"
#include "embed.h"
#include "fetch.h"
#include "limits.h"
#include "sign.h"
#include "text.h"

/* sls._transport(client) -> transport, has_proxy: for sls/ngx.lua. */
static int natives_transport(lua_State *L)
{
	sls_client *c = sls_client_check(L, 1);

	lua_pushstring(L, sls_transports[c->cfg.transport]);
	lua_pushboolean(L, c->cfg.has_proxy);
	return 2;
}

/* sls._provider(client): the client's credentials provider, or nil for
 * fixed keys (specs). */
static int natives_provider(lua_State *L)
{
	sls_client *c = sls_client_check(L, 1);

	if (c->creds.provider == LUA_NOREF)
		lua_pushnil(L);
	else
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->creds.provider);
	return 1;
}

/* sls._hmac_sha1(key, message): base64 of HMAC-SHA1, for STS's RPC
 * signature (sls/credentials.lua). */
static int natives_hmac_sha1(lua_State *L)
{
	size_t klen, mlen;
	const char *key = luaL_checklstring(L, 1, &klen);
	const char *msg = luaL_checklstring(L, 2, &mlen);
	unsigned char mac[EVP_MAX_MD_SIZE], b64[64];
	unsigned int len = 0;

	if (HMAC(EVP_sha1(), key, (int)klen, (const unsigned char *)msg, mlen, mac, &len) == NULL)
		return luaL_error(L, "sls._hmac_sha1: OpenSSL failed");
	EVP_EncodeBlock(b64, mac, (int)len);
	OPENSSL_cleanse(mac, sizeof mac);
	lua_pushstring(L, (const char *)b64);
	return 1;
}

/* Reads t[field], a table of string to string, into kv (at most max). The
 * map is left on the stack: its strings stay referenced by it while kv is
 * used, even when t's __index made the map afresh (args.h). */
static size_t read_string_map(lua_State *L, const char *field, sls_kv *kv, size_t max)
{
	size_t n = 0;

	lua_getfield(L, 1, field);
	luaL_checktype(L, -1, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		if (n == max || lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "sls._sign: %s must map at most %d strings to strings",
			           field, (int)max);
		kv[n].key = lua_tostring(L, -2);
		kv[n++].value = lua_tostring(L, -1);
		lua_pop(L, 1);
	}
	return n;
}

/* sls._sign{ signature_version, method, path, query, headers, access_key_id,
 * access_key_secret, region }: the bare signer over given headers. */
static int natives_sign(lua_State *L)
{
	static const char fn[] = "sls._sign";
	sls_kv query[SLS_MAX_QUERY], headers[SLS_MAX_HEADERS];
	sls_buf out = {0}, scratch = {0};
	sls_sign_ctx ctx = {0};
	char result[512];
	sls_sign_input in;
	int version, ok;

	luaL_checktype(L, 1, LUA_TTABLE);
	version = sls_args_enum(L, 1, fn, "signature_version", sls_versions, 0) ? 4 : 1;
	memset(&in, 0, sizeof in);
	in.method = sls_args_str(L, 1, fn, "method", 16, 1, 0, NULL);
	in.path = sls_args_str(L, 1, fn, "path", 1024, 1, 0, NULL);
	in.access_key_id = sls_args_str(L, 1, fn, "access_key_id", 256, 1, 0, NULL);
	in.secret = sls_args_str(L, 1, fn, "access_key_secret", 256, 1, SLS_SECRET,
	                         &in.secret_len);
	in.region = sls_args_str(L, 1, fn, "region", 63, 1, 0, NULL);
	if (!in.method || !in.path || !in.access_key_id || !in.secret ||
	    (version == 4 && !in.region))
		return luaL_error(L, "%s: method, path, access_key_id, access_key_secret "
		                  "(and region for v4) are required", fn);
	in.content_sha256 = SLS_EMPTY_SHA256;
	in.query = query;
	in.headers = headers;
	in.nquery = read_string_map(L, "query", query, SLS_MAX_QUERY);
	in.nheaders = read_string_map(L, "headers", headers, SLS_MAX_HEADERS);
	/* No Lua call between here and the frees, so nothing can leak. */
	ok = sls_sign_ctx_init(&ctx) &&
	     (version == 4 ? sls_sign_v4(&in, &out, &scratch, &ctx)
	                   : sls_sign_v1(&in, &out, &scratch, &ctx));
	sls_sign_ctx_free(&ctx);
	ok = ok && out.len < sizeof result;
	if (ok)
		memcpy(result, out.data, out.len + 1);
	sls_buf_free(&out);
	sls_buf_wipe(&scratch);
	if (!ok)
		return luaL_error(L, "%s: signing failed", fn);
	lua_pushstring(L, result);
	return 1;
}

/* sls._pct(s): RFC 3986 percent-encoding, the module's one encoder. */
static int natives_pct(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 1, &n);
	char small[768], *out = sls_room(L, small, sizeof small, 3 * n);

	lua_pushlstring(L, out, sls_pct_encode(out, s, n));
	return 1;
}

/* sls._parse_time(s): Unix seconds of an ISO 8601 time with "Z" or an
 * offset, or nil. */
static int natives_parse_time(lua_State *L)
{
	size_t n;
	const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tolstring(L, 1, &n) : NULL;
	long long t;

	if (s == NULL || !sls_date_parse_iso8601(s, n, &t))
		return 0;
	lua_pushinteger(L, (lua_Integer)t);
	return 1;
}

/* sls._clean(text, secret...): text made safe for an error message, with
 * the given secrets redacted (text.c). The same rule as for server text in
 * err and detail, for the reasons credential providers give. */
static int natives_clean(lua_State *L)
{
	sls_secret secrets[8];
	char out[SLS_TEXT_MAX + 1];
	size_t n, nsecrets = 0;
	const char *s = luaL_optlstring(L, 1, "", &n);
	int i, top = lua_gettop(L);

	for (i = 2; i <= top && nsecrets < sizeof secrets / sizeof secrets[0]; i++)
		if (lua_type(L, i) == LUA_TSTRING) {
			secrets[nsecrets].p = lua_tolstring(L, i, &secrets[nsecrets].n);
			nsecrets++;
		}
	lua_pushlstring(L, out, sls_text_clean(out, sizeof out, s, n, secrets, nsecrets));
	return 1;
}

/* sls._limits: the module's limits (limits.h), for the Lua files. */
static void push_limits(lua_State *L)
{
	static const struct { const char *name; long long v; } limits[] = {
		{ "line_max",          SLS_LINE_MAX },
		{ "head_max",          SLS_HEAD_MAX },
		{ "body_max",          SLS_BODY_MAX },
		{ "id_max",            SLS_ID_MAX },
		{ "secret_max",        SLS_SECRET_MAX },
		{ "token_max",         SLS_TOKEN_MAX },
		{ "ticket_max",        SLS_TICKET_MAX },
		{ "timeout_max",       SLS_TIMEOUT_MAX_MS },
		{ "attempts_max",      SLS_ATTEMPTS_MAX },
		{ "expiration_max",    SLS_EXPIRATION_MAX },
		{ "token_expiry_max",  SLS_TOKEN_EXPIRY_MAX },
		{ "refresh_margin",    SLS_REFRESH_MARGIN_S },
		{ "unknown_expiry",    SLS_UNKNOWN_EXPIRY_S },
		{ "cred_timeout",      SLS_CRED_TIMEOUT_MS },
		{ "text_max",          SLS_TEXT_MAX },
	};
	size_t i;

	lua_createtable(L, 0, (int)(sizeof limits / sizeof limits[0]));
	for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		lua_pushinteger(L, (lua_Integer)limits[i].v);
		lua_setfield(L, -2, limits[i].name);
	}
}

void sls_natives_register(lua_State *L)
{
	static const luaL_Reg natives[] = {
		{ "_fetch",        sls_fetch_lua },
		{ "_hmac_sha1",    natives_hmac_sha1 },
		{ "_sign",         natives_sign },
		{ "_pct",          natives_pct },
		{ "_parse_time",   natives_parse_time },
		{ "_clean",        natives_clean },
		{ "_fetcher",      sls_fetcher_lua },
		{ "_transport",    natives_transport },
		{ "_provider",     natives_provider },
		{ NULL, NULL }
	};

	sls_fetch_register(L);
	sls_setfuncs(L, natives);
	push_limits(L);
	lua_setfield(L, -2, "_limits");
}
