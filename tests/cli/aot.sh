#!/bin/sh
# The AOT tier from the command line: `wrun compile` writes an artifact that
# runs without compiling; `run --aot` uses (and fills) the compile cache; a
# truncated, damaged, foreign or stale artifact is refused with a clear error
# and exit status 1; traps, timeouts and stack limits work in compiled code.
# (Running artifacts needs --allow-precompiled; what happens without it, and
# the cache's authentication, are tests/cli/trust.sh.)
#   sh aot.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
case $(uname -m) in x86_64|amd64) ;; *) echo "SKIP: the AOT compiler targets x86-64"; exit 77 ;; esac

cat >"$tmp/m.wat" <<'WAT'
(module
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                     (call $fib (i64.sub (local.get $n) (i64.const 2))))))))
WAT

# compile, then run the artifact
"$wrun" compile "$tmp/m.wat" -o "$tmp/m.cwasm" 2>"$tmp/err" || fail "compile: $(cat "$tmp/err")"
out=$("$wrun" -v --allow-precompiled --invoke fib "$tmp/m.cwasm" 30 2>"$tmp/err")
[ "$out" = "832040" ] || fail "artifact result '$out'"
grep -q "precompiled" "$tmp/err" && grep -q "tier: aot" "$tmp/err" || fail "-v does not name the tier: $(cat "$tmp/err")"
# default output name
cp "$tmp/m.wat" "$tmp/n.wat"
"$wrun" compile "$tmp/n.wat" && [ -f "$tmp/n.cwasm" ] || fail "default output name"
"$wrun" compile 2>/dev/null; [ $? -eq 2 ] || fail "compile without a file is a usage error"
"$wrun" compile --opt --one-pass "$tmp/m.wat" 2>"$tmp/err"; [ $? -eq 2 ] && grep -q "contradict" "$tmp/err" ||
  fail "compile --opt --one-pass should be a usage error: $(cat "$tmp/err")"
# the optimizing pipeline is the default of `wrun compile` and `run --aot`
# (whatever WRUN_AOT_OPT the variant runs with); --one-pass is the other compiler
env -u WRUN_AOT_OPT "$wrun" compile "$tmp/m.wat" -o "$tmp/d.cwasm" &&
  env -u WRUN_AOT_OPT "$wrun" compile --opt "$tmp/m.wat" -o "$tmp/o.cwasm" &&
  env -u WRUN_AOT_OPT "$wrun" compile --one-pass "$tmp/m.wat" -o "$tmp/1.cwasm" || fail "compile in three modes"
cmp -s "$tmp/d.cwasm" "$tmp/o.cwasm" || fail "compile without --opt differs from compile --opt"
cmp -s "$tmp/d.cwasm" "$tmp/1.cwasm" && fail "compile --one-pass wrote the optimizing pipeline's artifact"
"$wrun" inspect "$tmp/1.cwasm" | grep -q "^compile options:.* optimize" && fail "--one-pass artifact says optimize"
out=$(env -u WRUN_AOT_OPT "$wrun" run --aot --no-cache -v --invoke fib "$tmp/m.wat" 20 2>"$tmp/err")
[ "$out" = 6765 ] && grep -q "1 of 1 functions through the optimizing pipeline" "$tmp/err" ||
  fail "run --aot does not default to the optimizing pipeline: '$out' $(cat "$tmp/err")"
out=$(env -u WRUN_AOT_OPT "$wrun" run --aot --one-pass --no-cache -v --invoke fib "$tmp/m.wat" 20 2>"$tmp/err")
[ "$out" = 6765 ] && ! grep -q "optimizing pipeline" "$tmp/err" || fail "run --aot --one-pass: '$out' $(cat "$tmp/err")"
"$wrun" compile "$tmp/m.cwasm" -o "$tmp/x.cwasm" 2>/dev/null; [ $? -ne 0 ] || fail "compiling an artifact again"

