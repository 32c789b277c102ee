#!/bin/sh
# Prints the C sources of sls.so, one a line, as the release rockspec lists
# them in build.modules.sls.sources. That list is the only one: the Makefile,
# tools/fuzz.sh and tools/test.sh read it through this script, so adding a
# file to the rockspec is enough. A rockspec may be named as $1.
set -eu
cd "$(dirname "$0")/.."
spec=${1:-$(ls lua-sls-[0-9]*.rockspec | sort -V | tail -n 1)}
# From the line that opens `sources = {` to the first `}`: the quoted *.c names.
awk '/sources[ \t]*=[ \t]*\{/ { on = 1 } on { print } on && /\}/ { exit }' "$spec" |
  grep -o '"[^"]*\.c"' | tr -d '"'
