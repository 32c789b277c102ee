#include "args.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

int sls_args_fail(lua_State *L, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	/* lua_pushfstring knows no %lld, so format here; luaL_error copies the
	 * text into a Lua string before it unwinds this frame. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return luaL_error(L, "%s", msg);
}

const char *sls_args_describe(lua_State *L, int idx, char *buf, size_t size)
{
	size_t n, i, o = 0;
	const char *s;

	switch (lua_type(L, idx)) {
	case LUA_TNONE:
	case LUA_TNIL:
		return "nil";
	case LUA_TBOOLEAN:
		return lua_toboolean(L, idx) ? "true" : "false";
	case LUA_TNUMBER: {
#if SLS_HAS_INTEGER_SUBTYPE
		if (lua_isinteger(L, idx)) {
			snprintf(buf, size, LUA_INTEGER_FMT, lua_tointeger(L, idx));
			return buf;
		}
#endif
		double d = (double)lua_tonumber(L, idx);
		if (isnan(d))
			return "nan";
		if (isinf(d))
			return d > 0 ? "inf" : "-inf";
		snprintf(buf, size, "%.14g", d);
		return buf;
	}
	case LUA_TSTRING:
		s = lua_tolstring(L, idx, &n);
		buf[o++] = '"';
		for (i = 0; i < n && o + 8 < size; i++) {
			unsigned char c = (unsigned char)s[i];
			if (i == 40) {
				memcpy(buf + o, "...", 3);
				o += 3;
				break;
			}
			if (c == '"' || c == '\\') {
				buf[o++] = '\\';
				buf[o++] = (char)c;
			} else if (c < 0x20 || c == 0x7f) {
				o += (size_t)snprintf(buf + o, size - o, "\\%u", c);
			} else {
				buf[o++] = (char)c;
			}
		}
		buf[o++] = '"';
		buf[o] = '\0';
		return buf;
	default:
		return luaL_typename(L, idx);
	}
}

void sls_args_table(lua_State *L, int idx, const char *fn, const char *const names[])
{
	char d[96];
	size_t i;

	if (lua_isnoneornil(L, idx)) {
		lua_newtable(L);
		lua_replace(L, idx);
		return;
	}
	if (!lua_istable(L, idx))
		sls_args_fail(L, "%s: expected a table of options (got %s)", fn,
		           sls_args_describe(L, idx, d, sizeof d));
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			sls_args_fail(L, "%s: option names must be strings (got %s)", fn,
			           sls_args_describe(L, -1, d, sizeof d));
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], lua_tostring(L, -1)) == 0)
				break;
		if (names[i] == NULL) {
			sls_args_describe(L, -1, d, sizeof d);
			d[0] = d[strlen(d) - 1] = '\'';
			sls_args_fail(L, "%s: unknown option %s", fn, d);
		}
	}
}

int sls_args_int_at(lua_State *L, int vidx, const char *fn, const char *name,
                    long long lo, long long hi, long long *out)
{
	char d[96];
	double x;
	int ok = 0;

	if (lua_isnil(L, vidx))
		return 0;
	if (lua_type(L, vidx) == LUA_TNUMBER) {
#if SLS_HAS_INTEGER_SUBTYPE
		if (lua_isinteger(L, vidx)) {
			lua_Integer v = lua_tointeger(L, vidx);
			ok = v >= lo && v <= hi;
			*out = (long long)v;
			goto done;
		}
#endif
		x = (double)lua_tonumber(L, vidx);
		ok = isfinite(x) && floor(x) == x && x >= (double)lo && x <= (double)hi;
		if (ok)
			*out = (long long)x;
	}
#if SLS_HAS_INTEGER_SUBTYPE
done:
#endif
	if (!ok)
		sls_args_fail(L, "%s: option '%s' must be an integer in %lld..%lld (got %s)",
		           fn, name, lo, hi, sls_args_describe(L, vidx, d, sizeof d));
	return 1;
}

int sls_args_int(lua_State *L, int idx, const char *fn, const char *name,
                 long long lo, long long hi, long long *out)
{
	int given;

	luaL_checkstack(L, 1, fn);
	lua_getfield(L, idx, name);
	given = sls_args_int_at(L, -1, fn, name, lo, hi, out);
	lua_pop(L, 1);                  /* a number: *out is a copy */
	return given;
}

