-- The cosocket transport. Inside nginx, wherever cosockets are allowed
-- (rewrite, access, content, ngx.timer, ...), create_ticket and refresh_token
-- travel over ngx.socket.tcp, so a worker's event loop never waits for SLS.
-- Elsewhere (init_by_lua, init_worker_by_lua outside a timer, header and body
-- filters, log) the C module's libcurl transport is used, as in plain Lua.
--
-- Signing, request building, answer interpretation and the retry policy stay
-- in C (client:_prepare and client:_answer); this file only moves bytes.
-- Debian has no lua-resty-http, hence the small HTTP/1.1 reader below: a
-- status line, headers, then a body by Content-Length, chunks, or until the
-- server closes. It reads at most 1 MiB of body, as the C transport does.
--
-- sls.so loads this file itself when it finds ngx.socket.tcp; nothing here
-- is meant to be called directly.

local ngx = ngx
local tcp = ngx.socket.tcp
local get_phase = ngx.get_phase
local ngx_now = ngx.now
local update_time = ngx.update_time
local sleep = ngx.sleep

local find, lower, sub = string.find, string.lower, string.sub
local concat = table.concat
local tonumber = tonumber

local MAX_BODY = 1024 * 1024
local MAX_HEAD = 64 * 1024
local KEEPALIVE_MS = 60000

-- Phases where ngx.socket.tcp may be used (lua-nginx-module's docs, "ngx.socket.tcp").
local cosocket_phases = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true,
  preread = true,
}

local function now()
  update_time()
  return ngx_now()
end

-- Classifies a cosocket error string into the codes the C transport uses.
local function code_of(err, default)
  if err == "timeout" then
    return "Timeout"
  elseif find(err, "could not be resolved", 1, true) or find(err, "no resolver", 1, true)
      or find(err, "failed to parse host name", 1, true) then
    return "ResolveFailed"
  end
  return default
end

