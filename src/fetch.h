/* The requests credential providers make: sls._fetch (blocking, libcurl)
 * and sls._fetcher (driven over a cosocket by sls/ngx.lua). */
#ifndef SLS_FETCH_H
#define SLS_FETCH_H

#include "compat.h"

/* sls._fetch({ method, url, headers, body, timeout }[, budget_ms]) ->
 * status, body | nil, "Code: message". */
int  sls_fetch_lua(lua_State *L);
/* sls._fetcher(same) -> a fetch (request, io, result), or nil, err. */
int  sls_fetcher_lua(lua_State *L);
/* Registers the metatables of the two. */
void sls_fetch_register(lua_State *L);

#endif
