#include "call.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "args.h"
#include "attempt.h"
#include "exio.h"
#include "client.h"
#include "result.h"

static char call_mt_key;           /* registry: the sls.Call metatable */

enum { PH_START, PH_EXCHANGE, PH_ANSWERED, PH_DONE, PH_DEAD };
enum { OP_CREDENTIALS, OP_EXCHANGE, OP_WAIT, OP_DONE };

static const char *const actions[] = { "create_ticket", "refresh_token", NULL };
#define TICKET_OPTIONS(X) \
	X(T_EXPIRATION, "expiration_time") X(T_TOKEN_EXPIRATION, "access_token_expiration_time")
#define REFRESH_OPTIONS(X) \
	X(R_TICKET, "ticket") X(R_TOKEN_EXPIRATION, "access_token_expiration_time")
enum { TICKET_OPTIONS(SLS_OPT_ENUM) N_TICKET_OPTIONS };
enum { REFRESH_OPTIONS(SLS_OPT_ENUM) N_REFRESH_OPTIONS };
static const char *const ticket_options[] = { TICKET_OPTIONS(SLS_OPT_NAME) NULL };
static const char *const refresh_options[] = { REFRESH_OPTIONS(SLS_OPT_NAME) NULL };

static void sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---------------------------------------------------------- the object */

static int call_gc(lua_State *L)
{
	sls_call *k = sls_checkudata(L, 1, &call_mt_key, SLS_CALL_MT);

	sls_exchange_free(&k->x);
	sls_buf_wipe(&k->sent.raw);
	OPENSSL_cleanse(k->secret, sizeof k->secret);   /* a raise while reading */
	sls_result_forget(L, k);
	if (k->slot != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, k->slot);
		k->slot = LUA_NOREF;
	}
	k->holds_client = 0;
	k->phase = PH_DEAD;                   /* its client may be gone */
	return 0;
}

/* The client at idx lives while the call holds it (in the call's slot: a
 * registry ref taken once per call object, not once per call). */
