-- Credential providers (SPEC section 5), in the order of the official
-- Alibaba Cloud credential libraries: environment, OIDC/RRSA, the INI
-- profile, the ECS RAM role, the credentials URI; and STS AssumeRole for
-- `ram_role_arn` profiles and the `role_arn` client option.
--
-- A provider is a table with get(self, now, fetch), which answers
--   { access_key_id, access_key_secret, security_token, expiration }
-- (expiration in Unix seconds, nil when the keys do not expire) or nil and
-- why. fetch(req) does one HTTP request ({ method, url, headers, body,
-- timeout } -> status, body | nil, err): sls._fetch (libcurl) outside nginx,
-- a cosocket inside. The client caches what get answers, asks again 15
-- minutes before expiration, and keeps its credentials when a refresh fails
-- before then (src/client.c). No secret goes into a reason.
local cjson = require "cjson.safe"

local M = {}

local STS_ENDPOINT = "https://sts.aliyuncs.com"
local IMDS_ENDPOINT = "http://100.100.100.200"
local IMDS_TIMEOUT_MS = 1000
local FETCH_TIMEOUT_MS = 5000
local DURATION_S = 3600

local function env_of(o)
  local env = o and o.env
  if type(env) == "table" then return function(k) return env[k] end end
  return os.getenv
end

local function nonempty(v)
  if v ~= nil and v ~= "" then return v end
end

-- RFC 3986: unreserved characters stay, every other byte is %XX.
local function pct(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c) return ("%%%02X"):format(c:byte()) end))
end
M._pct = pct

-- Days since 1970-01-01 (H. Hinnant's days_from_civil): os.time reads the
-- local time zone, and STS answers in UTC.
local floor = math.floor
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local doy = floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

-- "2026-11-24T22:00:00Z" -> Unix seconds, or nil.
function M._parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, h, mi, se = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)")
  if not y then return nil end
  return days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400
    + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(se)
end

