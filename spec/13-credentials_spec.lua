-- The credential chain (SPEC section 5) against the emulator's STS, IMDS and
-- credentials-URI stand-ins: each provider, the order, profile selection,
-- the 15-minute refresh margin on a controllable clock, a failed refresh,
-- NoCredentials, and AssumeRole signatures against independent vectors.
local H = require "spec.helpers"
local cjson = require "cjson.safe"
local sls = require "sls"
local creds = require "sls.credentials"

local emu, dir

local write = H.write_file

-- A client whose credentials come from provider, against the emulator.
local function client_with(provider, opts)
  return sls.new(H.merge({ endpoint = emu.url, credentials = provider, max_attempts = 1 }, opts))
end

local function mint(client, now)
  if now then
    local req, err = sls._prepare(client, "create_ticket", {}, now)
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

local function chain(env, o)
  return creds.chain(H.merge({ env = env, sts_endpoint = emu.url, imds_endpoint = emu.url }, o))
end

-- The STS, IMDS and credentials-URI requests the emulator received.
local function wire() return emu:stats().cred.wire end

local function unpct(s)
  return (s:gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

-- A query string or form body as a table.
local function decode_form(s)
  local t = {}
  for k, v in (s or ""):gmatch("([^&=]+)=([^&]*)") do t[unpct(k)] = unpct(v) end
  return t
end

local function keys_of(t)
  local out = {}
  for k in pairs(t or {}) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- A fetch that records each request and answers with answer(req).
local function recording(answer)
  local log = {}
  return function(req)
    log[#log + 1] = req
    return answer(req)
  end, log
end

-- An STS/IMDS/URI answer with credentials, with fields overridden (false removes one).
local function answer_json(over)
  local t = { Code = "Success", AccessKeyId = H.STS.access_key_id,
              AccessKeySecret = H.STS.access_key_secret, SecurityToken = H.STS.security_token,
              Expiration = "2030-01-01T00:00:00Z" }
  for k, v in pairs(over or {}) do t[k] = v or nil end
  return cjson.encode(t)
end

-- Asserts that err is one printable line without a secret or the given strings.
local function assert_clean(err, ...)
  assert.is_string(err)
  assert.is_nil(err:find("[%c\127]"), "a control character in: " .. err:sub(1, 200))
  H.assert_no_secret(err)
  for i = 1, select("#", ...) do
    local s = select(i, ...)
    assert.is_nil(err:find(s, 1, true), "leaked into: " .. err:sub(1, 200))
  end
end

-- Runs Lua code in a process with a clean environment plus `env`.
local function run(env, code)
  return H.run(("env -i HOME=/nonexistent PATH=/usr/bin:/bin ALIBABA_CLOUD_ECS_METADATA_DISABLED=true%s %s %s -e %q 2>&1")
    :format(H.sanitizer_env, env, H.lua_bin, ([[package.cpath = %q .. package.cpath
      package.path = %q .. package.path
      local sls = require "sls"
      %s]]):format(H.cpath, H.root .. "/lua/?.lua;", code)))
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
      assert.matches("credentials file: no section %[nope%] in " .. file:gsub("%p", "%%%0"), err)
      _, err = mint(client_with(creds.profile { path = file, name = "broken" }))
      assert.matches("%[broken%] in .+: unknown type 'magic' %(access_key, ecs_ram_role or ram_role_arn%)", err)
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
      -- Sent as read, trailing newline and all, as the official provider sends it.
      assert.same({ "eyJ.first.token\n", "eyJ.second.token" }, emu:stats().cred.oidc_tokens)
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
      assert.matches("credentials file: no file", err, 1, true)
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
    it("mints with the INI file and profile named in the environment", function()
      local file = write(dir .. "/proc-credentials", "[web]\ntype = access_key\naccess_key_id = " .. H.KEY.access_key_id
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

  describe("the aliyun CLI profile", function()
    local home, token_file
    setup(function()
      home = dir .. "/clihome"
      os.execute("mkdir -p " .. home .. "/.aliyun")
      token_file = write(dir .. "/cli-oidc-token", "eyJ.cli.token")
      write(home .. "/.aliyun/config.json", cjson.encode {
        current = "ak",
        profiles = {
          { name = "ak", mode = "AK", access_key_id = H.KEY.access_key_id,
            access_key_secret = H.KEY.access_key_secret, region_id = "cn-hangzhou",
            expired_seconds = 0 },
          { name = "sts", mode = "StsToken", access_key_id = H.STS.access_key_id,
            access_key_secret = H.STS.access_key_secret, sts_token = H.STS.security_token },
          { name = "role", mode = "RamRoleArn", access_key_id = H.KEY.access_key_id,
            access_key_secret = H.KEY.access_key_secret, ram_role_arn = "acs:ram::1:role/cli",
            ram_session_name = "cli-session", expired_seconds = 1800, external_id = "ext-cli" },
          { name = "chained", mode = "ChainableRamRoleArn", source_profile = "role",
            ram_role_arn = "acs:ram::1:role/second" },
          { name = "ecs", mode = "EcsRamRole", ram_role_name = "EcsRoleForSls" },
          { name = "oidc", mode = "OIDC", ram_role_arn = "acs:ram::1:role/oidc",
            oidc_provider_arn = "acs:ram::1:oidc-provider/cli", oidc_token_file = token_file },
          { name = "sso", mode = "CloudSSO" },
          { name = "bad", mode = "AK", access_key_id = H.KEY.access_key_id,
            access_key_secret = "has a\r\nline break" },
          { name = "loop1", mode = "ChainableRamRoleArn", source_profile = "loop2", ram_role_arn = "x" },
          { name = "loop2", mode = "ChainableRamRoleArn", source_profile = "loop1", ram_role_arn = "x" },
        } })
    end)

    local function cli(env, o)
      return chain(H.merge({ HOME = home }, env), o)
    end

    it("uses the file's current profile: AK", function()
      local ok, err = mint(client_with(cli {}))
      assert.is_true(ok, err)
      assert.equal(H.KEY.access_key_id, last_key())
    end)

    it("picks the profile named by ALIBABA_CLOUD_PROFILE, and the profile option over it", function()
      local ok, err = mint(client_with(cli { ALIBABA_CLOUD_PROFILE = "sts" }))
      assert.is_true(ok, err)
      assert.equal(H.STS.access_key_id, last_key())
      ok, err = mint(client_with(cli({ ALIBABA_CLOUD_PROFILE = "nope" }, { profile = "sts" })))
      assert.is_true(ok, err)
      assert.equal(H.STS.access_key_id, last_key())
      local _, why = mint(client_with(cli({ ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" },
                                          { profile = "nope" })))
      assert.matches("CLI profile: no profile 'nope' in " .. home, why, 1, true)
    end)

    it("RamRoleArn: AssumeRole with the profile's role, session name, duration and external_id", function()
      local ok, err = mint(client_with(cli { ALIBABA_CLOUD_PROFILE = "role" }))
      assert.is_true(ok, err)
      assert.matches("^STS%.Issued", last_key())
      local form = wire()[1].form
      assert.same({ "acs:ram::1:role/cli", "cli-session", "1800", "ext-cli" },
                  { form.RoleArn, form.RoleSessionName, form.DurationSeconds, form.ExternalId })
    end)

    it("ChainableRamRoleArn: assumes the source profile's role first", function()
      local ok, err = mint(client_with(cli { ALIBABA_CLOUD_PROFILE = "chained" }))
      assert.is_true(ok, err)
      local w = wire()
      assert.equal(2, #w)
      assert.equal("acs:ram::1:role/cli", w[1].form.RoleArn)
      assert.equal("acs:ram::1:role/second", w[2].form.RoleArn)
      assert.matches("^STS%.Issued", w[2].query.AccessKeyId)      -- signed with the first role's keys
      assert.is_string(w[2].query.SecurityToken)
    end)

    it("EcsRamRole: the metadata service, for ram_role_name", function()
      local ok, err = mint(client_with(cli { ALIBABA_CLOUD_PROFILE = "ecs" }))
      assert.is_true(ok, err)
      assert.same({ 1, 0, 1 }, { emu:stats().cred.imds_token, emu:stats().cred.imds_role,
                                 emu:stats().cred.imds_creds })
    end)

    it("OIDC: AssumeRoleWithOIDC with the profile's token file", function()
      local ok, err = mint(client_with(cli { ALIBABA_CLOUD_PROFILE = "oidc" }))
      assert.is_true(ok, err)
      assert.same({ "eyJ.cli.token" }, emu:stats().cred.oidc_tokens)
      assert.equal("acs:ram::1:oidc-provider/cli", wire()[1].form.OIDCProviderArn)
    end)

    it("answers other modes, loops and bad values with a reason and no secret", function()
      for _, case in ipairs {
        { "sso", "CLI profile: profile 'sso' in " .. home .. "/.aliyun/config.json: unsupported mode 'CloudSSO' (lua-sls supports AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole and OIDC)" },
        { "loop1", "source_profile goes deeper than 8 profiles" },
        { "bad", "access_key_secret of profile 'bad' in " .. home .. "/.aliyun/config.json must be printable ASCII without spaces" },
      } do
        local _, err = mint(client_with(cli { ALIBABA_CLOUD_PROFILE = case[1],
                                              ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }))
        assert.matches(case[2], err, 1, true)
        assert_clean(err, "has a")
      end
      assert.equal(0, emu:requests())
    end)

    it("comes after the environment and OIDC, before the INI file", function()
      local ini = write(dir .. "/cli-vs-ini", "[default]\ntype = access_key\naccess_key_id = "
        .. H.STS.access_key_id .. "\naccess_key_secret = " .. H.STS.access_key_secret .. "\n")
      local c = cli { ALIBABA_CLOUD_CREDENTIALS_FILE = ini }
      assert.is_true((mint(client_with(c))))
      assert.equal("cli_profile", c.last.name)
      assert.equal(H.KEY.access_key_id, last_key())
      c = cli { ALIBABA_CLOUD_CREDENTIALS_FILE = ini, ALIBABA_CLOUD_ACCESS_KEY_ID = H.STS.access_key_id,
                ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.STS.access_key_secret,
                ALIBABA_CLOUD_SECURITY_TOKEN = H.STS.security_token }
      assert.is_true((mint(client_with(c))))
      assert.equal("environment", c.last.name)
    end)

    it("is off with ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true, in any case", function()
      for _, v in ipairs { "true", "TRUE", "True" } do
        local c = cli { ALIBABA_CLOUD_CLI_PROFILE_DISABLED = v, ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }
        local ok, err = mint(client_with(c))
        assert.is_false(ok)
        assert.matches("CLI profile: disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED", err, 1, true)
      end
    end)

    it("does not quote a config.json that is not JSON", function()
      local h = dir .. "/brokenhome"
      os.execute("mkdir -p " .. h .. "/.aliyun")
      write(h .. "/.aliyun/config.json", '{"profiles": [{"access_key_secret": "' .. H.KEY.access_key_secret .. '"')
      local _, err = mint(client_with(chain { HOME = h, ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }))
      assert.matches("CLI profile: " .. h .. "/.aliyun/config.json is not JSON", err, 1, true)
      assert_clean(err)
    end)

    it("lets sls.new{} mint with only ~/.aliyun/config.json: AK, or StsToken by ALIBABA_CLOUD_PROFILE", function()
      local code = ("local r, err = sls.new{ endpoint = %q }:create_ticket() io.write(r and 'ok' or err)")
        :format(emu.url)
      assert.equal("ok", (run("HOME=" .. home, code)))
      assert.equal(H.KEY.access_key_id, last_key())
      assert.equal("ok", (run("HOME=" .. home .. " ALIBABA_CLOUD_PROFILE=sts", code)))
      assert.equal(H.STS.access_key_id, last_key())
    end)
  end)

  describe("the INI file, as the official parser reads it", function()
    -- What @alicloud/credentials 2.4.7 (npm ini 1.3.x) makes of each
    -- fixture; spec/14 runs the same fixtures through it.
    for _, case in ipairs(require "spec.ini_cases") do
      it(case[1], function()
        assert.same(case[3], creds._parse_ini(case[2]).s)
      end)
    end

    it("requires type, as the official provider does", function()
      local file = write(dir .. "/notype", "[default]\naccess_key_id = " .. H.KEY.access_key_id
        .. "\naccess_key_secret = " .. H.KEY.access_key_secret .. "\n")
      local _, err = creds.profile { path = file }:get(os.time(), sls._fetch)
      assert.equal("[default] in " .. file .. ": type is required (access_key, ecs_ram_role or ram_role_arn)", err)
    end)

    it("takes ram_role_arn's session name from ALIBABA_CLOUD_ROLE_SESSION_NAME, and external_id", function()
      local file = write(dir .. "/role-ini", table.concat({ "[default]", "type = ram_role_arn",
        "access_key_id = " .. H.KEY.access_key_id, "access_key_secret = " .. H.KEY.access_key_secret,
        "role_arn = acs:ram::1:role/ini", "external_id = ext-ini", "policy = {\"Version\": \"1\"}" }, "\n"))
      local ok, err = mint(client_with(chain { ALIBABA_CLOUD_CREDENTIALS_FILE = file,
                                               ALIBABA_CLOUD_ROLE_SESSION_NAME = "from-env" }))
      assert.is_true(ok, err)
      local form = wire()[1].form
      assert.same({ "from-env", "ext-ini", "{\"Version\": \"1\"}" },
                  { form.RoleSessionName, form.ExternalId, form.Policy })
    end)

    it("picks the section named by the profile option over ALIBABA_CLOUD_PROFILE", function()
      local file = write(dir .. "/two", "[a]\ntype = access_key\naccess_key_id = " .. H.KEY.access_key_id
        .. "\naccess_key_secret = " .. H.KEY.access_key_secret .. "\n[b]\ntype = access_key\n"
        .. "access_key_id = " .. H.STS.access_key_id .. "\naccess_key_secret = x\n")
      local c = creds.chain { profile = "a", env = { ALIBABA_CLOUD_CREDENTIALS_FILE = file,
                                                     ALIBABA_CLOUD_PROFILE = "b" } }
      local got = assert(c:get(os.time(), sls._fetch))
      assert.equal(H.KEY.access_key_id, got.access_key_id)
      assert.has_error(function() creds.chain { profile = "" } end,
        "chain: option 'profile' must be a non-empty string without control characters (got \"\")")
    end)
  end)

  describe("switches", function()
    it("compare without case: ALIBABA_CLOUD_ECS_METADATA_DISABLED, IMDSV1_DISABLED", function()
      for _, v in ipairs { "TRUE", "True", "true" } do
        local _, err = creds.ecs_ram_role { env = { ALIBABA_CLOUD_ECS_METADATA_DISABLED = v },
                                            imds_endpoint = emu.url }:get(os.time(), sls._fetch)
        assert.equal("disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED", err)
      end
      emu:config { imds_v2 = false }
      local _, err = creds.ecs_ram_role { env = { ALIBABA_CLOUD_IMDSV1_DISABLED = "TRUE" },
                                          imds_endpoint = emu.url }:get(os.time(), sls._fetch)
      assert.matches("and IMDSv1 is disabled", err, 1, true)
      assert.equal(0, emu:stats().cred.imds_creds)
    end)
  end)

  describe("STS", function()
    local sts_answer = function() return 200, cjson.encode { Credentials = cjson.decode(answer_json()) } end

    local function assume(env, o)
      return creds.assume_role(H.merge({ source = creds.static(H.KEY), role_arn = "acs:ram::1:role/r",
                                         env = env or {} }, o))
    end

    it("sends the common parameters in the query, the call's own in the form body", function()
      local fetch, log = recording(sts_answer)
      assert.truthy(assume({}, { policy = "{}", external_id = "ext", role_session_name = "s",
                                 duration = 900 }):get(1800000000, fetch))
      local req = log[1]
      local url, query = req.url:match("^([^?]*)%?(.*)$")
      assert.equal("POST", req.method)
      assert.equal("https://sts.aliyuncs.com/", url)
      assert.same({ "AccessKeyId", "Action", "Format", "Signature", "SignatureMethod", "SignatureNonce",
                    "SignatureVersion", "Timestamp", "Version" }, keys_of(decode_form(query)))
      assert.same({ DurationSeconds = "900", ExternalId = "ext", Policy = "{}", RoleArn = "acs:ram::1:role/r",
                    RoleSessionName = "s" }, decode_form(req.body))
      assert.equal("application/x-www-form-urlencoded", req.headers["Content-Type"])
      -- The signature covers both.
      local all = H.merge(decode_form(query), decode_form(req.body))
      local sig = all.Signature
      all.Signature = nil
      assert.equal(sig, creds._rpc_signature(H.KEY.access_key_secret, "POST", all))
      assert.equal("2027-01-15T08:00:00Z", all.Timestamp)
    end)

    it("sends the source's security token in the query, and OIDC's own parameters in the body", function()
      local fetch, log = recording(sts_answer)
      assert.truthy(creds.assume_role { source = creds.static(H.STS), role_arn = "r" }:get(os.time(), fetch))
      assert.equal(H.STS.security_token, decode_form(log[1].url:match("%?(.*)$")).SecurityToken)
      local token = write(dir .. "/sts-oidc", "tok\n")
      assert.truthy(creds.oidc { role_arn = "r", oidc_provider_arn = "p", oidc_token_file = token, env = {} }
        :get(os.time(), fetch))
      assert.same({ "Action", "Format", "Timestamp", "Version" }, keys_of(decode_form(log[2].url:match("%?(.*)$"))))
      assert.same({ "DurationSeconds", "OIDCProviderArn", "OIDCToken", "RoleArn", "RoleSessionName" },
                  keys_of(decode_form(log[2].body)))
      assert.equal("tok\n", decode_form(log[2].body).OIDCToken)
    end)

    it("uses sts.<region> for ALIBABA_CLOUD_STS_REGION, sts-vpc.<region> with ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED", function()
      for _, case in ipairs {
        { {}, "https://sts.aliyuncs.com/" },
        { { ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED = "true" }, "https://sts.aliyuncs.com/" },
        { { ALIBABA_CLOUD_STS_REGION = "cn-hangzhou" }, "https://sts.cn-hangzhou.aliyuncs.com/" },
        { { ALIBABA_CLOUD_STS_REGION = "cn-hangzhou", ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED = "TRUE" },
          "https://sts-vpc.cn-hangzhou.aliyuncs.com/" },
      } do
        local fetch, log = recording(sts_answer)
        assert.truthy(assume(case[1]):get(os.time(), fetch))
        local fetch2, log2 = recording(sts_answer)
        local token = write(dir .. "/vpc-oidc", "t")
        assert.truthy(creds.oidc { role_arn = "r", oidc_provider_arn = "p", oidc_token_file = token,
                                   env = case[1] }:get(os.time(), fetch2))
        assert.equal(case[2], log[1].url:match("^[^?]*"))
        assert.equal(case[2], log2[1].url:match("^[^?]*"))
      end
      local _, err = assume { ALIBABA_CLOUD_STS_REGION = "cn-hangzhou/../x" }:get(os.time(), sls._fetch)
      assert.matches("ALIBABA_CLOUD_STS_REGION must be a region id", err, 1, true)
    end)

    it("refuses a duration under 900 s, as the official providers do", function()
      local _, err = assume({}, { duration = 600 }):get(os.time(), error)
      assert.equal("STS AssumeRole acs:ram::1:role/r: duration must be an integer from 900 to 43200", err)
    end)

    it("keeps the source's secret and token out of an echoing STS's reason, on one line", function()
      emu:config { sts_echo = true }
      local p = creds.assume_role { source = creds.static(H.STS), role_arn = "r", sts_endpoint = emu.url }
      local _, err = p:get(os.time(), sls._fetch)
      assert.matches("SignatureDoesNotMatch: server string to sign is:POST&%2F&", err, 1, true)
      assert.matches("SecurityToken=***", err, 1, true)
      assert_clean(err, "forged: line\n", sls._pct(H.STS.security_token), sls._pct(sls._pct(H.STS.security_token)))
      local token = write(dir .. "/echo-oidc", "eyJ.secret.oidc-token")
      _, err = creds.oidc { role_arn = "r", oidc_provider_arn = "p", oidc_token_file = token,
                            sts_endpoint = emu.url, env = {} }:get(os.time(), sls._fetch)
      assert.matches("InvalidParameter", err, 1, true)
      assert_clean(err, "eyJ.secret.oidc-token")
    end)
  end)

  describe("answers", function()
    local function ecs() return creds.ecs_ram_role { imds_endpoint = emu.url, env = {} } end
    local function uri() return creds.uri { url = emu.url .. "/credentials-uri" } end
    local function sts() return creds.assume_role { source = creds.static(H.KEY), role_arn = "r",
                                                    sts_endpoint = emu.url } end

    it("must carry a SecurityToken: STS, ECS and the URI", function()
      emu:config { cred_answer = { SecurityToken = cjson.null } }
      for _, p in ipairs { sts(), ecs(), uri() } do
        local got, err = p:get(os.time(), sls._fetch)
        assert.is_nil(got)
        assert.matches("the answer has no SecurityToken", err, 1, true)
      end
    end)

    it("ECS needs Code Success; the URI does not look at Code", function()
      emu:config { cred_answer = { Code = "Failure" } }
      local _, err = ecs():get(os.time(), sls._fetch)
      assert.equal("ECS RAM role EcsRoleForSls: Code Failure, not Success; "
        .. "without the IMDSv2 token: HTTP 401: token required", err)
      assert.truthy(uri():get(os.time(), sls._fetch))
    end)

    it("take Expiration as ISO 8601 with Z or an offset, and nothing else", function()
      for _, case in ipairs {
        { "2026-11-24T22:00:00Z", 1795557600 },
        { "2026-11-25T06:00:00+08:00", 1795557600 },
        { "2026-11-24T22:00:00.123Z", 1795557600 },
        { "2026-11-24T22:00:00", nil },              -- no zone: unknown, not local time
        { 1795557600, nil },
        { cjson.null, nil },
        { "tomorrow", nil },
      } do
        emu:config { cred_answer = { Expiration = case[1] } }
        for _, p in ipairs { sts(), ecs(), uri() } do
          local got = assert(p:get(os.time(), sls._fetch))
          assert.equal(case[2], got.expiration, tostring(case[1]))
        end
      end
    end)

    it("are checked like options: a bad value is named, never shown", function()
      for _, field in ipairs { "AccessKeyId", "AccessKeySecret", "SecurityToken" } do
        emu:config { cred_answer = { [field] = "tok\r\nX-Injected: yes" } }
        for _, p in ipairs { sts(), ecs(), uri() } do
          local got, err = p:get(os.time(), sls._fetch)
          assert.is_nil(got)
          assert.matches("the answer's " .. field .. " must be printable ASCII without spaces", err, 1, true)
          assert_clean(err, "X-Injected")
        end
      end
    end)
  end)

  describe("the metadata service", function()
    it("retries a request refused with a token without it, unless IMDSv1 is disabled", function()
      emu:config { imds_reject_token = true }
      local got, err = creds.ecs_ram_role { imds_endpoint = emu.url, env = {} }:get(os.time(), sls._fetch)
      assert.truthy(got, err)
      local w = wire()
      assert.same({ "PUT", "GET", "GET", "GET", "GET" }, { w[1].method, w[2].method, w[3].method, w[4].method, w[5].method })
      assert.is_string(w[2].headers["x-aliyun-ecs-metadata-token"])
      assert.is_nil(w[3].headers["x-aliyun-ecs-metadata-token"])
      emu:reset()
      emu:config { imds_reject_token = true }
      got, err = creds.ecs_ram_role { imds_endpoint = emu.url, env = { ALIBABA_CLOUD_IMDSV1_DISABLED = "true" } }
        :get(os.time(), sls._fetch)
      assert.is_nil(got)
      assert.equal("no role from " .. emu.url .. ": HTTP 403", err)
      assert.equal(2, #wire())
    end)

    it("never puts a hostile token or role name into a header or path", function()
      local fetch, log = recording(function(req)
        if req.method == "PUT" then return 200, "tok\r\nX-Injected: yes" end
        if req.url:match("/security%-credentials/$") then return 200, "Role\r\nX-Injected: yes" end
        return 200, answer_json()
      end)
      local _, err = creds.ecs_ram_role { env = {} }:get(os.time(), fetch)
      assert.equal("no role from http://100.100.100.200: the metadata service named no usable role", err)
      for _, req in ipairs(log) do
        for _, v in pairs(req.headers or {}) do assert.is_nil(v:find("[\r\n]")) end
      end
      assert.equal(2, #log)
      local _, err2 = creds.ecs_ram_role { env = { ALIBABA_CLOUD_ECS_METADATA = "a b" } }:get(os.time(), fetch)
      assert.equal("ALIBABA_CLOUD_ECS_METADATA must be printable ASCII without spaces", err2)
    end)
  end)

  describe("values from the environment and files", function()
    local long = ("x"):rep(257)
    for _, case in ipairs {
      { "ALIBABA_CLOUD_SECURITY_TOKEN", "tok\r\nX-Injected: yes", "must be printable ASCII without spaces" },
      { "ALIBABA_CLOUD_SECURITY_TOKEN", "tok\n", "must be printable ASCII without spaces" },
      { "ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI with space", "must be printable ASCII without spaces" },
      { "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s\0ecret", "must be printable ASCII without spaces" },
      { "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s\27[2Jecret", "must be printable ASCII without spaces" },
      { "ALIBABA_CLOUD_ACCESS_KEY_ID", long, "is longer than 256 bytes" },
      { "ALIBABA_CLOUD_SECURITY_TOKEN", ("t"):rep(16385), "is longer than 16384 bytes" },
    } do
      local shown = case[2]:sub(1, 12):gsub("%c", function(c) return "\\" .. c:byte() end)
      it(("names %s (%s...) and does not show it"):format(case[1], shown), function()
        local env = { ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
                      ALIBABA_CLOUD_ACCESS_KEY_SECRET = H.KEY.access_key_secret,
                      ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }
        env[case[1]] = case[2]
        local res, err, detail = client_with(chain(env)):create_ticket()
        assert.is_nil(res)
        assert.equal("NoCredentials", detail.code)
        assert.matches("environment: " .. case[1] .. " " .. case[3], err, 1, true)
        assert_clean(err, case[2]:sub(1, 6))
        assert.equal(0, emu:requests())
      end)
    end

    it("refuses bad INI values, naming the field", function()
      local file = write(dir .. "/bad-ini", "[default]\ntype = access_key\naccess_key_id = " .. H.KEY.access_key_id
        .. "\naccess_key_secret = \"sec\\r\\nret\"\n")
      local _, err = creds.profile { path = file }:get(os.time(), sls._fetch)
      assert.equal("access_key_secret of [default] in " .. file .. " must be printable ASCII without spaces", err)
    end)

    it("names only the variables that are missing", function()
      local _, err = creds.environment { env = { ALIBABA_CLOUD_ACCESS_KEY_ID = "id" } }:get()
      assert.equal("ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set (ALIBABA_CLOUD_ACCESS_KEY_ID is)", err)
      _, err = creds.environment { env = { ALIBABA_CLOUD_ACCESS_KEY_SECRET = "s" } }:get()
      assert.equal("ALIBABA_CLOUD_ACCESS_KEY_ID is not set (ALIBABA_CLOUD_ACCESS_KEY_SECRET is)", err)
      _, err = creds.oidc { env = { ALIBABA_CLOUD_ROLE_ARN = "r" } }:get(os.time(), error)
      assert.equal("ALIBABA_CLOUD_OIDC_PROVIDER_ARN and ALIBABA_CLOUD_OIDC_TOKEN_FILE are not set", err)
    end)

    it("keep a bad ALIBABA_CLOUD_SECURITY_TOKEN off the wire in a real process", function()
      local out = run(("ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s "
          .. "ALIBABA_CLOUD_SECURITY_TOKEN=\"$(printf 'tok\\r\\nX-Injected: yes')\"")
          :format(H.KEY.access_key_id, H.KEY.access_key_secret),
        ([[local c = sls.new{ endpoint = %q, max_attempts = 1,
             credentials = require("sls.credentials").chain() }
           local r, err = c:create_ticket() io.write(r and 'minted' or err)]]):format(emu.url))
      assert.matches("environment: ALIBABA_CLOUD_SECURITY_TOKEN must be printable ASCII without spaces", out, 1, true)
      assert_clean(out, "X-Injected")
      assert.equal(0, emu:requests())
    end)

    it("keep a bad ALIBABA_CLOUD_SECURITY_TOKEN off the wire with sls.new{} too", function()
      local out = run(("ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s "
          .. "ALIBABA_CLOUD_SECURITY_TOKEN=\"$(printf 'tok\\r\\nX-Injected: yes')\"")
          :format(H.KEY.access_key_id, H.KEY.access_key_secret),
        ([[local c = sls.new{ endpoint = %q, max_attempts = 1 }
           local r, err = c:create_ticket() io.write(r and 'minted' or err)]]):format(emu.url))
      assert.matches("environment: ALIBABA_CLOUD_SECURITY_TOKEN must be printable ASCII without spaces", out, 1, true)
      assert_clean(out, "X-Injected")
      assert.equal(0, emu:requests())
    end)
  end)

  describe("against hostile sources (review findings)", function()
    it("stops the chain at environment keys that are set but unusable", function()
      local _, err = chain({ ALIBABA_CLOUD_ACCESS_KEY_ID = H.KEY.access_key_id,
                             ALIBABA_CLOUD_ACCESS_KEY_SECRET = "a b\r\nX",
                             ALIBABA_CLOUD_CREDENTIALS_URI = emu.url .. "/credentials-uri",
                             ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true" }):get(os.time(), sls._fetch)
      assert.matches("^no credentials: environment: ALIBABA_CLOUD_ACCESS_KEY_SECRET ", err)
      assert.equal(0, emu:stats().cred.uri)      -- not another identity, silently
    end)

    it("refuses a role name with a dot segment or a slash, from the environment or IMDS", function()
      for _, role in ipairs({ "..", ".", "a/b", "role?x" }) do
        local _, err = creds.ecs_ram_role { env = { ALIBABA_CLOUD_ECS_METADATA = role },
                                            imds_endpoint = emu.url }:get(os.time(), sls._fetch)
        assert.equal("ALIBABA_CLOUD_ECS_METADATA must be a RAM role name (letters, digits, . - _ @)", err)
      end
      assert.equal(0, #wire())
      -- The metadata service naming one: nothing is asked for it.
      for _, role in ipairs({ "..", ".", "a/b", "role?x" }) do
        local fetch, log = recording(function(req)
          if req.method == "PUT" then return 200, "tok" end
          if req.url:match("/security%-credentials/$") then return 200, role .. "\n" end
          return 200, answer_json()
        end)
        local _, err = creds.ecs_ram_role { env = {} }:get(os.time(), fetch)
        assert.matches("^no role from http://100%.100%.100%.200: the metadata service named "
          .. "no usable role", err)
        for _, req in ipairs(log) do
          assert.is_truthy(req.method == "PUT" or req.url:match("/security%-credentials/$"))
        end
      end
    end)

    it("refuses a credentials file over 1 MiB without reading it all", function()
      local file = H.write_file(dir .. "/huge-credentials", "[default]\n" .. ("; x\n"):rep(300000))
      local _, err = creds.profile { path = file }:get(os.time(), sls._fetch)
      assert.equal(file .. " is over 1 MiB: not a credentials file", err)
    end)

    it("takes no Expiration for a day that does not exist", function()
      assert.is_nil(sls._parse_time("2030-02-31T00:00:00Z"))
      assert.is_nil(sls._parse_time("2027-02-29T00:00:00Z"))
      assert.equal(1835395200, sls._parse_time("2028-02-29T00:00:00Z"))
    end)

    it("keeps temporary keys at most a day, whatever their Expiration says", function()
      local asked = 0
      local c = sls.new { endpoint = emu.url, max_attempts = 1, credentials = { get = function()
        asked = asked + 1
        return { access_key_id = H.STS.access_key_id, access_key_secret = H.STS.access_key_secret,
                 security_token = H.STS.security_token, expiration = os.time() + 10 * 365 * 86400 }
      end } }
      assert.truthy(c:create_ticket())
      assert.is_nil(select(2, sls._prepare(c, "create_ticket", {}, os.time() + 86400 - 900 - 60)))
      assert.equal(1, asked)
      assert.is_nil(select(2, sls._prepare(c, "create_ticket", {}, os.time() + 86400 - 900 + 60)))
      assert.equal(2, asked)
    end)
  end)
end)
