-- The example portal's handlers. nginx.conf calls configure() once in
-- init_by_lua, start() in each worker, sign_in() in the access phase of every
-- location but /healthz, and page(), embed() and refresh() from content
-- handlers, where lua-sls talks to SLS over cosockets.
--
-- What the browser sees of a failure is a code and a request id (also in the
-- X-Request-Id header); error.log has the detail on one line under that id.
local sls = require "sls"
local cjson = require "cjson.safe"
local signin = require "portal.signin"   -- the demo sign-in: replace it
local limit = require "portal.limit"

local M = {}

local config             -- from configure()
local allowed = {}       -- "project\0kind\0name" -> true
local client             -- this worker's client, from start()
local console            -- the console the links open: SLS_CONSOLE or config.console
local page_csp           -- the pages' Content-Security-Policy, from start()
local not_ready          -- why this worker serves nothing but /healthz, or nil
local secrets = {}       -- the secret and token from the environment, as patterns

local kinds = { "dashboard", "logstore", "savedsearch" }

-- What a ticket is made of: letters, digits and -_.=+/ (base64 and base64url
-- with JWT dots). Anything else is refused before a call.
local function is_token(s)
  return type(s) == "string" and #s > 0 and #s <= sls._limits.ticket_max
         and not s:find("[^%w%-_.=+/]")
end

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
  for _, name in ipairs { "console", "origin", "frame_ancestors" } do
    assert(c[name] == nil or type(c[name]) == "string", "portal.configure: '" .. name .. "' is a string")
  end
  config = c
end

