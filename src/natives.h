/* Private natives for the Lua files and the specs (sls._fetch, ...). */
#ifndef SLS_NATIVES_H
#define SLS_NATIVES_H

#include "compat.h"

/* Sets sls._fetch, _hmac_sha1, _sign, _pct, _parse_time and _limits in the
 * table on top of the stack. */
void sls_natives_register(lua_State *L);
/* sls._fetch(req), for a credentials provider's get. */
int  sls_natives_fetch(lua_State *L);

#endif