-- One exchange: a connection (pooled), the request, the whole answer. Returns
-- status, head, body; or false, code, message. `fresh` forbids the pool, for
-- the one retry after a pooled connection turned out to be closed.
local function exchange(req, cfg, fresh)
  local deadline = now() + cfg.timeout / 1000
  local sock = tcp()
  local function remaining()
    local ms = (deadline - now()) * 1000
    if ms < 1 then return nil end
    sock:settimeout(ms)
    return ms
  end
  local function fail(code, msg)
    sock:close()
    return false, code, msg
  end

  local where = req.host .. ":" .. req.port
  -- The pool name covers everything that makes two connections different,
  -- and the client: each keeps its own connections, as with libcurl.
  local pool = where .. (req.https and (cfg.ssl_verify and ":tls" or ":tls-noverify") or "")
    .. ":" .. cfg.id
  -- A pool no call reads from: connect() cannot hand back another stale one.
  if fresh then pool = pool .. ":fresh" end
  sock:settimeout(cfg.connect_timeout < cfg.timeout and cfg.connect_timeout or cfg.timeout)
  local ok, err = sock:connect(req.host, req.port, { pool = pool })
  if not ok then
    return fail(code_of(err, "ConnectFailed"), "connecting to " .. where .. ": " .. err)
  end
  local reused = sock:getreusedtimes()
  if req.https and reused == 0 then
    if not remaining() then return fail("Timeout", "no time left for the TLS handshake") end
    -- false: no session object wanted (a kept-alive connection beats
    -- resumption), and it avoids lua-resty-core fetching one.
    ok, err = sock:sslhandshake(false, req.host, cfg.ssl_verify)
    if not ok then
      return fail(code_of(err, "TLSError"), "TLS handshake with " .. where .. ": " .. err)
    end
  end

  if not remaining() then return fail("Timeout", "no time left to send the request") end
  ok, err = sock:send(req.raw)
  if not ok then
    if reused > 0 and not fresh then sock:close(); return exchange(req, cfg, true) end
    return fail(code_of(err, "NetworkError"), "sending to " .. where .. ": " .. err)
  end

  -- The status line. A pooled connection the server closed meanwhile ends
  -- here with nothing read: try once more on a new connection.
  if not remaining() then return fail("Timeout", "no answer within the timeout") end
  local line
  line, err = sock:receive("*l")
  if not line then
    if err == "closed" and reused > 0 and not fresh then
      sock:close()
      return exchange(req, cfg, true)
    end
    return fail(code_of(err, "BadResponse"), err == "closed"
      and "the server closed the connection without answering" or "reading the answer: " .. err)
  end
  local status = tonumber(line:match("^HTTP/1%.[01] (%d%d%d)"))
  if not status then return fail("BadResponse", "not an HTTP/1.x status line") end
  local keep = sub(line, 1, 8) == "HTTP/1.1"

  -- The headers, kept raw for C, with the three that frame the body noted.
  local head, size, length, chunked = { line }, #line, nil, false
  while true do
    if not remaining() then return fail("Timeout", "the headers did not arrive in time") end
    line, err = sock:receive("*l")
    if not line then
      return fail(code_of(err, "BadResponse"), "reading the headers: " .. err)
    end
    if line == "" then break end
    size = size + #line + 2
    if size > MAX_HEAD then return fail("BadResponse", "headers over 64 KiB") end
    head[#head + 1] = line
    local name, value = line:match("^([^:]+):[ \t]*(.-)[ \t]*$")
    if name then
      name = lower(name)
      if name == "content-length" then
        length = tonumber(value)
        if not length or length < 0 or length % 1 ~= 0 then
          return fail("BadResponse", "a Content-Length that is not a number")
        end
      elseif name == "transfer-encoding" then
        chunked = find(lower(value), "chunked", 1, true) ~= nil
      elseif name == "connection" then
        local v = lower(value)
        if find(v, "close", 1, true) then keep = false
        elseif find(v, "keep-alive", 1, true) then keep = true end
      end
    end
  end

  local body, parts, total = "", {}, 0
  if chunked then
    while true do
      if not remaining() then return fail("Timeout", "the body did not arrive in time") end
      line, err = sock:receive("*l")
      if not line then return fail(code_of(err, "BadResponse"), "reading a chunk size: " .. err) end
      local n = tonumber(line:match("^%s*(%x+)"), 16)
      if not n then return fail("BadResponse", "a bad chunk size") end
      if n == 0 then
        repeat                                -- trailers, up to the empty line
          if not remaining() then return fail("Timeout", "the body did not arrive in time") end
          line, err = sock:receive("*l")
          if not line then return fail(code_of(err, "BadResponse"), "reading trailers: " .. err) end
        until line == ""
        break
      end
      total = total + n
      if total > MAX_BODY then return fail("ResponseTooLarge", "the answer is over 1 MiB") end
      if not remaining() then return fail("Timeout", "the body did not arrive in time") end
      local data, crlf
      data, err = sock:receive(n)
      if data then crlf, err = sock:receive(2) end
      if not crlf then
        return fail(code_of(err, "BadResponse"), "the body ended early: " .. err)
      end
      parts[#parts + 1] = data
    end
    body = concat(parts)
  elseif length then
    if length > MAX_BODY then return fail("ResponseTooLarge", "the answer is over 1 MiB") end
    if length > 0 then
      if not remaining() then return fail("Timeout", "the body did not arrive in time") end
      body, err = sock:receive(length)
      if not body then
        return fail(code_of(err, "BadResponse"), "the body ended early: " .. err)
      end
    end
  elseif status ~= 204 and status ~= 304 then
    keep = false                              -- the body runs to the close
    while true do
      if not remaining() then return fail("Timeout", "the body did not arrive in time") end
      local data
      data, err = sock:receiveany(MAX_BODY + 1 - total)
      if not data then
        if err == "closed" then break end
        return fail(code_of(err, "BadResponse"), "reading the body: " .. err)
      end
      total = total + #data
      if total > MAX_BODY then return fail("ResponseTooLarge", "the answer is over 1 MiB") end
      parts[#parts + 1] = data
    end
    body = concat(parts)
  end

  if keep and not fresh then           -- nothing would take it out of ":fresh"
    sock:setkeepalive(KEEPALIVE_MS)
  else
    sock:close()
  end
  return status, concat(head, "\r\n") .. "\r\n", body
end

-- The fetch function credential providers get inside nginx (see
-- sls/credentials.lua): { method, url, headers, body, timeout } -> status,
-- body | nil, err, over a cosocket.
local function fetch_over_cosockets(req)
  local scheme, host, port, path = req.url:match("^(https?)://([^/:]+):?(%d*)(.*)$")
  if not scheme then return nil, "BadURL: " .. req.url end
  local https = scheme == "https"
  port = tonumber(port) or (https and 443 or 80)
  local body = req.body or ""
  local head = { (req.method or "GET") .. " " .. (path ~= "" and path or "/") .. " HTTP/1.1",
                 "Host: " .. host .. ((port == 80 or port == 443) and "" or (":" .. port)),
                 "Accept: application/json", "Content-Length: " .. #body }
  for k, v in pairs(req.headers or {}) do head[#head + 1] = k .. ": " .. v end
  local timeout = req.timeout or 5000
  local status, _, answer = exchange({ host = host, port = port, https = https,
    raw = concat(head, "\r\n") .. "\r\n\r\n" .. body },
    { connect_timeout = timeout, timeout = timeout, ssl_verify = true, id = "credentials" })
  if not status then return nil, _ .. ": " .. answer end
  return status, answer
end

-- One fetch at a time per client: the light threads that find the keys due
-- while another is fetching them wait for its answer instead of asking too.
local has_semaphore, semaphore = pcall(require, "ngx.semaphore")
local fetching = setmetatable({}, { __mode = "k" })   -- client -> semaphore

-- Asks the client's credentials provider, when it is due, without blocking.
local function refresh_credentials(client)
  local provider, due = client:_credentials()
  if not due then return end
  local sema = fetching[client]
  if sema then
    sema:wait(30)                     -- then use whatever it brought
    return
  end
  sema = has_semaphore and semaphore.new() or nil
  fetching[client] = sema
  local ok, creds, err = pcall(provider.get, provider, ngx.time(), fetch_over_cosockets)
  if not ok then creds, err = nil, "the credentials provider raised: " .. tostring(creds) end
  client:_set_credentials(creds, err)
  fetching[client] = nil
  if sema and sema:count() < 0 then sema:post(-sema:count()) end
end

-- The retry loop of the C transport, with ngx.sleep between attempts.
local function call_over_cosockets(client, action, opts, cfg)
  local state = { action = action, opts = opts, attempt = 0, skew_fixed = false }
  while true do
    refresh_credentials(client)
    local req, err, detail = client:_prepare(action, opts, nil, true)
    if not req then return nil, err, detail end     -- no credentials
    state.attempt = state.attempt + 1
    state.sent_at = req.sent_at
    local status, head, body = exchange(req, cfg)
    local res, wait
    res, err, detail, wait = client:_answer(state, status, head, body)
    if res or not wait then return res, err, detail end
    if wait > 0 then sleep(wait / 1000) end
  end
end

-- True when this call should go over cosockets.
local function use_cosockets(transport, has_proxy)
  if transport == "curl" then return false end
  if transport == "ngx" then
    local phase = get_phase()
    if not cosocket_phases[phase] then
      error("sls: transport \"ngx\" cannot run in nginx's " .. phase .. " phase "
        .. "(cosockets are not allowed there); use transport \"auto\"", 3)
    end
    return true
  end
  -- "auto": a proxy is libcurl's job.
  return not has_proxy and cosocket_phases[get_phase()] == true
end

return function(sls, methods)
  local function wrap(action)
    local blocking = methods[action]
    methods[action] = function(client, opts)
      local transport, connect_timeout, timeout, ssl_verify, has_proxy, id = client:_transport()
      if not use_cosockets(transport, has_proxy) then
        return blocking(client, opts)
      end
      return call_over_cosockets(client, action, opts, {
        connect_timeout = connect_timeout, timeout = timeout, ssl_verify = ssl_verify, id = id,
      })
    end
    sls[action] = function(opts)
      return methods[action](sls._default(), opts)
    end
  end
  wrap("create_ticket")
  wrap("refresh_token")
end
