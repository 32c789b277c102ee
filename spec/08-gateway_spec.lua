-- Requests sent over the wire verify with the official SLS gateway code
-- (tools/gateway-verify: @alicloud/gateway-sls recomputes each signature).
local H = require "spec.helpers"
local sls = require "sls"
local http = require "socket.http"

local dir, port, pid

describe("the official gateway code", function()
  setup(function()
    dir = H.tmpdir()
    os.execute(("node %s/tools/gateway-verify/server.js %s/port >%s/log 2>&1 & echo $! >%s/pid")
      :format(H.root, dir, dir, dir))
    for _ = 1, 200 do
      local f = io.open(dir .. "/port")
      if f then port = tonumber(f:read("*a")); f:close() end
      if port then break end
      H.sleep(0.05)
    end
    assert(port, "the gateway verifier did not start")
    pid = H.read_file(dir .. "/pid"):match("%d+")
  end)
  teardown(function()
    os.execute("kill " .. pid)
    os.execute("rm -rf " .. dir)
  end)

  local function verified()
    return tonumber(http.request("http://127.0.0.1:" .. port .. "/_verified"):match("%d+"))
  end

  for _, case in ipairs {
    { "v1", H.KEY },
    { "v4", H.merge(H.KEY, { signature_version = "v4", region = "cn-shanghai" }) },
    { "v1 + STS", H.STS },
    { "v4 + STS", H.merge(H.STS, { signature_version = "v4", region = "ap-southeast-1" }) },
  } do
    it("accepts create_ticket and refresh_token signed with " .. case[1], function()
      local before = verified()
      local c = sls.new(H.merge(case[2], { endpoint = "http://127.0.0.1:" .. port, max_attempts = 1 }))
      local res, err = c:create_ticket { expiration_time = 3600, access_token_expiration_time = 600 }
      assert.is_nil(err)
      assert.equal("verified.by.gateway", res.ticket)
      res, err = c:refresh_token { ticket = "eyJ.a+b/c=.x~y", access_token_expiration_time = 60 }
      assert.is_nil(err)
      assert.equal("verified.by.gateway", res.access_token)
      assert.equal(before + 2, verified())
    end)
  end

  it("rejects a request signed with another secret", function()
    local c = sls.new(H.merge(H.KEY, { access_key_secret = "not-the-secret",
                                       endpoint = "http://127.0.0.1:" .. port, max_attempts = 1 }))
    local _, _, detail = c:create_ticket()
    assert.equal("SignatureNotMatch", detail.code)
  end)
end)
