/* What a call returns: the result table of a good answer, or `nil, err,
 * detail`. Server text is untrusted: it is cleaned (text.c) of the
 * request's secrets, control bytes and excess length before it reaches err
 * or detail, so err is always one printable line. */
#ifndef SLS_RESULT_H
#define SLS_RESULT_H

#include "call.h"
#include "text.h"

/* Pushes nil, err, detail for k's outcome and returns 3. */
int  sls_result_failure(lua_State *L, sls_call *k);
/* Reads the answer of k's attempt (status, head, body in k->answer): pushes
 * the result table and returns 1, or fills k->o (and detail's extras) and
 * returns 0. secrets are redacted from the server's text. */
int  sls_result_read(lua_State *L, sls_call *k, const sls_secret *secrets, size_t n);
/* Drops what the last answer left for detail (access_denied_detail). */
void sls_result_forget(lua_State *L, sls_call *k);
/* Looks up cjson.safe.decode once per lua_State. */
void sls_result_register(lua_State *L);

#endif
