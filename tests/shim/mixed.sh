#!/bin/sh
# mixed.sh — a runc container (a static native program) and wrun containers
# side by side on one containerd (lib.sh): both run at the same time, each on
# its runtime, with its own output and exit status, and everything is cleaned.
. "$(dirname "$0")/lib.sh"

wimg=docker.io/library/wrun-guest:mixed
nimg=docker.io/library/native-hello:mixed
$wrun oci build "$guest" -o "$tmp/guest.tar" --name $wimg || fail "wrun oci build"
native_image "$native" $nimg "$tmp/native.tar"
$C image import "$tmp/guest.tar" >/dev/null || fail "import wasm image"
$C image import "$tmp/native.tar" >/dev/null || fail "import native image"

# a long-running wrun task while the runc container starts and ends
$C run -d $WRUN $wimg bg /guest.wasm loop >/dev/null </dev/null || fail "run -d bg"
check "runc container beside a running wrun task" 0 "hello from runc side" -- $C run --rm $nimg n1 /hello side </dev/null
check "wrun container beside it" 0 "hello from wrun" -- $C run --rm $WRUN $wimg w1 </dev/null
$C task ls | awk '$1=="bg"{print $3}' | grep -qx RUNNING && ok "the wrun task kept running" || fail "bg is not running"
$C container info bg | grep -q io.containerd.wrun.v2 && ok "bg ran on io.containerd.wrun.v2" || fail "bg's runtime"

# both at once, in parallel
($C run --rm $nimg n2 /hello par </dev/null >"$tmp/n2.out"; echo $? >"$tmp/n2.st") &
p1=$!
($C run --rm $WRUN $wimg w2 /guest.wasm args par </dev/null >"$tmp/w2.out"; echo $? >"$tmp/w2.st") &
p2=$!
wait $p1 $p2 # not a bare wait: containerd is a child of this shell too
[ "$(cat "$tmp/n2.st")" = 0 ] && [ "$(cat "$tmp/n2.out")" = "hello from runc par" ] && ok "runc in parallel" ||
  fail "runc in parallel: $(cat "$tmp/n2.st") '$(cat "$tmp/n2.out")'"
[ "$(cat "$tmp/w2.st")" = 0 ] && [ "$(tail -1 "$tmp/w2.out")" = par ] && ok "wrun in parallel" ||
  fail "wrun in parallel: $(cat "$tmp/w2.st") '$(cat "$tmp/w2.out")'"
$C task kill -s SIGKILL bg || fail "kill bg"
i=0; while [ "$($C task ls | awk '$1=="bg"{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
$C task delete bg >/dev/null || fail "delete bg"
$C container rm bg || fail "container rm bg"
[ -z "$($C container ls -q)" ] && ok "no containers left" || fail "containers left: $($C container ls -q)"

# two containers of one pod (annotation io.kubernetes.cri.sandbox-id) share
# one shim: one socket; deleting the first leaves the shim serving the second
pod="--annotation io.kubernetes.cri.sandbox-id=pod-a"
$C run -d $WRUN $pod $wimg pa1 /guest.wasm loop </dev/null >/dev/null || fail "run pa1"
$C run -d $WRUN $pod $wimg pa2 /guest.wasm loop </dev/null >/dev/null || fail "run pa2"
$C run -d $WRUN $wimg solo /guest.wasm loop </dev/null >/dev/null || fail "run solo"
[ "$(ls "$tmp/state/s" | wc -l)" = 2 ] && ok "a pod's two containers share one shim socket (plus solo's)" ||
  fail "shim sockets for pa1, pa2, solo: $(ls "$tmp/state/s" | wc -l), expected 2"
[ "$(cat "$tmp/state/io.containerd.runtime.v2.task/default/pa1/address")" = \
  "$(cat "$tmp/state/io.containerd.runtime.v2.task/default/pa2/address")" ] && ok "same address in both bundles" ||
  fail "pa1 and pa2 have different shim addresses"
for c in pa1 solo; do
  $C task kill -s SIGKILL $c
  i=0; while [ "$($C task ls | awk -v n=$c '$1==n{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  $C task delete $c >/dev/null || fail "delete $c"; $C container rm $c
done
sleep 0.2
[ "$($C task ls | awk '$1=="pa2"{print $3}')" = RUNNING ] && ok "pa2 still served after pa1's delete and shutdown" ||
  fail "pa2 is not running after pa1 was deleted"
$C task kill pa2 || fail "kill pa2"
i=0; while [ "$($C task ls | awk '$1=="pa2"{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
$C task delete pa2 >/dev/null || fail "delete pa2"; $C container rm pa2
check_clean "after the pod's containers"

# a pod's sandbox container (annotation io.kubernetes.cri.container-type=sandbox)
# holds no Wasm program: the shim stands in for pause until it is stopped
$C run -d $WRUN --annotation io.kubernetes.cri.container-type=sandbox $nimg pod1 </dev/null >/dev/null || fail "run the pod sandbox"
sleep 0.3
[ "$($C task ls | awk '$1=="pod1"{print $3}')" = RUNNING ] && ok "pod sandbox stand-in runs" || fail "pod sandbox not running"
$C task kill pod1 || fail "kill pod1"
i=0; while [ "$($C task ls | awk '$1=="pod1"{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
[ "$($C task ls | awk '$1=="pod1"{print $3}')" = STOPPED ] && ok "pod sandbox stops on SIGTERM" || fail "pod1 did not stop"
$C task delete pod1 >/dev/null; $C container rm pod1
# a task joins the network namespace of its spec (the pod's), and fails when it cannot
unshare -n sleep 30 &
holder=$!
sleep 0.2
check "task in a given network namespace" 0 "hello from wrun" -- $C run --rm $WRUN --with-ns network:/proc/$holder/ns/net $wimg ns1 </dev/null
kill $holder
check "a network namespace that does not exist" 1 "" -- $C run --rm $WRUN --with-ns network:/nonexistent/ns $wimg ns2 </dev/null
$C container rm ns2 >/dev/null 2>&1
grep -q "joining the network namespace /nonexistent/ns" "$tmp/containerd.log" && ok "the task said why" ||
  fail "no 'joining the network namespace' line in containerd's log"
check_clean "after the mixed runs"
finish
