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
    local mt = getmetatable(sls.new(H.KEY))
    assert.equal("sls.Client", mt.__name)
    assert.same({ "close", "create_ticket", "refresh_token" }, (function()
      local names = {}
      for k in pairs(mt.__index) do names[#names + 1] = k end
      table.sort(names)
      return names
    end)())
  end)
end)
