-- Turns bench/run.sh's "label value" lines into the README's tables, with
-- the ratios the targets are stated in, and writes the plot's data.
--   lua5.4 bench/report.lua RESULTS DATFILE
-- The sequential rates come in interleaved rounds (one line per client per
-- round): rounds[k][i]. Every other figure is one line.
local v, rounds = {}, {}
for line in io.lines(arg[1]) do
  local k, x = line:match("^(%S+)%s+([%d.]+)")
  if k then
    x = tonumber(x)
    if k:match("^seq_") or k:match("^cpu_") or k == "node_sdk" or k == "curl_loop"
        or k == "wrk_c1" then
      rounds[k] = rounds[k] or {}
      table.insert(rounds[k], x)
    else
      v[k] = x
    end
  end
end

local function median(t)
  local c = {}
  for i, x in ipairs(t) do c[i] = x end
  table.sort(c)
  local n = #c
  return n % 2 == 1 and c[(n + 1) / 2] or (c[n / 2] + c[n / 2 + 1]) / 2
end

-- The median over rounds of a / b, each pair from the same round: the
-- machine's drift between rounds cancels out of a ratio taken within one.
local function ratio(a, b)
  local r = {}
  for i = 1, math.min(#rounds[a], #rounds[b]) do r[i] = rounds[a][i] / rounds[b][i] end
  return median(r)
end

local function mark(ok) return ok and "met" or "NOT met" end
local function fmt(n) -- 12345 -> "12 345"
  local s = ("%.0f"):format(n)
  return (s:reverse():gsub("(%d%d%d)", "%1 "):reverse():gsub("^ ", ""))
end

-- One nginx worker, CPU-bound: a full mint against nginx's own proxy_pass
-- and a bare cosocket exchange, medians of per-round ratios.
local function cpu_table()
  print(("\n**Inside nginx, CPU-bound**: one worker against a local stand-in that answers at "
    .. "once, requests/s, medians of %d interleaved rounds\n"):format(#rounds.cpu_mint))
  print("| the worker does | requests/s | × proxy_pass |")
  print("|---|---|---|")
  print(("| `proxy_pass` with upstream keep-alive (the bound) | %s | 1.00 |")
    :format(fmt(median(rounds.cpu_proxy))))
  print(("| a bare cosocket exchange in Lua (send, receiveuntil, receive, cjson) | %s | %.2f |")
    :format(fmt(median(rounds.cpu_bare)), ratio("cpu_bare", "cpu_proxy")))
  print(("| a full mint: sign, exchange, decode, `embed_url` | %s | %.2f |")
    :format(fmt(median(rounds.cpu_mint)), ratio("cpu_mint", "cpu_proxy")))
  print(("\nTarget: a full mint ≥ 0.75 of proxy_pass: %s"):format(mark(ratio("cpu_mint", "cpu_proxy") >= 0.75)))
end
if arg[3] == "--cpu" then return cpu_table() end

print("**Signing**, ns per signature (best of 5 runs)\n")
print("| | lua-sls | official gateway (Node) | faster by | HMAC() floor | × floor | keyed-HMAC floor |")
print("|---|---|---|---|---|---|---|")
for _, ver in ipairs { "v1", "v4" } do
  local ours, gw = v["sign_" .. ver], v["gateway_" .. ver]
  local floor, keyed = v["hmac_floor_" .. ver], v["hmac_keyed_floor_" .. ver]
  print(("| %s | %d | %d | %.1f× | %d | %.2f× | %d |"):format(ver, ours, gw, gw / ours, floor,
    ours / floor, keyed))
end
print(("| v4, new day (key derived) | %d | | | | | |"):format(v.sign_v4_new_day))
local s1 = v.gateway_v1 / v.sign_v1 >= 3
local s4 = v.gateway_v4 / v.sign_v4 >= 10
local sf = v.sign_v1 / v.hmac_floor_v1 <= 2.5 and v.sign_v4 / v.hmac_floor_v4 <= 2.5
print(("\nTargets: v1 ≥ 3× the gateway: %s; v4 ≥ 10×: %s; within 2.5× of the HMAC() floor: %s")
  :format(mark(s1), mark(s4), mark(sf)))

print(("\n**Sequential** create_ticket, one kept-alive connection to a local nginx: "
  .. "medians of %d interleaved rounds\n"):format(#rounds.curl_loop))
print("| client | mints/s | × Node SDK | % of bare libcurl |")
print("|---|---|---|---|")
for _, row in ipairs {
  { "lua-sls, Lua 5.4 (libcurl)", "seq_lua54" }, { "lua-sls, LuaJIT (libcurl)", "seq_luajit" },
  { "lua-sls in nginx (cosocket)", "seq_ngx" },
  { "official Node SDK (@alicloud/sls20201230)", "node_sdk" },
  { "bare libcurl loop (the transport's floor)", "curl_loop" },
  { "wrk -c1 (the server's ceiling)", "wrk_c1" },
} do
  print(("| %s | %s | %.2f× | %.0f%% |"):format(row[1], fmt(median(rounds[row[2]])),
    ratio(row[2], "node_sdk"), ratio(row[2], "curl_loop") * 100))
end
local q1 = math.min(ratio("seq_lua54", "node_sdk"), ratio("seq_luajit", "node_sdk")) >= 2.5
local q2 = math.min(ratio("seq_lua54", "curl_loop"), ratio("seq_luajit", "curl_loop")) >= 0.90
print(("\nTargets: ≥ 2.5× the Node SDK: %s; ≥ 90%% of the bare libcurl loop: %s (libcurl transport, both runtimes)")
  :format(mark(q1), mark(q2)))
print(("The bare libcurl loop itself is %.2f× the Node SDK; the cosocket transport %.2f×.")
  :format(ratio("curl_loop", "node_sdk"), ratio("seq_ngx", "node_sdk")))

cpu_table()

print("\n**Inside nginx**, one worker, SLS answering in 100 ms (links/s)\n")
print("| clients | bound (clients / 0.1 s) | cosockets | % of bound | libcurl |")
print("|---|---|---|---|---|")
local dat = assert(io.open(arg[2], "w"))
local levels = {}
for k in pairs(v) do
  local c = k:match("^nginx_ngx_c(%d+)$")
  if c then levels[#levels + 1] = tonumber(c) end
end
table.sort(levels)
for _, c in ipairs(levels) do
  local ngx_rps, curl_rps, bound = v["nginx_ngx_c" .. c], v["nginx_curl_c" .. c], c / 0.1
  print(("| %d | %s | %s | %.0f%% | %s |"):format(c, fmt(bound), fmt(ngx_rps), ngx_rps / bound * 100,
    curl_rps and fmt(curl_rps) or "-"))
  dat:write(("%d %f %f %s\n"):format(c, bound, ngx_rps, curl_rps and ("%f"):format(curl_rps) or "?"))
end
dat:close()
if v.nginx_ngx_c256 then
  print(("\nTarget: ≥ 75%% of the bound at 256 clients: %s (%.0f%%)"):format(
    mark(v.nginx_ngx_c256 / 2560 >= 0.75), v.nginx_ngx_c256 / 2560 * 100))
end

print("\n**Memory**: RSS of one process (KiB)\n")
print("| runtime | after 1 000 mints | after 100 000 mints | growth |")
print("|---|---|---|---|")
local mem_ok = true
for _, rt in ipairs { { "Lua 5.4", "lua54" }, { "LuaJIT", "luajit" } } do
  local a, b = v["rss_1k_" .. rt[2]], v["rss_100k_" .. rt[2]]
  mem_ok = mem_ok and (b - a) < 2048
  print(("| %s | %s | %s | %+d KiB |"):format(rt[1], fmt(a), fmt(b), b - a))
end
print(("\nTarget: growth under 2 MB: %s"):format(mark(mem_ok)))
