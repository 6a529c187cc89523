#!/bin/sh
# Inlining in the optimizing AOT pipeline (docs/aot-ir.md, "Inlining"):
# tests/data/cli/inline.wat's exports give the interpreter's results with
# inlining off, by default (callees that may trap too) and with
# WRUN_AOT_INLINE=safe (only those that cannot); a trap in an inlined callee
# still names that callee, at the interpreter's offsets, in the backtrace.
#   sh aot_inline.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
wat=$2/cli/inline.wat
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
case $(uname -m) in x86_64|amd64) ;; *) echo "SKIP: the AOT compiler targets x86-64"; exit 77 ;; esac
for n in 0 1 7 1000; do
  want=$("$wrun" --invoke run "$wat" $n 2>&1)
  [ -n "$want" ] || fail "interpreter gave nothing for run $n"
  for mode in 0 safe default; do
    got=$(WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke run "$wat" $n 2>&1)
    [ "$got" = "$want" ] || fail "run $n, WRUN_AOT_INLINE=$mode: '$got', interpreter '$want'"
  done
done
for mode in 0 safe default; do
  [ "$(WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke divtrap "$wat" 4)" = 0 ] || fail "divtrap 4 ($mode)"
  WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke ldtrap "$wat" 65533 >/dev/null 2>&1
  [ $? -ne 0 ] || fail "ldtrap out of bounds did not trap ($mode)"
done
# the callee that traps keeps its frame and positions, inlined (default) or
# not (0, safe: it may trap); inlining ran: the code differs in size
err="${TMPDIR:-/tmp}/inline-err.$$"
"$wrun" --invoke divtrap "$wat" 0 2>"$err"
want=$(grep '^  #' "$err" | tr -s ' ' | tr '\n' '|')
case $want in " #0 div at 0x"*"| #1 func[10] at 0x"*"|") ;; *) fail "interpreter backtrace '$want'" ;; esac
for mode in 0 safe default; do
  WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke divtrap "$wat" 0 2>"$err"
  st=$?
  bt=$(grep '^  #' "$err" | tr -s ' ' | tr '\n' '|')
  [ $st -ne 0 ] && [ "$bt" = "$want" ] || fail "divtrap 0 backtrace ($mode): status $st, '$bt', expected '$want'"
done
size() {
  WRUN_AOT_INLINE=$1 "$wrun" compile --opt -o "$err.cwasm" "$wat" &&
    "$wrun" inspect "$err.cwasm" | sed -n 's/^native code: .* functions, \([0-9]*\) bytes.*/\1/p'
}
s0=$(size 0) sd=$(size default)
[ -n "$s0" ] && [ -n "$sd" ] && [ "$s0" != "$sd" ] || fail "inlining changed nothing: code of $s0 and $sd bytes"
rm -f "$err" "$err.cwasm"
[ $fails -eq 0 ] || exit 1
echo "aot_inline: all checks passed"
