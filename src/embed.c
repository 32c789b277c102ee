/* sls.embed_url(opts): the console link for a ticket. Pure string building;
 * the result is built in a luaL_Buffer, so a raise leaks nothing.
 *
 * Every option is read once. Strings read from opts stay on the stack until
 * the link is written (args.h): opts may be a proxy whose __index makes
 * each value afresh. Strings made here (numbers, base64) are anchored in the
 * table at index 2. Lists (filters) and params are read raw: their
 * metamethods are not consulted, and their entries stay referenced by the
 * list, which stays on the stack. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "args.h"
#include "buf.h"
#include "embed.h"
#include "embed_time.h"

#define FN SLS_EMBED_FN

#define MAX_PAIRS   192     /* query parameters of one link */
#define MAX_FILTERS 64      /* entries of the filters list */

enum { PAGE_LOGSTORE, PAGE_DASHBOARD, PAGE_SAVEDSEARCH };
/* Which pages an option belongs to (the console's embedding docs): every
 * page, the log search pages (logstore and savedsearch), or dashboards. */
enum { FOR_ANY, FOR_SEARCH, FOR_DASHBOARD };

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
	{ "hidden_etl",            "hiddenEtl",           FOR_SEARCH },
	{ "hidden_share",          "hiddenShare",         FOR_SEARCH },
	{ "hidden_index_setting",  "hiddenIndexSetting",  FOR_SEARCH },
	{ "hidden_saved_search",   "hiddenSavedSearch",   FOR_SEARCH },
	{ "hidden_alert",          "hiddenAlert",         FOR_SEARCH },
	{ "hidden_quick_analysis", "hiddenQuickAnalysis", FOR_SEARCH },
	{ "hidden_download",       "hiddenDownload",      FOR_SEARCH },
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
	"autoFresh", "keyDispalyMode", "keyFilter", "treeConfig", "treeEncode", NULL
};

static const char *const embed_options[] = {
	"ticket", "project", "logstore", "dashboard", "savedsearch", "region",
	"console", "share", "hide_topbar", "hide_sidebar", "ignore_tab_local_storage",
	"theme", "query", "query_base64", "time_type", "start_time", "end_time",
	"filters", "token", "auto_fresh", "key_display_mode", "key_filter",
	"tree_config", "tree_base64", "params",
	"support_refresh_token", "read_only", "hidden_back", "hidden_change_project",
	"hidden_overview", "hidden_etl", "hidden_share", "hidden_index_setting",
	"hidden_saved_search", "hidden_alert", "hidden_quick_analysis",
	"hidden_download", "hidden_filter", "hidden_token", "hidden_project",
	"hidden_edit", "hidden_report", "hidden_title_setting", "hidden_reset", NULL
};

void sls_embed_addpct(luaL_Buffer *b, const char *s, size_t n)
{
	char out[3 * 256];

	/* Through a C buffer: luaL_prepbuffer would turn what the luaL_Buffer
	 * holds into a Lua string at every call (Lua 5.1's and LuaJIT's). */
	while (n > 0) {
		size_t take = n < 256 ? n : 256;
		luaL_addlstring(b, out, sls_pct_encode(out, s, take));
		s += take;
		n -= take;
	}
}

/* The query, gathered before the luaL_Buffer opens: every value is a Lua
 * string kept below the buffer (on the stack, in the anchor table or in a
 * list that is on the stack), or C memory of sls_embed_url's frame. */
typedef struct query_pairs {
	const char *name[MAX_PAIRS];
	size_t      name_len[MAX_PAIRS];
	const char *value[MAX_PAIRS];
	size_t      len[MAX_PAIRS];
	int         n;
} query_pairs;

/* Names and values are counted, not NUL-terminated: a params name may hold
 * any byte. */
static void add_pair(lua_State *L, query_pairs *q, const char *name, size_t name_len,
                     const char *value, size_t n)
{
	if (q->n >= MAX_PAIRS) {
		sls_args_fail(L, "%s: the link would have more than %d parameters", FN,
		              MAX_PAIRS);
		return;
	}
	q->name[q->n] = name;
	q->name_len[q->n] = name_len;
	q->value[q->n] = value;
	q->len[q->n] = n;
	q->n++;
}

static void add_param(lua_State *L, query_pairs *q, const char *name,
                      const char *value, size_t n)
{
	add_pair(L, q, name, strlen(name), value, n);
}

static void add_param_s(lua_State *L, query_pairs *q, const char *name, const char *value)
{
	add_param(L, q, name, value, strlen(value));
}

/* Raises when an option given for the page kind does not belong there. */
static void check_scope(lua_State *L, int page, const char *option, int scope)
{
	if (scope == FOR_DASHBOARD && page != PAGE_DASHBOARD)
		sls_args_fail(L, "%s: option '%s' is for dashboards only (got it with '%s')",
		              FN, option, page_options[page]);
	if (scope == FOR_SEARCH && page == PAGE_DASHBOARD)
		sls_args_fail(L, "%s: option '%s' is for logstore and savedsearch pages "
		              "only (got it with 'dashboard')", FN, option);
}

