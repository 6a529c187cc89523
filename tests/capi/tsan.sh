#!/bin/sh
# tsan.sh — the embedding API's thread model under ThreadSanitizer: builds
# only the thread test (tests/capi/threads.c: one engine and module shared
# by several threads, a store per thread, both tiers) and the plugin host
# example (one store per plugin thread, shared modules) with
# -fsanitize=thread, and runs both. The rest of the tree is not built, which
# keeps this within CI's budget (tests/run_all.sh runs it).
#   tests/capi/tsan.sh [BUILD_DIR]      (default build-tsan)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build-tsan}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$top" -B "$out" -DCMAKE_BUILD_TYPE=Debug -DWRUN_SANITIZE=thread -DWRUN_LIBRARY=OFF >/dev/null
cmake --build "$out" -j"$jobs" --target capi_threads example_plugins >/dev/null
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}"
"$out/capi_threads" "$top/tests/capi/standard.wasm" 4 300
res=$("$out/example_plugins" 21 "$top"/examples/plugins/*.wasm)
printf '%s\n' "$res"
for l in "double.wasm: result 43" "square.wasm: result 441" "hog.wasm: result -1" \
         "spin.wasm: stopped: out of fuel (all fuel consumed)" \
         "crash.wasm: stopped: trapped (out of bounds memory access)"; do
  printf '%s\n' "$res" | grep -qx "$l" || { echo "tsan.sh: plugins: no line '$l'"; exit 1; }
done
echo "tsan: ok"
