-- Shared by the specs: loading the module under test, the emulator process,
-- and a small HTTP client for the emulator's control endpoints.
local socket = require "socket"
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson.safe"

local H = {}

H.root = os.getenv("SLS_ROOT") or "."
H.lua_tag = _VERSION == "Lua 5.1" and "5.1" or _VERSION:match("%d+%.%d+")
H.lua_bin = os.getenv("SLS_LUA") or (H.lua_tag == "5.1" and "luajit" or "lua" .. H.lua_tag)
package.cpath = H.root .. "/build/" .. (os.getenv("SLS_BUILD") or H.lua_tag) .. "/?.so;"
  .. package.cpath

H.KEY = { access_key_id = "LTAI5tEmulatorKeyId",
          access_key_secret = "EmulatorSecret0123456789abcdef" }
H.STS = { access_key_id = "STS.EmulatorTokenId", access_key_secret = "EmulatorStsSecret",
          security_token = "EmulatorSecurityToken+/=abc" }
-- Every string that must never appear in output.
H.SECRETS = { H.KEY.access_key_secret, H.STS.access_key_secret, H.STS.security_token }

function H.sleep(s) socket.sleep(s) end
function H.now() return socket.gettime() end

function H.merge(...)
  local out = {}
  for i = 1, select("#", ...) do
    for k, v in pairs(select(i, ...) or {}) do out[k] = v end
  end
  return out
end

function H.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

function H.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p " .. p))
  return p
end

-- Runs a shell command; returns its stdout and exit status.
function H.run(cmd)
  local f = assert(io.popen(cmd .. "; echo \"::rc=$?\""))
  local out = f:read("*a")
  f:close()
  local rc = tonumber(out:match("::rc=(%d+)%s*$"))
  return out:gsub("::rc=%d+%s*$", ""), rc
end

local function request(method, url, body)
  local chunks = {}
  local _, code = http.request {
    url = url, method = method,
    source = body and ltn12.source.string(body) or nil,
    headers = body and { ["content-length"] = #body,
                         ["content-type"] = "application/json" } or nil,
    sink = ltn12.sink.table(chunks),
  }
  return code, table.concat(chunks)
end

local Emulator = {}
Emulator.__index = Emulator

-- Starts spec/emulator.py on a free loopback port.
function H.start_emulator(args)
  local dir = H.tmpdir()
  local port_file = dir .. "/port"
  os.execute(("python3 %s/spec/emulator.py --port-file %s %s >%s/log 2>&1 & echo $! >%s/pid")
    :format(H.root, port_file, args or "", dir, dir))
  local deadline = H.now() + 15
  while H.now() < deadline do
    local f = io.open(port_file)
    if f then
      local port = tonumber(f:read("*a"))
      f:close()
      local self = setmetatable({ dir = dir, port = port,
                                  pid = H.read_file(dir .. "/pid"):match("%d+") }, Emulator)
      self.url = "http://127.0.0.1:" .. port
      return self
    end
    H.sleep(0.05)
  end
  error("the emulator did not start: " .. (io.open(dir .. "/log") and H.read_file(dir .. "/log") or ""))
end

function Emulator:stop()
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  os.execute("rm -rf " .. self.dir)
end

function Emulator:control(path, data)
  local code = request("POST", "http://127.0.0.1:" .. self.port .. "/_emulator/" .. path,
                       cjson.encode(data or {}))
  assert(code == 200, "emulator control " .. path .. " failed: " .. tostring(code))
end

function Emulator:reset() self:control("reset") end
function Emulator:fault(...) self:control("faults", { ... }) end
function Emulator:config(t) self:control("config", t) end

function Emulator:stats()
  local code, body = request("GET", "http://127.0.0.1:" .. self.port .. "/_emulator/stats")
  assert(code == 200)
  return cjson.decode(body)
end

function Emulator:requests() return self:stats().requests end

-- A client for this emulator; opts override the defaults.
function Emulator:client(opts)
  return require("sls").new(H.merge(H.KEY, { endpoint = self.url, max_attempts = 1,
                                             timeout = 3000 }, opts))
end

-- Asserts that no secret occurs in any string reachable from the values.
function H.assert_no_secret(...)
  local seen = {}
  local function walk(v)
    if type(v) == "string" then
      for _, s in ipairs(H.SECRETS) do
        assert(not v:find(s, 1, true), "a secret leaked into: " .. v:sub(1, 80))
      end
    elseif type(v) == "table" and not seen[v] then
      seen[v] = true
      for k, x in pairs(v) do walk(k); walk(x) end
    end
  end
  for i = 1, select("#", ...) do walk(select(i, ...)) end
end

-- The Unix time of an RFC 1123 date, computed independently of src/.
function H.parse_http_date(s)
  local d, mon, y, hh, mm, ss = s:match("^%a+, (%d+) (%a+) (%d+) (%d+):(%d+):(%d+) GMT$")
  local months = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7,
                   Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }
  local m = months[mon]
  y, d = tonumber(y), tonumber(d)
  -- days from civil (H. Hinnant)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m + (m > 2 and -3 or 9)) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  return days * 86400 + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
end

return H
