#!/bin/sh
# Rebuilds state_component.wasm (tests/serve/component_isolation.sh) from
# state_component.wat (wat2wasm, wabt) and a WIT world exporting
# wasi:http/incoming-handler@0.2.12, with the wasm-tools jco bundles
# (tests/component/http/embed.mjs; WASI WIT from jco's builtin 0.2.12), and
# wasi_p1_guest.wasm from wasi_p1_guest.c (clang, no libc). The outputs are
# committed; tests only run them.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
builtin=$(npm root -g)/@bytecodealliance/jco/lib/wit/builtin/0.2.12
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/wit/deps"
cp -rL "$builtin"/* "$tmp/wit/deps/"
printf 'package wrun:test;\n\nworld state {\n  export wasi:http/incoming-handler@0.2.12;\n}\n' >"$tmp/wit/world.wit"
wat2wasm -o "$tmp/core.wasm" "$here/state_component.wat"
node "$here/../component/http/embed.mjs" "$tmp/core.wasm" "$tmp/wit" state "$here/state_component.wasm"
clang --target=wasm32-wasi -nostdlib -O2 -Wall -Wextra -Wl,--no-entry -o "$here/wasi_p1_guest.wasm" "$here/wasi_p1_guest.c"