/* A string option that belongs to some pages: sls_args_str, then the scope
 * check. The value stays on the stack (args.h). */
static const char *scoped_str(lua_State *L, int page, const char *option, int scope,
                              size_t max, size_t *len)
{
	const char *s = sls_args_str(L, 1, FN, option, max, 1, 0, len);

	if (s != NULL)
		check_scope(L, page, option, scope);
	return s;
}

/* base64 by OpenSSL into Lua-owned memory anchored at index 2. */
static const char *anchored_base64(lua_State *L, const char *s, size_t n, size_t *out_len)
{
	unsigned char *enc = lua_newuserdata(L, 4 * ((n + 2) / 3) + 1);

	*out_len = (size_t)EVP_EncodeBlock(enc, (const unsigned char *)s, (int)n);
	lua_rawseti(L, 2, (int)sls_rawlen(L, 2) + 1);
	return (const char *)enc;
}

/* name=s, or with b64 name=base64(s) and encoding=base64 (queryString and
 * encode, treeConfig and treeEncode); nothing when s is NULL. */
static void add_encodable(lua_State *L, query_pairs *q, const char *name,
                          const char *encoding, const char *s, size_t n, int b64)
{
	if (s == NULL)
		return;
	if (b64) {
		s = anchored_base64(L, s, n, &n);
		add_param(L, q, name, s, n);
		add_param_s(L, q, encoding, "base64");
	} else {
		add_param(L, q, name, s, n);
	}
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
	sls_args_fail(L, "%s: option 'console' must be \"cn\", \"intl\" or an http:// or "
	              "https:// base URL without query (got %s)", FN,
	              sls_args_describe(L, -1, d, sizeof d));
	return NULL;
}

/* filters: one string, or a list of them; one `filters=` parameter each. */
static void add_filters(lua_State *L, int page, query_pairs *q)
{
	char name[32], d[96];
	size_t n, i, count = 0, len;
	const char *s;
	int list;

	luaL_checkstack(L, 3, FN);
	lua_getfield(L, 1, "filters");             /* stays: it holds the entries */
	list = lua_gettop(L);
	if (lua_isnil(L, list))
		return;
	check_scope(L, page, "filters", FOR_DASHBOARD);
	if (lua_type(L, list) != LUA_TTABLE) {
		if (lua_type(L, list) != LUA_TSTRING)
			sls_args_fail(L, "%s: option 'filters' must be a string or a list of "
			              "strings (got %s)", FN, sls_args_describe(L, list, d, sizeof d));
		s = sls_args_str_at(L, list, FN, "filters", 65536, 1, 0, &len);
		add_param(L, q, "filters", s, len);
		return;
	}
	n = sls_rawlen(L, list);
	lua_pushnil(L);
	while (lua_next(L, list) != 0) {
		lua_pop(L, 1);
		count++;
	}
	if (count == 0)
		sls_args_fail(L, "%s: option 'filters' must not be an empty list", FN);
	if (count != n)
		sls_args_fail(L, "%s: option 'filters' must be a string or a list of strings "
		              "(got a table that is not a list)", FN);
	if (n > MAX_FILTERS)
		sls_args_fail(L, "%s: option 'filters' must have at most %d entries (got %zu)",
		              FN, MAX_FILTERS, n);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, list, (int)i);
		snprintf(name, sizeof name, "filters[%zu]", i);
		s = sls_args_str_at(L, -1, FN, name, 65536, 1, 0, &len);
		if (s == NULL)
			sls_args_fail(L, "%s: option '%s' must be a string (got nil)", FN, name);
		lua_pop(L, 1);                     /* still an entry of the list */
		add_param(L, q, "filters", s, len);
	}
}

/* A params name (any bytes) equals a parameter name. */
static int name_is(const char *name, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(name, lit, n) == 0;
}

/* Byte order of two names, a shorter prefix first. */
static int name_cmp(const query_pairs *q, int a, int b)
{
	size_t n = q->name_len[a] < q->name_len[b] ? q->name_len[a] : q->name_len[b];
	int c = memcmp(q->name[a], q->name[b], n);

	return c != 0 ? c : (q->name_len[a] > q->name_len[b]) - (q->name_len[a] < q->name_len[b]);
}

/* Adds the `params` table, sorted by name so the link is deterministic.
 * The table stays on the stack, so its names and string values stay
 * referenced; numbers and booleans become strings anchored at index 2,
 * written by C (not by tostring, which a script may replace). */
