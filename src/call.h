/* One call (create_ticket or refresh_token), the same for both transports.
 *
 * Its options are checked once, then a small state machine says what to do
 * next: ask the credentials provider, exchange the request for an answer,
 * wait before another attempt, or finish with a result or `nil, err,
 * detail`. Over libcurl, sls_call_run does each step in C. Inside nginx,
 * sls/ngx.lua does them over cosockets (C functions cannot yield there)
 * through the step API (steps.c), feeding the answer's raw bytes back to
 * C: Lua moves bytes, C decides. */
#ifndef SLS_CALL_H
#define SLS_CALL_H

#include <time.h>

#include "buf.h"
#include "compat.h"
#include "exchange.h"
#include "policy.h"
#include "limits.h"
#include "request.h"

#define SLS_CALL_MT "sls.Call"

typedef struct sls_call {
	int          slot;         /* a registry slot of its own (sls._call's; LUA_NOREF
	                            * before), freed with the call: holds the client
	                            * while the call runs */
	int          holds_client; /* the slot holds the client now */
	int          denied_ref;   /* registry ref: accessDeniedDetail, or LUA_NOREF */
	struct sls_client *client;
	sls_ask      ask;          /* its ticket is copied behind the struct */
	size_t       room;         /* bytes behind the struct for it */
	int          phase;
	int          attempt;
	int          creds_asked;  /* the provider was asked in this call */
	int          skew_fixed;   /* the clock offset was learnt in this call */
	time_t       sent_at;
	long         wait_ms;
	sls_outcome  o;
	sls_exchange x;            /* the attempt's exchange and its answer */
	sls_sent     sent;         /* the attempt's request */
	char         secret[SLS_SECRET_MAX + 1];   /* the client's, while an answer
	                                            * is read: wiped after */
} sls_call;

/* Checks the call options at opts (raises on misuse) and pushes a call of
 * the client at cidx. When spare is not 0 it is the index of a call that
 * is over, used again if it can be (its buffers keep their memory). */
sls_call *sls_call_new(lua_State *L, int cidx, int action, int opts, int spare);
/* Runs the call to its end over libcurl, blocking; pushes the result or
 * `nil, err, detail` and returns their count. */
int  sls_call_run(lua_State *L, sls_call *k);
/* The call ends with a failure of its own (code, msg): `nil, err, detail`
 * pushed, their count in *nres; returns SLS_OP_DONE. */
int  sls_call_fail(lua_State *L, sls_call *k, const char *code, const char *msg, int *nres);
/* Starts the next attempt at now: the client must be open, the keys able
 * to sign, and the request is built and signed. 1; or 0 with the failure
 * pushed (*nres). One rule for a call and for sls._prepare. */
int  sls_call_begin_attempt(lua_State *L, sls_call *k, time_t now, int *nres);
/* The call's phases, and what its next step asks of the driver. */
enum { SLS_PH_START, SLS_PH_EXCHANGE, SLS_PH_ANSWERED, SLS_PH_DONE, SLS_PH_DEAD };
enum { SLS_OP_CREDENTIALS, SLS_OP_EXCHANGE, SLS_OP_WAIT, SLS_OP_DONE };

/* "create_ticket", "refresh_token": the actions' names; NULL-terminated. */
extern const char *const sls_call_actions[];

/* The sls.Call at idx, or a raise. */
sls_call *sls_call_check(lua_State *L, int idx);
/* Takes the call's next step: SLS_OP_*. With SLS_OP_DONE, *nres results
 * (the result, or nil, err, detail) are on the stack. */
int  sls_call_step(lua_State *L, sls_call *k, int *nres);
/* The client at idx lives while the call holds it, in the call's slot (a
 * registry ref taken once per call object, freed in __gc); and no longer. */
void sls_call_hold_client(lua_State *L, sls_call *k, int idx);
void sls_call_let_client_go(lua_State *L, sls_call *k);
/* Registers the sls.Call metatable, and the client's create_ticket and
 * refresh_token methods (after sls_client_register). */
void sls_call_register(lua_State *L);

#endif
