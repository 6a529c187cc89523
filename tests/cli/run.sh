#!/bin/sh
# `wrun run` / `--invoke`: results on stdout, traps as exit 134 with the trap
# message and a backtrace of function names on stderr, link errors naming the
# import, argument errors.
#   sh run.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

out=$("$wrun" --invoke fib "$data/../../docs/examples/fib.wat" 50 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = "12586269025" ] || fail "fib 50: status $st, output '$out'"
out=$("$wrun" --invoke fib_rec "$data/../../docs/examples/fib.wat" 20 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = "6765" ] || fail "fib_rec 20: status $st, output '$out'"
out=$("$wrun" run --invoke f "$data/cli/start.wat" 1.5 -7 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = "$(printf '1.5\n-7')" ] || fail "f: status $st, output '$out'"
"$wrun" "$data/cli/start.wat" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/out" ] || fail "_start: status $st"

"$wrun" --invoke boom "$data/cli/trap.wat" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] || fail "trap: status $st (want 134)"
grep -q "integer divide by zero" "$tmp/err" || fail "trap message missing"
grep -q "#0 inner" "$tmp/err" && grep -q "#1 middle" "$tmp/err" || { fail "backtrace names"; cat "$tmp/err"; }
[ ! -s "$tmp/out" ] || fail "trap wrote to stdout"

"$wrun" --invoke deep "$data/cli/trap.wat" 1 >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "exhaustion: status $st"
[ "$(wc -l <"$tmp/err")" -lt 60 ] || fail "exhaustion backtrace is not abbreviated"

"$wrun" --invoke oob "$data/cli/trap.wat" 65532 >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "out of bounds memory access" "$tmp/err" || fail "oob: status $st"
out=$("$wrun" --invoke oob "$data/cli/trap.wat" 65528 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = "0" ] || fail "in-bounds load: status $st, output '$out'"
"$wrun" --invoke oob "$data/cli/trap.wat" 4294967295 >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "out of bounds memory access" "$tmp/err" || fail "oob at 2^32-1: status $st"

# a trap in a copied run of ops (tail duplication): the interpreter's trace
# names the wasm offsets the compiled code names
"$wrun" --tier interp --invoke run_vm "$data/cli/tail_dup.wat" 0 0 >"$tmp/out" 2>"$tmp/err"; st=$?
"$wrun" run --aot --no-cache --invoke run_vm "$data/cli/tail_dup.wat" 0 0 >"$tmp/out" 2>"$tmp/err2"
[ $st -eq 134 ] && grep -q "integer divide by zero" "$tmp/err" && grep -q "#0 vm at 0x" "$tmp/err" && \
  [ "$(grep '^  #' "$tmp/err")" = "$(grep '^  #' "$tmp/err2")" ] || fail "trap in a copy: status $st, $(cat "$tmp/err" "$tmp/err2")"
out=$("$wrun" --tier interp --invoke vm "$data/cli/tail_dup.wat" 0 1 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = 1306 ] || fail "tail_dup vm: status $st, output '$out'"

"$wrun" "$data/cli/imports.wat" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'unknown import "env" "log"' "$tmp/err" || fail "import: status $st"

"$wrun" --invoke fib "$data/../../docs/examples/fib.wat" notanumber 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q "not a valid i32" "$tmp/err" || fail "bad argument: status $st"
"$wrun" --invoke fib "$data/../../docs/examples/fib.wat" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || fail "missing argument: status $st"
"$wrun" --invoke nope "$data/../../docs/examples/fib.wat" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'no exported function "nope"' "$tmp/err" || fail "unknown export: status $st"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all run checks passed"
