/* The sls.Client userdata and the module-level functions built on it. */
#ifndef SLS_CLIENT_H
#define SLS_CLIENT_H

#include "compat.h"

#define SLS_VERSION     "0.1.0"
#define SLS_CLIENT_MT   "sls.Client"

/* Registers the sls.Client metatable. */
void sls_client_register(lua_State *L);
/* True inside nginx's Lua module, where ngx.socket.tcp exists. */
int  sls_have_cosockets(lua_State *L);
/* sls.new(opts) */
int  sls_client_new(lua_State *L);
/* sls.create_ticket(opts) and sls.refresh_token(opts) on the default client. */
int  sls_default_create_ticket(lua_State *L);
int  sls_default_refresh_token(lua_State *L);
/* sls._default(): the default client. */
int  sls_default_client(lua_State *L);

/* sls.embed_url(opts), in embed.c */
int  sls_embed_url(lua_State *L);

#endif
