/* The step API sls/ngx.lua drives a call with (steps.c). */
#ifndef SLS_STEPS_H
#define SLS_STEPS_H

#include "compat.h"

/* Adds call:next, call:io and call:credentials to the sls.Call metatable
 * (after sls_call_register made it). */
void sls_steps_register(lua_State *L);
/* Pushes sls._call(client, action, opts[, spare[, first]]): a call for
 * sls/ngx.lua to drive; spare, a call that is over, is used again when it
 * can be; with first, its first step (call:next()) follows the call. */
void sls_call_push_lua(lua_State *L);

#endif
