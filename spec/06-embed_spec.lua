-- sls.embed_url: links for each page kind, encodings, options and misuse.
local H = require "spec.helpers"
local sls = require "sls"

local CN = "https://sls.console.aliyun.com/lognext/project/"
local DEFAULTS = "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true"

local good = {
  { "a log search page", { ticket = "T", project = "web", logstore = "access", region = "cn-hangzhou" },
    CN .. "web/logsearch/access?slsRegion=cn-hangzhou&sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  { "a dashboard", { ticket = "T", project = "web", dashboard = "overview" },
    CN .. "web/dashboard/overview?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  { "a saved search (no isShare)", { ticket = "T", project = "web", savedsearch = "errors" },
    CN .. "web/savedsearch/errors?sls_ticket=T" .. DEFAULTS },
  { "the international console", { ticket = "T", project = "p", logstore = "l", console = "intl" },
    "https://sls.console.alibabacloud.com/lognext/project/p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  { "a custom console base, trailing slash dropped", { ticket = "T", project = "p", dashboard = "d", console = "http://127.0.0.1:9000/" },
    "http://127.0.0.1:9000/lognext/project/p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  { "the China console by name", { ticket = "T", project = "p", dashboard = "d", console = "cn" },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  { "spaces, slash, plus, equals, ampersand and non-ASCII encoded",
    { ticket = "a+b/c=", project = "p q", logstore = "日志/x", region = "cn-shanghai",
      query = "status: 500 & path=/a+b" },
    CN .. "p%20q/logsearch/%E6%97%A5%E5%BF%97%2Fx?slsRegion=cn-shanghai&sls_ticket=a%2Bb%2Fc%3D"
      .. DEFAULTS .. "&isShare=true&queryString=status%3A%20500%20%26%20path%3D%2Fa%2Bb" },
  { "non-ASCII and reserved characters in project, dashboard and values",
    { ticket = "T", project = "项目", dashboard = "仪表盘 1+1=2&x/y", filters = "名称 = 值" },
    CN .. "%E9%A1%B9%E7%9B%AE/dashboard/%E4%BB%AA%E8%A1%A8%E7%9B%98%201%2B1%3D2%26x%2Fy?sls_ticket=T"
      .. DEFAULTS .. "&isShare=true&filters=%E5%90%8D%E7%A7%B0%20%3D%20%E5%80%BC" },
  { "non-ASCII in a saved search and in params",
    { ticket = "T", project = "p", savedsearch = "错误 & 告警", params = { ["标签"] = "a b+c" } },
    CN .. "p/savedsearch/%E9%94%99%E8%AF%AF%20%26%20%E5%91%8A%E8%AD%A6?sls_ticket=T" .. DEFAULTS
      .. "&%E6%A0%87%E7%AD%BE=a%20b%2Bc" },
  { "unreserved characters stay", { ticket = "A-z_0.9~", project = "p", dashboard = "d-1_2.3~" },
    CN .. "p/dashboard/d-1_2.3~?sls_ticket=A-z_0.9~" .. DEFAULTS .. "&isShare=true" },
  { "defaults switched off", { ticket = "T", project = "p", logstore = "l", share = false,
      hide_topbar = false, hide_sidebar = false, ignore_tab_local_storage = false },
    CN .. "p/logsearch/l?sls_ticket=T" },
  { "the dark theme", { ticket = "T", project = "p", logstore = "l", theme = "dark" },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&theme=dark&sls_iframe=true" },
  { "the light theme adds nothing", { ticket = "T", project = "p", logstore = "l", theme = "light" },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  { "a base64 query", { ticket = "T", project = "p", logstore = "l", query = "* | select 1", query_base64 = true },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&queryString=KiB8IHNlbGVjdCAx&encode=base64" },
  { "a relative time type", { ticket = "T", project = "p", logstore = "l", time_type = 3 },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&queryTimeType=3" },
  { "an absolute range implies type 99", { ticket = "T", project = "p", logstore = "l", start_time = 1700000000, end_time = 1700003600 },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&queryTimeType=99&startTime=1700000000&endTime=1700003600" },
  { "dashboard filters, token and refresh", { ticket = "T", project = "p", dashboard = "d",
      filters = "env: prod", token = '[{"key":"k","value":"v"}]', auto_fresh = "30s" },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&filters=env%3A%20prod"
      .. "&token=%5B%7B%22key%22%3A%22k%22%2C%22value%22%3A%22v%22%7D%5D&autoFresh=30s" },
  { "switches, in a fixed order, true and false", { ticket = "T", project = "p", dashboard = "d",
      hidden_reset = true, read_only = true, support_refresh_token = true, hidden_edit = false },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&supportRefreshToken=true"
      .. "&readOnly=true&hiddenEdit=false&hiddenReset=true" },
  { "a relative range (queryTimeType -2, as the docs write it)", { ticket = "T", project = "p", logstore = "l",
      time_type = -2, start_time = "-10m", end_time = "now" },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&queryTimeType=-2&startTime=-10m&endTime=now" },
  { "a whole-unit range (queryTimeType -3, as the docs write it)", { ticket = "T", project = "p", dashboard = "d",
      time_type = -3, start_time = "-2h", end_time = "absolute" },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&queryTimeType=-3&startTime=-2h&endTime=absolute" },
  { "a relative range ending in the past", { ticket = "T", project = "p", savedsearch = "s",
      time_type = -2, start_time = "-1d", end_time = "-5m" },
    CN .. "p/savedsearch/s?sls_ticket=T" .. DEFAULTS .. "&queryTimeType=-2&startTime=-1d&endTime=-5m" },
  { "an explicit type 99 with its range", { ticket = "T", project = "p", logstore = "l", time_type = 99,
      start_time = 0, end_time = 253402300799 },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&queryTimeType=99&startTime=0&endTime=253402300799" },
  { "a list of filters, one parameter an entry, in order", { ticket = "T", project = "p", dashboard = "d",
      filters = { "key1:value1", "key2:value 2", "key1:value1" } },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&filters=key1%3Avalue1&filters=key2%3Avalue%202&filters=key1%3Avalue1" },
  { "a list of one filter", { ticket = "T", project = "p", dashboard = "d", filters = { "env:prod" } },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&filters=env%3Aprod" },
  { "the docs' treeConfig example, base64", { ticket = "T", project = "p", logstore = "l",
      tree_config = '{"logstore":{"expand":true,"resourceList":["delete-log"],"template":["savedsearch","alert"]}}',
      tree_base64 = true },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&treeConfig="
      .. "eyJsb2dzdG9yZSI6eyJleHBhbmQiOnRydWUsInJlc291cmNlTGlzdCI6WyJkZWxldGUtbG9nIl0sInRlbXBsYXRlIjpbInNhdmVkc2VhcmNoIiwiYWxlcnQiXX19"
      .. "&treeEncode=base64" },
  { "treeConfig as JSON, keyFilter and keyDispalyMode (the docs' spelling)", { ticket = "T", project = "p", logstore = "l",
      tree_config = '{"logstore":{"expand":true}}', key_filter = '{"logstore":["aegis-"]}', key_display_mode = "single" },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&keyDispalyMode=single"
      .. "&keyFilter=%7B%22logstore%22%3A%5B%22aegis-%22%5D%7D&treeConfig=%7B%22logstore%22%3A%7B%22expand%22%3Atrue%7D%7D" },
  { "auto_fresh at its minimum and in minutes", { ticket = "T", project = "p", dashboard = "d", auto_fresh = "15s" },
    CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&autoFresh=15s" },
  { "params sorted by name, after the named ones", { ticket = "T", project = "p", logstore = "l",
      hidden_etl = true, params = { zeta = "z z", alpha = 1, beta = false } },
    CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true&hiddenEtl=true&alpha=1&beta=false&zeta=z%20z" },
}

local bad = {
  { nil, "sls.embed_url: expected a table of options (got nil)" },
  { { project = "p", logstore = "l" }, "sls.embed_url: option 'ticket' is required" },
  { { ticket = "T", logstore = "l" }, "sls.embed_url: option 'project' is required" },
  { { ticket = "T", project = "p" }, "sls.embed_url: one of options 'logstore', 'dashboard' or 'savedsearch' is required" },
  { { ticket = "T", project = "p", logstore = "l", dashboard = "d" }, "sls.embed_url: options 'logstore' and 'dashboard' exclude each other: one link shows one page" },
  { { ticket = "", project = "p", logstore = "l" }, "sls.embed_url: option 'ticket' must not be empty" },
  { { ticket = "T", project = 7, logstore = "l" }, "sls.embed_url: option 'project' must be a string (got 7)" },
  { { ticket = "T", project = "p", logstore = "l", dashbord = "d" }, "sls.embed_url: unknown option 'dashbord'" },
  { { ticket = "T", project = "p", logstore = "l", console = "ftp://x" }, 'sls.embed_url: option \'console\' must be "cn", "intl" or an http:// or https:// base URL without query (got "ftp://x")' },
  { { ticket = "T", project = "p", logstore = "l", console = "https://x/?a" }, 'sls.embed_url: option \'console\' must be "cn", "intl" or an http:// or https:// base URL without query (got "https://x/?a")' },
  { { ticket = "T", project = "p", logstore = "l", share = "yes" }, 'sls.embed_url: option \'share\' must be a boolean (got "yes")' },
  { { ticket = "T", project = "p", logstore = "l", theme = "blue" }, 'sls.embed_url: option \'theme\' must be "light" or "dark" (got "blue")' },
  { { ticket = "T", project = "p", logstore = "l", query_base64 = true }, "sls.embed_url: option 'query_base64' needs option 'query'" },
  { { ticket = "T", project = "p", logstore = "l", time_type = 28 }, "sls.embed_url: option 'time_type' must be 1..27, -2, -3 or 99 (got 28)" },
  { { ticket = "T", project = "p", logstore = "l", time_type = 0 }, "sls.embed_url: option 'time_type' must be 1..27, -2, -3 or 99 (got 0)" },
  { { ticket = "T", project = "p", logstore = "l", time_type = 99 }, "sls.embed_url: time_type 99 needs options 'start_time' and 'end_time'" },
  { { ticket = "T", project = "p", logstore = "l", start_time = 5 }, "sls.embed_url: options 'start_time' and 'end_time' go together (got only start_time)" },
  { { ticket = "T", project = "p", logstore = "l", start_time = 5, end_time = 4 }, "sls.embed_url: option 'start_time' must not be after 'end_time' (got 5 > 4)" },
  { { ticket = "T", project = "p", logstore = "l", start_time = 1, end_time = 2, time_type = 3 }, "sls.embed_url: options 'start_time' and 'end_time' need time_type 99, -2 or -3 (got 3)" },
  { { ticket = "T", project = "p", logstore = "l", auto_fresh = "30s" }, "sls.embed_url: option 'auto_fresh' is for dashboards only (got it with 'logstore')" },
  { { ticket = "T", project = "p", savedsearch = "s", hidden_edit = true }, "sls.embed_url: option 'hidden_edit' is for dashboards only (got it with 'savedsearch')" },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "10s" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "10s")' },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "5x" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "5x")' },
  -- All digits, no unit: once read one byte past the string.
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "15" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "15")' },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "9999999" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "9999999")' },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "14s" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "14s")' },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "s" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "s")' },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "30ss" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "30ss")' },
  -- queryTimeType -2 and -3 carry relative times (the embedding docs:
  -- "start:-10m,end:now", "start:-2h,end:absolute"); 99 carries Unix seconds.
  { { ticket = "T", project = "p", logstore = "l", time_type = -2 }, 'sls.embed_url: time_type -2 needs options \'start_time\' and \'end_time\' as relative times such as "-10m" and "now"' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -3, start_time = "-2h" }, "sls.embed_url: options 'start_time' and 'end_time' go together (got only start_time)" },
  { { ticket = "T", project = "p", logstore = "l", time_type = -3, start_time = 1, end_time = 2 }, 'sls.embed_url: time_type -3 needs relative times in \'start_time\' and \'end_time\' such as "-10m" and "now" (got 1)' },
  { { ticket = "T", project = "p", logstore = "l", time_type = 99, start_time = "-10m", end_time = "now" }, 'sls.embed_url: time_type 99 needs \'start_time\' and \'end_time\' in Unix seconds (got "-10m")' },
  { { ticket = "T", project = "p", logstore = "l", start_time = "-10m", end_time = "now" }, "sls.embed_url: relative times in 'start_time' and 'end_time' need time_type -2 or -3" },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-10m", end_time = 5 }, "sls.embed_url: options 'start_time' and 'end_time' must both be Unix seconds or both relative times" },
  { { ticket = "T", project = "p", logstore = "l", time_type = 2, start_time = "-10m", end_time = "now" }, "sls.embed_url: options 'start_time' and 'end_time' need time_type 99, -2 or -3 (got 2)" },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "now", end_time = "now" }, 'sls.embed_url: option \'start_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "-10m" (got "now")' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-10", end_time = "now" }, 'sls.embed_url: option \'start_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "-10m" (got "-10")' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "10m", end_time = "now" }, 'sls.embed_url: option \'start_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "-10m" (got "10m")' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-1234567890m", end_time = "now" }, 'sls.embed_url: option \'start_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "-10m" (got "-1234567890m")' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-10 m", end_time = "now" }, 'sls.embed_url: option \'start_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "-10m" (got "-10 m")' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-10m", end_time = "later" }, 'sls.embed_url: option \'end_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "now", "absolute" or "-5m" (got "later")' },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-10m", end_time = "" }, "sls.embed_url: option 'end_time' must not be empty" },
  { { ticket = "T", project = "p", logstore = "l", time_type = -2, start_time = "-10m", end_time = ("1"):rep(33) }, "sls.embed_url: option 'end_time' must be at most 32 bytes (got 33 bytes)" },
  -- filters: a string or a list, one filters= parameter an entry.
  { { ticket = "T", project = "p", dashboard = "d", filters = {} }, "sls.embed_url: option 'filters' must not be an empty list" },
  { { ticket = "T", project = "p", dashboard = "d", filters = { "a:1", 5 } }, "sls.embed_url: option 'filters[2]' must be a string (got 5)" },
  { { ticket = "T", project = "p", dashboard = "d", filters = { "a:1", "" } }, "sls.embed_url: option 'filters[2]' must not be empty" },
  { { ticket = "T", project = "p", dashboard = "d", filters = { "a\n" } }, 'sls.embed_url: option \'filters[1]\' must not contain control characters or NUL bytes (got "a\\10")' },
  { { ticket = "T", project = "p", dashboard = "d", filters = { k = "v" } }, "sls.embed_url: option 'filters' must be a string or a list of strings (got a table that is not a list)" },
  { { ticket = "T", project = "p", dashboard = "d", filters = { "a", nil, "c" } }, "sls.embed_url: option 'filters' must be a string or a list of strings (got a table that is not a list)" },
  { { ticket = "T", project = "p", dashboard = "d", filters = 7 }, "sls.embed_url: option 'filters' must be a string or a list of strings (got 7)" },
  { { ticket = "T", project = "p", logstore = "l", filters = { "a:1" } }, "sls.embed_url: option 'filters' is for dashboards only (got it with 'logstore')" },
  -- The docs' other names: keyDispalyMode (their spelling), keyFilter, treeConfig/treeEncode.
  { { ticket = "T", project = "p", logstore = "l", key_display_mode = "Single" }, 'sls.embed_url: option \'key_display_mode\' must be "single" or "multi" (got "Single")' },
  { { ticket = "T", project = "p", logstore = "l", tree_base64 = true }, "sls.embed_url: option 'tree_base64' needs option 'tree_config'" },
  { { ticket = "T", project = "p", logstore = "l", key_filter = "" }, "sls.embed_url: option 'key_filter' must not be empty" },
  { { ticket = "T", project = "p", logstore = "l", params = { keyDisplayMode = "multi" } }, "sls.embed_url: params.keyDisplayMode is not a console parameter (the console spells it keyDispalyMode); use option 'key_display_mode'" },
  { { ticket = "T", project = "p", logstore = "l", params = { keyDispalyMode = "multi" } }, "sls.embed_url: params.keyDispalyMode is set by a named option; use that instead" },
  { { ticket = "T", project = "p", logstore = "l", params = { treeEncode = "base64" } }, "sls.embed_url: params.treeEncode is set by a named option; use that instead" },
  { { ticket = "T", project = "p", logstore = "l", params = { n = 0 / 0 } }, "sls.embed_url: params.n must be a finite number (got nan)" },
  { { ticket = "T", project = "p", logstore = "l", params = { n = math.huge } }, "sls.embed_url: params.n must be a finite number (got inf)" },
  { { ticket = "T", project = "p", logstore = "l", params = "a=b" }, 'sls.embed_url: option \'params\' must be a table of name = value (got "a=b")' },
  { { ticket = "T", project = "p", logstore = "l", params = { hideTopbar = "false" } }, "sls.embed_url: params.hideTopbar is set by a named option; use that instead" },
  { { ticket = "T", project = "p", logstore = "l", params = { readOnly = true } }, "sls.embed_url: params.readOnly is set by option 'read_only'; use that instead" },
  { { ticket = "T", project = "p", logstore = "l", params = { x = {} } }, "sls.embed_url: params.x must be a string, number or boolean (got table)" },
  { { ticket = "T", project = "p", logstore = "l", params = { [1] = "x" } }, "sls.embed_url: option 'params' must have non-empty string names (got 1)" },
  -- 192 parameters at most: with the named ones, 190 params are too many.
  { { ticket = "T", project = "p", logstore = "l", params = (function()
      local t = {}
      for i = 1, 190 do t["p" .. i] = i end
      return t
    end)() }, "sls.embed_url: the link would have more than 192 parameters" },
  { { ticket = "T\n", project = "p", logstore = "l" }, 'sls.embed_url: option \'ticket\' must not contain control characters or NUL bytes (got "T\\10")' },
}

