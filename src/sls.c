/* luaopen_sls, the only exported symbol, and the default client that
 * sls.create_ticket and sls.refresh_token use. */
#include "call.h"
#include "steps.h"
#include "client.h"
#include "embed.h"
#include "natives.h"
#include "prepare.h"
#include "result.h"

#if defined(__GNUC__)
#define SLS_EXPORT __attribute__((visibility("default")))
#else
#define SLS_EXPORT
#endif

SLS_EXPORT int luaopen_sls(lua_State *L);

static char default_client_key;   /* registry: the default client */

/* Pushes the default client, made from the environment when there is none
 * or it was closed. */
static void push_default(lua_State *L)
{
	sls_client *c;

	lua_pushlightuserdata(L, &default_client_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	c = sls_testudata(L, -1, SLS_CLIENT_MT);
	if (c == NULL || !c->open) {
		lua_pop(L, 1);
		lua_pushcfunction(L, sls_client_new);
		lua_call(L, 0, 1);
		lua_pushlightuserdata(L, &default_client_key);
		lua_pushvalue(L, -2);
		lua_rawset(L, LUA_REGISTRYINDEX);
	}
}

/* sls.create_ticket(opts) and sls.refresh_token(opts): the default client's
 * (inside nginx, sls/ngx.lua puts its cosocket versions in their place). */
static int default_call(lua_State *L, int action)
{
	lua_settop(L, 1);
	push_default(L);
	lua_insert(L, 1);                     /* client, opts */
	return sls_call_run(L, sls_call_new(L, 1, action, 2, 0));
}

static int default_create_ticket(lua_State *L)
{
	return default_call(L, SLS_ACTION_TICKET);
}

static int default_refresh_token(lua_State *L)
{
	return default_call(L, SLS_ACTION_REFRESH);
}

/* sls._default(): the default client, for sls/ngx.lua. */
static int default_client(lua_State *L)
{
	lua_settop(L, 0);
	push_default(L);
	return 1;
}

int luaopen_sls(lua_State *L)
{
	static const luaL_Reg functions[] = {
		{ "new",           sls_client_new },
		{ "create_ticket", default_create_ticket },
		{ "refresh_token", default_refresh_token },
		{ "embed_url",     sls_embed_url },
		{ "_default",      default_client },
		{ "_prepare",      sls_call_prepare },
		{ NULL, NULL }
	};

	sls_result_register(L);
	sls_client_register(L);
	sls_call_register(L);
	sls_steps_register(L);
	sls_embed_register(L);
	lua_newtable(L);
	sls_setfuncs(L, functions);
	sls_call_push_lua(L);
	lua_setfield(L, -2, "_call");
	sls_natives_register(L);
	lua_pushliteral(L, "lua-sls " SLS_VERSION);
	lua_setfield(L, -2, "_VERSION");

	/* Inside nginx, sls/ngx.lua drives calls made where cosockets are
	 * allowed over ngx.socket.tcp: C functions cannot yield there. */
	if (sls_have_cosockets(L)) {
		lua_getglobal(L, "require");
		lua_pushliteral(L, "sls.ngx");
		lua_call(L, 1, 1);
		lua_pushvalue(L, -2);
		luaL_getmetatable(L, SLS_CLIENT_MT);
		lua_getfield(L, -1, "__index");
		lua_replace(L, -2);
		lua_call(L, 2, 0);
	}
	return 1;
}
