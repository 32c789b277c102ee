-- The cosocket transport. Inside nginx, wherever cosockets are allowed
-- (rewrite, access, content, ngx.timer, ...), create_ticket and refresh_token
-- travel over ngx.socket.tcp, so a worker's event loop never waits for SLS.
--
-- This file only moves bytes. The call (src/call.c) decides every step:
-- when to ask the credentials provider, what to send, how many bytes to
-- read and with how much of the attempt's deadline left, what the answer
-- means, whether to retry and after how long. The answer's bytes go to the
-- same C reader libcurl's answers go through, with the same caps.
--
-- Where cosockets are not allowed (init_worker_by_lua outside a timer,
-- set_by_lua, header and body filters, log) a call raises, unless the
-- client was made with transport = "curl": an explicit opt-in to blocking
-- the worker, logged once per worker.
--
-- sls.so loads this file itself when it finds ngx.socket.tcp; nothing here
-- is meant to be called directly.

local ngx = ngx
local tcp = ngx.socket.tcp
local get_phase = ngx.get_phase
local sleep = ngx.sleep
local timer_at = ngx.timer.at
local ngx_time = ngx.time
local log, WARN = ngx.log, ngx.WARN
local update_time = ngx.update_time

local pcall, error, tostring, type, setmetatable = pcall, error, tostring, type, setmetatable

-- Phases where ngx.socket.tcp may be used (lua-nginx-module's docs, "ngx.socket.tcp").
local cosocket_phases = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
  preread = true,
}

-- One exchange on a socket, as the exchange in C directs it (call:io).
-- x is the sls.Call or the fetch being served; returns when C said done.
-- connect()'s options table for each pool name, made once.
local pool_opts = setmetatable({}, { __mode = "v" })

local function exchange(x, raw, host, port, https, pool, verify, connect_ms)
  local sock = tcp()
  sock:settimeout(connect_ms)
  local opts = pool_opts[pool]
  if not opts then
    opts = { pool = pool }
    pool_opts[pool] = opts
  end
  local ok, err = sock:connect(host, port, opts)
  local what, a, b = x:io("connect", ok, err, ok and sock:getreusedtimes() or 0)
  local set = connect_ms                  -- the timeout the socket has
  while true do
    -- C gives the time left before every operation; a socket whose timeout
    -- already says so within a millisecond is not told again.
    if what == "read" then
      if b < set - 1 or b > set then sock:settimeout(b); set = b end
      local data
      data, err = sock:receiveany(a)
      what, a, b = x:io("read", data, err)
    elseif what == "send" then
      if a < set - 1 or a > set then sock:settimeout(a); set = a end
      ok, err = sock:send(raw)
      what, a, b = x:io("send", ok, err)
    elseif what == "handshake" then
      sock:settimeout(a)
      set = a
      -- false: no session object wanted (a kept-alive connection beats
      -- resumption), and it avoids lua-resty-core fetching one.
      ok, err = sock:sslhandshake(false, host, verify)
      -- lua-resty-core 0.1.25 now and then reports success for a handshake
      -- whose host check failed and closed the socket: ask the socket.
      if ok and not sock:getreusedtimes() then
        ok, err = nil, "the handshake failed and closed the connection"
      end
      what, a, b = x:io("handshake", ok, err)
    elseif what == "keepalive" then
      sock:setkeepalive(a)
      return
    elseif what == "resend" then          -- a stale kept-alive connection
      sock:close()
      return exchange(x, raw, host, port, https, a, verify, b)
    else                                  -- "close": an answer, or a failure
      sock:close()
      return
    end
  end
end

local sls_core                            -- the C module, set below

-- The fetch credential providers get inside nginx (sls/credentials.lua):
-- { method, url, headers, body, timeout } -> status, body | nil, err, over
-- a cosocket, through the same C reader and caps (sls._fetcher).
local function fetch_over_cosockets(req, budget_ms)
  local f, err = sls_core._fetcher(req, budget_ms)
  if not f then return nil, err end
  exchange(f, f:request())
  return f:result()
end

-- One credentials fetch at a time per client, run in a timer of its own:
-- a light thread killed while it waits (ngx.thread.kill, a client abort)
-- takes nothing with it. Later callers wait for the fetch under way, at most
-- until its bound; a job past its bound (a provider that never returns) is
-- abandoned and the next caller starts another. Where no timer can be had,
-- or no semaphore to wait on, the caller fetches itself, registering nothing
-- a kill could leave behind.
local jobs = setmetatable({}, { __mode = "k" })          -- client -> job
local has_semaphore, semaphore = pcall(require, "ngx.semaphore")

-- provider:get(now, fetch); reading get may raise too (a provider is any
-- table), so it is called under pcall.
local function call_get(provider, now, fetch)
  return provider:get(now, fetch)
