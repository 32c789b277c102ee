-- lua-sls inside Debian's nginx with its Lua module: the cosocket transport
-- (spec/nginx/harness.conf runs the Lua each case sends) and the example
-- portal (examples/nginx), both against the emulator on loopback.
local H = require "spec.helpers"
local cjson = require "cjson.safe"

local unpack = table.unpack or unpack
local emu, ngx_srv

-- Runs code in a content handler of the harness; returns what it returned.
local function run(code, srv)
  local status, body = H.http("POST", (srv or ngx_srv).url .. "/run", code)
  assert(status == 200, "harness answered " .. tostring(status) .. ": " .. tostring(body))
  local out = assert(cjson.decode(body), body)
  for i = 1, #out do if out[i] == cjson.null then out[i] = nil end end
  assert(out[1] == true, "the chunk raised: " .. tostring(out[2]))
  return unpack(out, 2, #out)
end

-- Lua source for a client of the emulator, with extra options.
local function client_src(extra)
  return ([[sls.new{ endpoint = %q, access_key_id = %q, access_key_secret = %q,
    security_token = %q, max_attempts = 1, timeout = 1000 %s }]])
    :format(emu.url, H.STS.access_key_id, H.STS.access_key_secret, H.STS.security_token,
            extra and (", " .. extra) or "")
end

describe("nginx #nginx", function()
  setup(function()
    emu = H.start_emulator()
    ngx_srv = H.start_nginx {
      conf = H.root .. "/spec/nginx/harness.conf",
      env = { SLS_ENDPOINT = emu.url, ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
              ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret },
    }
  end)
  teardown(function()
    local log = ngx_srv and ngx_srv:error_log() or ""
    if ngx_srv then ngx_srv:stop() end
    if emu then emu:stop() end
    H.assert_no_secret(log)
  end)
  before_each(function() emu:reset() end)

  it("mints in a content handler over one kept-alive cosocket", function()
    local a, b = run("local c = " .. client_src() .. [[
      local r1, e1 = c:create_ticket{ expiration_time = 600 }
      local r2, e2 = c:create_ticket()
      return r1 and r1.ticket, r2 and r2.ticket, e1, e2]])
    assert.truthy(a)
    assert.truthy(b)
    local log = emu:stats().log
    assert.equal(2, #log)
    assert.equal("600", log[1].query.expirationTime)
    assert.equal(log[1].peer_port, log[2].peer_port)
    assert.matches("^lua%-sls/", log[1].user_agent)
  end)

  it("resends once on a new connection when a kept-alive one was closed", function()
    emu:fault({ kind = "delay", seconds = 0 }, { kind = "drop" })
    local a, b, detail = run("local c = " .. client_src() .. [[
      local r1 = c:create_ticket()
      local r2, _, detail = c:create_ticket()
      return r1 ~= nil, r2 ~= nil, detail]])
    assert.is_true(a)
    assert.is_true(b, detail and detail.code)
    local log = emu:stats().log
    assert.equal(3, #log)
    assert.equal(log[1].peer_port, log[2].peer_port)
    assert.are_not.equal(log[2].peer_port, log[3].peer_port)
  end)

  it("refreshes an access token over a cosocket", function()
    local token, err = run("local c = " .. client_src() .. [[
      local t = c:create_ticket()
      local r, err = c:refresh_token{ ticket = t.ticket, access_token_expiration_time = 60 }
      return r and r.access_token, err]])
    assert.is_nil(err)
    assert.truthy(token)
  end)

  it("fetches credentials over cosockets too: the URI once, STS for role_arn", function()
    local ok1, ok2, ok3 = run(([[
      local c = sls.new{ endpoint = %q, max_attempts = 1,
        credentials = require("sls.credentials").uri{ url = %q } }
      local a, b = c:create_ticket(), c:create_ticket()
      local r = sls.new{ endpoint = %q, sts_endpoint = %q, max_attempts = 1,
        access_key_id = %q, access_key_secret = %q, role_arn = "acs:ram::1:role/sls" }
      return a ~= nil, b ~= nil, r:create_ticket() ~= nil]])
      :format(emu.url, emu.url .. "/credentials-uri", emu.url, emu.url,
              H.KEY.access_key_id, H.KEY.access_key_secret))
    assert.is_true(ok1)
    assert.is_true(ok2)
    assert.is_true(ok3)
    local cred = emu:stats().cred
    assert.equal(1, cred.uri)
    assert.equal(1, cred.sts)
  end)

  it("keeps a credentials service's connection alive between fetches, as the calls' own", function()
    local n = run(([[
      local c = sls.new{ endpoint = %q, max_attempts = 1, credentials = { get = function(_, _, fetch)
        local s1 = fetch{ url = %q }
        local s2, body = fetch{ url = %q }
        assert(s1 == 200 and s2 == 200, "fetch failed: " .. tostring(body))
        local t = require("cjson").decode(body)
        return { access_key_id = t.AccessKeyId, access_key_secret = t.AccessKeySecret,
                 security_token = t.SecurityToken }
      end } }
      local res, err = c:create_ticket()
      return err]]):format(emu.url, emu.url .. "/credentials-uri", emu.url .. "/credentials-uri"))
    assert.is_nil(n)
    local wire = emu:stats().cred.wire
    assert.equal(2, #wire)
    assert.equal(wire[1].peer_port, wire[2].peer_port)
  end)

  it("fetches credentials once for many light threads that need them at once", function()
    local n = run(([[
      local c = sls.new{ endpoint = %q, max_attempts = 1,
        credentials = require("sls.credentials").uri{ url = %q } }
      local threads = {}
      for i = 1, 10 do threads[i] = ngx.thread.spawn(function() return c:create_ticket() end) end
      local n = 0
      for i = 1, 10 do
        local _, r = ngx.thread.wait(threads[i])
        if r then n = n + 1 end
      end
      return n]]):format(emu.url, emu.url .. "/credentials-uri"))
    assert.equal(10, n)
    assert.equal(1, emu:stats().cred.uri)
  end)

  it("leaves nothing behind when a light thread is killed during a credential fetch", function()
    local ok, err, secs, asked = run(([[
      local asked = 0
      local c = sls.new{ endpoint = %q, max_attempts = 1, credentials = { get = function()
        asked = asked + 1
        ngx.sleep(0.3)
        return { access_key_id = %q, access_key_secret = %q }
      end } }
      local t = ngx.thread.spawn(function() return c:create_ticket() end)
      ngx.sleep(0.05)
      assert(ngx.thread.kill(t))
      ngx.update_time()
      local t0 = ngx.now()
      local res, err = c:create_ticket()
      ngx.update_time()
      return res ~= nil, err, ngx.now() - t0, asked]]):format(emu.url, H.KEY.access_key_id,
                                                             H.KEY.access_key_secret))
    assert.is_nil(err)
    assert.is_true(ok)
    assert.is_true(secs < 1, "the next call waited " .. secs .. " s")
    assert.equal(1, asked)              -- the fetch under way was not lost
  end)

  it("recovers from providers that raise in their answer or never return", function()
    local results = { run(([[
      local strict = setmetatable({ access_key_id = %q, access_key_secret = %q },
        { __index = function(_, k) error("strict table: no field " .. k) end })
      local c = sls.new{ endpoint = %q, max_attempts = 1, credentials = { get = function()
        return strict
      end } }
      ngx.update_time()
      local t0 = ngx.now()
      local _, err1 = c:create_ticket()
      local _, err2 = c:create_ticket()
      ngx.update_time()
      return err1, err2, ngx.now() - t0]]):format(H.KEY.access_key_id, H.KEY.access_key_secret,
                                                 emu.url)) }
    assert.matches("^NoCredentials: reading the credentials provider's answer raised: .*strict "
      .. "table: no field security_token", results[1])
    assert.matches("^NoCredentials: ", results[2])
    assert.is_true(results[3] < 1, "took " .. results[3] .. " s")
  end)

  it("returns NoCredentials, over cosockets too, when reading the provider's get raises", function()
    local err, code = run(([[
      local c = sls.new{ endpoint = %q, max_attempts = 1, credentials = { get = function() end } }
      -- The provider checked at sls.new is swapped for one whose get raises.
      rawset(sls._provider(c), "get", nil)
      setmetatable(sls._provider(c), { __index = function(_, k) error("no field " .. k) end })
      local _, err, detail = c:create_ticket()
      return err, detail and detail.code]]):format(emu.url))
    assert.equal("NoCredentials", code)
    assert.matches("the credentials provider raised: .*no field get", err)
  end)

  it("returns ClientClosed from a call whose client is closed while it waits", function()
    emu:fault({ kind = "delay", seconds = 0.4 })
    local ok, err, code, other = run("local c = " .. client_src() .. [[
      local t = ngx.thread.spawn(function() return c:create_ticket() end)
      ngx.sleep(0.1)
      c:close()
      local ok, res, err, detail = ngx.thread.wait(t)
      local other = ]] .. client_src() .. [[:create_ticket()
      return ok and res == nil, err, detail and detail.code, other ~= nil]])
    assert.is_true(ok)
    assert.matches("^ClientClosed: ", err)
    assert.equal("ClientClosed", code)
    assert.is_true(other)               -- other clients go on
  end)

  it("refuses to block init_worker_by_lua, unless the client asked for libcurl", function()
    assert.matches("sls: cannot call SLS in nginx's init_worker phase without blocking the "
      .. "worker", run("return init_worker_refused"), 1, true)
    assert.same({ ok = true }, run("return init_worker_result"))
    local log = ngx_srv:error_log()
    local _, warnings = log:gsub("blocks this worker in nginx's init_worker phase", "")
    assert.equal(1, warnings)          -- two blocking calls, one line
  end)

  it("sends sls.create_ticket from the default client over a cosocket", function()
    -- The default client is built from the environment (env lines in
    -- nginx.conf) and talks to the default endpoint; a resolver-less nginx
    -- cannot resolve it, and only a cosocket says so in these words.
    local err, detail = run([[
      local _, err, detail = sls.create_ticket{ expiration_time = 60 }
      return err, detail]])
    assert.equal("ResolveFailed", detail.code)
    assert.matches("no resolver defined", err, 1, true)
  end)

  it("raises on bad options and sends nothing", function()
    local ok, msg = run("return pcall(function() local c = " .. client_src()
      .. " return c:create_ticket{ expiration_time = 0 } end)")
    assert.is_false(ok)
    assert.matches("create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got 0)",
                   msg, 1, true)
    assert.equal(0, emu:requests())
  end)

  it("leaves a client with a proxy to libcurl, and refuses a proxy with transport \"ngx\"", function()
    -- The proxy port is closed: only libcurl, which honours it, fails.
    local code, ok, msg = run(([[
      local c = sls.new{ endpoint = %q, access_key_id = "k", access_key_secret = "s",
                         max_attempts = 1, proxy = "http://127.0.0.1:%d" }
      local ok, msg = pcall(sls.new, { endpoint = %q, transport = "ngx", proxy = "http://127.0.0.1:1" })
      return select(3, c:create_ticket()).code, ok, msg]]):format(emu.url, H.free_port(), emu.url))
    assert.equal("ConnectFailed", code)
    assert.is_false(ok)
    assert.matches("sls.new: option 'proxy' works only with transport \"curl\" (got transport \"ngx\")",
                   msg, 1, true)
    assert.equal(0, emu:requests())
  end)

  for _, case in ipairs(H.FAULTS) do
    it("over cosockets, " .. case[1] .. " gives " .. case[3], function()
      emu:fault(case[2])
      local secs, err, detail, after = run("local c = " .. client_src() .. [[
        local t0 = ngx.now()
        local _, err, detail = c:create_ticket()
        ngx.update_time()
        local secs = ngx.now() - t0
        local again = c:create_ticket()          -- the same client recovers
        return secs, err, detail, again and again.ticket]])
      H.assert_fault(case, secs, err, detail)
      assert.truthy(after)
    end)
  end

  for _, case in ipairs(H.ODD_ANSWERS) do
    it("over cosockets, mints through " .. case[1], function()
      emu:fault(case[2])
      local ticket, err = run("local c = " .. client_src() .. [[
        local res, err = c:create_ticket()
        return res and res.ticket, err]])
      assert.is_nil(err)
      assert.truthy(ticket)
    end)
  end

  it("reads an endless header line with a bounded worker (peak RSS + < 64 MB)", function()
    emu:fault({ kind = "endless_header", seconds = 4 })
    local grew, err = run("local c = " .. client_src() .. [[
      local function peak()
        local f = io.open("/proc/self/status")
        local kb = tonumber(f:read("*a"):match("VmHWM:%s*(%d+)"))
        f:close()
        return kb
      end
      local before = peak()
      local _, err = c:create_ticket()
      return (peak() - before) / 1024, err]])
    assert.matches("^ResponseTooLarge: a header line over 16 KiB", err)
    assert.is_true(grew < 64, "the worker's peak RSS grew by " .. grew .. " MB")
  end)

  it("retries with ngx.sleep and reports the attempts", function()
    emu:fault({ kind = "error", status = 503, code = "ServerBusy" }, { kind = "drop" })
    local ticket, err = run("local c = " .. client_src("max_attempts = 3") .. [[
      local r, err = c:create_ticket()
      return r and r.ticket, err]])
    assert.is_nil(err)
    assert.truthy(ticket)
    assert.equal(3, emu:requests())
  end)

  it("learns the server's clock from RequestTimeExpired", function()
    emu:config { clock_offset = 3600 }
    local ok1, ok2 = run("local c = " .. client_src("max_attempts = 2") .. [[
      local a = c:create_ticket()
      local b = c:create_ticket()
      return a ~= nil, b ~= nil]])
    assert.is_true(ok1)
    assert.is_true(ok2)
    assert.equal(3, emu:requests())     -- one rejected, then two accepted
  end)

  it("gives ConnectFailed for a refused port and ResolveFailed for a bad name", function()
    local d1, d2 = run(([[
      local a = sls.new{ endpoint = "http://127.0.0.1:%d", access_key_id = "k",
                         access_key_secret = "s", max_attempts = 1 }
      local b = sls.new{ endpoint = "http://no-such-host.invalid", access_key_id = "k",
                         access_key_secret = "s", max_attempts = 1 }
      return select(3, a:create_ticket()), select(3, b:create_ticket())]]):format(H.free_port()))
    assert.equal("ConnectFailed", d1.code)
    assert.equal("ResolveFailed", d2.code)
  end)

  it("does not block the worker: concurrent light threads overlap", function()
    emu:config { delay = 0.3 }
    local secs, n = run("local c = " .. client_src("timeout = 5000") .. [[
      local t0 = ngx.now()
      local threads = {}
      for i = 1, 10 do
        threads[i] = ngx.thread.spawn(function() return c:create_ticket() end)
      end
      local n = 0
      for i = 1, 10 do
        local ok, r = ngx.thread.wait(threads[i])
        if ok and r and r.ticket then n = n + 1 end
      end
      ngx.update_time()
      return ngx.now() - t0, n]])
    assert.equal(10, n)
    assert.is_true(secs < 1.5, "10 mints at 0.3 s each took " .. secs .. " s")
  end)

  it("does not block the worker in ngx.timer callbacks either", function()
    emu:config { delay = 0.3 }
    local secs, n = run("local c = " .. client_src("timeout = 5000") .. [[
      local sema = require("ngx.semaphore").new()
      local n = 0
      local t0 = ngx.now()
      for _ = 1, 5 do
        ngx.timer.at(0, function()
          local r = c:create_ticket()
          if r then n = n + 1 end
          sema:post(1)
        end)
      end
      for _ = 1, 5 do sema:wait(5) end
      ngx.update_time()
      return ngx.now() - t0, n]])
    assert.equal(5, n)
    assert.is_true(secs < 1.2, "5 mints at 0.3 s each took " .. secs .. " s")
  end)

  it("blocks with transport = \"curl\", which is why it is not the default", function()
    emu:config { delay = 0.3 }
    local secs, n = run("local c = " .. client_src("timeout = 5000, transport = 'curl'") .. [[
      local t0 = ngx.now()
      local threads = {}
      for i = 1, 4 do
        threads[i] = ngx.thread.spawn(function() return c:create_ticket() end)
      end
      local n = 0
      for i = 1, 4 do
        local ok, r = ngx.thread.wait(threads[i])
        if ok and r then n = n + 1 end
      end
      ngx.update_time()
      return ngx.now() - t0, n]])
    assert.equal(4, n)
    assert.is_true(secs >= 1.1, "4 blocking mints at 0.3 s each took " .. secs .. " s")
  end)
end)

describe("nginx over TLS #nginx", function()
  local dir, tls_srv, wrong, other, srv

  setup(function()
    dir = H.tmpdir()
    H.make_certs(dir)
    tls_srv = H.start_emulator(("--tls-cert %s/srv.pem --tls-key %s/srv.key"):format(dir, dir))
    wrong = H.start_emulator(("--tls-cert %s/wrong.pem --tls-key %s/wrong.key"):format(dir, dir))
    other = H.start_emulator(("--tls-cert %s/other.pem --tls-key %s/other.key"):format(dir, dir))
    srv = H.start_nginx { conf = H.root .. "/spec/nginx/harness.conf", ca_file = dir .. "/ca.pem" }
  end)
  teardown(function()
    for _, s in ipairs { srv, tls_srv, wrong, other } do s:stop() end
    os.execute("rm -rf " .. dir)
  end)

  local function mint(port, extra)
    return run(([[
      local c = sls.new{ endpoint = "https://127.0.0.1:%d", access_key_id = %q,
                         access_key_secret = %q, max_attempts = 1 %s }
      local r, err, detail = c:create_ticket()
      local r2 = c:create_ticket()
      return r and r.ticket, detail and detail.code, r2 ~= nil]])
      :format(port, H.KEY.access_key_id, H.KEY.access_key_secret, extra or ""), srv)
  end

  it("verifies the server against lua_ssl_trusted_certificate and keeps the connection", function()
    local ticket, code, again = mint(tls_srv.port)
    assert.is_nil(code)
    assert.truthy(ticket)
    assert.is_true(again)
    local log = tls_srv:stats().log
    assert.equal(log[1].peer_port, log[2].peer_port)
  end)

  it("rejects a certificate for another host name with TLSError", function()
    local ticket, code = mint(wrong.port)
    assert.is_nil(ticket)
    assert.equal("TLSError", code)
  end)

  it("rejects an untrusted certificate with TLSError", function()
    local ticket, code = mint(other.port)
    assert.is_nil(ticket)
    assert.equal("TLSError", code)
  end)

  it("skips verification only when ssl_verify = false is written", function()
    local ticket = mint(other.port, ", ssl_verify = false")
    assert.truthy(ticket)
  end)
end)
