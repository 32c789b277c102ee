/* luaopen_sls: the only exported symbol. */
#include "client.h"

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
		{ "_sign",         sls_sign_lua },
		{ NULL, NULL }
	};

	sls_client_register(L);
	lua_newtable(L);
	sls_setfuncs(L, functions);
	lua_pushliteral(L, "lua-sls " SLS_VERSION);
	lua_setfield(L, -2, "_VERSION");
	return 1;
}
