-- The example portal (examples/nginx) in Debian's nginx, pointed at the
-- emulator: its sign-in, pages, the refresh exchange, the rate limit, the
-- headers, failures as a code and a request id, run.sh from a checkout
-- nginx's workers cannot enter, concurrency, and a headless Chromium that
-- signs in, loads the console in an iframe and refreshes its token.
local H = require "spec.helpers"
local cjson = require "cjson.safe"
local mime = require "mime"

-- The demo sign-in's users: alice, u1..u100 for tests that need a user whose
-- rate bucket is full, c1..c50 for the concurrency test. Password: pw-<user>.
local USERS = { "alice:pw-alice" }
for i = 1, 100 do USERS[#USERS + 1] = ("u%d:pw-u%d"):format(i, i) end
for i = 1, 50 do USERS[#USERS + 1] = ("c%d:pw-c%d"):format(i, i) end
USERS = table.concat(USERS, ",")

local function basic(user, password)
  return "Basic " .. (mime.b64(user .. ":" .. (password or "pw-" .. user)))
end

local fresh = 0
-- A user no earlier test has minted for.
local function new_user()
  fresh = fresh + 1
  return "u" .. fresh
end

local function pattern(s) return (s:gsub("%p", "%%%0")) end

-- An error answer: exactly a code and the request id of the X-Request-Id
-- header, plus the portal's own words when given.
local function assert_refusal(code, body, headers, message)
  local t = cjson.decode(body)
  assert.is_table(t, body)
  assert.matches("^%x+$", t.request_id)
  assert.equal(headers["x-request-id"], t.request_id)
  assert.same({ error = code, request_id = t.request_id, message = message }, t)
  return t.request_id
end

-- The emulator and a portal pointed at it, env added to its environment.
local function start(env)
  local emu = H.start_emulator()
  -- Every spec fails sign-ins from 127.0.0.1 on purpose: the throttle on
  -- them has a spec of its own, with its own portal.
  return emu, H.start_nginx { env = H.merge({ SLS_ENDPOINT = emu.url, SLS_CONSOLE = emu.url,
                                              PORTAL_SIGNIN_BURST = "1000" }, env) }
end

-- Stops both, after checking that no secret reached the portal's error.log.
local function stop(emu, portal)
  local log = portal and portal:error_log() or ""
  if portal then portal:stop() end
  if emu then emu:stop() end
  H.assert_no_secret(log)
end

describe("example portal #nginx", function()
  local emu, portal

  -- A request as user (a fresh one unless given; false: signed out).
  local function req(method, path, user, body, headers)
    local h = H.merge(headers)
    if user ~= false then h.authorization = basic(user or new_user()) end
    return H.http(method, portal.url .. path, body, h)
  end
  local function get(path, user) return req("GET", path, user) end
  local function refresh(body, headers, user)
    return req("POST", "/sls/refresh", user, body,
               H.merge({ ["content-type"] = "application/json" }, headers))
  end
  local function mint(user)
    local status, body = get("/embed?project=web&dashboard=overview", user)
    assert.equal(200, status, body)
    return cjson.decode(body).url:match("sls_ticket=([^&]+)")
  end

  setup(function()
    emu, portal = start { PORTAL_USERS = USERS,
                          ALIBABA_CLOUD_ACCESS_KEY_ID = H.STS.access_key_id,
                          ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.STS.access_key_secret,
                          ALIBABA_CLOUD_SECURITY_TOKEN = H.STS.security_token }
  end)
  teardown(function() stop(emu, portal) end)
  before_each(function() emu:reset() end)

  it("answers /embed with a link that opens the dashboard once", function()
    local status, body, headers = get("/embed?project=web&dashboard=overview")
    assert.equal(200, status)
    assert.equal("no-store", headers["cache-control"])
    local t = cjson.decode(body)
    assert.matches("^" .. pattern(emu.url) .. "/lognext/project/web/dashboard/overview%?", t.url)
    assert.matches("supportRefreshToken=true", t.url, 1, true)
    assert.is_true(t.expires_at > os.time())
    local s1, page = H.http("GET", t.url)
    assert.equal(200, s1)
    assert.matches("data-kind='dashboard' data-name='overview'", page, 1, true)
    assert.equal(403, (H.http("GET", t.url)))      -- a ticket opens once
    H.assert_no_secret(body)
  end)

  it("redirects to the link with ?redirect=1, and only then", function()
    local status, body, headers = get("/embed?project=web&logstore=access&redirect=1")
    assert.equal(302, status)
    assert.equal("no-store", headers["cache-control"])
    assert.matches("/lognext/project/web/logsearch/access%?", headers.location)
    status, body, headers = get("/embed?project=web&logstore=access&redirect=0")
    assert.equal(200, status)
    assert.is_nil(headers.location)
    assert.matches("/lognext/project/web/logsearch/access%?", cjson.decode(body).url)
    assert.equal(2, emu:requests())
    status, body, headers = get("/embed?project=web&logstore=access&redirect=yes")
    assert.equal(400, status)
    assert_refusal("BadRequest", body, headers, "redirect is 0 or 1")
    assert.equal(2, emu:requests())
  end)

  for _, case in ipairs {
    { "/embed?project=web&dashboard=secret", "this portal does not embed that page" },
    { "/embed?project=other&dashboard=overview", "this portal does not embed that page" },
    { "/embed?project=web", "give one of dashboard, logstore or savedsearch" },
    { "/embed?project=web&dashboard=overview&logstore=access", "give one of dashboard, logstore or savedsearch" },
    { "/embed?dashboard=overview", "give one project" },
  } do
    it("refuses " .. case[1] .. " without minting", function()
      local status, body, headers = get(case[1])
      assert.equal(403, status)
      assert_refusal("Forbidden", body, headers, case[2])
      assert.equal(0, emu:requests())
    end)
  end

  it("answers 401 with a Basic challenge, and mints nothing, without valid credentials", function()
    for _, path in ipairs { "/", "/embed?project=web&dashboard=overview", "/portal.js" } do
      for _, auth in ipairs {
        false, basic("alice", "wrong"), basic("alice", "pw-alicex"), basic("alice", ""),
        basic("nobody", "pw-nobody"), basic("alice", "pw-u1"), "Basic !!!", "Bearer pw-alice",
        "Basic " .. mime.b64("alice"),
      } do
        local status, body, headers = H.http("GET", portal.url .. path, nil,
                                             auth and { authorization = auth } or nil)
        assert.equal(401, status, path)
        assert.equal('Basic realm="SLS portal", charset="UTF-8"', headers["www-authenticate"])
        assert_refusal("SignInRequired", body, headers)
      end
    end
    local status = req("POST", "/sls/refresh", false, '{"ticket":"x"}',
                       { ["content-type"] = "application/json" })
    assert.equal(401, status)
    assert.equal(0, emu:requests())
    assert.equal(200, (get("/embed?project=web&dashboard=overview", "alice")))
    assert.equal(200, (H.http("GET", portal.url .. "/embed?project=web&dashboard=overview", nil,
                              { authorization = basic("alice"):gsub("^Basic", "BASIC") })))
    assert.equal(2, emu:requests())
  end)

  it("mints on GET only: HEAD and POST get 405 with Allow", function()
    for _, case in ipairs { { "HEAD", "/embed?project=web&dashboard=overview" },
                            { "POST", "/embed?project=web&dashboard=overview" },
                            { "HEAD", "/" }, { "POST", "/" }, { "PUT", "/embed" } } do
      local status, _, headers = req(case[1], case[2], nil, case[1] ~= "HEAD" and "" or nil)
      assert.equal(405, status, case[1] .. " " .. case[2])
      assert.equal("GET", headers.allow)
    end
    assert.equal(0, emu:requests())
  end)

  it("limits each user to a burst of 10 links, then 429 with Retry-After", function()
    local user = new_user()
    for i = 1, 10 do
      assert.equal(200, (get("/embed?project=web&dashboard=overview", user)), "link " .. i)
    end
    -- 30 a minute is one link per 2 s: the next one is due 2 s after the
    -- first (1 s once a slow machine has spent a second on the ten).
    local status, body, headers = get("/embed?project=web&dashboard=overview", user)
    assert.equal(429, status)
    local wait = headers["retry-after"]
    assert.matches("^[12]$", wait)
    assert_refusal("TooManyRequests", body, headers, "try again in " .. wait .. " s")
    status, body, headers = get("/", user)                -- the page mints too
    assert.equal(429, status)
    assert.matches("^[12]$", headers["retry-after"])
    assert.matches('<p id="error">Too many links: try again in ' .. headers["retry-after"] .. ' s',
                   body, 1, true)
    assert.equal(10, emu:requests())
    assert.equal(200, (get("/embed?project=web&dashboard=overview")))   -- per user
    assert.equal(11, emu:requests())
  end)

  it("limits each user's refreshes to a burst of 20, then 429 with Retry-After and no call", function()
    local user = new_user()
    local expired = cjson.encode { ticket = "expired" }   -- SLS refuses it: a call each
    for i = 1, 20 do
      assert.equal(400, (refresh(expired, nil, user)), "refresh " .. i)
    end
    assert.equal(20, emu:requests())
    -- 120 a minute is one refresh per 0.5 s: the next one is due in 1 s.
    local status, body, headers = refresh(expired, nil, user)
    assert.equal(429, status)
    assert.equal("1", headers["retry-after"])
    assert_refusal("TooManyRequests", body, headers, "try again in 1 s")
    assert.equal(20, emu:requests())
    -- A bucket of its own: the user still mints, and another user refreshes.
    assert.equal(200, (get("/embed?project=web&dashboard=overview", user)))
    assert.equal(400, (refresh(expired)))
    assert.equal(22, emu:requests())
  end)

  it("refuses a refresh ticket outside letters, digits and -_.=+/ with 400 and no call", function()
    for _, ticket in ipairs { "x y", "a;b", "a\\b", 'a"b', "caf\195\169", "a\tb" } do
      local status, body, headers = refresh(cjson.encode { ticket = ticket })
      assert.equal(400, status, ticket)
      assert_refusal("BadRequest", body, headers, 'expected {"ticket": "..."}')
    end
    assert.equal(0, emu:requests())
  end)

  it("mints nothing for another site's request but a top-level navigation to /", function()
    local function fetch(site, mode, dest)
      return { ["sec-fetch-site"] = site, ["sec-fetch-mode"] = mode, ["sec-fetch-dest"] = dest }
    end
    local embed = "/embed?project=web&dashboard=overview"
    for _, case in ipairs {
      { embed, fetch("cross-site", "no-cors", "image") },
      { embed, fetch("cross-site", "navigate", "iframe") },
      { embed, fetch("same-site", "cors", "empty") },
      { embed .. "&redirect=1", fetch("cross-site", "navigate", "document") },
      { "/", fetch("cross-site", "no-cors", "image") },
      { "/", fetch("cross-site", "navigate", "iframe") },
      { "/", fetch("same-site", "navigate", "iframe") },
      { "/", fetch("cross-site", "cors", "document") },
      { "/", { ["sec-fetch-site"] = "cross-site" } },
    } do
      local status, body, headers = req("GET", case[1], nil, nil, case[2])
      assert.equal(403, status, case[1] .. " " .. cjson.encode(case[2]))
      assert_refusal("CrossOrigin", body, headers, "only this portal's pages may mint a link")
    end
    assert.equal(0, emu:requests())
    for _, case in ipairs {
      { embed, {} },                                       -- curl, old browsers
      { embed, fetch("same-origin", "cors", "empty") },
      { embed, fetch("none", "navigate", "document") },   -- typed into the address bar
      { "/", fetch("cross-site", "navigate", "document") },   -- a link from another site
      { "/", fetch("same-site", "navigate", "document") },
      { "/", fetch("same-origin", "navigate", "iframe") },
    } do
      assert.equal(200, (req("GET", case[1], nil, nil, case[2])), case[1] .. " " .. cjson.encode(case[2]))
    end
    assert.equal(6, emu:requests())
  end)

  it("logs the signed-in user in access.log, never a failed sign-in's user name", function()
    local code = H.run(("curl -s -o /dev/null -w '%%{http_code}' -u 'MySecretPassw0rd:x' '%s/?logtest-fail'")
      :format(portal.url))
    assert.equal("401", code)
    assert.equal(200, (get("/portal.css?logtest-ok", "alice")))
    local access = ""
    for _ = 1, 100 do                    -- nginx logs after it has answered
      access = H.read_file(portal.dir .. "/logs/access.log")
      if access:find("logtest-ok", 1, true) then break end
      H.sleep(0.02)
    end
    assert.matches('- %- %[[^]]+%] "GET /%?logtest%-fail HTTP/1.1" 401', access)
    assert.matches('- alice %[[^]]+%] "GET /portal.css%?logtest%-ok HTTP/1.1" 200', access)
    assert.not_matches("MySecretPassw0rd", access, 1, true)
    assert.equal(0, emu:requests())
  end)

  it("sends a CSP that frames only the console, no-store and nosniff", function()
    local status, body, headers = get("/")
    assert.equal(200, status, body)
    local csp = headers["content-security-policy"]
    local directives = {}
    for d in (csp .. ";"):gmatch("%s*([^;]+);") do
      local name, value = d:match("^(%S+)%s+(.+)$")
      directives[name] = value
    end
    assert.equal(emu.url, directives["frame-src"])
    assert.equal("'self'", directives["frame-ancestors"])
    assert.equal("'none'", directives["default-src"])
    assert.equal("'self'", directives["script-src"])
    assert.equal("no-store", headers["cache-control"])
    assert.equal("nosniff", headers["x-content-type-options"])
    assert.equal("same-origin", headers["referrer-policy"])
    assert.not_matches("style=", body, 1, true)          -- CSP allows no inline style
    local _, _, js = get("/portal.js")
    assert.equal("text/javascript", js["content-type"])  -- nosniff needs it
    local _, _, json = get("/embed?project=web&dashboard=overview")
    assert.equal("no-store", json["cache-control"])
    assert.matches("frame-ancestors 'none'", json["content-security-policy"], 1, true)
  end)

  it("answers /healthz without sign-in and without SLS", function()
    local status, body = H.http("GET", portal.url .. "/healthz")
    assert.equal(200, status)
    assert.equal("ok\n", body)
    assert.equal(0, emu:requests())
  end)

  it("serves the portal page with the link in an iframe, for the signed-in user", function()
    local status, body = get("/", "alice")
    assert.equal(200, status)
    local src = body:match('<iframe id="sls" src="([^"]+)"')
    assert.truthy(src)
    assert.matches('data%-origin="' .. pattern(emu.url) .. '"', body)
    assert.matches('<script src="/portal.js">', body, 1, true)
    assert.matches('Signed in as <b>alice</b>', body, 1, true)
    local s, page = H.http("GET", (src:gsub("&amp;", "&")))
    assert.equal(200, s)
    assert.matches("dashboard: overview", page, 1, true)
  end)

  it("serves /sls/refresh for the iframe's refreshToken message", function()
    local ticket = mint()
    local status, body, headers = refresh(cjson.encode { ticket = ticket },
                                          { origin = portal.url, ["sec-fetch-site"] = "same-origin" })
    assert.equal(200, status, body)
    assert.equal("no-store", headers["cache-control"])
    assert.truthy(cjson.decode(body).accessToken)
    local log = emu:stats().log
    assert.equal("/token/refresh", log[#log].path)
    assert.equal("600", log[#log].query.accessTokenExpirationTime)
  end)

  it("refuses a cross-origin refresh with 403", function()
    local ticket = cjson.encode { ticket = mint() }
    for _, h in ipairs {
      { origin = "http://evil.example" },
      { origin = "null" },
      { origin = portal.url:gsub("^http:", "https:") },
      { ["sec-fetch-site"] = "cross-site" },
      { ["sec-fetch-site"] = "same-site" },
      { origin = portal.url, ["sec-fetch-site"] = "cross-site" },
    } do
      local status, body, headers = refresh(ticket, h)
      assert.equal(403, status, cjson.encode(h))
      assert_refusal("CrossOrigin", body, headers, "only this portal's pages may refresh a token")
    end
    assert.equal(1, emu:requests())                      -- the mint, no refresh
  end)

  it("rejects a refresh that is not a POST of a JSON ticket", function()
    local status, _, headers = req("GET", "/sls/refresh")
    assert.equal(405, status)
    assert.equal("POST", headers.allow)
    for _, case in ipairs {
      { 415, "UnsupportedMediaType", '{"ticket":"x"}', "text/plain" },
      { 415, "UnsupportedMediaType", '{"ticket":"x"}', "application/x-www-form-urlencoded" },
      { 415, "UnsupportedMediaType", '{"ticket":"x"}', nil },
      { 400, "BadRequest", "not json", "application/json" },
      { 400, "BadRequest", '{"ticket":', "application/json; charset=utf-8" },
      { 400, "BadRequest", "{}", "application/json" },
      { 400, "BadRequest", cjson.encode { ticket = "a\nb" }, "application/json" },
    } do
      local s, body = req("POST", "/sls/refresh", nil, case[3], { ["content-type"] = case[4] })
      assert.equal(case[1], s, case[3])
      assert.equal(case[2], cjson.decode(body).error)
    end
    assert.equal(0, emu:requests())
  end)

  it("answers 400 for a ticket SLS refuses, the detail in error.log only", function()
    local status, body, headers = refresh(cjson.encode { ticket = "expired" })
    assert.equal(400, status)
    local id = assert_refusal("InvalidTicket", body, headers)
    assert.matches("portal: request " .. id .. ", user u%d+: RefreshToken: ParameterInvalid: "
                   .. "ticket is invalid or expired %(HTTP 400", portal:error_log())
  end)

  it("answers an SLS fault with 502, a code and a request id; the detail goes to error.log", function()
    emu:fault { kind = "error", status = 401, code = "Unauthorized",
                message = "denied by acs:ram::1234:role/portal at /etc/secret/path" }
    local status, body, headers = get("/embed?project=web&dashboard=overview")
    assert.equal(502, status)
    local id = assert_refusal("SLSError", body, headers)
    local lines = {}
    for line in portal:error_log():gmatch("[^\n]+") do
      if line:find(id, 1, true) then lines[#lines + 1] = line end
    end
    assert.equal(1, #lines)
    assert.matches("[error]", lines[1], 1, true)
    assert.matches("CreateTicket: Unauthorized: denied by acs:ram::1234:role/portal", lines[1], 1, true)
    -- The page says the same, in HTML.
    emu:fault { kind = "error", status = 401, code = "InvalidAccessKeyId", message = "busy at /srv" }
    status, body, headers = get("/")
    assert.equal(502, status)
    assert.matches(('<p id="error">The log service is unavailable (error <code>SLSError</code>, '
                    .. 'request <code>%s</code>)</p>'):format(headers["x-request-id"]), body, 1, true)
    assert.not_matches("busy", body, 1, true)
  end)

  it("shows no security token an SLS error echoes, in an answer or in error.log", function()
    emu:fault { kind = "echo_token", message = "token expired:" }
    local status, body = get("/embed?project=web&dashboard=overview")
    assert.equal(502, status)
    assert.not_matches("expired", body, 1, true)
    local ticket = mint()
    emu:fault { kind = "echo_token", message = "token expired:" }
    status, body = refresh(cjson.encode { ticket = ticket })
    assert.equal(502, status)
    assert.equal("SLSError", cjson.decode(body).error)
    local log = portal:error_log()
    assert.matches("RefreshToken: Unauthorized: token expired:", log, 1, true)
    H.assert_no_secret(body, log)
  end)

  it("mints 50 concurrent links on one worker while SLS takes 200 ms each", function()
    emu:config { delay = 0.2 }
    local t0 = H.now()
    local out = H.run(("seq 50 | xargs -P 50 -I{} curl -s -u c{}:pw-c{} -o /dev/null -w '%%{http_code}\\n' '%s'")
      :format(portal.url .. "/embed?project=web&dashboard=overview"))
    local secs = H.now() - t0
    local ok = select(2, out:gsub("200", ""))
    assert.equal(50, ok, out)
    assert.equal(50, emu:requests())
    -- A blocking transport needs 50 x 0.2 s = 10 s here.
    print(("\n   50 concurrent /embed, SLS at 200 ms: %.2f s"):format(secs))
    assert.is_true(secs < 3, "took " .. secs .. " s")
  end)

  it("signs in from headless Chromium, which opens the console and exchanges a token", function()
    local shots = H.root .. "/build/screenshots"
    os.execute("mkdir -p " .. shots)
    local png = shots .. "/portal.png"
    os.remove(png)
    local profile = H.tmpdir()
    -- Basic credentials in the URL: Chromium signs in with them and keeps
    -- them for the page's own requests (portal.js, /sls/refresh).
    local out, rc = H.run(("timeout 90 chromium --headless --no-sandbox --disable-gpu "
      .. "--disable-dev-shm-usage --hide-scrollbars --no-first-run --user-data-dir=%s "
      .. "--window-size=1200,800 --virtual-time-budget=10000 --screenshot=%s '%s/' 2>&1")
      :format(profile, png, portal.url:gsub("^http://", "http://alice:pw-alice@")))
    os.execute("rm -rf " .. profile)
    assert.equal(0, rc, out)
    assert.truthy(io.open(png), "no screenshot written")
    local stats = emu:stats()
    -- The console stand-in was loaded as an iframe, for the right page ...
    assert.equal(1, #stats.console)
    assert.same({ path = "/lognext/project/web/dashboard/overview", ok = true, dest = "iframe" },
                { path = stats.console[1].path, ok = stats.console[1].ok, dest = stats.console[1].dest })
    -- ... asked its parent for a token, and got one SLS issued for its ticket,
    -- through a /sls/refresh that alice's sign-in and the origin check let by.
    assert.equal(1, #stats.applied)
    assert.is_true(stats.applied[1].ok)
    assert.equal(portal.url, stats.applied[1].origin)
    local access = H.read_file(portal.dir .. "/logs/access.log")
    assert.matches('- alice %[[^]]+%] "POST /sls/refresh HTTP/1.1" 200', access)
  end)
end)

describe("example portal without SLS credentials #nginx", function()
  local emu, portal, home

  setup(function()
    -- nginx.conf passes HOME on (env HOME;): an empty one, so no file of
    -- this machine's is read.
    home = H.tmpdir()
    emu, portal = start { PORTAL_USERS = "alice:pw-alice", ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true",
                          HOME = home }
  end)
  teardown(function()
    stop(emu, portal)
    os.execute("rm -rf " .. home)
  end)

  it("shows the browser a code and a request id, and error.log the credential chain", function()
    local auth = { authorization = basic("alice") }
    local status, body, headers = H.http("GET", portal.url .. "/embed?project=web&dashboard=overview",
                                         nil, auth)
    assert.equal(503, status)
    local id = assert_refusal("NotConfigured", body, headers)
    local page_status, page, page_headers = H.http("GET", portal.url .. "/", nil, auth)
    assert.equal(503, page_status)
    assert.matches("(error <code>NotConfigured</code>, request <code>"
                   .. page_headers["x-request-id"] .. "</code>)", page, 1, true)
    for _, text in ipairs { body, page } do
      for _, word in ipairs { "HOME", "ALIBABA", "ECS", "environment", "credentials" } do
        assert.not_matches(word, text, 1, true)
      end
    end
    local log = portal:error_log()
    local line = log:match("[^\n]*" .. id .. "[^\n]*")
    assert.matches("CreateTicket: NoCredentials: no credentials: tried environment", line, 1, true)
    assert.matches("no file " .. home .. "/.aliyun/config.json", line, 1, true)
    assert.matches("no file " .. home .. "/.alibabacloud/credentials", line, 1, true)
    H.assert_no_secret(body, page, log)
    assert.equal(0, emu:requests())
  end)
end)

describe("example portal with a bad setting in configure{} #nginx", function()
  local limits = require("sls")._limits
  for _, case in ipairs {
    { 'region = "cn-hangzhou"', ('region = "%s"'):format(("r"):rep(64)),
      "sls.embed_url: option 'region'" },
    { "expiration_time = 3600,", ("expiration_time = %d,"):format(limits.expiration_max + 1),
      ("'expiration_time' must be a whole number from 1 to %d"):format(limits.expiration_max) },
    { "access_token_expiration_time = 600,", "access_token_expiration_time = 7200,",
      "'access_token_expiration_time' must not exceed 'expiration_time'" },
  } do
    it("answers 503 NotConfigured before any call: " .. case[2], function()
      local dir = H.tmpdir()
      local conf = H.read_file(H.root .. "/examples/nginx/nginx.conf")
      local n
      conf, n = conf:gsub(pattern(case[1]), (case[2]:gsub("%%", "%%%%")))
      assert.equal(1, n)
      local f = assert(io.open(dir .. "/nginx.conf", "wb"))
      f:write(conf)
      f:close()
      local emu = H.start_emulator()
      local ok, portal = pcall(H.start_nginx, { conf = dir .. "/nginx.conf",
        env = { SLS_ENDPOINT = emu.url, SLS_CONSOLE = emu.url, PORTAL_USERS = "alice:pw-alice",
                ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
                ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret } })
      os.execute("rm -rf " .. dir)
      if not ok then emu:stop() error(portal) end
      local status, body, headers = H.http("GET", portal.url .. "/embed?project=web&dashboard=overview",
                                           nil, { authorization = basic("alice") })
      assert.equal(503, status)
      assert_refusal("NotConfigured", body, headers)
      assert.equal(503, (H.http("GET", portal.url .. "/", nil, { authorization = basic("alice") })))
      assert.equal(0, emu:requests())
      local log = portal:error_log()
      stop(emu, portal)
      assert.matches("portal: not ready, answering 503 but for /healthz: ", log, 1, true)
      assert.matches(case[3], log, 1, true)
    end)
  end
end)

describe("example portal without PORTAL_USERS #nginx", function()
  local emu, portal

  setup(function()
    emu, portal = start { PORTAL_USERS = "", ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
                          ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret }
  end)
  teardown(function() stop(emu, portal) end)

  it("answers 503 everywhere but /healthz and mints nothing", function()
    for _, path in ipairs { "/", "/embed?project=web&dashboard=overview", "/portal.js", "/sls/refresh" } do
      for _, auth in ipairs { false, basic("alice"), "Basic " .. mime.b64(":") } do
        local status, body, headers = H.http("GET", portal.url .. path, nil,
                                             auth and { authorization = auth } or nil)
        assert.equal(503, status, path)
        assert.is_nil(headers["www-authenticate"])
        assert_refusal("NotConfigured", body, headers)
      end
    end
    assert.equal(200, (H.http("GET", portal.url .. "/healthz")))
    assert.equal(0, emu:requests())
    assert.matches("portal: not ready, answering 503 but for /healthz: PORTAL_USERS is not set",
                   portal:error_log(), 1, true)
  end)
end)

describe("examples/nginx/run.sh from a checkout under a 0700 directory #nginx", function()
  local emu, home, root, port, pid, prefix

  setup(function()
    emu = H.start_emulator()
    -- A home nginx's workers (nobody) may not enter, with the checkout in it.
    home = H.tmpdir() .. "/home"
    root = home .. "/lua-sls"
    assert(os.execute(("mkdir -m 0700 %s && mkdir -p %s/build %s/tools && cd %s && "
      .. "cp -a Makefile lua-sls-*.rockspec src lua examples %s/ && cp -a tools/sources.sh %s/tools/ "
      .. "&& cp -a build/5.1 %s/build/"):format(home, root, root, H.root, root, root, root)))
    port = H.free_port()
    prefix = "/tmp/lua-sls-portal." .. H.run("id -u"):match("%d+") .. "." .. port
    -- As a user starts it: no RUN_DIR.
    pid = H.run(("env -u RUN_DIR -u LD_PRELOAD -u ALIBABA_CLOUD_SECURITY_TOKEN PORT=%d SLS_ENDPOINT=%s "
      .. "SLS_CONSOLE=%s PORTAL_USERS=alice:pw-alice PORTAL_MINT_RATE=60 PORTAL_MINT_BURST=2 "
      .. "ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s "
      .. "%s/examples/nginx/run.sh >%s/run.log 2>&1 & echo $!")
      :format(port, emu.url, emu.url, H.KEY.access_key_id, H.KEY.access_key_secret, root, home))
      :match("%d+")
    local deadline = H.now() + 30
    while H.now() < deadline and H.http("GET", "http://127.0.0.1:" .. port .. "/healthz") ~= 200 do
      H.sleep(0.1)
    end
  end)
  teardown(function()
    if pid then
      os.execute("kill " .. pid .. " 2>/dev/null")
      for _ = 1, 100 do
        if select(2, H.run("kill -0 " .. pid .. " 2>/dev/null")) ~= 0 then break end
        H.sleep(0.05)
      end
    end
    if emu then emu:stop() end
    os.execute("rm -rf " .. home:match("^(.*)/home$") .. " " .. prefix)
  end)

  local function embed()
    return H.http("GET", "http://127.0.0.1:" .. port .. "/embed?project=web&dashboard=overview",
                  nil, { authorization = basic("alice") })
  end

  it("serves the portal from a prefix the workers can read", function()
    local status, body = embed()
    assert.equal(200, status, body .. H.read_file(home .. "/run.log"))
    assert.matches("/lognext/project/web/dashboard/overview?", cjson.decode(body).url, 1, true)
    assert.equal("755", (H.run("stat -c %a " .. prefix):match("%d+")))
  end)

  it("takes the rate limit from PORTAL_MINT_RATE and PORTAL_MINT_BURST", function()
    emu:reset()
    H.sleep(1.1)                -- the first test's link is back in the bucket
    assert.equal(200, (embed()))
    assert.equal(200, (embed()))
    local status, _, headers = embed()
    assert.equal(429, status)
    assert.equal("1", headers["retry-after"])             -- 60 a minute: one a second
    assert.equal(2, emu:requests())
  end)
end)

describe("example portal under password guessing #nginx", function()
  local emu, portal
  setup(function()
    emu, portal = start { PORTAL_USERS = "alice:pw-alice", PORTAL_SIGNIN_BURST = "3",
                          PORTAL_SIGNIN_RATE = "1",
                          ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
                          ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret }
  end)
  teardown(function()
    if portal then portal:stop() end
    if emu then emu:stop() end
  end)

  -- curl from a loopback address of its own (127.0.0.x are all this host's).
  local function get(from, user)
    local out = H.run(("curl -s -o /dev/null -D - --interface %s -u '%s' '%s/embed?project=web&dashboard=overview'")
      :format(from, user, portal.url))
    return tonumber(out:match("^HTTP/%S+ (%d+)")), out:match("[Rr]etry%-[Aa]fter: (%d+)")
  end

  it("stops checking an address's passwords after a burst of failures, and no other's", function()
    for i = 1, 3 do assert.equal(401, (get("127.0.0.5", "alice:guess" .. i)), "guess " .. i) end
    local status, retry = get("127.0.0.5", "alice:pw-alice")   -- right, but not checked now
    assert.equal(429, status)
    assert.truthy(tonumber(retry) >= 1)
    assert.equal(200, (get("127.0.0.6", "alice:pw-alice")))    -- another address signs in
    assert.equal(1, emu:requests())
  end)
end)
