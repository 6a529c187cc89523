#!/bin/sh
# Differential fuzzing against V8 for a bounded time (docs/testing.md):
# binaryen's translate-to-fuzz makes modules, node runs them in V8, and
# difffuzz_driver runs them in wrun's interpreter and AOT tier.
#   tests/difffuzz/run.sh SECONDS [BUILD_DIR] [OUT_DIR]
# Prints counts (modules, functions, comparisons, divergences), saves every
# divergent module with the outputs under OUT_DIR (default
# BUILD_DIR/difffuzz-out) and exits 1 on a divergence; exits 0 after saying
# so when node, wasm-opt or python3 is missing. A divergence that goes away
# when every arithmetic NaN is made canonical (canon_nan.py) is NaN
# nondeterminism: saved under OUT_DIR/nan, not counted.
set -eu
secs=${1:?usage: tests/difffuzz/run.sh SECONDS [BUILD_DIR] [OUT_DIR]}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$top/build}
out=${3:-$build/difffuzz-out}
for tool in node wasm-opt python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "difffuzz: skipped ($tool missing; apt-get install nodejs binaryen python3)"
    exit 0
  fi
done
[ -f "$build/CMakeCache.txt" ] || cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target difffuzz_driver -j2 >/dev/null
# first, that NaN nondeterminism is told from a wrong answer: nan_case.wat
# diverges only in NaN bits, which must be classified, not reported
mkdir -p "$out"
wasm-opt "$top/tests/difffuzz/nan_case.wat" --enable-simd -o "$out/nan_case.wasm" 2>/dev/null
if ! python3 "$top/tests/difffuzz/run.py" --replay "$out/nan_case.wasm" --driver "$build/difffuzz_driver" \
    --out "$out/nan_case" | grep -q ' divergences=0 nan_memory=0 nan_nondeterministic=1$'; then
  echo "difffuzz: FAIL: $out/nan_case.wasm (NaN nondeterminism only) was not classified as such"
  exit 1
fi
exec python3 "$top/tests/difffuzz/run.py" --seconds "$secs" --driver "$build/difffuzz_driver" --out "$out" \
  ${WRUN_DIFFFUZZ_SEED:+--seed "$WRUN_DIFFFUZZ_SEED"}
