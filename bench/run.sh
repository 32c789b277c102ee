#!/usr/bin/env bash
# make bench: every benchmark in one run on this machine, then the table
# (bench/report.lua) and the plot (docs/concurrency.png). Figures are ratios
# taken in the same run; absolute numbers are context only.
#   BENCH_QUICK=1 shortens every run (for a smoke test).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools/deps.sh wrk gnuplot-nox
make -s LUA_VERSION=5.4
make -s LUA_VERSION=5.1
out=build/bench
mkdir -p "$out"
results=$out/results.txt
: >"$results"
quick=${BENCH_QUICK:-}
seq_n=$([ -n "$quick" ] && echo 2000 || echo 10000)
dur=$([ -n "$quick" ] && echo 2 || echo 5)

echo "== the official SDK and gateway code, from npm (no lock file kept)"
[ -d bench/node/node_modules/@alicloud/sls20201230 ] ||
  (cd bench/node && npm install --no-package-lock --no-audit --no-fund --loglevel=error)

echo "== signing"
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -o "$out/sign" \
  bench/sign.c src/sign.c src/buf.c src/text.c $(pkg-config --cflags --libs openssl) -pthread
"$out/sign" | tee -a "$results"
(cd bench/node && node sign.js) | tee -a "$results"

echo "== stand-in SLS (nginx: answers at once on one port, after 100 ms on another)"
run=$(mktemp -d)
fast=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
slow=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
portal=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
mkdir -p "$run/conf" "$run/logs" "$run/lua" "$run/lib"
ln -sfn /usr/lib/nginx/modules "$run/modules"
# Copies, as in examples/nginx/run.sh: the workers run as nobody.
cp -R "$root/lua/sls" "$run/lua/sls"
cp "$root/build/5.1/sls.so" "$run/lib/"
chmod -R a+rX "$run"
sed -e "s/18101/$fast/; s/18102/$slow/" bench/nginx/sls.conf >"$run/conf/sls.conf"
sed -e "s/18101/$fast/; s/18102/$slow/; s/18103/$portal/" bench/nginx/mint.conf >"$run/conf/mint.conf"
nginx=$(command -v nginx || echo /usr/sbin/nginx)
cleanup() {
  for p in sls mint; do [ -f "$run/logs/$p.pid" ] && kill "$(cat "$run/logs/$p.pid")" 2>/dev/null; done
  sleep 0.3; rm -rf "$run"
}
trap cleanup EXIT
"$nginx" -p "$run" -c conf/sls.conf
"$nginx" -p "$run" -c conf/mint.conf
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$fast/" && break; sleep 0.05; done

echo "== inside nginx, CPU-bound: one worker (CPU 0) against the fast stand-in (CPU 1)"
# The same request three ways, interleaved rounds, wrk on CPU 1: nginx's own
# proxy_pass with upstream keep-alive (the bound), a bare cosocket exchange
# in Lua, and a full mint (sign, exchange, decode, embed_url). Many short
# rounds: this machine's speed drifts over seconds, and the ratios are taken
# within each round.
cpu_rounds=$([ -n "$quick" ] && echo 3 || echo 11)
cpu_dur=$([ -n "$quick" ] && echo 1 || echo 3)
for round in $(seq "$cpu_rounds"); do
  for way in proxy bare mint; do
    rps=$(taskset -c 1 wrk -t1 -c32 -d"${cpu_dur}s" "http://127.0.0.1:$portal/cpu/$way" |
      awk '/Non-2xx/ { bad = 1 } /Requests\/sec/ { rps = $2 } END { print bad ? "ERR" : rps }')
    [ "$rps" != ERR ] || { echo "!! /cpu/$way answered errors"; tail -5 "$run/logs/mint-error.log"; exit 1; }
    echo "cpu_$way $rps" | tee -a "$results"
  done
done
[ "${BENCH_ONLY:-}" != cpu ] || { lua5.4 bench/report.lua "$results" "$out/concurrency.dat" --cpu; exit 0; }

echo "== sequential minting against the stand-in, one kept-alive connection"
# The stand-in's workers run on CPU 1 and each client on CPU 0, so every
# client meets the same server on the same core; five interleaved rounds,
# and report.lua takes the median of the ratios within each round.
url=http://127.0.0.1:$fast
cc -O2 -std=c99 -D_POSIX_C_SOURCE=200809L -o "$out/curl_loop" bench/curl_loop.c \
  $(pkg-config --cflags --libs libcurl)
mapfile -t req < <(lua5.4 bench/seq.lua "$url" 0 --prepare)
pin="taskset -c 0"
for round in 1 2 3 4 5; do
  $pin lua5.4 bench/seq.lua "$url" "$seq_n" | tee -a "$results"
  $pin luajit bench/seq.lua "$url" "$seq_n" | tee -a "$results"
  (cd bench/node && ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBenchKeyId \
    ALIBABA_CLOUD_ACCESS_KEY_SECRET=BenchSecret0123456789abcdef \
    $pin node mint.js "127.0.0.1:$fast" "$seq_n") | tee -a "$results"
  $pin "$out/curl_loop" "${req[0]}" "$seq_n" "${req[@]:1}" | tee -a "$results"
  $pin wrk -t1 -c1 -d"${dur}s" -s bench/wrk_post.lua "$url/tickets" |
    awk '/Requests\/sec/ { printf "wrk_c1 %.0f\n", $2 }' | tee -a "$results"
  curl -s --max-time 300 "http://127.0.0.1:$portal/seq?n=$seq_n" | tee -a "$results"
done

echo "== memory: RSS after 1 000 and 100 000 mints in one process"
lua5.4 bench/seq.lua "$url" 0 --memory | tee -a "$results"
luajit bench/seq.lua "$url" 0 --memory | tee -a "$results"

echo "== inside nginx: one worker, SLS answering in 100 ms"
for transport in ngx curl; do
  levels=$([ -n "$quick" ] && echo "1 16 256" || echo "1 4 16 64 128 256 512")
  # A blocking worker still owes the requests of closed connections after a
  # run (clients x 0.1 s): fewer levels, and the queue drains between them.
  [ $transport = curl ] && levels=$([ -n "$quick" ] && echo "1 16" || echo "1 4 16 64 256")
  for c in $levels; do
    t=$([ "$c" -ge 2 ] && echo 2 || echo 1)
    report=$(wrk -t"$t" -c"$c" -d"${dur}s" --timeout 60s "http://127.0.0.1:$portal/$transport")
    if grep -q "Non-2xx" <<<"$report"; then
      echo "!! /$transport answered errors at $c clients:"; echo "$report"; tail -5 "$run/logs/mint-error.log"; exit 1
    fi
    rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$report")
    echo "nginx_${transport}_c$c $rps" | tee -a "$results"
    curl -s -o /dev/null --max-time 300 "http://127.0.0.1:$portal/$transport"   # drained
  done
done

echo
lua5.4 bench/report.lua "$results" "$out/concurrency.dat"
gnuplot -e "data='$out/concurrency.dat'; out='docs/concurrency.png'" bench/concurrency.gp
echo "plot: docs/concurrency.png"
