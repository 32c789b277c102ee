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

/* Readers that return a pointer into a Lua value (sls_args_str) LEAVE that
 * value on the stack: always exactly one pushed value, the value read or
 * nil, which the caller keeps there for as long as it uses the pointer. An
 * options table may have an __index metamethod that returns a string
 * nothing else references; popping it would let the collector free the
 * bytes under C (SPEC.md section 6). Readers that return a copy (int, bool,
 * enum) leave the stack as they found it. Each reader reserves the slot it
 * pushes; a caller that keeps many values reserves room for them at once
 * with luaL_checkstack. Every value is read once: __index runs once per
 * option and call, so what is checked is what is used. */

/* An integer option in lo..hi: 1 and *out when given, 0 when nil. */
int sls_args_int(lua_State *L, int idx, const char *fn, const char *name,
                 long long lo, long long hi, long long *out);
/* sls_args_int's check of the value at vidx (anything: an option, a list
 * entry); name is what the message calls it. Pushes nothing. */
int sls_args_int_at(lua_State *L, int vidx, const char *fn, const char *name,
                    long long lo, long long hi, long long *out);
/* A string option of at most max bytes, without NUL or control bytes;
 * NULL when nil. A non-empty string when nonempty. Pushes the value (see
 * above): the pointer is valid while it stays on the stack. */
const char *sls_args_str(lua_State *L, int idx, const char *fn, const char *name,
                         size_t max, int nonempty, int flags, size_t *len);
/* sls_args_str's check of the value at vidx; pushes nothing, so the
 * pointer is valid while the value at vidx is. NULL when nil. */
const char *sls_args_str_at(lua_State *L, int vidx, const char *fn, const char *name,
                            size_t max, int nonempty, int flags, size_t *len);
/* A boolean option; dflt when nil. */
int sls_args_bool(lua_State *L, int idx, const char *fn, const char *name, int dflt);
/* One of choices (NULL-terminated); its index, or dflt when nil. */
int sls_args_enum(lua_State *L, int idx, const char *fn, const char *name,
                  const char *const choices[], int dflt);

/* Keeps the option names (NULL-terminated) referenced for the life of the
 * lua_State. Reading an option looks its name up as a Lua string; a name
 * that exists already is found, one that does not is made and collected
 * again, once per option and call: most options of a call are absent. */
void sls_args_anchor(lua_State *L, const char *const names[]);

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
