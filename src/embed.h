/* Console embed links: sls.embed_url. */
#ifndef SLS_EMBED_H
#define SLS_EMBED_H

#include "compat.h"

#define SLS_EMBED_FN "sls.embed_url"

/* sls.embed_url(opts): pure string building; raises on bad options. */
int sls_embed_url(lua_State *L);

/* RFC 3986 percent-encoding (sls_pct_encode, the module's one encoder)
 * appended to a luaL_Buffer. */
void sls_embed_addpct(luaL_Buffer *b, const char *s, size_t n);
/* Keeps embed_url's option names interned (sls_args_anchor). */
void sls_embed_register(lua_State *L);

#endif
