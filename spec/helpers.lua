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
-- The build under test, as a package.cpath entry: SLS_BUILD names it (5.4,
-- puc5.1, asan, ...); subprocesses running H.lua_bin load the same one.
H.cpath = H.root .. "/build/" .. (os.getenv("SLS_BUILD") or H.lua_tag) .. "/?.so;"
package.cpath = H.cpath .. package.cpath
-- For subprocesses started with `env -i`: the sanitizer run's preload and
-- options, so a sanitized sls.so loads there too ("" outside that run).
-- Leaks are checked in the busted process; in these short-lived children
-- LeakSanitizer's exit-time tracer can crash on its own, so it is off there.
H.sanitizer_env = ""
for _, k in ipairs { "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS" } do
  local v = os.getenv(k)
  if v and v ~= "" then
    if k == "ASAN_OPTIONS" then v = v .. ":detect_leaks=0" end
    H.sanitizer_env = H.sanitizer_env .. (" %s='%s'"):format(k, v)
  end
end
package.path = H.root .. "/lua/?.lua;" .. package.path

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

-- Writes text to path; returns the path.
function H.write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
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
      local self = setmetatable({ dir = dir, port = port, tls = (args or ""):find("--tls-cert", 1, true) ~= nil,
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
  if self.tls then                     -- luasocket speaks no TLS; curl does
    return cjson.decode((H.run("curl -sk https://127.0.0.1:" .. self.port .. "/_emulator/stats")))
  end
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

-- The fault matrix: name, the emulator fault, then the detail.code,
-- detail.status and detail.retryable it must give. Shared by both transports.
H.FAULTS = {
  { "503 ServerBusy", { kind = "error", status = 503, code = "ServerBusy" }, "ServerBusy", 503, true },
  { "500 InternalServerError", { kind = "error", status = 500, code = "InternalServerError" }, "InternalServerError", 500, true },
  { "403 quota", { kind = "error", status = 403, code = "ProjectQuotaExceed" }, "ProjectQuotaExceed", 403, true },
  { "400 ParameterInvalid", { kind = "error", status = 400, code = "ParameterInvalid" }, "ParameterInvalid", 400, false },
  { "502 HTML from a proxy", { kind = "html", status = 502 }, "BadResponse", 502, true },
  { "200 that is not JSON", { kind = "garbage" }, "BadResponse", 200, false },
  { "500 that is not JSON", { kind = "garbage", status = 500 }, "BadResponse", 500, true },
  { "200 without a ticket", { kind = "noticket" }, "BadResponse", 200, false },
  { "200 with an empty body", { kind = "empty" }, "BadResponse", 200, false },
  { "a body over 1 MiB", { kind = "huge" }, "ResponseTooLarge", 0, false },
  { "a chunked body over 1 MiB", { kind = "huge_chunked" }, "ResponseTooLarge", 0, false },
  { "a dropped connection", { kind = "drop" }, "BadResponse", 0, true },
  { "a truncated body", { kind = "truncated" }, "BadResponse", 0, true },
  { "a server that never answers", { kind = "stall", seconds = 3 }, "Timeout", 0, true },
  { "a stall mid-body", { kind = "stall_body", seconds = 3 }, "Timeout", 0, true },
  -- timeout is a deadline for the attempt, not an idle timer.
  { "a header line every 150 ms", { kind = "trickle_head", seconds = 4 }, "Timeout", 0, true },
  { "a body byte every 150 ms", { kind = "trickle_body", seconds = 4 }, "Timeout", 0, true },
  { "an endless header line", { kind = "endless_header", seconds = 4 }, "ResponseTooLarge", 0, false },
  { "a ticket with a NUL byte", { kind = "nul_ticket" }, "BadResponse", 200, false },
  -- Server text is untrusted: the token and signature it echoes are
  -- redacted, its line ends and escapes removed.
  { "an error that echoes the token and forges log lines", { kind = "echo" }, "Unauthorized",
    401, false, function(err, detail)
      assert(not err:find("[%c\127]"), "err is not one printable line: " .. err)
      assert(not detail.message:find("[%c\127]"), "detail.message has control bytes")
      assert(err:find("signed LOG [^:]+:%*%*%*"), "the signature was not redacted: " .. err)
      assert(err:find("token %*%*%*"), "the token was not redacted: " .. err)
      assert(type(detail.access_denied_detail) == "table", "no access_denied_detail")
      assert(detail.access_denied_detail.AuthAction == "log:CreateTicket")
    end },
}

-- Odd but valid answers: both transports must mint through them.
H.ODD_ANSWERS = {
  { "an interim 100 Continue first", { kind = "continue" } },
  { "2,000 Set-Cookie headers (220 KB)", { kind = "many_headers", count = 2000 } },
}

-- Asserts what every fault case promises: its code, status and retry flag,
-- one attempt, err starting with the code, a bounded time, no secret.
function H.assert_fault(case, secs, err, detail)
  local assert = require "luassert"     -- busted's, not the global of this module
  local code, status, retryable = case[3], case[4], case[5]
  assert.equal(code, detail.code)
  assert.equal(status, detail.status)
  assert.equal(retryable, detail.retryable)
  assert.equal(1, detail.attempts)
  assert.equal(code, err:match("^(%w+):"))
  assert.is_true(secs < 2.5, "took " .. secs .. " s")
  assert.falsy(err:find("[%c\127]"), "err is not one printable line")
  H.assert_no_secret(err, detail)
  if case[6] then case[6](err, detail) end
end

-- A port that was free a moment ago on loopback.
function H.free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

-- Makes a test CA and certificates in dir: srv.pem (for localhost and
-- 127.0.0.1, signed by ca.pem), wrong.pem (for other.example, signed by
-- ca.pem) and other.pem (self-signed, other.example). Keys beside them.
function H.make_certs(dir)
  local ext = "subjectAltName=DNS:localhost,DNS:127.0.0.1,IP:127.0.0.1"
  for _, c in ipairs {
    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=lua-sls-test-ca -keyout %s/ca.key -out %s/ca.pem",
    "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout %s/srv.key -out %s/srv.csr",
    "printf '" .. ext .. "\n' > %s/ext && openssl x509 -req -in %s/srv.csr -CA %s/ca.pem -CAkey %s/ca.key -CAcreateserial -days 2 -extfile %s/ext -out %s/srv.pem",
    "openssl req -newkey rsa:2048 -nodes -subj /CN=other.example -keyout %s/wrong.key -out %s/wrong.csr",
    "printf 'subjectAltName=DNS:other.example\n' > %s/ext2 && openssl x509 -req -in %s/wrong.csr -CA %s/ca.pem -CAkey %s/ca.key -CAcreateserial -days 2 -extfile %s/ext2 -out %s/wrong.pem",
    "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other.example -addext subjectAltName=DNS:other.example -keyout %s/other.key -out %s/other.pem",
  } do
    assert(os.execute(c:gsub("%%s", dir) .. " >/dev/null 2>&1"))
  end
end

local Nginx = {}
Nginx.__index = Nginx

-- Starts Debian's nginx through examples/nginx/run.sh (so the script users
-- run is the one tested) on a free loopback port. opts.conf picks another
-- nginx.conf, opts.env adds environment variables, opts.ca_file sets
-- lua_ssl_trusted_certificate. The sanitizer preload is not passed on.
function H.start_nginx(opts)
  opts = opts or {}
  local dir = H.tmpdir()
  local port = H.free_port()
  local env = { "PORT=" .. port, "RUN_DIR=" .. dir }
  if opts.conf then env[#env + 1] = "CONF=" .. opts.conf end
  if opts.ca_file then env[#env + 1] = "CA_FILE=" .. opts.ca_file end
  for k, v in pairs(opts.env or {}) do env[#env + 1] = k .. "='" .. v .. "'" end
  os.execute(("env -u LD_PRELOAD -u ALIBABA_CLOUD_ACCESS_KEY_ID -u ALIBABA_CLOUD_ACCESS_KEY_SECRET "
    .. "-u ALIBABA_CLOUD_SECURITY_TOKEN %s %s/examples/nginx/run.sh >%s/run.log 2>&1 & echo $! >%s/run.pid")
    :format(table.concat(env, " "), H.root, dir, dir))
  local self = setmetatable({ dir = dir, port = port, url = "http://127.0.0.1:" .. port,
                              pid = H.read_file(dir .. "/run.pid"):match("%d+") }, Nginx)
  -- Ready when a worker answers: by then init_worker_by_lua has run.
  local deadline = H.now() + 30
  while H.now() < deadline do
    local c = socket.tcp()
    c:settimeout(1)
    if c:connect("127.0.0.1", port) and c:send("HEAD / HTTP/1.0\r\n\r\n")
        and c:receive("*l") then
      c:close()
      return self
    end
    c:close()
    H.sleep(0.05)
  end
  local log = H.read_file(dir .. "/run.log")
  self:stop()
  error("nginx did not start: " .. log)
end

function Nginx:error_log()
  local f = io.open(self.dir .. "/logs/error.log", "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

function Nginx:stop()
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  for _ = 1, 100 do                      -- wait for the master to go
    if select(2, H.run("kill -0 " .. self.pid .. " 2>/dev/null")) ~= 0 then break end
    H.sleep(0.05)
  end
  os.execute("rm -rf " .. self.dir)
end

-- An HTTP request to a URL: status, body, headers.
function H.http(method, url, body, headers)
  local chunks = {}
  local h = headers or {}
  if body then h["content-length"] = #body end
  local _, code, resp_headers = http.request {
    url = url, method = method, headers = h, redirect = false,
    source = body and ltn12.source.string(body) or nil,
    sink = ltn12.sink.table(chunks),
  }
  return code, table.concat(chunks), resp_headers
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
