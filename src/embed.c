/* sls.embed_url(opts): the console link for a ticket. Pure string building:
 * everything is read and checked first, then the link's length counted and
 * the link written at once, in a C array or a userdata, so a raise leaks
 * nothing.
 *
 * Every option is read once. Strings read from opts stay on the stack until
 * the link is written (args.h): opts may be a proxy whose __index makes
 * each value afresh. Strings made here (numbers, base64) are anchored in a
 * table made when the first one is. Lists (filters) and params are read
 * raw: their metamethods are not consulted, and their entries stay
 * referenced by the list, which stays on the stack. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "buf.h"
#include "embed.h"
#include "embed_query.h"
#include "embed_time.h"

#define FN SLS_EMBED_FN

#define MAX_FILTERS 64      /* entries of the filters list */

enum { PAGE_LOGSTORE, PAGE_DASHBOARD, PAGE_SAVEDSEARCH };
/* Which pages an option belongs to (the console's embedding docs): every
 * page, the log search pages (logstore and savedsearch), or dashboards. */
enum { FOR_ANY, FOR_SEARCH, FOR_DASHBOARD };

static const char project_path[] = "/lognext/project/";
static const char *const page_paths[] = { "logsearch", "dashboard", "savedsearch" };

#define EMBED_OPTIONS(X) \
	X(TICKET, "ticket") X(PROJECT, "project") \
	X(LOGSTORE, "logstore") X(DASHBOARD, "dashboard") X(SAVEDSEARCH, "savedsearch") \
	X(REGION, "region") X(CONSOLE, "console") X(SHARE, "share") \
	X(HIDE_TOPBAR, "hide_topbar") X(HIDE_SIDEBAR, "hide_sidebar") \
	X(IGNORE_TAB_LOCAL_STORAGE, "ignore_tab_local_storage") X(THEME, "theme") \
	X(QUERY, "query") X(QUERY_BASE64, "query_base64") X(TIME_TYPE, "time_type") \
	X(START_TIME, "start_time") X(END_TIME, "end_time") X(FILTERS, "filters") \
	X(TOKEN, "token") X(AUTO_FRESH, "auto_fresh") \
	X(KEY_DISPLAY_MODE, "key_display_mode") X(KEY_FILTER, "key_filter") \
	X(TREE_CONFIG, "tree_config") X(TREE_BASE64, "tree_base64") X(PARAMS, "params") \
	X(SUPPORT_REFRESH_TOKEN, "support_refresh_token") X(READ_ONLY, "read_only") \
	X(HIDDEN_BACK, "hidden_back") X(HIDDEN_CHANGE_PROJECT, "hidden_change_project") \
	X(HIDDEN_OVERVIEW, "hidden_overview") X(HIDDEN_ETL, "hidden_etl") \
	X(HIDDEN_SHARE, "hidden_share") X(HIDDEN_INDEX_SETTING, "hidden_index_setting") \
	X(HIDDEN_SAVED_SEARCH, "hidden_saved_search") X(HIDDEN_ALERT, "hidden_alert") \
	X(HIDDEN_QUICK_ANALYSIS, "hidden_quick_analysis") \
	X(HIDDEN_DOWNLOAD, "hidden_download") X(HIDDEN_FILTER, "hidden_filter") \
	X(HIDDEN_TOKEN, "hidden_token") X(HIDDEN_PROJECT, "hidden_project") \
	X(HIDDEN_EDIT, "hidden_edit") X(HIDDEN_REPORT, "hidden_report") \
	X(HIDDEN_TITLE_SETTING, "hidden_title_setting") X(HIDDEN_RESET, "hidden_reset")

enum { EMBED_OPTIONS(SLS_OPT_ENUM) N_EMBED_OPTIONS };
static const char *const embed_options[] = { EMBED_OPTIONS(SLS_OPT_NAME) NULL };

/* Boolean switches: option, URL parameter, where it applies. Passed as
 * "true" or "false" when given, left out when nil. */
