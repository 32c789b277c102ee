-- The sls-ticket command, run as a process against the emulator.
local H = require "spec.helpers"
local cjson = require "cjson"
local http = require "socket.http"

local emu

-- Runs sls-ticket (its stdin from pipe, a shell command, when given);
-- returns stdout, stderr, exit status.
local function sls_ticket(args, env, pipe)
  local err = os.tmpname()
  env = env or ("ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s")
    :format(H.KEY.access_key_id, H.KEY.access_key_secret)
  local out, rc = H.run(("%s env -u ALIBABA_CLOUD_SECURITY_TOKEN %s LUA_CPATH=%q LUA_PATH=%q %s %s/bin/sls-ticket %s 2>%s")
    :format(pipe and (pipe .. " |") or "", env, H.cpath .. ";", H.root .. "/lua/?.lua;;",
            H.lua_bin, H.root, args, err))
  local stderr = H.read_file(err)
  os.remove(err)
  H.assert_no_secret(out, stderr)
  return out, stderr, rc
end

describe("sls-ticket", function()
  setup(function() emu = H.start_emulator() end)
  teardown(function() emu:stop() end)
  before_each(function() emu:reset() end)

  it("prints a ticket", function()
    local out, err, rc = sls_ticket("--endpoint " .. emu.url)
    assert.equal(0, rc)
    assert.equal("", err)
    assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+\n$", out)
  end)

  it("prints an embed link that the console opens once", function()
    local out, _, rc = sls_ticket(("--endpoint %s --console %s --project demo --dashboard overview --link-region cn-hangzhou --expiration-time 600")
      :format(emu.url, emu.url))
    assert.equal(0, rc)
    local url = out:gsub("\n$", "")
    assert.matches("^" .. emu.url:gsub("%p", "%%%0") .. "/lognext/project/demo/dashboard/overview%?slsRegion=cn%-hangzhou&sls_ticket=", url)
    local body, code = http.request(url)
    assert.equal(200, code)
    assert.truthy(body:find("data-kind='dashboard' data-name='overview'", 1, true))
    local _, again = http.request(url)
    assert.equal(403, again)
    assert.same({ expirationTime = "600" }, emu:stats().log[1].query)
  end)

  it("prints a server's echo of the security token and signature redacted, on one line", function()
    emu:fault({ kind = "echo" })
    local out, err, rc = sls_ticket("--endpoint " .. emu.url, ("ALIBABA_CLOUD_ACCESS_KEY_ID=%s "
      .. "ALIBABA_CLOUD_ACCESS_KEY_SECRET=%s ALIBABA_CLOUD_SECURITY_TOKEN=%s")
      :format(H.STS.access_key_id, H.STS.access_key_secret, H.STS.security_token))
    assert.equal(1, rc)
    assert.equal("", out)
    assert.matches("^sls%-ticket: Unauthorized: denied: token %*%*%* signed LOG [^:]+:%*%*%* ", err)
    assert.falsy(err:find(H.STS.security_token, 1, true))
    assert.equal(1, select(2, err:gsub("\n", "")))      -- one line
    assert.falsy(err:find("\27", 1, true))
  end)

  it("prints JSON with --json, slashes unescaped", function()
    local out, _, rc = sls_ticket(("--endpoint %s --project p --logstore l --json --expiration-time 120 --access-token-expiration-time 60")
      :format(emu.url))
    assert.equal(0, rc)
    local j = cjson.decode(out)
    assert.truthy(j.ticket and j.url and j.request_id)
    assert.equal(j.expires_at - 120 + 60, j.access_token_expires_at)
    assert.truthy(j.url:find("sls_ticket=" .. j.ticket, 1, true))
    -- lua-cjson alone would write "https:\/\/sls.console.aliyun.com\/lognext\/..."
    assert.falsy(out:find("\\/", 1, true), out)
    assert.truthy(out:find('"url":"https://sls.console.aliyun.com/lognext/project/p/logsearch/l?', 1, true), out)
  end)

  it("refreshes an access token", function()
    local ticket = sls_ticket("--endpoint " .. emu.url):gsub("\n", "")
    local out, _, rc = sls_ticket(("--endpoint %s --refresh %s --access-token-expiration-time 30"):format(emu.url, ticket))
    assert.equal(0, rc)
    assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+\n$", out)
    assert.not_equal(ticket .. "\n", out)
  end)

  it("reads the ticket from stdin with --refresh -, out of argv", function()
    local ticket = sls_ticket("--endpoint " .. emu.url):gsub("\n", "")
    local out, err, rc = sls_ticket("--endpoint " .. emu.url .. " --refresh -", nil,
                                    ("printf '%s\\n'"):format(ticket))
    assert.equal(0, rc, err)
    assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+\n$", out)
    assert.not_equal(ticket .. "\n", out)
    local log = emu:stats().log
    assert.equal("/token/refresh", log[#log].path)
    assert.equal(2, emu:requests())
  end)

  it("exits 2 on a ticket outside letters, digits and -_.=+/, with no call", function()
    for _, case in ipairs { { "--refresh -", "printf 'x y\\n'" },
                            { "--refresh 'x;y'" }, { "--refresh 'a\\b'" } } do
      local out, err, rc = sls_ticket("--endpoint " .. emu.url .. " " .. case[1], nil, case[2])
      assert.equal(2, rc, case[1])
      assert.equal("", out)
      assert.equal("sls-ticket: --refresh: a ticket holds only letters, digits and -_.=+/\n"
                   .. "try 'sls-ticket --help'\n", err)
    end
    assert.equal(0, emu:requests())
  end)

  it("signs v4 when asked", function()
    local _, _, rc = sls_ticket(("--endpoint %s --signature-version v4 --region cn-shanghai"):format(emu.url))
    assert.equal(0, rc)
    assert.equal("SLS4-HMAC-SHA25", emu:stats().log[1].signature:sub(1, 15))
  end)

  it("exits 1 on a failed call, with the error on stderr", function()
    local out, err, rc = sls_ticket("--endpoint " .. emu.url,
      ("ALIBABA_CLOUD_ACCESS_KEY_ID=%s ALIBABA_CLOUD_ACCESS_KEY_SECRET=wrong-secret"):format(H.KEY.access_key_id))
    assert.equal(1, rc)
    assert.equal("", out)
    assert.matches("^sls%-ticket: SignatureNotMatch: signature mismatch %(HTTP 401, request id %x+%)\n$", err)
  end)

  it("exits 1 with NoCredentials when none are set", function()
    local _, err, rc = sls_ticket("--endpoint " .. emu.url,
      "-u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    assert.equal(1, rc)
    assert.matches("^sls%-ticket: NoCredentials: ", err)
    assert.equal(0, emu:requests())
  end)

  it("prints its version and exits 0, with no call", function()
    local out, err, rc = sls_ticket("--version --endpoint " .. emu.url)
    assert.equal(0, rc)
    assert.equal("", err)
    assert.equal("sls-ticket (" .. require("sls")._VERSION .. ")\n", out)
    assert.matches("^sls%-ticket %(lua%-sls %d+%.%d+%.%d+%)\n$", out)
    assert.equal(0, emu:requests())
  end)

  describe("--profile", function()
    local dir, env
    setup(function()
      dir = H.tmpdir()
      local f = assert(io.open(dir .. "/credentials", "wb"))
      f:write(("[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = wrong-secret\n\n"
               .. "[portal]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n")
        :format(H.KEY.access_key_id, H.KEY.access_key_id, H.KEY.access_key_secret))
      f:close()
      -- No keys in the environment: the INI file answers, in a home of its own.
      env = ("-u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET -u ALIBABA_CLOUD_PROFILE "
             .. "HOME=%s ALIBABA_CLOUD_CREDENTIALS_FILE=%s/credentials"):format(dir, dir)
    end)
    teardown(function() os.execute("rm -rf " .. dir) end)

    it("takes the keys of the profile it names", function()
      local out, err, rc = sls_ticket("--profile portal --endpoint " .. emu.url, env)
      assert.equal(0, rc, err)
      assert.matches("^[%w_-]+%.[%w_-]+%.[%w_-]+\n$", out)
      assert.equal(1, emu:requests())
    end)

    it("wins over ALIBABA_CLOUD_PROFILE", function()
      local _, err, rc = sls_ticket("--endpoint " .. emu.url, env .. " ALIBABA_CLOUD_PROFILE=portal")
      assert.equal(0, rc, err)
      _, err, rc = sls_ticket("--profile default --endpoint " .. emu.url, env .. " ALIBABA_CLOUD_PROFILE=portal")
      assert.equal(1, rc)
      assert.matches("^sls%-ticket: SignatureNotMatch: ", err)
    end)

    it("exits 1 with NoCredentials naming a missing profile, with no call", function()
      local out, err, rc = sls_ticket("--profile nope --endpoint " .. emu.url, env)
      assert.equal(1, rc)
      assert.equal("", out)
      assert.matches("^sls%-ticket: NoCredentials: .*no section %[nope%]", err)
      assert.equal(0, emu:requests())
    end)
  end)

  for _, case in ipairs {
    { "--bogus", "sls-ticket: unknown argument '--bogus'" },
    { "\"$(printf -- '--x\\001')\"", "sls-ticket: unknown argument '--x\\1'" },
    { "--project p --dashboard d --logstore l",
      "sls-ticket: --logstore, --dashboard and --savedsearch exclude each other: one link shows one page" },
    { "--project p --savedsearch s --dashboard d",
      "sls-ticket: --logstore, --dashboard and --savedsearch exclude each other: one link shows one page" },
    { "--console bogus", "sls-ticket: --console and --link-region go with --project and a page" },
    { "--link-region cn-hangzhou", "sls-ticket: --console and --link-region go with --project and a page" },
    { "--project p --dashboard d --console bogus",
      'sls-ticket: sls.embed_url: option \'console\' must be "cn", "intl" or an http:// or https:// base URL without query (got "bogus")' },
    { "--project \"$(printf 'p\\001')\" --dashboard d",
      'sls-ticket: sls.embed_url: option \'project\' must not contain control characters or NUL bytes (got "p\\1")' },
    { "--project p --logstore \"$(printf 'l\\033[2J')\"",
      'sls-ticket: sls.embed_url: option \'logstore\' must not contain control characters or NUL bytes (got "l\\27[2J")' },
    { "--project '' --dashboard d", "sls-ticket: sls.embed_url: option 'project' must not be empty" },
    { "--project p --dashboard d --link-region \"$(printf 'r\\nx')\"",
      'sls-ticket: sls.embed_url: option \'region\' must not contain control characters or NUL bytes (got "r\\10x")' },
    { "--project a --project b --dashboard d", "sls-ticket: --project is given twice" },
    { "--json --profile", "sls-ticket: --profile needs a value" },
    { "--profile ''", "sls-ticket: --profile needs a value" },
    { "--profile \"$(printf 'a\\tb')\"",
      'sls-ticket: chain: option \'profile\' must be a non-empty string without control characters (got "a\\9b")' },
    { "--signature-version v4", 'sls-ticket: sls.new: signature_version "v4" needs option \'region\': the endpoint "127.0.0.1" names none' },
    { "--expiration-time 600 --access-token-expiration-time 900",
      "sls-ticket: create_ticket: option 'access_token_expiration_time' must not exceed 'expiration_time' (got 900 > 600)" },
    { "--refresh ''", "sls-ticket: refresh_token: option 'ticket' must not be empty" },
    { "--expiration-time", "sls-ticket: --expiration-time needs a value" },
    { "--expiration-time soon", "sls-ticket: --expiration-time must be a number (got 'soon')" },
    { "--expiration-time 0", "sls-ticket: create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got 0)" },
    { "--project p", "sls-ticket: --project goes with one of --logstore, --dashboard or --savedsearch" },
    { "--signature-version v9", 'sls-ticket: sls.new: option \'signature_version\' must be "v1" or "v4" (got "v9")' },
    { "--refresh t --dashboard d --project p", "sls-ticket: --refresh takes no --project, page or --expiration-time" },
  } do
    it("exits 2 on misuse, with no call: " .. case[1], function()
      local out, err, rc = sls_ticket(case[1] .. " --endpoint " .. emu.url)
      -- The keys in the environment are good: any call would have been made.
      assert.equal(0, emu:requests(), "a misuse spent a call")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.equal(case[2] .. "\ntry 'sls-ticket --help'\n", err)
    end)
  end

  it("prints help and exits 0, naming every place credentials come from", function()
    local out, _, rc = sls_ticket("--help")
    assert.equal(0, rc)
    assert.matches("^usage: sls%-ticket", out)
    for _, where in ipairs { "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_OIDC_TOKEN_FILE",
                             "~/.aliyun/config.json", "ALIBABA_CLOUD_CREDENTIALS_FILE",
                             "~/.alibabacloud/credentials", "ECS RAM role",
                             "ALIBABA_CLOUD_CREDENTIALS_URI", "--profile", "--version",
                             "--refresh -" } do
      assert.truthy(out:find(where, 1, true), where)
    end
  end)
end)
