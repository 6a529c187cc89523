#!/bin/sh
# Rebuilds the checked-in test guests (clang with the wasm32 target and
# wasm-ld; no libc: the guests use only the http_handler imports).
set -e
cd "$(dirname "$0")"
for g in hello app; do
  clang --target=wasm32-wasi -nostdlib -O2 -Wall -Wextra -Wl,--no-entry -o "$g.wasm" "$g.c"
done
# a guest that uses wasi-libc (malloc, snprintf, getenv, stdout): a reactor
clang --target=wasm32-wasi -Os -Wall -Wextra -mexec-model=reactor -Wl,--strip-all -o wasi_guest.wasm wasi_guest.c
