#!/bin/sh
# Runs every test wrun has: unit tests, spec scripts and CLI tests in a release
# build and again under ASan+UBSan, then the fuzz targets for a bounded time.
#   tests/run_all.sh            (WRUN_SPEC_DIR=/path/to/wasm-2.0 to point at other scripts,
#                                WRUN_FUZZ_SECONDS=N to change the fuzzing time, 0 to skip)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)
spec=""
[ -n "${WRUN_SPEC_DIR:-}" ] && spec="-DWRUN_SPEC_DIR=$WRUN_SPEC_DIR"

echo "== ASan+UBSan build"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DWRUN_SANITIZE=address,undefined $spec >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
(cd build-asan && ctest -j"$jobs" --output-on-failure)

secs=${WRUN_FUZZ_SECONDS:-60}
if [ "$secs" -gt 0 ] && command -v clang >/dev/null 2>&1; then
  echo "== fuzzing (${secs}s per target)"
  tests/fuzz/run.sh "$secs" "$top/build-fuzz"
else
  echo "== fuzzing skipped (clang missing or WRUN_FUZZ_SECONDS=0)"
fi

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWRUN_WERROR=ON $spec >/dev/null
cmake --build build -j"$jobs" >/dev/null
cd build && ctest -j"$jobs" --output-on-failure
