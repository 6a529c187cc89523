#!/bin/sh
# Rebuilds the wasi:http test components from their sources (needs clang with
# the wasm32 target, jco, and componentize-js for the JavaScript handler):
#   http-handler.wasm  handler.c: clang -> core module; embed.mjs: WIT world (world.wit) + component
#   http-js.wasm       app.js: componentize-js (StarlingMonkey; takes ~40 s)
# The WIT packages come from the installed jco (its builtin WASI 0.2.12 WIT);
# StarlingMonkey speaks wasi:http@0.2.10, so the JavaScript build gets a copy
# of them renumbered to 0.2.10. The outputs are committed; tests only run them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "${1:-$here/..}" && pwd)
jco_root=$(npm root -g)/@bytecodealliance/jco
builtin=$jco_root/lib/wit/builtin/0.2.12
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/wit/deps"
cp "$here/world.wit" "$tmp/wit/"
cp -rL "$builtin"/* "$tmp/wit/deps/"
clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=__heap_base -o "$tmp/core.wasm" "$here/handler.c"
node "$here/embed.mjs" "$tmp/core.wasm" "$tmp/wit" handler "$out/http-handler.wasm"

if [ "${SKIP_JS:-}" = "" ]; then
  mkdir -p "$tmp/js/wit/deps"
  cp -rL "$builtin"/* "$tmp/js/wit/deps/"
  find "$tmp/js/wit/deps" -name '*.wit' -exec sed -i 's/@0\.2\.12/@0.2.10/g' {} +
  printf 'package wrun:test;\n\nworld handler {\n  export wasi:http/incoming-handler@0.2.10;\n}\n' > "$tmp/js/wit/world.wit"
  componentize-js "$here/app.js" --wit "$tmp/js/wit" -n handler -o "$out/http-js.wasm"
fi