static void add_params(lua_State *L, query_pairs *q)
{
	int first = q->n, i, j, t, params;
	char d[96];

	luaL_checkstack(L, 4, FN);
	lua_getfield(L, 1, "params");
	params = lua_gettop(L);
	if (lua_isnil(L, params))
		return;
	if (!lua_istable(L, params))
		sls_args_fail(L, "%s: option 'params' must be a table of name = value "
		              "(got %s)", FN, sls_args_describe(L, params, d, sizeof d));
	lua_pushnil(L);
	while (lua_next(L, params) != 0) {         /* params, name, value */
		const char *name, *value;
		size_t len, name_len;

		t = lua_type(L, -1);
		if (lua_type(L, -2) != LUA_TSTRING || sls_rawlen(L, -2) == 0)
			sls_args_fail(L, "%s: option 'params' must have non-empty string names "
			              "(got %s)", FN, sls_args_describe(L, -2, d, sizeof d));
		name = lua_tolstring(L, -2, &name_len); /* a key of params: stays referenced */
		for (i = 0; reserved_params[i] != NULL; i++)
			if (name_is(name, name_len, reserved_params[i]))
				sls_args_fail(L, "%s: params.%s is set by a named option; use that "
				              "instead", FN, reserved_params[i]);
		for (i = 0; i < (int)NSWITCHES; i++)
			if (name_is(name, name_len, switches[i].param))
				sls_args_fail(L, "%s: params.%s is set by option '%s'; use that "
				              "instead", FN, switches[i].param, switches[i].option);
		if (name_is(name, name_len, "keyDisplayMode"))
			sls_args_fail(L, "%s: params.keyDisplayMode is not a console parameter "
			              "(the console spells it keyDispalyMode); use option "
			              "'key_display_mode'", FN);
		if (t != LUA_TSTRING && t != LUA_TNUMBER && t != LUA_TBOOLEAN)
			sls_args_fail(L, "%s: params.%s must be a string, number or boolean "
			              "(got %s)", FN, name, sls_args_describe(L, -1, d, sizeof d));
		if (t == LUA_TNUMBER && !isfinite((double)lua_tonumber(L, -1)))
			sls_args_fail(L, "%s: params.%s must be a finite number (got %s)", FN,
			              name, sls_args_describe(L, -1, d, sizeof d));
		if (t == LUA_TSTRING) {
			value = lua_tolstring(L, -1, &len); /* a value of params */
		} else {
			if (t == LUA_TBOOLEAN)
				lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
			else
				lua_pushvalue(L, -1);
			/* A copy converted in place: numbers as Lua writes them,
			 * without __tostring or the global tostring. */
			value = lua_tolstring(L, -1, &len);
			lua_rawseti(L, 2, (int)sls_rawlen(L, 2) + 1);
		}
		lua_pop(L, 1);
		add_pair(L, q, name, name_len, value, len);
	}
	/* Insertion sort by name bytes: `params` holds a handful of names. */
	for (i = first + 1; i < q->n; i++) {
		for (j = i; j > first && name_cmp(q, j - 1, j) > 0; j--) {
			const char *tn = q->name[j], *tv = q->value[j];
			size_t tnl = q->name_len[j], tl = q->len[j];
			q->name[j] = q->name[j - 1];
			q->name_len[j] = q->name_len[j - 1];
			q->value[j] = q->value[j - 1];
			q->len[j] = q->len[j - 1];
			q->name[j - 1] = tn;
			q->name_len[j - 1] = tnl;
			q->value[j - 1] = tv;
			q->len[j - 1] = tl;
		}
	}
}

void sls_embed_register(lua_State *L)
{
	sls_args_anchor(L, embed_options);
}

