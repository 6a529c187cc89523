#!/bin/sh
# component.sh — a WASI 0.2 component (tests/component/wasi-cli.wasm, its
# commands listed in its .wat) in io.containerd.wrun.v2 containers on a
# containerd of the test's own (lib.sh): output, args, env, exit codes, a trap,
# Kill of a spinning guest and of one blocked in a host wait, and cleanup.
. "$(dirname "$0")/lib.sh"

comp=$tests/component/wasi-cli.wasm
img=docker.io/library/wrun-component:test
$wrun oci build "$comp" -o "$tmp/comp.tar" --name $img --gzip || fail "wrun oci build --gzip"
out=$($C image import "$tmp/comp.tar" 2>&1) || fail "ctr image import (gzip layer): $out"

check "component hello" 0 "hello" -- $C run --rm $WRUN $img c1 /wasi-cli.wasm hello </dev/null
check "component args" 0 "$(printf '/wasi-cli.wasm\nargs\nx y')" -- $C run --rm $WRUN $img c2 /wasi-cli.wasm args "x y" </dev/null
out=$($C run --rm $WRUN --env ZED=1 $img c3 /wasi-cli.wasm vars </dev/null)
echo "$out" | grep -qx ZED=1 && ok "component env" || fail "component env: $out"
check "component exit-with-code" 9 "" -- $C run --rm $WRUN $img c4 /wasi-cli.wasm k 9 </dev/null
check "component run returning err" 1 "" -- $C run --rm $WRUN $img c5 /wasi-cli.wasm fail </dev/null
check "component trap" 134 "" -- $C run --rm $WRUN $img c6 /wasi-cli.wasm unreachable </dev/null
check "component stdin" 0 "through" -- sh -c "echo through | $C run --rm $WRUN $img c7 /wasi-cli.wasm echo"

for what in loop "sleep 100"; do
  name=ck$(echo "$what" | tr -cd a-z)
  $C run -d $WRUN $img $name /wasi-cli.wasm $what >/dev/null </dev/null || fail "run -d $name"
  sleep 0.3
  t0=$(date +%s%N)
  $C task kill $name || fail "kill $name"
  i=0; while [ "$($C task ls | awk -v n=$name '$1==n{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ $ms -lt 1500 ] && ok "SIGTERM ended '$what' in ${ms} ms" || fail "SIGTERM on '$what' took ${ms} ms"
  $C task delete $name >/dev/null || fail "delete $name"
  $C container rm $name || fail "container rm $name"
done
check_clean "after the component runs"
finish
