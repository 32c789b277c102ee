#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang (ASan + UBSan) and runs
# each over its committed corpus in fuzz/corpus/<target> for FUZZ_SECONDS
# (default 10: the regression run in `make test`). FUZZ_MERGE=1 merges what
# a run found back into the committed corpus (for long local runs).
# Prints one line per target: executions, corpus size, findings.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-10}
out=build/fuzz
mkdir -p "$out"
cc=${FUZZ_CC:-clang}
flags=(-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -std=c99 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE)
mapfile -t all_src < <(tools/sources.sh)     # the rockspec's list
[ ${#all_src[@]} -gt 0 ] || { echo "fuzz: no sources in the rockspec" >&2; exit 1; }
deps=$(pkg-config --cflags --libs libcurl libcrypto)

build() {  # target, sources...
  local t=$1; shift
  "$cc" "${flags[@]}" -I/usr/include/lua5.4 -o "$out/fuzz_$t" "fuzz/fuzz_$t.c" "$@" \
    -llua5.4 $deps -pthread -lm
}
build sign src/sign.c src/buf.c src/text.c
build endpoint src/endpoint.c
build httpparse src/httpparse.c src/buf.c src/text.c
build answer "${all_src[@]}"
build embed "${all_src[@]}"

status=0
for t in sign endpoint httpparse answer embed; do
  mkdir -p "fuzz/corpus/$t"
  found=$(mktemp -d)
  log=$out/$t.log
  # New inputs go to the first directory (scratch); the committed corpus is read.
  if ASAN_OPTIONS=detect_leaks=1 "$out/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
       -timeout=10 -rss_limit_mb=4096 -artifact_prefix="$out/$t-" \
       "$found" "fuzz/corpus/$t" >"$log" 2>&1; then
    result="0 findings"
  else
    result="A FINDING (see $log)"; status=1
    tail -30 "$log"
  fi
  execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{ print $2 }')
  if [ -n "${FUZZ_MERGE:-}" ]; then
    "$out/fuzz_$t" -merge=1 "fuzz/corpus/$t" "$found" >/dev/null 2>&1
  fi
  printf 'fuzz: %-9s %10s executions in %ss, coverage %s, corpus %s files, %s\n' \
    "$t" "${execs:-0}" "$secs" "${cov:-?}" "$(ls "fuzz/corpus/$t" | wc -l)" "$result"
  rm -rf "$found"
done
exit $status
