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
  { { ticket = "T", project = "p", logstore = "l", start_time = 1, end_time = 2, time_type = 3 }, "sls.embed_url: options 'start_time' and 'end_time' need time_type 99 (got 3)" },
  { { ticket = "T", project = "p", logstore = "l", auto_fresh = "30s" }, "sls.embed_url: option 'auto_fresh' is for dashboards only (got it with 'logstore')" },
  { { ticket = "T", project = "p", savedsearch = "s", hidden_edit = true }, "sls.embed_url: option 'hidden_edit' is for dashboards only (got it with 'savedsearch')" },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "10s" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "10s")' },
  { { ticket = "T", project = "p", dashboard = "d", auto_fresh = "5x" }, 'sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or "1h", at least 15s (got "5x")' },
  { { ticket = "T", project = "p", logstore = "l", params = "a=b" }, 'sls.embed_url: option \'params\' must be a table of name = value (got "a=b")' },
  { { ticket = "T", project = "p", logstore = "l", params = { hideTopbar = "false" } }, "sls.embed_url: params.hideTopbar is set by a named option; use that instead" },
  { { ticket = "T", project = "p", logstore = "l", params = { readOnly = true } }, "sls.embed_url: params.readOnly is set by option 'read_only'; use that instead" },
  { { ticket = "T", project = "p", logstore = "l", params = { x = {} } }, "sls.embed_url: params.x must be a string, number or boolean (got table)" },
  { { ticket = "T", project = "p", logstore = "l", params = { [1] = "x" } }, "sls.embed_url: option 'params' must have non-empty string names (got 1)" },
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

  it("takes each documented switch by its Lua name", function()
    local names = {
      support_refresh_token = "supportRefreshToken", read_only = "readOnly",
      hidden_back = "hiddenBack", hidden_change_project = "hiddenChangeProject",
      hidden_overview = "hiddenOverview", hidden_etl = "hiddenEtl", hidden_share = "hiddenShare",
      hidden_index_setting = "hiddenIndexSetting", hidden_saved_search = "hiddenSavedSearch",
      hidden_alert = "hiddenAlert", hidden_quick_analysis = "hiddenQuickAnalysis",
      hidden_download = "hiddenDownload", hidden_filter = "hiddenFilter",
      hidden_token = "hiddenToken", hidden_project = "hiddenProject", hidden_edit = "hiddenEdit",
      hidden_report = "hiddenReport", hidden_title_setting = "hiddenTitleSetting",
      hidden_reset = "hiddenReset",
    }
    for opt, param in pairs(names) do
      local url = sls.embed_url { ticket = "T", project = "p", dashboard = "d", [opt] = true }
      assert.equal(CN .. "p/dashboard/d?sls_ticket=T" .. DEFAULTS .. "&isShare=true&" .. param .. "=true", url)
    end
  end)
end)