static const struct {
	int         option;
	const char *param;
	int         scope;
} switches[] = {
	{ OPT_SUPPORT_REFRESH_TOKEN, "supportRefreshToken", FOR_ANY },
	{ OPT_READ_ONLY,             "readOnly",            FOR_ANY },
	{ OPT_HIDDEN_BACK,           "hiddenBack",          FOR_ANY },
	{ OPT_HIDDEN_CHANGE_PROJECT, "hiddenChangeProject", FOR_ANY },
	{ OPT_HIDDEN_OVERVIEW,       "hiddenOverview",      FOR_ANY },
	{ OPT_HIDDEN_ETL,            "hiddenEtl",           FOR_SEARCH },
	{ OPT_HIDDEN_SHARE,          "hiddenShare",         FOR_SEARCH },
	{ OPT_HIDDEN_INDEX_SETTING,  "hiddenIndexSetting",  FOR_SEARCH },
	{ OPT_HIDDEN_SAVED_SEARCH,   "hiddenSavedSearch",   FOR_SEARCH },
	{ OPT_HIDDEN_ALERT,          "hiddenAlert",         FOR_SEARCH },
	{ OPT_HIDDEN_QUICK_ANALYSIS, "hiddenQuickAnalysis", FOR_SEARCH },
	{ OPT_HIDDEN_DOWNLOAD,       "hiddenDownload",      FOR_SEARCH },
	{ OPT_HIDDEN_FILTER,         "hiddenFilter",        FOR_DASHBOARD },
	{ OPT_HIDDEN_TOKEN,          "hiddenToken",         FOR_DASHBOARD },
	{ OPT_HIDDEN_PROJECT,        "hiddenProject",       FOR_DASHBOARD },
	{ OPT_HIDDEN_EDIT,           "hiddenEdit",          FOR_DASHBOARD },
	{ OPT_HIDDEN_REPORT,         "hiddenReport",        FOR_DASHBOARD },
	{ OPT_HIDDEN_TITLE_SETTING,  "hiddenTitleSetting",  FOR_DASHBOARD },
	{ OPT_HIDDEN_RESET,          "hiddenReset",         FOR_DASHBOARD },
};
#define NSWITCHES (sizeof switches / sizeof switches[0])

/* Parameters that named options produce; `params` may not set them. */
static const char *const reserved_params[] = {
	"slsRegion", "sls_ticket", "hideTopbar", "hideSidebar",
	"ignoreTabLocalStorage", "isShare", "theme", "sls_iframe", "queryString",
	"encode", "queryTimeType", "startTime", "endTime", "filters", "token",
	"autoFresh", "keyDispalyMode", "keyFilter", "treeConfig", "treeEncode", NULL
};

/* Raises when an option given for the page kind does not belong there. */
static void check_scope(lua_State *L, int page, const char *option, int scope)
{
	if (scope == FOR_DASHBOARD && page != PAGE_DASHBOARD)
		sls_args_fail(L, "%s: option '%s' is for dashboards only (got it with '%s')",
		              FN, option, embed_options[OPT_LOGSTORE + page]);
	if (scope == FOR_SEARCH && page == PAGE_DASHBOARD)
		sls_args_fail(L, "%s: option '%s' is for logstore and savedsearch pages "
		              "only (got it with 'dashboard')", FN, option);
}

/* A string option that belongs to some pages: sls_opt_str, then the scope
 * check. */
static const char *scoped_str(lua_State *L, const sls_opts *o, int page, int option,
                              int scope, size_t max, size_t *len)
{
	const char *s = sls_opt_str(L, o, option, max, 1, 0, len);

	if (s != NULL)
		check_scope(L, page, embed_options[option], scope);
	return s;
}

/* The console base: "cn", "intl" or an http(s) URL without query. */
static const char *console_base(lua_State *L, const sls_opts *o, size_t *n)
{
	const char *s = sls_opt_str(L, o, OPT_CONSOLE, 2048, 1, 0, n);
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
	              sls_args_describe(L, o->at[OPT_CONSOLE], d, sizeof d));
	return NULL;
}

/* filters: one string, or a list of them; one `filters=` parameter each. */
static void add_filters(lua_State *L, const sls_opts *o, int page, sls_query *q)
{
	char name[32], d[96];
	size_t n, i, count = 0, len;
	const char *s;
	int list = o->at[OPT_FILTERS];             /* stays: it holds the entries */

	luaL_checkstack(L, 3, FN);
	if (lua_isnil(L, list))
		return;
	check_scope(L, page, "filters", FOR_DASHBOARD);
	if (lua_type(L, list) != LUA_TTABLE) {
		if (lua_type(L, list) != LUA_TSTRING)
			sls_args_fail(L, "%s: option 'filters' must be a string or a list of "
			              "strings (got %s)", FN, sls_args_describe(L, list, d, sizeof d));
		s = sls_args_str_at(L, list, FN, "filters", 65536, 1, 0, &len);
		sls_query_param(L, q, "filters", s, len);
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
		sls_query_param(L, q, "filters", s, len);
	}
}