static void hold_client(lua_State *L, sls_call *k, int idx)
{
	idx = sls_absindex(L, idx);
	if (k->slot == LUA_NOREF) {
		lua_pushboolean(L, 0);
		k->slot = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_pushvalue(L, idx);
	lua_rawseti(L, LUA_REGISTRYINDEX, k->slot);
	k->holds_client = 1;
}

static void let_client_go(lua_State *L, sls_call *k)
{
	if (!k->holds_client)
		return;
	lua_pushboolean(L, 0);
	lua_rawseti(L, LUA_REGISTRYINDEX, k->slot);
	k->holds_client = 0;
}

/* The call at spare, emptied and pushed, when it is over and can serve
 * another call: it never asked the credentials provider (whose answer may
 * still come for it from a timer, and must reach the client that asked)
 * and has room for a ticket of need bytes. Else NULL, nothing pushed. A
 * recycled call keeps its buffers' memory: no malloc and free per call. */
static sls_call *reuse(lua_State *L, int spare, size_t need)
{
	sls_call *k = sls_checkudata(L, spare, &call_mt_key, SLS_CALL_MT);
	sls_buf raw;
	sls_httpp answer;
	size_t room;
	int slot;

	if (k->phase != PH_DONE || k->creds_asked || k->room < need)
		return NULL;
	let_client_go(L, k);
	sls_result_forget(L, k);
	raw = k->sent.raw;
	sls_buf_clear(&raw);                  /* it held the security token */
	answer = k->x.answer;
	sls_buf_clear(&answer.head);          /* and the last answer, its ticket */
	sls_buf_clear(&answer.body);
	sls_buf_clear(&answer.line);
	room = k->room;
	slot = k->slot;
	memset(k, 0, sizeof *k);
	k->sent.raw = raw;
	k->x.answer = answer;
	k->room = room;
	k->slot = slot;
	k->denied_ref = LUA_NOREF;
	lua_pushvalue(L, spare);
	return k;
}

sls_call *sls_call_new(lua_State *L, int cidx, int action, int opts, int spare)
{
	const char *fn = action == SLS_ACTION_TICKET ? "create_ticket" : "refresh_token";
	const char *ticket = NULL;
	size_t ticket_len = 0;
	long long exp = 0, at = 0;
	int has_exp = 0, has_at;
	sls_call *k;
	sls_opts o;

	cidx = sls_absindex(L, cidx);
	/* The values stay on the stack below the call (args.h); the ticket is
	 * copied into it. */
	if (action == SLS_ACTION_TICKET) {
		sls_opts_read(L, opts, fn, ticket_options, &o);
		has_exp = sls_opt_int(L, &o, OPT_T_EXPIRATION, 1, SLS_EXPIRATION_MAX, &exp);
		has_at = sls_opt_int(L, &o, OPT_T_TOKEN_EXPIRATION, 1, SLS_TOKEN_EXPIRY_MAX, &at);
	} else {
		sls_opts_read(L, opts, fn, refresh_options, &o);
		ticket = sls_opt_str(L, &o, OPT_R_TICKET, SLS_TICKET_MAX, 1, 0, &ticket_len);
		if (ticket == NULL)
			sls_args_fail(L, "%s: option 'ticket' is required", fn);
		has_at = sls_opt_int(L, &o, OPT_R_TOKEN_EXPIRATION, 1, SLS_TOKEN_EXPIRY_MAX, &at);
	}
	if (has_exp && has_at && at > exp)
		sls_args_fail(L, "%s: option 'access_token_expiration_time' must not exceed "
		              "'expiration_time' (got %lld > %lld)", fn, at, exp);

	/* Checked; now the object, which owns what it holds from birth. */
	k = spare ? reuse(L, spare, ticket_len + 1) : NULL;
	if (k == NULL) {
		k = lua_newuserdata(L, sizeof *k + ticket_len + 1);
		memset(k, 0, sizeof *k);
		k->slot = LUA_NOREF;
		k->denied_ref = LUA_NOREF;
		k->room = ticket_len + 1;
		sls_set_metatable(L, &call_mt_key);
	}
	k->client = lua_touserdata(L, cidx);
	k->ask.action = action;
	k->ask.has_exp = has_exp;
	k->ask.exp = exp;
	k->ask.has_at = has_at;
	k->ask.at = at;
	if (ticket != NULL) {
		char *copy = (char *)(k + 1);
		memcpy(copy, ticket, ticket_len);
		copy[ticket_len] = '\0';
		k->ask.ticket = copy;
		k->ask.ticket_len = ticket_len;
	}
	k->phase = PH_START;
	return k;
}

/* ------------------------------------------------------ the decisions */

/* What the server may echo and err must not show: the client's secret and
 * the security token and signature this attempt sent. The secret is copied
 * into the call: reading the answer allocates, a finalizer may run then
 * and close the client or change its keys, and the client's copy would be
 * freed under the reader. The token and signature are the call's own. */
static size_t secrets_of(sls_call *k, sls_secret s[3])
{
	const sls_client *c = k->client;
	size_t n = c->creds.secret != NULL ? c->creds.secret_len : 0;

	if (n > SLS_SECRET_MAX)           /* checked at the boundary; never */
		n = SLS_SECRET_MAX;
	memcpy(k->secret, c->creds.secret != NULL ? c->creds.secret : "", n);
	s[0].p = k->secret;
	s[0].n = n;
	s[1].p = k->sent.raw.data + k->sent.token_at;
	s[1].n = k->sent.token_len;
	s[2].p = k->sent.raw.data + k->sent.sig_at;
	s[2].n = k->sent.sig_len;
	return 3;
}

static int finish_local(lua_State *L, sls_call *k, const char *code, const char *msg,
                        int *nres)
{
	sls_outcome_local(&k->o, code, msg);
	k->phase = PH_DONE;
	*nres = sls_result_failure(L, k);
	return OP_DONE;
}

/* Starts the next attempt at now: the keys must be able to sign, and the
 * request is built and signed. 1; or 0 with the failure pushed (*nres).
 * One rule for a call and for sls._prepare. */
static int begin_attempt(lua_State *L, sls_call *k, time_t now, int *nres)
{
	sls_client *c = k->client;
	int r;

	if (!c->open) {
		finish_local(L, k, "ClientClosed", "the client was closed during the call", nres);
		return 0;
	}
	if (!sls_creds_usable(&c->creds, now)) {
		finish_local(L, k, "NoCredentials", sls_creds_why(&c->creds), nres);
		return 0;
	}
	k->attempt++;
	k->sent_at = now;
	r = sls_attempt_build(c, &k->ask, &k->sent, (time_t)(now + c->skew));
	if (r <= 0) {
		finish_local(L, k, r == 0 ? "OutOfMemory" : "BadRequest", r == 0
		             ? "could not build the request" : "the clock is outside the years "
		             "1970 to 9999", nres);
		return 0;
	}
	return 1;
}

/* Advances the call to its next step. At OP_DONE the results are pushed
 * and *nres is their count. */
static int step(lua_State *L, sls_call *k, int *nres)
{
	sls_client *c = k->client;
	sls_secret secrets[4];
	sls_decision d;
	time_t now;

	for (;;) {
		/* Each step may follow a call into Lua (a provider, a yield in
		 * nginx): the client may have been closed meanwhile. */
		if (!c->open && k->phase != PH_DONE)
			return finish_local(L, k, "ClientClosed", "the client was closed during "
			                    "the call", nres);
		switch (k->phase) {
		case PH_START:
			now = time(NULL);
			if (!k->creds_asked && sls_creds_due(&c->creds, now)) {
				k->creds_asked = 1;
				return OP_CREDENTIALS;
			}
			if (!begin_attempt(L, k, now, nres))
				return OP_DONE;
			sls_exchange_start(&k->x, c->cfg.endpoint.https,
			                   sls_exio_now_ms() + c->cfg.timeout);
			k->phase = PH_EXCHANGE;
			return OP_EXCHANGE;
		case PH_EXCHANGE:                 /* the driver gave up on the exchange */
			if (k->x.code == NULL)
				k->x.code = "NetworkError";
			k->phase = PH_ANSWERED;
			break;
		case PH_ANSWERED:
			if (k->x.code == NULL) {
				int ok = sls_result_read(L, k, secrets, secrets_of(k, secrets));
				OPENSSL_cleanse(k->secret, sizeof k->secret);
				if (ok) {
					k->phase = PH_DONE;
					*nres = 1;
					return OP_DONE;
				}
			} else {
				sls_outcome_local(&k->o, k->x.code, k->x.message);
			}
			d = sls_policy_next(&k->o, k->attempt, c->cfg.max_attempts, k->skew_fixed,
			                    time(NULL), sls_client_random(c));
			if (d.learn_skew) {
				c->skew = d.skew;
				k->skew_fixed = 1;
				k->o.retryable = 1;
			}
			if (d.wait_ms < 0) {
				k->phase = PH_DONE;
				*nres = sls_result_failure(L, k);
				return OP_DONE;
			}
			k->wait_ms = d.wait_ms;
			k->phase = PH_START;
			return OP_WAIT;
		default:                          /* over: check_call stops that */
			return luaL_error(L, "sls.Call: the call is over");
		}
	}
}

/* ------------------------------------------------- the libcurl driver */

static void exchange_curl(sls_client *c, sls_call *k)
{
	sls_http_result hr;

	sls_http_post(&c->http, sls_buf_str(&c->req.url), c->req.headers, c->req.nheaders,
	              &k->x.answer, &hr);
	if (hr.code != CURLE_OK) {
		k->x.code = sls_http_code_name(&k->x.answer, hr.code);
		snprintf(k->x.message, sizeof k->x.message, "%s", k->x.answer.code != NULL
		         ? k->x.answer.why : hr.error[0] ? hr.error : curl_easy_strerror(hr.code));
	}
	k->phase = PH_ANSWERED;
}

int sls_call_run(lua_State *L, sls_call *k)
{
	sls_client *c = k->client;
	int base = lua_gettop(L), nres = 0;

	for (;;) {
		lua_settop(L, base);
		switch (step(L, k, &nres)) {
		case OP_DONE:
			return nres;
		case OP_CREDENTIALS:
			if (sls_creds_ask(L, &c->creds, time(NULL)))
				sls_sign_ctx_forget(&c->sign);   /* keyed with the old secret */
			break;
		case OP_EXCHANGE:
			exchange_curl(c, k);
			break;
		case OP_WAIT:
			sleep_ms(k->wait_ms);
			break;
		}
	}
}

/* ------------------------------------- the cosocket driver's interface */

/* The call at 1, for its methods: one that ended (done, or collected)
 * is a programming error to drive again. */
static sls_call *check_call(lua_State *L)
{
	sls_call *k = sls_checkudata(L, 1, &call_mt_key, SLS_CALL_MT);

	if (k->phase >= PH_DONE)
		luaL_error(L, "sls.Call: the call is over");
	return k;
}



/* Takes the call's next step and pushes what the driver does: "credentials",
 * provider, ms | "exchange", raw, host, port, https, pool, ssl_verify,
 * connect_ms | "wait", ms | "done", results... Returns their count; they
 * are the top of the stack. */
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

static int push_step(lua_State *L, sls_call *k)
{
	sls_client *c = k->client;
	int nres = 0;

	switch (step(L, k, &nres)) {
	case OP_CREDENTIALS:
		PUSH_WORD(L, W_CREDENTIALS);
		lua_rawgeti(L, LUA_REGISTRYINDEX, c->creds.provider);
		lua_pushinteger(L, SLS_CRED_TIMEOUT_MS);
		return 3;
	case OP_EXCHANGE:
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
	case OP_WAIT:
		PUSH_WORD(L, W_WAIT);
		lua_pushinteger(L, (lua_Integer)k->wait_ms);
		return 2;
	default:
		/* Over. A call that never asked the provider (no timer brings an
		 * answer for it) lets its client go: one kept for reuse in
		 * sls/ngx.lua's spare list keeps no client alive. */
		if (!k->creds_asked && k->holds_client) {
			let_client_go(L, k);
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
	action = luaL_checkoption(L, 2, NULL, actions);
	lua_settop(L, 5);
	k = sls_call_new(L, 1, action, 3, lua_isnil(L, 4) ? 0 : 4);
	hold_client(L, k, 1);                 /* the client lives while the call does */
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

	if (k->phase != PH_EXCHANGE)
		return luaL_error(L, "sls.Call: no exchange under way");
	verdict = sls_exio_args(L, &k->x);
	if (verdict == SLS_NEXT_KEEPALIVE || verdict == SLS_NEXT_CLOSE)
		k->phase = PH_ANSWERED;
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
	sls_call *k = sls_checkudata(L, 1, &call_mt_key, SLS_CALL_MT);
	sls_client *c = k->client;

	lua_settop(L, 3);
	if (k->phase != PH_DEAD && c != NULL && c->open &&
	    sls_creds_apply(L, &c->creds, 2, 3, time(NULL)))
		sls_sign_ctx_forget(&c->sign);
	return 0;
}

/* --------------------------------------------------- sls._prepare */

/* sls._prepare(client, action, opts[, now]): the signed request as it
 * would be sent at now, without sending it; the provider is asked first
 * when due. For the specs and tools. */
int sls_call_prepare(lua_State *L)
{
	sls_client *c = sls_client_check(L, 1);
	int action = luaL_checkoption(L, 2, NULL, actions), nres = 0;
	lua_Number x = luaL_optnumber(L, 4, (lua_Number)time(NULL));
	/* Any number: one no clock shows (nan, 1e300) signs nothing, without
	 * an out-of-range cast to time_t. */
	time_t now = x >= -1e12 && x <= 1e12 ? (time_t)x : (time_t)-1;
	const char *url;
	sls_call *k;
	size_t i;

	lua_settop(L, 4);
	k = sls_call_new(L, 1, action, 3, 0);
	if (sls_creds_due(&c->creds, now) && sls_creds_ask(L, &c->creds, now))
		sls_sign_ctx_forget(&c->sign);
	if (!begin_attempt(L, k, now, &nres))
		return nres;
	url = sls_buf_str(&c->req.url);
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
	lua_createtable(L, 0, (int)c->req.nheaders);
	for (i = 0; i < c->req.nheaders; i++) {
		lua_pushstring(L, c->req.headers[i].value);
		lua_setfield(L, -2, c->req.headers[i].key);
	}
	lua_setfield(L, -2, "headers");
	lua_pushlstring(L, k->sent.raw.data, k->sent.raw.len);
	lua_setfield(L, -2, "raw");
	return 1;
}

/* client:create_ticket(opts) and client:refresh_token(opts), over libcurl
 * (inside nginx, sls/ngx.lua puts its cosocket versions in their place). */
static int client_call(lua_State *L, int action)
{
	sls_client_check(L, 1);
	lua_settop(L, 2);
	return sls_call_run(L, sls_call_new(L, 1, action, 2, 0));
}

static int client_create_ticket(lua_State *L)
{
	return client_call(L, SLS_ACTION_TICKET);
}

static int client_refresh_token(lua_State *L)
{
	return client_call(L, SLS_ACTION_REFRESH);
}

void sls_call_register(lua_State *L)
{
	static const luaL_Reg client_methods[] = {
		{ "create_ticket", client_create_ticket },
		{ "refresh_token", client_refresh_token },
		{ NULL, NULL }
	};
	static const luaL_Reg methods[] = {
		{ "credentials", call_credentials },
		{ NULL, NULL }
	};
	static const luaL_Reg meta[] = {
		{ "__gc",        call_gc },
		{ NULL, NULL }
	};

	sls_opts_register(L, ticket_options);
	sls_opts_register(L, refresh_options);
	sls_new_class(L, SLS_CALL_MT, &call_mt_key, meta, methods);
	sls_exio_method(L, SLS_CALL_MT, "io", call_io);
	luaL_getmetatable(L, SLS_CALL_MT);
	lua_getfield(L, -1, "__index");
	push_step_closure(L, call_next);
	lua_setfield(L, -2, "next");
	lua_pop(L, 2);
	/* A client's calls are this file's: they join its methods here, so
	 * client.c needs nothing from above it. */
	luaL_getmetatable(L, SLS_CLIENT_MT);
	lua_getfield(L, -1, "__index");
	sls_setfuncs(L, client_methods);
	lua_pop(L, 2);
}

void sls_call_push_lua(lua_State *L)
{
	push_step_closure(L, call_lua);
}
