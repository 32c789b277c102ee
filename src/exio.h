/* The io protocol of exchanges driven from Lua (sls/ngx.lua): call:io and
 * fetch:io. */
#ifndef SLS_EXIO_H
#define SLS_EXIO_H

#include "compat.h"
#include "exchange.h"

/* Milliseconds of a monotonic clock: deadlines. */
long long sls_exio_now_ms(void);
/* Sets the io method name of the class mt's methods to f, a closure with
 * the protocol's words as upvalues, which sls_exio_args needs. */
void sls_exio_method(lua_State *L, const char *mt, const char *name, lua_CFunction f);
/* In an io method: reads (self, op, ok_or_data, err, reused), runs the
 * exchange's decision and leaves self, the verdict's name and two numbers
 * (want or ms, ms) on the stack; returns the verdict (SLS_NEXT_*). */
int  sls_exio_args(lua_State *L, sls_exchange *x);
/* Then leaves what the driver gets back ("read", want, ms | "send", ms |
 * "keepalive", idle_ms | "resend", fresh_pool, connect_ms | "close") and
 * returns its count. */
int  sls_exio_push(lua_State *L, sls_exchange *x, int verdict, long idle_ms,
                   const char *fresh_pool, long connect_timeout);

#endif
