#!/usr/bin/env bash
# Mints a ticket and prints an embed link. With no credentials in the
# environment it starts the local SLS emulator and uses it (and its console
# stand-in, which opens the link once); with credentials it calls real SLS.
#   SLS_ENDPOINT, SLS_PROJECT, SLS_DASHBOARD, SLS_LINK_REGION pick the target.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/deps.sh --minimal        # build tools, Lua 5.4, lua-cjson, python3: nothing for the tests
make -s LUA_VERSION=5.4
export LUA_CPATH="$PWD/build/5.4/?.so;;" LUA_PATH="$PWD/lua/?.lua;;"

project=${SLS_PROJECT:-demo}
dashboard=${SLS_DASHBOARD:-overview}
args=(--project "$project" --dashboard "$dashboard" --expiration-time 600
      --access-token-expiration-time 300 --json)
[ -n "${SLS_LINK_REGION:-}" ] && args+=(--link-region "$SLS_LINK_REGION")

if [ -z "${ALIBABA_CLOUD_ACCESS_KEY_ID:-}" ]; then
  dir=$(mktemp -d)
  python3 spec/emulator.py --port-file "$dir/port" >"$dir/log" 2>&1 &
  emu=$!
  trap 'kill $emu 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
  url="http://127.0.0.1:$(cat "$dir/port")"
  echo "no credentials set: using the local SLS emulator at $url" >&2
  export ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tEmulatorKeyId
  export ALIBABA_CLOUD_ACCESS_KEY_SECRET=EmulatorSecret0123456789abcdef
  out=$(lua5.4 bin/sls-ticket --endpoint "$url" --console "$url" "${args[@]}")
  echo "$out"
  link=$(lua5.4 -e 'io.write(require("cjson").decode(io.read("*a")).url)' <<<"$out")
  echo "link: $link"
  echo "opening the link once in the emulator's console stand-in:" >&2
  python3 -c 'import re, sys, urllib.request
page = urllib.request.urlopen(sys.argv[1]).read().decode()
print(*re.findall(r"<h1[^>]*>[^<]*</h1>", page), file=sys.stderr)' "$link"
else
  lua5.4 bin/sls-ticket ${SLS_ENDPOINT:+--endpoint "$SLS_ENDPOINT"} "${args[@]}"
fi
