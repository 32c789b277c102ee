/* The Lua binding of a client: option checks, the call loop with retries,
 * and turning answers into results or `nil, err, detail`. */
#include "client.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "args.h"
#include "endpoint.h"
#include "http.h"
#include "natives.h"
#include "request.h"
#include "response.h"
#include "sign.h"
#include "date.h"

#define DEFAULT_ENDPOINT  "cn-shanghai.log.aliyuncs.com"
#define BACKOFF_BASE_MS   100
#define BACKOFF_CAP_MS    2000
#define RETRY_AFTER_CAP_S 5
#define DEFAULT_EXPIRY    86400
#define REFRESH_MARGIN_S  900      /* temporary credentials renewed 15 min early */

typedef struct sls_client {
	sls_http     http;
	sls_endpoint endpoint;
	sls_request  req;
	sls_sign_ctx sign;
	int          open;
	int          version;          /* 1 or 4 */
	int          max_attempts;
	int          transport;        /* TRANSPORT_* */
	int          ssl_verify;
	int          has_proxy;
	long         connect_timeout;  /* ms */
	long         timeout;          /* ms */
	long long    skew;             /* server clock minus ours, seconds */
	uint32_t     rng;
	unsigned long serial;          /* names this client's connection pool */
	char         region[64];
	char        *access_key_id;
	char        *secret;
	size_t       secret_len;
	char        *security_token;
	char        *user_agent;
	int          provider;         /* registry ref of a credentials provider, or LUA_NOREF */
	time_t       cred_expires;     /* 0: the credentials do not expire */
	char         cred_error[640];  /* why the provider last failed, without secrets */
} sls_client;

enum { ACTION_TICKET, ACTION_REFRESH };
enum { TRANSPORT_AUTO, TRANSPORT_CURL, TRANSPORT_NGX };

/* What one call asks for, checked before anything is sent. */
typedef struct sls_call {
	int         action;
	int         has_exp, has_at;
	long long   exp, at;
	const char *ticket;
	size_t      ticket_len;
} sls_call;

/* How one attempt ended, copied out of Lua strings so it survives the stack
 * being reset between attempts. */
typedef struct sls_outcome {
	char  code[96];
	char  message[640];
	char  request_id[96];
	long  status;
	int   retryable;
	long  retry_after;       /* seconds, -1 when none */
	int   have_date;
	time_t server_date;
} sls_outcome;

static char json_decode_key;      /* registry: cjson.safe.decode */
static char default_client_key;   /* registry: the default client */

/* ---------------------------------------------------------------- helpers */

static sls_client *check_client(lua_State *L)
{
	sls_client *c = luaL_checkudata(L, 1, SLS_CLIENT_MT);
	if (!c->open)
		luaL_error(L, "sls.Client: the client is closed");
	return c;
}

static char *dup_or_null(const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = malloc(n + 1);
	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void free_secret(char **p)
{
	if (*p != NULL) {
		OPENSSL_cleanse(*p, strlen(*p));
		free(*p);
		*p = NULL;
	}
}

static void copy_span(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

static uint32_t next_random(sls_client *c)
{
	/* xorshift32: jitter needs spread, not unpredictability. */
	uint32_t x = c->rng;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return c->rng = x ? x : 0x9e3779b9u;
}

/* A number no other client in this process has had; unlike the address,
 * never reused after a client is collected. */
static unsigned long next_serial(void)
{
	static unsigned long counter;
#if defined(__GNUC__)
	return __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
#else
	return ++counter;
#endif
}

static void sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One helper pushes the failure triple, so no path can return the wrong
 * number of values. */
static int push_failure(lua_State *L, const sls_outcome *o, int attempts)
{
	luaL_Buffer b;
	char tail[256];
	int n;

	lua_pushnil(L);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, o->code);
	luaL_addstring(&b, ": ");
	luaL_addstring(&b, o->message);
	n = 0;
	tail[0] = '\0';
	if (o->status > 0)
		n += snprintf(tail + n, sizeof tail - (size_t)n, "HTTP %ld", o->status);
	if (o->request_id[0] != '\0')
		n += snprintf(tail + n, sizeof tail - (size_t)n, "%srequest id %s",
		              n ? ", " : "", o->request_id);
	if (attempts > 1)
		n += snprintf(tail + n, sizeof tail - (size_t)n, "%s%d attempts",
		              n ? ", " : "", attempts);
	if (n > 0) {
		luaL_addstring(&b, " (");
		luaL_addstring(&b, tail);
		luaL_addchar(&b, ')');
	}
	luaL_pushresult(&b);
	lua_createtable(L, 0, 6);
	lua_pushstring(L, o->code);
	lua_setfield(L, -2, "code");
	lua_pushstring(L, o->message);
	lua_setfield(L, -2, "message");
	lua_pushinteger(L, (lua_Integer)o->status);
	lua_setfield(L, -2, "status");
	if (o->request_id[0] != '\0') {
		lua_pushstring(L, o->request_id);
		lua_setfield(L, -2, "request_id");
	}
	lua_pushboolean(L, o->retryable);
	lua_setfield(L, -2, "retryable");
	lua_pushinteger(L, attempts);
	lua_setfield(L, -2, "attempts");
	return 3;
}

static void set_outcome(sls_outcome *o, const char *code, const char *msg, int retryable)
{
	snprintf(o->code, sizeof o->code, "%s", code);
	snprintf(o->message, sizeof o->message, "%s", msg);
	o->retryable = retryable;
}

/* ------------------------------------------------------------ the options */

static const char *const client_options[] = {
	"endpoint", "region", "signature_version", "access_key_id",
	"access_key_secret", "security_token", "connect_timeout", "timeout",
	"max_attempts", "ssl_verify", "ca_file", "ca_path", "proxy",
	"user_agent", "transport", "credentials", "role_arn", "role_session_name",
	"sts_endpoint", NULL
};
static const char *const versions[] = { "v1", "v4", NULL };
static const char *const transports[] = { "auto", "curl", "ngx", NULL };

static int valid_region(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return i > 0;
}

/* True inside nginx's Lua module, where ngx.socket.tcp exists. */
int sls_have_cosockets(lua_State *L)
{
	int ok = 0;

	lua_getglobal(L, "ngx");
	if (lua_istable(L, -1)) {
		lua_getfield(L, -1, "socket");
		if (lua_istable(L, -1)) {
			lua_getfield(L, -1, "tcp");
			ok = lua_isfunction(L, -1);
			lua_pop(L, 1);
		}
		lua_pop(L, 1);
	}
	lua_pop(L, 1);
	return ok;
}

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Calls require("sls.credentials")[name] with the table on top of the stack,
 * leaving its result there instead. */
static void call_credentials(lua_State *L, const char *name)
{
	lua_getglobal(L, "require");
	lua_pushliteral(L, "sls.credentials");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, name);
	lua_remove(L, -2);
	lua_insert(L, -2);
	lua_call(L, 1, 1);
}

