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
end)
