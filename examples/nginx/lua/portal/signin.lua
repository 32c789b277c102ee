-- The demo sign-in: HTTP Basic against PORTAL_USERS ("user:password,...").
-- Replace this file with your own sign-in (a session cookie, OIDC, your SSO):
-- portal.lua needs only configure(value) and user(authorization header),
-- which returns the signed-in user's name or nil.
local bit = require "bit"

local M = {}

-- Sent with every 401, so browsers ask for a user name and password.
M.CHALLENGE = 'Basic realm="SLS portal", charset="UTF-8"'

local entries = {}   -- { user = name, digest = sha1("user:password") }

-- Reads PORTAL_USERS' value. Returns true, or nil and why, never quoting a
-- password: the reason goes to error.log.
function M.configure(value)
  entries = {}
  if value == nil or value:match("^%s*$") then
    return nil, "PORTAL_USERS is not set: no one can sign in"
  end
  local n = 0
  for entry in (value .. ","):gmatch("([^,]*),") do
    n = n + 1
    entry = entry:match("^%s*(.-)%s*$")
    local user, password = entry:match("^([^:]+):(.+)$")
    if not user or user:find("[%c%s]") then
      return nil, "PORTAL_USERS entry " .. n .. " is not user:password"
    end
    entries[#entries + 1] = { user = user, digest = ngx.sha1_bin(entry) }
  end
  return true
end

-- True when two digests of equal length are equal. Touches every byte
-- whatever they hold, so the time taken says nothing about where they differ.
local function same(a, b)
  local diff = 0
  for i = 1, #a do
    diff = bit.bor(diff, bit.bxor(a:byte(i), b:byte(i)))
  end
  return diff == 0
end

-- The user an Authorization header signs in, or nil. Every configured entry
-- is compared, matched or not, so the time does not tell which user exists.
function M.user(authorization)
  if type(authorization) ~= "string" then return nil end
  local scheme, b64 = authorization:match("^%s*(%a+)%s+(%S+)%s*$")
  local pair = scheme and scheme:lower() == "basic" and ngx.decode_base64(b64)
  if not pair or not pair:find(":", 1, true) then return nil end
  local digest = ngx.sha1_bin(pair)
  local found
  for _, e in ipairs(entries) do
    if same(digest, e.digest) then found = e.user end
  end
  return found
end

return M