/* Pushes the client's credentials provider and returns 1, or returns 0 when
 * the keys are fixed (options or environment, no role to assume). The
 * option values were read once and are at the stack indices in at[]
 * (credentials, role_arn, role_session_name, sts_endpoint): a second read
 * through __index might answer something unchecked. */
static int push_provider(lua_State *L, int has_provider, const char *id,
                         const char *secret, const char *token, const char *role_arn,
                         const int at[4])
{
	if (has_provider) {
		lua_pushvalue(L, at[0]);
	} else if (id != NULL) {
		if (role_arn == NULL)
			return 0;
		lua_createtable(L, 0, 3);
		lua_pushstring(L, id);
		lua_setfield(L, -2, "access_key_id");
		lua_pushstring(L, secret);
		lua_setfield(L, -2, "access_key_secret");
		if (token != NULL) {
			lua_pushstring(L, token);
			lua_setfield(L, -2, "security_token");
		}
		call_credentials(L, "static");
	} else {
		lua_createtable(L, 0, 1);
		lua_pushvalue(L, at[3]);
		lua_setfield(L, -2, "sts_endpoint");
		call_credentials(L, "chain");
	}
	if (role_arn != NULL) {
		lua_createtable(L, 0, 4);
		lua_insert(L, -2);
		lua_setfield(L, -2, "source");
		lua_pushvalue(L, at[1]);
		lua_setfield(L, -2, "role_arn");
		lua_pushvalue(L, at[2]);
		lua_setfield(L, -2, "role_session_name");
		lua_pushvalue(L, at[3]);
		lua_setfield(L, -2, "sts_endpoint");
		call_credentials(L, "assume_role");
	}
	return 1;
}

