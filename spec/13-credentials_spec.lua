-- The credential chain (SPEC section 5) against the emulator's STS, IMDS and
-- credentials-URI stand-ins: each provider, the order, profile selection,
-- the 15-minute refresh margin on a controllable clock, a failed refresh,
-- NoCredentials, and AssumeRole signatures against independent vectors.
local H = require "spec.helpers"
local cjson = require "cjson.safe"
local sls = require "sls"
local creds = require "sls.credentials"

local emu, dir

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

-- A client whose credentials come from provider, against the emulator.
local function client_with(provider, opts)
  return sls.new(H.merge({ endpoint = emu.url, credentials = provider, max_attempts = 1 }, opts))
end

local function mint(client, now)
  if now then
    local req, err = client:_prepare("create_ticket", {}, now)
    return req ~= nil, err
  end
  local res, err = client:create_ticket()
  return res ~= nil, err
end

-- The key id the emulator saw last.
local function last_key()
  local log = emu:stats().log
  return log[#log].key_id
end

local function chain(env)
  return creds.chain { env = env, sts_endpoint = emu.url, imds_endpoint = emu.url }
end

describe("credentials", function()
  setup(function()
    emu = H.start_emulator()
    dir = H.tmpdir()
  end)
  teardown(function()
    emu:stop()
    os.execute("rm -rf " .. dir)
  end)
  before_each(function() emu:reset() end)

  it("signs AssumeRole as the independent vectors say", function()
    local vectors = cjson.decode(H.read_file(H.root .. "/spec/vectors/sts-signatures.json"))
    assert.equal(5, #vectors)
    for _, v in ipairs(vectors) do
      assert.equal(v.signature, creds._rpc_signature(v.secret, v.method, v.params), v.name)
    end
  end)

  it("reads ISO 8601 expirations in UTC", function()
    assert.equal(1795557600, creds._parse_time("2026-11-24T22:00:00Z"))
    assert.equal(951782400, creds._parse_time("2000-02-29T00:00:00Z"))
    assert.is_nil(creds._parse_time("yesterday"))
  end)

  describe("the INI profile", function()
    local file
    setup(function()
      file = write(dir .. "/credentials", table.concat({
        "# lua-sls test profile",
        "[default]",
        "type = access_key            # inline comment",
        "access_key_id = " .. H.KEY.access_key_id,
        "access_key_secret = " .. H.KEY.access_key_secret .. "   ; another",
        "",
        "[role]",
        "type = ram_role_arn",
        "access_key_id = " .. H.KEY.access_key_id,
        "access_key_secret = " .. H.KEY.access_key_secret,
        "role_arn = acs:ram::1234567890123456:role/sls-embed",
        "role_session_name = portal",
        "",
        "[ecs]",
        "type = ecs_ram_role",
        "role_name = EcsRoleForSls",
        "",
        "[broken]",
        "type = magic",
      }, "\n"))
    end)

    it("parses sections, keys and inline comments", function()
      local t = creds._parse_ini(H.read_file(file))
      assert.equal("access_key", t.default.type)
      assert.equal(H.KEY.access_key_secret, t.default.access_key_secret)
      assert.equal("portal", t.role.role_session_name)
    end)

    it("mints with [default] from ALIBABA_CLOUD_CREDENTIALS_FILE", function()
      local ok, err = mint(client_with(chain { ALIBABA_CLOUD_CREDENTIALS_FILE = file }))
      assert.is_true(ok, err)
      assert.equal(H.KEY.access_key_id, last_key())
    end)

    it("picks the section named by ALIBABA_CLOUD_PROFILE: ram_role_arn assumes the role", function()
      local ok, err = mint(client_with(chain { ALIBABA_CLOUD_CREDENTIALS_FILE = file,
                                               ALIBABA_CLOUD_PROFILE = "role" }))
      assert.is_true(ok, err)
      assert.equal(1, emu:stats().cred.sts)
      assert.matches("^STS%.Issued", last_key())
    end)

    it("picks ecs_ram_role sections, which ask the metadata service", function()
      local ok, err = mint(client_with(chain { ALIBABA_CLOUD_CREDENTIALS_FILE = file,
                                               ALIBABA_CLOUD_PROFILE = "ecs" }))
      assert.is_true(ok, err)
      assert.equal(1, emu:stats().cred.imds_creds)
      assert.equal(0, emu:stats().cred.imds_role)     -- named, not discovered
    end)

    it("looks in ~/.alibabacloud/credentials, then credentials.ini", function()
      local home = dir .. "/home"
      os.execute("mkdir -p " .. home .. "/.alibabacloud")
      write(home .. "/.alibabacloud/credentials.ini", H.read_file(file))
      local ok, err = mint(client_with(chain { HOME = home }))
      assert.is_true(ok, err)
    end)

    it("explains a missing section and an unknown type", function()
      local _, err = mint(client_with(chain { ALIBABA_CLOUD_CREDENTIALS_FILE = file,
                                              ALIBABA_CLOUD_PROFILE = "nope",
                                              ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }))
      assert.matches("profile: no section %[nope%] in " .. file:gsub("%p", "%%%0"), err)
      _, err = mint(client_with(creds.profile { path = file, name = "broken" }))
      assert.matches("%[broken%] in .+: unknown type magic", err)
    end)
  end)

  describe("the chain", function()
    it("prefers the environment to everything after it", function()
      local ok = mint(client_with(chain {
        ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret,
        ALIBABA_CLOUD_CREDENTIALS_URI = emu.url .. "/credentials-uri" }))
      assert.is_true(ok)
      assert.equal(0, emu:stats().cred.uri)
      assert.equal(H.KEY.access_key_id, last_key())
    end)

    it("uses OIDC before the profile, reading the token file at each refresh", function()
      local token = write(dir .. "/oidc-token", "eyJ.first.token\n")
      local env = { ALIBABA_CLOUD_ROLE_ARN = "acs:ram::1:role/k8s",
                    ALIBABA_CLOUD_OIDC_PROVIDER_ARN = "acs:ram::1:oidc-provider/ack",
                    ALIBABA_CLOUD_OIDC_TOKEN_FILE = token,
                    ALIBABA_CLOUD_CREDENTIALS_FILE = dir .. "/credentials" }
      local client = client_with(chain(env))
      local now = os.time()
      assert.is_true((mint(client, now)))
      write(token, "eyJ.second.token")
      assert.is_true((mint(client, now + 3600 - 60)))     -- inside the margin: refreshed
      assert.same({ "eyJ.first.token", "eyJ.second.token" }, emu:stats().cred.oidc_tokens)
    end)

    it("falls through to the ECS RAM role: IMDSv2 token, role discovery", function()
      local ok, err = mint(client_with(chain { HOME = dir .. "/none" }))
      assert.is_true(ok, err)
      local c = emu:stats().cred
      assert.same({ 1, 1, 1 }, { c.imds_token, c.imds_role, c.imds_creds })
    end)

    it("falls back to IMDSv1 without a token endpoint, unless that is disabled", function()
      emu:config { imds_v2 = false }
      assert.is_true((mint(client_with(chain { HOME = dir .. "/none" }))))
      local _, err = mint(client_with(chain { HOME = dir .. "/none",
                                              ALIBABA_CLOUD_IMDSV1_DISABLED = "true" }))
      assert.matches("ECS RAM role: no IMDSv2 token from .+ and IMDSv1 is disabled", err)
    end)

    it("ends with the credentials URI, fetched once for many mints", function()
      local client = client_with(chain { HOME = dir .. "/none",
        ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true",
        ALIBABA_CLOUD_CREDENTIALS_URI = emu.url .. "/credentials-uri" })
      for _ = 1, 5 do assert.is_true((mint(client))) end
      assert.equal(1, emu:stats().cred.uri)
    end)

    it("says what it tried when nothing works, without a secret", function()
      local client = client_with(chain { HOME = dir .. "/none",
        ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true",
        ALIBABA_CLOUD_ROLE_ARN = "acs:ram::1:role/x", ALIBABA_CLOUD_OIDC_PROVIDER_ARN = "p",
        ALIBABA_CLOUD_OIDC_TOKEN_FILE = dir .. "/missing-token" })
      local res, err, detail = client:create_ticket()
      assert.is_nil(res)
      assert.equal("NoCredentials", detail.code)
      assert.equal(0, detail.attempts)
      assert.matches("OIDC: cannot read the OIDC token file", err, 1, true)
      assert.matches("profile: no file", err, 1, true)
      assert.matches("credentials URI: ALIBABA_CLOUD_CREDENTIALS_URI is not set", err, 1, true)
      assert.equal(0, emu:requests())
      H.assert_no_secret(err, detail)
    end)

    it("remembers the provider that worked", function()
      local values = { HOME = dir .. "/none", ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true",
                       ALIBABA_CLOUD_CREDENTIALS_URI = emu.url .. "/credentials-uri" }
      local looked = {}
      local env = setmetatable({}, { __index = function(_, k)
        looked[k] = true
        return values[k]
      end })
      local c = creds.chain { env = env }
      assert.truthy(c:get(os.time(), sls._fetch))
      assert.equal("credentials_uri", c.last.name)
      looked = {}
      assert.truthy(c:get(os.time(), sls._fetch))
      assert.is_nil(looked.ALIBABA_CLOUD_ACCESS_KEY_ID)    -- the environment was not asked
      assert.is_true(looked.ALIBABA_CLOUD_CREDENTIALS_URI)
      assert.equal(2, emu:stats().cred.uri)
    end)
  end)

  describe("caching", function()
    -- A provider that hands out keys for an hour from `now`, and fails on demand.
    local function scripted()
      local p = { calls = 0, fail = false }
      function p.get(self, now)
        self.calls = self.calls + 1
        if self.fail then return nil, "the test provider is down" end
        return { access_key_id = H.STS.access_key_id, access_key_secret = H.STS.access_key_secret,
                 security_token = H.STS.security_token, expiration = now + 3600 }
      end
      return p
    end

    it("refreshes 15 minutes before expiration, not earlier", function()
      local t0 = 1800000000
      local p = scripted()
      local client = client_with(p)
      assert.is_true((mint(client, t0)))
      assert.is_true((mint(client, t0 + 3600 - 901)))
      assert.equal(1, p.calls)
      assert.is_true((mint(client, t0 + 3600 - 900)))
      assert.equal(2, p.calls)
    end)

    it("keeps the cached credentials when a refresh fails before they expire", function()
      local t0 = 1800000000
      local p = scripted()
      local client = client_with(p)
      assert.is_true((mint(client, t0)))
      p.fail = true
      assert.is_true((mint(client, t0 + 3000)))        -- refresh failed, keys still valid
      assert.equal(2, p.calls)
      local ok, err = mint(client, t0 + 3600)          -- now they have expired
      assert.is_false(ok)
      assert.equal("NoCredentials: the test provider is down", err)
      p.fail = false
      assert.is_true((mint(client, t0 + 3601)))
    end)

    it("signs with the new keys after a refresh", function()
      emu:config { sts_ttl = 600 }                      -- inside the margin at once
      local client = client_with(creds.uri { url = emu.url .. "/credentials-uri" })
      assert.is_true((mint(client)))
      local first = last_key()
      assert.is_true((mint(client)))
      assert.are_not.equal(first, last_key())
      assert.equal(2, emu:stats().cred.uri)
    end)
  end)

  describe("sls.new", function()
    it("assumes role_arn with the given keys", function()
      local client = sls.new(H.merge(H.KEY, { endpoint = emu.url, sts_endpoint = emu.url,
        role_arn = "acs:ram::1234567890123456:role/sls-embed", role_session_name = "portal" }))
      assert.is_true((mint(client)))
      assert.matches("^STS%.Issued", last_key())
      assert.equal(1, emu:stats().cred.sts)
    end)

    it("rejects a provider without get, and keys with a provider", function()
      assert.has_error(function() sls.new { credentials = {} } end,
        "sls.new: option 'credentials' must be a provider, a table with a get method (got table)")
      assert.has_error(function() sls.new(H.merge(H.KEY, { credentials = creds.uri {} })) end,
        "sls.new: options 'credentials' and 'access_key_id' exclude each other")
      assert.has_error(function() sls.new { sts_endpoint = "sts.aliyuncs.com" } end,
        "sls.new: option 'sts_endpoint' must be an http:// or https:// URL (got \"sts.aliyuncs.com\")")
    end)

    it("turns a provider that raises into NoCredentials", function()
      local client = client_with { get = function() error("boom") end }
      local _, err, detail = client:create_ticket()
      assert.equal("NoCredentials", detail.code)
      assert.matches("the credentials provider raised: .*boom", err)
    end)
  end)

  describe("a process with no keys", function()
    local function run(env, code)
      return H.run(("env -i HOME=/nonexistent PATH=/usr/bin:/bin ALIBABA_CLOUD_ECS_METADATA_DISABLED=true%s %s %s -e %q 2>&1")
        :format(H.sanitizer_env, env, H.lua_bin, ([[package.cpath = %q .. package.cpath
          package.path = %q .. package.path
          local sls = require "sls"
          %s]]):format(H.cpath, H.root .. "/lua/?.lua;", code)))
    end

    it("mints with the INI file and profile named in the environment", function()
      local file = write(dir .. "/proc-credentials", "[web]\naccess_key_id = " .. H.KEY.access_key_id
        .. "\naccess_key_secret = " .. H.KEY.access_key_secret .. "\n")
      local out = run(("ALIBABA_CLOUD_CREDENTIALS_FILE=%s ALIBABA_CLOUD_PROFILE=web"):format(file),
        ("local r, err = sls.new{ endpoint = %q }:create_ticket() io.write(r and 'ok' or err)"):format(emu.url))
      assert.equal("ok", out)
    end)

    it("mints many times with ALIBABA_CLOUD_CREDENTIALS_URI, fetched once", function()
      local out = run(("ALIBABA_CLOUD_CREDENTIALS_URI=%s/credentials-uri"):format(emu.url),
        ([[local c = sls.new{ endpoint = %q }
          for i = 1, 10 do assert(c:create_ticket()) end
          assert(sls.create_ticket) io.write("ok")]]):format(emu.url))
      assert.equal("ok", out)
      assert.equal(1, emu:stats().cred.uri)
      assert.equal(10, emu:requests())
    end)
  end)
end)
