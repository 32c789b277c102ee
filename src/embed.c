/* sls.embed_url(opts): the console link for a ticket. Pure string building;
 * the result is built in a luaL_Buffer, so a raise leaks nothing. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "args.h"
#include "buf.h"
#include "embed.h"

#define FN "sls.embed_url"

enum { PAGE_LOGSTORE, PAGE_DASHBOARD, PAGE_SAVEDSEARCH };
enum { FOR_ANY, FOR_DASHBOARD };

static const char *const page_options[] = { "logstore", "dashboard", "savedsearch" };
static const char *const page_paths[] = { "logsearch", "dashboard", "savedsearch" };

/* Boolean switches: Lua option, URL parameter, where it applies. Passed as
 * "true" or "false" when given, left out when nil. */
static const struct {
	const char *option;
	const char *param;
	int         scope;
} switches[] = {
	{ "support_refresh_token", "supportRefreshToken", FOR_ANY },
	{ "read_only",             "readOnly",            FOR_ANY },
	{ "hidden_back",           "hiddenBack",          FOR_ANY },
	{ "hidden_change_project", "hiddenChangeProject", FOR_ANY },
	{ "hidden_overview",       "hiddenOverview",      FOR_ANY },
	{ "hidden_etl",            "hiddenEtl",           FOR_ANY },
	{ "hidden_share",          "hiddenShare",         FOR_ANY },
	{ "hidden_index_setting",  "hiddenIndexSetting",  FOR_ANY },
	{ "hidden_saved_search",   "hiddenSavedSearch",   FOR_ANY },
	{ "hidden_alert",          "hiddenAlert",         FOR_ANY },
	{ "hidden_quick_analysis", "hiddenQuickAnalysis", FOR_ANY },
	{ "hidden_download",       "hiddenDownload",      FOR_ANY },
	{ "hidden_filter",         "hiddenFilter",        FOR_DASHBOARD },
	{ "hidden_token",          "hiddenToken",         FOR_DASHBOARD },
	{ "hidden_project",        "hiddenProject",       FOR_DASHBOARD },
	{ "hidden_edit",           "hiddenEdit",          FOR_DASHBOARD },
	{ "hidden_report",         "hiddenReport",        FOR_DASHBOARD },
	{ "hidden_title_setting",  "hiddenTitleSetting",  FOR_DASHBOARD },
	{ "hidden_reset",          "hiddenReset",         FOR_DASHBOARD },
};
#define NSWITCHES (sizeof switches / sizeof switches[0])

/* Parameters that named options produce; `params` may not set them. */
static const char *const reserved_params[] = {
	"slsRegion", "sls_ticket", "hideTopbar", "hideSidebar",
	"ignoreTabLocalStorage", "isShare", "theme", "sls_iframe", "queryString",
	"encode", "queryTimeType", "startTime", "endTime", "filters", "token",
	"autoFresh", NULL
};

static const char *const embed_options[] = {
	"ticket", "project", "logstore", "dashboard", "savedsearch", "region",
	"console", "share", "hide_topbar", "hide_sidebar", "ignore_tab_local_storage",
	"theme", "query", "query_base64", "time_type", "start_time", "end_time",
	"filters", "token", "auto_fresh", "params",
	"support_refresh_token", "read_only", "hidden_back", "hidden_change_project",
	"hidden_overview", "hidden_etl", "hidden_share", "hidden_index_setting",
	"hidden_saved_search", "hidden_alert", "hidden_quick_analysis",
	"hidden_download", "hidden_filter", "hidden_token", "hidden_project",
	"hidden_edit", "hidden_report", "hidden_title_setting", "hidden_reset", NULL
};

/* RFC 3986 into a luaL_Buffer: the link is Lua-owned memory, so a raise
 * leaks nothing (sls_buf_addpct is the same for the core's buffers). */
static void add_pct(luaL_Buffer *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (sls_is_unreserved(c)) {
			luaL_addchar(b, (char)c);
		} else {
			luaL_addchar(b, '%');
			luaL_addchar(b, hex[c >> 4]);
			luaL_addchar(b, hex[c & 15]);
		}
	}
}

#define MAX_PAIRS 96

/* The query, gathered before the luaL_Buffer opens: every value is a Lua
 * string anchored on the stack below the buffer, or static. */
typedef struct query_pairs {
	const char *name[MAX_PAIRS];
	const char *value[MAX_PAIRS];
	size_t      len[MAX_PAIRS];
	int         n;
} query_pairs;

