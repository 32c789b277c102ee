/* luaopen_sls: the only exported symbol. */
#include "client.h"
#include "natives.h"

#if defined(__GNUC__)
#define SLS_EXPORT __attribute__((visibility("default")))
#else
#define SLS_EXPORT
#endif

SLS_EXPORT int luaopen_sls(lua_State *L);

int luaopen_sls(lua_State *L)
{
	static const luaL_Reg functions[] = {
		{ "new",           sls_client_new },
		{ "create_ticket", sls_default_create_ticket },
		{ "refresh_token", sls_default_refresh_token },
		{ "embed_url",     sls_embed_url },
		{ "_default",      sls_default_client },
		{ NULL, NULL }
	};

	sls_client_register(L);
	lua_newtable(L);
	sls_setfuncs(L, functions);
	sls_natives_register(L);
	lua_pushliteral(L, "lua-sls " SLS_VERSION);
	lua_setfield(L, -2, "_VERSION");

	/* Inside nginx, sls/ngx.lua routes calls made where cosockets are
	 * allowed through ngx.socket.tcp; C functions cannot yield there. */
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
