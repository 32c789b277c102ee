/* Console embed links: sls.embed_url. */
#ifndef SLS_EMBED_H
#define SLS_EMBED_H

#include "compat.h"

#define SLS_EMBED_FN "sls.embed_url"

/* sls.embed_url(opts): pure string building; raises on bad options. */
int sls_embed_url(lua_State *L);

/* Registers embed_url's option names (sls_opts_register). */
void sls_embed_register(lua_State *L);

#endif
