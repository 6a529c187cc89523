#!/bin/sh
# Type checks of component `instantiate` arguments (src/component/subtype.c,
# docs/components.md "Validation rules implemented"): every component in
# tests/component/subtype starts with ";; accept: ..." (wrun validate must
# accept it silently), ";; limit: MESSAGE" (the comparison work cap: exit 1
# with "FILE:0xOFF: limit: instantiate of component N: MESSAGE") or
# ";; reject: MESSAGE" (wrun validate must exit 1 with
# one line "FILE:0xOFF: invalid: instantiate of component N: MESSAGE", where
# OFF is the offset of that `with` argument: the name's length, then the name).
#   sh component_subtype.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component/subtype" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0 accepts=0 rejects=0
ok() { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

for wat in "$dir"/*.wat; do
  wasm=${wat%.wat}.wasm
  first=$(head -n 1 "$wat")
  "$wrun" validate "$wasm" >"$tmp/out" 2>&1
  st=$?
  case $first in
    ";; accept:"*)
      accepts=$((accepts + 1))
      if [ $st -eq 0 ] && [ ! -s "$tmp/out" ]; then ok; else fail "$(basename "$wasm") should validate: $(cat "$tmp/out")"; fi ;;
    ";; reject: "*)
      rejects=$((rejects + 1))
      msg=${first#;; reject: }
      line=$(cat "$tmp/out")
      rest=${line#"$wasm":0x*: invalid: instantiate of component [0-9]: }
      if [ $st -eq 1 ] && [ "$(wc -l <"$tmp/out")" -eq 1 ] && [ "$rest" != "$line" ] && [ "$rest" = "$msg" ]; then ok
      else fail "$(basename "$wasm"): [$st] $line (want ...: $msg)"; fi
      # the offset names the argument: its name's length byte, then the name
      off=$(printf '%s' "$line" | sed -n 's/^[^:]*:0x\([0-9a-f]*\): .*/\1/p')
      arg=$(printf '%s' "$msg" | sed -n 's/^argument "\([^"]*\)".*/\1/p')
      if [ -n "$off" ] && [ -n "$arg" ]; then
        off=$((0x$off))
        len=$(od -An -tu1 -j $off -N 1 "$wasm" | tr -d ' ')
        name=$(tail -c +$((off + 2)) "$wasm" | head -c ${#arg})
        if [ "$len" = "${#arg}" ] && [ "$name" = "$arg" ]; then ok
        else fail "$(basename "$wasm"): offset $off is not argument \"$arg\" (length $len, \"$name\")"; fi
      else
        fail "$(basename "$wasm"): no offset or argument name in: $line"
      fi ;;
    ";; limit: "*)
      msg=${first#;; limit: }
      line=$(cat "$tmp/out")
      rest=${line#"$wasm":0x*: limit: instantiate of component [0-9]: }
      if [ $st -eq 1 ] && [ "$rest" != "$line" ] && [ "$rest" = "$msg" ]; then ok
      else fail "$(basename "$wasm"): [$st] $line (want limit: ...: $msg)"; fi ;;
    *) fail "$(basename "$wat"): first line must be ';; accept:', ';; limit: MESSAGE' or ';; reject: MESSAGE'" ;;
  esac
done
[ $accepts -gt 0 ] && [ $rejects -gt 0 ] || fail "no cases found"
echo "component_subtype.sh: $passes passed, $fails failed ($accepts accepted, $rejects rejected cases)"
[ $fails -eq 0 ]
