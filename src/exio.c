/* The protocol between sls/ngx.lua's socket loop and an exchange (a call's
 * or a fetch's): after each socket operation the driver reports how it went
 * and gets back what to do next (exchange.c decides). One place, so a call
 * and a credentials fetch are driven alike. */
#include "exio.h"

#include <time.h>

long long sls_exio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The protocol's words, the upvalues of every io method (sls_exio_method):
 * pushed and compared as the Lua strings they are, not hashed from C text
 * on every operation. The first six are SLS_NEXT_* + 1. */
static const char *const words[] = {
	"handshake", "send", "read", "keepalive", "close", "resend", "connect", NULL
};
enum { UP_HANDSHAKE = 1, UP_SEND, UP_READ, UP_CONNECT = 7, N_WORDS = 7 };

void sls_exio_method(lua_State *L, const char *mt, const char *name, lua_CFunction f)
{
	int i;

	luaL_getmetatable(L, mt);
	lua_getfield(L, -1, "__index");
	for (i = 0; words[i] != NULL; i++)
		lua_pushstring(L, words[i]);
	lua_pushcclosure(L, f, N_WORDS);
	lua_setfield(L, -2, name);
	lua_pop(L, 2);
}

/* The operation at 2: one of the words, else luaL_checkoption's error. */
static int io_op(lua_State *L)
{
	static const char *const ops[] = { "connect", "handshake", "send", "read", NULL };

	if (lua_rawequal(L, 2, lua_upvalueindex(UP_READ)))
		return SLS_IO_READ;
	if (lua_rawequal(L, 2, lua_upvalueindex(UP_SEND)))
		return SLS_IO_SEND;
	if (lua_rawequal(L, 2, lua_upvalueindex(UP_CONNECT)))
		return SLS_IO_CONNECT;
	if (lua_rawequal(L, 2, lua_upvalueindex(UP_HANDSHAKE)))
		return SLS_IO_HANDSHAKE;
	return luaL_checkoption(L, 2, NULL, ops);
}

int sls_exio_args(lua_State *L, sls_exchange *x)
{
	int io = io_op(L), verdict;
	const char *data = NULL;
	size_t n = 0, want;
	long ms;

	if (io == SLS_IO_READ && lua_type(L, 3) == LUA_TSTRING)
		data = lua_tolstring(L, 3, &n);
	verdict = sls_exchange_next(x, io, lua_toboolean(L, 3), data, n, lua_tostring(L, 4),
	                            (int)luaL_optinteger(L, 5, 0), sls_exio_now_ms(), &want, &ms);
	lua_settop(L, 1);
	lua_pushvalue(L, lua_upvalueindex(verdict + 1));
	lua_pushinteger(L, verdict == SLS_NEXT_READ ? (lua_Integer)want : ms);
	lua_pushinteger(L, ms);
	return verdict;
}

int sls_exio_push(lua_State *L, sls_exchange *x, int verdict, long idle_ms,
                     const char *fresh_pool, long connect_timeout)
{
	switch (verdict) {
	case SLS_NEXT_READ:
		return 3;                         /* "read", want, ms */
	case SLS_NEXT_HANDSHAKE:
	case SLS_NEXT_SEND:
		lua_pop(L, 1);                    /* "send", ms */
		return 2;
	case SLS_NEXT_KEEPALIVE:
		lua_pop(L, 2);                    /* "keepalive", idle ms */
		lua_pushinteger(L, idle_ms);
		return 2;
	case SLS_NEXT_RESEND:
		lua_pop(L, 2);                    /* "resend", pool, connect ms */
		sls_exchange_resend(x);
		lua_pushstring(L, fresh_pool);
		lua_pushinteger(L, sls_exchange_connect_ms(x, connect_timeout, sls_exio_now_ms()));
		return 3;
	default:
		lua_pop(L, 2);                    /* "close" */
		return 1;
	}
}

