/* sls._prepare (prepare.c). */
#ifndef SLS_PREPARE_H
#define SLS_PREPARE_H

#include "compat.h"

/* sls._prepare(client, action, opts[, now]): the signed request as it would
 * be sent at now, not sent; the provider is asked first when due. */
int sls_call_prepare(lua_State *L);

#endif
