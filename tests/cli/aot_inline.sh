#!/bin/sh
# Inlining in the optimizing AOT pipeline (docs/aot-ir.md, "Inlining"):
# tests/data/cli/inline.wat's exports give the interpreter's results with
# inlining off, by default and with WRUN_AOT_INLINE=all; by default a trap
# in a callee that may trap still names that callee in the backtrace.
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
  for mode in 0 1 all; do
    got=$(WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke run "$wat" $n 2>&1)
    [ "$got" = "$want" ] || fail "run $n, WRUN_AOT_INLINE=$mode: '$got', interpreter '$want'"
  done
done
for mode in 0 1 all; do
  [ "$(WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke divtrap "$wat" 4)" = 0 ] || fail "divtrap 4 ($mode)"
  WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke ldtrap "$wat" 65533 >/dev/null 2>&1
  [ $? -ne 0 ] || fail "ldtrap out of bounds did not trap ($mode)"
done
# by default the callee that traps keeps its frame; inlined (=all) it does
# not, which also shows that the inliner ran
for mode in 1 all; do
  WRUN_AOT_INLINE=$mode "$wrun" run --aot --opt --no-cache --invoke divtrap "$wat" 0 2>"${TMPDIR:-/tmp}/inline-err.$$"
  st=$?
  bt=$(grep '^  #' "${TMPDIR:-/tmp}/inline-err.$$" | tr -s ' ' | tr '\n' '|')
  rm -f "${TMPDIR:-/tmp}/inline-err.$$"
  want=" #0 div| #1 func[10]|"
  [ $mode = all ] && want=" #0 func[10]|"
  [ $st -ne 0 ] && [ "$bt" = "$want" ] || fail "divtrap 0 backtrace ($mode): status $st, '$bt', expected '$want'"
done
[ $fails -eq 0 ] || exit 1
echo "aot_inline: all checks passed"
