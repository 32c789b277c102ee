-- Misuse raises one exact message before anything is sent.
local H = require "spec.helpers"
local sls = require "sls"

local emu

local new_cases = {
  { { expire_time = 1 }, "sls.new: unknown option 'expire_time'" },
  { { [1] = "x" }, "sls.new: option names must be strings (got 1)" },
  { "cn-shanghai", 'sls.new: expected a table of options (got "cn-shanghai")' },
  { { endpoint = 5 }, "sls.new: option 'endpoint' must be a string (got 5)" },
  { { endpoint = "" }, "sls.new: option 'endpoint' must not be empty" },
  { { endpoint = "https://h/path" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: a path is not allowed (got "https://h/path")' },
  { { endpoint = "ftp://h" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: only http:// and https:// are allowed (got "ftp://h")' },
  { { endpoint = "h:0" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: the port is not in 1..65535 (got "h:0")' },
  { { endpoint = "h:65536" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: the port is not in 1..65535 (got "h:65536")' },
  { { endpoint = "h:x" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: the port is not a number (got "h:x")' },
  { { endpoint = "u@h" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: user info is not allowed (got "u@h")' },
  { { endpoint = "h?a=1" }, 'sls.new: option \'endpoint\' must be host, host:port, https://host[:port] or http://host[:port]: a query is not allowed (got "h?a=1")' },
  { { endpoint = "h\0x" }, 'sls.new: option \'endpoint\' must not contain control characters or NUL bytes (got "h\\0x")' },
  { { signature_version = "v2" }, 'sls.new: option \'signature_version\' must be "v1" or "v4" (got "v2")' },
  { { signature_version = 4 }, 'sls.new: option \'signature_version\' must be "v1" or "v4" (got 4)' },
  { { transport = "cosocket" }, 'sls.new: option \'transport\' must be "auto", "curl" or "ngx" (got "cosocket")' },
  { { transport = "ngx" }, 'sls.new: option \'transport\' "ngx" needs nginx\'s Lua module (ngx.socket.tcp); use "auto" or "curl"' },
  { { signature_version = "v4", endpoint = "example.com" }, 'sls.new: signature_version "v4" needs option \'region\': the endpoint "example.com" names none' },
  { { region = "CN_Shanghai" }, 'sls.new: option \'region\' must be a region id such as "cn-shanghai" (got "CN_Shanghai")' },
  { { access_key_id = "id" }, "sls.new: options 'access_key_id' and 'access_key_secret' go together (got only access_key_id)" },
  { { access_key_secret = "s3cr3t" }, "sls.new: options 'access_key_id' and 'access_key_secret' go together (got only access_key_secret)" },
  { { access_key_id = "id", access_key_secret = 12345 }, "sls.new: option 'access_key_secret' must be a string (got number)" },
  { { access_key_id = "id", access_key_secret = "a\nb" }, "sls.new: option 'access_key_secret' must not contain control characters or NUL bytes (got a secret, not shown)" },
  { { security_token = "tok" }, "sls.new: option 'security_token' needs 'access_key_id' and 'access_key_secret'" },
  { { timeout = 0 }, "sls.new: option 'timeout' must be an integer in 1..600000 (got 0)" },
  { { timeout = 600001 }, "sls.new: option 'timeout' must be an integer in 1..600000 (got 600001)" },
  { { timeout = "100" }, 'sls.new: option \'timeout\' must be an integer in 1..600000 (got "100")' },
  { { connect_timeout = 1.5 }, "sls.new: option 'connect_timeout' must be an integer in 1..600000 (got 1.5)" },
  { { connect_timeout = 0/0 }, "sls.new: option 'connect_timeout' must be an integer in 1..600000 (got nan)" },
  { { connect_timeout = math.huge }, "sls.new: option 'connect_timeout' must be an integer in 1..600000 (got inf)" },
  { { max_attempts = 0 }, "sls.new: option 'max_attempts' must be an integer in 1..10 (got 0)" },
  { { max_attempts = 11 }, "sls.new: option 'max_attempts' must be an integer in 1..10 (got 11)" },
  { { ssl_verify = "no" }, 'sls.new: option \'ssl_verify\' must be a boolean (got "no")' },
  { { ssl_verify = 0 }, "sls.new: option 'ssl_verify' must be a boolean (got 0)" },
  { { ca_file = "" }, "sls.new: option 'ca_file' must not be empty" },
  { { user_agent = ("x"):rep(257) }, "sls.new: option 'user_agent' must be at most 256 bytes (got 257 bytes)" },
  { { user_agent = "a\r\nX-Evil: 1" }, 'sls.new: option \'user_agent\' must not contain control characters or NUL bytes (got "a\\13\\10X-Evil: 1")' },
}

local ticket_cases = {
  { { expire_time = 1 }, "create_ticket: unknown option 'expire_time'" },
  { { expirationTime = 1 }, "create_ticket: unknown option 'expirationTime'" },
  { "x", 'create_ticket: expected a table of options (got "x")' },
  { { expiration_time = 0 }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got 0)" },
  { { expiration_time = -1 }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got -1)" },
  { { expiration_time = 2592001 }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got 2592001)" },
  { { expiration_time = 2^53 }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got 9.007199254741e+15)" },
  { { expiration_time = "3600" }, 'create_ticket: option \'expiration_time\' must be an integer in 1..2592000 (got "3600")' },
  { { expiration_time = 1.5 }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got 1.5)" },
  { { expiration_time = 0/0 }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got nan)" },
  { { expiration_time = -math.huge }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got -inf)" },
  { { expiration_time = true }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got true)" },
  { { expiration_time = {} }, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got table)" },
  { { access_token_expiration_time = 0 }, "create_ticket: option 'access_token_expiration_time' must be an integer in 1..86400 (got 0)" },
  { { access_token_expiration_time = 86401 }, "create_ticket: option 'access_token_expiration_time' must be an integer in 1..86400 (got 86401)" },
  { { expiration_time = 600, access_token_expiration_time = 700 }, "create_ticket: option 'access_token_expiration_time' must not exceed 'expiration_time' (got 700 > 600)" },
}

local refresh_cases = {
  { {}, "refresh_token: option 'ticket' is required" },
  { { ticket = "" }, "refresh_token: option 'ticket' must not be empty" },
  { { ticket = 42 }, "refresh_token: option 'ticket' must be a string (got 42)" },
  { { ticket = "t\0t" }, 'refresh_token: option \'ticket\' must not contain control characters or NUL bytes (got "t\\0t")' },
  { { ticket = ("t"):rep(16385) }, "refresh_token: option 'ticket' must be at most 16384 bytes (got 16385 bytes)" },
  { { ticket = "t", expiration_time = 5 }, "refresh_token: unknown option 'expiration_time'" },
  { { ticket = "t", access_token_expiration_time = 86401 }, "refresh_token: option 'access_token_expiration_time' must be an integer in 1..86400 (got 86401)" },
}

local function raised(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected a raise")
  return err
end

describe("argument checking", function()
  setup(function() emu = H.start_emulator() end)
  teardown(function() emu:stop() end)

  for i, case in ipairs(new_cases) do
    it("sls.new case " .. i .. ": " .. case[2], function()
      local opts = case[1]
      if type(opts) == "table" and not opts.access_key_id and not opts.access_key_secret
          and not opts.security_token then
        opts = H.merge(H.KEY, opts)
      end
      assert.equal(case[2], raised(sls.new, opts))
    end)
  end

  -- Each bad call is tried on a client and on the module's default client.
  for _, set in ipairs { { "create_ticket", ticket_cases }, { "refresh_token", refresh_cases } } do
    local method, cases = set[1], set[2]
    for i, case in ipairs(cases) do
      it(method .. " case " .. i .. ": " .. case[2], function()
        local client = emu:client()
        assert.equal(case[2], raised(client[method], client, case[1]))
        assert.equal(case[2], raised(sls[method], case[1]))
      end)
    end
  end

  it("accepts integral floats and the range ends", function()
    local client = emu:client()
    assert.truthy(client:create_ticket { expiration_time = 3600.0 })
    assert.truthy(client:create_ticket { expiration_time = 2592000, access_token_expiration_time = 86400 })
    assert.truthy(client:create_ticket { expiration_time = 1, access_token_expiration_time = 1 })
  end)

  it("sent nothing for any misuse above", function()
    -- Only the three good calls of the previous test reached the emulator.
    assert.equal(3, emu:requests())
  end)

  it("never echoes a secret in a message", function()
    for _, opts in ipairs {
      { access_key_id = "id", access_key_secret = 12345 },
      { access_key_id = "id", access_key_secret = "EmulatorSecret\n0123" },
      { access_key_id = "id", access_key_secret = "x", security_token = "EmulatorSecurityToken+/=abc\0" },
      { access_key_id = "id", access_key_secret = "x", security_token = {} },
    } do
      local err = raised(sls.new, opts)
      assert.falsy(err:find("EmulatorSecret", 1, true), err)
      assert.falsy(err:find("EmulatorSecurityToken", 1, true), err)
    end
  end)

  it("raises on a closed client and on a non-client self", function()
    local client = emu:client()
    client:close()
    assert.equal("sls.Client: the client is closed", raised(client.create_ticket, client, {}))
    assert.truthy(raised(client.create_ticket, {}, {}):find("sls.Client expected", 1, true))
  end)
end)
