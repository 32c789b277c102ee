-- Every option of every function, tried with wrong types, out-of-range and
-- edge values (0, -1, max, max + 1, 2^53, NaN, inf, huge strings, NUL bytes,
-- control characters, non-UTF-8). Each bad value raises the exact message;
-- each good edge value is accepted; a rejected call sends nothing. The
-- expected messages are derived here from each option's documented range,
-- independently of src/args.c.
local H = require "spec.helpers"
local sls = require "sls"

local HUGE = string.rep("x", 10 * 1024 * 1024)
local NON_UTF8 = "\255\254\195\040"   -- decimal escapes: Lua 5.1 has no \x

-- How a value is shown in a message (README: "the value given").
local function show(v)
  local t = type(v)
  if t == "number" then
    if v ~= v then return "nan" end
    if v == math.huge then return "inf" end
    if v == -math.huge then return "-inf" end
    if math.type and math.type(v) == "integer" then return tostring(v) end
    return ("%.14g"):format(v)
  elseif t == "string" then
    local out = {}
    for i = 1, math.min(#v, 40) do
      local c = v:byte(i)
      if c == 34 or c == 92 then out[#out + 1] = "\\" .. string.char(c)
      elseif c < 32 or c == 127 then out[#out + 1] = "\\" .. c
      else out[#out + 1] = string.char(c) end
    end
    return '"' .. table.concat(out) .. (#v > 40 and '..."' or '"')
  elseif t == "nil" or t == "boolean" then
    return tostring(v)
  end
  return t
end

-- Cases for one option: { value, expected message or false (accepted) }.
local function int_cases(fn, name, lo, hi)
  local function bad(v)
    return { v, ("%s: option '%s' must be an integer in %d..%d (got %s)"):format(fn, name, lo, hi, show(v)) }
  end
  local cases = { { lo, false }, { hi, false }, bad(lo - 1), bad(hi + 1), bad(2 ^ 53),
                  bad(0 / 0), bad(math.huge), bad(-math.huge), bad(lo + 0.5), bad("1"),
                  bad(true), bad({}) }
  if lo > 0 then cases[#cases + 1] = bad(0); cases[#cases + 1] = bad(-1) end
  return cases
end

local function str_cases(fn, name, max, o)
  o = o or {}
  local function show_value(v) return o.secret and "a secret, not shown" or show(v) end
  local cases = {
    { o.edge or string.rep("a", max), false },
    { 5, ("%s: option '%s' must be a string (got %s)"):format(fn, name, o.secret and "number" or "5") },
    { true, ("%s: option '%s' must be a string (got %s)"):format(fn, name, o.secret and "boolean" or "true") },
    { {}, ("%s: option '%s' must be a string (got table)"):format(fn, name) },
    { string.rep("a", max + 1), ("%s: option '%s' must be at most %d bytes (got %d bytes)"):format(fn, name, max, max + 1) },
    { HUGE, ("%s: option '%s' must be at most %d bytes (got %d bytes)"):format(fn, name, max, #HUGE) },
    { "a\0b", ("%s: option '%s' must not contain control characters or NUL bytes (got %s)"):format(fn, name, show_value("a\0b")) },
    { "a\nb", ("%s: option '%s' must not contain control characters or NUL bytes (got %s)"):format(fn, name, show_value("a\nb")) },
  }
  if o.nonempty then cases[#cases + 1] = { "", ("%s: option '%s' must not be empty"):format(fn, name) } end
  if o.ascii then
    cases[#cases + 1] = { NON_UTF8, ("%s: option '%s' must be printable ASCII (got %s)"):format(fn, name, show_value(NON_UTF8)) }
  elseif o.non_utf8_ok ~= false then
    cases[#cases + 1] = { NON_UTF8, o.non_utf8 or false }
  end
  return cases
end

local function bool_cases(fn, name)
  local function bad(v) return { v, ("%s: option '%s' must be a boolean (got %s)"):format(fn, name, show(v)) } end
  return { { true, false }, { false, false }, bad(1), bad(0), bad("true"), bad({}), bad(0 / 0) }
end

local function enum_cases(fn, name, choices)
  local list = {}
  for i, c in ipairs(choices) do list[i] = '"' .. c .. '"' end
  local allowed = #list == 2 and (list[1] .. " or " .. list[2])
    or (table.concat(list, ", ", 1, #list - 1) .. " or " .. list[#list])
  local function bad(v) return { v, ("%s: option '%s' must be %s (got %s)"):format(fn, name, allowed, show(v)) } end
  return { { choices[1], false }, bad(""), bad(choices[1]:upper()), bad(1), bad(true), bad(NON_UTF8), bad(HUGE) }
end

-- Each function: how to call it with one option set, a base of valid
-- options, and its options' schemas.
local client_base = H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" })
local embed_base = { ticket = "t", project = "p", dashboard = "d" }
-- The log search page's options (query, key_display_mode) are refused on a
-- dashboard: they are tried on a logstore page.
local search_base = { ticket = "t", project = "p", logstore = "l" }

-- filters: a string or a list of them, each checked as a string option.
local function filters_cases()
  local fn, name = "sls.embed_url", "filters"
  local cases = {}
  for _, c in ipairs(str_cases(fn, name, 65536, { nonempty = true })) do
    local v, want = c[1], c[2]
    if want and type(v) ~= "string" and type(v) ~= "table" then
      want = ("%s: option 'filters' must be a string or a list of strings (got %s)"):format(fn, show(v))
    elseif type(v) == "table" then
      want = fn .. ": option 'filters' must not be an empty list"
    end
    cases[#cases + 1] = { v, want }
    -- The same value as the second entry of a list.
    if type(v) == "string" then
      cases[#cases + 1] = { { "k:v", v }, want and want:gsub("option 'filters'", "option 'filters[2]'") }
    end
  end
  return cases
end

local targets = {
  { fn = "sls.new", base = client_base,
    call = function(opts) return sls.new(opts) end,
    options = {
      -- The longest host name DNS allows, with the longest scheme and port.
      endpoint = str_cases("sls.new", "endpoint", 300, { nonempty = true, non_utf8_ok = false,
                           edge = "https://" .. string.rep("a", 253) .. ":65535" }),
      region = str_cases("sls.new", "region", 63, { nonempty = true, non_utf8_ok = false }),
      signature_version = enum_cases("sls.new", "signature_version", { "v1", "v4" }),
      access_key_id = str_cases("sls.new", "access_key_id", 256, { nonempty = true, ascii = true }),
      access_key_secret = str_cases("sls.new", "access_key_secret", 256, { nonempty = true, secret = true }),
      security_token = str_cases("sls.new", "security_token", 16384, { nonempty = true, secret = true, ascii = true }),
      connect_timeout = int_cases("sls.new", "connect_timeout", 1, 600000),
      timeout = int_cases("sls.new", "timeout", 1, 600000),
      max_attempts = int_cases("sls.new", "max_attempts", 1, 10),
      ssl_verify = bool_cases("sls.new", "ssl_verify"),
      ca_file = str_cases("sls.new", "ca_file", 4096, { nonempty = true }),
      ca_path = str_cases("sls.new", "ca_path", 4096, { nonempty = true }),
      user_agent = str_cases("sls.new", "user_agent", 256, { ascii = true }),
      transport = enum_cases("sls.new", "transport", { "auto", "curl", "ngx" }),
    } },
  { fn = "create_ticket", base = {},
    call = function(opts, client) return client:create_ticket(opts) end,
    accept = function(opts, client) return sls._prepare(client, "create_ticket", opts) end,
    options = {
      expiration_time = int_cases("create_ticket", "expiration_time", 1, 2592000),
      access_token_expiration_time = int_cases("create_ticket", "access_token_expiration_time", 1, 86400),
    } },
  { fn = "refresh_token", base = { ticket = "t" },
    call = function(opts, client) return client:refresh_token(opts) end,
    accept = function(opts, client) return sls._prepare(client, "refresh_token", opts) end,
    options = {
      ticket = str_cases("refresh_token", "ticket", 16384, { nonempty = true }),
      access_token_expiration_time = int_cases("refresh_token", "access_token_expiration_time", 1, 86400),
    } },
  { fn = "sls.embed_url", base = embed_base,
    call = function(opts) return sls.embed_url(opts) end,
    options = {
      ticket = str_cases("sls.embed_url", "ticket", 16384, { nonempty = true }),
      project = str_cases("sls.embed_url", "project", 256, { nonempty = true }),
      dashboard = str_cases("sls.embed_url", "dashboard", 1024, { nonempty = true }),
      region = str_cases("sls.embed_url", "region", 63, { nonempty = true }),
      query = str_cases("sls.embed_url", "query", 65536, {}),
      filters = filters_cases(),
      key_filter = str_cases("sls.embed_url", "key_filter", 65536, { nonempty = true }),
      tree_config = str_cases("sls.embed_url", "tree_config", 65536, { nonempty = true }),
      key_display_mode = enum_cases("sls.embed_url", "key_display_mode", { "single", "multi" }),
      tree_base64 = { { "x", "sls.embed_url: option 'tree_base64' must be a boolean (got \"x\")" } },
      token = str_cases("sls.embed_url", "token", 65536, { nonempty = true }),
      share = bool_cases("sls.embed_url", "share"),
      hide_topbar = bool_cases("sls.embed_url", "hide_topbar"),
      read_only = bool_cases("sls.embed_url", "read_only"),
      hidden_reset = bool_cases("sls.embed_url", "hidden_reset"),
      query_base64 = { { "x", "sls.embed_url: option 'query_base64' must be a boolean (got \"x\")" } },
      theme = enum_cases("sls.embed_url", "theme", { "light", "dark" }),
      start_time = { { 2 ^ 53, "sls.embed_url: option 'start_time' must be an integer in 0..253402300799 (got "
                       .. show(2 ^ 53) .. ")" },
                     { -1, "sls.embed_url: option 'start_time' must be an integer in 0..253402300799 (got -1)" },
                     { 0 / 0, "sls.embed_url: option 'start_time' must be an integer in 0..253402300799 (got nan)" },
                     { true, "sls.embed_url: option 'start_time' must be an integer in 0..253402300799 (got true)" },
                     { "", "sls.embed_url: option 'start_time' must not be empty" },
                     { "-" .. ("1"):rep(31) .. "m", "sls.embed_url: option 'start_time' must be at most 32 bytes (got 33 bytes)" },
                     { "-1m\0", 'sls.embed_url: option \'start_time\' must not contain control characters or NUL bytes (got "-1m\\0")' },
                     { "-999999999m", false }, { "-1" .. ("d"):rep(8), false } },
      end_time = { { 253402300800, "sls.embed_url: option 'end_time' must be an integer in 0..253402300799 (got 253402300800)" },
                   { -0.5, "sls.embed_url: option 'end_time' must be an integer in 0..253402300799 (got -0.5)" },
                   { {}, "sls.embed_url: option 'end_time' must be an integer in 0..253402300799 (got table)" },
                   { "now", false }, { "absolute", false }, { "-1s", false },
                   { "NOW", 'sls.embed_url: option \'end_time\' must be Unix seconds, or for time_type -2 and -3 a relative time such as "now", "absolute" or "-5m" (got "NOW")' } },
      time_type = { { 100, "sls.embed_url: option 'time_type' must be an integer in -3..99 (got 100)" },
                    { -4, "sls.embed_url: option 'time_type' must be an integer in -3..99 (got -4)" },
                    { math.huge, "sls.embed_url: option 'time_type' must be an integer in -3..99 (got inf)" } },
    } },
}

-- Options whose good edge values need more than the base to be accepted.
local companions = {
  ["sls.new"] = { region = { signature_version = "v1" }, signature_version = { region = "cn-shanghai" } },
  ["sls.embed_url"] = { start_time = { time_type = -2, end_time = "now" },
                        end_time = { time_type = -2, start_time = "-1h" } },
}
-- Options tried on another page than the target's base.
local bases = { ["sls.embed_url"] = { query = search_base, key_display_mode = search_base } }

local total = 0

describe("every option with bad and edge values", function()
  local emu, client
  setup(function()
    emu = H.start_emulator()
    client = emu:client()
  end)
  teardown(function() emu:stop() end)

  for _, t in ipairs(targets) do
    local names = {}
    for name in pairs(t.options) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      for i, case in ipairs(t.options[name]) do
        local value, want = case[1], case[2]
        total = total + 1
        it(("%s %s #%d: %s"):format(t.fn, name, i, want and "rejects " .. show(value):sub(1, 24) or "accepts the edge value"), function()
          local opts = H.merge((bases[t.fn] or {})[name] or t.base, (companions[t.fn] or {})[name],
                               { [name] = value })
          if want then
            local before = emu:requests()
            local ok, err = pcall(t.call, opts, client)
            assert.is_false(ok, "accepted " .. show(value))
            assert.equal(want, (tostring(err):gsub("^[^\n]-:%d+: ", "")))
            assert.equal(before, emu:requests())
            H.assert_no_secret(err)
          else
            local ok, err = pcall(t.accept or t.call, opts, client)
            assert.is_true(ok, err)
          end
        end)
      end
    end
  end

  it("tried the whole table", function()
    print(("\n   bad-input table: %d cases"):format(total))
    assert.is_true(total > 250)
  end)
end)
