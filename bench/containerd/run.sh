#!/bin/sh
# bench/containerd/run.sh — cold start of `ctr run --rm` on a containerd of
# its own (tests/shim/lib.sh): a wrun container of a hello module
# (tests/shim/hello.wat, 144 bytes of wasm; BENCH_WASM=FILE for another program that
# prints "hello from wrun") against a runc container of a static native hello
# (tests/shim/native_hello.c), N runs each, interleaved, median wall time of
# the whole `ctr run --rm` (create, start, wait, delete). Also the shim's own
# share from its log lines: Create handled, and Start to the process's exit.
#   bench/containerd/run.sh [N] [BUILD_DIR]      (root; default N=21, BUILD_DIR=build)
# With WRUN_SHIM_TRACE=1 in the environment, also the median time of each
# step of a task's life after its Create request (the shim's trace lines).
# BENCH_WRUN_FLAGS: more `ctr run` options for the wrun runs (e.g. --cgroup=
# for no cgroup).
set -u
n=${1:-21}
top=$(cd "$(dirname "$0")/../.." && pwd)
b=$(cd "${2:-$top/build}" && pwd)
export WRUN_SHIM_BOUNDED=1 # bounded by N, not by lib.sh's 240 s
set -- "$b/containerd-shim-wrun-v2" "$b/wrun" "$b/shim-tests/guest.wasm" "$b/shim-tests/shim_native_hello" "$top/tests"
. "$top/tests/shim/lib.sh"

prog=${BENCH_WASM:-$top/tests/shim/hello.wasm}
$wrun oci build "$prog" -o "$tmp/guest.tar" --name docker.io/library/bench-wrun:1 >/dev/null || exit 1
native_image "$native" docker.io/library/bench-runc:1 "$tmp/native.tar"
$C image import "$tmp/guest.tar" >/dev/null && $C image import "$tmp/native.tar" >/dev/null || exit 1
# one untimed run each: the first unpacks the snapshot
$C run --rm --runtime io.containerd.wrun.v2 docker.io/library/bench-wrun:1 warm-w </dev/null >/dev/null
$C run --rm docker.io/library/bench-runc:1 warm-r </dev/null >/dev/null

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000 )); } # microseconds
median() { sort -n | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.1f", m/1000}'; }
minimum() { sort -n | head -1 | awk '{printf "%.1f", $1/1000}'; }
: >"$tmp/w" ; : >"$tmp/r"
i=0
while [ $i -lt "$n" ]; do
  t=$(date +%s%N); out=$($C run --rm --runtime io.containerd.wrun.v2 ${BENCH_WRUN_FLAGS:-} docker.io/library/bench-wrun:1 w$i </dev/null)
  ms_since "$t" >>"$tmp/w"
  [ "$out" = "hello from wrun" ] || { echo "wrun run $i: unexpected output '$out'"; grep "w$i" "$tmp/containerd.log" | tail -5; exit 1; }
  t=$(date +%s%N); out=$($C run --rm docker.io/library/bench-runc:1 r$i </dev/null)
  ms_since "$t" >>"$tmp/r"
  [ "$out" = "hello from runc" ] || { echo "runc run $i: unexpected output '$out'"; exit 1; }
  i=$((i + 1))
done
w=$(median <"$tmp/w"); r=$(median <"$tmp/r")
# the shim's log lines (copied into containerd's log): "create C ms, start to exit S ms"
grep -o "task w[0-9]*: .*create [0-9.]* ms, start to exit [0-9.]* ms, create to exit [0-9.]* ms" \
  "$tmp/containerd.log" >"$tmp/shim"
c=$(sed 's/.*; create \([0-9.]*\) ms.*/\1/' "$tmp/shim" | awk '{print $1*1000}' | median)
s=$(sed 's/.*start to exit \([0-9.]*\) ms.*/\1/' "$tmp/shim" | awk '{print $1*1000}' | median)
both=$(sed 's/.*; create \([0-9.]*\) ms, start to exit \([0-9.]*\) ms.*/\1 \2/' "$tmp/shim" | awk '{print ($1+$2)*1000}' | median)
ce=$(sed 's/.*create to exit \([0-9.]*\) ms.*/\1/' "$tmp/shim" | awk '{print $1*1000}' | median)
bmin=$(sed 's/.*; create \([0-9.]*\) ms, start to exit \([0-9.]*\) ms.*/\1 \2/' "$tmp/shim" | awk '{print ($1+$2)*1000}' | minimum)
cemin=$(sed 's/.*create to exit \([0-9.]*\) ms.*/\1/' "$tmp/shim" | awk '{print $1*1000}' | minimum)
echo "ctr run --rm, median of $n (ms):  wrun $w   runc $r   runc/wrun $(awk -v a="$r" -v b="$w" 'BEGIN{printf "%.2f", a/b}')x" \
  "  (fastest: wrun $(minimum <"$tmp/w")   runc $(minimum <"$tmp/r"))"
echo "shim's share, median of $(wc -l <"$tmp/shim") (ms):  Create $c   Start to exit $s   both $both (fastest $bmin)" \
  "  Create to exit, containerd's Start call included: $ce (fastest $cemin)"
echo "load average while measuring: $(cut -d' ' -f1-3 /proc/loadavg)"
# BENCH_TRACE=1: the shim's trace lines (WRUN_SHIM_TRACE), each step's median
# time after the task's Create request arrived, in ms
if [ -n "${WRUN_SHIM_TRACE:-}" ]; then
  grep -o "trace w[0-9]* .* at [0-9.]* ms" "$tmp/containerd.log" | awk '
    { id = $2; t = $(NF - 1); what = $3; for (i = 4; i < NF - 2; i++) what = what " " $i
      if (what == "create: request") t0[id] = t
      else if (id in t0) printf "%s|%.3f\n", what, t - t0[id] }' |
    sort -t'|' -k1,1 -k2,2n | awk -F'|' '
    function out() { if (c) printf "  %8.3f ms  %s (median of %d)\n", (c % 2 ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2), prev, c }
    $1 != prev { out(); prev = $1; c = 0 } { a[++c] = $2 } END { out() }' | sort -n
fi
