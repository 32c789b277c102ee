/* The requests credential providers make (sls/credentials.lua's fetch):
 * sls._fetch, one blocking libcurl request, and sls._fetcher, the same
 * request for sls/ngx.lua to drive over a cosocket through the exchange and
 * HTTP reader that calls use. Both read the request alike, check its
 * headers for the wire and keep within a time budget. */
#include "fetch.h"

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "endpoint.h"
#include "exchange.h"
#include "exio.h"
#include "http.h"
#include "limits.h"
#include "text.h"

#define ANSWER_MT "sls.Answer"

static char answer_mt_key, fetch_mt_key;   /* registry: their metatables */

/* An answer's reader as a userdata, so its buffers are freed (and wiped:
 * credential answers carry secrets) even when a Lua error unwinds. */
static int answer_gc(lua_State *L)
{
	sls_httpp_wipe(luaL_checkudata(L, 1, ANSWER_MT));
	return 0;
}

/* A header for the wire: a token name, a printable ASCII value. */
static int header_ok(const char *k, const char *v)
{
	size_t n = strlen(k);

	return n > 0 && strchr(k, ':') == NULL &&
	       sls_text_printable(k, n, SLS_PRINT_ASCII | SLS_PRINT_NOSPACE) &&
	       sls_text_printable(v, strlen(v), SLS_PRINT_ASCII);
}

static const char *const fetch_methods_names[] = { "GET", "POST", "PUT", NULL };

/* Reads a fetch request ({ method, url, headers, body, timeout } at 1, a
 * budget in ms at 2) for sls._fetch and sls._fetcher: the method's index;
 * url and body stay on the stack. The timeout is cut to the budget. */
static int read_fetch(lua_State *L, const char *fn, const char **url, size_t *url_len,
                      const char **body, size_t *body_len, long long *timeout)
{
	int method;

	luaL_checktype(L, 1, LUA_TTABLE);
	lua_settop(L, 2);
	method = sls_args_enum(L, 1, fn, "method", fetch_methods_names, 0);
	*url = sls_args_str(L, 1, fn, "url", 4096, 1, 0, url_len);
	*body = sls_args_str(L, 1, fn, "body", 65536, 0, SLS_SECRET, body_len);
	*timeout = 5000;
	sls_args_int(L, 1, fn, "timeout", 1, SLS_TIMEOUT_MAX_MS, timeout);
	if (lua_type(L, 2) == LUA_TNUMBER && lua_tonumber(L, 2) < (lua_Number)*timeout)
		*timeout = lua_tonumber(L, 2) < 1 ? 1 : (long long)lua_tonumber(L, 2);
	if (*url == NULL)
		luaL_error(L, "%s: option 'url' is required", fn);
	return method;
}

/* sls._fetch({ method, url, headers, body, timeout }[, budget]): one
 * blocking request for credential providers outside nginx's cosocket
 * phases, within budget milliseconds when given. Returns status and body,
 * or nil and "Code: message". */
int sls_fetch_lua(lua_State *L)
{
	static const char fn[] = "sls._fetch";
	sls_kv headers[SLS_MAX_HEADERS];
	const char *url, *body;
	char err[CURL_ERROR_SIZE];
	size_t nheaders = 0, body_len = 0;
	long long timeout = 5000;
	sls_httpp *answer;
	int method;
	CURLcode rc;

	method = read_fetch(L, fn, &url, NULL, &body, &body_len, &timeout);
	lua_getfield(L, 1, "headers");
	if (lua_istable(L, -1)) {
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			if (nheaders == SLS_MAX_HEADERS || lua_type(L, -2) != LUA_TSTRING ||
			    lua_type(L, -1) != LUA_TSTRING)
				return luaL_error(L, "%s: headers must map at most %d strings to "
				                  "strings", fn, SLS_MAX_HEADERS);
			headers[nheaders].key = lua_tostring(L, -2);
			headers[nheaders].value = lua_tostring(L, -1);
			/* A value from a server (an IMDS token) may carry a line end. */
			if (!header_ok(headers[nheaders].key, headers[nheaders].value)) {
				lua_pushnil(L);
				lua_pushfstring(L, "BadRequest: header '%s' is not a printable "
				                "ASCII name and value", lua_tostring(L, -3));
				return 2;
			}
			nheaders++;
			lua_pop(L, 1);
		}
	}
	answer = lua_newuserdata(L, sizeof *answer);
	memset(answer, 0, sizeof *answer);
	luaL_getmetatable(L, ANSWER_MT);
	lua_setmetatable(L, -2);
	rc = sls_http_fetch(fetch_methods_names[method], url, headers, nheaders, body, body_len,
	                    (long)timeout, answer, err);
	if (rc != CURLE_OK) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s", sls_http_code_name(answer, rc), err);
		return 2;
	}
	lua_pushinteger(L, (lua_Integer)answer->status);
	lua_pushlstring(L, sls_buf_str(&answer->body), answer->body.len);
	sls_httpp_wipe(answer);     /* now rather than at some collection */
	return 2;
}