static void add_param(query_pairs *q, const char *name, const char *value, size_t n)
{
	q->name[q->n] = name;
	q->value[q->n] = value;
	q->len[q->n] = n;
	q->n++;
}

static void add_param_s(query_pairs *q, const char *name, const char *value)
{
	add_param(q, name, value, strlen(value));
}

/* Anchors a formatted number in the anchor table at index 2. */
static const char *anchored_number(lua_State *L, long long v)
{
	char num[24];
	const char *s;

	snprintf(num, sizeof num, "%lld", v);
	lua_pushstring(L, num);
	s = lua_tostring(L, -1);
	lua_rawseti(L, 2, (int)sls_rawlen(L, 2) + 1);
	return s;
}

/* The console base: "cn", "intl" or an http(s) URL without query. */
static const char *console_base(lua_State *L, size_t *n)
{
	const char *s = sls_args_str(L, 1, FN, "console", 2048, 1, 0, n);
	char d[96];
	size_t i;

	if (s == NULL || strcmp(s, "cn") == 0) {
		*n = strlen("https://sls.console.aliyun.com");
		return "https://sls.console.aliyun.com";
	}
	if (strcmp(s, "intl") == 0) {
		*n = strlen("https://sls.console.alibabacloud.com");
		return "https://sls.console.alibabacloud.com";
	}
	if ((strncmp(s, "https://", 8) == 0 && *n > 8) ||
	    (strncmp(s, "http://", 7) == 0 && *n > 7)) {
		for (i = 0; i < *n; i++)
			if (s[i] == '?' || s[i] == '#' || s[i] == '@' || s[i] == ' ')
				break;
		if (i == *n) {
			while (*n > 0 && s[*n - 1] == '/')
				(*n)--;
			return s;
		}
	}
	lua_getfield(L, 1, "console");
	sls_args_fail(L, "%s: option 'console' must be \"cn\", \"intl\" or an http:// or "
	              "https:// base URL without query (got %s)", FN,
	              sls_args_describe(L, -1, d, sizeof d));
	return NULL;
}

static int valid_time_type(long long t)
{
	return (t >= 1 && t <= 27) || t == -2 || t == -3 || t == 99;
}

/* "30s", "5m", "1h": at least 15 seconds, as the console requires. */
static int valid_auto_fresh(const char *s)
{
	unsigned long v = 0, mult;
	size_t i = 0;

	while (s[i] >= '0' && s[i] <= '9' && v < 1000000)
		v = v * 10 + (unsigned long)(s[i++] - '0');
	if (i == 0 || s[i + 1] != '\0')
		return 0;
	switch (s[i]) {
	case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	default:  return 0;
	}
	return v * mult >= 15;
}

static void dashboard_only(lua_State *L, int page, const char *option)
{
	lua_getfield(L, 1, option);
	if (!lua_isnil(L, -1) && page != PAGE_DASHBOARD)
		sls_args_fail(L, "%s: option '%s' is for dashboards only (got it with '%s')",
		              FN, option, page_options[page]);
	lua_pop(L, 1);
}

/* Adds the `params` table, sorted by name so the link is deterministic.
 * Names and values are anchored in the anchor table at index 2. */
static void add_params(lua_State *L, query_pairs *q)
{
	int first = q->n, i, j;
	char d[96];

	lua_getfield(L, 1, "params");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return;
	}
	if (!lua_istable(L, -1))
		sls_args_fail(L, "%s: option 'params' must be a table of name = value "
		              "(got %s)", FN, sls_args_describe(L, -1, d, sizeof d));
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {                 /* params, name, value */
		int t = lua_type(L, -1);
		if (lua_type(L, -2) != LUA_TSTRING || sls_rawlen(L, -2) == 0)
			sls_args_fail(L, "%s: option 'params' must have non-empty string names "
			              "(got %s)", FN, sls_args_describe(L, -2, d, sizeof d));
		for (i = 0; reserved_params[i] != NULL; i++)
			if (strcmp(reserved_params[i], lua_tostring(L, -2)) == 0)
				sls_args_fail(L, "%s: params.%s is set by a named option; use that "
				              "instead", FN, reserved_params[i]);
		for (i = 0; i < (int)NSWITCHES; i++)
			if (strcmp(switches[i].param, lua_tostring(L, -2)) == 0)
				sls_args_fail(L, "%s: params.%s is set by option '%s'; use that "
				              "instead", FN, switches[i].param, switches[i].option);
		if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
			sls_args_fail(L, "%s: params.%s must be a string, number or boolean "
			              "(got %s)", FN, lua_tostring(L, -2),
			              sls_args_describe(L, -1, d, sizeof d));
		if (q->n == MAX_PAIRS)
			sls_args_fail(L, "%s: option 'params' has too many entries", FN);
		if (t == LUA_TBOOLEAN) {
			lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
		} else {
			lua_getglobal(L, "tostring");      /* numbers as Lua writes them */
			lua_pushvalue(L, -2);
			lua_call(L, 1, 1);
		}
		q->value[q->n] = lua_tolstring(L, -1, &q->len[q->n]);
		lua_rawseti(L, 2, (int)sls_rawlen(L, 2) + 1);
		lua_pop(L, 1);
		lua_pushvalue(L, -1);                      /* the name stays a key of params */
		q->name[q->n++] = lua_tostring(L, -1);
		lua_rawseti(L, 2, (int)sls_rawlen(L, 2) + 1);
	}
	lua_pop(L, 1);
	/* Insertion sort: `params` holds a handful of names. */
	for (i = first + 1; i < q->n; i++) {
		for (j = i; j > first && strcmp(q->name[j - 1], q->name[j]) > 0; j--) {
			const char *tn = q->name[j], *tv = q->value[j];
			size_t tl = q->len[j];
			q->name[j] = q->name[j - 1];
			q->value[j] = q->value[j - 1];
			q->len[j] = q->len[j - 1];
			q->name[j - 1] = tn;
			q->value[j - 1] = tv;
			q->len[j - 1] = tl;
		}
	}
}