const char *sls_args_str_at(lua_State *L, int vidx, const char *fn, const char *name,
                            size_t max, int nonempty, int flags, size_t *len)
{
	const char *s;
	char d[96];
	size_t n;

	if (lua_isnil(L, vidx))
		return NULL;
	if (lua_type(L, vidx) != LUA_TSTRING)
		sls_args_fail(L, "%s: option '%s' must be a string (got %s)", fn, name,
		           (flags & SLS_SECRET) ? luaL_typename(L, vidx)
		                                : sls_args_describe(L, vidx, d, sizeof d));
	s = lua_tolstring(L, vidx, &n);
	if (nonempty && n == 0)
		sls_args_fail(L, "%s: option '%s' must not be empty", fn, name);
	if (n > max)
		sls_args_fail(L, "%s: option '%s' must be at most %zu bytes (got %zu bytes)",
		           fn, name, max, n);
	if (!sls_text_printable(s, n, 0))
		sls_args_fail(L, "%s: option '%s' must not contain control characters "
		           "or NUL bytes (got %s)", fn, name,
		           (flags & SLS_SECRET) ? "a secret, not shown"
		                                : sls_args_describe(L, vidx, d, sizeof d));
	if ((flags & SLS_ASCII) && !sls_text_printable(s, n, SLS_PRINT_ASCII))
		sls_args_fail(L, "%s: option '%s' must be printable ASCII (got %s)", fn,
		           name, (flags & SLS_SECRET) ? "a secret, not shown"
		                                      : sls_args_describe(L, vidx, d, sizeof d));
	if (len != NULL)
		*len = n;
	return s;
}

const char *sls_args_str(lua_State *L, int idx, const char *fn, const char *name,
                         size_t max, int nonempty, int flags, size_t *len)
{
	luaL_checkstack(L, 1, fn);
	lua_getfield(L, idx, name);
	/* Left on the stack: __index may have made this string, and nothing
	 * else need reference it (args.h). */
	return sls_args_str_at(L, -1, fn, name, max, nonempty, flags, len);
}

int sls_args_bool(lua_State *L, int idx, const char *fn, const char *name, int dflt)
{
	char d[96];
	int v;

	luaL_checkstack(L, 1, fn);
	lua_getfield(L, idx, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	if (!lua_isboolean(L, -1))
		sls_args_fail(L, "%s: option '%s' must be a boolean (got %s)", fn, name,
		           sls_args_describe(L, -1, d, sizeof d));
	v = lua_toboolean(L, -1);
	lua_pop(L, 1);
	return v;
}

int sls_args_enum(lua_State *L, int idx, const char *fn, const char *name,
                  const char *const choices[], int dflt)
{
	luaL_Buffer b;
	char d[96];
	int i;

	luaL_checkstack(L, 2, fn);
	lua_getfield(L, idx, name);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return dflt;
	}
	if (lua_type(L, -1) == LUA_TSTRING)
		for (i = 0; choices[i] != NULL; i++)
			if (strcmp(choices[i], lua_tostring(L, -1)) == 0) {
				lua_pop(L, 1);
				return i;
			}
	luaL_buffinit(L, &b);
	for (i = 0; choices[i] != NULL; i++) {
		if (i > 0)
			luaL_addstring(&b, choices[i + 1] ? ", " : " or ");
		luaL_addchar(&b, '"');
		luaL_addstring(&b, choices[i]);
		luaL_addchar(&b, '"');
	}
	luaL_pushresult(&b);
	return sls_args_fail(L, "%s: option '%s' must be %s (got %s)", fn, name,
	                  lua_tostring(L, -1), sls_args_describe(L, -2, d, sizeof d));
}

void sls_args_anchor(lua_State *L, const char *const names[])
{
	static char key;
	size_t i;

	lua_pushlightuserdata(L, &key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushlightuserdata(L, &key);
		lua_pushvalue(L, -2);
		lua_rawset(L, LUA_REGISTRYINDEX);
	}
	for (i = 0; names[i] != NULL; i++) {
		lua_pushstring(L, names[i]);
		lua_pushboolean(L, 1);
		lua_rawset(L, -3);
	}
	lua_pop(L, 1);
}
