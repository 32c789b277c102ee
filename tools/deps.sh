#!/usr/bin/env bash
# Installs the Debian packages the build, the specs and the demo need, when
# any is missing (nginx, its Lua module and Chromium serve the nginx specs;
# clang and its runtime the fuzzers).
# Extra package names may be given as arguments. Debian only; everything
# comes from Debian's archive.
set -euo pipefail
pkgs=(gcc make pkg-config python3 openssl lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev
      lua-cjson lua-busted lua-socket luarocks libcurl4-openssl-dev libssl-dev valgrind curl
      nginx libnginx-mod-http-lua lua-resty-core chromium clang libclang-rt-14-dev "$@")  # + what the caller adds
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v python3 >/dev/null && missing=("${missing[@]/python3}")
# Node runs the official gateway code in a spec; any Node on PATH will do.
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] || [ -z "${missing[*]// /}" ] && exit 0
echo "== installing: ${missing[*]}"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends ${missing[*]} >/dev/null