/* ------------------------------------------------ fetches over cosockets */

#define FETCH_MT "sls.Fetch"

/* One credentials request driven by sls/ngx.lua through the same exchange
 * (exchange.c) and reader as a call: the same deadline rule and caps. */
typedef struct sls_fetch {
	sls_exchange x;
	sls_endpoint where;
	long         timeout;     /* ms */
	sls_buf      raw;         /* the request: it may carry a token, wiped */
} sls_fetch;

static int fetch_gc(lua_State *L)
{
	sls_fetch *f = sls_checkudata(L, 1, &fetch_mt_key, FETCH_MT);

	sls_httpp_wipe(&f->x.answer);
	sls_buf_wipe(&f->raw);
	return 0;
}

/* Appends the request line and headers of a fetch to f->raw. 0 when a
 * header is not fit for the wire. */
static int fetch_head(lua_State *L, sls_fetch *f, const char *method, const char *path,
                      size_t body_len)
{
	char num[24];

	sls_buf_adds(&f->raw, method);
	sls_buf_addc(&f->raw, ' ');
	if (path == NULL || path[0] == '?')
		sls_buf_addc(&f->raw, '/');
	sls_buf_adds(&f->raw, path ? path : "");
	sls_buf_adds(&f->raw, " HTTP/1.1\r\nHost: ");
	sls_buf_adds(&f->raw, f->where.host_header);
	sls_buf_adds(&f->raw, "\r\nAccept: application/json\r\nContent-Length: ");
	snprintf(num, sizeof num, "%zu", body_len);
	sls_buf_adds(&f->raw, num);
	sls_buf_adds(&f->raw, "\r\n");
	lua_getfield(L, 1, "headers");
	if (lua_istable(L, -1)) {
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING ||
			    !header_ok(lua_tostring(L, -2), lua_tostring(L, -1)))
				return 0;
			sls_buf_adds(&f->raw, lua_tostring(L, -2));
			sls_buf_adds(&f->raw, ": ");
			sls_buf_adds(&f->raw, lua_tostring(L, -1));
			sls_buf_adds(&f->raw, "\r\n");
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 1);
	sls_buf_adds(&f->raw, "\r\n");
	return 1;
}

/* sls._fetcher({ method, url, headers, body, timeout }[, budget]): a fetch
 * for sls/ngx.lua to drive, or nil and "Code: message". */
