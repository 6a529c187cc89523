#!/bin/sh
# `wrun run -c wrun.yaml`: settings from a manifest, command-line arguments
# appended, and errors with line:col for unknown keys and bad values.
#   sh manifest.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

out=$("$wrun" run -c "$data/manifest/wrun.yaml" 2>"$tmp/err"); st=$?
[ $st -eq 3 ] && [ "$out" = "argc=3 hello" ] || { fail "manifest run: status $st '$out'"; cat "$tmp/err"; }
out=$("$wrun" -c "$data/manifest/wrun.yaml" extra 2>"$tmp/err"); st=$?
[ "$out" = "argc=4 hello" ] || fail "extra argument appended: '$out'"

check_error() { # YAML PATTERN
  printf '%b' "$1" >"$tmp/m.yaml"
  "$wrun" run -c "$tmp/m.yaml" 2>"$tmp/err"; st=$?
  [ $st -eq 1 ] && grep -Eq "$2" "$tmp/err" || { fail "manifest error for '$1': status $st"; cat "$tmp/err"; }
}
check_error 'module: x.wasm\nlimitz: {}\n' 'm.yaml:2:1: manifest error: unknown key'
check_error 'module: x.wasm\nlimits: {timeout: forever}\n' 'm.yaml:2:19: manifest error: timeout'
check_error 'module: x.wasm\nlimits: {fuel: -3}\n' 'm.yaml:2:16: manifest error'
check_error 'module: x.wasm\nargs: one\n' 'm.yaml:2:7: manifest error: args must be a list'
check_error 'module: x.wasm\ndirs: [{host: a, mode: rw}]\n' 'm.yaml:2:18: manifest error: unknown key in a dirs entry'
check_error 'args: []\n' 'manifest error: missing key: module'
check_error 'module: [x\n' 'm.yaml:2:1: manifest error'
"$wrun" run -c "$tmp/none.yaml" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "cannot open the manifest" "$tmp/err" || fail "missing manifest: status $st"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all manifest checks passed"