end

local function run_provider(call, provider, bound_ms)
  update_time()
  local deadline = ngx.now() + bound_ms / 1000
  local fetch = function(req)
    update_time()
    return fetch_over_cosockets(req, (deadline - ngx.now()) * 1000)
  end
  local ok, creds, err = pcall(call_get, provider, ngx_time(), fetch)
  if not ok then creds, err = nil, "the credentials provider raised: " .. tostring(creds) end
  call:credentials(creds, err)
end

local function ask_provider(client, call, provider, bound_ms)
  update_time()
  local job = jobs[client]
  if job and ngx.now() > job.deadline then job = nil end       -- abandoned
  if not job then
    if not has_semaphore then return run_provider(call, provider, bound_ms) end
    job = { sema = semaphore.new(), waiting = 0, deadline = ngx.now() + bound_ms / 1000 + 1 }
    local function work(premature)
      if premature then
        pcall(call.credentials, call, nil, "nginx is shutting down")
      else
        local ok, why = pcall(run_provider, call, provider, bound_ms)
        if not ok then pcall(call.credentials, call, nil, tostring(why)) end
      end
      if jobs[client] == job then jobs[client] = nil end
      job.done = true
      if job.waiting > 0 then job.sema:post(job.waiting) end
    end
    if not timer_at(0, work) then
      return run_provider(call, provider, bound_ms)   -- no timer to be had: here
    end
    jobs[client] = job
  end
  if job.done then return end
  job.waiting = job.waiting + 1
  update_time()
  local left = job.deadline - ngx.now()
  if left > 0 then job.sema:wait(left) end
  job.waiting = job.waiting - 1
end

-- Drives a call (sls._call) to its end over cosockets, from its first
-- step (op, a, ...).
local function run(client, call, op, a, b, c, d, e, f, g)
  while true do
    if op == "exchange" then
      exchange(call, a, b, c, d, e, f, g)
    elseif op == "wait" then
      sleep(a / 1000)
    elseif op == "credentials" then
      ask_provider(client, call, a, b)
    else                                  -- "done": the results follow
      return a, b, c
    end
    op, a, b, c, d, e, f, g = call:next()
  end
end

local warned = {}

-- Calls that are over, for sls._call to use again (at most SPARE_MAX: the
-- calls in flight at once in a busy worker).
local spare, SPARE_MAX = {}, 64

-- Logs, once per worker and reason, that a call blocks this worker.
local function warn_blocking(why, phase)
  if warned[why] then return end
  warned[why] = true
  log(WARN, "sls: ", why, " blocks this worker in nginx's ", phase,
      " phase (logged once per worker)")
end

-- True when this call goes over cosockets; raises where it cannot and the
-- client did not opt in to blocking.
local function use_cosockets(transport, has_proxy)
  local phase = get_phase()
  if transport == "curl" then
    if not cosocket_phases[phase] then warn_blocking('a client with transport "curl"', phase) end
    return false
  end
  if cosocket_phases[phase] and not has_proxy then return true end
  if has_proxy and transport == "auto" then      -- cosockets cannot use a proxy
    warn_blocking("a client with a proxy (libcurl)", phase)
    return false
  end
  error("sls: cannot call SLS in nginx's " .. phase .. " phase without blocking the "
    .. "worker (cosockets are not allowed there); call it from a content, access or "
    .. "rewrite handler or an ngx.timer, or make the client with transport = \"curl\" "
    .. "to accept blocking", 3)
end

return function(sls, methods)
  sls_core = sls
  local new_call, default = sls._call, sls._default
  local transport_of = sls._transport
  -- A client's transport and proxy never change: asked once.
  local transports = setmetatable({}, { __mode = "k" })
  for _, action in ipairs({ "create_ticket", "refresh_token" }) do
    local blocking = methods[action]
    methods[action] = function(client, opts)
      local t = transports[client]
      if not t then
        local transport, has_proxy = transport_of(client)
        t = { transport, has_proxy }
        transports[client] = t
      end
      if not use_cosockets(t[1], t[2]) then
        return blocking(client, opts)
      end
      -- A call that is over serves the next one when C finds it can (its
      -- buffers keep their memory). Taken off the list before the call
      -- yields, so no two calls ever share one.
      local n = #spare
      local old = spare[n]
      if old then spare[n] = nil end
      local call, op, a, b, c, d, e, f, g = new_call(client, action, opts, old, true)
      local res, err, detail = run(client, call, op, a, b, c, d, e, f, g)
      n = #spare
      if n < SPARE_MAX then spare[n + 1] = call end
      return res, err, detail
    end
    sls[action] = function(opts)
      return methods[action](default(), opts)
    end
  end
end
