#!/usr/bin/env bash
# The whole test run: installs what is missing, builds warning-free for
# PUC Lua 5.1, 5.2, 5.3, 5.4 and LuaJIT 2.1, installs the rock with the
# README's lines, checks the API reference builds without an LDoc warning,
# runs the specs on all five (nginx and Chromium with LuaJIT, the threads
# test with 5.4), then again under AddressSanitizer + UBSan and under
# valgrind, then a short fuzz run. Ends with one summary line.
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

# The release rockspec (the newest lua-sls-X.Y.Z-N.rockspec) and its version.
rockspec=$(ls lua-sls-[0-9]*.rockspec | sort -V | tail -n 1)
version=${rockspec#lua-sls-}; version=${version%-*.rockspec}

echo "== build: Lua 5.4, 5.3, 5.2, PUC 5.1 and LuaJIT, with -Werror"
make -s LUA_VERSION=5.4 EXTRA_CFLAGS=-Werror
make -s LUA_VERSION=5.3 EXTRA_CFLAGS=-Werror
make -s LUA_VERSION=5.2 EXTRA_CFLAGS=-Werror
make -s LUA_VERSION=5.1 LUA=lua5.1 EXTRA_CFLAGS=-Werror      # build/puc5.1
make -s LUA_VERSION=5.1 EXTRA_CFLAGS=-Werror                 # LuaJIT: build/5.1

echo "== luarocks make: the README's install lines, into scratch trees"
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
# `luarocks make` compiles into the working directory and leaves ./sls.so
# there, which LuaJIT (./?.so first on its path) would load instead of the
# installed module: the README's lines remove it, as here.
rock() {  # tree name, luarocks arguments...
  local t=$1; shift
  { luarocks make --deps-mode=none --tree "$tree/$t" "$@" && rm -f sls.so src/*.o; } >"$tree/log" 2>&1 \
    || { cat "$tree/log"; exit 1; }
  [ ! -e sls.so ] && ! ls src/*.o >/dev/null 2>&1 || { echo "!! luarocks make left sls.so or src/*.o behind"; exit 1; }
}
rock 5.4 --lua-version 5.4 "$rockspec"
rock 5.1 --lua-version 5.1 LUA_INCDIR=/usr/include/luajit-2.1 "$rockspec"
rock scm --lua-version 5.4 lua-sls-scm-1.rockspec
for v in 5.4:5.4:lua5.4 5.1:5.1:luajit scm:5.4:lua5.4; do
  IFS=: read -r t lv lua <<<"$v"
  got=$(cd / && LUA_CPATH="$tree/$t/lib/lua/$lv/?.so;;" "$lua" -e 'io.write(require("sls")._VERSION)')
  [ "$got" = "lua-sls $version" ] || { echo "!! the $t rock does not load: $got"; exit 1; }
  [ -x "$tree/$t/bin/sls-ticket" ] || { echo "!! sls-ticket not installed for $t"; exit 1; }
  got=$(cd / && LUA_CPATH="$tree/$t/lib/lua/$lv/?.so;;" LUA_PATH="$tree/$t/share/lua/$lv/?.lua;;" \
        "$tree/$t/bin/sls-ticket" --version)
  [ "$got" = "sls-ticket (lua-sls $version)" ] || { echo "!! the $t sls-ticket says: $got"; exit 1; }
  for m in ngx credentials credentials/files; do
    [ -f "$tree/$t/share/lua/$lv/sls/$m.lua" ] || { echo "!! sls/$m.lua not installed for $t"; exit 1; }
  done
done
echo "installed and loaded: $rockspec for Lua 5.4 and LuaJIT, lua-sls-scm-1.rockspec for Lua 5.4"

echo "== API reference: LDoc over docs/*.luadoc, no warning allowed"
# Under Lua 5.1, where Debian's lua-markdown lives; a warning is a
# "file:line: ..." line, and markdown must not fall back to plain text.
if ldoc_out=$(lua5.1 /usr/bin/ldoc --fatalwarnings -c docs/config.ld . 2>&1) &&
   ! grep -qE '^[^ ]+:[0-9]+: |falling back' <<<"$ldoc_out"; then
  echo "build/doc/index.html"; passed=$((passed + 1))
else
  echo "$ldoc_out"; echo "!! LDoc warned"; failed=$((failed + 1))
fi

# The nginx specs (#nginx) start Debian's nginx, which loads the LuaJIT
# build whatever runs busted: they run once, with LuaJIT.
# spec/12 (#threads) builds its own Lua 5.4 program and runs it under
# ThreadSanitizer and helgrind: once, in the Lua 5.4 pass.
run_specs "Lua 5.4 + threads" lua5.4 5.4 --exclude-tags=nginx
run_specs "Lua 5.3" lua5.3 5.3 --exclude-tags=nginx,threads
run_specs "Lua 5.2" lua5.2 5.2 --exclude-tags=nginx,threads
run_specs "Lua 5.1 (PUC)" lua5.1 puc5.1 --exclude-tags=nginx,threads
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
