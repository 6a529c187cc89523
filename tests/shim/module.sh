#!/bin/sh
# module.sh — a Wasm module (tests/shim/guest.c) in containers of
# io.containerd.wrun.v2 on a containerd of the test's own (lib.sh): image
# import of `wrun oci build` output, args, env, exit codes, stdout and stderr,
# stdin, the rootfs and a bind mount as preopens, the memory limit, the
# io.wrun.timeout annotation, Kill of a looping guest (SIGTERM through the
# interrupt, SIGKILL), Wait/State/Pids/metrics, deletion and cleanup, and
# many containers in a row.
. "$(dirname "$0")/lib.sh"

img=docker.io/library/wrun-guest:test
$wrun oci build "$guest" -o "$tmp/guest.tar" --name $img --env GREETING=hi || fail "wrun oci build"
out=$($C image import "$tmp/guest.tar" 2>&1) || fail "ctr image import: $out"
$C image ls -q | grep -qx $img && ok "image imported" || fail "image $img not listed after import"

check "hello" 0 "hello from wrun" -- $C run --rm $WRUN $img h1 </dev/null
check "args" 0 "$(printf '/guest.wasm\nargs\none\ntwo words')" -- $C run --rm $WRUN $img h2 /guest.wasm args one "two words" </dev/null
out=$($C run --rm $WRUN --env FOO=bar $img h3 /guest.wasm env </dev/null)
echo "$out" | grep -qx FOO=bar && echo "$out" | grep -qx GREETING=hi && ok "env (image and --env)" || fail "env: $out"
$C events >"$tmp/events" 2>&1 &
evpid=$!
sleep 0.3
check "exit status 7" 7 "" -- $C run --rm $WRUN $img h4 /guest.wasm exit 7 </dev/null
sleep 0.3
kill $evpid
# the shim's events, as containerd's subscribers see them
for topic in /tasks/create /tasks/start; do
  grep "$topic" "$tmp/events" | grep -q '"container_id":"h4"' && ok "event $topic" || fail "no $topic event for h4"
done
grep /tasks/exit "$tmp/events" | grep '"container_id":"h4"' | grep -q '"exit_status":7' && ok "event /tasks/exit with status 7" ||
  fail "no /tasks/exit event with status 7: $(grep /tasks/exit "$tmp/events")"
grep /tasks/delete "$tmp/events" | grep '"container_id":"h4"' | grep -q '"exit_status":7' && ok "event /tasks/delete" ||
  fail "no /tasks/delete event with status 7"
check "exit status 0" 0 "" -- $C run --rm $WRUN $img h5 /guest.wasm exit 0 </dev/null
out=$($C run --rm $WRUN $img h6 /guest.wasm stderr to-stderr 2>&1 >/dev/null </dev/null)
[ "$out" = to-stderr ] && ok "stderr" || fail "stderr: '$out'"
check "stdin" 0 "piped in" -- sh -c "echo 'piped in' | $C run --rm $WRUN $img h7 /guest.wasm stdin"
check "stdin at end of file" 0 "" -- $C run --rm $WRUN $img h8 /guest.wasm stdin </dev/null
check "rootfs as /" 0 "$(cat "$guest" | wc -c)" -- sh -c "$C run --rm $WRUN $img h9 /guest.wasm cat /guest.wasm </dev/null | wc -c"
mkdir -p "$tmp/data" && echo "host data" >"$tmp/data/f.txt"
check "bind mount" 0 "host data" -- $C run --rm $WRUN --mount type=bind,src=$tmp/data,dst=/data,options=rbind:ro $img h10 /guest.wasm cat /data/f.txt </dev/null
check "read-only bind mount refuses writes" 4 "" -- $C run --rm $WRUN --mount type=bind,src=$tmp/data,dst=/data,options=rbind:ro $img h11 /guest.wasm write /data/g.txt x </dev/null
check "read-write bind mount" 0 "" -- $C run --rm $WRUN --mount type=bind,src=$tmp/data,dst=/data,options=rbind:rw $img h12 /guest.wasm write /data/g.txt written </dev/null
[ "$(cat "$tmp/data/g.txt" 2>/dev/null)" = written ] && ok "write reached the host directory" || fail "bind mount write lost"
check "memory limit refuses growth" 3 "allocation failed" -- $C run --rm $WRUN --memory-limit 33554432 $img m1 /guest.wasm mem 64 </dev/null
check "memory under the limit" 0 "allocated 64 MiB (2)" -- $C run --rm $WRUN --memory-limit 134217728 $img m2 /guest.wasm mem 64 </dev/null
check "missing program" 1 "" -- $C run --rm $WRUN $img e1 /nope.wasm </dev/null
check "not wasm" 1 "" -- $C run --rm $WRUN $img e2 /etc/passwd </dev/null

