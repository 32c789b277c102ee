#include "call.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "args.h"
#include "attempt.h"
#include "client.h"
#include "exio.h"
#include "result.h"

static char call_mt_key;           /* registry: the sls.Call metatable */

const char *const sls_call_actions[] = { "create_ticket", "refresh_token", NULL };
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

sls_call *sls_call_check(lua_State *L, int idx)
{
	return sls_checkudata(L, idx, &call_mt_key, SLS_CALL_MT);
}

static int call_gc(lua_State *L)
{
	sls_call *k = sls_call_check(L, 1);

	sls_exchange_free(&k->x);
	sls_buf_wipe(&k->sent.raw);
	OPENSSL_cleanse(k->secret, sizeof k->secret);   /* a raise while reading */
	sls_result_forget(L, k);
	if (k->slot != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, k->slot);
		k->slot = LUA_NOREF;
	}
	k->holds_client = 0;
	k->phase = SLS_PH_DEAD;                   /* its client may be gone */
	return 0;
}

void sls_call_hold_client(lua_State *L, sls_call *k, int idx)
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

void sls_call_let_client_go(lua_State *L, sls_call *k)
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
	sls_call *k = sls_call_check(L, spare);
	sls_buf raw;
	sls_httpp answer;
	size_t room;
	int slot;

	if (k->phase != SLS_PH_DONE || k->creds_asked || k->room < need)
		return NULL;
	sls_call_let_client_go(L, k);
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
	k->phase = SLS_PH_START;
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

int sls_call_fail(lua_State *L, sls_call *k, const char *code, const char *msg, int *nres)
{
	sls_outcome_local(&k->o, code, msg);
	k->phase = SLS_PH_DONE;
	*nres = sls_result_failure(L, k);
	return SLS_OP_DONE;
}

int sls_call_begin_attempt(lua_State *L, sls_call *k, time_t now, int *nres)
{
	sls_client *c = k->client;
	int r;

	if (!c->open) {
		sls_call_fail(L, k, "ClientClosed", "the client was closed during the call", nres);
		return 0;
	}
	if (!sls_creds_usable(&c->creds, now)) {
		sls_call_fail(L, k, "NoCredentials", sls_creds_why(&c->creds), nres);
		return 0;
	}
	k->attempt++;
	k->sent_at = now;
	r = sls_attempt_build(c, &k->ask, &k->sent, (time_t)(now + c->skew));
	if (r <= 0) {
		sls_call_fail(L, k, r == 0 ? "OutOfMemory" : "BadRequest", r == 0
		             ? "could not build the request" : "the clock is outside the years "
		             "1970 to 9999", nres);
		return 0;
	}
	return 1;
}

/* Advances the call to its next step. At SLS_OP_DONE the results are pushed
 * and *nres is their count. */
int sls_call_step(lua_State *L, sls_call *k, int *nres)
{
	sls_client *c = k->client;
	sls_secret secrets[3];
	sls_decision d;
	time_t now;

	for (;;) {
		/* Each step may follow a call into Lua (a provider, a yield in
		 * nginx): the client may have been closed meanwhile. */
		if (!c->open && k->phase != SLS_PH_DONE)
			return sls_call_fail(L, k, "ClientClosed", "the client was closed during "
			                    "the call", nres);
		switch (k->phase) {
		case SLS_PH_START:
			now = time(NULL);
			if (!k->creds_asked && sls_creds_due(&c->creds, now)) {
				k->creds_asked = 1;
				return SLS_OP_CREDENTIALS;
			}
			if (!sls_call_begin_attempt(L, k, now, nres))
				return SLS_OP_DONE;
			sls_exchange_start(&k->x, c->cfg.endpoint.https,
			                   sls_exio_now_ms() + c->cfg.timeout);
			k->phase = SLS_PH_EXCHANGE;
			return SLS_OP_EXCHANGE;
		case SLS_PH_EXCHANGE:                 /* the driver gave up on the exchange */
			if (k->x.code == NULL)
				k->x.code = "NetworkError";
			k->phase = SLS_PH_ANSWERED;
			break;
		case SLS_PH_ANSWERED:
			if (k->x.code == NULL) {
				int ok = sls_result_read(L, k, secrets, secrets_of(k, secrets));
				OPENSSL_cleanse(k->secret, sizeof k->secret);
				if (ok) {
					k->phase = SLS_PH_DONE;
					*nres = 1;
					return SLS_OP_DONE;
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
				k->phase = SLS_PH_DONE;
				*nres = sls_result_failure(L, k);
				return SLS_OP_DONE;
			}
			k->wait_ms = d.wait_ms;
			k->phase = SLS_PH_START;
			return SLS_OP_WAIT;
		default:                          /* over: check_call (steps.c) stops that */
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
	k->phase = SLS_PH_ANSWERED;
}

int sls_call_run(lua_State *L, sls_call *k)
{
	sls_client *c = k->client;
	int base = lua_gettop(L), nres = 0;

	for (;;) {
		lua_settop(L, base);
		switch (sls_call_step(L, k, &nres)) {
		case SLS_OP_DONE:
			return nres;
		case SLS_OP_CREDENTIALS:
			if (sls_creds_ask(L, &c->creds, time(NULL)))
				sls_sign_ctx_forget(&c->sign);   /* keyed with the old secret */
			break;
		case SLS_OP_EXCHANGE:
			exchange_curl(c, k);
			break;
		case SLS_OP_WAIT:
			sleep_ms(k->wait_ms);
			break;
		}
	}
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
	static const luaL_Reg methods[] = {      /* the step API's (steps.c) */
		{ NULL, NULL }
	};
	static const luaL_Reg meta[] = {
		{ "__gc",        call_gc },
		{ NULL, NULL }
	};

	sls_opts_register(L, ticket_options);
	sls_opts_register(L, refresh_options);
	sls_new_class(L, SLS_CALL_MT, &call_mt_key, meta, methods);
	/* A client's calls are this file's: they join its methods here, so
	 * client.c needs nothing from above it. */
	luaL_getmetatable(L, SLS_CLIENT_MT);
	lua_getfield(L, -1, "__index");
	sls_setfuncs(L, client_methods);
	lua_pop(L, 2);
}
