/* The query of an embed link (embed_query.c): its parameters gathered in
 * order, then written at once, percent-encoded where they need it. */
#ifndef SLS_EMBED_QUERY_H
#define SLS_EMBED_QUERY_H

#include <stddef.h>

#include "compat.h"

#define SLS_QUERY_MAX 192     /* parameters of one link */

/* Written as they are: sls.embed_url's own parameter names and values
 * (letters, digits, '_' and '-' only), which percent-encoding would leave
 * unchanged. */
#define SLS_QUERY_PLAIN_NAME  1
#define SLS_QUERY_PLAIN_VALUE 2

/* Names and values are counted, not NUL-terminated (a params name may hold
 * any byte), and each is a Lua string kept on the stack (itself, in the
 * anchor table or in a list that is on the stack) or C memory of the
 * caller's frame, until the link is written. */
typedef struct sls_query_pair {
	const char   *name, *value;
	size_t        name_len, len;
	int           plain;           /* SLS_QUERY_PLAIN_* */
} sls_query_pair;

typedef struct sls_query {
	const char    *fn;             /* for errors: the function building it */
	sls_query_pair pair[SLS_QUERY_MAX];
	int            n;
	int            anchors;        /* the anchor table's index, 0 before */
} sls_query;

void sls_query_init(sls_query *q, const char *fn);
/* A parameter; raises past SLS_QUERY_MAX. */
void sls_query_add(lua_State *L, sls_query *q, const char *name, size_t name_len,
                   const char *value, size_t len, int plain);
/* One of embed_url's parameter names with a value from the caller. */
void sls_query_param(lua_State *L, sls_query *q, const char *name, const char *value,
                     size_t len);
/* One of embed_url's parameter names with a value of its own ("true", a
 * number, a theme). */
void sls_query_own(lua_State *L, sls_query *q, const char *name, const char *value);
/* name=s, or with b64 name=base64(s) and encoding=base64; nothing when s
 * is NULL. */
void sls_query_encodable(lua_State *L, sls_query *q, const char *name, const char *encoding,
                         const char *s, size_t n, int b64);
/* Makes the table that keeps strings made here referenced until the link
 * is written, at the top, if it is not there yet: before a walk whose key
 * and value must stay on top. */
void sls_query_anchors(lua_State *L, sls_query *q);
/* The value on top (popped), kept referenced by that table (made below it
 * if need be): a string made here (base64, a number, a boolean). */
void sls_query_anchor(lua_State *L, sls_query *q);
/* Sorts the parameters from first on by name bytes (a shorter prefix
 * first), so a link made from a table is the same each time. */
void sls_query_sort_from(sls_query *q, int first);
/* Bytes the query may take written (every byte encoded). */
size_t sls_query_room(const sls_query *q);
/* Writes "?name=value&..." at p; returns the end. */
char *sls_query_write(const sls_query *q, char *p);

#endif
