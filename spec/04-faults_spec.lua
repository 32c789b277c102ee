-- Every fault ends in `nil, err, detail` with its documented code, in
-- bounded time, with no secret, and the same client works afterwards.
local H = require "spec.helpers"
local sls = require "sls"

local emu

local function timed(f)
  local t0 = H.now()
  local a, b, c = f()
  return H.now() - t0, a, b, c
end

local function recovers(client)
  emu:reset()
  local res, err = client:create_ticket()
  assert.is_nil(err)
  assert.truthy(res.ticket)
end

describe("faults", function()
  setup(function() emu = H.start_emulator() end)
  teardown(function() emu:stop() end)
  before_each(function() emu:reset() end)

  for _, case in ipairs(H.FAULTS) do
    it(case[1] .. " gives " .. case[3], function()
      local client = emu:client(H.merge(H.STS, { timeout = 1000 }))
      emu:fault(case[2])
      local secs, res, err, detail = timed(function() return client:create_ticket() end)
      assert.is_nil(res)
      H.assert_fault(case, secs, err, detail)
      recovers(client)
    end)
  end

  for _, case in ipairs(H.ODD_ANSWERS) do
    it("mints through " .. case[1], function()
      local client = emu:client(H.merge(H.STS, { timeout = 1000 }))
      emu:fault(case[2])
      local res, err = client:create_ticket()
      assert.is_nil(err)
      assert.truthy(res.ticket)
    end)
  end

  it("learns no clock offset from a Date a century off, and stays usable", function()
    local client = emu:client { max_attempts = 3 }
    emu:fault({ kind = "error", status = 400, code = "RequestTimeExpired",
                date = "Mon, 01 Jan 1900 00:00:00 GMT" })
    local res, err, detail = client:create_ticket()
    assert.is_nil(res)
    assert.equal("RequestTimeExpired", detail.code, err)
    assert.equal(1, detail.attempts)
    assert.truthy(client:create_ticket())      -- signs at the right time still
    assert.equal(2, emu:requests())
  end)

  it("keeps access_denied_detail with the call it came with", function()
    local a = emu:client(H.STS)
    for _ = 1, 20 do
      emu:fault({ kind = "echo" })
      local _, _, detail = a:create_ticket()
      assert.equal("log:CreateTicket", detail.access_denied_detail.AuthAction)
    end
    collectgarbage()
    local b = require("sls").new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:" .. H.free_port(),
                                                  max_attempts = 1 }))
    for _ = 1, 50 do
      local _, _, detail = b:create_ticket()
      assert.equal("ConnectFailed", detail.code)
      assert.is_nil(detail.access_denied_detail)
    end
  end)

  it("retries retryable faults and reports the attempts", function()
    local client = emu:client { max_attempts = 3 }
    emu:fault({ kind = "error", status = 503, code = "ServerBusy" }, { kind = "drop" })
    local res, err = client:create_ticket()
    assert.is_nil(err)
    assert.truthy(res.ticket)
    assert.equal(3, emu:requests())
  end)

  it("gives up after max_attempts with the last error", function()
    local client = emu:client { max_attempts = 2 }
    emu:fault({ kind = "error", status = 503, code = "ServerBusy" },
              { kind = "error", status = 500, code = "InternalServerError" })
    local _, err, detail = client:create_ticket()
    assert.equal("InternalServerError", detail.code)
    assert.equal(2, detail.attempts)
    assert.matches("^InternalServerError: injected %(HTTP 500, request id %x+, 2 attempts%)$", err)
  end)

  it("does not retry a 4xx that is not throttling", function()
    local client = emu:client { max_attempts = 3 }
    emu:fault({ kind = "error", status = 400, code = "ParameterInvalid" })
    local _, _, detail = client:create_ticket()
    assert.equal(1, detail.attempts)
    assert.equal(1, emu:requests())
  end)

  it("honours Retry-After", function()
    local client = emu:client { max_attempts = 2 }
    emu:fault({ kind = "error", status = 503, code = "ServerBusy", retry_after = 1 })
    local secs, res = timed(function() return client:create_ticket() end)
    assert.truthy(res)
    assert.is_true(secs >= 0.95, "waited " .. secs .. " s")
  end)

  it("learns the clock offset from RequestTimeExpired and keeps it", function()
    emu:config { clock_offset = 3600 }
    local client = emu:client { max_attempts = 2 }
    local res, err = client:create_ticket()
    assert.is_nil(err)
    assert.truthy(res.ticket)
    assert.equal(2, emu:requests())
    assert(client:create_ticket())      -- signed with the learnt offset at once
    assert.equal(3, emu:requests())
  end)

  it("reports RequestTimeExpired when retries are off, then succeeds", function()
    emu:config { clock_offset = -3600 }
    local client = emu:client { max_attempts = 1 }
    local _, _, detail = client:create_ticket()
    assert.equal("RequestTimeExpired", detail.code)
    assert(client:create_ticket())
  end)

  it("connection refused gives ConnectFailed", function()
    local client = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:1", max_attempts = 1 }))
    local _, err, detail = client:create_ticket()
    assert.equal("ConnectFailed", detail.code)
    assert.is_true(detail.retryable)
    H.assert_no_secret(err, detail)
  end)

  it("a name that does not resolve gives ResolveFailed", function()
    local client = sls.new(H.merge(H.KEY, { endpoint = "http://no-such-host.invalid",
                                            max_attempts = 1, connect_timeout = 2000 }))
    local secs, _, _, detail = timed(function() return client:create_ticket() end)
    assert.equal("ResolveFailed", detail.code)
    assert.is_true(secs < 3)
  end)

  it("bounds a call to attempts x timeout + backoff", function()
    local client = emu:client { max_attempts = 2, timeout = 500 }
    emu:fault({ kind = "stall", seconds = 2 }, { kind = "stall", seconds = 2 })
    local secs, _, _, detail = timed(function() return client:create_ticket() end)
    assert.equal("Timeout", detail.code)
    assert.equal(2, detail.attempts)
    assert.is_true(secs < 1 + 0.1 + 0.5, "took " .. secs .. " s")
  end)
