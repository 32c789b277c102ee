-- Per-user rate limits on minting and on refreshing, and per-address ones on
-- failed sign-ins, shared by all workers through a lua_shared_dict: for each
-- kind ("mint", "refresh", "signin") a token bucket
-- of `burst` calls refilled at `per_minute` (GCRA: one stored time per user
-- and kind, the moment its bucket is full again).
local M = {}

local dict             -- the lua_shared_dict
local kinds = {}       -- kind -> { interval = milliseconds per call, burst = calls at once }

-- Checks the settings of one kind; returns true, or nil and why.
function M.configure(dict_name, per_minute, at_once, kind)
  dict = ngx.shared[dict_name]
  if not dict then return nil, "no lua_shared_dict " .. dict_name end
  kinds[kind] = { interval = 60000 / per_minute, burst = at_once }
  return true
end

-- When key's bucket would be full again after one more call; and, when it
-- has no call left, the seconds to wait for one.
local function after_one(key, now, k)
  local full_at = math.max(dict:get(key) or now, now) + k.interval
  if full_at - now > k.burst * k.interval then
    return full_at, math.max(1, math.ceil((full_at - k.burst * k.interval - now) / 1000))
  end
  return full_at
end

-- Reads the stored time, decides and stores, with nothing that yields in
-- between: the only other writers are other workers, kept out by a lock
-- that add() takes atomically and that expires by itself if a worker dies.
local function decide(key, now, k)
  local full_at, wait = after_one(key, now, k)
  if wait then return false, wait end
  -- Forgotten once the bucket is full again; a full zone drops the least
  -- recently used users first.
  dict:set(key, full_at, (full_at - now) / 1000)
  return true
end

-- Without taking anything: nil when key's bucket of kind has a call left,
-- else the seconds after which it has one again.
function M.wait(key, kind)
  local _, wait = after_one(kind .. ":" .. key, ngx.now() * 1000, kinds[kind])
  return wait
end

-- Takes one call from key's bucket of kind. Returns true, or false and the
-- seconds after which one is there again.
function M.take(key, kind)
  local k = kinds[kind]
  key = kind .. ":" .. key
  local lock = "lock:" .. key
  for _ = 1, 200 do
    if dict:add(lock, true, 0.1) then
      local ok, ok2, wait = pcall(decide, key, ngx.now() * 1000, k)
      dict:delete(lock)
      if not ok then error(ok2) end
      return ok2, wait
    end
    ngx.sleep(0.001)
  end
  return false, 1      -- another worker held the lock for 200 ms: say "later"
end

return M
