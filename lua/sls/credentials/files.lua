-- The file-based credential providers of sls.credentials: the INI file
-- (~/.alibabacloud/credentials, read as the official library's npm `ini`
-- reads it) and the aliyun CLI's profile file (~/.aliyun/config.json).
-- sls/credentials.lua installs them into its module table (M.profile,
-- M.cli_profile, M._parse_ini) with the helpers they share; nothing here is
-- meant to be required on its own.
local cjson = require "cjson.safe"

return function(M, util)
local credentials, env_of, nonempty, switched_on = util.credentials, util.env_of,
  util.nonempty, util.switched_on
local trim, read_bounded = util.trim, util.read_bounded
local SOURCE_DEPTH_MAX = util.SOURCE_DEPTH_MAX

-- A key, value or section name as the official parser (npm ini 1.3.x,
-- unsafe()) reads it: trimmed; "..." decoded as JSON, '...' stripped; else
-- cut at the first ; or # that no backslash escapes.
local function ini_text(v)
  v = trim(v)
  local q = v:sub(1, 1)
  if (q == '"' or q == "'") and v:sub(-1) == q then
    if q == "'" then v = v:sub(2, -2) end
    local s = cjson.decode(v)
    return type(s) == "string" and s or v
  end
  local out, esc = {}, false
  for i = 1, #v do
    local c = v:sub(i, i)
    if esc then
      out[#out + 1] = (c == "\\" or c == ";" or c == "#") and c or "\\" .. c
      esc = false
    elseif c == ";" or c == "#" then
      break
    elseif c == "\\" then
      esc = true
    else
      out[#out + 1] = c
    end
  end
  if esc then out[#out + 1] = "\\" end
  return trim(table.concat(out))
end

-- The INI file's sections, { name = { key = value } }, as the official
-- parser reads them: lines that start with ; or # (after blanks) are
-- comments; "[name]" must fill its line; a repeated section adds to the
-- first; a key without "=" is true; the values true, false and null are
-- JSON's; "key[]" makes a list.
local function parse_ini(text)
  local sections, current = {}, {}
  for line in text:gmatch("[^\r\n]+") do
    if not line:find("^%s*[;#]") then
      local name = line:match("^%[([^%]]*)%]$")
      if name then
        name = ini_text(name)
        sections[name] = sections[name] or {}
        current = sections[name]
      else
        local k, eq, v = line:match("^([^=]+)(=?)(.*)$")
        if k then
          k = ini_text(k)
          local value = true
          if eq == "=" then
            value = ini_text(v)
            if value == "true" then value = true
            elseif value == "false" then value = false
            elseif value == "null" then value = nil end
          end
          if #k > 2 and k:sub(-2) == "[]" then
            k = k:sub(1, -3)
            if type(current[k]) ~= "table" then current[k] = current[k] and { current[k] } or {} end
          end
          if type(current[k]) == "table" then
            current[k][#current[k] + 1] = value
          else
            current[k] = value
          end
        end
      end
    end
  end
  return sections
end
M._parse_ini = parse_ini

-- A credentials file's text, at most FILE_MAX bytes: nil when there is no
-- such file, false and why when it is too big to be one.
local FILE_MAX = 1024 * 1024
local function read_file(path)
  local text = read_bounded(path, FILE_MAX)
  if text == false then return false, path .. " is over 1 MiB: not a credentials file" end
  return text
end

-- A string field of a profile: the value, nil when absent, or false and why.
local function field(t, key, where)
  local v = t[key]
  if v == nil or v == "" then return nil end
  if type(v) ~= "string" then return false, ("%s of %s must be a string"):format(key, where) end
  return v
end

-- Fixed keys from a profile's fields, checked now; a reason names the
-- fields missing, and only those.
local function fixed_from(p, where, keys)
  local missing = {}
  for _, k in ipairs(keys) do
    if p[k] == nil or p[k] == "" then missing[#missing + 1] = k end
  end
  if #missing > 0 then
    return nil, ("%s: %s %s required"):format(where, table.concat(missing, " and "),
                                             #missing > 1 and "are" or "is")
  end
  local names = {}
  for i, k in ipairs(keys) do names[i] = k .. " of " .. where end
  local id, secret, token = p[keys[1]], p[keys[2]], keys[3] and p[keys[3]]
  local creds, why = credentials(id, secret, token or nil, nil, names)
  if not creds then return nil, why end
  return M.static { access_key_id = id, access_key_secret = secret, security_token = token or nil,
                    names = names }
end

-- A provider whose inner provider is built from a file and rebuilt when the
-- file's text (or the profile picked) changes. read(o, getenv) answers the
-- cache key and build(), or nil and why.
local function file_provider(name, o, read)
  local getenv = env_of(o)
  local inner, inner_key
  return { name = name, get = function(_, now, fetch)
    local key, build, where = read(o, getenv)
    if not key then return nil, build end
    if key ~= inner_key then
      local p, why = build()
      if not p then return nil, why end
      inner, inner_key = p, key
    end
    local creds, err = inner:get(now, fetch)
    if not creds then
      inner_key = nil                     -- read the file again next time
      return nil, where .. ": " .. tostring(err)
    end
    return creds
  end }
end

local INI_TYPES = "access_key, ecs_ram_role or ram_role_arn"

-- The INI file: ALIBABA_CLOUD_CREDENTIALS_FILE, else
-- ~/.alibabacloud/credentials, then ~/.alibabacloud/credentials.ini; the
-- section o.profile, else ALIBABA_CLOUD_PROFILE, else default. `type` is
-- required, as in the official provider.
function M.profile(o)
  o = o or {}
  return file_provider("profile", o, function(_, getenv)
    local paths = {}
    local given = o.path or nonempty(getenv("ALIBABA_CLOUD_CREDENTIALS_FILE"))
    if given then
      paths[1] = given
    else
      local home = o.home or nonempty(getenv("HOME"))
      if not home then return nil, "HOME is not set" end
      paths = { home .. "/.alibabacloud/credentials", home .. "/.alibabacloud/credentials.ini" }
    end
    local text, path, why
    for _, p in ipairs(paths) do
      text, why = read_file(p)
      if text == false then return nil, why end
      if text then path = p break end
    end
    if not text then
      return nil, "no file " .. (given or (paths[1] .. "(.ini)"))
    end
    local name = nonempty(o.profile) or nonempty(o.name) or nonempty(getenv("ALIBABA_CLOUD_PROFILE"))
      or "default"
    local s = parse_ini(text)[name]
    if not s then return nil, ("no section [%s] in %s"):format(name, path) end
    local where = ("[%s] in %s"):format(name, path)
    return path .. "\0" .. name .. "\0" .. text, function()
      local kind = s.type
      if kind == nil then return nil, where .. ": type is required (" .. INI_TYPES .. ")" end
      if kind == "access_key" then
        return fixed_from(s, where, { "access_key_id", "access_key_secret" })
      elseif kind == "ram_role_arn" then
        local source, why = fixed_from(s, where, { "access_key_id", "access_key_secret" })
        if not source then return nil, why end
        local t = {}
        for _, k in ipairs { "role_arn", "role_session_name", "policy", "external_id" } do
          local v, bad = field(s, k, where)
          if v == false then return nil, bad end
          t[k] = v
        end
        t.role_arn = t.role_arn or nonempty(getenv("ALIBABA_CLOUD_ROLE_ARN"))
        if not t.role_arn then return nil, where .. ": role_arn is required" end
        return M.assume_role { source = source, role_arn = t.role_arn,
          role_session_name = t.role_session_name, policy = t.policy,
          external_id = t.external_id, sts_endpoint = o.sts_endpoint, env = o.env }
      elseif kind == "ecs_ram_role" then
        local role, bad = field(s, "role_name", where)
        if role == false then return nil, bad end
        return M.ecs_ram_role { role_name = role, env = o.env, imds_endpoint = o.imds_endpoint }
      end
      return nil, ("%s: unknown type '%s' (%s)"):format(where, tostring(kind), INI_TYPES)
    end, where
  end)
end

local CLI_MODES = "AK, StsToken, RamRoleArn, ChainableRamRoleArn, EcsRamRole and OIDC"

-- The provider for the profile `name` of an aliyun CLI configuration.
local function cli_provider(conf, name, path, o, getenv, depth)
  if depth > SOURCE_DEPTH_MAX then
    return nil, ("source_profile goes deeper than %d profiles in %s (a loop?)")
      :format(SOURCE_DEPTH_MAX, path)
  end
  local p
  for _, q in ipairs(conf.profiles) do
    if type(q) == "table" and q.name == name then p = q break end
  end
  if not p then return nil, ("no profile '%s' in %s"):format(tostring(name), path) end
  local where = ("profile '%s' in %s"):format(name, path)
  local t = {}
  for _, k in ipairs { "ram_role_arn", "ram_session_name", "sts_region", "sts_endpoint",
                       "external_id", "ram_role_name", "oidc_provider_arn", "oidc_token_file",
                       "source_profile" } do
    local v, bad = field(p, k, where)
    if v == false then return nil, bad end
    t[k] = v
  end
  local mode = p.mode
  local function assume(source)
    local role = t.ram_role_arn or nonempty(getenv("ALIBABA_CLOUD_ROLE_ARN"))
    if not role then return nil, where .. ": ram_role_arn is required" end
    return M.assume_role { source = source, role_arn = role, role_session_name = t.ram_session_name,
      duration = p.expired_seconds, external_id = t.external_id, sts_region = t.sts_region,
      sts_endpoint = o.sts_endpoint or t.sts_endpoint, enable_vpc = p.enable_vpc, env = o.env }
  end
  if mode == "AK" then
    return fixed_from(p, where, { "access_key_id", "access_key_secret" })
  elseif mode == "StsToken" then
    return fixed_from(p, where, { "access_key_id", "access_key_secret", "sts_token" })
  elseif mode == "RamRoleArn" then
    local source, why = fixed_from(p, where, { "access_key_id", "access_key_secret" })
    if not source then return nil, why end
    return assume(source)
  elseif mode == "ChainableRamRoleArn" then
    if not t.source_profile then return nil, where .. ": source_profile is required" end
    local source, why = cli_provider(conf, t.source_profile, path, o, getenv, depth + 1)
    if not source then return nil, why end
    return assume(source)
  elseif mode == "EcsRamRole" then
    return M.ecs_ram_role { role_name = t.ram_role_name, env = o.env, imds_endpoint = o.imds_endpoint }
  elseif mode == "OIDC" then
    return M.oidc { role_arn = t.ram_role_arn, oidc_provider_arn = t.oidc_provider_arn,
      oidc_token_file = t.oidc_token_file, role_session_name = t.ram_session_name,
      duration = p.duration_seconds, sts_region = t.sts_region, enable_vpc = p.enable_vpc,
      sts_endpoint = o.sts_endpoint, env = o.env }
  end
  return nil, ("%s: unsupported mode '%s' (lua-sls supports %s)"):format(where,
    tostring(mode), CLI_MODES)
end

-- The aliyun CLI's profile: ~/.aliyun/config.json, the profile o.profile,
-- else ALIBABA_CLOUD_PROFILE, else the file's `current`. Off with
-- ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true.
function M.cli_profile(o)
  o = o or {}
  return file_provider("cli_profile", o, function(_, getenv)
    if switched_on(getenv, "ALIBABA_CLOUD_CLI_PROFILE_DISABLED") then
      return nil, "disabled by ALIBABA_CLOUD_CLI_PROFILE_DISABLED"
    end
    local home = o.home or nonempty(getenv("HOME"))
    if not home then return nil, "HOME is not set" end
    local path = home .. "/.aliyun/config.json"
    local text, why = read_file(path)
    if text == false then return nil, why end
    if not text then return nil, "no file " .. path end
    local conf = cjson.decode(text)
    if type(conf) ~= "table" then return nil, path .. " is not JSON" end
    if type(conf.profiles) ~= "table" or #conf.profiles == 0 then
      return nil, "no profiles in " .. path
    end
    local name = nonempty(o.profile) or nonempty(getenv("ALIBABA_CLOUD_PROFILE"))
      or nonempty(conf.current)
    if type(name) ~= "string" then
      return nil, "no profile picked: ALIBABA_CLOUD_PROFILE is not set and " .. path
        .. " has no current"
    end
    return name .. "\0" .. text, function()
      return cli_provider(conf, name, path, o, getenv, 0)
    end, ("profile '%s' in %s"):format(name, path)
  end)
end
end
