-- Sequential mints per second against the local emulator over one
-- keep-alive connection, and the in-process cost of building and signing a
-- request (v1 and v4). Prints figures; asserts nothing.
--   lua5.4 bench/mint.lua [mints]
package.cpath = "build/" .. (_VERSION == "Lua 5.1" and "5.1" or _VERSION:match("%d+%.%d+"))
  .. "/?.so;" .. package.cpath
package.path = "./?.lua;" .. package.path
local H = require "spec.helpers"
local sls = require "sls"

local n = tonumber(arg and arg[1]) or 2000

local function rate(label, count, f)
  local t0 = H.now()
  for _ = 1, count do f() end
  local dt = H.now() - t0
  print(("%-44s %10.0f /s  %9.2f us each"):format(label, count / dt, dt / count * 1e6))
end

for _, v in ipairs { "v1", "v4" } do
  local c = sls.new(H.merge(H.STS, { signature_version = v, region = "cn-shanghai" }))
  rate("build + sign a request (" .. v .. ", in process)", 50000, function()
    sls._prepare(c, "create_ticket", { expiration_time = 86400, access_token_expiration_time = 600 }, 1795555230)
  end)
end

local emu = H.start_emulator()
local c = emu:client()
assert(c:create_ticket())
rate("create_ticket against the emulator (" .. n .. ")", n, function()
  assert(c:create_ticket { expiration_time = 86400, access_token_expiration_time = 600 })
end)
emu:stop()
