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
	/* One pass; which rule failed is asked only when one did. */
	if (!sls_text_printable(s, n, (flags & SLS_ASCII) ? SLS_PRINT_ASCII : 0)) {
		if (!sls_text_printable(s, n, 0))
			sls_args_fail(L, "%s: option '%s' must not contain control characters "
			              "or NUL bytes (got %s)", fn, name,
			              (flags & SLS_SECRET) ? "a secret, not shown"
			                                   : sls_args_describe(L, vidx, d, sizeof d));
		sls_args_fail(L, "%s: option '%s' must be printable ASCII (got %s)", fn, name,
		              (flags & SLS_SECRET) ? "a secret, not shown"
		                                   : sls_args_describe(L, vidx, d, sizeof d));
	}
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

int sls_args_bool_at(lua_State *L, int vidx, const char *fn, const char *name, int dflt)
{
	char d[96];

	if (lua_isnil(L, vidx))
		return dflt;
	if (!lua_isboolean(L, vidx))
		sls_args_fail(L, "%s: option '%s' must be a boolean (got %s)", fn, name,
		           sls_args_describe(L, vidx, d, sizeof d));
	return lua_toboolean(L, vidx);
}

int sls_args_enum_at(lua_State *L, int vidx, const char *fn, const char *name,
                     const char *const choices[], int dflt)
{
	luaL_Buffer b;
	char d[96];
	int i;

	if (lua_isnil(L, vidx))
		return dflt;
	vidx = sls_absindex(L, vidx);
	if (lua_type(L, vidx) == LUA_TSTRING)
		for (i = 0; choices[i] != NULL; i++)
			if (strcmp(choices[i], lua_tostring(L, vidx)) == 0)
				return i;
	luaL_checkstack(L, 2, fn);
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
	                  lua_tostring(L, -1), sls_args_describe(L, vidx, d, sizeof d));
}

int sls_args_enum(lua_State *L, int idx, const char *fn, const char *name,
                  const char *const choices[], int dflt)
{
	int v;

	luaL_checkstack(L, 1, fn);
	lua_getfield(L, idx, name);
	v = sls_args_enum_at(L, -1, fn, name, choices, dflt);
	lua_pop(L, 1);                  /* an index: a copy */
	return v;
}

/* ------------------------------------------------ options read once */

void sls_opts_register(lua_State *L, const char *const names[])
{
	int i;

	lua_pushlightuserdata(L, (void *)names);
	lua_newtable(L);
	for (i = 0; names[i] != NULL; i++) {
		lua_pushstring(L, names[i]);
		lua_pushinteger(L, i);
		lua_rawset(L, -3);
	}
	lua_rawset(L, LUA_REGISTRYINDEX);
}

void sls_opts_read(lua_State *L, int idx, const char *fn, const char *const names[],
                   sls_opts *o)
{
	int n, i, map, nil, plain;
	char d[96];

	for (n = 0; names[n] != NULL; n++)
		;
	if (n > SLS_OPTS_MAX)
		luaL_error(L, "%s: %d options, more than SLS_OPTS_MAX", fn, n);
	idx = sls_absindex(L, idx);
	o->fn = fn;
	o->names = names;
	luaL_checkstack(L, n + 4, fn);
	lua_pushlightuserdata(L, (void *)names);
	lua_rawget(L, LUA_REGISTRYINDEX);
	map = lua_gettop(L);
	if (!lua_istable(L, map))
		luaL_error(L, "%s: option names not registered", fn);
	lua_pushnil(L);
	o->nil = nil = lua_gettop(L);
	for (i = 0; i < n; i++)
		o->at[i] = nil;
	if (lua_isnoneornil(L, idx))
		goto room;
	if (!lua_istable(L, idx))
		sls_args_fail(L, "%s: expected a table of options (got %s)", fn,
		              sls_args_describe(L, idx, d, sizeof d));
	plain = !lua_getmetatable(L, idx);
	if (!plain)
		lua_pop(L, 1);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {           /* key, value */
		if (lua_type(L, -2) != LUA_TSTRING)
			sls_args_fail(L, "%s: option names must be strings (got %s)", fn,
			              sls_args_describe(L, -2, d, sizeof d));
		lua_pushvalue(L, -2);
		lua_rawget(L, map);                   /* key, value, index */
		if (lua_isnil(L, -1)) {
			sls_args_describe(L, -3, d, sizeof d);
			d[0] = d[strlen(d) - 1] = '\'';
			sls_args_fail(L, "%s: unknown option %s", fn, d);
		}
		i = (int)lua_tointeger(L, -1);
		lua_pop(L, 1);
		if (plain) {
			lua_insert(L, -2);                /* value stays; key on top */
			o->at[i] = lua_gettop(L) - 1;
		} else {
			lua_pop(L, 1);
		}
	}
	if (!plain) {
		/* A metatable may supply options through __index: each name read once. */
		for (i = 0; i < n; i++) {
			lua_getfield(L, idx, names[i]);
			o->at[i] = lua_gettop(L);
		}
	}
room:
	/* The caller keeps the room a C function starts with, above the values. */
	luaL_checkstack(L, LUA_MINSTACK, fn);
}

const char *sls_opt_str(lua_State *L, const sls_opts *o, int i, size_t max, int nonempty,
                        int flags, size_t *len)
{
	if (o->at[i] == o->nil)           /* absent: no Lua call at all */
		return NULL;
	return sls_args_str_at(L, o->at[i], o->fn, o->names[i], max, nonempty, flags, len);
}

int sls_opt_int(lua_State *L, const sls_opts *o, int i, long long lo, long long hi,
                long long *out)
{
	if (o->at[i] == o->nil)
		return 0;
	return sls_args_int_at(L, o->at[i], o->fn, o->names[i], lo, hi, out);
}

int sls_opt_bool(lua_State *L, const sls_opts *o, int i, int dflt)
{
	if (o->at[i] == o->nil)
		return dflt;
	return sls_args_bool_at(L, o->at[i], o->fn, o->names[i], dflt);
}

int sls_opt_enum(lua_State *L, const sls_opts *o, int i, const char *const choices[],
                 int dflt)
{
	if (o->at[i] == o->nil)
		return dflt;
	return sls_args_enum_at(L, o->at[i], o->fn, o->names[i], choices, dflt);
}