/* sls.new(opts): everything is checked before anything is acquired. */
int sls_client_new(lua_State *L)
{
	static const char fn[] = "sls.new";
	const char *endpoint, *region, *id, *secret, *token, *ca_file, *ca_path,
	           *proxy, *ua, *why, *role_arn, *sts;
	long long connect_timeout = 5000, timeout = 10000, attempts = 3;
	size_t endpoint_len, secret_len = 0, id_len = 0, token_len = 0;
	sls_endpoint ep;
	sls_http_opts ho;
	sls_client *c;
	int version, ssl_verify, transport, has_provider, provider_idx, endpoint_idx,
	    region_idx, at[4];
	char d[96], derived[64];
	luaL_Buffer b;

	lua_settop(L, 1);
	sls_args_table(L, 1, fn, client_options);
	/* Every string read stays on the stack while C uses it (args.h). */
	luaL_checkstack(L, 24, fn);
	endpoint = sls_args_str(L, 1, fn, "endpoint", 300, 1, 0, &endpoint_len);
	endpoint_idx = lua_gettop(L);
	region = sls_args_str(L, 1, fn, "region", 63, 1, 0, NULL);
	region_idx = lua_gettop(L);
	version = sls_args_enum(L, 1, fn, "signature_version", versions, 0) ? 4 : 1;
	id = sls_args_str(L, 1, fn, "access_key_id", 256, 1, SLS_ASCII, &id_len);
	secret = sls_args_str(L, 1, fn, "access_key_secret", 256, 1, SLS_SECRET, &secret_len);
	token = sls_args_str(L, 1, fn, "security_token", 16384, 1, SLS_SECRET | SLS_ASCII,
	                     &token_len);
	sls_args_int(L, 1, fn, "connect_timeout", 1, 600000, &connect_timeout);
	sls_args_int(L, 1, fn, "timeout", 1, 600000, &timeout);
	sls_args_int(L, 1, fn, "max_attempts", 1, 10, &attempts);
	ssl_verify = sls_args_bool(L, 1, fn, "ssl_verify", 1);
	ca_file = sls_args_str(L, 1, fn, "ca_file", 4096, 1, 0, NULL);
	ca_path = sls_args_str(L, 1, fn, "ca_path", 4096, 1, 0, NULL);
	proxy = sls_args_str(L, 1, fn, "proxy", 4096, 0, SLS_SECRET, NULL);
	ua = sls_args_str(L, 1, fn, "user_agent", 256, 0, SLS_ASCII, NULL);
	transport = sls_args_enum(L, 1, fn, "transport", transports, TRANSPORT_AUTO);
	role_arn = sls_args_str(L, 1, fn, "role_arn", 1024, 1, SLS_ASCII, NULL);
	at[1] = lua_gettop(L);
	sls_args_str(L, 1, fn, "role_session_name", 64, 1, SLS_ASCII, NULL);
	at[2] = lua_gettop(L);
	sts = sls_args_str(L, 1, fn, "sts_endpoint", 300, 1, SLS_ASCII, NULL);
	at[3] = lua_gettop(L);
	if (sts != NULL && strncmp(sts, "https://", 8) != 0 && strncmp(sts, "http://", 7) != 0)
		return sls_args_fail(L, "%s: option 'sts_endpoint' must be an http:// or "
		                     "https:// URL (got \"%s\")", fn, sts);
	lua_getfield(L, 1, "credentials");
	at[0] = lua_gettop(L);              /* stays: push_provider takes it */
	has_provider = !lua_isnil(L, -1);
	if (has_provider) {
		int ok = lua_istable(L, -1) || lua_isuserdata(L, -1);
		if (ok) {
			lua_getfield(L, -1, "get");
			ok = lua_isfunction(L, -1);
			lua_pop(L, 1);
		}
		if (!ok)
			return sls_args_fail(L, "%s: option 'credentials' must be a provider, a "
			                     "table with a get method (got %s)", fn,
			                     sls_args_describe(L, -1, d, sizeof d));
	}

	if (endpoint == NULL) {
		endpoint = DEFAULT_ENDPOINT;
		endpoint_len = strlen(endpoint);
	}
	why = sls_endpoint_parse(endpoint, endpoint_len, &ep);
	if (why != NULL)
		return sls_args_fail(L, "%s: option 'endpoint' must be host, host:port, "
		                     "https://host[:port] or http://host[:port]: %s (got %s)",
		                     fn, why, sls_args_describe(L, endpoint_idx, d, sizeof d));
	if (region != NULL && !valid_region(region))
		return sls_args_fail(L, "%s: option 'region' must be a region id such as "
		                     "\"cn-shanghai\" (got %s)", fn,
		                     sls_args_describe(L, region_idx, d, sizeof d));
	if ((id == NULL) != (secret == NULL))
		return sls_args_fail(L, "%s: options 'access_key_id' and 'access_key_secret' "
		                     "go together (got only %s)", fn,
		                     id ? "access_key_id" : "access_key_secret");
	if (token != NULL && id == NULL)
		return sls_args_fail(L, "%s: option 'security_token' needs 'access_key_id' "
		                     "and 'access_key_secret'", fn);
	if (has_provider && id != NULL)
		return sls_args_fail(L, "%s: options 'credentials' and 'access_key_id' "
		                     "exclude each other", fn);
	if (id == NULL && !has_provider) {
		/* The first link of the credential chain: the environment. */
		id = env_nonempty("ALIBABA_CLOUD_ACCESS_KEY_ID");
		secret = env_nonempty("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
		token = env_nonempty("ALIBABA_CLOUD_SECURITY_TOKEN");
		if (id != NULL && secret != NULL && strlen(id) <= 256 && strlen(secret) <= 256) {
			id_len = strlen(id);
			secret_len = strlen(secret);
			token_len = token ? strlen(token) : 0;
		} else {
			id = secret = token = NULL;
		}
	}

	if (region == NULL && sls_region_from_host(ep.host, derived, sizeof derived))
		region = derived;
	if (version == 4 && region == NULL)
		return sls_args_fail(L, "%s: signature_version \"v4\" needs option 'region': "
		                     "the endpoint \"%s\" names none", fn, ep.host);
	if (transport == TRANSPORT_NGX && !sls_have_cosockets(L))
		return sls_args_fail(L, "%s: option 'transport' \"ngx\" needs nginx's Lua "
		                     "module (ngx.socket.tcp); use \"auto\" or \"curl\"", fn);
	if (transport == TRANSPORT_NGX && proxy != NULL)
		return sls_args_fail(L, "%s: option 'proxy' works only with transport "
		                     "\"curl\" (got transport \"ngx\")", fn);

	/* Credentials that change over time come from a provider (sls.credentials,
	 * in Lua): the given one, the default chain when there are no keys, and
	 * STS AssumeRole around either when role_arn is set. */
	provider_idx = push_provider(L, has_provider, id, secret, token, role_arn, at)
	               ? lua_gettop(L) : 0;

	/* The userdata owns every resource from birth: zeroed, metatable set,
	 * then acquired, so __gc frees whatever a later failure leaves. */
	c = lua_newuserdata(L, sizeof *c);
	memset(c, 0, sizeof *c);
	c->provider = LUA_NOREF;
	luaL_getmetatable(L, SLS_CLIENT_MT);
	lua_setmetatable(L, -2);
	c->open = 1;
	if (provider_idx) {
		lua_pushvalue(L, provider_idx);
		c->provider = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	c->endpoint = ep;
	c->version = version;
	c->max_attempts = (int)attempts;
	c->transport = transport;
	c->ssl_verify = ssl_verify;
	c->has_proxy = proxy != NULL;
	c->connect_timeout = (long)connect_timeout;
	c->timeout = (long)timeout;
	c->rng = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)c ^ 0x5bd1e995u;
	c->serial = next_serial();
	if (region != NULL)
		snprintf(c->region, sizeof c->region, "%s", region);

	luaL_buffinit(L, &b);
	luaL_addstring(&b, "lua-sls/" SLS_VERSION);
	if (ua != NULL && ua[0] != '\0') {
		luaL_addchar(&b, ' ');
		luaL_addstring(&b, ua);
	}
	luaL_pushresult(&b);
	c->user_agent = dup_or_null(lua_tostring(L, -1), sls_rawlen(L, -1));
	lua_pop(L, 1);
	if (id != NULL && c->provider == LUA_NOREF) {      /* fixed keys */
		c->access_key_id = dup_or_null(id, id_len);
		c->secret = dup_or_null(secret, secret_len);
		c->secret_len = secret_len;
		c->security_token = dup_or_null(token, token_len);
		if (c->access_key_id == NULL || c->secret == NULL ||
		    (token != NULL && c->security_token == NULL))
			return luaL_error(L, "%s: out of memory", fn);
	}
	if (c->user_agent == NULL || !sls_sign_ctx_init(&c->sign))
		return luaL_error(L, "%s: out of memory", fn);

	ho.connect_timeout_ms = (long)connect_timeout;
	ho.timeout_ms = (long)timeout;
	ho.ssl_verify = ssl_verify;
	ho.ca_file = ca_file;
	ho.ca_path = ca_path;
	ho.proxy = proxy;
	why = sls_http_open(&c->http, &ho);
	if (why != NULL)
		return luaL_error(L, "%s: %s", fn, why);
	return 1;
}

/* close, __gc and __close: one idempotent function that NULLs what it frees. */
static int client_close(lua_State *L)
{
	sls_client *c = luaL_checkudata(L, 1, SLS_CLIENT_MT);

	sls_http_close(&c->http);
	sls_request_free(&c->req);
	sls_sign_ctx_free(&c->sign);
	if (c->open && c->provider != LUA_NOREF)
		luaL_unref(L, LUA_REGISTRYINDEX, c->provider);
	c->provider = LUA_NOREF;
	free_secret(&c->secret);
	free_secret(&c->security_token);
	free(c->access_key_id);
	c->access_key_id = NULL;
	free(c->user_agent);
	c->user_agent = NULL;
	c->open = 0;
	return 0;
}

static int client_tostring(lua_State *L)
{
	sls_client *c = luaL_checkudata(L, 1, SLS_CLIENT_MT);
	char key[16];

	if (!c->open) {
		lua_pushfstring(L, "sls.Client (closed): %p", (void *)c);
		return 1;
	}
	/* The key id is not a secret, but a log needs no more than its start. */
	if (c->access_key_id != NULL)
		snprintf(key, sizeof key, "%.4s****", c->access_key_id);
	else
		snprintf(key, sizeof key, "none");
	lua_pushfstring(L, "sls.Client (%s, v%d, key %s): %p", c->endpoint.url_base,
	                c->version, key, (void *)c);
	return 1;
}

/* ---------------------------------------------------------- one call */

static const char *const ticket_options[] = {
	"expiration_time", "access_token_expiration_time", NULL
};
static const char *const refresh_options[] = {
	"ticket", "access_token_expiration_time", NULL
};

/* Checks a call's options at idx; raises on misuse. A refresh leaves the
 * ticket on the stack (args.h): call->ticket points into it, so the caller
 * keeps the stack above idx until the request is built. */
static void check_call(lua_State *L, int idx, int action, sls_call *call)
{
	const char *fn = action == ACTION_TICKET ? "create_ticket" : "refresh_token";

	memset(call, 0, sizeof *call);
	call->action = action;
	if (action == ACTION_TICKET) {
		sls_args_table(L, idx, fn, ticket_options);
		call->has_exp = sls_args_int(L, idx, fn, "expiration_time", 1, 2592000,
		                             &call->exp);
	} else {
		sls_args_table(L, idx, fn, refresh_options);
		call->ticket = sls_args_str(L, idx, fn, "ticket", 16384, 1, 0,
		                            &call->ticket_len);
		if (call->ticket == NULL)
			sls_args_fail(L, "%s: option 'ticket' is required", fn);
	}
	call->has_at = sls_args_int(L, idx, fn, "access_token_expiration_time", 1,
	                            86400, &call->at);
	if (call->has_exp && call->has_at && call->at > call->exp)
		sls_args_fail(L, "%s: option 'access_token_expiration_time' must not exceed "
		              "'expiration_time' (got %lld > %lld)", fn, call->at, call->exp);
}

/* Fills c->req for call, signed at `now`. 0 on allocation failure. */
static int build_request(sls_client *c, const sls_call *call, time_t now)
{
	sls_signer s;
	sls_creds cr;
	char num[24];

	sls_request_reset(&c->req, call->action == ACTION_TICKET ? "/tickets"
	                                                         : "/token/refresh");
	if (call->has_at) {
		snprintf(num, sizeof num, "%lld", call->at);
		sls_request_query(&c->req, "accessTokenExpirationTime", num, strlen(num));
	}
	if (call->has_exp) {
		snprintf(num, sizeof num, "%lld", call->exp);
		sls_request_query(&c->req, "expirationTime", num, strlen(num));
	}
	if (call->ticket != NULL)
		sls_request_query(&c->req, "ticket", call->ticket, call->ticket_len);
	s.endpoint = &c->endpoint;
	s.version = c->version;
	s.region = c->region;
	s.user_agent = c->user_agent;
	s.ctx = &c->sign;
	cr.access_key_id = c->access_key_id;
	cr.secret = c->secret;
	cr.secret_len = c->secret_len;
	cr.security_token = c->security_token;
	return sls_request_sign(&c->req, &s, &cr, now) == 1;
}

/* t[key] when it is a string, else NULL. Pushes exactly one value, which
 * the caller keeps on the stack while it uses the pointer: a provider's
 * table may answer through __index with a string nothing else holds. */
static const char *table_string(lua_State *L, int idx, const char *key)
{
	luaL_checkstack(L, 1, "sls.Client");
	if (!lua_istable(L, idx)) {
		lua_pushnil(L);
		return NULL;
	}
	lua_getfield(L, idx, key);
	return lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
}

static void no_credentials(const sls_client *c, sls_outcome *o)
{
	memset(o, 0, sizeof *o);
	o->retry_after = -1;
	if (c->cred_error[0] != '\0') {
		set_outcome(o, "NoCredentials", c->cred_error, 0);
		return;
	}
	set_outcome(o, "NoCredentials",
	            "no credentials: pass access_key_id and access_key_secret, or set "
	            "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET", 0);
}

/* ------------------------------------------------------- credentials */

static int creds_usable(const sls_client *c, time_t now)
{
	return c->access_key_id != NULL && (c->cred_expires == 0 || now < c->cred_expires);
}

static int creds_due(const sls_client *c, time_t now)
{
	return c->provider != LUA_NOREF &&
	       (c->access_key_id == NULL ||
	        (c->cred_expires != 0 && now >= c->cred_expires - REFRESH_MARGIN_S));
}

/* A string field of the table at idx that may go into a header, or NULL.
 * Pushes one value, as table_string does. */
static const char *cred_field(lua_State *L, int idx, const char *key, size_t max)
{
	const char *s = table_string(L, idx, key);
	size_t i;

	if (s == NULL || s[0] == '\0' || strlen(s) > max)
		return NULL;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return NULL;
	return s;
}

/* Takes what a provider answered: credentials at creds_idx, else the reason
 * at err_idx. A failure keeps the credentials the client has (they stay in
 * use until they expire) and remembers why, for NoCredentials. */
static void apply_credentials(lua_State *L, sls_client *c, int creds_idx, int err_idx)
{
	const char *id = NULL, *secret = NULL, *token = NULL, *err;
	char *nid, *nsecret, *ntoken = NULL;
	lua_Number exp = 0;

	creds_idx = sls_absindex(L, creds_idx);
	err_idx = sls_absindex(L, err_idx);   /* the fields read below stay pushed */
	if (lua_istable(L, creds_idx)) {
		id = cred_field(L, creds_idx, "access_key_id", 256);
		secret = cred_field(L, creds_idx, "access_key_secret", 256);
		token = table_string(L, creds_idx, "security_token");
		if (token != NULL && cred_field(L, creds_idx, "security_token", 16384) == NULL)
			id = NULL;
		lua_getfield(L, creds_idx, "expiration");
		exp = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
		lua_pop(L, 1);
	}
	if (id == NULL || secret == NULL) {
		err = lua_type(L, err_idx) == LUA_TSTRING ? lua_tostring(L, err_idx)
		      : lua_istable(L, creds_idx) ? "the credentials provider answered "
		        "credentials without a usable access_key_id and access_key_secret"
		      : "the credentials provider answered nothing";
		snprintf(c->cred_error, sizeof c->cred_error, "%s", err);
		return;
	}
	nid = dup_or_null(id, strlen(id));
	nsecret = dup_or_null(secret, strlen(secret));
	if (token != NULL)
		ntoken = dup_or_null(token, strlen(token));
	if (nid == NULL || nsecret == NULL || (token != NULL && ntoken == NULL)) {
		free(nid);
		free_secret(&nsecret);
		free_secret(&ntoken);
		snprintf(c->cred_error, sizeof c->cred_error, "out of memory");
		return;
	}
	free(c->access_key_id);
	free_secret(&c->secret);
	free_secret(&c->security_token);
	c->access_key_id = nid;
	c->secret = nsecret;
	c->secret_len = strlen(nsecret);
	c->security_token = ntoken;
	c->cred_expires = exp > 0 ? (time_t)exp : 0;
	c->cred_error[0] = '\0';
	sls_sign_ctx_forget(&c->sign);   /* keyed with the old secret */
}

/* Makes sure the client has credentials to sign with at `now`: asks the
 * provider (blocking, through sls._fetch) when they are missing or within
 * 15 minutes of expiring, if may_fetch. 1 when the client can sign. */
static int ensure_credentials(lua_State *L, sls_client *c, time_t now, int may_fetch)
{
	int top = lua_gettop(L);

	if (c->provider == LUA_NOREF)
		return c->access_key_id != NULL;
	if (!creds_due(c, now) || !may_fetch)
		return creds_usable(c, now);
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->provider);
	lua_getfield(L, -1, "get");
	lua_insert(L, -2);
	lua_pushnumber(L, (lua_Number)now);
	lua_pushcfunction(L, sls_natives_fetch);
	if (lua_pcall(L, 3, 2, 0) != 0) {
		snprintf(c->cred_error, sizeof c->cred_error, "the credentials provider "
		         "raised: %s", lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?");
	} else {
		apply_credentials(L, c, -2, -1);
	}
	lua_settop(L, top);
	return creds_usable(c, now);
}

/* Pushes the response headers as a table with lower-case names. */
static void push_headers(lua_State *L, const char *cur, const char *end)
{
	sls_span k, v;
	size_t i;
	char name[128];

	lua_newtable(L);
	while (sls_header_next(&cur, end, &k, &v)) {
		if (k.n >= sizeof name)
			continue;
		for (i = 0; i < k.n; i++) {
			char ch = k.p[i];
			name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
		}
		lua_pushlstring(L, name, k.n);
		lua_pushvalue(L, -1);
		lua_rawget(L, -3);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 1);
			lua_pushlstring(L, v.p, v.n);
		} else {                      /* repeated: joined as RFC 9110 allows */
			lua_pushliteral(L, ", ");
			lua_pushlstring(L, v.p, v.n);
			lua_concat(L, 3);
		}
		lua_rawset(L, -3);
	}
}