int sls_embed_url(lua_State *L)
{
	const char *ticket, *project, *page_value = NULL, *region, *base, *query,
	           *filters, *token, *auto_fresh;
	size_t ticket_len, project_len, page_len = 0, base_len, query_len = 0;
	long long time_type = 0, start = 0, end = 0;
	int page = -1, i, share, theme, query_b64, has_type, has_start, has_end;
	static const char *const themes[] = { "light", "dark", NULL };
	luaL_Buffer b;
	query_pairs q;
	char d[96];

	lua_settop(L, 1);
	if (lua_isnoneornil(L, 1))
		return sls_args_fail(L, "%s: expected a table of options (got nil)", FN);
	sls_args_table(L, 1, FN, embed_options);
	lua_newtable(L);                 /* 2: anchors strings made below */

	ticket = sls_args_str(L, 1, FN, "ticket", 16384, 1, 0, &ticket_len);
	project = sls_args_str(L, 1, FN, "project", 256, 1, 0, &project_len);
	if (ticket == NULL)
		return sls_args_fail(L, "%s: option 'ticket' is required", FN);
	if (project == NULL)
		return sls_args_fail(L, "%s: option 'project' is required", FN);
	for (i = 0; i < 3; i++) {
		size_t n;
		const char *v = sls_args_str(L, 1, FN, page_options[i], 1024, 1, 0, &n);
		if (v == NULL)
			continue;
		if (page >= 0)
			return sls_args_fail(L, "%s: options '%s' and '%s' exclude each other: "
			                     "one link shows one page", FN, page_options[page],
			                     page_options[i]);
		page = i;
		page_value = v;
		page_len = n;
	}
	if (page < 0)
		return sls_args_fail(L, "%s: one of options 'logstore', 'dashboard' or "
		                     "'savedsearch' is required", FN);
	region = sls_args_str(L, 1, FN, "region", 63, 1, 0, NULL);
	base = console_base(L, &base_len);
	share = sls_args_bool(L, 1, FN, "share", page != PAGE_SAVEDSEARCH);
	theme = sls_args_enum(L, 1, FN, "theme", themes, 0);
	query = sls_args_str(L, 1, FN, "query", 65536, 0, 0, &query_len);
	query_b64 = sls_args_bool(L, 1, FN, "query_base64", 0);
	if (query_b64 && query == NULL)
		return sls_args_fail(L, "%s: option 'query_base64' needs option 'query'", FN);
	has_type = sls_args_int(L, 1, FN, "time_type", -3, 99, &time_type);
	if (has_type && !valid_time_type(time_type))
		return sls_args_fail(L, "%s: option 'time_type' must be 1..27, -2, -3 or 99 "
		                     "(got %lld)", FN, time_type);
	has_start = sls_args_int(L, 1, FN, "start_time", 0, 253402300799LL, &start);
	has_end = sls_args_int(L, 1, FN, "end_time", 0, 253402300799LL, &end);
	if (has_start != has_end)
		return sls_args_fail(L, "%s: options 'start_time' and 'end_time' go together "
		                     "(got only %s)", FN, has_start ? "start_time" : "end_time");
	if (has_start && start > end)
		return sls_args_fail(L, "%s: option 'start_time' must not be after 'end_time' "
		                     "(got %lld > %lld)", FN, start, end);
	if (has_start && has_type && time_type != 99)
		return sls_args_fail(L, "%s: options 'start_time' and 'end_time' need "
		                     "time_type 99 (got %lld)", FN, time_type);
	if (has_type && time_type == 99 && !has_start)
		return sls_args_fail(L, "%s: time_type 99 needs options 'start_time' and "
		                     "'end_time'", FN);
	dashboard_only(L, page, "filters");
	dashboard_only(L, page, "token");
	dashboard_only(L, page, "auto_fresh");
	filters = sls_args_str(L, 1, FN, "filters", 65536, 1, 0, NULL);
	token = sls_args_str(L, 1, FN, "token", 65536, 1, 0, NULL);
	auto_fresh = sls_args_str(L, 1, FN, "auto_fresh", 16, 1, 0, NULL);
	if (auto_fresh != NULL && !valid_auto_fresh(auto_fresh)) {
		lua_getfield(L, 1, "auto_fresh");
		return sls_args_fail(L, "%s: option 'auto_fresh' must be a duration such as "
		                     "\"30s\", \"5m\" or \"1h\", at least 15s (got %s)", FN,
		                     sls_args_describe(L, -1, d, sizeof d));
	}
	for (i = 0; i < (int)NSWITCHES; i++)
		if (switches[i].scope == FOR_DASHBOARD)
			dashboard_only(L, page, switches[i].option);

	/* Collect: anything that may raise or push happens here. */
	q.n = 0;
	if (region != NULL)
		add_param_s(&q, "slsRegion", region);
	add_param(&q, "sls_ticket", ticket, ticket_len);
	if (sls_args_bool(L, 1, FN, "hide_topbar", 1))
		add_param_s(&q, "hideTopbar", "true");
	if (sls_args_bool(L, 1, FN, "hide_sidebar", 1))
		add_param_s(&q, "hideSidebar", "true");
	if (sls_args_bool(L, 1, FN, "ignore_tab_local_storage", 1))
		add_param_s(&q, "ignoreTabLocalStorage", "true");
	if (share)
		add_param_s(&q, "isShare", "true");
	if (theme == 1) {
		add_param_s(&q, "theme", "dark");
		add_param_s(&q, "sls_iframe", "true");
	}
	if (query != NULL && query_b64) {
		/* base64 by OpenSSL into Lua-owned memory, anchored at index 2. */
		unsigned char *enc = lua_newuserdata(L, 4 * ((query_len + 2) / 3) + 1);
		int n = EVP_EncodeBlock(enc, (const unsigned char *)query, (int)query_len);
		lua_rawseti(L, 2, (int)sls_rawlen(L, 2) + 1);
		add_param(&q, "queryString", (const char *)enc, (size_t)n);
		add_param_s(&q, "encode", "base64");
	} else if (query != NULL) {
		add_param(&q, "queryString", query, query_len);
	}
	if (has_start && !has_type)
		time_type = 99, has_type = 1;
	if (has_type)
		add_param_s(&q, "queryTimeType", anchored_number(L, time_type));
	if (has_start) {
		add_param_s(&q, "startTime", anchored_number(L, start));
		add_param_s(&q, "endTime", anchored_number(L, end));
	}
	if (filters != NULL)
		add_param_s(&q, "filters", filters);
	if (token != NULL)
		add_param_s(&q, "token", token);
	if (auto_fresh != NULL)
		add_param_s(&q, "autoFresh", auto_fresh);
	for (i = 0; i < (int)NSWITCHES; i++) {
		int v = sls_args_bool(L, 1, FN, switches[i].option, -1);
		if (v >= 0)
			add_param_s(&q, switches[i].param, v ? "true" : "false");
	}
	add_params(L, &q);

	/* Write: only buffer operations from here on. */
	luaL_buffinit(L, &b);
	luaL_addlstring(&b, base, base_len);
	luaL_addstring(&b, "/lognext/project/");
	add_pct(&b, project, project_len);
	luaL_addchar(&b, '/');
	luaL_addstring(&b, page_paths[page]);
	luaL_addchar(&b, '/');
	add_pct(&b, page_value, page_len);
	for (i = 0; i < q.n; i++) {
		luaL_addchar(&b, i == 0 ? '?' : '&');
		add_pct(&b, q.name[i], strlen(q.name[i]));
		luaL_addchar(&b, '=');
		add_pct(&b, q.value[i], q.len[i]);
	}
	luaL_pushresult(&b);
	return 1;
}
