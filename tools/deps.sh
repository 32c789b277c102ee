#!/usr/bin/env bash
# Installs the Debian packages that are missing, from Debian's archive.
#   tools/deps.sh --minimal [pkg...]   build for Lua 5.4 and run the demo
#                                      (a compiler, libcurl, OpenSSL, CA
#                                      certificates, Lua 5.4, lua-cjson,
#                                      python3 for the emulator)
#   tools/deps.sh [pkg...]             everything `make test` needs: also
#                                      PUC Lua 5.1-5.3, LuaJIT, busted,
#                                      luarocks, LDoc (+ lua-markdown), valgrind, nginx with its
#                                      Lua module and Chromium (nginx specs),
#                                      clang (fuzzing), Node (gateway spec)
# Extra package names may follow. Debian only.
set -euo pipefail
minimal=(gcc make pkg-config libc6-dev libcurl4-openssl-dev libssl-dev ca-certificates
         lua5.4 liblua5.4-dev lua-cjson python3)
test=(openssl curl luarocks lua-busted lua-socket lua-ldoc lua-markdown valgrind
      lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev
      luajit2 libluajit2-5.1-dev
      nginx libnginx-mod-http-lua lua-resty-core chromium clang libclang-rt-14-dev)
if [ "${1:-}" = --minimal ]; then
  shift
  pkgs=("${minimal[@]}" "$@")
  need_node=
else
  pkgs=("${minimal[@]}" "${test[@]}" "$@")
  need_node=1
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v python3 >/dev/null && missing=("${missing[@]/python3}")
# Node runs the official gateway code in a spec; any Node on PATH will do.
if [ -n "$need_node" ] && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] || [ -z "${missing[*]// /}" ] && exit 0
echo "== installing: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
