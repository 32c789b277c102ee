/* Private natives for the Lua files and the specs (sls._fetch, ...). */
#ifndef SLS_NATIVES_H
#define SLS_NATIVES_H

#include "compat.h"

/* Sets the private natives (sls._fetch, _fetcher, _hmac_sha1, _sign, _pct,
 * _parse_time, _clean, _limits, _transport, _provider) in the table on top
 * of the stack. */
void sls_natives_register(lua_State *L);

#endif
