#!/bin/sh
# The optimizing pipeline compiles a module's functions on worker threads
# (src/aot/ir/ahead.c): the artifact must be byte-identical whatever the
# thread count (WRUN_AOT_THREADS), and its code must give the interpreter's
# results; `compile -v` reports the CPU time and the MB/s it makes
# (bench/compile-speed reads them).
#   sh aot_threads.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
case $(uname -m) in x86_64|amd64) ;; *) echo "SKIP: the AOT compiler targets x86-64"; exit 77 ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# 60 functions (more than ahead.c's minimum of 16), each a loop with a
# branch, then a call of the one before (a chain 60 deep)
n=60
{
  echo '(module'
  echo '  (func $f0 (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))'
  k=1
  while [ $k -lt $n ]; do
    cat <<W
  (func \$f$k (param i32) (result i32) (local i32 i32)
    (local.set 1 (i32.const $k))
    (block (loop
      (br_if 1 (i32.ge_u (local.get 2) (i32.add (i32.const $((k % 7))) (i32.and (local.get 0) (i32.const 15)))))
      (if (i32.and (local.get 2) (i32.const 1))
        (then (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 31)) (local.get 2))))
        (else (local.set 1 (i32.rotl (local.get 1) (local.get 2)))))
      (local.set 2 (i32.add (local.get 2) (i32.const 1)))
      (br 0)))
    (i32.xor (local.get 1) (call \$f$((k - 1)) (i32.shr_u (local.get 0) (i32.const 1)))))
  (export "f$k" (func \$f$k))
W
    k=$((k + 1))
  done
  echo ')'
} > "$tmp/many.wat"
for t in 1 2; do
  WRUN_AOT_THREADS=$t "$wrun" compile --opt "$tmp/many.wat" -o "$tmp/t$t.cwasm" 2>"$tmp/err" || fail "compile with $t thread(s): $(cat "$tmp/err")"
done
cmp -s "$tmp/t1.cwasm" "$tmp/t2.cwasm" || fail "artifacts differ between 1 and 2 threads"
"$wrun" compile --opt "$tmp/many.wat" -o "$tmp/d.cwasm" 2>/dev/null || fail "compile with the default thread count"
cmp -s "$tmp/t1.cwasm" "$tmp/d.cwasm" || fail "artifacts differ between 1 thread and the default"
for f in f1 f17 f59; do
  for x in 0 5 12; do
    want=$("$wrun" --invoke $f "$tmp/many.wat" $x 2>&1)
    [ -n "$want" ] || fail "interpreter gave nothing for $f $x"
    got=$(WRUN_AOT_THREADS=2 "$wrun" run --aot --opt --no-cache --invoke $f "$tmp/many.wat" $x 2>&1)
    [ "$got" = "$want" ] || fail "$f $x: optimized code gave '$got', interpreter '$want'"
  done
done
"$wrun" compile -v --opt "$tmp/many.wat" -o "$tmp/v.cwasm" 2>"$tmp/v" || fail "compile -v"
grep -q 'ms of CPU, [0-9.]* MB/s' "$tmp/v" || fail "compile -v does not report CPU time: $(cat "$tmp/v")"
grep -q "$n of $n functions through the optimizing pipeline" "$tmp/v" || fail "not every function went through the pipeline: $(cat "$tmp/v")"
[ $fails -eq 0 ] || exit 1
echo "aot_threads: all checks passed"
