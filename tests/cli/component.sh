#!/bin/sh
# Components (docs/components.md): `wrun validate` accepts the committed corpus
# (tests/component: hand-written .wat converted by jco, and a wasi-testsuite
# program wrapped by `jco new`) and rejects damaged copies with one line
# FILE:0xOFF: kind: message; `wrun inspect` prints a summary and the WIT
# world; --invoke calls a component export; running one without --invoke is
# refused with one clear line and exit 1.
#   sh component.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
ok() { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
expect() { # DESCRIPTION 'SHELL CONDITION'
  if eval "$2"; then ok; else fail "$1"; fi
}

for f in "$dir"/*.wasm; do
  "$wrun" validate "$f" >"$tmp/out" 2>&1
  expect "validate $(basename "$f")" '[ $? -eq 0 ] && [ ! -s "$tmp/out" ]'
done

# run: a jco-adapted preview-1 command (it imports wasi:filesystem too) sees
# exactly its arguments and --env variables, as the core module does
"$wrun" --env FOO=bar "$dir/wasi-args_env.wasm" first "second arg" "" >"$tmp/out" 2>&1
st=$?
expect "run a jco-adapted preview-1 command: exit 0" '[ $st -eq 0 ]'
expect "... with its arguments and environment" \
  '[ "$(cat "$tmp/out")" = "$(printf "arg 1: first\narg 2: second arg\narg 3: \nenv count: 1\nFOO=bar\nPATH=(unset)")" ]'
"$wrun" "$dir/types.wasm" >"$tmp/out" 2>&1
st=$?
expect "run without --invoke on a component with no run export" '[ $st -eq 1 ] && grep -qx "$dir/types.wasm: a component with no wasi:cli/run export: nothing to run without --invoke (decoded and validated: 0 core modules)" "$tmp/out"'

# --invoke calls a component export (src/cinst), in both tiers
for tier in "" --aot; do
  out=$("$wrun" $tier --invoke add "$dir/inst.wasm" 40 2 2>&1)
  expect "invoke$tier add" '[ "$out" = 42 ]'
  out=$("$wrun" $tier --invoke echo16 "$dir/inst.wasm" '"hé☃ x"' 2>&1)
  expect "invoke$tier echo16 (utf16 round trip)" '[ "$out" = "\"hé☃ x\"" ]'
  out=$("$wrun" $tier --invoke greet "$dir/inst-nested.wasm" '"wasm"' 2>&1)
  expect "invoke$tier component-to-component" '[ "$out" = "\"Wasm\"" ]'
  "$wrun" $tier --invoke bad-utf8 "$dir/inst.wasm" >"$tmp/out" 2>&1
  st=$?
  expect "invoke$tier trap in lifting: exit 134" '[ $st -eq 134 ] && grep -qx "$dir/inst.wasm: wasm trap: invalid UTF-8 in string at 0x20" "$tmp/out"'
  "$wrun" $tier --invoke reenter "$dir/inst.wasm" >"$tmp/out" 2>&1
  st=$?
  expect "invoke$tier reentrance trap" '[ $st -eq 134 ] && grep -q "cannot enter component instance" "$tmp/out"'
done
"$wrun" --timeout 200ms --invoke spin "$dir/inst.wasm" >"$tmp/out" 2>&1
st=$?
expect "invoke: --timeout stops a component" '[ $st -eq 134 ] && grep -q "^$dir/inst.wasm: wasm trap: wall-clock timeout" "$tmp/out"'
"$wrun" --aot --timeout 200ms --invoke spin "$dir/inst.wasm" >"$tmp/out" 2>&1
st=$?
expect "invoke --aot: --timeout stops a component" '[ $st -eq 134 ] && grep -q "^$dir/inst.wasm: wasm trap: wall-clock timeout" "$tmp/out"'
"$wrun" --fuel 100000 --invoke spin "$dir/inst.wasm" >"$tmp/out" 2>&1
st=$?
expect "invoke: --fuel stops a component" '[ $st -eq 134 ] && grep -q "^$dir/inst.wasm: wasm trap: all fuel consumed" "$tmp/out"'
"$wrun" --invoke x "$dir/inst-bomb.wasm" >"$tmp/out" 2>&1
st=$?
expect "invoke: an instance bomb hits the instance cap" '[ $st -eq 1 ] && grep -q "^$dir/inst-bomb.wasm:0x[0-9a-f]*: limit: more than 10000 component and core instances" "$tmp/out"'
for tier in "" --aot; do
  out=$("$wrun" $tier --invoke f499 "$dir/inst-chain.wasm" 2>&1)
  expect "invoke$tier: 499 nested component-to-component calls" '[ "$out" = 499 ]'
  "$wrun" $tier --invoke f "$dir/inst-chain.wasm" >"$tmp/out" 2>&1
  st=$?
  expect "invoke$tier: 600 nested component calls trap, no native stack overflow" '[ $st -eq 134 ] && grep -qx "$dir/inst-chain.wasm: wasm trap: call stack exhausted: more than 500 nested component calls" "$tmp/out"'
done
"$wrun" --invoke add "$dir/inst.wasm" 1 x >"$tmp/out" 2>&1
st=$?
expect "invoke: a bad argument is a usage error" '[ $st -eq 2 ] && grep -qx "$dir/inst.wasm: error: argument 2 (b) \"x\": 1:1: expected u32, found '"'"'x'"'"'" "$tmp/out"'
out=$("$wrun" --invoke dot "$dir/inst.wasm" '[{x: 2, y: 3}, {x: 4, y: 5}]' 2>&1)
expect "invoke: a WAVE list of records" '[ "$out" = 26 ]'
out=$("$wrun" --invoke echo "$dir/inst.wasm" '"tab\there \"q\" \u{1f30d}"' 2>&1)
expect "invoke: WAVE string escapes in and out" '[ "$out" = "\"tab\\there \\\"q\\\" 🌍\"" ]'
"$wrun" --invoke add "$dir/inst.wasm" 1 >"$tmp/out" 2>&1
st=$?
expect "invoke: argument count" '[ $st -eq 2 ] && grep -qx "$dir/inst.wasm: error: \"add\" takes 2 argument(s), 1 given" "$tmp/out"'
"$wrun" --invoke run "$dir/inst-host.wasm" 3 >"$tmp/out" 2>&1
st=$?
expect "invoke: an import not provided is a link error" '[ $st -eq 1 ] && grep -qx "$dir/inst-host.wasm: link error: component import log is not provided" "$tmp/out"'

# compile: one artifact (more in component_artifact.sh)
"$wrun" compile "$dir/types.wasm" -o "$tmp/t.cwasm" >"$tmp/out" 2>&1
st=$?
expect "compile takes a component" '[ $st -eq 0 ] && [ -s "$tmp/t.cwasm" ] && [ ! -s "$tmp/out" ]'
# validate: components and core modules in one command line
printf '\000asm\001\000\000\000' >"$tmp/empty-module.wasm"
"$wrun" validate "$dir/types.wasm" "$tmp/empty-module.wasm" "$dir/nested.wasm" >"$tmp/out" 2>&1
expect "validate mixes modules and components" '[ $? -eq 0 ] && [ ! -s "$tmp/out" ]'

# inspect: summary and WIT
"$wrun" inspect "$dir/wasi-args_env.wasm" >"$tmp/out" 2>&1
expect "inspect exits 0" '[ $? -eq 0 ]'
expect "inspect counts core modules" 'grep -q "^core modules: 4 (4 at top level)" "$tmp/out"'
expect "inspect prints the world" 'grep -qx "world root {" "$tmp/out"'
expect "inspect prints the run export" 'grep -qx "  export wasi:cli/run@0.2.12;" "$tmp/out"'
expect "inspect prints an interface import" 'grep -qx "  import wasi:filesystem/types@0.2.12;" "$tmp/out"'
expect "inspect prints interface bodies with resources" 'grep -qx "  resource output-stream {" "$tmp/out"'
expect "inspect prints uses" 'grep -qx "  use wasi:io/streams@0.2.12.{output-stream};" "$tmp/out"'
expect "inspect prints functions" 'grep -qx "  get-arguments: func() -> list<string>;" "$tmp/out"'

"$wrun" inspect "$dir/types.wasm" >"$tmp/out" 2>&1
for l in "  export point: type record { x: s32, y: s32, label: string };" \
         "  export shape: type variant { circle(f64), square(f32), none };" \
         "  export perm: type flags { read, write, exec };" \
         "  export res: type result<u16, string>;" \
         "  export res-err: type result<_, u32>;" \
         "  export nested: type list<option<tuple<point, shape, color, perm, bytes, pair, maybe, res>>>;"; do
  expect "inspect types.wasm: $l" 'grep -qxF "$l" "$tmp/out"'
done
"$wrun" inspect "$dir/resources.wasm" >"$tmp/out" 2>&1
expect "inspect resources: method" 'grep -qxF "  export [method]file.get: func(self: borrow<file>) -> u32;" "$tmp/out"'
expect "inspect resources: imported resource with method" 'grep -qxF "    ready: func() -> bool;" "$tmp/out"'
"$wrun" inspect "$dir/nested.wasm" >"$tmp/out" 2>&1
expect "inspect nested: semver interface" 'grep -qxF "  import wrun:test/names@1.2.3-rc.1+build.5;" "$tmp/out"'
expect "inspect nested: nested components counted" 'grep -qx "nested components: 1" "$tmp/out"'

# the world of a component WIT can describe equals what `jco wit` printed for it
"$wrun" inspect "$dir/wit.wasm" | sed -n '/^package /,/^}$/p' >"$tmp/wrun.wit"
sed -n '/^package /,/^}$/p' "$dir/wit.expected" >"$tmp/jco.wit"
expect "inspect wit.wasm prints jco's world" 'cmp -s "$tmp/wrun.wit" "$tmp/jco.wit" || { diff "$tmp/jco.wit" "$tmp/wrun.wit" | head; false; }'

# damaged copies: one line each, exit 1, never a crash
size=$(wc -c <"$dir/canon.wasm")
for cut in 9 20 100 300 $((size - 1)); do
  head -c $cut "$dir/canon.wasm" >"$tmp/cut.wasm"
  "$wrun" validate "$tmp/cut.wasm" >"$tmp/out" 2>&1
  st=$?
  expect "truncated at $cut: exit 1" '[ $st -eq 1 ]'
  expect "truncated at $cut: one malformed line" \
    '[ $(wc -l <"$tmp/out") -eq 1 ] && grep -q "^$tmp/cut.wasm:0x[0-9a-f]*: malformed: " "$tmp/out"'
done
# a bad section id right after the preamble
printf '\000asm\015\000\001\000\015\000' >"$tmp/badsec.wasm"
"$wrun" validate "$tmp/badsec.wasm" >"$tmp/out" 2>&1
expect "bad section id" 'grep -qx "$tmp/badsec.wasm:0x8: malformed: unknown component section id 13" "$tmp/out"'
# a type index out of range (list of type 5)
printf '\000asm\015\000\001\000\007\003\001\160\005' >"$tmp/badidx.wasm"
"$wrun" validate "$tmp/badidx.wasm" >"$tmp/out" 2>&1
expect "unknown type index" 'grep -qx "$tmp/badidx.wasm:0xc: invalid: unknown type 5: 0 defined" "$tmp/out"'

echo "component.sh: $passes passed, $fails failed"
[ $fails -eq 0 ]
