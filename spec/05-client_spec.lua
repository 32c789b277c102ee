-- A client's life: close, __gc, __close, tostring.
local H = require "spec.helpers"
local sls = require "sls"

describe("client lifecycle", function()
  it("has a version", function()
    assert.equal("lua-sls 0.1.0", sls._VERSION)
  end)

  it("closes idempotently", function()
    local c = sls.new(H.KEY)
    c:close()
    c:close()
    assert.matches("^sls%.Client %(closed%)", tostring(c))
  end)

  it("is collected, and closes its connection with it", function()
    local emu = H.start_emulator()
    local pid = H.read_file("/proc/self/stat"):match("^%d+")
    local function fds()
      return tonumber(H.run("ls /proc/" .. pid .. "/fd | wc -l"):match("%d+"))
    end
    collectgarbage()
    local before = fds()
    local weak = setmetatable({}, { __mode = "k" })
    for _ = 1, 20 do
      local c = emu:client()
      assert(c:create_ticket())        -- each holds a kept-alive socket
      weak[c] = true
    end
    assert.is_true(fds() >= before + 20)
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(weak))
    assert.is_true(fds() <= before + 1, "descriptors left open: " .. fds() - before)
    emu:stop()
  end)

  it("names endpoint, version and a masked key in tostring, never a secret", function()
    local c = sls.new(H.merge(H.STS, { endpoint = "https://ap-southeast-1.log.aliyuncs.com",
                                       signature_version = "v4" }))
    local s = tostring(c)
    assert.matches("^sls%.Client %(https://ap%-southeast%-1%.log%.aliyuncs%.com:443, v4, key STS%.%*%*%*%*%): ", s)
    H.assert_no_secret(s)
  end)

  it("is closed by a to-be-closed variable on Lua 5.4", function()
    if H.lua_tag ~= "5.4" then return pending("to-be-closed variables are Lua 5.4") end
    local f = assert(load([[
      local sls, KEY = ...
      local keep
      do
        local c <close> = sls.new(KEY)
        keep = c
      end
      return tostring(keep)
    ]]))
    assert.matches("^sls%.Client %(closed%)", f(sls, H.KEY))
  end)

  it("has no secret in its metatable or methods", function()
    -- Protected: Lua code cannot reach __gc and free what C still uses.
    assert.is_false(getmetatable(sls.new(H.KEY)))
    local mt = debug.getmetatable(sls.new(H.KEY))
    assert.equal("sls.Client", mt.__name)
    assert.same({ "close", "create_ticket", "refresh_token" }, (function()
      local names = {}
      for k in pairs(mt.__index) do names[#names + 1] = k end
      table.sort(names)
      return names
    end)())
  end)

  describe("against what providers and callers may do", function()
    local emu
    setup(function() emu = H.start_emulator() end)
    teardown(function() emu:stop() end)
    before_each(function() emu:reset() end)

    it("builds sls._prepare's table from its own copy while finalizers close the client", function()
      -- Every push that builds the table may run a finalizer; one that
      -- closes the client frees its request. With the collector running
      -- back to back in big steps, many closes land inside sls._prepare;
      -- under ASan (make test) a read of the freed request fails the run.
      if _VERSION == "Lua 5.1" then return end   -- no __gc on tables
      local pause, stepmul = 200, 100               -- 5.4's defaults
      if _VERSION == "Lua 5.4" then collectgarbage("incremental", 0, 1000)
      else pause, stepmul = collectgarbage("setpause", 0), collectgarbage("setstepmul", 1000) end
      local seen, current = {}, nil
      for _ = 1, 3000 do
        local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
        for _ = 1, 20 do
          setmetatable({}, { __gc = function() if current then current:close() end end })
        end
        current = c
        local ok, r, err = pcall(sls._prepare, c, "create_ticket", { expiration_time = 60 })
        current = nil
        if not ok then
          assert.matches("the client is closed", r)       -- closed before the call
          seen.raised = true
        elseif r then
          assert.matches("^POST /tickets%?expirationTime=60 HTTP/1%.1\r\n", r.raw)
          assert.is_string(r.headers.authorization)
          seen.table = true
        else
          assert.matches("^ClientClosed: ", err)
          seen.closed = true
        end
      end
      if _VERSION == "Lua 5.4" then collectgarbage("incremental", pause, stepmul)
      else collectgarbage("setpause", pause); collectgarbage("setstepmul", stepmul) end
      assert.is_true(seen.table)
    end)

    it("returns ClientClosed when the provider closes its own client", function()
      local c
      c = sls.new { endpoint = emu.url, max_attempts = 1, credentials = { get = function()
        c:close()
        return { access_key_id = H.KEY.access_key_id, access_key_secret = H.KEY.access_key_secret }
      end } }
      local res, err, detail = c:create_ticket()
      assert.is_nil(res)
      assert.matches("^ClientClosed: ", err)
      assert.equal("ClientClosed", detail.code)
      assert.equal(0, emu:requests())
    end)

    it("returns NoCredentials when reading the provider's get raises", function()
      local provider = setmetatable({}, { __index = function(_, k) error("no field " .. k) end })
      local c = sls.new { endpoint = emu.url, max_attempts = 1,
                          credentials = { get = function() end } }
      -- The provider checked at sls.new is swapped for one whose get raises.
      rawset(sls._provider(c), "get", nil)
      setmetatable(sls._provider(c), getmetatable(provider))
      local res, err, detail = c:create_ticket()
      assert.is_nil(res)
      assert.equal("NoCredentials", detail.code)
      assert.matches("the credentials provider raised: .*no field get", err)
      assert.equal(0, emu:requests())
    end)

    for _, exp in ipairs({ math.huge, -math.huge, 1e300, -1, 0 / 0, 2 ^ 63, "soon" }) do
      it("takes an absurd expiration (" .. tostring(exp) .. ") without overflow and keeps working", function()
        local asked = 0
        local c = sls.new { endpoint = emu.url, max_attempts = 1, credentials = { get = function()
          asked = asked + 1
          return { access_key_id = H.STS.access_key_id, access_key_secret = H.STS.access_key_secret,
                   security_token = H.STS.security_token, expiration = exp }
        end } }
        assert.truthy(c:create_ticket())
        assert.truthy(c:create_ticket())
        -- Temporary keys without a usable expiry are asked for again within
        -- the hour, not cached for ever (nor asked for at every call).
        local huge = type(exp) == "number" and exp > 1e9
        assert.equal(1, asked)
        local _, err = sls._prepare(c, "create_ticket", {}, os.time() + 3600)
        assert.is_nil(err)
        assert.equal(huge and 1 or 2, asked)
      end)
    end

    it("refuses to sign at a time no date can be written for", function()
      local c = sls.new(H.KEY)
      for _, now in ipairs({ 1e17, -1, 253402300800, 0 / 0, math.huge, -1e300 }) do
        local req, err, detail = sls._prepare(c, "create_ticket", {}, now)
        assert.is_nil(req)
        assert.equal("BadRequest", detail.code)
        assert.equal("BadRequest: the clock is outside the years 1970 to 9999", err)
      end
    end)
  end)

  describe("the private call object (sls._call), driven wrongly", function()
    it("refuses to go on once the call is over, and has no reachable __gc", function()
      local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9", max_attempts = 1 }))
      local k = sls._call(c, "create_ticket", {})
      assert.is_false(getmetatable(k))
      assert.equal("exchange", (k:next()))
      assert.equal("close", (k:io("connect", nil, "connection refused")))
      local op, res, err, detail = k:next()
      assert.equal("done", op)
      assert.is_nil(res)
      assert.matches("^ConnectFailed: ", err)
      assert.equal("ConnectFailed", detail.code)
      assert.has_error(function() k:next() end, "sls.Call: the call is over")
      assert.has_error(function() k:io("read", "x") end, "sls.Call: the call is over")
    end)
  end)

  -- sls/ngx.lua hands a call that is over back to sls._call, which uses it
  -- again when it can: no userdata, malloc or free per call in nginx.
  describe("a call used again (sls._call's spare)", function()
    local ANSWER = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\nx-log-requestid: R1\r\n\r\n"
      .. '{"ticket":"t"}'

    local function finish_call(k)
      k:next(); k:io("connect", true, nil, 0); k:io("send", true); k:io("read", ANSWER)
      assert.equal("done", (k:next()))
      return k
    end

    local function finish(k)
      assert.equal("exchange", (k:next()))
      assert.equal("send", (k:io("connect", true, nil, 0)))
      assert.equal("read", (k:io("send", true)))
      k:io("read", ANSWER)
      local op, res, err = k:next()
      assert.equal("done", op)
      return res, err
    end

    it("serves the next call, with a request of its own", function()
      local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      local k = sls._call(c, "create_ticket", { expiration_time = 60 })
      local _, raw1 = k:next()
      k:io("connect", true, nil, 0); k:io("send", true); k:io("read", ANSWER)
      local _, res = k:next()
      assert.equal("t", res.ticket)
      local k2 = sls._call(c, "create_ticket", { expiration_time = 120 }, k)
      assert.is_true(rawequal(k, k2))
      local _, raw2 = k2:next()
      assert.matches("expirationTime=60", raw1, 1, true)
      assert.matches("expirationTime=120", raw2, 1, true)
      assert.not_matches("expirationTime=60", raw2, 1, true)
      k2:io("connect", true, nil, 0); k2:io("send", true); k2:io("read", ANSWER)
      assert.equal("t", select(2, k2:next()).ticket)
    end)

    it("serves another client, which it then belongs to", function()
      local a = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      local b = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.2:9", access_key_id = "LTAI5tOtherKeyId" }))
      local k = sls._call(a, "create_ticket", {})
      assert.equal("t", finish(k).ticket)
      local k2 = sls._call(b, "create_ticket", {}, k)
      assert.is_true(rawequal(k, k2))
      local op, raw, host = k2:next()
      assert.equal("exchange", op)
      assert.equal("127.0.0.2", host)
      assert.matches("LOG LTAI5tOtherKeyId:", raw, 1, true)
      a:close()                         -- the first client's end is not the call's
      k2:io("connect", true, nil, 0); k2:io("send", true); k2:io("read", ANSWER)
      assert.equal("t", select(2, k2:next()).ticket)
    end)

    it("is not used again while it runs, nor after it asked for credentials", function()
      local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      local running = sls._call(c, "create_ticket", {})
      assert.equal("exchange", (running:next()))
      local k = sls._call(c, "create_ticket", {}, running)
      assert.is_false(rawequal(k, running))
      -- the running call is untouched and ends as it would have
      running:io("connect", true, nil, 0); running:io("send", true); running:io("read", ANSWER)
      assert.equal("t", select(2, running:next()).ticket)

      -- A provider's answer may still come to a call from a timer: such a
      -- call must never become another client's.
      local p = sls.new(H.merge({ endpoint = "http://127.0.0.1:9" }, {
        credentials = { get = function() return { access_key_id = "LTAI5tProvided", access_key_secret = "s3cret-provided" } end },
      }))
      local asked = sls._call(p, "create_ticket", {})
      local op, provider = asked:next()
      assert.equal("credentials", op)
      asked:credentials(provider:get(os.time()))
      assert.equal("t", finish(asked).ticket)
      local k3 = sls._call(c, "create_ticket", {}, asked)
      assert.is_false(rawequal(k3, asked))
    end)

    it("is not used again for a ticket longer than it has room for", function()
      local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      local k = sls._call(c, "refresh_token", { ticket = "short" })
      k:next(); k:io("connect", true, nil, 0); k:io("send", true)
      k:io("read", ANSWER:gsub('"ticket"', '"accessToken"'))
      assert.equal("done", (k:next()))
      local k2 = sls._call(c, "refresh_token", { ticket = ("x"):rep(100) }, k)
      assert.is_false(rawequal(k, k2))
      local _, raw = k2:next()
      assert.matches("ticket=" .. ("x"):rep(100), raw, 1, true)
      local k3 = sls._call(c, "refresh_token", { ticket = "tiny" }, k)
      assert.is_true(rawequal(k, k3))
      assert.matches("ticket=tiny ", select(2, k3:next()), 1, true)
    end)

    it("takes the first step at once when asked (one crossing fewer)", function()
      local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      local k, op, raw, host, port = sls._call(c, "create_ticket", { expiration_time = 60 }, nil, true)
      assert.equal("exchange", op)
      assert.matches("^POST /tickets%?expirationTime=60 HTTP/1.1\r\n", raw)
      assert.equal("127.0.0.1", host)
      assert.equal(9, port)
      k:io("connect", true, nil, 0); k:io("send", true); k:io("read", ANSWER)
      assert.equal("t", select(2, k:next()).ticket)
    end)

    it("keeps no client alive once it is over", function()
      local seen = setmetatable({}, { __mode = "k" })
      local k
      do
        local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
        seen[c] = true
        k = finish_call(sls._call(c, "create_ticket", {}))
      end
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(seen))          -- the client went, the call stayed
      assert.has_error(function() k:next() end, "sls.Call: the call is over")
      k:credentials(nil, "late")        -- an answer for a gone client: ignored
      local c2 = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      assert.is_true(rawequal(k, sls._call(c2, "create_ticket", {}, k)))
    end)

    it("refuses what is not a call", function()
      local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
      assert.error_matches(function() sls._call(c, "create_ticket", {}, {}) end,
        "bad argument #4 .*%(sls%.Call expected, got table%)")
      assert.error_matches(function() sls._call(c, "create_ticket", {}, c) end,
        "bad argument #4 .*%(sls%.Call expected, got ")
    end)
  end)
end)
