/* Shared by the libFuzzer targets that drive the Lua binding: one Lua 5.4
 * state with the module linked in, and a Lua function `check(input)` from
 * the target's script. A Lua error raised by check is a finding: abort. */
#ifndef SLS_FUZZ_LUA_HARNESS_H
#define SLS_FUZZ_LUA_HARNESS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

int luaopen_sls(lua_State *L);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static lua_State *harness_state(const char *script)
{
	static lua_State *L;

	if (L == NULL) {
		L = luaL_newstate();
		luaL_openlibs(L);
		luaL_requiref(L, "sls", luaopen_sls, 1);
		lua_pop(L, 1);
		if (luaL_dostring(L, script) != 0) {
			fprintf(stderr, "fuzz script: %s\n", lua_tostring(L, -1));
			abort();
		}
	}
	return L;
}

static int harness_run(const char *script, const uint8_t *data, size_t size)
{
	static unsigned long runs;
	lua_State *L = harness_state(script);

	lua_getglobal(L, "check");
	lua_pushlstring(L, (const char *)data, size);
	if (lua_pcall(L, 1, 0, 0) != 0) {
		fprintf(stderr, "finding: %s\n", lua_tostring(L, -1));
		abort();
	}
	if (++runs % 4096 == 0)
		lua_gc(L, LUA_GCCOLLECT, 0);   /* so LeakSanitizer sees what is really kept */
	return 0;
}

#endif
