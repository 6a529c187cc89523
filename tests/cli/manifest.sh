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

# every key of the option table works in a manifest; the command line wins
# over scalars and its --env entries override the manifest's
cp "$data/wasi_env.wat" "$tmp/env.wat"
printf 'module: env.wat\nenv: [A=1, B=2]\ninvoke: _start\naot: true\nno-cache: true\nlimits: {max-stack: 64K}\n' >"$tmp/env.yaml"
out=$("$wrun" run -c "$tmp/env.yaml" 2>"$tmp/err"); st=$?
[ $st -eq 0 ] && [ "$out" = "$(printf 'A=1\nB=2')" ] || { fail "manifest env/invoke/aot: status $st '$out'"; cat "$tmp/err"; }
out=$("$wrun" run -v -c "$tmp/env.yaml" 2>&1 >/dev/null); echo "$out" | grep -q "tier: aot" || fail "manifest aot: true: '$out'"
out=$(A=host "$wrun" run --env B=3 --inherit-env -c "$tmp/env.yaml" 2>"$tmp/err" | grep -E '^(A|B)='); st=$?
[ "$out" = "$(printf 'A=1\nB=3')" ] || fail "command-line --env over the manifest's, manifest's over inherited: '$out'"
printf 'module: env.wat\ndirs: [a::x]\ndirs-ro: [b::x]\n' >"$tmp/dup.yaml"
"$wrun" run -c "$tmp/dup.yaml" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] && grep -q "guest path 'x'" "$tmp/err" || fail "duplicate guest path in a manifest: status $st"

check_error() { # YAML PATTERN
  printf '%b' "$1" >"$tmp/m.yaml"
  "$wrun" run -c "$tmp/m.yaml" 2>"$tmp/err"; st=$?
  [ $st -eq 1 ] && grep -Eq "$2" "$tmp/err" || { fail "manifest error for '$1': status $st"; cat "$tmp/err"; }
}
check_error 'module: x.wasm\nlimitz: {}\n' 'm.yaml:2:1: manifest error: unknown key'
check_error 'module: x.wasm\nlimits: {timeout: forever}\n' 'm.yaml:2:19: manifest error: limits.timeout: expected a duration'
check_error 'module: x.wasm\nlimits: {fuel: -3}\n' 'm.yaml:2:16: manifest error'
check_error 'module: x.wasm\nargs: one\n' 'm.yaml:2:7: manifest error: args must be a list'
check_error 'module: x.wasm\ndirs: [{host: a, mode: rw}]\n' 'm.yaml:2:18: manifest error: unknown key in a dirs entry'
check_error 'args: []\n' 'manifest error: missing key: module'
check_error 'module: x.wasm\naot: maybe\n' 'm.yaml:2:6: manifest error: aot: expected true or false'
check_error 'module: x.wasm\nlimits: {max-stack: 12}\n' 'm.yaml:2:21: manifest error: limits.max-stack: expected a size from 4K'
check_error 'module: x.wasm\nlimits: {depth: 3}\n' "m.yaml:2:10: manifest error: unknown limit 'depth' \\(expected fuel, timeout, max-memory, max-stack\\)"
check_error 'module: x.wasm\nfrob: 1\n' "unknown key 'frob' \\(expected module, args, limits, serve, dirs, dirs-ro, env, inherit-env, listen, allow-connect, allow-bind, allow-lookup, allow-http, invoke, aot, tier, allow-precompiled, interpreter, no-cache\\)"
check_error 'module: x.wasm\nenv: A\n' 'm.yaml:2:6: manifest error: env must be a list'
check_error 'module: [x\n' 'm.yaml:2:1: manifest error'
"$wrun" run -c "$tmp/none.yaml" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "cannot open the manifest" "$tmp/err" || fail "missing manifest: status $st"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all manifest checks passed"
