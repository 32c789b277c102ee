#!/usr/bin/env bash
# Builds lua-sls for LuaJIT and runs the example portal with Debian's nginx in
# the foreground on 127.0.0.1:$PORT (default 8080). Credentials come from the
# environment (ALIBABA_CLOUD_ACCESS_KEY_ID, ...); SLS_ENDPOINT and SLS_CONSOLE
# point it elsewhere, e.g. at the emulator (spec/emulator.py).
#   PORT      listen port                   RUN_DIR  nginx prefix (build/nginx-example)
#   CONF      nginx.conf to use (this one)  CA_FILE  trust store for TLS to SLS
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${PORT:-8080}
run=${RUN_DIR:-$root/build/nginx-example}
conf=${CONF:-$here/nginx.conf}
nginx=$(command -v nginx || echo /usr/sbin/nginx)

make -s -C "$root" LUA_VERSION=5.1 >/dev/null
mkdir -p "$run/conf" "$run/logs"
ln -sfn /usr/lib/nginx/modules "$run/modules"      # Debian's dynamic modules
# Copies, not links: started as root, nginx runs its workers as nobody,
# who may not be allowed into the directory this tree is checked out in.
rm -rf "$run/lua" "$run/lib" "$run/html"
mkdir -p "$run/lua" "$run/lib"
cp -R "$here/html" "$run/html"
cp "$here/lua/portal.lua" "$run/lua/"
cp -R "$root/lua/sls" "$run/lua/sls"
cp "$root/build/5.1/sls.so" "$run/lib/"
chmod -R a+rX "$run"
sed -e "s/listen 127.0.0.1:8080;/listen 127.0.0.1:$port;/" \
    -e "s|/etc/ssl/certs/ca-certificates.crt|${CA_FILE:-/etc/ssl/certs/ca-certificates.crt}|" \
    "$conf" >"$run/conf/nginx.conf"
echo "portal: http://127.0.0.1:$port/ (nginx prefix $run)" >&2
exec "$nginx" -p "$run" -c conf/nginx.conf -g "daemon off;"
