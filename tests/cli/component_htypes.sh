#!/bin/sh
# The link-time type check of imports served by the WASI 0.2 host: every host
# function has a component type (src/wasip2 rows, parsed by
# src/component/htypes.c), and a component whose import declares any other
# type is refused before anything runs: one line "link error: component
# import IFACE: function NAME does not have the host's type: WHERE: WHAT" and
# exit status 1, in both tiers. The components are tests/component/htypes/*.wat
# (one wrong thing each: a parameter type, a result type, a resource type, a
# missing or extra parameter, a parameter name, a record field name, enum
# labels, a missing result).
#   sh component_htypes.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component/htypes" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
expect() { if eval "$2"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $1"; fi; }

# refused NAME IFACE FUNC WHY: NAME.wasm fails to link with exactly that message
refused() {
  want="$dir/$1.wasm: link error: component import $2: function $3 does not have the host's type: $4"
  for tier in "" --aot; do
    "$wrun" $tier "$dir/$1.wasm" >"$tmp/out" 2>&1; st=$?
    expect "${tier:-interp}: $1 is refused at link time" \
      '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "$want" ]'
    [ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "$want" ] || { echo "  got (status $st):"; cat "$tmp/out"; }
  done
}

refused write-u64 wasi:io/streams@0.2.0 "[method]output-stream.write" 'parameter "contents": u64, expected list'
refused result-u32 wasi:random/random@0.2.3 get-random-u64 'result: u32, expected u64'
refused resource-swap wasi:cli/stdout@0.2.0 get-stdout 'result: a handle of another resource type than output-stream'
refused param-resource wasi:filesystem/types@0.2.0 filesystem-error-code \
  'parameter "err": a handle of another resource type than error'
refused missing-param wasi:io/streams@0.2.0 "[method]output-stream.write" '1 parameters, expected 2'
refused extra-param wasi:random/random@0.2.0 get-random-bytes '2 parameters, expected 1'
refused param-name wasi:random/random@0.2.0 get-random-bytes 'parameter 0 is named "n", expected "len"'
refused field-name wasi:clocks/wall-clock@0.2.0 now 'result: field 0 is named "secs", expected "seconds"'
refused enum-order wasi:sockets/tcp-create-socket@0.2.0 create-tcp-socket \
  'parameter "address-family": label 0 is named "ipv6", expected "ipv4"'
refused no-result wasi:io/poll@0.2.0 "[method]pollable.ready" 'no result, expected one'

# wrun defines only the interface families a component imports: a function
# missing from an imported interface of a family nothing else brings in is
# still refused as a function, not as an interface, in both tiers
for tier in "" --aot; do
  "$wrun" $tier "$dir/unserved-func.wasm" >"$tmp/out" 2>&1; st=$?
  expect "${tier:-interp}: an unserved function of wasi:sockets/network is a link error" \
    '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "$dir/unserved-func.wasm: link error: component import wasi:sockets/network@0.2.0: function bogus is not provided" ]'
done

# --invoke links the same way (no call is made)
"$wrun" --invoke 'wasi:cli/run@0.2.0#run' "$dir/write-u64.wasm" >"$tmp/out" 2>&1; st=$?
expect "--invoke: refused at link time too" '[ $st -eq 1 ] && grep -q "does not have the host.s type" "$tmp/out"'

echo "component_htypes: $passes passed, $fails failed"
[ $fails -eq 0 ]
