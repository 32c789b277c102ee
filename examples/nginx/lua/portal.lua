-- The example portal's handlers. nginx.conf calls configure() once in
-- init_by_lua, start() in each worker, and page(), embed() and refresh() from
-- content handlers, where lua-sls talks to SLS over cosockets.
local sls = require "sls"
local cjson = require "cjson.safe"

local M = {}

local config             -- from configure()
local allowed = {}       -- "project\0kind\0name" -> true
local client             -- this worker's client, from start()

local kinds = { "dashboard", "logstore", "savedsearch" }

local function key(project, kind, name)
  return project .. "\0" .. kind .. "\0" .. name
end

-- Checks the portal's settings once, at nginx start.
function M.configure(c)
  assert(type(c) == "table", "portal.configure: a table of settings")
  assert(type(c.allow) == "table" and #c.allow > 0, "portal.configure: 'allow' lists the pages")
  for i, page in ipairs(c.allow) do
    local n = 0
    for _, kind in ipairs(kinds) do
      if page[kind] then
        n = n + 1
        allowed[key(page.project, kind, page[kind])] = true
      end
    end
    assert(type(page.project) == "string" and n == 1,
      "portal.configure: allow[" .. i .. "] needs a project and one of dashboard, logstore, savedsearch")
  end
  config = c
end

-- One client per worker: creating it reads the credentials, connects nothing.
function M.start()
  client = sls.new {
    endpoint = os.getenv("SLS_ENDPOINT"),
    user_agent = "lua-sls-example-portal",
  }
end

local function send_json(status, t)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"   -- a link is for one page view
  ngx.print(cjson.encode(t))
end

-- The page named by the request's query, when the allow-list has it; else
-- nil and why.
local function requested_page(args)
  local project = args.project
  if project == nil and args.dashboard == nil and args.logstore == nil
      and args.savedsearch == nil then
    local first = config.allow[1]                 -- the portal's default page
    for _, kind in ipairs(kinds) do
      if first[kind] then return { project = first.project, [kind] = first[kind] } end
    end
  end
  if type(project) ~= "string" then return nil, "give one project" end
  local found
  for _, kind in ipairs(kinds) do
    local name = args[kind]
    if name ~= nil then
      if found or type(name) ~= "string" then
        return nil, "give one of dashboard, logstore or savedsearch"
      end
      if not allowed[key(project, kind, name)] then
        return nil, "this portal does not embed that page"
      end
      found = { project = project, [kind] = name }
    end
  end
  if not found then return nil, "give one of dashboard, logstore or savedsearch" end
  return found
end

-- Mints a ticket and builds the link for page. Returns the link and the
-- result, or nil and the failure (already logged, without any secret).
local function mint(page)
  local res, err, detail = client:create_ticket {
    expiration_time = config.expiration_time,
    access_token_expiration_time = config.access_token_expiration_time,
  }
  if not res then
    ngx.log(ngx.ERR, "sls: ", err)
    return nil, { error = detail.code, message = err, request_id = detail.request_id }
  end
  local url = sls.embed_url {
    ticket = res.ticket,
    project = page.project,
    dashboard = page.dashboard,
    logstore = page.logstore,
    savedsearch = page.savedsearch,
    region = config.region,
    console = os.getenv("SLS_CONSOLE") or config.console,
    support_refresh_token = true,       -- portal.js answers the iframe's requests
  }
  return url, res
end

-- GET /embed?project=web&dashboard=overview[&redirect=1]: the link as JSON,
-- or a redirect to it.
function M.embed()
  local page, why = requested_page(ngx.req.get_uri_args())
  if not page then
    return send_json(403, { error = "Forbidden", message = why })
  end
  local url, res = mint(page)
  if not url then return send_json(502, res) end
  if ngx.var.arg_redirect then
    ngx.header["Cache-Control"] = "no-store"
    return ngx.redirect(url, 302)
  end
  send_json(200, { url = url, expires_at = res.expires_at,
                   access_token_expires_at = res.access_token_expires_at })
end

local function escape_html(s)
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
                                ['"'] = "&quot;", ["'"] = "&#39;" }))
end

-- GET /: the portal page, with the page in an iframe.
function M.page()
  local page, why = requested_page(ngx.req.get_uri_args())
  if not page then
    ngx.status = 403
    ngx.header["Content-Type"] = "text/plain"
    return ngx.say(why)
  end
  local url, failure = mint(page)
  ngx.header["Content-Type"] = "text/html; charset=utf-8"
  ngx.header["Cache-Control"] = "no-store"
  local name = page.dashboard or page.logstore or page.savedsearch
  local body
  if url then
    body = ('<iframe id="sls" src="%s" data-origin="%s" title="SLS %s"'
      .. ' style="width:100%%;height:80vh;border:1px solid #ccc"></iframe>')
      :format(escape_html(url), escape_html(url:match("^https?://[^/]+")), escape_html(name))
  else
    ngx.status = 502
    body = '<p id="error">The log service is unavailable: ' .. escape_html(failure.error) .. '</p>'
  end
  ngx.print([[<!doctype html><html><head><meta charset="utf-8"><title>Portal</title></head>
<body style="font-family:sans-serif"><h1>Portal: ]], escape_html(page.project), " / ",
    escape_html(name), "</h1>\n", body, [[
<script src="/portal.js"></script></body></html>]])
end

-- POST /sls/refresh {"ticket": "..."}: the iframe's refreshToken exchange
-- (portal.js). Answers {"accessToken": "..."}.
function M.refresh()
  if ngx.req.get_method() ~= "POST" then
    ngx.header["Allow"] = "POST"
    return send_json(405, { error = "MethodNotAllowed", message = "POST a JSON body" })
  end
  ngx.req.read_body()
  local data = cjson.decode(ngx.req.get_body_data() or "")
  local ticket = type(data) == "table" and data.ticket
  if type(ticket) ~= "string" or #ticket == 0 or #ticket > 16384 or ticket:find("%c") then
    return send_json(400, { error = "BadRequest", message = "expected {\"ticket\": \"...\"}" })
  end
  local res, err, detail = client:refresh_token {
    ticket = ticket,
    access_token_expiration_time = config.access_token_expiration_time,
  }
  if not res then
    ngx.log(ngx.ERR, "sls: ", err)
    return send_json(502, { error = detail.code, message = err, request_id = detail.request_id })
  end
  send_json(200, { accessToken = res.access_token, expires_at = res.access_token_expires_at })
end

return M
