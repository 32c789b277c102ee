-- Sequential mints per second against the local emulator over one
-- keep-alive connection, and in-process costs: building and signing a
-- request (v1 and v4), the same request again within its second,
-- embed_url, and a whole mint without a socket. Prints figures; asserts
-- nothing.
--   lua5.4 bench/mint.lua [mints]     (or luajit: as inside nginx)
--   luajit bench/mint.lua whole N     only N whole mints without a socket,
--     for counting instructions: callgrind at two N, the difference / N
--     is one mint's (`valgrind --tool=callgrind luajit -joff ...`)
package.cpath = "build/" .. (_VERSION == "Lua 5.1" and "5.1" or _VERSION:match("%d+%.%d+"))
  .. "/?.so;" .. package.cpath
package.path = "./?.lua;" .. package.path
local H = require "spec.helpers"
local sls = require "sls"

local whole_only = arg and arg[1] == "whole"
local n = tonumber(arg and arg[whole_only and 2 or 1]) or 2000

local function rate(label, count, f)
  local t0 = H.now()
  for i = 1, count do f(i) end
  local dt = H.now() - t0
  print(("%-52s %10.0f /s  %9.2f us each"):format(label, count / dt, dt / count * 1e6))
end

local link = { ticket = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTU1NTk4MTB9.bench", project = "web",
               dashboard = "overview", region = "cn-hangzhou" }

if not whole_only then
  local opts = { expiration_time = 86400, access_token_expiration_time = 600 }
  for _, v in ipairs { "v1", "v4" } do
    local c = sls.new(H.merge(H.STS, { signature_version = v, region = "cn-shanghai" }))
    -- A second of its own each time: signed anew.
    rate("build + sign a request (" .. v .. ", sls._prepare)", 50000, function(i)
      sls._prepare(c, "create_ticket", opts, 1795555230 + i)
    end)
    -- The same second: the client's memo of the request is copied.
    rate("the same request in its second (" .. v .. ", sls._prepare)", 50000, function()
      sls._prepare(c, "create_ticket", opts, 1795555230)
    end)
  end

  rate("embed_url (in process)", 200000, function() sls.embed_url(link) end)
end

-- A whole mint as sls/ngx.lua drives it inside nginx, a canned answer in
-- place of the socket: options, the call (recycled), the request, reading
-- the answer, the result table and the link.
do
  local c = sls.new(H.merge(H.KEY, { endpoint = "http://127.0.0.1:9" }))
  local answer = "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Wed, 25 Nov 2026 20:47:00 GMT\r\n"
    .. "Content-Type: application/json\r\nContent-Length: 64\r\nConnection: keep-alive\r\n"
    .. "x-log-requestid: 6721A1D557FE01DF450E554C\r\n\r\n"
    .. '{"ticket":"eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTU1NTk4MTB9.bench"}'
  local spare
  rate("a whole mint, no socket (step API + embed_url)", whole_only and n or 100000, function()
    local k = sls._call(c, "create_ticket", { expiration_time = 3600 }, spare, true)
    k:io("connect", true, nil, 1)
    k:io("send", true)
    k:io("read", answer)
    local _, res = k:next()
    spare = k
    link.ticket = res.ticket
    sls.embed_url(link)
  end)
end

if whole_only then return end

local emu = H.start_emulator()
local c = emu:client()
assert(c:create_ticket())
rate("create_ticket against the emulator (" .. n .. ")", n, function()
  assert(c:create_ticket { expiration_time = 86400, access_token_expiration_time = 600 })
end)
emu:stop()
