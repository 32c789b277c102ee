-- The signer against the vectors computed with the official SLS gateway
-- code, and the full request builder against the same vectors.
local H = require "spec.helpers"
local cjson = require "cjson"
local sls = require "sls"

-- A copy of shared/vectors/sls-signatures.json, computed with the official
-- SLS gateway code, kept in the repository so a clone tests on its own.
local vectors_path = os.getenv("SLS_VECTORS") or (H.root .. "/spec/vectors/sls-signatures.json")
local vectors = cjson.decode(H.read_file(vectors_path)).vectors

local function opt(v) if v ~= cjson.null then return v end end

describe("signing", function()
  it("has vectors to check", function()
    assert.is_true(#vectors >= 10)
  end)

  for _, v in ipairs(vectors) do
    it("matches the official gateway byte for byte: " .. v.name, function()
      local auth = sls._sign {
        signature_version = v.signature_version, method = v.method, path = v.path,
        query = v.query, headers = v.headers, access_key_id = v.access_key_id,
        access_key_secret = v.access_key_secret, region = opt(v.region),
      }
      assert.equal(v.authorization, auth)
    end)

    it("builds the same signed request from options: " .. v.name, function()
      local date = v.headers.date and H.parse_http_date(v.headers.date)
      if not date then
        local y, mo, d, hh, mm, ss = v.headers["x-log-date"]:match(
          "^(%d%d%d%d)(%d%d)(%d%d)T(%d%d)(%d%d)(%d%d)Z$")
        date = H.parse_http_date(("Mon, %s %s %s %s:%s:%s GMT"):format(d,
          ({"Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"})[tonumber(mo)],
          y, hh, mm, ss))
      end
      local client = sls.new {
        endpoint = v.headers.host, signature_version = v.signature_version,
        region = opt(v.region), access_key_id = v.access_key_id,
        access_key_secret = v.access_key_secret, security_token = opt(v.security_token),
      }
      local action = v.path == "/tickets" and "create_ticket" or "refresh_token"
      local req = sls._prepare(client, action, {
        expiration_time = tonumber(v.query.expirationTime),
        access_token_expiration_time = tonumber(v.query.accessTokenExpirationTime),
        ticket = v.query.ticket,
      }, date)
      local want = {}
      for k, value in pairs(v.headers) do
        -- content-md5 is empty and the gateway only signs it; user-agent is not signed.
        if k ~= "content-md5" and k ~= "user-agent" then want[k] = value end
      end
      want.authorization = v.authorization
      local got = {}
      for k, value in pairs(req.headers) do
        if k ~= "user-agent" then got[k] = value end
      end
      assert.same(want, got)
      assert.equal("lua-sls/0.1.0", req.headers["user-agent"])
      assert.equal("POST", req.method)
      client:close()
    end)
  end

  it("puts the sorted, percent-encoded query on the wire", function()
    local client = sls.new(H.merge(H.KEY, { endpoint = "https://cn-shanghai.log.aliyuncs.com" }))
    local req = sls._prepare(client, "refresh_token", { ticket = "a b/c+d=e&f~g",
                                                   access_token_expiration_time = 60 }, 0)
    assert.equal("/token/refresh?accessTokenExpirationTime=60&ticket=a%20b%2Fc%2Bd%3De%26f~g",
                 req.path)
    assert.equal("https://cn-shanghai.log.aliyuncs.com:443" .. req.path, req.url)
    assert.equal("Thu, 01 Jan 1970 00:00:00 GMT", req.headers.date)
  end)

  it("writes the port into Host only when it is not the scheme's default", function()
    local a = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:8080" }))
    local b = sls.new(H.merge(H.KEY, { endpoint = "https://example.com:443" }))
    assert.equal("127.0.0.1:8080", sls._prepare(a, "create_ticket", {}, 0).headers.host)
    assert.equal("example.com", sls._prepare(b, "create_ticket", {}, 0).headers.host)
  end)

  it("derives the v4 region from SLS host names", function()
    for host, region in pairs {
      ["cn-hangzhou.log.aliyuncs.com"] = "cn-hangzhou",
      ["ap-southeast-1-intranet.log.aliyuncs.com"] = "ap-southeast-1",
      ["cn-shanghai-share.log.aliyuncs.com"] = "cn-shanghai",
      -- As the official gateway: -vpc off, and the .sls.aliyuncs.com suffix.
      ["cn-shanghai-vpc.log.aliyuncs.com"] = "cn-shanghai",
      ["cn-hangzhou.sls.aliyuncs.com"] = "cn-hangzhou",
      ["cn-beijing-intranet.sls.aliyuncs.com"] = "cn-beijing",
      ["ap-southeast-1-vpc.sls.aliyuncs.com"] = "ap-southeast-1",
      ["https://eu-central-1-share.sls.aliyuncs.com:443"] = "eu-central-1",
    } do
      local c = sls.new(H.merge(H.KEY, { endpoint = host, signature_version = "v4" }))
      local auth = sls._prepare(c, "create_ticket", {}, 0).headers.authorization
      assert.truthy(auth:find("/19700101/" .. region .. "/sls/aliyun_v4_request,", 1, true), auth)
    end
  end)

  it("names no region for other hosts, so v4 needs the option", function()
    for _, host in ipairs { "cn-shanghai.log.aliyun.com", "cn-shanghai.sls.example.com",
                            "a.cn-shanghai.log.aliyuncs.com", "log.aliyuncs.com",
                            "-vpc.log.aliyuncs.com" } do
      local ok, err = pcall(sls.new, H.merge(H.KEY, { endpoint = host, signature_version = "v4" }))
      assert.is_false(ok, host)
      assert.equal(('sls.new: signature_version "v4" needs option \'region\': the endpoint "%s" names none')
        :format(host), err)
    end
    -- Only one network form comes off, at the end, as the gateway's docs name them.
    local c = sls.new(H.merge(H.KEY, { endpoint = "cn-vpc-test.log.aliyuncs.com", signature_version = "v4" }))
    assert.truthy(sls._prepare(c, "create_ticket", {}, 0).headers.authorization
      :find("/19700101/cn-vpc-test/sls/aliyun_v4_request,", 1, true))
  end)

  it("signs a second day with a fresh v4 key, not the cached one", function()
    local c = sls.new(H.merge(H.KEY, { signature_version = "v4" }))
    local day1 = sls._prepare(c, "create_ticket", {}, 86400 * 100).headers.authorization
    local day2 = sls._prepare(c, "create_ticket", {}, 86400 * 101).headers.authorization
    local again = sls._prepare(c, "create_ticket", {}, 86400 * 100).headers.authorization
    assert.not_equal(day1:match("Signature=(%x+)"), day2:match("Signature=(%x+)"))
    assert.equal(day1, again)
  end)
end)
