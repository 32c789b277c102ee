/* The sls.Client userdata: options read once into a config, the handles it
 * owns, and close / __gc / __close / __tostring. Its calls are call.c's. */
#include "client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"

#define DEFAULT_ENDPOINT "cn-shanghai.log.aliyuncs.com"

static char client_mt_key;         /* registry: the sls.Client metatable */

#define CLIENT_OPTIONS(X) \
	X(ENDPOINT, "endpoint") X(REGION, "region") X(VERSION, "signature_version") \
	X(ID, "access_key_id") X(SECRET, "access_key_secret") X(TOKEN, "security_token") \
	X(CONNECT_TIMEOUT, "connect_timeout") X(TIMEOUT, "timeout") \
	X(MAX_ATTEMPTS, "max_attempts") X(SSL_VERIFY, "ssl_verify") X(CA_FILE, "ca_file") \
	X(CA_PATH, "ca_path") X(PROXY, "proxy") X(USER_AGENT, "user_agent") \
	X(TRANSPORT, "transport") X(CREDENTIALS, "credentials") X(ROLE_ARN, "role_arn") \
	X(SESSION, "role_session_name") X(EXTERNAL_ID, "external_id") \
	X(STS_ENDPOINT, "sts_endpoint")
enum { CLIENT_OPTIONS(SLS_OPT_ENUM) N_CLIENT_OPTIONS };
static const char *const client_options[] = { CLIENT_OPTIONS(SLS_OPT_NAME) NULL };
const char *const sls_versions[] = { "v1", "v4", NULL };
const char *const sls_transports[] = { "auto", "curl", "ngx", NULL };

/* What read_options found that is not kept in the config: the keys and
 * the libcurl settings, pointing into strings anchored on the stack. */
typedef struct sls_options {
	const char *id, *secret, *token, *ca_file, *ca_path, *proxy, *role_arn;
	size_t      id_len, secret_len, token_len;
	int         has_provider;
	/* Where the values read once sit on the stack: a second read through
	 * __index might answer something never checked. */
	int         at_credentials, at_role_arn, at_session, at_external, at_sts;
} sls_options;

sls_client *sls_client_check(lua_State *L, int idx)
{
	sls_client *c = sls_checkudata(L, idx, &client_mt_key, SLS_CLIENT_MT);

	if (!c->open)
		luaL_error(L, "sls.Client: the client is closed");
	return c;
}

uint32_t sls_client_random(sls_client *c)
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

void sls_client_pool_name(char *out, size_t size, const sls_client *c, int fresh)
{
	snprintf(out, size, "sls:%s:%u%s:%lu%s", c->cfg.endpoint.host, c->cfg.endpoint.port,
	         c->cfg.endpoint.https ? (c->cfg.ssl_verify ? ":tls" : ":tls-noverify") : "",
	         c->serial, fresh ? ":fresh" : "");
}

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

static int valid_region(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return i > 0;
}

/* Reads and checks every option of sls.new (the table at index 1) into cfg
 * and o; raises on misuse. Strings stay anchored on the stack. */