int sls_embed_url(lua_State *L)
{
	static const char *const themes[] = { "light", "dark", NULL };
	static const char *const display_modes[] = { "single", "multi", NULL };
	const char *ticket, *project, *page_value = NULL, *region, *base, *query,
	           *token, *auto_fresh, *key_filter, *tree;
	size_t ticket_len, project_len, page_len = 0, base_len, query_len = 0, token_len = 0,
	       auto_fresh_len = 0, key_filter_len = 0, tree_len = 0;
	long long time_type;
	int page = -1, i, share, theme, query_b64, tree_b64, display_mode;
	char d[96], num[3][24];
	sls_time_opt start, end;
	luaL_Buffer b;
	query_pairs q;

	lua_settop(L, 1);
	if (lua_isnoneornil(L, 1))
		return sls_args_fail(L, "%s: expected a table of options (got nil)", FN);
	sls_args_table(L, 1, FN, embed_options);
	/* Room for every value kept below the buffer (args.h). */
	luaL_checkstack(L, 40, FN);
	lua_newtable(L);                 /* 2: anchors strings made below */

	/* Read and check: everything that may raise or push happens here. */
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
	if (query != NULL)
		check_scope(L, page, "query", FOR_SEARCH);
	query_b64 = sls_args_bool(L, 1, FN, "query_base64", 0);
	if (query_b64 && query == NULL)
		return sls_args_fail(L, "%s: option 'query_base64' needs option 'query'", FN);
	sls_embed_read_times(L, &time_type, &start, &end);
	token = scoped_str(L, page, "token", FOR_DASHBOARD, 65536, &token_len);
	auto_fresh = scoped_str(L, page, "auto_fresh", FOR_DASHBOARD, 16, &auto_fresh_len);
	if (auto_fresh != NULL && !sls_embed_valid_auto_fresh(auto_fresh, auto_fresh_len))
		return sls_args_fail(L, "%s: option 'auto_fresh' must be a duration such as "
		                     "\"30s\", \"5m\" or \"1h\", at least 15s (got %s)", FN,
		                     sls_args_describe(L, -1, d, sizeof d));
	display_mode = sls_args_enum(L, 1, FN, "key_display_mode", display_modes, -1);
	if (display_mode >= 0)
		check_scope(L, page, "key_display_mode", FOR_SEARCH);
	key_filter = sls_args_str(L, 1, FN, "key_filter", 65536, 1, 0, &key_filter_len);
	tree = sls_args_str(L, 1, FN, "tree_config", 65536, 1, 0, &tree_len);
	tree_b64 = sls_args_bool(L, 1, FN, "tree_base64", 0);
	if (tree_b64 && tree == NULL)
		return sls_args_fail(L, "%s: option 'tree_base64' needs option 'tree_config'", FN);

	/* Collect, in the link's order. */
	q.n = 0;
	if (region != NULL)
		add_param_s(L, &q, "slsRegion", region);
	add_param(L, &q, "sls_ticket", ticket, ticket_len);
	if (sls_args_bool(L, 1, FN, "hide_topbar", 1))
		add_param_s(L, &q, "hideTopbar", "true");
	if (sls_args_bool(L, 1, FN, "hide_sidebar", 1))
		add_param_s(L, &q, "hideSidebar", "true");
	if (sls_args_bool(L, 1, FN, "ignore_tab_local_storage", 1))
		add_param_s(L, &q, "ignoreTabLocalStorage", "true");
	if (share)
		add_param_s(L, &q, "isShare", "true");
	if (theme == 1) {
		add_param_s(L, &q, "theme", "dark");
		add_param_s(L, &q, "sls_iframe", "true");
	}
	add_encodable(L, &q, "queryString", "encode", query, query_len, query_b64);
	if (time_type != 0) {
		snprintf(num[0], sizeof num[0], "%lld", time_type);
		add_param_s(L, &q, "queryTimeType", num[0]);
	}
	if (start.relative) {
		add_param(L, &q, "startTime", start.text, start.len);
		add_param(L, &q, "endTime", end.text, end.len);
	} else if (start.given) {
		snprintf(num[1], sizeof num[1], "%lld", start.secs);
		snprintf(num[2], sizeof num[2], "%lld", end.secs);
		add_param_s(L, &q, "startTime", num[1]);
		add_param_s(L, &q, "endTime", num[2]);
	}
	add_filters(L, page, &q);
	if (token != NULL)
		add_param(L, &q, "token", token, token_len);
	if (auto_fresh != NULL)
		add_param(L, &q, "autoFresh", auto_fresh, auto_fresh_len);
	if (display_mode >= 0)
		add_param_s(L, &q, "keyDispalyMode", display_modes[display_mode]);
	if (key_filter != NULL)
		add_param(L, &q, "keyFilter", key_filter, key_filter_len);
	add_encodable(L, &q, "treeConfig", "treeEncode", tree, tree_len, tree_b64);
	for (i = 0; i < (int)NSWITCHES; i++) {
		int v = sls_args_bool(L, 1, FN, switches[i].option, -1);
		if (v >= 0) {
			check_scope(L, page, switches[i].option, switches[i].scope);
			add_param_s(L, &q, switches[i].param, v ? "true" : "false");
		}
	}
	add_params(L, &q);

	/* Write: only buffer operations from here on. */
	luaL_buffinit(L, &b);
	luaL_addlstring(&b, base, base_len);
	luaL_addstring(&b, "/lognext/project/");
	sls_embed_addpct(&b, project, project_len);
	luaL_addchar(&b, '/');
	luaL_addstring(&b, page_paths[page]);
	luaL_addchar(&b, '/');
	sls_embed_addpct(&b, page_value, page_len);
	for (i = 0; i < q.n; i++) {
		luaL_addchar(&b, i == 0 ? '?' : '&');
		sls_embed_addpct(&b, q.name[i], q.name_len[i]);
		luaL_addchar(&b, '=');
		sls_embed_addpct(&b, q.value[i], q.len[i]);
	}
	luaL_pushresult(&b);
	return 1;
}
