#!/bin/sh
# Type checks of component `instantiate` arguments (src/component/subtype.c,
# docs/components.md "Validation rules implemented"): every component in
# tests/component/subtype starts with ";; accept: ..." (wrun validate must
# accept it silently) or ";; reject: MESSAGE" (wrun validate must exit 1 with
# one line "FILE:0xOFF: invalid: instantiate of component N: MESSAGE").
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
      else fail "$(basename "$wasm"): [$st] $line (want ...: $msg)"; fi ;;
    *) fail "$(basename "$wat"): first line must be ';; accept:' or ';; reject: MESSAGE'" ;;
  esac
done
[ $accepts -gt 0 ] && [ $rejects -gt 0 ] || fail "no cases found"
echo "component_subtype.sh: $passes passed, $fails failed ($accepts accepted, $rejects rejected cases)"
[ $fails -eq 0 ]
