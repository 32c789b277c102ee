/* Console embed links: sls.embed_url. */
#ifndef SLS_EMBED_H
#define SLS_EMBED_H

#include "compat.h"

/* sls.embed_url(opts): pure string building; raises on bad options. */
int sls_embed_url(lua_State *L);

#endif
