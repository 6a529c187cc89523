#!/bin/sh
# The option table and the habits of other runtimes' command lines: --opt=value
# for every option with a value, help for every command, one-line usage errors,
# --version, --env (last one wins), duplicate --dir guest paths, --invoke
# number forms and v128 values, --max-stack raising the call depth in both
# tiers, and limit errors that name their flag.
#   sh options.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; [ -s "$tmp/err" ] && sed 's/^/  stderr: /' "$tmp/err"; }
aot=0
case $(uname -m) in x86_64|amd64) aot=1 ;; esac
rec=$(cd "$data" && pwd)/recurse.wat

# usage_error STATUS PATTERN CMD...: exactly one line on stderr matching PATTERN
usage_error() {
  pat=$1
  shift
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null; st=$?
  if [ $st -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -Eq -- "$pat" "$tmp/err" || [ -s "$tmp/out" ]; then
    fail "usage error of '$*': status $st (want 2, one line matching $pat)"
  fi
}

# ---- help for every command, and --version -------------------------------
for c in run validate inspect wast compile serve help version; do
  "$wrun" help $c >"$tmp/h1" 2>"$tmp/err"; st1=$?
  "$wrun" $c --help >"$tmp/h2" 2>>"$tmp/err"; st2=$?
  "$wrun" $c -h >"$tmp/h3" 2>>"$tmp/err"; st3=$?
  [ $st1 -eq 0 ] && [ $st2 -eq 0 ] && [ $st3 -eq 0 ] && [ ! -s "$tmp/err" ] || fail "help $c: status $st1 $st2 $st3"
  head -n 1 "$tmp/h1" | grep -q "^usage: wrun" || fail "help $c does not start with its usage line"
  cmp -s "$tmp/h1" "$tmp/h2" && cmp -s "$tmp/h1" "$tmp/h3" || fail "'wrun help $c' and '$c --help' differ"
  [ "$(awk 'length($0) > 79' "$tmp/h1")" = "" ] || fail "help $c has lines wider than 79 columns"
done
"$wrun" help >"$tmp/h1"; "$wrun" --help >"$tmp/h2"
cmp -s "$tmp/h1" "$tmp/h2" && grep -q -- "--version" "$tmp/h1" || fail "the main help lacks --version"
usage_error "^wrun: unknown command 'nosuch' \(see 'wrun help help'\)$" "$wrun" help nosuch
usage_error "^wrun: help takes at most one COMMAND" "$wrun" help run wast
out=$("$wrun" --version); echo "$out" | grep -Eq '^wrun [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version: '$out'"
[ "$("$wrun" -V)" = "$out" ] && [ "$("$wrun" version)" = "$out" ] || fail "-V and 'version' differ from --version"
# every option of run, compile and wast is in its help
"$wrun" help run | grep -q -- "--allow-precompiled" || fail "run help lacks --allow-precompiled"
"$wrun" help compile | grep -q -- "-o, --output FILE" || fail "compile help lacks -o, --output"
"$wrun" help run | grep -q "Manifest keys.*dirs" || fail "run help lacks the manifest keys"

# ---- one-line usage errors with a hint, for every command --------------------
usage_error "^wrun: unknown option '--frob' \(see 'wrun help run'\)$" "$wrun" --frob "$rec"
usage_error "^wrun: unknown option '--frob' \(see 'wrun help run'\)$" "$wrun" run --frob=1 "$rec"
usage_error "^wrun: unknown option '--frob' \(see 'wrun help compile'\)$" "$wrun" compile "$rec" --frob
usage_error "^wrun: unknown option '--frob' \(see 'wrun help wast'\)$" "$wrun" wast --frob x.wast
usage_error "^wrun: unknown option '--frob' \(see 'wrun help validate'\)$" "$wrun" validate --frob "$rec"
usage_error "^wrun: unknown option '--fuel' \(see 'wrun help compile'\)$" "$wrun" compile --fuel 3 "$rec"
usage_error "^wrun: option '--fuel' needs a value \(N\) \(see 'wrun help run'\)$" "$wrun" --fuel
usage_error "^wrun: bad value 'abc' for --fuel: expected a positive count" "$wrun" --fuel abc "$rec"
usage_error "^wrun: bad value '12' for --max-stack: expected a size from 4K to 4G" "$wrun" --max-stack=12 "$rec"
usage_error "^wrun: option '--aot' takes no value" "$wrun" --aot=yes "$rec"
usage_error "^wrun: no module FILE given \(see 'wrun help run'\)$" "$wrun" run --aot
usage_error "^wrun: compile takes one FILE, 2 given" "$wrun" compile "$rec" "$rec"

# ---- --opt=value works for every option that takes a value ---------------------
# driven by the help: each "--name METAVAR" row must recognise --name= (an
# empty value is then a bad value of that option, not an unknown option)
for c in run compile wast; do
  for o in $("$wrun" help $c | sed -n 's/^  \(-., \)\{0,1\}\(--[a-z-]*\) [A-Z[].*/\2/p'); do
    usage_error "^wrun: bad value '' for $o: expected" "$wrun" $c "$o=" "$rec"
  done
done
# and each has its effect in both forms
for form in "--invoke=depth" "--invoke depth"; do
  out=$("$wrun" $form "$rec" 7 2>"$tmp/err"); [ "$out" = 7 ] || fail "$form: '$out'"
done
out=$("$wrun" --env=A=1 "--env" B=2 "$data/wasi_env.wat" 2>"$tmp/err"); [ "$out" = "$(printf 'A=1\nB=2')" ] || fail "--env=: '$out'"
"$wrun" --fuel=1000 --invoke=depth "$rec" 100000 >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "all fuel consumed (the budget set by --fuel)" "$tmp/err" || fail "--fuel=: status $st, no hint naming --fuel"
"$wrun" --timeout=100ms --invoke=spin "$data/limits.wat" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "wall-clock timeout (the limit set by --timeout)" "$tmp/err" || fail "--timeout=: status $st"
out=$("$wrun" --max-memory=128K --invoke=grow "$data/limits.wat" 2 2>&1); [ "$out" = "-1" ] || fail "--max-memory=: '$out'"
"$wrun" --max-stack=64K --invoke=depth "$rec" 10000 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "--max-stack=64K: status $st"
mkdir "$tmp/box"
"$wrun" --dir="$tmp/missing" "$data/wasi_env.wat" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "missing" "$tmp/err" || fail "--dir=: status $st"
"$wrun" --dir-ro="$tmp/box::/" --tcplisten=127.0.0.1:0 "$data/wasi_env.wat" >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 0 ] || fail "--dir-ro= --tcplisten=: status $st"
printf 'module: %s\n' "$rec" >"$tmp/m.yaml"
out=$("$wrun" --config="$tmp/m.yaml" --invoke depth 3 2>"$tmp/err"); [ "$out" = 3 ] || fail "--config=: '$out'"
if [ $aot -eq 1 ]; then
  "$wrun" compile --output="$tmp/a.cwasm" "$rec" 2>"$tmp/err" && [ -s "$tmp/a.cwasm" ] || fail "compile --output="
  "$wrun" compile "$rec" -o "$tmp/b.cwasm" 2>"$tmp/err" && [ -s "$tmp/b.cwasm" ] || fail "compile FILE -o OUT"
