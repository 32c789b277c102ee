-- chain{ profile = NAME }: the profile named in code wins over
-- ALIBABA_CLOUD_PROFILE (what `sls-ticket --profile` uses).
local H = require "spec.helpers"
local sls = require "sls"
local creds = require "sls.credentials"

describe("credentials.chain{ profile }", function()
  local emu, dir, file

  setup(function()
    emu = H.start_emulator()
    dir = H.tmpdir()
    file = dir .. "/credentials"
    local f = assert(io.open(file, "wb"))
    f:write(("[default]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = wrong-secret\n\n"
             .. "[good]\ntype = access_key\naccess_key_id = %s\naccess_key_secret = %s\n")
      :format(H.KEY.access_key_id, H.KEY.access_key_id, H.KEY.access_key_secret))
    f:close()
  end)
  teardown(function()
    emu:stop()
    os.execute("rm -rf " .. dir)
  end)
  before_each(function() emu:reset() end)

  local function mint(o)
    local client = sls.new { endpoint = emu.url, max_attempts = 1,
                             credentials = creds.chain(o) }
    local res, err = client:create_ticket()
    client:close()
    return res, err
  end

  local function env(profile)
    return { HOME = dir .. "/none", ALIBABA_CLOUD_CREDENTIALS_FILE = file,
             ALIBABA_CLOUD_ECS_METADATA_DISABLED = "true", ALIBABA_CLOUD_PROFILE = profile }
  end

  it("picks the section it names", function()
    local res, err = mint { env = env(), profile = "good" }
    assert.truthy(res, err)
    assert.equal(1, emu:requests())
  end)

  it("wins over ALIBABA_CLOUD_PROFILE", function()
    assert.truthy(mint { env = env("default"), profile = "good" })
    local _, err = mint { env = env("good"), profile = "default" }
    assert.matches("^SignatureNotMatch: ", err)
  end)

  it("leaves ALIBABA_CLOUD_PROFILE in charge when not given", function()
    assert.truthy(mint { env = env("good") })
    local _, err = mint { env = env() }
    assert.matches("^SignatureNotMatch: ", err)
  end)

  it("names a missing section", function()
    local _, err = mint { env = env(), profile = "nope" }
    assert.matches("no section [nope] in " .. file, err, 1, true)
  end)

  for _, case in ipairs {
    { "", '""' }, { 42, "number" }, { "a\nb", '"a\\10b"' }, { true, "boolean" },
  } do
    it("refuses profile = " .. case[2], function()
      local ok, err = pcall(creds.chain, { profile = case[1] })
      assert.is_false(ok)
      assert.equal("chain: option 'profile' must be a non-empty string without control "
                   .. "characters (got " .. case[2] .. ")", (err:gsub("^[^:]+:%d+: ", "")))
    end)
  end
end)
