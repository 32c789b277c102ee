-- Hostile option tables (SPEC.md section 6): proxies whose __index makes
-- every value afresh and collects garbage first, so a value C did not keep
-- referenced is freed and its memory reused before C reads it; __index that
-- raises or answers absurd types; __pairs and __len; extreme numbers; long
-- strings and NUL bytes. Each case asserts the exact outcome. make test runs
-- this file under AddressSanitizer + UBSan and under valgrind as well.
local H = require "spec.helpers"
local sls = require "sls"

-- A string written "@..." in a recipe is handed out afresh on every read:
-- the proxy answers v:sub(2), a new string that only the caller holds (no
-- literal of this file has that content, so not even a short, interned
-- string is kept alive by a constant). A function in a recipe makes the
-- value (a fresh list or table) on every read.
local function churn(sizes)
  -- Fills what the collection freed with other bytes of the same sizes.
  for _, n in ipairs(sizes) do
    for i = 1, 4 do local _ = ("\0"):rep(n + i - 3) .. i end
  end
end

local function proxy(recipe, reads)
  local sizes = {}
  for _, v in pairs(recipe) do
    if type(v) == "string" then sizes[#sizes + 1] = #v end
  end
  return setmetatable({}, { __index = function(_, k)
    if reads then reads[k] = (reads[k] or 0) + 1 end
    collectgarbage("collect")
    churn(sizes)
    local v = recipe[k]
    if type(v) == "function" then return v() end
    if type(v) == "string" and v:sub(1, 1) == "@" then return v:sub(2) end
    return v
  end })
end

-- The same options in a plain table, for the expected result.
local function plain(recipe)
  local t = {}
  for k, v in pairs(recipe) do
    if type(v) == "function" then v = v() end
    if type(v) == "string" then v = (v:gsub("^@", "")) end
    t[k] = v
  end
  return t
end

-- An __index that answers once from one recipe and then from another: what
-- C checked must be what it uses.
local function two_faced(first, later)
  local seen = {}
  return setmetatable({}, { __index = function(_, k)
    local v
    if seen[k] then v = later[k] else v = first[k] end
    seen[k] = true
    if type(v) == "string" then v = (v:gsub("^@", "")) end
    return v
  end })
end

-- The error a call raises; a string loses the position luaL_error adds when
-- the C function was reached by a tail call.
local function raised(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "expected a raise")
  if type(err) == "string" then err = err:gsub("^[^\n]-:%d+: ", "") end
  return err
end

local LONG = ("x"):rep(50)                      -- over 40 bytes: never interned
local ID = "LTAI" .. ("h"):rep(60)
local SECRET = ("s"):rep(100)
local TOKEN = ("t"):rep(300)
local T0 = 1700000000

-- How a number is shown in a message, independently of src/args.c.
local function show(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  if math.type and math.type(v) == "integer" then return tostring(v) end
  return ("%.14g"):format(v)
end

describe("hostile option tables", function()
  local emu
  setup(function() emu = H.start_emulator() end)
  teardown(function() emu:stop() end)

  describe("__index answering fresh values", function()
    it("sls.new keeps every string it reads until it has copied it", function()
      local recipe = {
        endpoint = "@http://" .. ("a"):rep(50) .. ".example:8080",
        region = "@cn-" .. ("z"):rep(50), signature_version = "@v4",
        access_key_id = "@" .. ID, access_key_secret = "@" .. SECRET,
        security_token = "@" .. TOKEN, connect_timeout = 1000, timeout = 2000,
        max_attempts = 2, ssl_verify = true, ca_file = "@/nonexistent/" .. LONG,
        ca_path = "@/nonexistent/" .. LONG, user_agent = "@agent-" .. LONG,
        transport = "@curl", sts_endpoint = "@https://sts." .. LONG .. ".example",
      }
      local want = sls._prepare(sls.new(plain(recipe)), "create_ticket", { expiration_time = 60 }, T0)
      local got = sls._prepare(sls.new(proxy(recipe)), "create_ticket", { expiration_time = 60 }, T0)
      assert.same(want, got)
      assert.equal("lua-sls/0.1.0 agent-" .. LONG, got.headers["user-agent"])
      assert.equal(TOKEN, got.headers["x-acs-security-token"])
      assert.equal(("a"):rep(50) .. ".example:8080", got.headers.host)
      assert.truthy(got.headers.authorization:find("Credential=" .. ID .. "/20231114/cn-"
        .. ("z"):rep(50) .. "/sls/aliyun_v4_request,", 1, true), got.headers.authorization)
    end)

    it("refresh_token keeps the ticket until the request is built", function()
      local client = emu:client()
      local recipe = { ticket = "@" .. assert(client:create_ticket()).ticket,
                       access_token_expiration_time = 600 }
      local res, err = client:refresh_token(proxy(recipe))
      assert.is_nil(err)
      assert.equal("string", type(res.access_token))
      assert.equal(200, res.status)
      -- And the request, byte for byte, against a plain table.
      local want = sls._prepare(client, "refresh_token", plain(recipe), T0)
      assert.same(want, sls._prepare(client, "refresh_token", proxy(recipe), T0))
      assert.equal(#recipe.ticket - 1, #want.path:match("ticket=([^&]*)"))
    end)

    it("refresh_token keeps a ticket of the largest size", function()
      local client = sls.new(H.KEY)
      local recipe = { ticket = "@" .. ("k"):rep(16384) }
      assert.same(sls._prepare(client, "refresh_token", plain(recipe), T0),
                  sls._prepare(client, "refresh_token", proxy(recipe), T0))
    end)

    it("create_ticket mints with numbers read through __index", function()
      local client = emu:client()
      local res = assert(client:create_ticket(proxy { expiration_time = 3600,
                                                      access_token_expiration_time = 60 }))
      assert.equal(3600, res.expires_at - math.floor(res.access_token_expires_at - 60))
    end)

    it("a provider's answer is kept until the client has copied it", function()
      local function creds(now)
        return proxy { access_key_id = "@" .. ID, access_key_secret = "@" .. SECRET,
                       security_token = "@" .. TOKEN, expiration = now + 7200 }
      end
      local c = sls.new { endpoint = "http://127.0.0.1:9",
                          credentials = { get = function(_, now) return creds(now) end } }
      local want = sls.new { endpoint = "http://127.0.0.1:9", access_key_id = ID,
                             access_key_secret = SECRET, security_token = TOKEN }
      assert.same(sls._prepare(want, "create_ticket", {}, T0), sls._prepare(c, "create_ticket", {}, T0))
    end)

    it("sls._sign keeps a query and headers map made by __index", function()
      local args = { signature_version = "v1", method = "POST", path = "/tickets",
                     access_key_id = "id", access_key_secret = "secret" }
      local function query() return { ticket = "q" .. LONG } end
      local function headers() return { date = "Thu, 01 Jan 1970 00:00:00 GMT", ["x-log-a"] = "h" .. LONG } end
      local want = sls._sign(H.merge(args, { query = query(), headers = headers() }))
      local recipe = H.merge(args, { query = query, headers = headers })
      assert.equal(want, sls._sign(proxy(recipe)))
    end)

    it("sls.embed_url keeps every value until the link is written", function()
      local recipe = {
        ticket = "@T" .. LONG, project = "@p-" .. LONG, logstore = "@l-" .. LONG,
        region = "@cn-" .. ("r"):rep(45), console = "@https://console.example/" .. LONG,
        share = false, hide_topbar = true, theme = "@dark",
        query = "@* | select " .. ("q"):rep(60000), query_base64 = true,
        read_only = false, hidden_etl = true, hidden_back = true,
        params = function() return { extra = "value " .. LONG, n = 5, flag = true } end,
      }
      local want = sls.embed_url(plain(recipe))
      assert.equal(want, sls.embed_url(proxy(recipe)))
      assert.equal("https://console.example/" .. LONG .. "/lognext/project/p-" .. LONG
        .. "/logsearch/l-" .. LONG .. "?slsRegion=cn-" .. ("r"):rep(45) .. "&sls_ticket=T" .. LONG
        .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&theme=dark&sls_iframe=true",
        want:match("^(.-)&queryString="))
    end)
  end)

  describe("__index answering fresh values on every page", function()
    it("sls.embed_url keeps a dashboard's list of filters, token and times", function()
      local recipe = {
        ticket = "@T" .. LONG, project = "@p", dashboard = "@d-" .. LONG,
        filters = function() return { "k1:" .. LONG, "k2:" .. ("y"):rep(45), "k3:v" } end,
        token = '@[{"key":"k","value":"' .. LONG .. '"}]', auto_fresh = "@15s",
        time_type = -3, start_time = "@-2h", end_time = "@absolute",
        key_filter = '@{"dashboard":["' .. LONG .. '"]}', tree_config = "@{}",
        tree_base64 = true, hidden_reset = true, support_refresh_token = true,
      }
      local want = sls.embed_url(plain(recipe))
      assert.equal(want, sls.embed_url(proxy(recipe)))
      assert.equal("&queryTimeType=-3&startTime=-2h&endTime=absolute&filters=k1%3A" .. LONG
        .. "&filters=k2%3A" .. ("y"):rep(45) .. "&filters=k3%3Av", want:match("&queryTimeType.-&token="):sub(1, -8))
      assert.truthy(want:find("&autoFresh=15s&keyFilter=", 1, true))
    end)

    it("sls.embed_url keeps a log search page's relative times and display mode", function()
      local recipe = {
        ticket = "@T" .. LONG, project = "@p", savedsearch = "@s-" .. LONG,
        time_type = -2, start_time = "@-15m", end_time = "@now", key_display_mode = "@multi",
        query = "@status:" .. LONG,
      }
      local want = sls.embed_url(plain(recipe))
      assert.equal(want, sls.embed_url(proxy(recipe)))
      assert.equal("https://sls.console.aliyun.com/lognext/project/p/savedsearch/s-" .. LONG
        .. "?sls_ticket=T" .. LONG .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true"
        .. "&queryString=status%3A" .. LONG .. "&queryTimeType=-2&startTime=-15m&endTime=now"
        .. "&keyDispalyMode=multi", want)
    end)
  end)

  describe("__index that raises", function()
    local function raising(key)
      local obj = setmetatable({}, { __tostring = function() return "an error object" end })
      return setmetatable({}, { __index = function(_, k)
        if k == key then error(obj, 0) end
      end }), obj
    end

    for _, case in ipairs {
      { "sls.new", "timeout", function(o) return sls.new(o) end },
      { "sls.new", "access_key_secret", function(o) return sls.new(o) end },
      { "create_ticket", "expiration_time", function(o) return sls.new(H.KEY):create_ticket(o) end },
      { "sls.create_ticket", "access_token_expiration_time", function(o) return sls.create_ticket(o) end },
      { "refresh_token", "ticket", function(o) return sls.new(H.KEY):refresh_token(o) end },
      { "sls.refresh_token", "ticket", function(o) return sls.refresh_token(o) end },
      { "sls.embed_url", "ticket", function(o) return sls.embed_url(o) end },
      { "sls.embed_url", "region", function(o) return sls.embed_url(o) end },
    } do
      it(("%s passes on the error of opts.%s unchanged"):format(case[1], case[2]), function()
        local opts, obj = raising(case[2])
        if case[1] == "sls.embed_url" and case[2] ~= "ticket" then
          local inner = opts
          opts = setmetatable({}, { __index = function(t, k)
            if k == "ticket" or k == "project" or k == "logstore" then return "v" end
            return inner[k]
          end })
        end
        assert.equal(obj, raised(case[3], opts))
      end)
    end

    it("a credentials table whose get lookup raises is the caller's error", function()
      local creds = setmetatable({}, { __index = function() error("no get here", 0) end })
      assert.equal("no get here", raised(sls.new, { credentials = creds }))
    end)
  end)

  describe("__index answering absurd types", function()
    local thrower = setmetatable({}, { __tostring = function() error("tostring was called") end })
    local co = coroutine.create(function() end)
    local embed_base = { ticket = "t", project = "p", dashboard = "d" }
    for _, case in ipairs {
      { "sls.new", "timeout", print, "sls.new: option 'timeout' must be an integer in 1..600000 (got function)" },
      { "sls.new", "endpoint", co, "sls.new: option 'endpoint' must be a string (got thread)" },
      { "sls.new", "region", io.stdout, "sls.new: option 'region' must be a string (got userdata)" },
      { "sls.new", "access_key_secret", io.stdout, "sls.new: option 'access_key_secret' must be a string (got userdata)" },
      { "sls.new", "signature_version", thrower, 'sls.new: option \'signature_version\' must be "v1" or "v4" (got table)' },
      { "sls.new", "ssl_verify", thrower, "sls.new: option 'ssl_verify' must be a boolean (got table)" },
      { "sls.new", "credentials", print, "sls.new: option 'credentials' must be a provider, a table with a get method (got function)" },
      { "sls.new", "user_agent", "a\0b", 'sls.new: option \'user_agent\' must not contain control characters or NUL bytes (got "a\\0b")' },
      { "create_ticket", "expiration_time", co, "create_ticket: option 'expiration_time' must be an integer in 1..2592000 (got thread)" },
      { "create_ticket", "access_token_expiration_time", thrower, "create_ticket: option 'access_token_expiration_time' must be an integer in 1..86400 (got table)" },
      { "refresh_token", "ticket", io.stdout, "refresh_token: option 'ticket' must be a string (got userdata)" },
      { "refresh_token", "ticket", "t\0" .. LONG, 'refresh_token: option \'ticket\' must not contain control characters or NUL bytes (got "t\\0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...")' },
      { "sls.embed_url", "ticket", print, "sls.embed_url: option 'ticket' must be a string (got function)" },
      { "sls.embed_url", "params", io.stdout, "sls.embed_url: option 'params' must be a table of name = value (got userdata)" },
      { "sls.embed_url", "theme", thrower, 'sls.embed_url: option \'theme\' must be "light" or "dark" (got table)' },
      { "sls.embed_url", "start_time", print, "sls.embed_url: option 'start_time' must be an integer in 0..253402300799 (got function)" },
      { "sls.embed_url", "share", co, "sls.embed_url: option 'share' must be a boolean (got thread)" },
    } do
      local fn, key, value, want = case[1], case[2], case[3], case[4]
      it(("%s opts.%s = %s: %s"):format(fn, key, type(value), want), function()
        local base = fn == "sls.new" and H.KEY or fn == "sls.embed_url" and embed_base or {}
        local opts = setmetatable({}, { __index = function(_, k)
          if k == key then return value end
          return base[k]
        end })
        local call = ({
          ["sls.new"] = sls.new,
          ["create_ticket"] = function(o) return sls.new(H.KEY):create_ticket(o) end,
          ["refresh_token"] = function(o) return sls.new(H.KEY):refresh_token(o) end,
          ["sls.embed_url"] = sls.embed_url,
        })[fn]
        local err = raised(call, opts)
        assert.equal(want, err)
        H.assert_no_secret(err)
      end)
    end
  end)

  describe("values read once", function()
    it("sls.new reads each option once, and uses what it checked", function()
      local reads = {}
      local c = sls.new(proxy(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }), reads))
      assert.truthy(c)
      for name, n in pairs(reads) do assert.equal(1, n, name) end
      assert.equal(1, reads.credentials)
      assert.equal(1, reads.role_arn)
    end)

    it("a role read through __index is the role the provider gets", function()
      local c = sls.new(two_faced(H.merge(H.KEY, { role_arn = "@acs:ram::1:role/r",
                                                   role_session_name = "@s" }),
                                  { role_arn = 42, role_session_name = {} }))
      local provider = sls._provider(c)
      assert.equal("assume_role", provider.name)
    end)

    it("a provider read through __index is the provider the client keeps", function()
      local provider = { get = function() return nil, "not now" end }
      local c = sls.new(two_faced({ credentials = provider }, { credentials = false }))
      assert.equal(provider, (sls._provider(c)))
    end)

    it("sls.embed_url reads each of its 44 options once", function()
      local reads = {}
      sls.embed_url(proxy({ ticket = "@t", project = "@p", dashboard = "@d", filters = "@a:b",
                            auto_fresh = "@1h", hidden_reset = true, hidden_edit = false }, reads))
      local n = 0
      for name, count in pairs(reads) do
        n = n + 1
        assert.equal(1, count, name)
      end
      assert.equal(44, n)
    end)

    it("sls.embed_url describes the console it checked, not a second read", function()
      local opts = two_faced({ ticket = "@t", project = "@p", logstore = "@l", console = "@ftp://x" },
                             { console = "@https://fine.example" })
      assert.equal('sls.embed_url: option \'console\' must be "cn", "intl" or an http:// or https:// '
        .. 'base URL without query (got "ftp://x")', raised(sls.embed_url, opts))
    end)

    it("sls.embed_url describes the auto_fresh it checked, not a second read", function()
      local opts = two_faced({ ticket = "@t", project = "@p", dashboard = "@d", auto_fresh = "@5x" },
                             { auto_fresh = "@30s" })
      assert.equal('sls.embed_url: option \'auto_fresh\' must be a duration such as "30s", "5m" or '
        .. '"1h", at least 15s (got "5x")', raised(sls.embed_url, opts))
    end)

    it("sls.embed_url checks the page of the value it writes", function()
      -- Once: nil (no scope check), then a value. Read once, nothing is written.
      local opts = two_faced({ ticket = "@t", project = "@p", logstore = "@l" },
                             { hidden_edit = true, auto_fresh = "@30s", filters = "@a:b" })
      assert.equal("https://sls.console.aliyun.com/lognext/project/p/logsearch/l?sls_ticket=t"
        .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&isShare=true",
        sls.embed_url(opts))
    end)

    it("refresh_token reads each option once", function()
      local reads = {}
      local client = sls.new(H.KEY)
      sls._prepare(client, "refresh_token", proxy({ ticket = "@t", access_token_expiration_time = 5 }, reads), T0)
      assert.same({ ticket = 1, access_token_expiration_time = 1 }, reads)
    end)
  end)

  describe("__pairs and __len are not consulted", function()
    local function hiding(t, shown)
      return setmetatable(t, { __pairs = function() return next, shown, nil end })
    end

    it("sls.new still finds a typo that __pairs hides", function()
      local opts = hiding(H.merge(H.KEY, { timeout = 1000, tiemout = 5 }), H.KEY)
      assert.equal("sls.new: unknown option 'tiemout'", raised(sls.new, opts))
    end)

    it("sls.new ignores the names __pairs makes up", function()
      local opts = hiding(H.merge(H.KEY, {}), { bogus = 1 })
      assert.truthy(sls.new(opts))
    end)

    it("create_ticket still finds a typo that __pairs hides", function()
      local opts = hiding({ expire_time = 5 }, {})
      assert.equal("create_ticket: unknown option 'expire_time'",
                   raised(sls.new(H.KEY).create_ticket, sls.new(H.KEY), opts))
    end)

    it("embed_url's names and values may hold any byte, encoded", function()
      assert.equal("https://sls.console.aliyun.com/lognext/project/p/logsearch/l?sls_ticket=t"
        .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&isShare=true&k%00=a%00b%0A",
        sls.embed_url { ticket = "t", project = "p", logstore = "l", params = { ["k\0"] = "a\0b\n" } })
    end)

    it("embed_url reads a filters list raw: __len and __index are not consulted", function()
      local list = setmetatable({ "a:1" }, { __len = function() return 5 end,
                                             __index = function() return "b:2" end })
      assert.equal("https://sls.console.aliyun.com/lognext/project/p/dashboard/d?sls_ticket=t"
        .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&isShare=true&filters=a%3A1",
        sls.embed_url { ticket = "t", project = "p", dashboard = "d", filters = list })
      local empty = setmetatable({}, { __len = function() return 5 end,
                                       __index = function() return "b:2" end })
      assert.equal("sls.embed_url: option 'filters' must not be an empty list",
        raised(sls.embed_url, { ticket = "t", project = "p", dashboard = "d", filters = empty }))
    end)

    it("embed_url reads params raw", function()
      local params = setmetatable({ x = "1" }, {
        __pairs = function() return next, { y = "2" }, nil end,
        __index = function() return "3" end,
      })
      assert.equal("https://sls.console.aliyun.com/lognext/project/p/logsearch/l?sls_ticket=t"
        .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&isShare=true&x=1",
        sls.embed_url { ticket = "t", project = "p", logstore = "l", params = params })
    end)
  end)

  describe("no user code runs to write a value", function()
    local opts = { ticket = "t", project = "p", logstore = "l", params = { n = 5, f = 0.5, b = true } }
    local want = "https://sls.console.aliyun.com/lognext/project/p/logsearch/l?sls_ticket=t"
      .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&isShare=true&b=true&f=0.5&n=5"

    it("writes params numbers without the global tostring", function()
      local saved = tostring
      _G.tostring = function() return "evil" end
      local ok, url = pcall(sls.embed_url, opts)
      _G.tostring = saved
      assert.is_true(ok, url)
      assert.equal(want, url)
    end)

    it("writes params numbers without a number metatable's __tostring", function()
      debug.setmetatable(0, { __tostring = function() return "evil" end })
      local ok, url = pcall(sls.embed_url, opts)
      debug.setmetatable(0, nil)
      assert.is_true(ok, url)
      assert.equal(want, url)
    end)
  end)

  describe("extreme numbers for every numeric option", function()
    local values = { math.huge, -math.huge, 0 / 0, -0.0, 2 ^ 63, -(2 ^ 63), 2 ^ 53 + 2, 1e308, -1e-300 }
    if math.maxinteger then
      values[#values + 1] = math.maxinteger
      values[#values + 1] = math.mininteger
    end
    local options = {
      { "sls.new", "connect_timeout", 1, 600000 }, { "sls.new", "timeout", 1, 600000 },
      { "sls.new", "max_attempts", 1, 10 },
      { "create_ticket", "expiration_time", 1, 2592000 },
      { "create_ticket", "access_token_expiration_time", 1, 86400 },
      { "refresh_token", "access_token_expiration_time", 1, 86400 },
      { "sls.embed_url", "time_type", -3, 99 },
      { "sls.embed_url", "start_time", 0, 253402300799 },
      { "sls.embed_url", "end_time", 0, 253402300799 },
    }
    for _, o in ipairs(options) do
      for _, v in ipairs(values) do
        local fn, name, lo, hi = o[1], o[2], o[3], o[4]
        local want = ("%s: option '%s' must be an integer in %d..%d (got %s)"):format(fn, name, lo, hi, show(v))
        if v == 0 and lo <= 0 then      -- -0.0 is the integer 0: in range
          want = nil
        end
        it(("%s %s = %s"):format(fn, name, show(v)), function()
          local client = sls.new(H.KEY)
          local call = ({
            ["sls.new"] = function() return sls.new(H.merge(H.KEY, { [name] = v })) end,
            ["create_ticket"] = function() return sls._prepare(client, "create_ticket", { [name] = v }, T0) end,
            ["refresh_token"] = function() return sls._prepare(client, "refresh_token", { ticket = "t", [name] = v }, T0) end,
            ["sls.embed_url"] = function()
              local opts = { ticket = "t", project = "p", logstore = "l", [name] = v }
              if name == "start_time" then opts.end_time = 0 end
              if name == "end_time" then opts.start_time = 0 end
              return sls.embed_url(opts)
            end,
          })[fn]
          if want then
            assert.equal(want, raised(call))
          elseif name == "time_type" then
            assert.equal("sls.embed_url: option 'time_type' must be 1..27, -2, -3 or 99 (got 0)", raised(call))
          else
            assert.equal("https://sls.console.aliyun.com/lognext/project/p/logsearch/l?sls_ticket=t"
              .. "&hideTopbar=true&hideSidebar=true&ignoreTabLocalStorage=true&isShare=true"
              .. "&queryTimeType=99&startTime=0&endTime=0", call())
          end
        end)
      end
    end
  end)
end)
