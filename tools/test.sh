#!/usr/bin/env bash
# The whole test run: installs what is missing, builds for Lua 5.4 and
# LuaJIT warning-free, runs the specs on both (nginx and Chromium with LuaJIT,
# the threads test with 5.4), then again under AddressSanitizer + UBSan and
# under valgrind, then a short fuzz run. Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

tools/deps.sh

# Specs that expect "no credentials" must not wait for an instance metadata
# service this machine lacks; spec/13 turns it on against its own server.
export ALIBABA_CLOUD_ECS_METADATA_DISABLED=true

passed=0 failed=0
summary() {  # busted's last line: "N successes / N failures / N errors / N pending"
  local line; line=$(grep -E '^[0-9]+ successes? / [0-9]+ failures?' "$1" | tail -1 || true)
  if [ -z "$line" ]; then failed=$((failed + 1)); echo "!! no busted summary in $1"; return; fi
  set -- $line
  passed=$((passed + $1)); failed=$((failed + $4 + $7))
}

run_specs() {  # label, lua binary, build dir, busted tag filter, [wrapper...]
  local label=$1 lua=$2 build=$3 tags=$4; shift 4
  echo "== specs: $label"
  local log; log=$(mktemp)
  local rc=0
  SLS_ROOT=$root SLS_BUILD=$build SLS_LUA=$lua "$@" "$lua" /usr/bin/busted -o utfTerminal "$tags" spec \
    >"$log" 2>&1 || rc=$?
  tail -n 40 "$log"
  summary "$log"
  # A sanitizer or valgrind report fails the run even when every spec passed.
  if [ "$rc" -ne 0 ]; then echo "!! $label exited with $rc"; failed=$((failed + 1)); fi
}

echo "== the official SLS gateway code, from npm (no lock file kept)"
[ -d tools/gateway-verify/node_modules/@alicloud/gateway-sls ] ||
  (cd tools/gateway-verify && npm install --no-package-lock --no-audit --no-fund --loglevel=error)

echo "== the official credential providers, from npm (no lock file kept)"
[ -d tools/official-verify/node_modules/@alicloud/credentials ] ||
  (cd tools/official-verify && npm install --no-package-lock --no-audit --no-fund --loglevel=error)

echo "== build"
make -s LUA_VERSION=5.4 EXTRA_CFLAGS=-Werror
make -s LUA_VERSION=5.1 EXTRA_CFLAGS=-Werror

echo "== luarocks make (Lua 5.4 and LuaJIT), into a scratch tree"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
luarocks make --deps-mode=none --tree "$tree/5.4" --lua-version 5.4 lua-sls-0.1.0-1.rockspec >"$tree/log" 2>&1 \
  || { cat "$tree/log"; exit 1; }
luarocks make --deps-mode=none --tree "$tree/5.1" --lua-version 5.1 LUA_INCDIR=/usr/include/luajit-2.1 \
  lua-sls-0.1.0-1.rockspec >"$tree/log" 2>&1 || { cat "$tree/log"; exit 1; }
for v in 5.4:lua5.4 5.1:luajit; do
  got=$(LUA_CPATH="$tree/${v%%:*}/lib/lua/${v%%:*}/?.so;;" "${v##*:}" -e 'io.write(require("sls")._VERSION)')
  [ "$got" = "lua-sls 0.1.0" ] || { echo "!! the rock for ${v%%:*} does not load: $got"; exit 1; }
  [ -x "$tree/${v%%:*}/bin/sls-ticket" ] || { echo "!! sls-ticket not installed for ${v%%:*}"; exit 1; }
  for m in ngx credentials; do
    [ -f "$tree/${v%%:*}/share/lua/${v%%:*}/sls/$m.lua" ] || { echo "!! sls/$m.lua not installed for ${v%%:*}"; exit 1; }
  done
done
echo "installed and loaded for Lua 5.4 and LuaJIT"

# The nginx specs (#nginx) start Debian's nginx, which loads the LuaJIT
# build whatever runs busted: they run once, with LuaJIT.
# spec/12 (#threads) builds its own Lua 5.4 program and runs it under
# ThreadSanitizer and helgrind: once, in the Lua 5.4 pass.
run_specs "Lua 5.4 + threads" lua5.4 5.4 --exclude-tags=nginx
run_specs "LuaJIT 2.1 + nginx" luajit 5.1 --exclude-tags=threads

echo "== build: AddressSanitizer + UBSan"
make -s LUA_VERSION=5.4 BUILD=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
  EXTRA_CFLAGS="-Werror -fsanitize=address,undefined -fno-sanitize-recover=undefined"
asan_rt="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86 \
LSAN_OPTIONS=suppressions=$root/tools/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_specs "Lua 5.4 + ASan/UBSan" lua5.4 asan --exclude-tags=nginx,threads env LD_PRELOAD="$asan_rt"

echo "== valgrind"
run_specs "Lua 5.4 under valgrind" lua5.4 5.4 --exclude-tags=nginx,threads \
  valgrind -q --error-exitcode=87 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --suppressions=$root/tools/valgrind.supp --child-silent-after-fork=yes

echo "== fuzzing: a short regression run of each libFuzzer target over its corpus"
if FUZZ_SECONDS=${FUZZ_SECONDS:-10} tools/fuzz.sh >"$tree/fuzz.log" 2>&1; then
  grep '^fuzz:' "$tree/fuzz.log"
  passed=$((passed + $(grep -c '^fuzz:' "$tree/fuzz.log")))
else
  tail -40 "$tree/fuzz.log"; failed=$((failed + 1))
fi

echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
