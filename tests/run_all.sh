#!/bin/sh
# Runs every test wrun has: unit tests, spec scripts and CLI tests in a release
# build and again under ASan+UBSan, the embedding API's threads under TSan, the fuzz targets for a bounded time, and
# the SIMD intrinsics for AArch64 under qemu when a cross compiler is there,
# and the differential fuzzer against V8 when node and wasm-opt are there.
#   tests/run_all.sh            (WRUN_SPEC_DIR=/path/to/wasm-2.0 to point at other scripts,
#                                WRUN_FUZZ_SECONDS=N to change the fuzzing time, 0 to skip,
#                                WRUN_DIFFFUZZ_SECONDS=N likewise for the fuzzing against V8)
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

# The embedding API's thread model under ThreadSanitizer: only the thread
# test and the plugin host are built with it (about 10 s of CPU).
echo "== ThreadSanitizer: embedding API threads"
tests/capi/tsan.sh "$top/build-tsan"

secs=${WRUN_FUZZ_SECONDS:-60}
if [ "$secs" -gt 0 ] && command -v clang >/dev/null 2>&1; then
  echo "== fuzzing (${secs}s per target)"
  tests/fuzz/run.sh "$secs" "$top/build-fuzz"
else
  echo "== fuzzing skipped (clang missing or WRUN_FUZZ_SECONDS=0)"
fi

# The NEON forms of the SIMD operations, on an AArch64 emulator when one is
# installed: the differential unit test built with simd.c alone.
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "== AArch64 under qemu: SIMD intrinsics against portable C"
  mkdir -p build-arm64
  aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Wno-unused-parameter -ffp-contract=off -D_GNU_SOURCE \
    -Isrc -Iinclude -static tests/unit/test_interp_simd.c src/semantics/simd.c -lm -o build-arm64/test_interp_simd
  qemu-aarch64 build-arm64/test_interp_simd
else
  echo "== AArch64 SIMD test skipped (aarch64-linux-gnu-gcc or qemu-aarch64 missing)"
fi

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWRUN_WERROR=ON $spec >/dev/null
cmake --build build -j"$jobs" >/dev/null

# Differential fuzzing against V8 (binaryen's modules, node as the oracle) on
# the release build; WRUN_DIFFFUZZ_SECONDS=N changes the time, 0 skips it.
dsecs=${WRUN_DIFFFUZZ_SECONDS:-60}
if [ "$dsecs" -gt 0 ]; then
  echo "== differential fuzzing against V8 (${dsecs}s)"
  tests/difffuzz/run.sh "$dsecs" "$top/build"
else
  echo "== differential fuzzing skipped (WRUN_DIFFFUZZ_SECONDS=0)"
fi

echo "== release tests"
cd build && ctest -j"$jobs" --output-on-failure
