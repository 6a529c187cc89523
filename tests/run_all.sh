#!/bin/sh
# Runs every test wrun has: unit tests, spec scripts and CLI tests in a release
# build and again under ASan+UBSan, the embedding API's threads under TSan, the
# fuzz targets for a bounded time, wrun cross-built for AArch64 with its unit
# tests and spec scripts under qemu when a cross compiler is there,
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
# Under ASan the spec scripts run in every variant but two: spec-tier1 (every
# call switched at once; spec-tier50 switches at calls and by OSR) and
# spec-template-aot-opt (spec-aot-opt and spec-template-aot cover its two
# halves); the release pass below runs all of them. This keeps the CI run
# within its budget.
(cd build-asan && ctest -j"$jobs" --output-on-failure -E '^spec-(tier1|template-aot-opt)/')

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

# AArch64 under qemu, when the cross compiler and qemu-user are installed:
# wrun cross-built (cmake/aarch64-linux-gnu.cmake, the arm64 libraries
# unpacked by cmake/aarch64-sysroot.sh) and its ctest run through
# qemu-aarch64: the unit tests (with the AArch64 encoder and machine tests
# and the NEON forms of the SIMD lanes) and every spec script in the
# interpreter, 2-way parallel, then (label arm64-aot) the spec scripts the
# AArch64 code generator compiles whole; the CLI/WASI tests and the cross
# artifacts follow after the release build (second AArch64 block below).
# WRUN_ARM64=0 skips it.
if [ "${WRUN_ARM64:-1}" != 0 ] && command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 &&
   command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "== AArch64 cross build, tests under qemu-aarch64"
  t0=$(date +%s)
  sysroot="$top/build-arm64-sysroot"
  if cmake/aarch64-sysroot.sh "$sysroot"; then
    WRUN_ARM64_SYSROOT="$sysroot" cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
      -DWRUN_ARM64_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE=Release -DWRUN_WERROR=ON $spec >/dev/null
    # only what the tests below run: wrun and the unit test programs
    units=$(cd build-arm64 && ctest -N -R '^unit/' | sed -n 's|.* unit/\(test_[a-z0-9_]*\)$|\1|p')
    cmake --build build-arm64 -j"$jobs" --target wrun $units >/dev/null
    t1=$(date +%s)
    (cd build-arm64 && ctest -j"$jobs" --output-on-failure -R '^(unit|spec)/')
    t2=$(date +%s)
    echo "== AArch64: cross build $((t1 - t0)) s, tests under qemu $((t2 - t1)) s"
    # --- AArch64 AOT (a64isel): the spec scripts of tests/spec-aot-arm64.txt
    # compiled by src/aot/arm64/isel.c (label arm64-aot; 83 scripts, about
    # a minute at -j2), and nine control-flow scripts tiered (spec-tier50/*:
    # switches at calls and by OSR into the pipeline's code)
    t3=$(date +%s)
    (cd build-arm64 && ctest -j"$jobs" --output-on-failure -L arm64-aot)
    echo "== AArch64 AOT: spec scripts under qemu $(($(date +%s) - t3)) s"
    # --- end AArch64 AOT
    arm64_built=yes # the CLI/WASI tests and cross artifacts below (after the release build)
  else
    # no arm64 packages (apt without `dpkg --add-architecture arm64`):
    # at least the NEON forms of the SIMD lanes, which need no library
    echo "== AArch64 cross build skipped (no arm64 libraries); SIMD lanes only"
    mkdir -p build-arm64
    aarch64-linux-gnu-gcc -std=c11 -O2 -Wall -Wextra -Wno-unused-parameter -ffp-contract=off -D_GNU_SOURCE \
      -Isrc -Iinclude -static tests/unit/test_interp_simd.c src/semantics/simd.c -lm -o build-arm64/test_interp_simd
    qemu-aarch64 build-arm64/test_interp_simd
  fi
else
  echo "== AArch64 tests skipped (aarch64-linux-gnu-gcc or qemu-aarch64 missing, or WRUN_ARM64=0)"
fi

echo "== release build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DWRUN_WERROR=ON $spec >/dev/null
cmake --build build -j"$jobs" >/dev/null

# ---- AArch64, second part (issue 16; needs the release build above) --------
# The CLI scripts and WASI tests exec wrun through build-arm64/emulated/wrun,
# which runs it under qemu-aarch64 (cmake/emulated.cmake), in the
# interpreter, and fuzz_tiers' seeds are replayed (fuzz-replay/tiers, a
# second interpreter instance as the other tier until AArch64 has a code
# generator). The tests run are listed; every other cli/ and wasi*/ test is
# left out for the reason docs/testing.md ("AArch64 under qemu") gives for
# it: it exercises --aot (no AArch64 code generator yet), or it repeats
# ISA-neutral paths this host runs natively and would cost minutes under qemu.
# Then cross-compiled artifacts (tests/cross/artifact.sh): the AArch64 wrun
# under qemu compiles WASI programs with --target x86_64, byte-identical to
# this host's own artifacts and running as its interpreter does; the reverse
# direction runs by itself once `compile --target aarch64` works here.
if [ "${arm64_built:-}" = yes ]; then
  echo "== AArch64: CLI and WASI tests under qemu, cross-compiled artifacts"
  t0=$(date +%s)
  cmake --build build-arm64 -j"$jobs" --target fuzz_tiers_replay >/dev/null
  # the WASI programs and helpers exist where clang, wasi-libc and python3 do
  cmake --build build-arm64 -j"$jobs" --target wasi_testsuite wasi_sockets wasi_sandbox wasi_portable_native \
    wasi_no_openat2 >/dev/null 2>&1 || echo "== AArch64: no WASI test programs in this build"
  (cd build-arm64 && ctest -j"$jobs" --output-on-failure -R \
    '^(cli/(frontend|limits|oci|run|target|wasi|aot|tier|stdio|manifest|component_(artifact|fs|htypes|wasi))|wasi/(testsuite|sockets|native-compare|sandbox)|wasi-noopenat2/testsuite|wasi-enosys/sandbox|fuzz-replay/tiers)$')
  w=build/wasi-testsuite # built by the release build when clang and wasi-libc are there
  if [ "$(uname -m)" != x86_64 ]; then
    echo "== cross artifacts skipped: tests/cross/artifact.sh is run here with an x86-64 host"
  elif [ -f $w/portable.wasm ]; then
    sh tests/cross/artifact.sh build/wrun x86_64 build-arm64/emulated/wrun aarch64 \
      $w/exit_code.wasm $w/args_env.wasm $w/calls.wasm $w/clocks.wasm $w/filesystem.wasm $w/portable.wasm \
      tests/component/wasi-args_env.wasm
  else
    echo "== cross artifacts: only the component (no wasi-testsuite programs: clang or wasi-libc missing)"
    sh tests/cross/artifact.sh build/wrun x86_64 build-arm64/emulated/wrun aarch64 tests/component/wasi-args_env.wasm
  fi
  echo "== AArch64: CLI/WASI tests and cross artifacts $(($(date +%s) - t0)) s"
fi

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
