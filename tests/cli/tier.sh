#!/bin/sh
# Tiered execution (--tier auto, the default of `wrun run`): the same output,
# exit status and traps as the interpreter and --aot, with switches forced at
# fixed points (WRUN_TIER_THRESHOLD=N: compile after N instructions and wait
# for it) and at the default threshold; a long loop is entered in compiled
# code by on-stack replacement (seen through -v); backtraces hold frames of
# both tiers; --timeout stops compiled code; --fuel stays interpreted; the
# compiled code goes into the compile cache and the next run starts compiled.
#   sh tier.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
export WRUN_CACHE_DIR="$tmp/cache"
"$wrun" --tier aot --no-cache --invoke count "$data/limits.wat" 1 >/dev/null 2>&1 || \
  { echo "SKIP: no compiled code for this machine"; exit 77; }

cat >"$tmp/t.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $sq $dbl)
  (type $un (func (param i64) (result i64)))
  (func $sq (param i64) (result i64) (i64.mul (local.get 0) (local.get 0)))
  (func $dbl (param i64) (result i64) (i64.add (local.get 0) (local.get 0)))
  ;; a loop with values of every class live across its head, calls inside
  (func $mix (export "mix") (param $n i32) (result i64)
    (local $i i32) (local $acc i64) (local $f f64) (local $g f32)
    (loop $l
      (local.set $acc (i64.add (local.get $acc)
        (call_indirect (type $un) (i64.extend_i32_u (local.get $i)) (i32.and (local.get $i) (i32.const 1)))))
      (local.set $f (f64.add (local.get $f) (f64.convert_i32_u (local.get $i))))
      (local.set $g (f32.add (local.get $g) (f32.const 0.5)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (local.get $acc) (i64.add (i64.trunc_f64_u (local.get $f)) (i64.trunc_f32_u (local.get $g)))))
  ;; a loop whose operand stack holds a value below the loop (OSR moves it)
  (func $stacked (export "stacked") (param $n i32) (result i32)
    (local $i i32)
    (i32.const 1000)
    (loop $l (param i32) (result i32)
      (i32.add (i32.const 3))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  ;; memory grown by the interpreter and by compiled code, read by both
  (func $grow (export "grow") (param $n i32) (result i32)
    (local $i i32) (local $sum i32)
    (loop $l
      (drop (memory.grow (i32.const 1)))
      (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (local.get $i))
      (local.set $sum (i32.add (local.get $sum)
        (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.add (local.get $sum) (memory.size)))
  ;; traps after n iterations, two calls deep
  (func $inner (param $n i32) (result i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.div_u (local.get $i) (i32.const 0)))
  (func $middle (param i32) (result i32) (call $inner (local.get 0)))
  (func $boom (export "boom") (param i32) (result i32) (call $middle (local.get 0)))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 6))
    (i64.store (i32.const 16) (call $mix (i32.const 200000)))
    (i64.store8 (i32.const 21) (i64.const 10))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.add (i32.const 1) (i32.wrap_i64 (i64.rem_u (call $mix (i32.const 1000)) (i64.const 7)))))))
WAT

# the same result in every tier, with switches early, late and never
for f in "mix 300000" "stacked 300000" "grow 300" "mix 3"; do
  want=$("$wrun" --tier interp --invoke $f "$tmp/t.wat" 2>&1)
  [ -n "$want" ] || fail "interp $f gave nothing"
  got=$("$wrun" --tier aot --no-cache --invoke $f "$tmp/t.wat" 2>&1)
  [ "$got" = "$want" ] || fail "aot $f: '$got', interp '$want'"
  for th in 1 2 40 1000 ""; do
    got=$(WRUN_TIER_THRESHOLD=$th "$wrun" --no-cache --invoke $f "$tmp/t.wat" 2>&1)
    [ -z "$th" ] && got=$("$wrun" --no-cache --invoke $f "$tmp/t.wat" 2>&1)
    [ "$got" = "$want" ] || fail "auto (threshold '$th') $f: '$got', interp '$want'"
  done
done
# a WASI program: output and exit status
"$wrun" --tier interp "$tmp/t.wat" >"$tmp/want" 2>&1; want_st=$?
[ $want_st -ne 0 ] && [ -s "$tmp/want" ] || fail "WASI program under the interpreter: status $want_st"
for th in 1 500 ""; do
  if [ -n "$th" ]; then WRUN_TIER_THRESHOLD=$th "$wrun" --no-cache "$tmp/t.wat" >"$tmp/got" 2>&1; st=$?
  else "$wrun" --no-cache "$tmp/t.wat" >"$tmp/got" 2>&1; st=$?; fi
  [ $st -eq $want_st ] && cmp -s "$tmp/got" "$tmp/want" || fail "WASI program, threshold '$th': status $st"
done
for w in wasi_hello wasi_env; do
  "$wrun" --tier interp --env A=b "$data/$w.wat" >"$tmp/want" 2>&1; want_st=$?
  WRUN_TIER_THRESHOLD=1 "$wrun" --no-cache --env A=b "$data/$w.wat" >"$tmp/got" 2>&1; st=$?
  [ $st -eq $want_st ] && cmp -s "$tmp/got" "$tmp/want" || fail "$w: status $st, output differs"
done

# a long loop at the default threshold: entered in compiled code (OSR)
out=$("$wrun" -v --no-cache --invoke count "$data/limits.wat" 60000000 2>"$tmp/err")
[ "$out" = 60000000 ] || fail "long loop: '$out'"
grep -q "switched to compiled code at" "$tmp/err" && grep -q " [1-9][0-9]* OSR entries taken" "$tmp/err" || \
  fail "long loop: no OSR entry in -v: $(cat "$tmp/err")"
# a short run stays interpreted and says so
out=$("$wrun" -v --no-cache --invoke count "$data/limits.wat" 10 2>"$tmp/err")
[ "$out" = 10 ] && grep -q "everything ran in the interpreter" "$tmp/err" || fail "short run: $(cat "$tmp/err")"

# OSR entries of both compilers (the optimizing pipeline's, tier-up's default,
# with every function through it; the one-pass compiler's: WRUN_TIER_ONE_PASS=1) with every kind of value live at the loop
# head: locals of each type, values of each type below the loop, a loop
# with parameters, nested loops, a branch out of the loop with a value;
# switches at varying points (the compile waited for; below 100 instructions
# the switch may come at the call's entry, after that in the loop)
cat >"$tmp/osr.wat" <<'WAT'
(module
  (memory 1)
  (func (export "kinds") (param $n i32) (result i64)
    (local $i i32) (local $a i64) (local $f f32) (local $d f64) (local $v v128)
    (local.set $v (v128.const i32x4 1 2 3 4))
    (loop $l
      (local.set $a (i64.add (local.get $a) (i64.extend_i32_u (local.get $i))))
      (local.set $f (f32.add (local.get $f) (f32.const 0.25)))
      (local.set $d (f64.add (local.get $d) (f64.const 1.5)))
      (local.set $v (i32x4.add (local.get $v) (v128.const i32x4 1 1 1 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.add (i64.add (local.get $a) (i64.trunc_f32_u (local.get $f)))
      (i64.add (i64.trunc_f64_u (local.get $d)) (i64.extend_i32_u (i32x4.extract_lane 3 (local.get $v))))))
  (func (export "below") (param $n i32) (result f64)
    (local $i i32) (local $x i32) (local $y i64) (local $k i64) (local $g f32) (local $v v128)
    (f64.const 0.5) (v128.const i64x2 7 9) (i64.const 11) (f32.const 2) (i32.const 1) (i64.const 2)
    (loop $l (param i32 i64) (result i32 i64)
      (local.set $y) (local.set $x)
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (i32.add (local.get $x) (local.get $i))
      (i64.add (local.get $y) (i64.const 3))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $y) (local.set $x) (local.set $g) (local.set $k) (local.set $v)
    (f64.add (f64.convert_i64_u (i64.add (i64.add (local.get $y) (i64.extend_i32_u (local.get $x)))
        (i64.add (local.get $k) (i64x2.extract_lane 1 (local.get $v)))))
      (f64.promote_f32 (local.get $g)))
    (f64.add))
  (func (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $o
      (local.set $j (i32.const 0))
      (loop $in
        (local.set $s (i32.add (local.get $s) (i32.xor (local.get $i) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $in (i32.lt_u (local.get $j) (i32.const 100))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $o (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $s))
  (func (export "out") (param $n i32) (result i32)
    (local $i i32)
    (i32.store (i32.const 8) (i32.const 5))
    (i32.add (i32.const 100)
      (block $b (result i32)
        (loop $l
          (i32.store (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 0xfffc)) (local.get $i))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $b (i32.load (i32.const 8)) (i32.ge_u (local.get $i) (local.get $n)))
          (drop)
          (br $l))
        (unreachable)))))
WAT
# (AArch64 has only the optimizing pipeline: one pass there)
opts='"" 1'
"$wrun" -v --aot --no-cache --invoke count "$data/limits.wat" 1 2>&1 | grep -q "aarch64 native code" && opts=1
for f in "kinds 100000" "below 100000" "nested 1000" "out 100000"; do
  set -- $f
  want=$("$wrun" --tier interp --invoke $1 "$tmp/osr.wat" $2 2>&1)
  [ -n "$want" ] || fail "interp $f gave nothing"
  for opt in $opts; do
    [ "$opt" = '""' ] && opt=""
    one_pass=1; [ -n "$opt" ] && one_pass=""
    for th in 1 100 5000; do
      got=$(WRUN_TIER_ONE_PASS=$one_pass WRUN_AOT_IR_STRICT=$opt WRUN_TIER_THRESHOLD=$th "$wrun" -v --no-cache --invoke $1 \
        "$tmp/osr.wat" $2 2>"$tmp/err")
      [ "$got" = "$want" ] || fail "OSR (opt '$opt', threshold $th) $f: '$got', interp '$want': $(cat "$tmp/err")"
      [ $th -lt 100 ] || grep -q " [1-9][0-9]* OSR entries taken" "$tmp/err" || \
        fail "OSR (opt '$opt', threshold $th) $f: no OSR entry taken: $(cat "$tmp/err")"
    done
  done
done
# the long loop at the default threshold, the one-pass compiler's entries
out=$(WRUN_TIER_ONE_PASS=1 "$wrun" -v --no-cache --invoke count "$data/limits.wat" 60000000 2>"$tmp/err")
[ "$out" = 60000000 ] && grep -q " [1-9][0-9]* OSR entries taken" "$tmp/err" || \
  fail "long loop, WRUN_TIER_ONE_PASS=1: '$out': $(cat "$tmp/err")"

# traps and backtraces across a switch: the frames of both tiers in one trace
"$wrun" --tier interp --invoke boom "$tmp/t.wat" 100000 >/dev/null 2>"$tmp/want"; want_st=$?
[ $want_st -eq 134 ] || fail "interp trap: status $want_st"
for th in 1 50 5000; do
  WRUN_TIER_THRESHOLD=$th "$wrun" -v --no-cache --invoke boom "$tmp/t.wat" 100000 >/dev/null 2>"$tmp/err"; st=$?
  grep -v "^wrun: " "$tmp/err" >"$tmp/got"
  [ $st -eq 134 ] && cmp -s "$tmp/got" "$tmp/want" || fail "trap, threshold $th: status $st: $(cat "$tmp/err")"
  grep -q "switched to compiled code" "$tmp/err" || fail "trap, threshold $th: no switch"
done
grep -q "inner" "$tmp/want" && grep -q "middle" "$tmp/want" && grep -q "boom" "$tmp/want" || \
  fail "the trace lacks frames: $(cat "$tmp/want")"
# OSR in the innermost frame below interpreted callers
WRUN_TIER_THRESHOLD=5000 "$wrun" -v --no-cache --invoke boom "$tmp/t.wat" 100000 >/dev/null 2>"$tmp/err"
grep -q " [1-9][0-9]* OSR entries taken" "$tmp/err" || fail "trap run without OSR: $(cat "$tmp/err")"

# --timeout stops compiled code entered by OSR and by a call (at the default
# threshold with 3 s: room for the compile on a loaded machine or under ASan)
for th in 1 100 ""; do
  t0=$(date +%s)
  if [ -n "$th" ]; then WRUN_TIER_THRESHOLD=$th timeout 20 "$wrun" --no-cache --timeout 300ms --invoke spin "$data/limits.wat" 2>"$tmp/err"; st=$?
  else timeout 20 "$wrun" -v --no-cache --timeout 3s --invoke spin "$data/limits.wat" 2>"$tmp/err"; st=$?; fi
  [ $st -eq 134 ] && grep -q "wall-clock timeout" "$tmp/err" && [ $(($(date +%s) - t0)) -lt 10 ] || \
    fail "timeout, threshold '$th': status $st: $(cat "$tmp/err")"
done
grep -q "OSR entries taken" "$tmp/err" || fail "the endless loop was not switched: $(cat "$tmp/err")"

# --fuel: the interpreter only, the fuel trap as before
"$wrun" -v --no-cache --fuel 100000 --invoke count "$data/limits.wat" 100000000 >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "fuel" "$tmp/err" && grep -q "tier: interpreter (--fuel" "$tmp/err" || \
  fail "--fuel in auto mode: status $st: $(cat "$tmp/err")"

# the compile cache: filled by the compiler thread, used from the start next time
rm -rf "$tmp/cache"
out=$("$wrun" -v --invoke count "$data/limits.wat" 60000000 2>"$tmp/err")
[ "$out" = 60000000 ] && grep -q "cached the compiled code at" "$tmp/err" || fail "no cache entry: $(cat "$tmp/err")"
out=$("$wrun" -v --invoke count "$data/limits.wat" 1000 2>"$tmp/err")
[ "$out" = 1000 ] && grep -q "compiled code from the cache" "$tmp/err" && grep -q "tier: aot" "$tmp/err" || \
  fail "cache hit does not start compiled: $(cat "$tmp/err")"
out=$("$wrun" -v --tier interp --invoke count "$data/limits.wat" 1000 2>"$tmp/err")
[ "$out" = 1000 ] && grep -q "tier: interpreter" "$tmp/err" || fail "--tier interp used the cache: $(cat "$tmp/err")"

# usage errors: one line, status 2
"$wrun" --tier fast --invoke count "$data/limits.wat" 1 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "expected interp, aot or auto" "$tmp/err" || \
  fail "--tier fast: status $st: $(cat "$tmp/err")"
"$wrun" --aot --tier interp --invoke count "$data/limits.wat" 1 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "--aot --tier interp: status $st"
WRUN_TIER_THRESHOLD=x "$wrun" --invoke count "$data/limits.wat" 1 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "WRUN_TIER_THRESHOLD=x: status $st: $(cat "$tmp/err")"
# the manifest key
printf 'module: %s\ntier: interp\n' "$(cd "$data" && pwd)/limits.wat" >"$tmp/m.yaml"
"$wrun" -v -c "$tmp/m.yaml" --invoke count 5 2>"$tmp/err" >/dev/null
grep -q "tier: interpreter" "$tmp/err" || fail "manifest tier: interp: $(cat "$tmp/err")"

[ $fails -eq 0 ] && echo "tier: all passed"
exit $((fails > 0))
