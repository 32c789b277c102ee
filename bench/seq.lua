-- Sequential create_ticket calls per second with lua-sls against a local
-- server, over one kept-alive connection (best of 3 runs); and, with --memory, the process's
-- RSS after 1 000 and after 100 000 mints.
--   lua5.4 bench/seq.lua URL COUNT [--memory]   ->   "<label> <value>" lines
package.cpath = "build/" .. (_VERSION == "Lua 5.1" and "5.1" or _VERSION:match("%d+%.%d+"))
  .. "/?.so;" .. package.cpath
local sls = require "sls"
local socket = require "socket"

local url, count, mode = arg[1], tonumber(arg[2] or 20000), arg[3]
local tag = _VERSION == "Lua 5.1" and "luajit" or "lua54"
local client = sls.new { endpoint = url, access_key_id = "LTAI5tBenchKeyId",
                         access_key_secret = "BenchSecret0123456789abcdef" }
local opts = { expiration_time = 86400, access_token_expiration_time = 600 }

local function rss_kib()
  local f = assert(io.open("/proc/self/status"))
  local kib = tonumber(f:read("*a"):match("VmRSS:%s*(%d+)"))
  f:close()
  return kib
end

local function mint(n)
  for _ = 1, n do assert(client:create_ticket(opts)) end
end

if mode == "--memory" then
  mint(1000)
  collectgarbage()
  local at_1k = rss_kib()
  mint(99000)
  collectgarbage()
  local at_100k = rss_kib()
  print(("rss_1k_%s %d"):format(tag, at_1k))
  print(("rss_100k_%s %d"):format(tag, at_100k))
  return
end

if mode == "--prepare" then           -- the request, for the bare libcurl loop
  local req = sls._prepare(client, "create_ticket", opts)
  print(req.url)
  for k, v in pairs(req.headers) do print(k .. ": " .. v) end
  return
end

mint(100)                              -- connect, warm up
local best = 0
for _ = 1, 3 do                        -- the best of 3: the least disturbed
  local t0 = socket.gettime()
  mint(count)
  best = math.max(best, count / (socket.gettime() - t0))
end
print(("seq_%s %.0f"):format(tag, best))
