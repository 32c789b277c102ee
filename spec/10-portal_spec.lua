-- The example portal (examples/nginx) in Debian's nginx, pointed at the
-- emulator: its pages, the refresh exchange, failures, concurrency, and a
-- headless Chromium loading the portal with the console in an iframe.
local H = require "spec.helpers"
local cjson = require "cjson.safe"

local emu, portal

local function get(path)
  return H.http("GET", portal.url .. path)
end

-- Opens a link in the emulator's console stand-in: status and page.
local function open_link(url)
  return H.http("GET", url)
end

describe("example portal #nginx", function()
  setup(function()
    emu = H.start_emulator()
    portal = H.start_nginx {
      env = { SLS_ENDPOINT = emu.url, SLS_CONSOLE = emu.url,
              ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
              ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret },
    }
  end)
  teardown(function()
    local log = portal and portal:error_log() or ""
    if portal then portal:stop() end
    if emu then emu:stop() end
    H.assert_no_secret(log)
  end)
  before_each(function() emu:reset() end)

  it("answers /embed with a link that opens the dashboard once", function()
    local status, body, headers = get("/embed?project=web&dashboard=overview")
    assert.equal(200, status)
    assert.equal("no-store", headers["cache-control"])
    local t = cjson.decode(body)
    assert.matches("^" .. emu.url:gsub("%p", "%%%0") .. "/lognext/project/web/dashboard/overview%?", t.url)
    assert.matches("supportRefreshToken=true", t.url, 1, true)
    assert.is_true(t.expires_at > os.time())
    local s1, page = open_link(t.url)
    assert.equal(200, s1)
    assert.matches("data-kind='dashboard' data-name='overview'", page, 1, true)
    assert.equal(403, (open_link(t.url)))           -- a ticket opens once
    H.assert_no_secret(body)
  end)

  it("redirects to the link with ?redirect=1", function()
    local status, _, headers = get("/embed?project=web&logstore=access&redirect=1")
    assert.equal(302, status)
    assert.matches("/lognext/project/web/logsearch/access%?", headers.location)
  end)

  for _, case in ipairs {
    { "/embed?project=web&dashboard=secret", "this portal does not embed that page" },
    { "/embed?project=other&dashboard=overview", "this portal does not embed that page" },
    { "/embed?project=web", "give one of dashboard, logstore or savedsearch" },
    { "/embed?project=web&dashboard=overview&logstore=access", "give one of dashboard, logstore or savedsearch" },
    { "/embed?dashboard=overview", "give one project" },
  } do
    it("refuses " .. case[1] .. " without minting", function()
      local status, body = get(case[1])
      assert.equal(403, status)
      assert.same({ error = "Forbidden", message = case[2] }, cjson.decode(body))
      assert.equal(0, emu:requests())
    end)
  end

  it("serves the portal page with the link in an iframe", function()
    local status, body = get("/")
    assert.equal(200, status)
    local src = body:match('<iframe id="sls" src="([^"]+)"')
    assert.truthy(src)
    assert.matches('data%-origin="' .. emu.url:gsub("%p", "%%%0") .. '"', body)
    assert.matches('<script src="/portal.js">', body, 1, true)
    local s, page = open_link((src:gsub("&amp;", "&")))
    assert.equal(200, s)
    assert.matches("dashboard: overview", page, 1, true)
  end)

  it("serves /sls/refresh for the iframe's refreshToken message", function()
    local t = cjson.decode((select(2, get("/embed?project=web&dashboard=overview"))))
    local ticket = t.url:match("sls_ticket=([^&]+)")
    local status, body = H.http("POST", portal.url .. "/sls/refresh",
                                cjson.encode { ticket = ticket }, { ["content-type"] = "application/json" })
    assert.equal(200, status)
    assert.truthy(cjson.decode(body).accessToken)
    local log = emu:stats().log
    assert.equal("/token/refresh", log[#log].path)
    assert.equal("600", log[#log].query.accessTokenExpirationTime)
  end)

  it("rejects a refresh that is not a POST of a ticket", function()
    assert.equal(405, (H.http("GET", portal.url .. "/sls/refresh")))
    assert.equal(400, (H.http("POST", portal.url .. "/sls/refresh", "{}")))
    assert.equal(400, (H.http("POST", portal.url .. "/sls/refresh", "not json")))
    assert.equal(400, (H.http("POST", portal.url .. "/sls/refresh", cjson.encode { ticket = "a\nb" })))
    assert.equal(0, emu:requests())
  end)

  it("answers 502 with the SLS error for a ticket SLS refuses", function()
    local status, body = H.http("POST", portal.url .. "/sls/refresh", cjson.encode { ticket = "expired" })
    assert.equal(502, status)
    assert.equal("ParameterInvalid", cjson.decode(body).error)
  end)

  it("turns an SLS error into a 502 with a JSON error and no secret", function()
    emu:fault { kind = "error", status = 401, code = "Unauthorized", message = "denied" }
    local status, body = get("/embed?project=web&dashboard=overview")
    assert.equal(502, status)
    local t = cjson.decode(body)
    assert.equal("Unauthorized", t.error)
    assert.matches("^Unauthorized: denied %(HTTP 401, request id %x+%)$", t.message)
    H.assert_no_secret(body, portal:error_log())
    assert.matches("sls: Unauthorized: denied", portal:error_log(), 1, true)
  end)

  it("mints 50 concurrent links on one worker while SLS takes 200 ms each", function()
    emu:config { delay = 0.2 }
    local t0 = H.now()
    local out = H.run(("seq 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%%{http_code}\\n' '%s'")
      :format(portal.url .. "/embed?project=web&dashboard=overview"))
    local secs = H.now() - t0
    local ok = select(2, out:gsub("200", ""))
    assert.equal(50, ok, out)
    assert.equal(50, emu:requests())
    -- A blocking transport needs 50 x 0.2 s = 10 s here.
    print(("\n   50 concurrent /embed, SLS at 200 ms: %.2f s"):format(secs))
    assert.is_true(secs < 3, "took " .. secs .. " s")
  end)

  it("loads in headless Chromium, which opens the console and exchanges a token", function()
    local shots = H.root .. "/build/screenshots"
    os.execute("mkdir -p " .. shots)
    local png = shots .. "/portal.png"
    os.remove(png)
    local profile = H.tmpdir()
    local out, rc = H.run(("timeout 90 chromium --headless --no-sandbox --disable-gpu "
      .. "--disable-dev-shm-usage --hide-scrollbars --no-first-run --user-data-dir=%s "
      .. "--window-size=1200,800 --virtual-time-budget=10000 --screenshot=%s '%s/' 2>&1")
      :format(profile, png, portal.url))
    os.execute("rm -rf " .. profile)
    assert.equal(0, rc, out)
    assert.truthy(io.open(png), "no screenshot written")
    local stats = emu:stats()
    -- The console stand-in was loaded as an iframe, for the right page ...
    assert.equal(1, #stats.console)
    assert.same({ path = "/lognext/project/web/dashboard/overview", ok = true, dest = "iframe" },
                { path = stats.console[1].path, ok = stats.console[1].ok, dest = stats.console[1].dest })
    -- ... asked its parent for a token, and got one SLS issued for its ticket.
    assert.equal(1, #stats.applied)
    assert.is_true(stats.applied[1].ok)
    assert.equal(portal.url, stats.applied[1].origin)
  end)
end)