# the compile cache
export WRUN_CACHE_DIR="$tmp/cache"
out=$("$wrun" run --aot -v --invoke fib "$tmp/m.wat" 20 2>"$tmp/err")
[ "$out" = "6765" ] && grep -q "cached at" "$tmp/err" || fail "first --aot run: '$out' $(cat "$tmp/err")"
out=$("$wrun" run --aot -v --invoke fib "$tmp/m.wat" 20 2>"$tmp/err")
[ "$out" = "6765" ] && grep -q "loaded from the cache" "$tmp/err" || fail "second --aot run missed the cache"
rm -rf "$tmp/cache"
"$wrun" run --aot --no-cache --invoke fib "$tmp/m.wat" 20 >/dev/null 2>&1
[ ! -d "$tmp/cache" ] || fail "--no-cache wrote the cache"
# a damaged cache entry is ignored (recompiled), not trusted
"$wrun" run --aot --invoke fib "$tmp/m.wat" 5 >/dev/null 2>&1
entry=$(ls "$tmp/cache"/*.cwasm)
printf 'garbage' >"$entry"
out=$("$wrun" run --aot -v --invoke fib "$tmp/m.wat" 20 2>"$tmp/err")
[ "$out" = "6765" ] && grep -q "compiled 1 functions" "$tmp/err" || fail "damaged cache entry: '$out' $(cat "$tmp/err")"
unset WRUN_CACHE_DIR

# damaged artifacts: exit 1, one error line naming the file, never a crash
refuse() { # NAME EXPECTED-TEXT
  "$wrun" --allow-precompiled --invoke fib "$tmp/$1" 10 >/dev/null 2>"$tmp/err"; st=$?
  [ $st -eq 1 ] || fail "$1: status $st, expected 1"
  grep -q "$2" "$tmp/err" || fail "$1: message '$(cat "$tmp/err")' lacks '$2'"
  grep -q "$tmp/$1" "$tmp/err" || fail "$1: message does not name the file"
}
size=$(wc -c <"$tmp/m.cwasm")
head -c 100 "$tmp/m.cwasm" >"$tmp/short.cwasm"; refuse short.cwasm "truncated"
head -c $((size - 9)) "$tmp/m.cwasm" >"$tmp/cut.cwasm"; refuse cut.cwasm "truncated"
patch() { # OUT OFFSET HEX-BYTES FIX-CRC
  python3 - "$tmp/m.cwasm" "$tmp/$1" "$2" "$3" "$4" <<'PY'
import sys, zlib
src, dst, off, hexb, fix = sys.argv[1], sys.argv[2], int(sys.argv[3]), bytes.fromhex(sys.argv[4]), sys.argv[5] == "1"
b = bytearray(open(src, "rb").read())
if off < 0: off += len(b)
b[off:off + len(hexb)] = hexb
if fix: b[124:128] = zlib.crc32(bytes(b[:124])).to_bytes(4, "little")
open(dst, "wb").write(bytes(b))
PY
}
patch hdrflip.cwasm 45 ff 0;        refuse hdrflip.cwasm "header checksum"
patch codeflip.cwasm -5 5a5a 0;     refuse codeflip.cwasm "damaged"
# the other ISA than the one this artifact was compiled for (1 x86-64, 2 aarch64)
other_arch=02000000; [ "$(od -An -tx1 -j12 -N1 "$tmp/m.cwasm" | tr -d ' ')" = 02 ] && other_arch=01000000
patch arch.cwasm 12 $other_arch 1;  refuse arch.cwasm "architecture"
patch version.cwasm 24 392e392e39 1; refuse version.cwasm "made by wrun 9.9.9"
patch format.cwasm 8 07000000 1;    refuse format.cwasm "format version 7"
patch cpu.cwasm 16 ff000000 1;      refuse cpu.cwasm "CPU feature"
patch format3.cwasm 8 03000000 1;   refuse format3.cwasm "format version 3, this wrun reads 5: recompile it"
patch format4.cwasm 8 04000000 1;   refuse format4.cwasm "format version 4, this wrun reads 5: recompile it"
patch modflip.cwasm 136 5a 0;       refuse modflip.cwasm "section checksum mismatch (damaged)"
# the module hash names the module the code was made from (the cache compares
# it); a whole artifact's module is guarded by its section CRC instead, so an
# edited hash with the header CRC recomputed (a forgery, not damage) loads,
# and inspect reports the mismatch
patch hash.cwasm 40 00 1
[ "$("$wrun" --allow-precompiled --invoke fib "$tmp/hash.cwasm" 10 2>&1)" = 55 ] || fail "hash.cwasm did not run"
"$wrun" inspect "$tmp/hash.cwasm" 2>&1 | grep -q "^module sha256: .* (MISMATCH" || fail "inspect missed the hash edit"
patch sec.cwasm 80 ffffff 1;        refuse sec.cwasm "truncated"
# format 4 stores small sections raw and compresses those of 4 KiB and up that
# shrink by an eighth: a module with 16 KiB of repetitive data has a zlib
# module section and a raw code section; it runs, and damage to the
# compressed bytes is refused
python3 - "$tmp/big.wat" <<'PY'
import sys
open(sys.argv[1], "w").write('(module (memory 1) (data (i32.const 0) "' + "wrun" * 4096 + '")\n'
  '  (func (export "at") (param i32) (result i32) (i32.load8_u (local.get 0))))\n')
PY
"$wrun" compile "$tmp/big.wat" -o "$tmp/big.cwasm" 2>"$tmp/err" || fail "compile big: $(cat "$tmp/err")"
encodings=$(python3 - "$tmp/big.cwasm" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
print(" ".join("zlib" if struct.unpack_from("<QII", b, 80 + 24 * k)[1] < struct.unpack_from("<QII", b, 80 + 24 * k)[2]
               else "raw" for k in range(2)))
PY
)
[ "$encodings" = "zlib raw" ] || fail "big.cwasm sections stored as '$encodings', expected 'zlib raw'"
[ "$("$wrun" --allow-precompiled --invoke at "$tmp/big.cwasm" 16381 2>&1)" = 114 ] || fail "big.cwasm did not run"
python3 - "$tmp/big.cwasm" "$tmp/bigflip.cwasm" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[140] ^= 0x55  # inside the compressed module section, which starts at 128
open(sys.argv[2], "wb").write(bytes(b))
PY
"$wrun" --allow-precompiled --invoke at "$tmp/bigflip.cwasm" 1 >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "damaged" "$tmp/err" || fail "bigflip.cwasm: status $st, '$(cat "$tmp/err")'"

# register sharing between locals (regalloc.c): both tiers agree, and two by hand
for f in "read_before_write 7" "conditional_set 0" "conditional_set 5" "lazy_then_write 9" "across_helper 50" \
         "pressure 1000"; do
  set -- $f
  a=$("$wrun" --invoke "$1" "$data/regalloc.wat" "$2" 2>&1)
  b=$("$wrun" run --aot --no-cache --invoke "$1" "$data/regalloc.wat" "$2" 2>&1)
  [ -n "$a" ] && [ "$a" = "$b" ] || fail "regalloc $f: interpreter '$a', aot '$b'"
done
[ "$("$wrun" run --aot --no-cache --invoke conditional_set "$data/regalloc.wat" 0)" = 193 ] || fail "conditional_set 0"
[ "$("$wrun" run --aot --no-cache --invoke conditional_set "$data/regalloc.wat" 5)" = 1568 ] || fail "conditional_set 5"

# traps, timeouts, limits in compiled code; backtraces name every compiled frame
"$wrun" run --aot --no-cache --invoke boom "$data/trap.wat" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "integer divide by zero" "$tmp/err" || fail "aot trap: status $st"
[ "$(grep '^  #' "$tmp/err" | sed 's/ at 0x[0-9a-f]*$//' | tr -s ' ' | tr '\n' '|')" = " #0 inner| #1 middle| #2 func[3]|" ] || \
  fail "aot trap backtrace: $(cat "$tmp/err")"
cat >"$tmp/fault.wat" <<'WAT'
(module
  (memory 1)
  (func $load (param i32) (result i32) (i32.load (local.get 0)))
  (func $step (param i32) (result i32) (i32.add (call $load (local.get 0)) (i32.const 1)))
  (func (export "fault") (param i32) (result i32) (call $step (local.get 0))))
WAT
"$wrun" run --aot --no-cache --invoke fault "$tmp/fault.wat" 65536 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && [ "$(grep '^  #' "$tmp/err" | sed 's/ at 0x[0-9a-f]*$//' | tr -s ' ' | tr '\n' '|')" = " #0 load| #1 step| #2 func[2]|" ] || \
  fail "aot fault backtrace: status $st, $(cat "$tmp/err")"
"$wrun" compile -o "$tmp/fault.cwasm" "$tmp/fault.wat" && "$wrun" --allow-precompiled --invoke fault "$tmp/fault.cwasm" 65536 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "#1 step" "$tmp/err" || fail "artifact fault backtrace: status $st, $(cat "$tmp/err")"
# positions in compiled frames (code maps, docs/aot.md "Backtraces"): every
# frame of a compiled trace names the function and module offset the
# interpreter's trace names, for both compilers, with inlining on (the
# default: $div and $load are inlined into $mid) and off, and from artifacts.
# Cases of tests/data/cli/trace.wat: a division in an inlined callee, a
# guard-page fault in one (the interpreter leaves those to the hardware too
# and has no position: only the name is compared), the second of two trap
# sites of a kind in one function, then the first, call_indirect's two
# checks, `unreachable`
same_trace() { # WANT-FILE GOT-FILE: line by line, a want line without " at" matches a got line with one
  python3 - "$1" "$2" <<'PY'
import sys
w = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith("  #")]
g = [l.rstrip("\n") for l in open(sys.argv[2]) if l.startswith("  #")]
ok = len(w) == len(g) and len(w) >= 2 and all(" at 0x" in l for l in g)
ok = ok and all(a == b or (" at " not in a and b.startswith(a + " at 0x")) for a, b in zip(w, g))
sys.exit(0 if ok else 1)
PY
}
tw="$data/trace.wat"
"$wrun" compile --one-pass -o "$tmp/trace1.cwasm" "$tw" && "$wrun" compile --opt -o "$tmp/trace2.cwasm" "$tw" || fail "compile trace.wat"
for c in "0 0" "65536 1" "0 2" "-1 2" "5 3" "1 3" "0 4"; do
  "$wrun" --tier interp --invoke run "$tw" $c >/dev/null 2>"$tmp/want"
  for mode in one-pass opt opt-noinline artifact artifact-opt; do
    case $mode in
      one-pass) "$wrun" run --aot --one-pass --no-cache --invoke run "$tw" $c ;;
      opt) "$wrun" run --aot --opt --no-cache --invoke run "$tw" $c ;;
      opt-noinline) WRUN_AOT_INLINE=0 "$wrun" run --aot --opt --no-cache --invoke run "$tw" $c ;;
      artifact) "$wrun" --allow-precompiled --invoke run "$tmp/trace1.cwasm" $c ;;
      artifact-opt) "$wrun" --allow-precompiled --invoke run "$tmp/trace2.cwasm" $c ;;
    esac >/dev/null 2>"$tmp/got"
    same_trace "$tmp/want" "$tmp/got" || fail "trace.wat run $c ($mode): interpreter $(grep '^  #' "$tmp/want" | tr '\n' '|'), compiled $(grep '^  #' "$tmp/got" | tr '\n' '|')"
  done
done
# the same inside a recursion of which --opt copies one level into itself
# (tests/data/cli/trace_rec.wat): odd and even depths, so the trap is in the
# copy once and in the called function once
tr="$data/trace_rec.wat"
for c in "3 0" "4 0" "3 1" "4 1"; do
  "$wrun" --tier interp --invoke run "$tr" $c >/dev/null 2>"$tmp/want"
  for mode in opt opt-norec; do
    case $mode in
      opt) "$wrun" run --aot --opt --no-cache --invoke run "$tr" $c ;;
      opt-norec) WRUN_AOT_INLINE_REC=0 "$wrun" run --aot --opt --no-cache --invoke run "$tr" $c ;;
    esac >/dev/null 2>"$tmp/got"
    same_trace "$tmp/want" "$tmp/got" || fail "trace_rec.wat run $c ($mode): interpreter $(grep '^  #' "$tmp/want" | tr '\n' '|'), compiled $(grep '^  #' "$tmp/got" | tr '\n' '|')"
  done
done
"$wrun" run --aot --no-cache --invoke oob "$data/trap.wat" 65535 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "out of bounds memory access" "$tmp/err" || fail "aot oob: status $st"
"$wrun" run --aot --no-cache --invoke deep "$data/trap.wat" 1 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "aot recursion: status $st"
"$wrun" run --aot --no-cache --max-stack 64K --invoke deep "$data/trap.wat" 1 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "aot --max-stack: status $st"
# every level of a deep recursion calls a leaf, which (compiled by --opt)
# skips the stack check: the recursion still ends in the trap, never a fault
cat >"$tmp/leafdeep.wat" <<'WAT'
(module
  (func $leaf (param $a i64) (param $b i64) (result i64)
    (local $c i64) (local $d i64)
    (local.set $c (i64.mul (local.get $a) (local.get $b)))
    (local.set $d (i64.xor (local.get $c) (i64.shl (local.get $a) (i64.const 3))))
    (i64.add (local.get $c) (i64.rotl (local.get $d) (local.get $b))))
  (func $down (export "down") (param $n i64) (result i64)
    (i64.add (call $leaf (local.get $n) (i64.const 7)) (call $down (i64.add (local.get $n) (i64.const 1))))))
WAT
for ms in "" "--max-stack 64K"; do
  "$wrun" run --aot --no-cache $ms --invoke down "$tmp/leafdeep.wat" 1 2>"$tmp/err"; st=$?
  [ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "aot recursion through a leaf ($ms): status $st"
done
"$wrun" run --aot --no-cache --timeout 200ms --invoke spin "$data/limits.wat" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "wall-clock timeout" "$tmp/err" || fail "aot timeout: status $st"
"$wrun" run --aot --no-cache --fuel 100 --invoke spin "$data/limits.wat" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || fail "--fuel with --aot should be a usage error (status $st)"
# an artifact compiled without interrupt checks is refused for --timeout
"$wrun" compile "$data/limits.wat" -o "$tmp/l.cwasm" && \
"$wrun" --allow-precompiled --timeout 1s --invoke spin "$tmp/l.cwasm" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "interruptible" "$tmp/err" || fail "timeout on a non-interruptible artifact: status $st"
"$wrun" compile --interruptible "$data/limits.wat" -o "$tmp/li.cwasm" && \
"$wrun" --allow-precompiled --timeout 200ms --invoke spin "$tmp/li.cwasm" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "wall-clock timeout" "$tmp/err" || fail "interruptible artifact: status $st"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all aot checks passed"
