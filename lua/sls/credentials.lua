-- Credential providers (SPEC section 5), in the order of the official
-- Alibaba Cloud credential libraries (@alicloud/credentials 2.4.7,
-- providers/default.ts): environment, OIDC/RRSA, the aliyun CLI profile
-- (~/.aliyun/config.json), the INI file (~/.alibabacloud/credentials), the
-- ECS RAM role, the credentials URI; and STS AssumeRole for `ram_role_arn`
-- profiles and the `role_arn` client option.
--
-- A provider is a table with get(self, now, fetch), which answers
--   { access_key_id, access_key_secret, security_token, expiration }
-- (expiration in Unix seconds, nil when unknown or the keys do not expire)
-- or nil and why. fetch(req) does one HTTP request ({ method, url, headers,
-- body, timeout } -> status, body | nil, err): sls._fetch (libcurl) outside
-- nginx, a cosocket inside. The client caches what get answers, asks again
-- 15 minutes before expiration, and keeps its credentials when a refresh
-- fails before then (src/client.c).
--
-- Every value from the environment, a file or a server is checked before
-- use (printable ASCII without spaces, the module's length limits); a bad
-- one is a reason naming the variable or field, never the value. Text from
-- servers goes into a reason only through sls._clean, with the secrets of
-- that request redacted.
local cjson = require "cjson.safe"
local sls = require "sls"

local pct, parse_time, clean, LIMITS = sls._pct, sls._parse_time, sls._clean, sls._limits

local M = {}

local STS_HOST = "sts.aliyuncs.com"
local IMDS_ENDPOINT = "http://100.100.100.200"
local IMDS_TIMEOUT_MS = 1000
local IMDS_TOKEN_TTL_S = "21600"
local DURATION_S, DURATION_MIN_S, DURATION_MAX_S = 3600, 900, 43200
local OIDC_TOKEN_MAX = 32768          -- the form body sls._fetch takes is 64 KiB
local SOURCE_DEPTH_MAX = 8            -- ChainableRamRoleArn hops

local function env_of(o)
  local env = o and o.env
  if type(env) == "table" then return function(k) return env[k] end end
  return os.getenv
end

local function nonempty(v)
  if v ~= nil and v ~= "" then return v end
end

-- Boolean switches compare without case, as the official libraries do.
local function switched_on(getenv, name)
  local v = getenv(name)
  return type(v) == "string" and v:lower() == "true"
end

-- nil when v may go into a header (a printable ASCII string without spaces,
-- at most max bytes), else why, naming `name` and never the value.
local function bad_value(v, max, name)
  if type(v) ~= "string" then return name .. " must be a string" end
  if v == "" then return name .. " is empty" end
  if #v > max then return ("%s is longer than %d bytes"):format(name, max) end
  if v:find("[^\33-\126]") then return name .. " must be printable ASCII without spaces" end
end

-- Checked credentials, or nil and why. names: what to call the id, the
-- secret and the token in a reason.
-- Blanks off both ends.
local function trim(s) return (s:match("^%s*(.-)%s*$")) end

-- A file's text if it holds at most max bytes; nil when it cannot be
-- opened, false when it holds more (only max + 1 bytes are read).
local function read_bounded(path, max)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read(max + 1) or ""
  f:close()
  if #text > max then return false end
  return text
end

local function credentials(id, secret, token, expiration, names)
  local why = bad_value(id, LIMITS.id_max, names[1])
    or bad_value(secret, LIMITS.secret_max, names[2])
    or (token ~= nil and bad_value(token, LIMITS.token_max, names[3]))
  if why then return nil, why end
  return { access_key_id = id, access_key_secret = secret, security_token = token,
           expiration = expiration }
end

-- The strings to redact from a server's text: each secret, and its
-- percent-encoded forms (an STS string to sign holds values encoded twice).
local function secrets_of(...)
  local raw, out = { ... }, {}
  for i = 1, select("#", ...) do
    local s = raw[i]
    if type(s) == "string" and #s >= 4 then out[#out + 1] = s end
  end
  for i = 1, #out do
    local once = pct(out[i])
    if once ~= out[i] then
      out[#out + 1] = once
      out[#out + 1] = pct(once)
    end
  end
  return out
end

-- Untrusted text made fit for a reason: secrets redacted, control
-- characters gone, length capped.
local function cleaned(text, secrets)
  local s = secrets or {}
  return clean(tostring(text), s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8])
end

local function iso8601(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

-- One request whose answer is JSON: the decoded table, or nil and why.
local function fetch_json(fetch, req, where, secrets)
  where = where and (where .. ": ") or ""
  req.timeout = req.timeout or LIMITS.cred_timeout
  local status, body = fetch(req)
  if not status then return nil, where .. cleaned(body, secrets) end
  body = type(body) == "string" and body or ""
  local t = cjson.decode(body)
  if status ~= 200 then
    local text = ""
    if type(t) == "table" then
      local code, msg = t.Code or t.code, t.Message or t.message
      text = (code ~= nil and (" " .. tostring(code)) or "")
        .. (msg ~= nil and (": " .. tostring(msg)) or "")
    elseif body ~= "" then
      text = ": " .. body
    end
    return nil, ("%sHTTP %s%s"):format(where, tostring(status), cleaned(text, secrets))
  end
  if type(t) ~= "table" then return nil, where .. "the answer is not JSON" end
  return t
end

-- The credentials in an answer with the official fields. AccessKeyId,
-- AccessKeySecret and SecurityToken are required, as the official STS, ECS
-- and URI providers require them; Expiration counts when it is ISO 8601
-- with "Z" or an offset, else it is unknown (nil), never made up.
local function from_answer(t, where)
  where = where and (where .. ": ") or ""
  for _, k in ipairs { "AccessKeyId", "AccessKeySecret", "SecurityToken" } do
    if t[k] == nil or t[k] == "" then return nil, where .. "the answer has no " .. k end
  end
  return credentials(t.AccessKeyId, t.AccessKeySecret, t.SecurityToken,
    parse_time(t.Expiration), { where .. "the answer's AccessKeyId",
      where .. "the answer's AccessKeySecret", where .. "the answer's SecurityToken" })
end

-- DurationSeconds as sent: the official default 3600 (also for 0, what the
-- aliyun CLI writes for "not set"), at least 900.
local function duration_of(v, name)
  if v == nil or v == 0 or v == "" then return tostring(DURATION_S) end
  local n = tonumber(v)
  if not n or n ~= math.floor(n) or n < DURATION_MIN_S or n > DURATION_MAX_S then
    return nil, ("%s must be an integer from %d to %d"):format(name, DURATION_MIN_S, DURATION_MAX_S)
  end
  return ("%d"):format(n)
end

-- --------------------------------------------------------- providers

-- Fixed keys.
function M.static(t)
  assert(type(t) == "table" and type(t.access_key_id) == "string"
    and type(t.access_key_secret) == "string",
    "sls.credentials.static: access_key_id and access_key_secret are required")
  local names = t.names or { "access_key_id", "access_key_secret", "security_token" }
  return { name = "static", get = function()
    return credentials(t.access_key_id, t.access_key_secret, t.security_token, t.expiration, names)
  end }
end

local ENV_NAMES = { "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                    "ALIBABA_CLOUD_SECURITY_TOKEN" }

-- ALIBABA_CLOUD_ACCESS_KEY_ID, _SECRET and _SECURITY_TOKEN.
function M.environment(o)
  local getenv = env_of(o)
  return { name = "environment", get = function()
    local id = nonempty(getenv(ENV_NAMES[1]))
    local secret = nonempty(getenv(ENV_NAMES[2]))
    if not id and not secret then
      return nil, ENV_NAMES[1] .. " and " .. ENV_NAMES[2] .. " are not set"
    elseif not id or not secret then    -- name only the one missing
      return nil, ("%s is not set (%s is)"):format(id and ENV_NAMES[2] or ENV_NAMES[1],
                                                   id and ENV_NAMES[1] or ENV_NAMES[2])
    end
    local creds, bad = credentials(id, secret, nonempty(getenv(ENV_NAMES[3])), nil, ENV_NAMES)
    -- Set but unusable: the chain stops here rather than sign as someone
    -- else (an instance role) without a word (SPEC section 5).
    if not creds then return nil, bad, true end
    return creds
  end }
end

-- The STS endpoint, as the official providers pick it: sts_endpoint (a URL,
-- or a host as in the CLI profile), else sts[-vpc].<region>.aliyuncs.com
-- with a region (ALIBABA_CLOUD_STS_REGION; -vpc with
-- ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED), else sts.aliyuncs.com.
local function sts_url(o, getenv)
  local e = o.sts_endpoint
  if e ~= nil then
    if type(e) ~= "string" or not (e:find("^https?://[%w%.%-]+:?%d*/*$")
                                   or e:find("^[%w%.%-]+:?%d*$")) then
      return nil, "sts_endpoint must be a host name or an http(s) URL without a path"
    end
    if not e:find("^https?://") then e = "https://" .. e end
    return (e:gsub("/+$", ""))
  end
  local region, name = nonempty(o.sts_region), "sts_region"
  if not region then region, name = nonempty(getenv("ALIBABA_CLOUD_STS_REGION")), "ALIBABA_CLOUD_STS_REGION" end
  if not region then return "https://" .. STS_HOST end
  if type(region) ~= "string" or not region:find("^[%w%-]+$") then
    return nil, name .. " must be a region id such as cn-hangzhou"
  end
  local vpc = o.enable_vpc == true or switched_on(getenv, "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED")
  return ("https://%s.%s.aliyuncs.com"):format(vpc and "sts-vpc" or "sts", region)
end

-- k=v&... over the sorted keys, RFC 3986-encoded.
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
  return sls._hmac_sha1(secret .. "&", method .. "&%2F&" .. pct(form(params)))
end

-- One STS action as the official providers send it: a POST with the
-- common parameters in the query and the action's own in the form body.
local function sts_call(o, getenv, fetch, query, body, where, secrets)
  local url, why = sts_url(o, getenv)
  if not url then return nil, where .. ": " .. why end
  local t, err = fetch_json(fetch, { method = "POST", url = url .. "/?" .. form(query),
    headers = { ["Content-Type"] = "application/x-www-form-urlencoded" },
    body = form(body) }, where, secrets)
  if not t then return nil, err end
  if type(t.Credentials) ~= "table" then
    return nil, where .. ": the answer has no Credentials"
  end
  return from_answer(t.Credentials, where)
end

-- A nonce unique across processes: LuaJIT seeds math.random the same in
-- every process (every nginx worker), and STS refuses a nonce seen before.
local nonce_prefix, nonce_seq
local function nonce(now)
  if not nonce_prefix then
    local f = io.open("/dev/urandom", "rb")
    local bytes = f and f:read(12) or ""
    if f then f:close() end
    nonce_prefix = bytes:gsub(".", function(c) return ("%02x"):format(c:byte()) end)
      .. (tostring({}):match("0x(%x+)") or "")
    nonce_seq = 0
  end
  nonce_seq = nonce_seq + 1
  return ("%s%x%04x%06x"):format(nonce_prefix, math.floor(now), nonce_seq % 0x10000,
                                 math.random(0, 0xffffff))
end

local function session_name(o, getenv, now)
  return nonempty(o.role_session_name) or nonempty(getenv("ALIBABA_CLOUD_ROLE_SESSION_NAME"))
    or ("lua-sls-%d"):format(math.floor(now))
end

-- STS AssumeRole with the credentials of o.source. o: role_arn,
-- role_session_name (else ALIBABA_CLOUD_ROLE_SESSION_NAME), duration,
-- policy, external_id, sts_endpoint, sts_region, enable_vpc, env.
function M.assume_role(o)
  assert(type(o) == "table" and type(o.source) == "table" and type(o.role_arn) == "string",
    "sls.credentials.assume_role: source and role_arn are required")
  local getenv = env_of(o)
  local where = "STS AssumeRole " .. o.role_arn
  return { name = "assume_role", get = function(_, now, fetch)
    local duration, why = duration_of(o.duration, "duration")
    if not duration then return nil, where .. ": " .. why end
    local base, err = o.source:get(now, fetch)
    if not base then return nil, err end
    local query = {
      Version = "2015-04-01", Action = "AssumeRole", Format = "JSON", Timestamp = iso8601(now),
      SignatureMethod = "HMAC-SHA1", SignatureVersion = "1.0", SignatureNonce = nonce(now),
      AccessKeyId = base.access_key_id, SecurityToken = base.security_token,
    }
    local body = {
      RoleArn = o.role_arn, Policy = nonempty(o.policy), ExternalId = nonempty(o.external_id),
      RoleSessionName = session_name(o, getenv, now), DurationSeconds = duration,
    }
    local signed = {}
    for k, v in pairs(query) do signed[k] = v end
    for k, v in pairs(body) do signed[k] = v end
    query.Signature = M._rpc_signature(base.access_key_secret, "POST", signed)
    return sts_call(o, getenv, fetch, query, body, where,
                    secrets_of(base.access_key_secret, base.security_token))
  end }
end

-- OIDC / RRSA: STS AssumeRoleWithOIDC, unsigned, with the token file read
-- afresh each time (Kubernetes rotates it) and sent as read. o: role_arn,
-- oidc_provider_arn, oidc_token_file (else the ALIBABA_CLOUD_* variables),
-- role_session_name, duration, policy, sts_endpoint, sts_region,
-- enable_vpc, env.
function M.oidc(o)
  o = o or {}
  local getenv = env_of(o)
  return { name = "oidc", get = function(_, now, fetch)
    local role = nonempty(o.role_arn) or nonempty(getenv("ALIBABA_CLOUD_ROLE_ARN"))
    local provider = nonempty(o.oidc_provider_arn) or nonempty(getenv("ALIBABA_CLOUD_OIDC_PROVIDER_ARN"))
    local file = nonempty(o.oidc_token_file) or nonempty(getenv("ALIBABA_CLOUD_OIDC_TOKEN_FILE"))
    if not (role and provider and file) then
      local missing = {}
      if not role then missing[#missing + 1] = "ALIBABA_CLOUD_ROLE_ARN" end
      if not provider then missing[#missing + 1] = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN" end
      if not file then missing[#missing + 1] = "ALIBABA_CLOUD_OIDC_TOKEN_FILE" end
      local last = table.remove(missing)
      return nil, (#missing > 0 and (table.concat(missing, ", ") .. " and " .. last .. " are")
                   or (last .. " is")) .. " not set"
    end
    local where = "STS AssumeRoleWithOIDC " .. role
    local duration, why = duration_of(o.duration, "duration")
    if not duration then return nil, where .. ": " .. why end
    local token = read_bounded(file, OIDC_TOKEN_MAX)
    if token == nil then return nil, "cannot read the OIDC token file " .. file end
    if token == "" then return nil, "the OIDC token file " .. file .. " is empty" end
    if not token then
      return nil, ("the OIDC token file %s is larger than %d bytes"):format(file, OIDC_TOKEN_MAX)
    end
    return sts_call(o, getenv, fetch,
      { Version = "2015-04-01", Action = "AssumeRoleWithOIDC", Format = "JSON",
        Timestamp = iso8601(now) },
      { OIDCProviderArn = provider, OIDCToken = token, RoleArn = role,
        Policy = nonempty(o.policy), RoleSessionName = session_name(o, getenv, now),
        DurationSeconds = duration },
      where, secrets_of(token))
  end }
end

-- Why role, which name gave, is no RAM role name fit for the metadata
-- path (no "/" and no dot segment), or nil.
local function bad_role(role, name)
  local bad = bad_value(role, LIMITS.id_max, name)
  if bad then return bad end
  if not role:find("^[%w%.%-_@]+$") or role == "." or role == ".." then
    return name .. " must be a RAM role name (letters, digits, . - _ @)"
  end
end

-- The IMDSv2 token, or nil and why.
local function imds_token(fetch, base)
  local status, body = fetch { method = "PUT", url = base .. "/latest/api/token",
    headers = { ["x-aliyun-ecs-metadata-token-ttl-seconds"] = IMDS_TOKEN_TTL_S },
    timeout = IMDS_TIMEOUT_MS }
  if not status then return nil, cleaned(body) end
  if status ~= 200 then return nil, "HTTP " .. tostring(status) end
  if bad_value(body, LIMITS.token_max, "") then
    return nil, "the token is not printable ASCII of at most " .. LIMITS.token_max .. " bytes"
  end
  return body
end

-- The ECS RAM role from the instance metadata service: an IMDSv2 token,
-- then the role's credentials (role discovered when not named). A step
-- that fails with the token is tried again without it, unless IMDSv1 is
-- disabled, as the official provider does.
function M.ecs_ram_role(o)
  o = o or {}
  local getenv = env_of(o)
  local base = (o.imds_endpoint or IMDS_ENDPOINT):gsub("/+$", "")
  local path = base .. "/latest/meta-data/ram/security-credentials/"

  -- The steps answer why they failed without saying where: step() does.
  local function get_role(fetch, token, secrets)
    local status, body = fetch { method = "GET", url = path, timeout = IMDS_TIMEOUT_MS,
      headers = { ["x-aliyun-ecs-metadata-token"] = token } }
    if status ~= 200 then
      return nil, status and ("HTTP " .. tostring(status)) or cleaned(body, secrets)
    end
    local role = type(body) == "string" and trim(body) or ""
    if bad_role(role, "the role") then
      return nil, "the metadata service named no usable role"
    end
    return role
  end

  local function get_creds(fetch, token, secrets, role)
    local t, err = fetch_json(fetch, { method = "GET", url = path .. pct(role),
      headers = { ["x-aliyun-ecs-metadata-token"] = token }, timeout = IMDS_TIMEOUT_MS },
      nil, secrets)
    if not t then return nil, err end
    if t.Code ~= "Success" then
      return nil, "Code " .. (t.Code ~= nil and cleaned(t.Code, secrets) or "missing") .. ", not Success"
    end
    return from_answer(t)
  end

  return { name = "ecs_ram_role", get = function(_, _, fetch)
    if switched_on(getenv, "ALIBABA_CLOUD_ECS_METADATA_DISABLED") then
      return nil, "disabled by ALIBABA_CLOUD_ECS_METADATA_DISABLED"
    end
    local role = o.role_name or nonempty(getenv("ALIBABA_CLOUD_ECS_METADATA"))
    if role then                          -- checked before anything is sent
      local bad = bad_role(role, o.role_name and "role_name" or "ALIBABA_CLOUD_ECS_METADATA")
      if bad then return nil, bad end
    end
    local v1_off = switched_on(getenv, "ALIBABA_CLOUD_IMDSV1_DISABLED")
    local token, why = imds_token(fetch, base)
    if not token and v1_off then
      return nil, "no IMDSv2 token from " .. base .. " (" .. why .. ") and IMDSv1 is disabled"
    end
    local secrets = secrets_of(token)
    local function step(where, fn, ...)
      local r, err = fn(fetch, token, secrets, ...)
      if not r and token and not v1_off then
        local r1, err1 = fn(fetch, nil, secrets, ...)
        if r1 then return r1 end
        err = err .. "; without the IMDSv2 token: " .. err1
      end
      if r then return r end
      return nil, where .. ": " .. err
    end
    if not role then
      role, why = step("no role from " .. base, get_role)
      if not role then return nil, why end
    end
    return step("ECS RAM role " .. role, get_creds, role)
  end }
end

-- ALIBABA_CLOUD_CREDENTIALS_URI: GET, the official fields; Code is not
-- looked at, as the official provider does not.
function M.uri(o)
  o = o or {}
  local getenv = env_of(o)
  return { name = "credentials_uri", get = function(_, _, fetch)
    local url = o.url or nonempty(getenv("ALIBABA_CLOUD_CREDENTIALS_URI"))
    if not url then return nil, "ALIBABA_CLOUD_CREDENTIALS_URI is not set" end
    if bad_value(url, 4096, "") or not url:find("^[hH][tT][tT][pP][sS]?://") then
      return nil, (o.url and "url" or "ALIBABA_CLOUD_CREDENTIALS_URI")
        .. " must be an http:// or https:// URL of printable ASCII"
    end
    local t, err = fetch_json(fetch, { method = "GET", url = url }, "credentials URI")
    if not t then return nil, err end
    return from_answer(t, "credentials URI")
  end }
end

-- --------------------------------------------------------- files

-- The INI file and the aliyun CLI profile (sls/credentials/files.lua).
require("sls.credentials.files")(M, { credentials = credentials, env_of = env_of,
  nonempty = nonempty, switched_on = switched_on, trim = trim, read_bounded = read_bounded,
  SOURCE_DEPTH_MAX = SOURCE_DEPTH_MAX })

-- The default chain, in the official order; the provider that worked is
-- asked first next time. o: profile (the CLI and INI profile, over
-- ALIBABA_CLOUD_PROFILE), env, home, sts_endpoint, imds_endpoint (the last
-- two for tests; the defaults are the official hosts).
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
  end
  local providers = { M.environment(o), M.oidc { env = o.env, sts_endpoint = o.sts_endpoint },
                      M.cli_profile(o), M.profile(o), M.ecs_ram_role(o), M.uri(o) }
  local labels = { environment = "environment", oidc = "OIDC", cli_profile = "CLI profile",
                   profile = "credentials file", ecs_ram_role = "ECS RAM role",
                   credentials_uri = "credentials URI" }
  local chain = { name = "chain" }
  function chain.get(self, now, fetch)
    -- The provider that answered last is asked first, then the others in
    -- order. A provider's third answer, true, says its source is set but
    -- unusable: the chain ends there.
    local why, last = {}, self.last
    local order = { last }
    for _, p in ipairs(providers) do
      if p ~= last then order[#order + 1] = p end
    end
    self.last = nil
    for _, p in ipairs(order) do
      local creds, err, final = p:get(now, fetch)
      if creds then
        self.last = p
        return creds
      end
      why[#why + 1] = labels[p.name] .. ": " .. cleaned(err)
      if final then return nil, "no credentials: " .. why[#why] end
    end
    return nil, "no credentials: tried " .. table.concat(why, "; ")
  end
  return chain
end

return M
