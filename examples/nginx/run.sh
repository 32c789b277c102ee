#!/usr/bin/env bash
# Builds lua-sls for LuaJIT and runs the example portal with Debian's nginx in
# the foreground on 127.0.0.1:$PORT (default 8080). Credentials come from the
# environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ...), the demo sign-in's users
# from PORTAL_USERS ("user:password,..."); SLS_ENDPOINT and SLS_CONSOLE point
# it elsewhere, e.g. at the emulator (spec/emulator.py).
#   PORT      listen port                   RUN_DIR  nginx prefix (below)
#   CONF      nginx.conf to use (this one)  CA_FILE  trust store for TLS to SLS
#   PORTAL_MINT_RATE, PORTAL_MINT_BURST     links a minute and at once, per user
#   PORTAL_REFRESH_RATE, PORTAL_REFRESH_BURST   /sls/refresh calls, likewise
# The prefix holds copies of the Lua files, portal.js/.css and sls.so, and the
# logs. Started as root, nginx runs its workers as nobody, who may not enter
# the directory this tree is checked out in (a 0700 home): so the default
# prefix is /tmp/lua-sls-portal.<uid>.<port>, made 0755 and refused if it is
# not this user's own directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${PORT:-8080}
conf=${CONF:-$here/nginx.conf}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
run=${RUN_DIR:-}
if [ -z "$run" ]; then
  run=/tmp/lua-sls-portal.$(id -u).$port
  mkdir -p -m 0755 "$run"
  if [ -L "$run" ] || [ ! -O "$run" ]; then
    echo "run.sh: $run is not a directory of this user's; set RUN_DIR" >&2
    exit 1
  fi
  chmod 0755 "$run"
fi

make -s -C "$root" LUA_VERSION=5.1 >/dev/null
mkdir -p "$run/conf" "$run/logs"
ln -sfn /usr/lib/nginx/modules "$run/modules"      # Debian's dynamic modules
rm -rf "$run/lua" "$run/lib" "$run/html"
mkdir -p "$run/lua" "$run/lib"
cp -R "$here/html" "$run/html"
cp -R "$here/lua/." "$run/lua/"
cp -R "$root/lua/sls" "$run/lua/sls"
cp "$root/build/5.1/sls.so" "$run/lib/"
chmod -R a+rX "$run"
sed -e "s/listen 127.0.0.1:8080;/listen 127.0.0.1:$port;/" \
    -e "s|/etc/ssl/certs/ca-certificates.crt|${CA_FILE:-/etc/ssl/certs/ca-certificates.crt}|" \
    "$conf" >"$run/conf/nginx.conf"
echo "portal: http://127.0.0.1:$port/ (nginx prefix $run)" >&2
exec "$nginx" -p "$run" -c conf/nginx.conf -g "daemon off;"
