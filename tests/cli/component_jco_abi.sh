#!/bin/sh
# A second implementation to compare against: tests/component/jco-abi.wasm
# (typed exports of every kind in the interface wrun:test/abi) is turned into
# JavaScript by `jco transpile`, and component_jco_abi.mjs calls each function
# of a table both through node and through `wrun --invoke` (both tiers),
# printing both results as canonical WAVE, which must be equal.
# Without jco or node prints SKIP and exits 77 (CI installs both).
#   sh component_jco_abi.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
jco=${JCO:-$(command -v jco || true)}
node=${NODE:-$(command -v node || true)}
if [ -z "$jco" ] || [ -z "$node" ]; then
  echo "SKIP: jco or node not found (npm i -g @bytecodealliance/jco; set JCO= / NODE= to point at them)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! "$jco" transpile "$dir/jco-abi.wasm" -o "$tmp/js" --name jcoabi >"$tmp/log" 2>&1; then
  echo "FAIL: jco transpile jco-abi.wasm:"; head -5 "$tmp/log"
  exit 1
fi
st=0
"$node" "$here/component_jco_abi.mjs" "$wrun" "$dir/jco-abi.wasm" "$tmp/js" || st=1
"$node" "$here/component_jco_abi.mjs" "$wrun" "$dir/jco-abi.wasm" "$tmp/js" --aot || st=1
exit $st
