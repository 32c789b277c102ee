-- Minting against the emulator: v1, v4, STS, refresh, the default client,
-- results as SPEC 2.3 describes them.
local H = require "spec.helpers"
local sls = require "sls"

local emu

describe("create_ticket", function()
  setup(function() emu = H.start_emulator() end)
  teardown(function() emu:stop() end)
  before_each(function() emu:reset() end)

  for _, case in ipairs {
    { "v1", {} },
    { "v4", { signature_version = "v4", region = "cn-shanghai" } },
    { "v1 + STS", H.STS },
    { "v4 + STS", H.merge(H.STS, { signature_version = "v4", region = "cn-shanghai" }) },
  } do
    it("mints a ticket signed with " .. case[1], function()
      local client = emu:client(case[2])
      local before = os.time()
      local res, err = client:create_ticket { expiration_time = 3600,
                                              access_token_expiration_time = 600 }
      assert.is_nil(err)
      assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+$", res.ticket)
      assert.equal(res.ticket, res.body.ticket)
      assert.equal(200, res.status)
      assert.matches("^%x+$", res.request_id)
      assert.equal(res.request_id, res.headers["x-log-requestid"])
      assert.equal("application/json", res.headers["content-type"])
      assert.is_true(res.expires_at >= before + 3600 and res.expires_at <= os.time() + 3600)
      assert.equal(res.expires_at - 3600 + 600, res.access_token_expires_at)
      local seen = emu:stats().log[1]
      assert.same({ expirationTime = "3600", accessTokenExpirationTime = "600" }, seen.query)
      assert.is_nil(seen.content_type)         -- nothing unsigned slipped in
      client:close()
    end)
  end

  it("sends no parameter that was left out, and reports the default expiry", function()
    local client = emu:client()
    local t0 = os.time()
    local res = assert(client:create_ticket())
    assert.same({}, emu:stats().log[1].query)
    assert.is_true(res.expires_at - t0 >= 86400 and res.expires_at - t0 <= 86401)
    assert.equal(res.expires_at, res.access_token_expires_at)
    res = assert(client:create_ticket { expiration_time = 60 })
    assert.equal(res.expires_at, res.access_token_expires_at)   -- capped by the ticket
  end)

  it("appends the user_agent option to its own", function()
    assert(emu:client { user_agent = "portal/2" }:create_ticket())
    assert.equal("lua-sls/0.1.0 portal/2", emu:stats().log[1].user_agent)
  end)

  it("reuses one connection across calls (keep-alive)", function()
    local client = emu:client()
    for _ = 1, 5 do assert(client:create_ticket()) end
    local log = emu:stats().log
    assert.equal(5, #log)
    for i = 2, 5 do assert.equal(log[1].peer_port, log[i].peer_port) end
  end)

  it("refreshes an access token for a ticket", function()
    local client = emu:client()
    local t = assert(client:create_ticket { expiration_time = 600 })
    local res, err = client:refresh_token { ticket = t.ticket, access_token_expiration_time = 300 }
    assert.is_nil(err)
    assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+$", res.access_token)
    assert.equal(res.access_token, res.body.accessToken)
    assert.is_nil(res.expires_at)
    assert.is_true(res.access_token_expires_at - os.time() <= 300)
    local seen = emu:stats().log[2]
    assert.equal("/token/refresh", seen.path)
    assert.same({ ticket = t.ticket, accessTokenExpirationTime = "300" }, seen.query)
  end)

  -- Within one second a client signs a request once (sls_memo in src/client.h)
  -- and sends the same bytes again; anything that changes the request
  -- makes it sign anew. Signing is deterministic, so these specs pass with
  -- no memo at all: they are there to fail for a stale one. Its gain is a
  -- figure (luajit bench/mint.lua), not a behaviour.
  describe("the request signed once per second", function()
    it("sends the same bytes within a second, and what each call asks", function()
      local client = emu:client()
      local t = os.time()
      local a = sls._prepare(client, "create_ticket", { expiration_time = 60 }, t)
      local b = sls._prepare(client, "create_ticket", { expiration_time = 60 }, t)
      assert.equal(a.raw, b.raw)
      for _, other in ipairs {
        { { expiration_time = 61 }, t }, { {}, t },
        { { expiration_time = 60, access_token_expiration_time = 60 }, t },
        { { expiration_time = 60 }, t + 1 },
      } do
        local c = sls._prepare(client, "create_ticket", other[1], other[2])
        assert.not_equal(a.raw, c.raw)
        assert.not_equal(a.headers.authorization, c.headers.authorization)
      end
      local r = sls._prepare(client, "refresh_token", { ticket = "t1" }, t)
      assert.matches("^POST /token/refresh%?ticket=t1 ", r.raw)
    end)

    it("mints, refreshes and mints again within a second over libcurl", function()
      -- libcurl sends the client's scratch request: a refresh in between
      -- must not leave its request there for the next mint.
      local client = emu:client()
      for _ = 1, 3 do
        local t = assert(client:create_ticket { expiration_time = 600 })
        assert(client:refresh_token { ticket = t.ticket })
      end
      local log = emu:stats().log
      assert.equal(6, #log)
      for i = 1, 6, 2 do
        assert.equal("/tickets", log[i].path)
        assert.equal("/token/refresh", log[i + 1].path)
      end
    end)

    it("signs anew with keys that changed, whatever the second", function()
      local n = 0
      local client = sls.new {
        endpoint = emu.url,
        -- Keys that are due at once: every call asks, and gets new ones.
        credentials = { get = function(_, now)
          n = n + 1
          return { access_key_id = "LTAI5tRotating", access_key_secret = "secret-" .. n,
                   security_token = "token-" .. n, expiration = now + 1 }
        end },
      }
      local t = os.time()
      local a = sls._prepare(client, "create_ticket", {}, t)
      local b = sls._prepare(client, "create_ticket", {}, t)
      assert.equal(2, n)
      assert.not_equal(a.headers.authorization, b.headers.authorization)
      assert.equal("token-2", b.headers["x-acs-security-token"])
    end)
  end)

  it("returns the server's error for an unknown ticket", function()
    local res, err, detail = emu:client():refresh_token { ticket = "not-issued" }
    assert.is_nil(res)
    assert.matches("^ParameterInvalid: ticket is invalid or expired %(HTTP 400, request id %x+%)$", err)
    assert.same({ code = "ParameterInvalid", message = "ticket is invalid or expired",
                  status = 400, request_id = detail.request_id, retryable = false,
                  attempts = 1 }, detail)
  end)

  it("returns SignatureNotMatch for a wrong secret, with no secret in it", function()
    local res, err, detail = emu:client { access_key_secret = "EmulatorSecret-wrong" }:create_ticket()
    assert.is_nil(res)
    assert.equal("SignatureNotMatch", detail.code)
    assert.equal(401, detail.status)
    assert.falsy(err:find("EmulatorSecret", 1, true))
    H.assert_no_secret(err, detail)
  end)

  it("returns InvalidAccessKeyId and Unauthorized as the server says", function()
    local _, _, d1 = emu:client { access_key_id = "nobody" }:create_ticket()
    assert.equal("InvalidAccessKeyId", d1.code)
    local _, _, d2 = emu:client(H.merge(H.STS, { security_token = "stale" })):create_ticket()
    assert.equal("Unauthorized", d2.code)
  end)

  it("reads credentials from the environment, for sls.new and the default client", function()
    local script = ([[
      package.cpath = %q .. package.cpath
      package.path = %q .. package.path
      local sls = require "sls"
      local c = sls.new { endpoint = %q }
      local r1 = assert(c:create_ticket())
      local r2, err = sls.create_ticket { expiration_time = 60 }
      io.write(tostring(r1.ticket ~= nil), " ", tostring(err), " ", tostring(c))
    ]]):format(H.cpath, H.root .. "/lua/?.lua;", emu.url)
    local f = assert(io.open(emu.dir .. "/env.lua", "w"))
    f:write(script)
    f:close()
    local out = H.run(("ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s %s %s/env.lua 2>&1")
      :format(H.KEY.access_key_id, H.KEY.access_key_secret, H.lua_bin, emu.dir))
    -- The default client talks to the real default endpoint, which is not
    -- reachable from here: it must fail as a network error, not raise.
    assert.matches("^true %a+: .+ sls%.Client %(http://127%.0%.0%.1:%d+, v1, key LTAI%*%*%*%*%)", out)
    assert.falsy(out:find(H.KEY.access_key_secret, 1, true))
    assert.equal(1, emu:requests())
  end)

  it("returns NoCredentials when there are none, without sending", function()
    local out = H.run(("env -i HOME=/nonexistent ALIBABA_CLOUD_ECS_METADATA_DISABLED=true%s %s -e %q 2>&1")
      :format(H.sanitizer_env, H.lua_bin, ([[package.cpath = %q .. package.cpath
        package.path = %q .. package.path
        local sls = require "sls"
        local r, err, d = sls.new { endpoint = %q }:create_ticket()
        io.write(tostring(r), "|", err, "|", d.code, "|", d.attempts)]])
        :format(H.cpath, H.root .. "/lua/?.lua;", emu.url)))
    assert.equal("nil|NoCredentials: no credentials: tried "
      .. "environment: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set; "
      .. "OIDC: ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE "
      .. "are not set; CLI profile: no file /nonexistent/.aliyun/config.json; "
      .. "credentials file: no file /nonexistent/.alibabacloud/credentials(.ini); "
      .. "ECS RAM role: disabled by "
      .. "ALIBABA_CLOUD_ECS_METADATA_DISABLED; credentials URI: ALIBABA_CLOUD_CREDENTIALS_URI is "
      .. "not set|NoCredentials|0", out)
    assert.equal(0, emu:requests())
  end)
end)
