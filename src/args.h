/* Option checking at the binding boundary. Every misuse raises one Lua error
 * naming the function, the option, what is allowed and the value given
 * (never the value of a secret). Nothing here allocates outside Lua, so a
 * raise leaks nothing. */
#ifndef SLS_ARGS_H
#define SLS_ARGS_H

#include "compat.h"

#define SLS_SECRET 1   /* flag: never echo the value */
#define SLS_ASCII  2   /* flag: printable ASCII only (it goes into a header) */

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
/* A boolean option; dflt when nil. Pushes nothing. */
int sls_args_bool_at(lua_State *L, int vidx, const char *fn, const char *name, int dflt);
/* One of choices (NULL-terminated); its index, or dflt when nil. */
int sls_args_enum(lua_State *L, int idx, const char *fn, const char *name,
                  const char *const choices[], int dflt);
/* sls_args_enum's check of the value at vidx. Pushes nothing. */
int sls_args_enum_at(lua_State *L, int vidx, const char *fn, const char *name,
                     const char *const choices[], int dflt);

/* ------------------------------------------- an options table, read once
 *
 * A function's option names are one NULL-terminated list; an option is its
 * index there (an enum made from the same X-macro as the list, so the two
 * cannot drift: SLS_OPT_ENUM, SLS_OPT_NAME). sls_opts_read walks the table's
 * own keys once, raising on a key that is not a string or not an option,
 * and leaves every option's value on the stack: o->at[i] is where names[i]
 * is, a shared nil when absent. A plain table is read by that one walk, so
 * the dozens of options a call does not give cost nothing; a table with a
 * metatable is read with lua_getfield, every name once, so __index runs
 * once per option and call and what is checked is what is used. The
 * values stay on the stack while the caller runs (pointers into them stay
 * valid, args.h above). */
#define SLS_OPTS_MAX 48
#define SLS_OPT_ENUM(id, name) OPT_##id,
#define SLS_OPT_NAME(id, name) name,

typedef struct sls_opts {
	const char        *fn;
	const char *const *names;
	int                nil;            /* the slot of every absent option */
	int                at[SLS_OPTS_MAX];
} sls_opts;

/* Once per list at luaopen: the name -> index map sls_opts_read uses (it
 * also keeps the names interned). */
void sls_opts_register(lua_State *L, const char *const names[]);
/* The options at idx (a table, or nil/none for none given) into o; may push
 * up to as many values as there are names, plus two, and leaves room for
 * LUA_MINSTACK more, as a C function has on entry. */
void sls_opts_read(lua_State *L, int idx, const char *fn, const char *const names[],
                   sls_opts *o);
/* Readers of option i: sls_args_*_at on its slot, named in messages by its
 * name. */
const char *sls_opt_str(lua_State *L, const sls_opts *o, int i, size_t max, int nonempty,
                        int flags, size_t *len);
int sls_opt_int(lua_State *L, const sls_opts *o, int i, long long lo, long long hi,
                long long *out);
int sls_opt_bool(lua_State *L, const sls_opts *o, int i, int dflt);
int sls_opt_enum(lua_State *L, const sls_opts *o, int i, const char *const choices[],
                 int dflt);

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
