#include "result.h"

#include <stdio.h>
#include <string.h>

#include "date.h"
#include "response.h"

static char json_decode_key;      /* registry: cjson.safe.decode */
static char keys_key;             /* registry: the result's field names */

/* The success table's field names, made once: setting a field from a C
 * string would hash it on every call. */
enum { K_TICKET = 1, K_ACCESS_TOKEN, K_REQUEST_ID, K_STATUS, K_HEADERS, K_BODY,
       K_EXPIRES_AT, K_TOKEN_EXPIRES_AT, K_JSON_ACCESS_TOKEN };
static const char *const result_keys[] = {
	"ticket", "access_token", "request_id", "status", "headers", "body", "expires_at",
	"access_token_expires_at", "accessToken", NULL
};

void sls_result_register(lua_State *L)
{
	int i;

	lua_pushlightuserdata(L, &keys_key);
	lua_newtable(L);
	for (i = 0; result_keys[i] != NULL; i++) {
		lua_pushstring(L, result_keys[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lua_rawset(L, LUA_REGISTRYINDEX);

	lua_getglobal(L, "require");
	lua_pushliteral(L, "cjson.safe");
	lua_call(L, 1, 1);
	lua_pushlightuserdata(L, &json_decode_key);
	lua_getfield(L, -2, "decode");
	if (!lua_isfunction(L, -1))
		luaL_error(L, "sls: cjson.safe has no decode function");
	lua_rawset(L, LUA_REGISTRYINDEX);
	lua_pop(L, 1);
}

void sls_result_forget(lua_State *L, sls_call *k)
{
	if (k->denied_ref != LUA_NOREF) {
		luaL_unref(L, LUA_REGISTRYINDEX, k->denied_ref);
		k->denied_ref = LUA_NOREF;
	}
}

int sls_result_failure(lua_State *L, sls_call *k)
{
	const sls_outcome *o = &k->o;
	luaL_Buffer b;
	char tail[256];
	int n = 0;

	luaL_checkstack(L, 6, "sls: result");
	lua_pushnil(L);
	luaL_buffinit(L, &b);
	luaL_addstring(&b, o->code);
	luaL_addstring(&b, ": ");
	luaL_addstring(&b, o->message);
	tail[0] = '\0';
	if (o->status > 0)
		n += snprintf(tail + n, sizeof tail - (size_t)n, "HTTP %ld", o->status);
	if (o->request_id[0] != '\0')
		n += snprintf(tail + n, sizeof tail - (size_t)n, "%srequest id %s",
		              n ? ", " : "", o->request_id);
	if (k->attempt > 1)
		n += snprintf(tail + n, sizeof tail - (size_t)n, "%s%d attempts",
		              n ? ", " : "", k->attempt);
	if (n > 0) {
		luaL_addstring(&b, " (");
		luaL_addstring(&b, tail);
		luaL_addchar(&b, ')');
	}
	luaL_pushresult(&b);
	lua_createtable(L, 0, 7);
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
	lua_pushinteger(L, k->attempt);
	lua_setfield(L, -2, "attempts");
	if (k->denied_ref != LUA_NOREF) {
		lua_rawgeti(L, LUA_REGISTRYINDEX, k->denied_ref);
		lua_setfield(L, -2, "access_denied_detail");
	}
	return 3;
}

/* The headers the call reads itself, found while the table is made. */
typedef struct known_headers {
	sls_span request_id, date, retry_after;
	int      has_request_id, has_date, has_retry_after;
} known_headers;

static void note_known(const char *name, size_t n, sls_span v, known_headers *h)
{
	if (n == 15 && memcmp(name, "x-log-requestid", 15) == 0 && !h->has_request_id) {
		h->request_id = v;
		h->has_request_id = 1;
	} else if (n == 4 && memcmp(name, "date", 4) == 0 && !h->has_date) {
		h->date = v;
		h->has_date = 1;
	} else if (n == 11 && memcmp(name, "retry-after", 11) == 0 && !h->has_retry_after) {
		h->retry_after = v;
		h->has_retry_after = 1;
	}
}

#define SEEN_MAX 32

/* Whether a header of this name (case aside) may have come before: the
 * first SEEN_MAX names are remembered and compared in C; past them every
 * name is looked up in the table. */
static int seen_before(sls_span *seen, size_t *nseen, sls_span k)
{
	size_t i;

	if (*nseen == SEEN_MAX)
		return 1;
	for (i = 0; i < *nseen; i++)
		if (seen[i].n == k.n && sls_ascii_ieq(seen[i].p, k.p, k.n))
			return 1;
	seen[(*nseen)++] = k;
	return 0;
}

/* Pushes the response headers as a table with lower-case names, from the
 * fields the reader recorded, in one pass that also finds the headers in h
 * (their first occurrence). */
static void push_headers(lua_State *L, const sls_httpp *answer, known_headers *h)
{
	sls_span k, v, seen[SEEN_MAX];
	size_t i, f, nseen = 0, nfields = sls_httpp_nfields(answer);
	char name[128];

	memset(h, 0, sizeof *h);
	lua_createtable(L, 0, nfields < 8 ? 8 : (int)(nfields < 64 ? nfields : 64));
	for (f = 0; f < nfields; f++) {
		sls_httpp_field_get(answer, f, &k.p, &k.n, &v.p, &v.n);
		if (k.n >= sizeof name)
			continue;
		for (i = 0; i < k.n; i++) {
			char ch = k.p[i];
			name[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
		}
		note_known(name, k.n, v, h);
		lua_pushlstring(L, name, k.n);
		if (!seen_before(seen, &nseen, k)) {
			lua_pushlstring(L, v.p, v.n);
		} else if (lua_pushvalue(L, -1), lua_rawget(L, -3), lua_isnil(L, -1)) {
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

/* The string at t[key] (t at idx), left on the stack; NULL (and nil left)
 * when it is not a string. */
static const char *json_string(lua_State *L, int idx, const char *key, size_t *n)
{
	if (!lua_istable(L, idx)) {
		lua_pushnil(L);
		return NULL;
	}
	lua_getfield(L, idx, key);
	return lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, n) : NULL;
}

/* json_string for one of the keys made once (the list at keys). */
static const char *json_string_k(lua_State *L, int idx, int keys, int k, size_t *n)
{
	if (!lua_istable(L, idx)) {
		lua_pushnil(L);
		return NULL;
	}
	lua_rawgeti(L, keys, k);
	lua_gettable(L, idx);
	return lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, n) : NULL;
}

/* A copy of the JSON value at idx with every string cleaned, at most four
 * levels deep (deeper tables are left out). Pushes it. */
static void push_cleaned(lua_State *L, int idx, int depth, const sls_secret *secrets,
                         size_t nsecrets)
{
	char text[SLS_TEXT_MAX + 1];
	size_t n;

	idx = sls_absindex(L, idx);
	luaL_checkstack(L, 4, "sls: result");
	if (lua_type(L, idx) == LUA_TSTRING) {
		const char *s = lua_tolstring(L, idx, &n);
		lua_pushlstring(L, text, sls_text_clean(text, sizeof text, s, n, secrets, nsecrets));
	} else if (lua_istable(L, idx) && depth < 4) {
		lua_newtable(L);
		lua_pushnil(L);
		while (lua_next(L, idx) != 0) {
			if (lua_type(L, -2) == LUA_TSTRING || lua_type(L, -2) == LUA_TNUMBER) {
				lua_pushvalue(L, -2);
				push_cleaned(L, -2, depth + 1, secrets, nsecrets);
				lua_rawset(L, -5);
			}
			lua_pop(L, 1);
		}
	} else if (lua_type(L, idx) == LUA_TNUMBER || lua_type(L, idx) == LUA_TBOOLEAN) {
		lua_pushvalue(L, idx);
	} else {
		lua_pushnil(L);
	}
}

/* Keeps accessDeniedDetail of an error answer (the official SDK surfaces
 * it) for detail.access_denied_detail, in a registry ref the call owns. */
static void keep_denied(lua_State *L, sls_call *k, int json, const sls_secret *secrets,
                        size_t nsecrets)
{
	if (!lua_istable(L, json))
		return;
	lua_getfield(L, json, "accessDeniedDetail");
	if (!lua_isnil(L, -1)) {
		push_cleaned(L, -1, 0, secrets, nsecrets);
		k->denied_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	}
	lua_pop(L, 1);
}

int sls_result_read(lua_State *L, sls_call *k, const sls_secret *secrets, size_t nsecrets)
{
	sls_outcome *o = &k->o;
	const char *body = sls_buf_str(&k->x.answer.body);
	size_t body_n = k->x.answer.body.len, n = 0, mn = 0;
	const char *code, *msg, *value, *html;
	long status = k->x.answer.status;
	known_headers h;
	int json, headers, at_value, keys, res;

	luaL_checkstack(L, 16, "sls: result");
	sls_outcome_clear(o);
	sls_result_forget(L, k);              /* the last attempt's extras */
	o->status = status;
	push_headers(L, &k->x.answer, &h);
	headers = lua_gettop(L);
	o->retry_after = h.has_retry_after ? sls_retry_after(h.retry_after) : -1;
	if (h.has_request_id)
		sls_text_clean(o->request_id, sizeof o->request_id, h.request_id.p,
		               h.request_id.n, secrets, nsecrets);
	/* The Date only matters to the policy's skew rule, for an error. */
	if (h.has_date && status >= 400)
		o->have_date = sls_date_parse_rfc1123(h.date.p, h.date.n, &o->server_date);
	html = sls_looks_like_html(body, body_n) ? "an HTML page instead of an SLS "
	       "answer (a proxy or gateway in between?)" : NULL;

	lua_pushlightuserdata(L, &json_decode_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	lua_pushlstring(L, body, body_n);
	if (lua_pcall(L, 1, 1, 0) != 0) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
	json = lua_gettop(L);

	if (status >= 400) {
		code = json_string(L, json, "errorCode", &n);
		msg = json_string(L, json, "errorMessage", &mn);
		if (code != NULL && n > 0) {
			sls_text_clean(o->code, sizeof o->code, code, n, secrets, nsecrets);
			sls_text_clean(o->message, sizeof o->message, msg ? msg : "(no message)",
			           msg ? mn : 12, secrets, nsecrets);
			o->retryable = sls_retryable_status(status, o->code);
		} else {
			snprintf(o->code, sizeof o->code, "BadResponse");
			snprintf(o->message, sizeof o->message, "%s", html ? html : body_n
			         ? "an error answer that is not SLS JSON"
			         : "an error answer with an empty body");
			o->retryable = sls_retryable_status(status, NULL);
		}
		keep_denied(L, k, json, secrets, nsecrets);
		return 0;
	}
	if (status < 200 || status > 299) {
		sls_outcome_local(o, "BadResponse", "unexpected HTTP status");
		o->status = status;
		o->retryable = 0;
		snprintf(o->message, sizeof o->message, "unexpected HTTP status %ld", status);
		return 0;
	}
	lua_pushlightuserdata(L, &keys_key);
	lua_rawget(L, LUA_REGISTRYINDEX);
	keys = lua_gettop(L);
	value = json_string_k(L, json, keys, k->ask.action == SLS_ACTION_TICKET ? K_TICKET
	                      : K_JSON_ACCESS_TOKEN, &n);
	if (value == NULL || n == 0 || memchr(value, '\0', n) != NULL) {
		snprintf(o->code, sizeof o->code, "BadResponse");
		snprintf(o->message, sizeof o->message, "%s",
		         value != NULL && n > 0 ? (k->ask.action == SLS_ACTION_TICKET
		             ? "the ticket contains a NUL byte" : "the accessToken contains a NUL byte")
		         : !lua_istable(L, json) ? (html ? html : body_n ? "the answer is not JSON"
		                                                         : "the answer is empty")
		         : k->ask.action == SLS_ACTION_TICKET ? "the answer has no ticket"
		         : "the answer has no accessToken");
		o->retryable = 0;
		return 0;
	}

	at_value = lua_gettop(L);
	lua_createtable(L, 0, 8);
	res = lua_gettop(L);
	/* Each field: its key from the list, its value, then the set. */
	lua_rawgeti(L, keys, k->ask.action == SLS_ACTION_TICKET ? K_TICKET : K_ACCESS_TOKEN);
	lua_pushvalue(L, at_value);
	lua_rawset(L, res);
	if (o->request_id[0] != '\0') {
		lua_rawgeti(L, keys, K_REQUEST_ID);
		lua_pushstring(L, o->request_id);
		lua_rawset(L, res);
	}
	lua_rawgeti(L, keys, K_STATUS);
	lua_pushinteger(L, (lua_Integer)status);
	lua_rawset(L, res);
	lua_rawgeti(L, keys, K_HEADERS);
	lua_pushvalue(L, headers);
	lua_rawset(L, res);
	lua_rawgeti(L, keys, K_BODY);
	lua_pushvalue(L, json);
	lua_rawset(L, res);
	{
		long long exp = k->ask.has_exp ? k->ask.exp : SLS_DEFAULT_EXPIRY;
		long long at = k->ask.has_at ? k->ask.at : SLS_DEFAULT_EXPIRY;
		if (k->ask.action == SLS_ACTION_TICKET) {
			lua_rawgeti(L, keys, K_EXPIRES_AT);
			lua_pushinteger(L, (lua_Integer)(k->sent_at + exp));
			lua_rawset(L, res);
			if (at > exp)
				at = exp;
		}
		lua_rawgeti(L, keys, K_TOKEN_EXPIRES_AT);
		lua_pushinteger(L, (lua_Integer)(k->sent_at + at));
		lua_rawset(L, res);
	}
	return 1;
}