/* A params name (any bytes) equals a parameter name. */
static int name_is(const char *name, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(name, lit, n) == 0;
}

/* Adds the `params` table, sorted by name so the link is deterministic.
 * The table stays on the stack, so its names and string values stay
 * referenced; numbers and booleans become anchored strings, written by C
 * (not by tostring, which a script may replace). */
static void add_params(lua_State *L, const sls_opts *o, sls_query *q)
{
	int first = q->n, i, t, params = o->at[OPT_PARAMS];
	char d[96];

	luaL_checkstack(L, 5, FN);
	if (lua_isnil(L, params))
		return;
	if (!lua_istable(L, params))
		sls_args_fail(L, "%s: option 'params' must be a table of name = value "
		              "(got %s)", FN, sls_args_describe(L, params, d, sizeof d));
	sls_query_anchors(L, q);              /* below the walk's key and value */
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
				              "instead", FN, switches[i].param,
				              embed_options[switches[i].option]);
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
			sls_query_anchor(L, q);
		}
		lua_pop(L, 1);
		sls_query_add(L, q, name, name_len, value, len, 0);
	}
	sls_query_sort_from(q, first);
}

void sls_embed_register(lua_State *L)
{
	sls_opts_register(L, embed_options);
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
	sls_query q;
	sls_opts o;
	size_t total;
	char small[2048], *out, *p;

	lua_settop(L, 1);
	if (lua_isnoneornil(L, 1))
		return sls_args_fail(L, "%s: expected a table of options (got nil)", FN);
	sls_opts_read(L, 1, FN, embed_options, &o);   /* leaves LUA_MINSTACK free */

	/* Read and check: everything that may raise or push happens here. */
	ticket = sls_opt_str(L, &o, OPT_TICKET, 16384, 1, 0, &ticket_len);
	project = sls_opt_str(L, &o, OPT_PROJECT, 256, 1, 0, &project_len);
	if (ticket == NULL)
		return sls_args_fail(L, "%s: option 'ticket' is required", FN);
	if (project == NULL)
		return sls_args_fail(L, "%s: option 'project' is required", FN);
	for (i = 0; i < 3; i++) {
		size_t n;
		const char *v = sls_opt_str(L, &o, OPT_LOGSTORE + i, 1024, 1, 0, &n);
		if (v == NULL)
			continue;
		if (page >= 0)
			return sls_args_fail(L, "%s: options '%s' and '%s' exclude each other: "
			                     "one link shows one page", FN, embed_options[OPT_LOGSTORE + page],
			                     embed_options[OPT_LOGSTORE + i]);
		page = i;
		page_value = v;
		page_len = n;
	}
	if (page < 0)
		return sls_args_fail(L, "%s: one of options 'logstore', 'dashboard' or "
		                     "'savedsearch' is required", FN);
	region = sls_opt_str(L, &o, OPT_REGION, 63, 1, 0, NULL);
	base = console_base(L, &o, &base_len);
	share = sls_opt_bool(L, &o, OPT_SHARE, page != PAGE_SAVEDSEARCH);
	theme = sls_opt_enum(L, &o, OPT_THEME, themes, 0);
	query = sls_opt_str(L, &o, OPT_QUERY, 65536, 0, 0, &query_len);
	if (query != NULL)
		check_scope(L, page, "query", FOR_SEARCH);
	query_b64 = sls_opt_bool(L, &o, OPT_QUERY_BASE64, 0);
	if (query_b64 && query == NULL)
		return sls_args_fail(L, "%s: option 'query_base64' needs option 'query'", FN);
	sls_embed_read_times(L, o.at[OPT_TIME_TYPE], o.at[OPT_START_TIME], o.at[OPT_END_TIME],
	                     &time_type, &start, &end);
	token = scoped_str(L, &o, page, OPT_TOKEN, FOR_DASHBOARD, 65536, &token_len);
	auto_fresh = scoped_str(L, &o, page, OPT_AUTO_FRESH, FOR_DASHBOARD, 16, &auto_fresh_len);
	if (auto_fresh != NULL && !sls_embed_valid_auto_fresh(auto_fresh, auto_fresh_len))
		return sls_args_fail(L, "%s: option 'auto_fresh' must be a duration such as "
		                     "\"30s\", \"5m\" or \"1h\", at least 15s (got %s)", FN,
		                     sls_args_describe(L, o.at[OPT_AUTO_FRESH], d, sizeof d));
	display_mode = sls_opt_enum(L, &o, OPT_KEY_DISPLAY_MODE, display_modes, -1);
	if (display_mode >= 0)
		check_scope(L, page, "key_display_mode", FOR_SEARCH);
	key_filter = sls_opt_str(L, &o, OPT_KEY_FILTER, 65536, 1, 0, &key_filter_len);
	tree = sls_opt_str(L, &o, OPT_TREE_CONFIG, 65536, 1, 0, &tree_len);
	tree_b64 = sls_opt_bool(L, &o, OPT_TREE_BASE64, 0);
	if (tree_b64 && tree == NULL)
		return sls_args_fail(L, "%s: option 'tree_base64' needs option 'tree_config'", FN);

	/* Collect, in the link's order. */
	sls_query_init(&q, FN);
	if (region != NULL)
		sls_query_param(L, &q, "slsRegion", region, strlen(region));
	sls_query_param(L, &q, "sls_ticket", ticket, ticket_len);
	if (sls_opt_bool(L, &o, OPT_HIDE_TOPBAR, 1))
		sls_query_own(L, &q, "hideTopbar", "true");
	if (sls_opt_bool(L, &o, OPT_HIDE_SIDEBAR, 1))
		sls_query_own(L, &q, "hideSidebar", "true");
	if (sls_opt_bool(L, &o, OPT_IGNORE_TAB_LOCAL_STORAGE, 1))
		sls_query_own(L, &q, "ignoreTabLocalStorage", "true");
	if (share)
		sls_query_own(L, &q, "isShare", "true");
	if (theme == 1) {
		sls_query_own(L, &q, "theme", "dark");
		sls_query_own(L, &q, "sls_iframe", "true");
	}
	sls_query_encodable(L, &q, "queryString", "encode", query, query_len, query_b64);
	if (time_type != 0) {
		snprintf(num[0], sizeof num[0], "%lld", time_type);
		sls_query_own(L, &q, "queryTimeType", num[0]);
	}
	if (start.relative) {
		sls_query_param(L, &q, "startTime", start.text, start.len);
		sls_query_param(L, &q, "endTime", end.text, end.len);
	} else if (start.given) {
		snprintf(num[1], sizeof num[1], "%lld", start.secs);
		snprintf(num[2], sizeof num[2], "%lld", end.secs);
		sls_query_own(L, &q, "startTime", num[1]);
		sls_query_own(L, &q, "endTime", num[2]);
	}
	add_filters(L, &o, page, &q);
	if (token != NULL)
		sls_query_param(L, &q, "token", token, token_len);
	if (auto_fresh != NULL)
		sls_query_param(L, &q, "autoFresh", auto_fresh, auto_fresh_len);
	if (display_mode >= 0)
		sls_query_own(L, &q, "keyDispalyMode", display_modes[display_mode]);
	if (key_filter != NULL)
		sls_query_param(L, &q, "keyFilter", key_filter, key_filter_len);
	sls_query_encodable(L, &q, "treeConfig", "treeEncode", tree, tree_len, tree_b64);
	for (i = 0; i < (int)NSWITCHES; i++) {
		int v = sls_opt_bool(L, &o, switches[i].option, -1);
		if (v >= 0) {
			check_scope(L, page, embed_options[switches[i].option], switches[i].scope);
			sls_query_own(L, &q, switches[i].param, v ? "true" : "false");
		}
	}
	add_params(L, &o, &q);

	/* Write, at once, into room for the longest link these make (every
	 * byte encoded). */
	total = base_len + sizeof project_path - 1 + 3 * project_len +
	        strlen(page_paths[page]) + 2 + 3 * page_len;
	total += sls_query_room(&q);
	p = out = sls_room(L, small, sizeof small, total);
	memcpy(p, base, base_len);
	p += base_len;
	memcpy(p, project_path, sizeof project_path - 1);
	p += sizeof project_path - 1;
	p += sls_pct_encode(p, project, project_len);
	*p++ = '/';
	memcpy(p, page_paths[page], strlen(page_paths[page]));
	p += strlen(page_paths[page]);
	*p++ = '/';
	p += sls_pct_encode(p, page_value, page_len);
	p = sls_query_write(&q, p);
	lua_pushlstring(L, out, (size_t)(p - out));
	return 1;
}