int sls_fetcher_lua(lua_State *L)
{
	static const char fn[] = "sls._fetcher";
	const char *url, *body, *rest, *why;
	size_t url_len, body_len = 0;
	long long timeout = 5000;
	sls_endpoint where;
	sls_fetch *f;
	int method, ud;

	method = read_fetch(L, fn, &url, &url_len, &body, &body_len, &timeout);
	/* scheme://authority, then the path: the authority is an endpoint. */
	rest = strstr(url, "://");
	if (rest == NULL || strncmp(url, "http", 4) != 0) {
		lua_pushnil(L);
		lua_pushliteral(L, "BadRequest: not an http:// or https:// URL");
		return 2;
	}
	rest = strpbrk(rest + 3, "/?");
	why = sls_endpoint_parse(url, rest ? (size_t)(rest - url) : url_len, &where);
	if (why != NULL) {
		lua_pushnil(L);
		lua_pushfstring(L, "BadRequest: not an http:// or https:// URL: %s", why);
		return 2;
	}
	f = lua_newuserdata(L, sizeof *f);
	memset(f, 0, sizeof *f);
	luaL_getmetatable(L, FETCH_MT);
	lua_setmetatable(L, -2);
	ud = lua_gettop(L);
	f->where = where;
	f->timeout = (long)timeout;
	if (!fetch_head(L, f, fetch_methods_names[method], rest, body_len)) {
		lua_pushnil(L);
		lua_pushliteral(L, "BadRequest: a header that is not a printable ASCII name "
		                "and value");
		return 2;
	}
	if (body != NULL)
		sls_buf_add(&f->raw, body, body_len);
	if (f->raw.oom)
		return luaL_error(L, "%s: out of memory", fn);
	sls_exchange_start(&f->x, where.https, sls_exio_now_ms() + f->timeout);
	lua_pushvalue(L, ud);
	return 1;
}

/* fetch:request() -> raw, host, port, https, pool, verify, connect_ms: what
 * sls/ngx.lua's exchange needs. */
static int fetch_request(lua_State *L)
{
	sls_fetch *f = sls_checkudata(L, 1, &fetch_mt_key, FETCH_MT);

	lua_pushlstring(L, f->raw.data, f->raw.len);
	lua_pushstring(L, f->where.host);
	lua_pushinteger(L, (lua_Integer)f->where.port);
	lua_pushboolean(L, f->where.https);
	lua_pushfstring(L, "sls-fetch:%s:%d%s", f->where.host, (int)f->where.port,
	                f->where.https ? ":tls" : "");
	lua_pushboolean(L, 1);
	lua_pushinteger(L, sls_exchange_connect_ms(&f->x, f->timeout, sls_exio_now_ms()));
	return 7;
}

/* fetch:io(op, ok_or_data, err, reused): as call:io (call.c). */
static int fetch_io(lua_State *L)
{
	sls_fetch *f = sls_checkudata(L, 1, &fetch_mt_key, FETCH_MT);
	char fresh[SLS_HOST_MAX + 64];
	int verdict = sls_exio_args(L, &f->x);

	if (verdict == SLS_NEXT_RESEND)
		snprintf(fresh, sizeof fresh, "sls-fetch:%s:%u%s:fresh", f->where.host,
		         f->where.port, f->where.https ? ":tls" : "");
	return sls_exio_push(L, &f->x, verdict, SLS_FETCH_KEEPALIVE_MS, fresh, f->timeout);
}

/* fetch:result() -> status, body | nil, "Code: message". */
static int fetch_result(lua_State *L)
{
	sls_fetch *f = sls_checkudata(L, 1, &fetch_mt_key, FETCH_MT);

	if (f->x.code != NULL || f->x.answer.status == 0) {
		lua_pushnil(L);
		lua_pushfstring(L, "%s: %s", f->x.code ? f->x.code : "NetworkError",
		                f->x.code ? f->x.message : "the exchange did not finish");
		return 2;
	}
	lua_pushinteger(L, (lua_Integer)f->x.answer.status);
	lua_pushlstring(L, sls_buf_str(&f->x.answer.body), f->x.answer.body.len);
	return 2;
}

void sls_fetch_register(lua_State *L)
{
	static const luaL_Reg fetch_methods[] = {
		{ "request",       fetch_request },
		{ "result",        fetch_result },
		{ NULL, NULL }
	};
	static const luaL_Reg answer_meta[] = { { "__gc", answer_gc }, { NULL, NULL } };
	static const luaL_Reg fetch_meta[] = { { "__gc", fetch_gc }, { NULL, NULL } };

	sls_new_class(L, ANSWER_MT, &answer_mt_key, answer_meta, NULL);
	sls_new_class(L, FETCH_MT, &fetch_mt_key, fetch_meta, fetch_methods);
	sls_exio_method(L, FETCH_MT, "io", fetch_io);
}
