#!/bin/sh
# Limits: --timeout interrupts an endless loop, --fuel stops a long computation
# deterministically, --max-memory caps memory.grow, --max-stack bounds recursion;
# bad values are usage errors.
#   sh limits.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

"$wrun" --timeout 200ms --invoke spin "$data/limits.wat" 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "wall-clock timeout" "$tmp/err" || fail "timeout: status $st"

out=$("$wrun" --fuel 1000 --invoke count "$data/limits.wat" 100 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = "100" ] || fail "fuel enough: status $st '$out'"
"$wrun" --fuel 1000 --invoke count "$data/limits.wat" 100000 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "all fuel consumed" "$tmp/err" || fail "fuel exhausted: status $st"
# deterministic: the same budget stops at the same point every time
a=$("$wrun" --fuel 5000 --invoke count "$data/limits.wat" 100000 2>&1)
b=$("$wrun" --fuel 5000 --invoke count "$data/limits.wat" 100000 2>&1)
[ "$a" = "$b" ] || fail "fuel is not deterministic"

out=$("$wrun" --max-memory 128K --invoke grow "$data/limits.wat" 1 2>&1); [ "$out" = "1" ] || fail "grow within the cap: '$out'"
out=$("$wrun" --max-memory 128K --invoke grow "$data/limits.wat" 2 2>&1); [ "$out" = "-1" ] || fail "grow past the cap: '$out'"

"$wrun" --max-stack 64K --invoke deep "$data/trap.wat" 1 2>"$tmp/err"; st=$?
[ $st -eq 134 ] && grep -q "call stack exhausted" "$tmp/err" || fail "small stack: status $st"

for bad in "--fuel abc" "--timeout 5parsecs" "--max-memory -1" "--max-stack 12"; do
  "$wrun" $bad --invoke spin "$data/limits.wat" 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] || fail "'$bad' should be a usage error (status $st)"
done

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all limit checks passed"