fi

# ---- --env: the last one of a name wins, also over --inherit-env ----------------
out=$("$wrun" --env A=1 --env A=2 "$data/wasi_env.wat" 2>"$tmp/err")
[ "$out" = "A=2" ] || fail "--env A=1 --env A=2 gave '$out'"
out=$(A=host B=host "$wrun" --env A=1 --inherit-env --env B=2 "$data/wasi_env.wat" 2>"$tmp/err" | grep -E '^(A|B)=')
[ "$out" = "$(printf 'A=1\nB=2')" ] || fail "explicit --env over --inherit-env gave '$out'"
out=$(A=host "$wrun" --env A "$data/wasi_env.wat" 2>"$tmp/err"); [ "$out" = "A=host" ] || fail "--env NAME: '$out'"
out=$(A=host "$wrun" --inherit-env "$data/wasi_env.wat" 2>"$tmp/err" | grep -c '^A=')
[ "$out" = 1 ] || fail "--inherit-env: A appears $out times"

# ---- a guest path given twice is an error naming it ------------------------------
mkdir "$tmp/other"
usage_error "^wrun: two preopened directories have the guest path 'data/?' " \
  "$wrun" --dir "$tmp/box::data" --dir-ro "$tmp/other::data/" "$data/wasi_env.wat"
usage_error "guest path '/'" "$wrun" --dir "$tmp/box::/" --dir "$tmp/other::/" "$data/wasi_env.wat"
"$wrun" --dir "$tmp/box::a" --dir "$tmp/other::b" "$data/wasi_env.wat" 2>"$tmp/err"; st=$?
[ $st -eq 0 ] || fail "two different guest paths: status $st"