describe("embed_url", function()
  for _, case in ipairs(good) do
    it("builds " .. case[1], function()
      assert.equal(case[3], sls.embed_url(case[2]))
    end)
  end

  for i, case in ipairs(bad) do
    it("rejects misuse " .. i .. ": " .. case[2], function()
      local ok, err = pcall(sls.embed_url, case[1])
      assert.is_false(ok)
      assert.equal(case[2], err)
    end)
  end

  -- Where each option belongs, from the console's embedding docs: on every
  -- page, on the log search pages (logstore, savedsearch), on dashboards.
  -- { option, value, the parameter it writes, where }
  local scoped = {
    { "support_refresh_token", true, "supportRefreshToken=true", "any" },
    { "read_only", true, "readOnly=true", "any" },
    { "hidden_back", true, "hiddenBack=true", "any" },
    { "hidden_change_project", true, "hiddenChangeProject=true", "any" },
    { "hidden_overview", false, "hiddenOverview=false", "any" },
    { "key_filter", '{"dashboard":["ddos"]}', "keyFilter=%7B%22dashboard%22%3A%5B%22ddos%22%5D%7D", "any" },
    { "tree_config", "{}", "treeConfig=%7B%7D", "any" },
    { "query", "* | select 1", "queryString=%2A%20%7C%20select%201", "search" },
    { "key_display_mode", "multi", "keyDispalyMode=multi", "search" },
    { "hidden_etl", true, "hiddenEtl=true", "search" },
    { "hidden_share", true, "hiddenShare=true", "search" },
    { "hidden_index_setting", true, "hiddenIndexSetting=true", "search" },
    { "hidden_saved_search", true, "hiddenSavedSearch=true", "search" },
    { "hidden_alert", true, "hiddenAlert=true", "search" },
    { "hidden_quick_analysis", true, "hiddenQuickAnalysis=true", "search" },
    { "hidden_download", false, "hiddenDownload=false", "search" },
    { "filters", "k:v", "filters=k%3Av", "dashboard" },
    { "token", '[{"key":"k","value":"v"}]', "token=%5B%7B%22key%22%3A%22k%22%2C%22value%22%3A%22v%22%7D%5D", "dashboard" },
    { "auto_fresh", "5m", "autoFresh=5m", "dashboard" },
    { "hidden_filter", true, "hiddenFilter=true", "dashboard" },
    { "hidden_token", true, "hiddenToken=true", "dashboard" },
    { "hidden_project", true, "hiddenProject=true", "dashboard" },
    { "hidden_edit", true, "hiddenEdit=true", "dashboard" },
    { "hidden_report", true, "hiddenReport=true", "dashboard" },
    { "hidden_title_setting", true, "hiddenTitleSetting=true", "dashboard" },
    { "hidden_reset", false, "hiddenReset=false", "dashboard" },
  }
  local pages = {
    { "logstore", "l", "search", CN .. "p/logsearch/l?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
    { "savedsearch", "s", "search", CN .. "p/savedsearch/s?sls_ticket=T" .. DEFAULTS },
    { "dashboard", "d", "dashboard", CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true" },
  }
  for _, o in ipairs(scoped) do
    for _, page in ipairs(pages) do
      local opts = { ticket = "T", project = "p", [page[1]] = page[2], [o[1]] = o[2] }
      if o[4] == "any" or o[4] == page[3] then
        it(("writes %s on a %s page"):format(o[1], page[1]), function()
          assert.equal(page[4] .. "&" .. o[3], sls.embed_url(opts))
        end)
      else
        local want = o[4] == "dashboard"
          and ("sls.embed_url: option '%s' is for dashboards only (got it with '%s')"):format(o[1], page[1])
          or ("sls.embed_url: option '%s' is for logstore and savedsearch pages only (got it with 'dashboard')"):format(o[1])
        it(("refuses %s on a %s page: %s"):format(o[1], page[1], want), function()
          local ok, err = pcall(sls.embed_url, opts)
          assert.is_false(ok)
          assert.equal(want, err)
        end)
      end
    end
  end

  it("covers every option of the table above or of the cases", function()
    -- A new option must land in a page-kind row: each scoped name appears once.
    local seen = {}
    for _, o in ipairs(scoped) do
      assert.is_nil(seen[o[1]], o[1])
      seen[o[1]] = true
    end
    assert.equal(26, #scoped)
  end)

  it("takes up to 64 filters and refuses a 65th", function()
    local list = {}
    for i = 1, 64 do list[i] = "k:" .. i end
    local url = sls.embed_url { ticket = "T", project = "p", dashboard = "d", filters = list }
    local n = 0
    for v in url:gmatch("&filters=k%%3A(%d+)") do n = n + 1; assert.equal(tostring(n), v) end
    assert.equal(64, n)
    list[65] = "k:65"
    local ok, err = pcall(sls.embed_url, { ticket = "T", project = "p", dashboard = "d", filters = list })
    assert.is_false(ok)
    assert.equal("sls.embed_url: option 'filters' must have at most 64 entries (got 65)", err)
  end)

  it("encodes long values across buffer chunks with the one encoder", function()
    -- Several times LUAL_BUFFERSIZE, multi-byte and reserved bytes mixed.
    local raw = ("a/é b~"):rep(5000)
    local url = sls.embed_url { ticket = "T", project = "p", logstore = "l", query = raw }
    assert.equal(sls._pct(raw), url:match("queryString=(.*)$"))
    assert.equal(("a%2F%C3%A9%20b~"):rep(5000), url:match("queryString=(.*)$"))
  end)
end)