local function iso8601(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

-- The credentials in an answer with the five official fields.
local function from_fields(t, where)
  if type(t) ~= "table" or type(t.AccessKeyId) ~= "string" or type(t.AccessKeySecret) ~= "string" then
    return nil, where .. ": the answer has no AccessKeyId and AccessKeySecret"
  end
  if t.Code ~= nil and t.Code ~= "Success" then
    return nil, where .. ": Code " .. tostring(t.Code)
  end
  return { access_key_id = t.AccessKeyId, access_key_secret = t.AccessKeySecret,
           security_token = t.SecurityToken, expiration = M._parse_time(t.Expiration) }
end

local function fetch_json(fetch, req, where)
  req.timeout = req.timeout or FETCH_TIMEOUT_MS
  local status, body = fetch(req)
  if not status then return nil, where .. ": " .. tostring(body) end
  local t = cjson.decode(body or "")
  if status ~= 200 then
    local code = type(t) == "table" and (t.Code or t.code) or nil
    local msg = type(t) == "table" and (t.Message or t.message) or nil
    return nil, ("%s: HTTP %d%s%s"):format(where, status, code and (" " .. tostring(code)) or "",
                                          msg and (": " .. tostring(msg)) or "")
  end
  if type(t) ~= "table" then return nil, where .. ": the answer is not JSON" end
  return t
end

-- --------------------------------------------------------- providers

-- Fixed keys.
function M.static(t)
  assert(type(t) == "table" and type(t.access_key_id) == "string"
    and type(t.access_key_secret) == "string",
    "sls.credentials.static: access_key_id and access_key_secret are required")
  local creds = { access_key_id = t.access_key_id, access_key_secret = t.access_key_secret,
                  security_token = t.security_token, expiration = t.expiration }
  return { name = "static", get = function() return creds end }
end

-- ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET and _SECURITY_TOKEN.
function M.environment(o)
  local getenv = env_of(o)
  return { name = "environment", get = function()
    local id = nonempty(getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"))
    local secret = nonempty(getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET"))
    if not id or not secret then
      return nil, "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set"
    end
    return { access_key_id = id, access_key_secret = secret,
             security_token = nonempty(getenv("ALIBABA_CLOUD_SECURITY_TOKEN")) }
  end }
end

local function sts_url(o, getenv)
  if o.sts_endpoint then return (o.sts_endpoint:gsub("/+$", "")) end
  local region = nonempty(getenv("ALIBABA_CLOUD_STS_REGION"))
  return region and ("https://sts." .. region .. ".aliyuncs.com") or STS_ENDPOINT
end

local function form(params)
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = pct(k) .. "=" .. pct(params[k]) end
  return table.concat(parts, "&")
end

-- The RPC signature STS checks: HMAC-SHA1, key secret .. "&", over
-- METHOD&%2F&pct(the sorted, encoded parameters).
function M._rpc_signature(secret, method, params)
  return require("sls")._hmac_sha1(secret .. "&", method .. "&%2F&" .. pct(form(params)))
end

-- One STS action: a form POST to the endpoint, Credentials out of the answer.
local function sts_call(o, getenv, fetch, params, where)
  local t, err = fetch_json(fetch, { method = "POST", url = sts_url(o, getenv) .. "/",
    headers = { ["content-type"] = "application/x-www-form-urlencoded" },
    body = form(params) }, where)
  if not t then return nil, err end
  if type(t.Credentials) ~= "table" then
    return nil, where .. ": the answer has no Credentials"
  end
  return from_fields(t.Credentials, where)
end

local nonce_seq = 0
local function nonce(now)
  nonce_seq = nonce_seq + 1
  return ("%x%08x%04x"):format(math.floor(now), math.random(0, 0x7fffffff), nonce_seq % 0x10000)
end

-- STS AssumeRole with the credentials of o.source.
function M.assume_role(o)
  assert(type(o) == "table" and type(o.source) == "table" and type(o.role_arn) == "string",
    "sls.credentials.assume_role: source and role_arn are required")
  local getenv = env_of(o)
  local where = "STS AssumeRole " .. o.role_arn
  return { name = "assume_role", get = function(_, now, fetch)
    local base, err = o.source:get(now, fetch)
    if not base then return nil, err end
    local params = {
      Action = "AssumeRole", Format = "JSON", Version = "2015-04-01",
      AccessKeyId = base.access_key_id, SignatureMethod = "HMAC-SHA1",
      SignatureVersion = "1.0", SignatureNonce = nonce(now), Timestamp = iso8601(now),
      RoleArn = o.role_arn, RoleSessionName = o.role_session_name or "lua-sls",
      DurationSeconds = tostring(o.duration or DURATION_S), Policy = o.policy,
      SecurityToken = base.security_token,
    }
    params.Signature = M._rpc_signature(base.access_key_secret, "POST", params)
    return sts_call(o, getenv, fetch, params, where)
  end }
end

-- OIDC / RRSA: STS AssumeRoleWithOIDC, unsigned, with the token file read
-- afresh each time (Kubernetes rotates it).
function M.oidc(o)
  o = o or {}
  local getenv = env_of(o)
  return { name = "oidc", get = function(_, now, fetch)
    local role = o.role_arn or nonempty(getenv("ALIBABA_CLOUD_ROLE_ARN"))
    local provider = o.oidc_provider_arn or nonempty(getenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"))
    local file = o.oidc_token_file or nonempty(getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE"))
    if not (role and provider and file) then
      return nil, "ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN and "
        .. "ALIBABA_CLOUD_OIDC_TOKEN_FILE are not all set"
    end
    local f = io.open(file, "rb")
    if not f then return nil, "cannot read the OIDC token file " .. file end
    local token = f:read("*a")
    f:close()
    return sts_call(o, getenv, fetch, {
      Action = "AssumeRoleWithOIDC", Format = "JSON", Version = "2015-04-01",
      Timestamp = iso8601(now), RoleArn = role, OIDCProviderArn = provider,
      OIDCToken = (token:gsub("%s+$", "")),
      RoleSessionName = o.role_session_name or nonempty(getenv("ALIBABA_CLOUD_ROLE_SESSION_NAME"))
        or "lua-sls",
      DurationSeconds = tostring(o.duration or DURATION_S),
    }, "STS AssumeRoleWithOIDC " .. role)
  end }
end

-- The ECS RAM role from the instance metadata service: an IMDSv2 token,
-- then the role's credentials (role discovered when not named).
function M.ecs_ram_role(o)
  o = o or {}
  local getenv = env_of(o)
  local base = (o.imds_endpoint or IMDS_ENDPOINT):gsub("/+$", "")
  return { name = "ecs_ram_role", get = function(_, _, fetch)
    if getenv("ALIBABA_CLOUD_ECS_METADATA_DISABLED") == "true" then
      return nil, "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED"
    end
    local headers = {}
    local status, token = fetch { method = "PUT", url = base .. "/latest/api/token",
      headers = { ["X-aliyun-ecs-metadata-token-ttl-seconds"] = "21600" }, timeout = IMDS_TIMEOUT_MS }
    if status == 200 and token and token ~= "" then
      headers["X-aliyun-ecs-metadata-token"] = token
    elseif getenv("ALIBABA_CLOUD_IMDSV1_DISABLED") == "true" then
      return nil, "no IMDSv2 token from " .. base .. " (" .. (status and ("HTTP " .. status)
        or tostring(token)) .. ") and IMDSv1 is disabled"
    end
    local path = base .. "/latest/meta-data/ram/security-credentials/"
    local role = o.role_name or nonempty(getenv("ALIBABA_CLOUD_ECS_METADATA"))
    if not role then
      local body
      status, body = fetch { method = "GET", url = path, headers = headers, timeout = IMDS_TIMEOUT_MS }
      if status ~= 200 then
        return nil, "no role from " .. base .. " (" .. (status and ("HTTP " .. status)
          or tostring(body)) .. ")"
      end
      role = body:match("^%s*([^%s]+)")
      if not role then return nil, "no role attached to this instance" end
    end
    local t, err = fetch_json(fetch, { method = "GET", url = path .. role, headers = headers,
                                       timeout = IMDS_TIMEOUT_MS }, "ECS RAM role " .. role)
    if not t then return nil, err end
    return from_fields(t, "ECS RAM role " .. role)
  end }
end

-- ALIBABA_CLOUD_CREDENTIALS_URI: GET, the five official fields.
function M.uri(o)
  o = o or {}
  local getenv = env_of(o)
  return { name = "credentials_uri", get = function(_, _, fetch)
    local url = o.url or nonempty(getenv("ALIBABA_CLOUD_CREDENTIALS_URI"))
    if not url then return nil, "ALIBABA_CLOUD_CREDENTIALS_URI is not set" end
    local t, err = fetch_json(fetch, { method = "GET", url = url }, "credentials URI")
    if not t then return nil, err end
    return from_fields(t, "credentials URI")
  end }
end

-- The INI file's sections: { name = { key = value } }. `#` and `;` start
-- comments, also after a value.
local function parse_ini(text)
  local sections, current = {}, nil
  for line in (text .. "\n"):gmatch("(.-)\r?\n") do
    line = line:gsub("%s[#;].*$", ""):gsub("^[#;].*$", ""):match("^%s*(.-)%s*$")
    local name = line:match("^%[%s*(.-)%s*%]$")
    if name then
      current = {}
      sections[name] = current
    elseif current and line ~= "" then
      local k, v = line:match("^([^=]-)%s*=%s*(.*)$")
      if k then current[k] = v end
    end
  end
  return sections
end
M._parse_ini = parse_ini

-- The INI profile: ALIBABA_CLOUD_CREDENTIALS_FILE, else
-- ~/.alibabacloud/credentials, then ~/.alibabacloud/credentials.ini; section
-- ALIBABA_CLOUD_PROFILE, else default.
function M.profile(o)
  o = o or {}
  local getenv = env_of(o)
  local inner, inner_key
  return { name = "profile", get = function(_, now, fetch)
    local paths = {}
    local given = o.path or nonempty(getenv("ALIBABA_CLOUD_CREDENTIALS_FILE"))
    if given then
      paths[1] = given
    else
      local home = o.home or nonempty(getenv("HOME"))
      if not home then return nil, "HOME is not set" end
      paths = { home .. "/.alibabacloud/credentials", home .. "/.alibabacloud/credentials.ini" }
    end
    local text, path
    for _, p in ipairs(paths) do
      local f = io.open(p, "rb")
      if f then
        text, path = f:read("*a"), p
        f:close()
        break
      end
    end
    if not text then return nil, "no file " .. table.concat(paths, " or ") end
    local name = o.name or nonempty(getenv("ALIBABA_CLOUD_PROFILE")) or "default"
    local s = parse_ini(text)[name]
    if not s then return nil, ("no section [%s] in %s"):format(name, path) end
    local where = ("[%s] in %s"):format(name, path)
    local key = table.concat({ s.type or "", s.access_key_id or "", s.role_arn or "",
                               s.role_name or "", path, name }, "\0")
    if key ~= inner_key then            -- the file changed: a provider for it
      local kind = s.type or "access_key"
      if kind == "access_key" or kind == "ram_role_arn" then
        if not nonempty(s.access_key_id) or not nonempty(s.access_key_secret) then
          return nil, where .. ": access_key_id and access_key_secret are required"
        end
        inner = M.static { access_key_id = s.access_key_id, access_key_secret = s.access_key_secret }
        if kind == "ram_role_arn" then
          if not nonempty(s.role_arn) then return nil, where .. ": role_arn is required" end
          inner = M.assume_role { source = inner, role_arn = s.role_arn, env = o.env,
            role_session_name = nonempty(s.role_session_name), policy = nonempty(s.policy),
            sts_endpoint = o.sts_endpoint }
        end
      elseif kind == "ecs_ram_role" then
        inner = M.ecs_ram_role { role_name = nonempty(s.role_name), env = o.env,
                                 imds_endpoint = o.imds_endpoint }
      else
        return nil, where .. ": unknown type " .. kind
      end
      inner_key = key
    end
    local creds, err = inner:get(now, fetch)
    if not creds then return nil, where .. ": " .. err end
    return creds
  end }
end

-- The default chain, in the official order; the provider that worked is
-- asked first next time. o: env, home, sts_endpoint, imds_endpoint (the
-- last two for tests; the defaults are the official hosts), profile.
function M.chain(o)
  o = o or {}
  -- profile names the profile as ALIBABA_CLOUD_PROFILE would, and wins over it.
  if o.profile ~= nil then
    local p = o.profile
    if type(p) ~= "string" or p == "" or p:find("%c") then
      local got = type(p) ~= "string" and type(p)
        or '"' .. p:gsub("%c", function(c) return "\\" .. c:byte() end) .. '"'
      error("chain: option 'profile' must be a non-empty string without control "
            .. "characters (got " .. got .. ")", 2)
    end
    local getenv = env_of(o)
    local env = setmetatable({ ALIBABA_CLOUD_PROFILE = p },
                             { __index = function(_, k) return getenv(k) end })
    o = setmetatable({ env = env }, { __index = o })
  end
  local providers = { M.environment(o), M.oidc(o), M.profile(o), M.ecs_ram_role(o), M.uri(o) }
  local labels = { environment = "environment", oidc = "OIDC", profile = "profile",
                   ecs_ram_role = "ECS RAM role", credentials_uri = "credentials URI" }
  local chain = { name = "chain" }
  function chain.get(self, now, fetch)
    local why, last = {}, self.last
    if last then
      local creds, err = last:get(now, fetch)
      if creds then return creds end
      why[#why + 1] = labels[last.name] .. ": " .. tostring(err)
      self.last = nil
    end
    for _, p in ipairs(providers) do
      if p ~= last then
        local creds, err = p:get(now, fetch)
        if creds then
          self.last = p
          return creds
        end
        why[#why + 1] = labels[p.name] .. ": " .. tostring(err)
      end
    end
    return nil, "no credentials: tried " .. table.concat(why, "; ")
  end
  return chain
end

return M
