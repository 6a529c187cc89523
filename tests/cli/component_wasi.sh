#!/bin/sh
# WASI 0.2 (src/wasip2) through `wrun comp.wasm ARGS`: the hand-written
# command tests/component/wasi-cli.wat (its first argument picks what its
# wasi:cli/run does) prints through stdout streams, echoes stdin, sees exactly
# its arguments and the --env variables, exits with wasi:cli/exit statuses,
# sleeps on a monotonic-clock pollable (ended by --timeout with 134), reads
# random bytes and gets stream-error.closed on a closed stdout; imports of
# another major.minor or of interfaces not served yet are one-line link errors
# (wasi:sockets links: component_sockets.sh tests it).
# With jco installed, a preview-1 C program wrapped by jco's adapter is run
# too (wasi:filesystem included).
#   sh component_wasi.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component" && pwd)
c=$dir/wasi-cli.wasm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
expect() { if eval "$2"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $1"; fi; }
now_ms() { date +%s%3N; }

for tier in "" --aot; do
  t=${tier:-interp}
  out=$("$wrun" $tier "$c" hello 2>&1); st=$?
  expect "$t: hello" '[ $st -eq 0 ] && [ "$out" = hello ]'
  head -c 200000 /dev/urandom >"$tmp/big"
  "$wrun" $tier "$c" echo <"$tmp/big" >"$tmp/out" 2>"$tmp/err"; st=$?
  expect "$t: echo copies 200000 bytes of stdin until closed" '[ $st -eq 0 ] && cmp -s "$tmp/big" "$tmp/out" && [ ! -s "$tmp/err" ]'
  out=$( (sleep 0.3; echo late) | "$wrun" $tier "$c" echo 2>&1); st=$?
  expect "$t: echo waits for a slow pipe" '[ $st -eq 0 ] && [ "$out" = late ]'
  "$wrun" $tier "$c" transfer <"$tmp/big" >"$tmp/out" 2>"$tmp/err"; st=$?
  expect "$t: blocking-splice copies stdin to stdout until closed" '[ $st -eq 0 ] && cmp -s "$tmp/big" "$tmp/out" && [ ! -s "$tmp/err" ]'
  out=$("$wrun" $tier "$c" echo <&- 2>&1); st=$?
  expect "$t: a closed stdin is an empty, closed stream" '[ $st -eq 0 ] && [ -z "$out" ]'
done

out=$( (sleep 0.3; printf late) | "$wrun" "$c" input 2>&1); st=$?
expect "input-stream.subscribe + block, then a non-blocking read" '[ $st -eq 0 ] && [ "$out" = late ]'
for tier in "" --aot; do
  "$wrun" $tier "$c" unreachable >"$tmp/out" 2>&1; st=$?
  expect "${tier:-interp}: a trap in run exits 134" '[ $st -eq 134 ] && grep -q "wasm trap: unreachable" "$tmp/out"'
  t0=$(now_ms); "$wrun" $tier --timeout 1s "$c" loop >"$tmp/out" 2>&1; st=$?; t1=$(now_ms)
  expect "${tier:-interp}: --timeout 1s ends a spinning run with 134" '[ $st -eq 134 ] && [ $((t1 - t0)) -lt 5000 ]'
done
"$wrun" --fuel 1M "$c" loop >"$tmp/out" 2>&1; st=$?
expect "--fuel ends a spinning run with 134" '[ $st -eq 134 ] && grep -q "all fuel consumed" "$tmp/out"'
out=$(printf abcdefgh | "$wrun" "$c" n 3 2>&1); st=$?
expect "blocking-skip 3 then splice" '[ $st -eq 0 ] && [ "$out" = defgh ]'
"$wrun" "$c" zeroes 100000 >"$tmp/out" 2>&1; st=$?
head -c 100000 /dev/zero >"$tmp/zero"
expect "blocking-write-zeroes-and-flush 100000" '[ $st -eq 0 ] && cmp -s "$tmp/zero" "$tmp/out"'
out=$("$wrun" "$c" write 2>&1); st=$?
expect "check-write grants room, write + blocking-flush" '[ $st -eq 0 ] && [ "$out" = hello ]'
"$wrun" "$c" write >&- 2>"$tmp/err"; st=$?
expect "check-write on a closed stdout is an error" '[ $st -eq 1 ] && [ ! -s "$tmp/err" ]'
out=$("$wrun" "$c" args "x y" "" z 2>&1); st=$?
expect "args: the program name, then exactly the arguments" \
  '[ $st -eq 0 ] && [ "$out" = "$(printf "%s\nargs\nx y\n\nz" "$c")" ]'
out=$(WRUN_P2_SECRET=1 "$wrun" --env A=1 --env B=two= "$c" vars 2>&1); st=$?
expect "env: only --env variables, split at the first =" '[ $st -eq 0 ] && [ "$out" = "$(printf "A=1\nB=two=")" ]'
out=$(WRUN_P2_SECRET=1 "$wrun" "$c" vars 2>&1); st=$?
expect "env: none without --env" '[ $st -eq 0 ] && [ -z "$out" ]'

out=$("$wrun" "$c" xit 2>&1); st=$?
expect "exit(err) ends the run with 1 and nothing after it" '[ $st -eq 1 ] && [ "$out" = before ]'
"$wrun" "$c" k 42 >"$tmp/out" 2>&1; st=$?
expect "exit-with-code 42" '[ $st -eq 42 ] && [ ! -s "$tmp/out" ]'
"$wrun" "$c" k 0 >"$tmp/out" 2>&1; st=$?
expect "exit-with-code 0" '[ $st -eq 0 ]'
"$wrun" "$c" fail >"$tmp/out" 2>&1; st=$?
expect "run returning err exits 1 silently" '[ $st -eq 1 ] && [ ! -s "$tmp/out" ]'

t0=$(now_ms); out=$("$wrun" "$c" sleep 1 2>&1); st=$?; t1=$(now_ms)
expect "sleep 1 s on subscribe-duration + block (took $((t1 - t0)) ms)" \
  '[ $st -eq 0 ] && [ "$out" = slept ] && [ $((t1 - t0)) -ge 1000 ] && [ $((t1 - t0)) -lt 5000 ]'
out=$("$wrun" "$c" poll 1 2>&1); st=$?
expect "poll([pollable]) returns [0] once the instant passed" '[ $st -eq 0 ] && [ "$out" = polled ]'
for tier in "" --aot; do
  t0=$(now_ms); "$wrun" $tier --timeout 1s "$c" sleep 30 >"$tmp/out" 2>&1; st=$?; t1=$(now_ms)
  expect "${tier:-interp}: --timeout 1s ends a 30 s sleep with 134 (took $((t1 - t0)) ms)" \
    '[ $st -eq 134 ] && [ $((t1 - t0)) -lt 5000 ] && grep -q "wall-clock timeout (the limit set by --timeout)" "$tmp/out"'
done
mkfifo "$tmp/fifo"
sleep 10 >"$tmp/fifo" & writer=$!
t0=$(now_ms); "$wrun" --timeout 1s "$c" echo <"$tmp/fifo" >"$tmp/out" 2>&1; st=$?; t1=$(now_ms)
kill $writer 2>/dev/null
expect "--timeout 1s ends a blocking-read of an idle pipe with 134" '[ $st -eq 134 ] && [ $((t1 - t0)) -lt 5000 ]'

out=$("$wrun" "$c" y 2>&1); st=$?
expect "get-terminal-stdout is none for a pipe" '[ $st -eq 0 ] && [ "$out" = notty ]'
if command -v script >/dev/null 2>&1; then
  out=$(script -qec "'$wrun' '$c' y" /dev/null 2>&1 | tr -d '\r'); st=$?
  expect "get-terminal-stdout is some on a terminal (script's pty)" '[ "$out" = tty ]'
else
  echo "note: script(1) missing: terminal check not run"
fi
"$wrun" "$c" random 1000 >"$tmp/r1" 2>&1; st=$?
"$wrun" "$c" random 1000 >"$tmp/r2" 2>&1
expect "get-random-bytes 1000 gives 1000 bytes, different each run" \
  '[ $st -eq 0 ] && [ $(wc -c <"$tmp/r1") -eq 1000 ] && ! cmp -s "$tmp/r1" "$tmp/r2"'
"$wrun" "$c" random 0 >"$tmp/r1" 2>&1; st=$?
expect "get-random-bytes 0" '[ $st -eq 0 ] && [ ! -s "$tmp/r1" ]'

"$wrun" "$c" closed >&- 2>"$tmp/err"; st=$?
expect "a closed stdout gives stream-error.closed" '[ $st -eq 0 ] && [ ! -s "$tmp/err" ]'
"$wrun" "$c" closed >/dev/null 2>"$tmp/err"; st=$?
expect "an open stdout writes" '[ $st -eq 1 ]'
if [ -w /dev/full ]; then
  "$wrun" "$c" hello >/dev/full 2>"$tmp/err"; st=$?
  expect "a full device gives last-operation-failed (run returns err)" '[ $st -eq 1 ] && [ ! -s "$tmp/err" ]'
fi

"$wrun" "$dir/wasi-version.wasm" >"$tmp/out" 2>&1; st=$?
expect "an import of wasi:random@0.3.0 is not served by the 0.2 host" \
  '[ $st -eq 1 ] && grep -qx "$dir/wasi-version.wasm: link error: component import wasi:random/random@0.3.0 is not provided" "$tmp/out"'
"$wrun" "$dir/wasi-sockets.wasm" >"$tmp/out" 2>&1; st=$?
expect "wasi:sockets@0.2.0 links (served by sockets.c; tested in component_sockets.sh)" '[ $st -eq 0 ] && [ ! -s "$tmp/out" ]'

# jco's preview-1 adapter on a C program of the WASI suite (built beside wrun)
jco=${JCO:-$(command -v jco || true)}
prog=$(dirname "$wrun")/wasi-testsuite/exit_code.wasm
if [ -n "$jco" ] && [ -f "$prog" ]; then
  if "$jco" new "$prog" --wasi-command -o "$tmp/p.wasm" >"$tmp/log" 2>&1; then
    "$wrun" "$tmp/p.wasm" >"$tmp/out" 2>&1; st=$?
    # proc_exit(42) reaches wasi:cli/exit 0.2 as exit(err): status 1 (wasi-testsuite/components.py compares all)
    expect "an adapted preview-1 program runs (its proc_exit(42) is exit(err), status 1)" \
      '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = exiting ]'
  else
    expect "jco new --wasi-command exit_code.wasm: $(head -1 "$tmp/log")" false
  fi
else
  echo "note: jco or wasi-testsuite/exit_code.wasm missing: adapter check not run"
fi

echo "component_wasi: $passes passed, $fails failed"
[ $fails -eq 0 ]
