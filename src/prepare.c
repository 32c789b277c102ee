/* sls._prepare(client, action, opts[, now]): the signed request a call
 * would send at now, as a table, without sending it. For the specs and
 * tools; the call (call.c) checks, asks and signs as it always does. */
#include "prepare.h"

#include <string.h>
#include <time.h>

#include "call.h"
#include "client.h"

/* The client's request as a copy the stack holds ("url\0key\0value\0..."
 * in a userdata): every push that makes sls._prepare's table may run a
 * finalizer, and one may close the client and free c->req. NULL, nothing
 * left pushed, when making the copy itself let one do that. */
static const char *request_copy(lua_State *L, const sls_client *c)
{
	const char *url = sls_buf_str(&c->req.url);
	size_t size = strlen(url) + 1, i, n;
	char *copy, *p;

	for (i = 0; i < c->req.nheaders; i++)
		size += strlen(c->req.headers[i].key) + strlen(c->req.headers[i].value) + 2;
	copy = lua_newuserdata(L, size);
	if (!c->open) {
		lua_pop(L, 1);
		return NULL;
	}
	p = copy;
	n = strlen(url) + 1;
	memcpy(p, url, n);
	p += n;
	for (i = 0; i < c->req.nheaders; i++) {
		n = strlen(c->req.headers[i].key) + 1;
		memcpy(p, c->req.headers[i].key, n);
		p += n;
		n = strlen(c->req.headers[i].value) + 1;
		memcpy(p, c->req.headers[i].value, n);
		p += n;
	}
	return copy;
}

int sls_call_prepare(lua_State *L)
{
	sls_client *c = sls_client_check(L, 1);
	int action = luaL_checkoption(L, 2, NULL, sls_call_actions), nres = 0;
	lua_Number x = luaL_optnumber(L, 4, (lua_Number)time(NULL));
	/* Any number: one no clock shows (nan, 1e300) signs nothing, without
	 * an out-of-range cast to time_t. */
	time_t now = x >= -1e12 && x <= 1e12 ? (time_t)x : (time_t)-1;
	const char *url, *p;
	size_t i, nheaders;
	sls_call *k;

	lua_settop(L, 4);
	k = sls_call_new(L, 1, action, 3, 0);
	if (sls_creds_due(&c->creds, now) && sls_creds_ask(L, &c->creds, now))
		sls_sign_ctx_forget(&c->sign);
	if (!sls_call_begin_attempt(L, k, now, &nres))
		return nres;
	nheaders = c->req.nheaders;
	url = request_copy(L, c);
	if (url == NULL) {
		sls_call_fail(L, k, "ClientClosed", "the client was closed during the call", &nres);
		return nres;
	}
	lua_createtable(L, 0, 9);
	lua_pushliteral(L, "POST");
	lua_setfield(L, -2, "method");
	lua_pushstring(L, url);
	lua_setfield(L, -2, "url");
	lua_pushstring(L, url + strlen(c->cfg.endpoint.url_base));
	lua_setfield(L, -2, "path");
	lua_pushstring(L, c->cfg.endpoint.host);
	lua_setfield(L, -2, "host");
	lua_pushinteger(L, (lua_Integer)c->cfg.endpoint.port);
	lua_setfield(L, -2, "port");
	lua_pushboolean(L, c->cfg.endpoint.https);
	lua_setfield(L, -2, "https");
	lua_pushnumber(L, (lua_Number)now);
	lua_setfield(L, -2, "sent_at");
	lua_createtable(L, 0, (int)nheaders);
	for (i = 0, p = url + strlen(url) + 1; i < nheaders; i++) {
		const char *key = p, *value = p + strlen(p) + 1;
		lua_pushstring(L, value);
		lua_setfield(L, -2, key);
		p = value + strlen(value) + 1;
	}
	lua_setfield(L, -2, "headers");
	lua_pushlstring(L, k->sent.raw.data, k->sent.raw.len);
	lua_setfield(L, -2, "raw");
	return 1;
}
