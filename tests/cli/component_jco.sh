#!/bin/sh
# Components against jco (npm package @bytecodealliance/jco), when installed:
#  - every hand-written tests/component/*.wat, converted again by `jco parse`,
#    gives exactly the committed .wasm (so the corpus stays reproducible), and
#    `jco wit` still prints wit.expected for wit.wasm;
#  - every wasi-testsuite program (built by this build into wasi-testsuite/
#    beside wrun) wrapped by `jco new --wasi-command` validates, and the
#    `world` that `wrun inspect` prints equals the one `jco wit` prints.
# Without jco (or with no wasi-testsuite programs) prints SKIP and exits 77,
# or fails when WRUN_REQUIRE_JCO=1 (set by .ci/run, which installs jco).
#   sh component_jco.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component" && pwd)
jco=${JCO:-$(command -v jco || true)}
if [ -z "$jco" ]; then
  echo "SKIP: jco not found (npm i -g @bytecodealliance/jco, or set JCO=/path/to/jco)"
  [ "${WRUN_REQUIRE_JCO:-0}" = 1 ] && { echo "FAIL: WRUN_REQUIRE_JCO=1 and jco is missing"; exit 1; }
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
ok() { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

for w in "$dir"/*.wat; do
  n=$(basename "$w" .wat)
  if ! "$jco" parse "$w" -o "$tmp/$n.wasm" >"$tmp/log" 2>&1; then fail "jco parse $n.wat: $(head -1 "$tmp/log")"; continue; fi
  if cmp -s "$tmp/$n.wasm" "$dir/$n.wasm"; then ok; else fail "$n.wasm differs from jco parse $n.wat (regenerate it)"; fi
done

# wit.expected is jco's WIT for wit.wasm: still what jco prints?
"$jco" wit "$dir/wit.wasm" >"$tmp/wit.now" 2>&1
if cmp -s "$tmp/wit.now" "$dir/wit.expected"; then ok; else fail "jco wit wit.wasm differs from wit.expected (regenerate it)"; fi

progs=$(dirname "$wrun")/wasi-testsuite
count=0
for p in "$progs"/*.wasm; do
  [ -f "$p" ] || continue
  n=$(basename "$p" .wasm)
  count=$((count + 1))
  if ! "$jco" new "$p" --wasi-command -o "$tmp/$n.component.wasm" >"$tmp/log" 2>&1; then
    fail "jco new $n: $(head -1 "$tmp/log")"; continue
  fi
  if "$wrun" validate "$tmp/$n.component.wasm" >"$tmp/log" 2>&1; then ok; else fail "validate $n: $(cat "$tmp/log")"; fi
  "$jco" wit "$tmp/$n.component.wasm" >"$tmp/jco.wit" 2>&1
  "$wrun" inspect "$tmp/$n.component.wasm" | sed -n '/^package /,/^}$/p' >"$tmp/wrun.wit"
  # jco ends its output with the world's closing brace
  sed -n '/^package /,/^}$/p' "$tmp/jco.wit" >"$tmp/jco.world"
  if [ -s "$tmp/wrun.wit" ] && cmp -s "$tmp/wrun.wit" "$tmp/jco.world"; then ok
  else fail "world of $n differs from jco wit:"; diff "$tmp/jco.world" "$tmp/wrun.wit" | head -20; fi
done
[ $count -gt 0 ] || echo "note: no wasi-testsuite programs in $progs (clang/wasi-libc missing?)"

echo "component_jco.sh: $passes passed, $fails failed"
[ $fails -eq 0 ] || exit 1
[ $count -gt 0 ] || exit 77
