#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for a bounded time.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [BUILD_DIR]
# Seeds come from tests/fuzz/seeds/<target>; the growing corpus is kept in the
# build directory (not committed). Exits non-zero if a target finds a crash.
set -eu
secs=${1:-60}
# WRUN_FUZZ_SEED=N fixes libFuzzer's seed (CI does, so a run explores the same
# inputs each time; a crash found by a long random run is fixed and its input
# added to the seeds rather than left to fail some later, unrelated commit)
seed=""
[ -n "${WRUN_FUZZ_SEED:-}" ] && seed="-seed=$WRUN_FUZZ_SEED"
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$top/build-fuzz}
CC=clang cmake -S "$top" -B "$build" -DWRUN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_decode fuzz_text fuzz_aot fuzz_tiers fuzz_component fuzz_wave fuzz_serve_url fuzz_cartifact fuzz_http fuzz_htypes -j2 >/dev/null
targets="decode text aot tiers component wave serve_url cartifact http htypes"
# the shim's input (built only where protobuf-c, jansson and containerd's .proto files are)
cmake --build "$build" --target fuzz_ttrpc fuzz_shim_spec fuzz_shim_layout -j2 >/dev/null 2>&1 &&
  targets="$targets ttrpc shim_spec shim_layout"
for t in $targets; do
  corpus="$build/corpus-$t"
  mkdir -p "$corpus"
  echo "fuzz_$t: running for ${secs}s"
  maxlen=4096
  [ "$t" = aot ] || [ "$t" = tiers ] && maxlen=16384 # their seeds are whole compiled programs
  [ "$t" = component ] || [ "$t" = cartifact ] && maxlen=16384
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 $seed -artifact_prefix="$build/crash-$t-" \
      "$corpus" "$top/tests/fuzz/seeds/$t" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done" || true
  if ls "$build"/crash-$t-* >/dev/null 2>&1; then
    echo "fuzz_$t: found a failing input:"; ls "$build"/crash-$t-*; exit 1
  fi
done

# fuzz_wasi twice on one corpus: with openat2, then with the kernel answering
# it ENOSYS (WRUN_TEST_NO_OPENAT2=1), so the fallback resolver is fuzzed too.
# -len_control=0: long call sequences at once (in 90 s: 25% more features
# than letting the length grow slowly, at 60% of the executions).
cmake --build "$build" --target fuzz_wasi -j2 >/dev/null
for mode in openat2 no-openat2; do
  corpus="$build/corpus-wasi"
  mkdir -p "$corpus"
  echo "fuzz_wasi ($mode): running for ${secs}s"
  if [ $mode = openat2 ]; then set -- env -u WRUN_TEST_NO_OPENAT2; else set -- env WRUN_TEST_NO_OPENAT2=1; fi
  "$@" "$build/tests/fuzz/fuzz_wasi" -max_total_time="$secs" -max_len=2048 -len_control=0 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 $seed -artifact_prefix="$build/crash-wasi-$mode-" \
      "$corpus" "$top/tests/fuzz/seeds/wasi" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|SUMMARY|Done|^fuzz_wasi" || true
  if ls "$build"/crash-wasi-$mode-* >/dev/null 2>&1; then
    echo "fuzz_wasi ($mode): found a failing input (replay with WRUN_FUZZ_WASI_TRACE=1 to see its calls):"
    ls "$build"/crash-wasi-$mode-*; exit 1
  fi
done
