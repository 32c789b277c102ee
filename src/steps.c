/* The step API sls/ngx.lua drives a call with inside nginx, where C
 * functions cannot yield: sls._call makes (or recycles) a call and gives
 * its first step; call:next() takes the next one; call:io() reports each
 * socket operation to the exchange; call:credentials() brings the
 * provider's answer. The call (call.c) decides every step; this file only
 * turns steps into Lua values and back. */
#include "steps.h"

#include <time.h>

#include "call.h"
#include "client.h"
#include "exio.h"

/* The call at 1, for its methods: one that ended (done, or collected)
 * is a programming error to drive again. */
static sls_call *check_call(lua_State *L)
{
	sls_call *k = sls_call_check(L, 1);

	if (k->phase >= SLS_PH_DONE)
		luaL_error(L, "sls.Call: the call is over");
	return k;
}

/* The step protocol's words, upvalues of sls._call and call:next (the
 * functions that push steps): pushed as the Lua strings they are, not
 * hashed from C text on every step. */
static const char *const step_words[] = { "credentials", "exchange", "wait", "done", NULL };
enum { W_CREDENTIALS = 1, W_EXCHANGE, W_WAIT, W_DONE, N_STEP_WORDS = 4 };

static void push_step_closure(lua_State *L, lua_CFunction f)
{
	int i;

	for (i = 0; step_words[i] != NULL; i++)
		lua_pushstring(L, step_words[i]);
	lua_pushcclosure(L, f, N_STEP_WORDS);
}

#define PUSH_WORD(L, w) lua_pushvalue(L, lua_upvalueindex(w))

/* Takes the call's next step and pushes what the driver does: "credentials",
 * provider, ms | "exchange", raw, host, port, https, pool, ssl_verify,
 * connect_ms | "wait", ms | "done", results... Returns their count; they
 * are the top of the stack. */
static int push_step(lua_State *L, sls_call *k)
{
	sls_client *c = k->client;
	int nres = 0;

	switch (sls_call_step(L, k, &nres)) {
	case SLS_OP_CREDENTIALS:
		PUSH_WORD(L, W_CREDENTIALS);
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->creds.provider);
		lua_pushinteger(L, SLS_CRED_TIMEOUT_MS);
		return 3;
	case SLS_OP_EXCHANGE:
		PUSH_WORD(L, W_EXCHANGE);
		lua_pushlstring(L, k->sent.raw.data, k->sent.raw.len);
		lua_pushstring(L, c->cfg.endpoint.host);
		lua_pushinteger(L, (lua_Integer)c->cfg.endpoint.port);
		lua_pushboolean(L, c->cfg.endpoint.https);
		lua_pushstring(L, c->pool);
		lua_pushboolean(L, c->cfg.ssl_verify);
		lua_pushinteger(L, sls_exchange_connect_ms(&k->x, c->cfg.connect_timeout,
		                                           sls_exio_now_ms()));
		return 8;
	case SLS_OP_WAIT:
		PUSH_WORD(L, W_WAIT);
		lua_pushinteger(L, (lua_Integer)k->wait_ms);
		return 2;
	default:
		/* Over. A call that never asked the provider (no timer brings an
		 * answer for it) lets its client go: one kept for reuse in
		 * sls/ngx.lua's spare list keeps no client alive. */
		if (!k->creds_asked && k->holds_client) {
			sls_call_let_client_go(L, k);
			k->client = NULL;
		}
		PUSH_WORD(L, W_DONE);
		lua_insert(L, -1 - nres);
		return nres + 1;
	}
}

/* call:next(): the next step (push_step). */
static int call_next(lua_State *L)
{
	sls_call *k = check_call(L);

	lua_settop(L, 1);
	return push_step(L, k);
}

/* sls._call(client, action, opts[, spare[, first]]): a call for sls/ngx.lua. */
static int call_lua(lua_State *L)
{
	int action, n, at;
	sls_call *k;

	sls_client_check(L, 1);
	action = luaL_checkoption(L, 2, NULL, sls_call_actions);
	lua_settop(L, 5);
	k = sls_call_new(L, 1, action, 3, lua_isnil(L, 4) ? 0 : 4);
	sls_call_hold_client(L, k, 1);        /* the client lives while the call does */
	if (!lua_toboolean(L, 5))
		return 1;
	/* And its first step: one crossing fewer per call for sls/ngx.lua. */
	at = lua_gettop(L);
	n = push_step(L, k);
	lua_pushvalue(L, at);
	lua_insert(L, -1 - n);
	return n + 1;
}

/* call:io(op, ok_or_data, err, reused) after a socket operation: what to do
 * next, as exchange.c decides: "handshake", ms | "send", ms | "read", want,
 * ms | "keepalive", idle_ms | "close" | "resend", pool, connect_ms. */
static int call_io(lua_State *L)
{
	sls_call *k = check_call(L);
	const sls_client *c = k->client;
	char fresh[SLS_HOST_MAX + 64];
	int verdict;

	if (k->phase != SLS_PH_EXCHANGE)
		return luaL_error(L, "sls.Call: no exchange under way");
	verdict = sls_exio_args(L, &k->x);
	if (verdict == SLS_NEXT_KEEPALIVE || verdict == SLS_NEXT_CLOSE)
		k->phase = SLS_PH_ANSWERED;
	if (verdict == SLS_NEXT_RESEND)
		sls_client_pool_name(fresh, sizeof fresh, c, 1);
	return sls_exio_push(L, &k->x, verdict, SLS_KEEPALIVE_MS, fresh, c->cfg.connect_timeout);
}

/* call:credentials(creds, err): what the provider answered (sls/ngx.lua
 * asked it over cosockets). */
static int call_credentials(lua_State *L)
{
	/* Not check_call: the answer is the client's, whatever became of the
	 * call that asked (a timer brings it after the call may have ended). */
	sls_call *k = sls_call_check(L, 1);
	sls_client *c = k->client;

	lua_settop(L, 3);
	if (k->phase != SLS_PH_DEAD && c != NULL && c->open &&
	    sls_creds_apply(L, &c->creds, 2, 3, time(NULL)))
		sls_sign_ctx_forget(&c->sign);
	return 0;
}

void sls_steps_register(lua_State *L)
{
	luaL_getmetatable(L, SLS_CALL_MT);
	lua_getfield(L, -1, "__index");
	push_step_closure(L, call_next);
	lua_setfield(L, -2, "next");
	lua_pushcfunction(L, call_credentials);
	lua_setfield(L, -2, "credentials");
	lua_pop(L, 2);
	sls_exio_method(L, SLS_CALL_MT, "io", call_io);
}

void sls_call_push_lua(lua_State *L)
{
	push_step_closure(L, call_lua);
}
