/* Lua 5.1 / LuaJIT 2.1 / 5.4 compatibility shims.
 * Guarded by feature (LUA_VERSION_NUM), never by LUAJIT_VERSION: LuaJIT 2.1
 * reports 501 and already ships some 5.2 functions, so every shim is static
 * and prefixed to avoid clashing with the ones it does have. */
#ifndef SLS_COMPAT_H
#define SLS_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#define sls_rawlen(L, i) lua_objlen((L), (i))
#define sls_absindex(L, i) \
	((i) > 0 || (i) <= LUA_REGISTRYINDEX ? (i) : lua_gettop(L) + (i) + 1)

/* luaL_setfuncs with nup == 0, the only form this module uses. */
static inline void sls_setfuncs(lua_State *L, const luaL_Reg *l)
{
	for (; l->name != NULL; l++) {
		lua_pushcfunction(L, l->func);
		lua_setfield(L, -2, l->name);
	}
}

/* luaL_testudata: the userdata at idx if its metatable is tname's, or NULL. */
static inline void *sls_testudata(lua_State *L, int idx, const char *tname)
{
	void *p = lua_touserdata(L, idx);
	if (p == NULL || !lua_getmetatable(L, idx))
		return NULL;
	luaL_getmetatable(L, tname);
	if (!lua_rawequal(L, -1, -2))
		p = NULL;
	lua_pop(L, 2);
	return p;
}

/* lua_isinteger: 5.1 has no integer subtype; a float with an integral value
 * is the closest meaning, and callers range-check it anyway. */
#define SLS_HAS_INTEGER_SUBTYPE 0
#else
#define sls_rawlen(L, i) lua_rawlen((L), (i))
#define sls_absindex(L, i) lua_absindex((L), (i))
#define sls_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#define sls_testudata(L, i, n) luaL_testudata((L), (i), (n))
#define SLS_HAS_INTEGER_SUBTYPE (LUA_VERSION_NUM >= 503)
#endif

/* A metatable is also kept in the registry under a lightuserdata key, so a
 * method's type check costs no string hashing (luaL_checkudata looks the
 * metatable up by its name on every call). */
static inline void sls_keep_metatable(lua_State *L, const void *key)
{
	lua_pushlightuserdata(L, (void *)key);
	lua_pushvalue(L, -2);
	lua_rawset(L, LUA_REGISTRYINDEX);
}

/* luaL_checkudata through the key above; the named check (and its
 * message) when the fast one fails. */
static inline void *sls_checkudata(lua_State *L, int idx, const void *key,
                                   const char *tname)
{
	void *p = lua_touserdata(L, idx);

	if (p != NULL && lua_getmetatable(L, idx)) {
		int same;
		lua_pushlightuserdata(L, (void *)key);
		lua_rawget(L, LUA_REGISTRYINDEX);
		same = lua_rawequal(L, -1, -2);
		lua_pop(L, 2);
		if (same)
			return p;
	}
	return luaL_checkudata(L, idx, tname);
}

/* Sets the metatable kept under key on the value on top of the stack. */
static inline void sls_set_metatable(lua_State *L, const void *key)
{
	lua_pushlightuserdata(L, (void *)key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	lua_setmetatable(L, -2);
}

/* need bytes to write in: small (of size bytes) when they fit, else a
 * userdata pushed on the stack, which Lua frees whatever happens next. */
static inline char *sls_room(lua_State *L, char *small, size_t size, size_t need)
{
	return need <= size ? small : (char *)lua_newuserdata(L, need);
}

/* Makes (once per lua_State) the metatable name with the metamethods meta
 * (may be NULL) and an __index table of methods (may be NULL), kept under
 * key too (sls_checkudata). */
static inline void sls_new_class(lua_State *L, const char *name, const void *key,
                                 const luaL_Reg *meta, const luaL_Reg *methods)
{
	if (luaL_newmetatable(L, name)) {
		if (meta != NULL)
			sls_setfuncs(L, meta);
		if (methods != NULL) {
			lua_newtable(L);
			sls_setfuncs(L, methods);
			lua_setfield(L, -2, "__index");
		}
		lua_pushstring(L, name);
		lua_setfield(L, -2, "__name");
		/* getmetatable() answers this instead: Lua code cannot reach
		 * __gc and free what C still uses. */
		lua_pushboolean(L, 0);
		lua_setfield(L, -2, "__metatable");
		sls_keep_metatable(L, key);
	}
	lua_pop(L, 1);
}

#endif
