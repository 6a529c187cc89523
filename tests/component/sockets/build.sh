#!/bin/sh
# Rebuilds ../wasi-sockets-run.wasm from sockets.c and sockets-test.wit
# (needs clang with the wasm32 target, node and jco): a freestanding core
# module, its component type embedded and made a component by jco (no
# adapter: it imports only WASI 0.2 interfaces).
set -eu
cd "$(dirname "$0")"
trap 'rm -f core.tmp.wasm' EXIT
clang --target=wasm32 -nostdlib -O2 -Wall -Wextra -Wl,--no-entry -o core.tmp.wasm sockets.c
NPM_ROOT=$(npm root -g) node embed.mjs core.tmp.wasm sockets-test.wit ../wasi-sockets-run.wasm