end)

describe("TLS", function()
  local dir, tls

  setup(function()
    dir = H.tmpdir()
    H.make_certs(dir)
    tls = H.start_emulator(("--tls-cert %s/srv.pem --tls-key %s/srv.key"):format(dir, dir))
  end)
  teardown(function()
    tls:stop()
    os.execute("rm -rf " .. dir)
  end)

  local function client(opts)
    return sls.new(H.merge(H.KEY, { endpoint = "https://localhost:" .. tls.port,
                                    max_attempts = 1, timeout = 3000 }, opts))
  end

  it("rejects a certificate from an untrusted CA with TLSError", function()
    local _, err, detail = client():create_ticket()
    assert.equal("TLSError", detail.code)
    assert.is_false(detail.retryable)
    H.assert_no_secret(err, detail)
  end)

  it("trusts the CA given in ca_file", function()
    local res, err = client { ca_file = dir .. "/ca.pem" }:create_ticket()
    assert.is_nil(err)
    assert.truthy(res.ticket)
  end)

  it("rejects a certificate for another host name", function()
    local other = H.start_emulator(("--tls-cert %s/other.pem --tls-key %s/other.key"):format(dir, dir))
    local c = sls.new(H.merge(H.KEY, { endpoint = "https://127.0.0.1:" .. other.port,
                                       ca_file = dir .. "/other.pem", max_attempts = 1 }))
    local _, _, detail = c:create_ticket()
    other:stop()
    assert.equal("TLSError", detail.code)
  end)

  it("skips verification only when ssl_verify = false is written", function()
    local res = client { ssl_verify = false }:create_ticket()
    assert.truthy(res and res.ticket)
  end)
end)
