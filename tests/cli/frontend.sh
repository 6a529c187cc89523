#!/bin/sh
# CLI behaviour of the front end: exit codes and the one-line error format for
# bad input, validate/inspect on good input, usage errors, and `wrun wast`.
#   sh frontend.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect STATUS PATTERN LINES -- CMD...: runs CMD, checks its exit status, that
# stderr matches PATTERN (grep -E) and has exactly LINES lines (- to skip).
expect() {
  want=$1 pat=$2 lines=$3
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  got=$?
  ok=1
  [ "$got" -eq "$want" ] || ok=0
  if [ -n "$pat" ] && ! grep -Eq -- "$pat" "$tmp/err"; then ok=0; fi
  if [ "$lines" != "-" ] && [ "$(wc -l <"$tmp/err")" -ne "$lines" ]; then ok=0; fi
  if [ $ok -eq 0 ]; then
    fails=$((fails + 1))
    echo "FAIL: $* -> exit $got (want $want), stderr:"; cat "$tmp/err"
  else
    echo "ok: $*"
  fi
}

printf '' >"$tmp/empty.wasm"
printf 'hello, not wasm at all' >"$tmp/garbage.wasm"
printf '\000asm\001\000\000\000\001\005\001\140' >"$tmp/truncated.wasm"
printf '\000asm\002\000\000\000' >"$tmp/version.wasm"
printf '\000asn\001\000\000\000' >"$tmp/magic.wasm"
# a type section whose function type uses value type 0x55
printf '\000asm\001\000\000\000\001\005\001\140\001\125\000' >"$tmp/badtype.wasm"

expect 1 "missing\.wasm: i/o error: cannot open" 1 -- "$wrun" validate "$tmp/missing.wasm"
expect 1 "empty\.wasm:0x0: malformed: unexpected end" 1 -- "$wrun" validate "$tmp/empty.wasm"
expect 1 "garbage\.wasm:1:[0-9]+: malformed: " 1 -- "$wrun" validate "$tmp/garbage.wasm"
expect 1 "truncated\.wasm:0x[0-9a-f]+: malformed: .*(unexpected end|length out of bounds)" 1 -- "$wrun" validate "$tmp/truncated.wasm"
expect 1 "version\.wasm:0x4: malformed: unknown binary version" 1 -- "$wrun" validate "$tmp/version.wasm"
expect 1 "magic\.wasm:0x0: malformed: magic header not detected" 1 -- "$wrun" validate "$tmp/magic.wasm"
expect 1 "badtype\.wasm:0xd: malformed: malformed value type" 1 -- "$wrun" validate "$tmp/badtype.wasm"
expect 1 "bad_type\.wat:0x[0-9a-f]+: invalid: type mismatch" 1 -- "$wrun" validate "$data/bad_type.wat"
expect 1 "bad_syntax\.wat:[0-9]+:[0-9]+: malformed: " 1 -- "$wrun" validate "$data/bad_syntax.wat"
expect 1 "cannot open" 1 -- "$wrun" "$tmp/missing.wasm"
expect 1 "is a directory" 1 -- "$wrun" validate "$tmp"

# good input
expect 0 "" 0 -- "$wrun" validate "$data/add.wat" "$data/add.wasm"
expect 0 "" 0 -- "$wrun" inspect "$data/add.wasm"
if ! grep -q 'func "add" = 0 (i32 i32) -> (i32)' "$tmp/out"; then
  fails=$((fails + 1)); echo "FAIL: inspect output lacks the export:"; cat "$tmp/out"
fi
# one bad file among good ones: exit 1, one line
expect 1 "garbage" 1 -- "$wrun" validate "$data/add.wat" "$tmp/garbage.wasm"

# usage errors
# one line naming the problem and the help to read, never the whole help
expect 2 "^wrun: no command or FILE given \(see 'wrun help'\)$" 1 -- "$wrun"
expect 2 "^wrun: unknown option '--no-such-option' \(see 'wrun help run'\)$" 1 -- "$wrun" --no-such-option "$data/add.wat"
expect 2 "^wrun: inspect takes exactly one FILE \(see 'wrun help inspect'\)$" 1 -- "$wrun" inspect
expect 0 "" 0 -- "$wrun" --help
expect 0 "" 0 -- "$wrun" help wast

# the wast runner
expect 0 "" 0 -- "$wrun" wast "$data/small.wast"
if ! tail -n 1 "$tmp/out" | grep -Eq '^4 passed, 0 failed, 0 skipped$'; then
  fails=$((fails + 1)); echo "FAIL: wast summary:"; cat "$tmp/out"
fi
printf '(assert_invalid (module (func)) "type mismatch")\n' >"$tmp/wrong.wast"
expect 1 "wrong\.wast:1:1: assert_invalid failed: expected invalid module" 1 -- "$wrun" wast "$tmp/wrong.wast"
printf '(module (func)\n' >"$tmp/unbalanced.wast"
expect 1 "unbalanced\.wast:1:1: malformed: unclosed" 1 -- "$wrun" wast "$tmp/unbalanced.wast"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all CLI front-end checks passed"