# ---- --invoke arguments and results, in both tiers ----------------------------
tiers="run"
[ $aot -eq 1 ] && tiers="run run_aot"
run_aot() { "$wrun" run --aot --no-cache "$@"; }
run() { "$wrun" run "$@"; }
# check TIER FUNC ARG WANT
check() {
  out=$($1 --invoke "$2" "$rec" "$3" 2>"$tmp/err"); st=$?
  [ $st -eq 0 ] && [ "$out" = "$4" ] || fail "$1 $2 '$3': status $st, '$out' (want '$4')"
}
for t in $tiers; do
  check $t i32 010 10
  check $t i32 -010 -10
  check $t i32 0x10 16
  check $t i32 4294967295 -1
  check $t i32 -2147483648 -2147483648
  check $t i64 0x7fffffffffffffff 9223372036854775807
  check $t i64 -9223372036854775808 -9223372036854775808
  check $t f32 1.5 1.5
  check $t f32bits -0 -2147483648
  check $t f32bits 0x1p-149 1
  check $t f32bits nan 2143289344
  check $t f32bits nan:0x1 2139095041
  check $t f32bits -inf -8388608
  check $t f32 nan:0x200000 nan:0x200000
  check $t f64 0x1.8p1 3
  check $t f64bits -nan -2251799813685248
  check $t f64 1e308 1e+308
  check $t v128 i32x4:1,2,3,4 i32x4:0x00000001,0x00000002,0x00000003,0x00000004
  check $t v128 "i32x4 1 2 3 -1" i32x4:0x00000001,0x00000002,0x00000003,0xffffffff
  check $t v128 "i8x16:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16" i32x4:0x04030201,0x08070605,0x0c0b0a09,0x100f0e0d
  check $t v128 "f32x4 1 -0 inf nan" i32x4:0x3f800000,0x80000000,0x7f800000,0x7fc00000
  check $t v128 "i64x2:-1,0x10" i32x4:0xffffffff,0xffffffff,0x00000010,0x00000000
  check $t v128 0x0102030405060708090a0b0c0d0e0f10 i32x4:0x0d0e0f10,0x090a0b0c,0x05060708,0x01020304
  out=$($t --invoke add4 "$rec" i32x4:1,2,3,4 "i32x4 10 20 30 0x7fffffff" 2>"$tmp/err")
  [ "$out" = i32x4:0x0000000b,0x00000016,0x00000021,0x80000003 ] || fail "$t add4: '$out'"
  # a result read back as an argument gives the same value
  back=$($t --invoke v128 "$rec" "$out" 2>"$tmp/err"); [ "$back" = "$out" ] || fail "$t v128 round trip: '$back'"
done
for bad in 1a 08x "" " 5" 0x 4294967296 -2147483649 1.0; do
  "$wrun" --invoke i32 "$rec" "$bad" >/dev/null 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] && grep -q "argument 1 \"$bad\" is not a valid i32" "$tmp/err" || fail "i32 '$bad' accepted (status $st)"
done
for bad in infinity nan:0 nan:0x800000 1e39 1e 0x1p128 "1.5 "; do
  "$wrun" --invoke f32 "$rec" "$bad" >/dev/null 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] && grep -q "is not a valid f32" "$tmp/err" || fail "f32 '$bad' accepted (status $st)"
done
for bad in i32x4:1,2,3 i32x4:1,2,3,4,5 i32x4:1,,2,3 "i32x4 1 2 3 4x" i32x5:1,2,3,4 i8x16:256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0 0x; do
  "$wrun" --invoke v128 "$rec" "$bad" >/dev/null 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] && grep -q "is not a valid v128" "$tmp/err" || fail "v128 '$bad' accepted (status $st)"
done

# ---- --max-stack raises the call depth, in both tiers ----------------------------
# 200000 calls: ten times the old fixed limit of 20000; 64M runs them. A million
# calls is more than the default 8M of native stack holds in compiled code, even
# with one level of the recursion inlined into each frame (docs/aot-ir.md), so
# the default traps cleanly.
for t in $tiers; do
  $t --invoke depth "$rec" 1000000 >"$tmp/out" 2>"$tmp/err"; st=$?
  [ $st -eq 134 ] && grep -q "wasm trap: call stack exhausted (--max-stack" "$tmp/err" && [ ! -s "$tmp/out" ] || \
    fail "$t: 1000000 calls with the default stack: status $st"
  [ "$(wc -l <"$tmp/err")" -lt 60 ] || fail "$t: exhaustion backtrace is not abbreviated"
  out=$($t --max-stack 64M --invoke depth "$rec" 200000 2>"$tmp/err"); st=$?
  [ $st -eq 0 ] && [ "$out" = 200000 ] || fail "$t: 200000 calls with --max-stack 64M: status $st, '$out'"
  # the limit follows the size: 1M allows 4096 calls, not 5000
  out=$($t --max-stack 1M --invoke depth "$rec" 3000 2>"$tmp/err"); [ "$out" = 3000 ] || fail "$t: 3000 calls in 1M: '$out'"
done
"$wrun" --tier interp --max-stack 1M --invoke depth "$rec" 5000 >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "5000 calls in a 1M stack: status $st"

# ---- limits name their flag ----------------------------------------------------
for t in $tiers; do
  $t --max-memory 128K --invoke i32 "$rec" 1 >"$tmp/out" 2>"$tmp/err"; st=$?
  [ $st -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && \
    grep -q "recurse.wat: limit: memory 0 needs 4 pages (256 KiB) from the start, more than --max-memory allows (128 KiB)" "$tmp/err" || \
    fail "$t: a minimum above --max-memory: status $st"
done
out=$("$wrun" --max-memory 256K --invoke i32 "$rec" 5 2>"$tmp/err"); [ "$out" = 5 ] || fail "a minimum equal to --max-memory: '$out'"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all option checks passed"
