/* The sls.Client userdata: its options (a config filled once by
 * read_options), its credential cache, its libcurl handle and signing state.
 * The call (call.c) uses it; the module (sls.c) makes it. */
#ifndef SLS_CLIENT_H
#define SLS_CLIENT_H

#include <stdint.h>

#include "compat.h"
#include "creds.h"
#include "endpoint.h"
#include "http.h"
#include "request.h"
#include "sign.h"

#define SLS_VERSION     "0.1.0"
#define SLS_CLIENT_MT   "sls.Client"

enum { SLS_TRANSPORT_AUTO, SLS_TRANSPORT_CURL, SLS_TRANSPORT_NGX };

/* The names of signature versions ("v1", "v4") and transports ("auto",
 * "curl", "ngx"), in the order of their values; NULL-terminated. */
extern const char *const sls_versions[];
extern const char *const sls_transports[];

/* What the options said, checked once at sls.new. */
typedef struct sls_config {
	sls_endpoint endpoint;
	char         region[64];
	char        *user_agent;       /* "lua-sls/<version>[ <user_agent>]" */
	int          version;          /* signature version, 1 or 4 */
	int          max_attempts;
	int          transport;        /* SLS_TRANSPORT_* */
	int          ssl_verify;
	int          has_proxy;
	long         connect_timeout;  /* ms */
	long         timeout;          /* ms, one attempt end to end */
} sls_config;

/* The last request built, and what for (call.c). Within one second, with
 * the same keys and options, a request is the same bytes: only its Date
 * and the signature over it change from call to call. Valid only while
 * the client's req holds that request, which libcurl sends. */
typedef struct sls_memo {
	int           valid;
	sls_ask       ask;           /* never a refresh: ask.ticket is NULL */
	time_t        signed_at;     /* the time in its Date */
	unsigned long creds_gen;     /* the keys it was signed with */
	sls_sent      sent;          /* its bytes: wiped */
} sls_memo;

typedef struct sls_client {
	int             open;
	sls_config      cfg;
	sls_creds_cache creds;
	sls_http        http;          /* libcurl: one handle, kept alive */
	sls_request     req;           /* scratch: built and used without yielding */
	sls_memo        memo;
	sls_sign_ctx    sign;
	long long       skew;          /* server clock minus ours, seconds */
	uint32_t        rng;           /* jitter */
	unsigned long   serial;        /* names its cosocket connection pool */
	char            pool[SLS_HOST_MAX + 64];   /* that pool's name */
} sls_client;

/* Registers the sls.Client metatable. */
void sls_client_register(lua_State *L);
/* sls.new(opts): raises on bad options; no network I/O. */
int  sls_client_new(lua_State *L);
/* The open client at idx, or a raise. */
sls_client *sls_client_check(lua_State *L, int idx);
/* 32 random bits for the retry jitter. */
uint32_t sls_client_random(sls_client *c);
/* The name of client c's cosocket connection pool (fresh: the one resend's,
 * which nothing reads from): everything that makes two connections
 * different, and the client, which keeps its own as libcurl keeps them per
 * handle. */
void sls_client_pool_name(char *out, size_t size, const sls_client *c, int fresh);
/* True inside nginx's Lua module, where ngx.socket.tcp exists. */
int  sls_have_cosockets(lua_State *L);

#endif