static void read_options(lua_State *L, sls_config *cfg, sls_options *o)
{
	static const char fn[] = "sls.new";
	const char *endpoint, *region, *ua, *sts, *why;
	long long connect_timeout = 5000, timeout = 10000, attempts = 3;
	size_t endpoint_len;
	char d[96];
	sls_opts opt;
	int at_endpoint, at_region;

	sls_opts_read(L, 1, fn, client_options, &opt);
	endpoint = sls_opt_str(L, &opt, OPT_ENDPOINT, 300, 1, 0, &endpoint_len);
	at_endpoint = opt.at[OPT_ENDPOINT];
	region = sls_opt_str(L, &opt, OPT_REGION, 63, 1, 0, NULL);
	at_region = opt.at[OPT_REGION];
	cfg->version = sls_opt_enum(L, &opt, OPT_VERSION, sls_versions, 0) ? 4 : 1;
	o->id = sls_opt_str(L, &opt, OPT_ID, SLS_ID_MAX, 1, SLS_ASCII, &o->id_len);
	o->secret = sls_opt_str(L, &opt, OPT_SECRET, SLS_SECRET_MAX, 1, SLS_SECRET, &o->secret_len);
	o->token = sls_opt_str(L, &opt, OPT_TOKEN, SLS_TOKEN_MAX, 1, SLS_SECRET | SLS_ASCII,
	                       &o->token_len);
	sls_opt_int(L, &opt, OPT_CONNECT_TIMEOUT, 1, SLS_TIMEOUT_MAX_MS, &connect_timeout);
	sls_opt_int(L, &opt, OPT_TIMEOUT, 1, SLS_TIMEOUT_MAX_MS, &timeout);
	sls_opt_int(L, &opt, OPT_MAX_ATTEMPTS, 1, SLS_ATTEMPTS_MAX, &attempts);
	cfg->ssl_verify = sls_opt_bool(L, &opt, OPT_SSL_VERIFY, 1);
	o->ca_file = sls_opt_str(L, &opt, OPT_CA_FILE, 4096, 1, 0, NULL);
	o->ca_path = sls_opt_str(L, &opt, OPT_CA_PATH, 4096, 1, 0, NULL);
	o->proxy = sls_opt_str(L, &opt, OPT_PROXY, 4096, 0, SLS_SECRET, NULL);
	ua = sls_opt_str(L, &opt, OPT_USER_AGENT, 256, 0, SLS_ASCII, NULL);
	cfg->transport = sls_opt_enum(L, &opt, OPT_TRANSPORT, sls_transports, SLS_TRANSPORT_AUTO);
	o->role_arn = sls_opt_str(L, &opt, OPT_ROLE_ARN, 1024, 1, SLS_ASCII, NULL);
	o->at_role_arn = opt.at[OPT_ROLE_ARN];
	sls_opt_str(L, &opt, OPT_SESSION, 64, 1, SLS_ASCII, NULL);
	o->at_session = opt.at[OPT_SESSION];
	sls_opt_str(L, &opt, OPT_EXTERNAL_ID, 1024, 1, SLS_ASCII, NULL);
	o->at_external = opt.at[OPT_EXTERNAL_ID];
	sts = sls_opt_str(L, &opt, OPT_STS_ENDPOINT, 300, 1, SLS_ASCII, NULL);
	o->at_sts = opt.at[OPT_STS_ENDPOINT];
	if (sts != NULL && strncmp(sts, "https://", 8) != 0 && strncmp(sts, "http://", 7) != 0)
		sls_args_fail(L, "%s: option 'sts_endpoint' must be an http:// or https:// URL "
		              "(got \"%s\")", fn, sts);
	o->at_credentials = opt.at[OPT_CREDENTIALS];  /* stays: push_provider takes it */
	lua_pushvalue(L, o->at_credentials);
	o->has_provider = !lua_isnil(L, -1);
	if (o->has_provider) {
		int ok = lua_istable(L, -1) || lua_isuserdata(L, -1);
		if (ok) {
			lua_getfield(L, -1, "get");
			ok = lua_isfunction(L, -1);
			lua_pop(L, 1);
		}
		if (!ok)
			sls_args_fail(L, "%s: option 'credentials' must be a provider, a table "
			              "with a get method (got %s)", fn,
			              sls_args_describe(L, -1, d, sizeof d));
	}

	if (endpoint == NULL) {
		endpoint = DEFAULT_ENDPOINT;
		endpoint_len = strlen(endpoint);
	}
	why = sls_endpoint_parse(endpoint, endpoint_len, &cfg->endpoint);
	if (why != NULL)
		sls_args_fail(L, "%s: option 'endpoint' must be host, host:port, "
		              "https://host[:port] or http://host[:port]: %s (got %s)",
		              fn, why, sls_args_describe(L, at_endpoint, d, sizeof d));
	if (region != NULL && !valid_region(region))
		sls_args_fail(L, "%s: option 'region' must be a region id such as "
		              "\"cn-shanghai\" (got %s)", fn,
		              sls_args_describe(L, at_region, d, sizeof d));
	if ((o->id == NULL) != (o->secret == NULL))
		sls_args_fail(L, "%s: options 'access_key_id' and 'access_key_secret' go "
		              "together (got only %s)", fn,
		              o->id ? "access_key_id" : "access_key_secret");
	if (o->token != NULL && o->id == NULL)
		sls_args_fail(L, "%s: option 'security_token' needs 'access_key_id' and "
		              "'access_key_secret'", fn);
	if (o->has_provider && o->id != NULL)
		sls_args_fail(L, "%s: options 'credentials' and 'access_key_id' exclude each "
		              "other", fn);
	if (region != NULL)
		snprintf(cfg->region, sizeof cfg->region, "%s", region);
	else if (!sls_region_from_host(cfg->endpoint.host, cfg->region, sizeof cfg->region))
		cfg->region[0] = '\0';
	if (cfg->version == 4 && cfg->region[0] == '\0')
		sls_args_fail(L, "%s: signature_version \"v4\" needs option 'region': the "
		              "endpoint \"%s\" names none", fn, cfg->endpoint.host);
	if (cfg->transport == SLS_TRANSPORT_NGX && !sls_have_cosockets(L))
		sls_args_fail(L, "%s: option 'transport' \"ngx\" needs nginx's Lua module "
		              "(ngx.socket.tcp); use \"auto\" or \"curl\"", fn);
	if (cfg->transport == SLS_TRANSPORT_NGX && o->proxy != NULL)
		sls_args_fail(L, "%s: option 'proxy' works only with transport \"curl\" (got "
		              "transport \"ngx\")", fn);
	cfg->max_attempts = (int)attempts;
	cfg->has_proxy = o->proxy != NULL;
	cfg->connect_timeout = (long)connect_timeout;
	cfg->timeout = (long)timeout;
	/* The user agent, built in Lua memory: nothing to free if a raise
	 * comes before the client owns a copy. */
	lua_pushliteral(L, "lua-sls/" SLS_VERSION);
	if (ua != NULL && ua[0] != '\0') {
		lua_pushliteral(L, " ");
		lua_pushstring(L, ua);
		lua_concat(L, 3);
	}
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
 * the keys are fixed (options, no role to assume). Without keys, the
 * default chain: environment first (sls/credentials.lua checks its values). */
static int push_provider(lua_State *L, const sls_options *o)
{
	if (o->has_provider) {
		lua_pushvalue(L, o->at_credentials);
	} else if (o->id != NULL) {
		if (o->role_arn == NULL)
			return 0;
		lua_createtable(L, 0, 3);
		lua_pushlstring(L, o->id, o->id_len);
		lua_setfield(L, -2, "access_key_id");
		lua_pushlstring(L, o->secret, o->secret_len);
		lua_setfield(L, -2, "access_key_secret");
		if (o->token != NULL) {
			lua_pushlstring(L, o->token, o->token_len);
			lua_setfield(L, -2, "security_token");
		}
		call_credentials(L, "static");
	} else {
		lua_createtable(L, 0, 1);
		lua_pushvalue(L, o->at_sts);
		lua_setfield(L, -2, "sts_endpoint");
		call_credentials(L, "chain");
	}
	if (o->role_arn != NULL) {
		lua_createtable(L, 0, 5);
		lua_insert(L, -2);
		lua_setfield(L, -2, "source");
		lua_pushvalue(L, o->at_role_arn);
		lua_setfield(L, -2, "role_arn");
		lua_pushvalue(L, o->at_session);
		lua_setfield(L, -2, "role_session_name");
		lua_pushvalue(L, o->at_external);
		lua_setfield(L, -2, "external_id");
		lua_pushvalue(L, o->at_sts);
		lua_setfield(L, -2, "sts_endpoint");
		call_credentials(L, "assume_role");
	}
	return 1;
}

/* sls.new(opts): everything is checked before anything is acquired. */
int sls_client_new(lua_State *L)
{
	sls_config cfg;
	sls_options o;
	sls_http_opts ho;
	sls_client *c;
	const char *why;
	int ua_idx, provider_idx;
	size_t n;

	lua_settop(L, 1);
	memset(&cfg, 0, sizeof cfg);
	memset(&o, 0, sizeof o);
	read_options(L, &cfg, &o);
	ua_idx = lua_gettop(L);
	provider_idx = push_provider(L, &o) ? lua_gettop(L) : 0;

	/* The userdata owns every resource from birth: zeroed, metatable set,
	 * then acquired, so __gc frees whatever a later failure leaves. */
	c = lua_newuserdata(L, sizeof *c);
	memset(c, 0, sizeof *c);
	c->creds.provider = LUA_NOREF;
	sls_set_metatable(L, &client_mt_key);
	c->open = 1;
	c->cfg = cfg;
	c->rng = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)c ^ 0x5bd1e995u;
	c->serial = next_serial();
	sls_client_pool_name(c->pool, sizeof c->pool, c, 0);
	if (provider_idx) {
		lua_pushvalue(L, provider_idx);
		c->creds.provider = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	why = lua_tolstring(L, ua_idx, &n);
	c->cfg.user_agent = malloc(n + 1);
	if (c->cfg.user_agent == NULL || !sls_sign_ctx_init(&c->sign))
		return luaL_error(L, "sls.new: out of memory");
	memcpy(c->cfg.user_agent, why, n + 1);
	if (o.id != NULL && !provider_idx &&
	    !sls_creds_fix(&c->creds, o.id, o.id_len, o.secret, o.secret_len, o.token,
	                   o.token_len))
		return luaL_error(L, "sls.new: out of memory");

	ho.connect_timeout_ms = cfg.connect_timeout;
	ho.timeout_ms = cfg.timeout;
	ho.ssl_verify = cfg.ssl_verify;
	ho.ca_file = o.ca_file;
	ho.ca_path = o.ca_path;
	ho.proxy = o.proxy;
	why = sls_http_open(&c->http, &ho);
	if (why != NULL)
		return luaL_error(L, "sls.new: %s", why);
	return 1;
}

/* close, __gc and __close: one idempotent function that NULLs what it frees. */
static int client_close(lua_State *L)
{
	sls_client *c = sls_checkudata(L, 1, &client_mt_key, SLS_CLIENT_MT);

	sls_http_close(&c->http);
	sls_request_free(&c->req);
	c->memo.valid = 0;
	sls_buf_wipe(&c->memo.sent.raw);
	sls_sign_ctx_free(&c->sign);
	sls_creds_free(L, &c->creds);
	free(c->cfg.user_agent);
	c->cfg.user_agent = NULL;
	c->open = 0;
	return 0;
}

static int client_tostring(lua_State *L)
{
	sls_client *c = sls_checkudata(L, 1, &client_mt_key, SLS_CLIENT_MT);
	char key[16];

	if (!c->open) {
		lua_pushfstring(L, "sls.Client (closed): %p", (void *)c);
		return 1;
	}
	/* The key id is not a secret, but a log needs no more than its start. */
	if (c->creds.id != NULL)
		snprintf(key, sizeof key, "%.4s****", c->creds.id);
	else
		snprintf(key, sizeof key, "none");
	lua_pushfstring(L, "sls.Client (%s, v%d, key %s): %p", c->cfg.endpoint.url_base,
	                c->cfg.version, key, (void *)c);
	return 1;
}

void sls_client_register(lua_State *L)
{
	static const luaL_Reg methods[] = {          /* and call.c's calls */
		{ "close",         client_close },
		{ NULL, NULL }
	};
	static const luaL_Reg meta[] = {
		{ "__gc",          client_close },
		{ "__close",       client_close },
		{ "__tostring",    client_tostring },
		{ NULL, NULL }
	};

	sls_opts_register(L, client_options);
	sls_new_class(L, SLS_CLIENT_MT, &client_mt_key, meta, methods);
}