/* Decodes the body with cjson.safe: pushes the value, or nil. */
static void push_json(lua_State *L, const sls_span *body)
{
	lua_pushlightuserdata(L, &json_decode_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	lua_pushlstring(L, body->p, body->n);
	if (lua_pcall(L, 1, 1, 0) != 0) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
}

/* Reads an HTTP answer: head is the raw header block, body the raw body. On
 * success leaves the result table on the stack and returns 1; otherwise
 * fills o and returns 0. */
static int interpret(lua_State *L, const sls_call *call, long status,
                     sls_span head, sls_span body, time_t sent_at, sls_outcome *o)
{
	const char *field = call->action == ACTION_TICKET ? "ticket" : "accessToken";
	const char *code, *msg, *value, *html;
	sls_span v;
	int base;

	memset(o, 0, sizeof *o);
	o->status = status;
	o->retry_after = sls_retry_after(head.p, head.n);
	if (sls_header_find(head.p, head.n, "x-log-requestid", &v))
		copy_span(o->request_id, sizeof o->request_id, v.p, v.n);
	if (sls_header_find(head.p, head.n, "date", &v))
		o->have_date = sls_date_parse_rfc1123(v.p, v.n, &o->server_date);

	html = sls_looks_like_html(body.p, body.n) ? "an HTML page instead of an SLS "
	       "answer (a proxy or gateway in between?)" : NULL;
	push_json(L, &body);
	base = lua_gettop(L);
	if (status >= 400) {
		code = table_string(L, base, "errorCode");
		msg = table_string(L, base, "errorMessage");
		if (code != NULL)
			set_outcome(o, code, msg ? msg : "(no message)",
			            sls_retryable_status(status, code));
		else
			set_outcome(o, "BadResponse", html ? html : body.n ? "an error answer "
			            "that is not SLS JSON" : "an error answer with an empty body",
			            sls_retryable_status(status, NULL));
		return 0;
	}
	if (status < 200 || status > 299) {
		snprintf(o->message, sizeof o->message, "unexpected HTTP status %ld", status);
		snprintf(o->code, sizeof o->code, "BadResponse");
		return 0;
	}
	value = table_string(L, base, field);
	if (value == NULL || value[0] == '\0') {
		if (!lua_istable(L, base))
			set_outcome(o, "BadResponse", html ? html : body.n
			            ? "the answer is not JSON" : "the answer is empty", 0);
		else
			set_outcome(o, "BadResponse", call->action == ACTION_TICKET
			            ? "the answer has no ticket" : "the answer has no accessToken", 0);
		return 0;
	}

	lua_createtable(L, 0, 8);
	lua_pushstring(L, value);
	lua_setfield(L, -2, call->action == ACTION_TICKET ? "ticket" : "access_token");
	if (o->request_id[0] != '\0') {
		lua_pushstring(L, o->request_id);
		lua_setfield(L, -2, "request_id");
	}
	lua_pushinteger(L, (lua_Integer)status);
	lua_setfield(L, -2, "status");
	push_headers(L, head.p, head.p + head.n);
	lua_setfield(L, -2, "headers");
	lua_pushvalue(L, base);
	lua_setfield(L, -2, "body");
	{
		long long exp = call->has_exp ? call->exp : DEFAULT_EXPIRY;
		long long at = call->has_at ? call->at : DEFAULT_EXPIRY;
		if (call->action == ACTION_TICKET) {
			lua_pushinteger(L, (lua_Integer)(sent_at + exp));
			lua_setfield(L, -2, "expires_at");
			if (at > exp)
				at = exp;
		}
		lua_pushinteger(L, (lua_Integer)(sent_at + at));
		lua_setfield(L, -2, "access_token_expires_at");
	}
	return 1;
}

/* A transport failure (no HTTP answer) as an outcome. Everything but a TLS
 * failure, an oversized answer and memory exhaustion is worth a retry. */
static void transport_outcome(sls_outcome *o, const char *code, const char *msg)
{
	memset(o, 0, sizeof *o);
	o->retry_after = -1;
	set_outcome(o, code, msg, strcmp(code, "TLSError") != 0 &&
	            strcmp(code, "ResponseTooLarge") != 0 &&
	            strcmp(code, "OutOfMemory") != 0);
}

/* Milliseconds to wait before attempt n + 1 (n >= 1): full jitter over an
 * exponential ceiling, or the server's Retry-After when it gives one. */
static long backoff_ms(sls_client *c, int n, const sls_outcome *o)
{
	long ceiling = BACKOFF_BASE_MS << (n - 1 < 10 ? n - 1 : 10);

	if (o->retry_after >= 0)
		return (o->retry_after > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S
		                                           : o->retry_after) * 1000L;
	if (ceiling > BACKOFF_CAP_MS)
		ceiling = BACKOFF_CAP_MS;
	return (long)(next_random(c) % (uint32_t)(ceiling + 1));
}

/* After a failed attempt: the milliseconds to wait before the next one, or
 * -1 to give up. Shared by both transports so they retry alike. A
 * RequestTimeExpired with a Date header teaches the client the clock offset
 * once per call; later calls keep using it. */
static long next_wait(sls_client *c, sls_outcome *o, int attempt, int *skew_fixed)
{
	if (strcmp(o->code, "RequestTimeExpired") == 0 && o->have_date && !*skew_fixed) {
		c->skew = (long long)o->server_date - (long long)time(NULL);
		*skew_fixed = 1;
		o->retryable = 1;
		return attempt < c->max_attempts ? 0 : -1;
	}
	if (!o->retryable || attempt >= c->max_attempts)
		return -1;
	return backoff_ms(c, attempt, o);
}

/* The whole call over libcurl: sign, send, read, retry. Returns the Lua
 * result count. */
static int run_call(lua_State *L, sls_client *c, const sls_call *call)
{
	sls_http_result hr;
	sls_outcome o;
	sls_span head, body;
	int top = lua_gettop(L), attempt, skew_fixed = 0;
	long wait;
	time_t sent_at;

	for (attempt = 1;; attempt++) {
		lua_settop(L, top);
		if (!ensure_credentials(L, c, time(NULL), 1)) {
			no_credentials(c, &o);
			return push_failure(L, &o, attempt - 1);
		}
		lua_settop(L, top);
		sent_at = time(NULL);
		if (!build_request(c, call, (time_t)(sent_at + c->skew))) {
			transport_outcome(&o, "OutOfMemory", "could not build the request");
			return push_failure(L, &o, attempt - 1);
		}
		sls_http_post(&c->http, sls_buf_str(&c->req.url), c->req.headers,
		              c->req.nheaders, &hr);
		if (hr.code != CURLE_OK) {
			transport_outcome(&o, sls_http_code_name(&c->http, hr.code),
			                  hr.error[0] ? hr.error : curl_easy_strerror(hr.code));
		} else {
			head.p = sls_buf_str(&c->http.head);
			head.n = c->http.head.len;
			body.p = sls_buf_str(&c->http.body);
			body.n = c->http.body.len;
			if (interpret(L, call, hr.status, head, body, sent_at, &o))
				return 1;
		}
		wait = next_wait(c, &o, attempt, &skew_fixed);
		if (wait < 0)
			break;
		sleep_ms(wait);
	}
	lua_settop(L, top);
	return push_failure(L, &o, attempt);
}

/* client:create_ticket(opts) and client:refresh_token(opts). */
static int client_call(lua_State *L, int action)
{
	sls_client *c = check_client(L);
	sls_call call;

	lua_settop(L, 2);
	check_call(L, 2, action, &call);
	return run_call(L, c, &call);
}

static int client_create_ticket(lua_State *L)
{
	return client_call(L, ACTION_TICKET);
}

static int client_refresh_token(lua_State *L)
{
	return client_call(L, ACTION_REFRESH);
}

static const char *const actions[] = { "create_ticket", "refresh_token", NULL };

/* client:_prepare(action, opts[, now[, no_fetch]]): the signed request, not
 * sent, for the specs and for the cosocket transport (sls/ngx.lua). `raw` is
 * the request head as libcurl would send it. With no_fetch, credentials are
 * not fetched here (the cosocket transport fetched them already). */
static int client_prepare(lua_State *L)
{
	sls_client *c = check_client(L);
	int action = luaL_checkoption(L, 2, NULL, actions);
	time_t now = (time_t)luaL_optnumber(L, 4, (lua_Number)time(NULL));
	const char *url;
	sls_outcome o;
	sls_call call;
	luaL_Buffer b;
	size_t i;

	int no_fetch = lua_toboolean(L, 5);

	lua_settop(L, 3);
	check_call(L, 3, action, &call);
	if (!ensure_credentials(L, c, now, !no_fetch)) {
		no_credentials(c, &o);
		return push_failure(L, &o, 0);
	}
	if (!build_request(c, &call, now + (time_t)c->skew))
		return luaL_error(L, "sls.Client: out of memory");
	url = sls_buf_str(&c->req.url);
	lua_createtable(L, 0, 9);
	lua_pushliteral(L, "POST");
	lua_setfield(L, -2, "method");
	lua_pushstring(L, url);
	lua_setfield(L, -2, "url");
	lua_pushstring(L, url + strlen(c->endpoint.url_base));
	lua_setfield(L, -2, "path");
	lua_pushstring(L, c->endpoint.host);
	lua_setfield(L, -2, "host");
	lua_pushinteger(L, (lua_Integer)c->endpoint.port);
	lua_setfield(L, -2, "port");
	lua_pushboolean(L, c->endpoint.https);
	lua_setfield(L, -2, "https");
	lua_pushnumber(L, (lua_Number)now);
	lua_setfield(L, -2, "sent_at");
	lua_createtable(L, 0, (int)c->req.nheaders);
	for (i = 0; i < c->req.nheaders; i++) {
		lua_pushstring(L, c->req.headers[i].value);
		lua_setfield(L, -2, c->req.headers[i].key);
	}
	lua_setfield(L, -2, "headers");
	luaL_buffinit(L, &b);
	luaL_addstring(&b, "POST ");
	luaL_addstring(&b, url + strlen(c->endpoint.url_base));
	luaL_addstring(&b, " HTTP/1.1\r\n");
	for (i = 0; i < c->req.nheaders; i++) {
		luaL_addstring(&b, c->req.headers[i].key);
		luaL_addstring(&b, ": ");
		luaL_addstring(&b, c->req.headers[i].value);
		luaL_addstring(&b, "\r\n");
	}
	luaL_addstring(&b, "content-length: 0\r\n\r\n");
	luaL_pushresult(&b);
	lua_setfield(L, -2, "raw");
	return 1;
}

/* client:_answer(state, status, head, body) after an HTTP answer, or
 * client:_answer(state, false, code, message) after a transport failure.
 * state is { action, opts, attempt, sent_at, skew_fixed } from the caller's
 * loop. Returns the result, or nil, err, detail and the milliseconds to wait
 * before retrying (nil: do not retry). The retry policy is run_call's. */
static int client_answer(lua_State *L)
{
	sls_client *c = check_client(L);
	sls_outcome o;
	sls_call call;
	sls_span head, body;
	int attempt, skew_fixed, n;
	time_t sent_at;
	long wait;

	luaL_checktype(L, 2, LUA_TTABLE);
	lua_settop(L, 5);
	lua_getfield(L, 2, "action");
	lua_getfield(L, 2, "opts");
	lua_getfield(L, 2, "attempt");
	lua_getfield(L, 2, "sent_at");
	lua_getfield(L, 2, "skew_fixed");
	check_call(L, 7, luaL_checkoption(L, 6, NULL, actions), &call);
	attempt = (int)luaL_checkinteger(L, 8);
	sent_at = (time_t)luaL_checknumber(L, 9);
	skew_fixed = lua_toboolean(L, 10);
	if (lua_toboolean(L, 3)) {
		head.p = luaL_checklstring(L, 4, &head.n);
		body.p = luaL_checklstring(L, 5, &body.n);
		if (interpret(L, &call, (long)luaL_checkinteger(L, 3), head, body, sent_at, &o))
			return 1;
	} else {
		transport_outcome(&o, luaL_checkstring(L, 4), luaL_checkstring(L, 5));
	}
	wait = next_wait(c, &o, attempt, &skew_fixed);
	lua_pushboolean(L, skew_fixed);
	lua_setfield(L, 2, "skew_fixed");
	n = push_failure(L, &o, attempt);
	if (wait < 0)
		return n;
	lua_pushinteger(L, (lua_Integer)wait);
	return n + 1;
}

/* client:_credentials([now]): the provider and whether it must be asked now,
 * for the cosocket transport, which then fetches without blocking and hands
 * the answer to client:_set_credentials(creds, err). */
static int client_credentials(lua_State *L)
{
	sls_client *c = check_client(L);
	time_t now = (time_t)luaL_optnumber(L, 2, (lua_Number)time(NULL));

	if (c->provider == LUA_NOREF) {
		lua_pushnil(L);
		lua_pushboolean(L, 0);
		return 2;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, c->provider);
	lua_pushboolean(L, creds_due(c, now));
	return 2;
}

static int client_set_credentials(lua_State *L)
{
	sls_client *c = check_client(L);

	lua_settop(L, 3);
	apply_credentials(L, c, 2, 3);
	return 0;
}

/* client:_transport(): the transport settings sls/ngx.lua needs, and a
 * serial number that keeps each client's connections in a pool of its own,
 * as libcurl keeps them per handle. */
static int client_transport(lua_State *L)
{
	sls_client *c = check_client(L);

	lua_pushstring(L, transports[c->transport]);
	lua_pushinteger(L, (lua_Integer)c->connect_timeout);
	lua_pushinteger(L, (lua_Integer)c->timeout);
	lua_pushboolean(L, c->ssl_verify);
	lua_pushboolean(L, c->has_proxy);
	lua_pushinteger(L, (lua_Integer)c->serial);
	return 6;
}

/* ------------------------------------------------------ module level */

static sls_client *default_client(lua_State *L)
{
	sls_client *c;

	lua_pushlightuserdata(L, &default_client_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	c = sls_testudata(L, -1, SLS_CLIENT_MT);
	if (c == NULL || !c->open) {
		lua_pop(L, 1);
		lua_pushcfunction(L, sls_client_new);
		lua_call(L, 0, 1);
		lua_pushlightuserdata(L, &default_client_key);
		lua_pushvalue(L, -2);
		lua_rawset(L, LUA_REGISTRYINDEX);
		c = lua_touserdata(L, -1);
	}
	lua_pop(L, 1);                /* still referenced by the registry */
	return c;
}

static int module_call(lua_State *L, int action)
{
	sls_call call;
	sls_client *c;

	lua_settop(L, 1);
	check_call(L, 1, action, &call);
	c = default_client(L);
	return run_call(L, c, &call);
}

/* sls._default(): the default client, for sls/ngx.lua. */
int sls_default_client(lua_State *L)
{
	lua_settop(L, 0);
	default_client(L);
	lua_pushlightuserdata(L, &default_client_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	return 1;
}

int sls_default_create_ticket(lua_State *L)
{
	return module_call(L, ACTION_TICKET);
}

int sls_default_refresh_token(lua_State *L)
{
	return module_call(L, ACTION_REFRESH);
}

void sls_client_register(lua_State *L)
{
	static const luaL_Reg methods[] = {
		{ "create_ticket", client_create_ticket },
		{ "refresh_token", client_refresh_token },
		{ "close",         client_close },
		{ "_prepare",      client_prepare },
		{ "_answer",       client_answer },
		{ "_transport",    client_transport },
		{ "_credentials",  client_credentials },
		{ "_set_credentials", client_set_credentials },
		{ NULL, NULL }
	};
	static const luaL_Reg meta[] = {
		{ "__gc",          client_close },
		{ "__close",       client_close },
		{ "__tostring",    client_tostring },
		{ NULL, NULL }
	};

	/* cjson.safe.decode, looked up once per lua_State. */
	lua_getglobal(L, "require");
	lua_pushliteral(L, "cjson.safe");
	lua_call(L, 1, 1);
	lua_pushlightuserdata(L, &json_decode_key);
	lua_getfield(L, -2, "decode");
	if (!lua_isfunction(L, -1))
		luaL_error(L, "sls: cjson.safe has no decode function");
	lua_rawset(L, LUA_REGISTRYINDEX);
	lua_pop(L, 1);

	if (luaL_newmetatable(L, SLS_CLIENT_MT)) {
		sls_setfuncs(L, meta);
		lua_newtable(L);
		sls_setfuncs(L, methods);
		lua_setfield(L, -2, "__index");
		lua_pushliteral(L, SLS_CLIENT_MT);
		lua_setfield(L, -2, "__name");
	}
	lua_pop(L, 1);
}
