/* Option checking at the binding boundary. Every misuse raises one Lua error
 * naming the function, the option, what is allowed and the value given
 * (never the value of a secret). Nothing here allocates outside Lua, so a
 * raise leaks nothing. */
#ifndef SLS_ARGS_H
#define SLS_ARGS_H

#include "compat.h"

#define SLS_SECRET 1   /* flag: never echo the value */
#define SLS_ASCII  2   /* flag: printable ASCII only (it goes into a header) */

/* opts at idx must be a table or nil/none; a nil becomes an empty table in
 * place so later lookups are uniform. Then every key must be a string in
 * names (NULL-terminated). */
void sls_args_table(lua_State *L, int idx, const char *fn, const char *const names[]);

/* An integer option in lo..hi: 1 and *out when given, 0 when nil. */
int sls_args_int(lua_State *L, int idx, const char *fn, const char *name,
                 long long lo, long long hi, long long *out);
/* A string option of at most max bytes, without NUL or control bytes;
 * NULL when nil. A non-empty string when nonempty. Leaves exactly one value
 * on the stack, the string or nil, which the caller keeps there for as long
 * as it uses the pointer: a value from __index is referenced by nothing
 * else. */
const char *sls_args_str(lua_State *L, int idx, const char *fn, const char *name,
                         size_t max, int nonempty, int flags, size_t *len);
/* A boolean option; dflt when nil. */
int sls_args_bool(lua_State *L, int idx, const char *fn, const char *name, int dflt);
/* One of choices (NULL-terminated); its index, or dflt when nil. */
int sls_args_enum(lua_State *L, int idx, const char *fn, const char *name,
                  const char *const choices[], int dflt);

/* luaL_error with printf formats (%lld, %zu). */
int sls_args_fail(lua_State *L, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

/* A short description of the value at idx for a message: 1.5, "3600", nil,
 * true, table. Strings are quoted, escaped and cut at 40 bytes. */
const char *sls_args_describe(lua_State *L, int idx, char *buf, size_t size);

#endif