-- A whole number from the environment, or default when unset; nil and why
-- when it is not one from 1 to 1000000.
local function env_count(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  local n = tonumber(v)
  if not n or n < 1 or n > 1e6 or n ~= math.floor(n) then
    return nil, name .. " must be a whole number from 1 to 1000000"
  end
  return n
end

-- What start() needs, in order; the first failure is returned as why.
local function prepare()
  local ok, why = signin.configure(os.getenv("PORTAL_USERS"))
  if not ok then return nil, why end
  -- The limiter's buckets: per user for minting and refreshing, per client
  -- address for failed sign-ins (10 at once, then one per 6 s).
  for _, b in ipairs { { "mint", "PORTAL_MINT", 30, 10 }, { "refresh", "PORTAL_REFRESH", 120, 20 },
                       { "signin", "PORTAL_SIGNIN", 10, 10 } } do
    local rate, burst
    rate, why = env_count(b[2] .. "_RATE", b[3])
    if not rate then return nil, why end
    burst, why = env_count(b[2] .. "_BURST", b[4])
    if not burst then return nil, why end
    ok, why = limit.configure("portal_limits", rate, burst, b[1])
    if not ok then return nil, why end
  end
  -- The lifetimes, checked as create_ticket would check them, so a bad
  -- setting is a 503 here, not a failed call per view.
  local exp, at = config.expiration_time, config.access_token_expiration_time
  for name, max in pairs { expiration_time = sls._limits.expiration_max,
                           access_token_expiration_time = sls._limits.token_expiry_max } do
    local v = config[name]
    if v ~= nil and (type(v) ~= "number" or v ~= math.floor(v) or v < 1 or v > max) then
      return nil, "portal.configure: '" .. name .. "' must be a whole number from 1 to " .. max
    end
  end
  if exp and at and at > exp then
    return nil, "portal.configure: 'access_token_expiration_time' must not exceed 'expiration_time'"
  end
  console = os.getenv("SLS_CONSOLE") or config.console
  -- A link with the configured region and console: a bad one is refused
  -- here. Its origin, as lua-sls spells it, is the pages' frame-src.
  local built, url = pcall(sls.embed_url, { ticket = "t", project = "p", logstore = "l",
                                            region = config.region, console = console })
  if not built then return nil, url end
  page_csp = table.concat({
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
    "connect-src 'self'", "frame-src " .. url:match("^https?://[^/]+"),
    "frame-ancestors " .. (config.frame_ancestors or "'self'"),
    "base-uri 'none'", "form-action 'none'" }, "; ")
  -- lua-sls keeps secrets out of err (SPEC section 6); these are struck
  -- from the portal's log lines as well, should a server echo them and a
  -- library let it through.
  for _, name in ipairs { "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN" } do
    local v = os.getenv(name)
    if v and #v >= 4 then secrets[#secrets + 1] = v:gsub("%p", "%%%0") end
  end
  local made, c = pcall(sls.new, { endpoint = os.getenv("SLS_ENDPOINT"),
                                   user_agent = "lua-sls-example-portal" })
  if not made then return nil, c end
  return c
end

-- One client per worker: creating it reads the credentials, connects
-- nothing. A portal without PORTAL_USERS, or with a bad setting, answers
-- 503 everywhere but /healthz and says why here, once per worker.
function M.start()
  local why
  client, why = prepare()
  if not client then
    not_ready = why
    ngx.log(ngx.ERR, "portal: not ready, answering 503 but for /healthz: ", why)
  end
end

-- A JSON answer that no cache keeps: tickets and tokens are for one view.
local function send_json(status, t)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["Cache-Control"] = "no-store"
  ngx.header["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
  ngx.print(cjson.encode(t))
end

-- What a user over a rate limit is told.
local function try_again(seconds)
  return "try again in " .. seconds .. " s"
end

-- A refusal: the portal's code, the request id and, for a fault of the
-- request, the portal's own words on what to change.
local function fail(status, code, message, headers)
  for name, value in pairs(headers or {}) do ngx.header[name] = value end
  send_json(status, { error = code, message = message, request_id = ngx.var.request_id })
end

-- How the browser sees a lua-sls failure: status and code. A ticket SLS
-- refuses came from the browser (400); a portal without credentials is a
-- set-up fault (503); the rest is SLS or the way to it (502).
local function failure_status(detail, browser_ticket)
  if detail.code == "NoCredentials" then return 503, "NotConfigured" end
  if browser_ticket and ((detail.status == 400 and detail.code ~= "RequestTimeExpired")
                         or tostring(detail.code):find("Ticket", 1, true)) then
    return 400, "InvalidTicket"
  end
  return 502, "SLSError"
end

-- Logs a lua-sls failure on one error.log line under the request id (a
-- warning when the browser's ticket was at fault) and returns what the
-- browser sees: status and code. lua-sls's err is one printable line
-- without secrets; this keeps it so whatever a library or server says.
local function sls_failure(what, err, detail, browser_ticket)
  local status, code = failure_status(detail, browser_ticket)
  local line = tostring(err)
  for _, secret in ipairs(secrets) do line = line:gsub(secret, "***") end
  ngx.log(status < 500 and ngx.WARN or ngx.ERR, "portal: request ", ngx.var.request_id,
          ", user ", ngx.ctx.portal_user or "-", ": ", what, ": ",
          (line:gsub("%c", " "):sub(1, 4000)))
  return status, code
end

-- Access phase: signs the request in (ngx.ctx.portal_user) or ends it with
-- 401, or 503 when this worker is not ready.
function M.sign_in()
  if not_ready then
    fail(503, "NotConfigured")
    return ngx.exit(ngx.HTTP_OK)
  end
  local header = ngx.var.http_authorization
  -- An address that failed too often is not even checked for a while: a
  -- password guesser learns nothing faster than one try per 6 s.
  local wait = header and limit.wait(ngx.var.remote_addr, "signin")
  if wait then
    fail(429, "TooManyRequests", nil, { ["Retry-After"] = tostring(wait) })
    return ngx.exit(ngx.HTTP_OK)
  end
  local user = signin.user(header)
  if not user then
    if header then   -- no user name in the log: it may be a mistyped password
      ngx.log(ngx.WARN, "portal: request ", ngx.var.request_id, ": sign-in failed")
      limit.take(ngx.var.remote_addr, "signin")
    end
    fail(401, "SignInRequired", nil, { ["WWW-Authenticate"] = signin.CHALLENGE })
    return ngx.exit(ngx.HTTP_OK)
  end
  ngx.ctx.portal_user = user
  -- access.log's user: never the Basic user name as sent. A copied
  -- nginx.conf without `set $portal_user` still signs in.
  if ngx.var.portal_user ~= nil then ngx.var.portal_user = user end
end

-- The signed-in user. A location whose sign-in went missing from
-- nginx.conf gets a 401 here, not a link: returns nil then.
local function signed_in()
  local user = ngx.ctx.portal_user
  if not user then
    fail(401, "SignInRequired", nil, { ["WWW-Authenticate"] = signin.CHALLENGE })
  end
  return user
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

-- Mints a ticket for the signed-in user, within their rate, and builds the
-- link for page. Returns the link and the result, or nil and the failure:
-- { status, code, retry_after }, already logged when it is SLS's.
local function mint(page)
  local ok, wait = limit.take(ngx.ctx.portal_user, "mint")
  if not ok then return nil, { status = 429, code = "TooManyRequests", retry_after = wait } end
  local res, err, detail = client:create_ticket {
    expiration_time = config.expiration_time,
    access_token_expiration_time = config.access_token_expiration_time,
  }
  if not res then
    local status, code = sls_failure("CreateTicket", err, detail)
    return nil, { status = status, code = code }
  end
  -- The settings were checked at start: a refusal here is SLS's ticket.
  local built, url = pcall(sls.embed_url, {
    ticket = res.ticket,
    project = page.project,
    dashboard = page.dashboard,
    logstore = page.logstore,
    savedsearch = page.savedsearch,
    region = config.region,
    console = console,
    support_refresh_token = true,       -- portal.js answers the iframe's requests
  })
  if not built then
    local status, code = sls_failure("embed_url", url, {})
    return nil, { status = status, code = code }
  end
  return url, res
end

-- Minting is for GET only: a HEAD, a prefetch with another method, or a
-- form POST mints nothing. Answers 405 and returns false for those.
local function get_only()
  if ngx.req.get_method() == "GET" then return true end
  fail(405, "MethodNotAllowed", "use GET", { Allow = "GET" })
  return false
end

-- Browsers send cached Basic credentials with other sites' <img>, <iframe>
-- and fetch() requests too: a request Sec-Fetch-Site says comes from another
-- site mints nothing (403), unless top_level allows a top-level navigation
-- (a link followed to the portal page). Clients that send no Sec-Fetch-Site
-- (old browsers, curl) are let by. Returns false after answering 403.
local function same_site_or(top_level)
  local site = ngx.var.http_sec_fetch_site
  if site ~= "cross-site" and site ~= "same-site" then return true end
  if top_level and ngx.var.http_sec_fetch_mode == "navigate"
      and ngx.var.http_sec_fetch_dest == "document" then
    return true
  end
  fail(403, "CrossOrigin", "only this portal's pages may mint a link")
  return false
end

-- GET /embed?project=web&dashboard=overview[&redirect=1]: the link as JSON,
-- or with redirect=1 a redirect to it.
function M.embed()
  if not signed_in() or not get_only() or not same_site_or(false) then return end
  local args = ngx.req.get_uri_args()
  local redirect = args.redirect
  if redirect ~= nil and redirect ~= "0" and redirect ~= "1" then
    return fail(400, "BadRequest", "redirect is 0 or 1")
  end
  local page, why = requested_page(args)
  if not page then return fail(403, "Forbidden", why) end
  local url, res = mint(page)
  if not url then
    local message = res.retry_after and try_again(res.retry_after) or nil
    return fail(res.status, res.code, message, { ["Retry-After"] = res.retry_after })
  end
  if redirect == "1" then
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
  local user = signed_in()
  if not user or not get_only() or not same_site_or(true) then return end
  local page, why = requested_page(ngx.req.get_uri_args())
  if not page then return fail(403, "Forbidden", why) end
  local url, res = mint(page)
  ngx.header["Content-Type"] = "text/html; charset=utf-8"
  ngx.header["Cache-Control"] = "no-store"
  ngx.header["Content-Security-Policy"] = page_csp
  local name = page.dashboard or page.logstore or page.savedsearch
  local body
  if url then
    body = ('<iframe id="sls" src="%s" data-origin="%s" title="SLS %s"></iframe>')
      :format(escape_html(url), escape_html(url:match("^https?://[^/]+")), escape_html(name))
  else
    ngx.status = res.status
    ngx.header["Retry-After"] = res.retry_after
    body = ('<p id="error">%s (error <code>%s</code>, request <code>%s</code>)</p>'):format(
      res.retry_after and ("Too many links: " .. try_again(res.retry_after))
        or "The log service is unavailable",
      res.code, ngx.var.request_id)
  end
  ngx.print([[<!doctype html><html><head><meta charset="utf-8"><title>Portal</title>
<link rel="stylesheet" href="/portal.css"></head>
<body><header><h1>Portal: ]], escape_html(page.project), " / ", escape_html(name),
    '</h1><p id="user">Signed in as <b>', escape_html(user), "</b></p></header>\n",
    body, [[
<script src="/portal.js"></script></body></html>]])
end

-- True when a browser says the request comes from another site: by
-- Sec-Fetch-Site, or by an Origin other than this portal's (config.origin,
-- else the scheme and Host the request came with). Clients that send
-- neither are not browsers, which are what cross-site requests ride on.
local function cross_origin()
  local site = ngx.var.http_sec_fetch_site
  if site and site ~= "same-origin" then return true end
  local origin = ngx.var.http_origin
  local own = config.origin or (ngx.var.scheme .. "://" .. (ngx.var.http_host or ""))
  return origin ~= nil and origin ~= own
end

-- POST /sls/refresh {"ticket": "..."}: the iframe's refreshToken exchange
-- (portal.js), from this portal's own pages only. Answers {"accessToken": "..."}.
function M.refresh()
  if not signed_in() then return end
  if ngx.req.get_method() ~= "POST" then
    return fail(405, "MethodNotAllowed", "POST a JSON body", { Allow = "POST" })
  end
  if cross_origin() then
    return fail(403, "CrossOrigin", "only this portal's pages may refresh a token")
  end
  local media = (ngx.var.content_type or ""):lower():match("^%s*([^;%s]+)")
  if media ~= "application/json" then
    return fail(415, "UnsupportedMediaType", "send Content-Type: application/json")
  end
  ngx.req.read_body()
  local data = cjson.decode(ngx.req.get_body_data() or "")
  if type(data) ~= "table" then
    return fail(400, "BadRequest", "the body is not a JSON object")
  end
  local ticket = data.ticket
  if not is_token(ticket) then
    return fail(400, "BadRequest", "expected {\"ticket\": \"...\"}")
  end
  local ok, wait = limit.take(ngx.ctx.portal_user, "refresh")
  if not ok then
    return fail(429, "TooManyRequests", try_again(wait), { ["Retry-After"] = wait })
  end
  local res, err, detail = client:refresh_token {
    ticket = ticket,
    access_token_expiration_time = config.access_token_expiration_time,
  }
  if not res then
    return fail(sls_failure("RefreshToken", err, detail, true))
  end
  send_json(200, { accessToken = res.access_token, expires_at = res.access_token_expires_at })
end

return M