# the io.wrun.timeout annotation: a deadline as `wrun run --timeout`
start=$(date +%s%N)
check "io.wrun.timeout ends a loop" 134 "looping" -- $C run --rm $WRUN --annotation io.wrun.timeout=300ms $img t1 /guest.wasm loop </dev/null
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 5000 ] && ok "timeout took ${ms} ms" || fail "timeout took ${ms} ms"

# Kill: SIGTERM ends a spinning guest through the interrupt (status 143), SIGKILL at once (137)
$C run -d $WRUN $img k1 /guest.wasm loop >/dev/null </dev/null || fail "run -d k1"
sleep 0.3
st=$($C task ls | awk '$1=="k1"{print $3}')
[ "$st" = RUNNING ] && ok "State: RUNNING" || fail "State of k1: '$st'"
$C task ps k1 | grep -q "$($C task ls | awk '$1=="k1"{print $2}')" && ok "Pids" || fail "Pids of k1"
$C task metrics k1 | grep -q "cpu.usage_usec" && ok "Stats" || fail "Stats of k1"
$C task exec --exec-id x k1 /guest.wasm hello >/dev/null 2>"$tmp/exec.err" && fail "exec should be refused"
grep -qi "not implemented" "$tmp/exec.err" && ok "Exec: not implemented" || fail "Exec error: $(cat "$tmp/exec.err")"
$C task pause k1 2>"$tmp/pause.err" && fail "pause should be refused"
grep -qi "not implemented" "$tmp/pause.err" && ok "Pause: not implemented" || fail "Pause error: $(cat "$tmp/pause.err")"
t0=$(date +%s%N)
$C task kill k1 || fail "kill k1"
i=0; while [ "$($C task ls | awk '$1=="k1"{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 1500 ] && ok "SIGTERM stopped the loop in ${ms} ms (interrupt, not the 2 s fallback)" || fail "SIGTERM took ${ms} ms"
$C task delete k1 >/dev/null || fail "delete k1"
$C container rm k1 || fail "container rm k1"
$C run -d $WRUN $img k2 /guest.wasm loop >/dev/null </dev/null || fail "run -d k2"
sleep 0.2
$C task kill -s SIGKILL k2 || fail "kill -9 k2"
i=0; while [ "$($C task ls | awk '$1=="k2"{print $3}')" != STOPPED ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
st=$($C task delete k2 2>&1); $C container rm k2
$C task ls | grep -q k2 && fail "k2 not deleted" || ok "SIGKILL and delete"
check "exit status of a run waited for by ctr" 143 "" -- sh -c "($C run --rm $WRUN $img w1 /guest.wasm loop >/dev/null </dev/null; echo \$? >$tmp/w1) & sleep 0.5; $C task kill w1; wait; exit \$(cat $tmp/w1)"
# a shim killed under a running task: the task dies with it, and containerd's
# cleanup (the shim's `delete` command) leaves no mount or socket behind
$C run -d $WRUN $img dead1 /guest.wasm loop >/dev/null </dev/null || fail "run -d dead1"
sleep 0.3
tpid=$($C task ls | awk '$1=="dead1"{print $2}')
spid=$(awk '{print $4}' /proc/$tpid/stat 2>/dev/null)
if [ -n "$spid" ] && grep -q containerd-shim-wrun-v2 /proc/$spid/cmdline; then
  kill -9 "$spid"
  i=0; while kill -0 "$tpid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  kill -0 "$tpid" 2>/dev/null && fail "the task outlived its shim" || ok "the task died with its shim"
  i=0; while [ "$($C task ls | awk '$1=="dead1"{print $3}')" = RUNNING ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
  $C task delete dead1 >/dev/null 2>&1
  $C container rm dead1 || fail "container rm dead1 after its shim died"
else
  fail "no shim process found as the parent of dead1's task ($tpid)"
fi
# containerd runs `shim delete` in the bundle directory; when `task delete`
# removed the bundle first, that cannot run and the killed shim's socket stays
# until the next shim starts, which removes sockets nobody listens on (start.c)
out=$($C run --rm $WRUN $img after1 /guest.wasm args x </dev/null | tail -1)
[ "$out" = x ] && ok "a container after the killed shim" || fail "after1 printed '$out'"
check_clean "after the single runs"

n=0
i=0
while [ $i -lt 20 ]; do
  out=$($C run --rm $WRUN $img row$i /guest.wasm args $i </dev/null 2>"$tmp/row.err" | tail -1)
  [ "$out" = "$i" ] && n=$((n + 1)) || echo "row$i printed '$out' (stderr: $(head -c 300 "$tmp/row.err"))"
  i=$((i + 1))
done
[ $n -eq 20 ] && ok "20 containers in a row" || fail "only $n of 20 containers in a row gave their output"
check_clean "after 20 containers"
finish
