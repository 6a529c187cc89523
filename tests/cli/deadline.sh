#!/bin/sh
# Deadlines in host calls: `--timeout 1s` ends a guest blocked in poll_oneoff
# (a 30 s sleep, an idle stdin), fd_read of an idle pipe, fd_write to a full
# pipe, sock_accept with no client, sock_recv / fd_read of a silent client and
# sock_send to a client that never reads, path_open of a FIFO with no
# other end, in both tiers, within 5 s, with the
# same trap and status as a timeout in compute (134, "wall-clock timeout").
# Without a deadline, reads and writes of slow pipes still move every byte.
#   sh deadline.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
client=
cleanup() {
  exec 3>&- 4>&- 9>&- 2>/dev/null
  [ -n "$client" ] && kill "$client" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
# reports go to fd 9, the script's stdout: a check may have its stdout on a full pipe
exec 9>&1
fail() { fails=$((fails + 1)); echo "FAIL: $*" >&9; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
guest=$data/wasi_block.wat

# An idle pipe: the shell holds the FIFO open for writing (and reading, so the
# open does not wait) and never writes; nothing is left running afterwards.
mkfifo "$tmp/idle" "$tmp/full"
exec 3<>"$tmp/idle" 4<>"$tmp/full"

# expect_timeout LABEL CMD...: CMD must end with 134 and the timeout trap
# within 5 s (`timeout 20` guards against a hang).
expect_timeout() {
  label=$1
  shift
  t0=$(now_ms)
  timeout 20 "$@" 2>"$tmp/err"
  st=$?
  ms=$(($(now_ms) - t0))
  if [ $st -ne 134 ] || ! grep -q "wasm trap: wall-clock timeout" "$tmp/err" || [ $ms -ge 5000 ]; then
    fail "$label: status $st after $ms ms (want 134, wall-clock timeout, < 5000 ms)"
    cat "$tmp/err" >&9
  fi
}

for tier in "" --aot; do
  t=${tier:-interp}
  expect_timeout "$t: poll_oneoff sleep 30 s" "$wrun" $tier --timeout 1s --invoke sleep "$guest" </dev/null
  expect_timeout "$t: poll_oneoff on an idle stdin" "$wrun" $tier --timeout 1s --invoke poll_stdin "$guest" <"$tmp/idle"
  expect_timeout "$t: fd_read of an idle pipe" "$wrun" $tier --timeout 1s --invoke read "$guest" <"$tmp/idle"
  expect_timeout "$t: fd_write to a full pipe" "$wrun" $tier --timeout 1s --invoke write_full "$guest" >"$tmp/full"
  expect_timeout "$t: sock_accept with no client" \
    "$wrun" $tier --timeout 1s --tcplisten 127.0.0.1:0 --invoke accept "$guest" </dev/null
  # the same on the fallback for a host without /proc (wait, then one call on
  # the shared description)
  expect_timeout "$t: fd_read of an idle pipe, no reopen" \
    env WRUN_TEST_NO_REOPEN=1 "$wrun" $tier --timeout 1s --invoke read "$guest" <"$tmp/idle"
  expect_timeout "$t: fd_write to a full pipe, no reopen" \
    env WRUN_TEST_NO_REOPEN=1 "$wrun" $tier --timeout 1s --invoke write_full "$guest" >"$tmp/full"
  # path_open of a FIFO with no other end waits in the open: the deadline ends it
  mkdir -p "$tmp/box"
  [ -p "$tmp/box/fifo" ] || mkfifo "$tmp/box/fifo"
  expect_timeout "$t: path_open of a FIFO with no writer" \
    "$wrun" $tier --timeout 1s --dir "$tmp/box::/" --invoke open_fifo_read "$guest" </dev/null
  expect_timeout "$t: path_open of a FIFO with no reader" \
    "$wrun" $tier --timeout 1s --dir "$tmp/box::/" --invoke open_fifo_write "$guest" </dev/null
  # ... and with a deadline still opens once the other end comes
  (sleep 0.3; echo hi >"$tmp/box/fifo") &
  out=$(timeout 20 "$wrun" $tier --timeout 10s --dir "$tmp/box::/" --invoke open_fifo_read "$guest" </dev/null)
  st=$?
  wait
  [ $st -eq 0 ] && [ "$out" = 0 ] || fail "$t: path_open + fd_read of a FIFO whose writer comes late: status $st, result '$out'"
  (sleep 0.3; cat "$tmp/box/fifo" >/dev/null) &
  out=$(timeout 20 "$wrun" $tier --timeout 10s --dir "$tmp/box::/" --invoke open_fifo_write "$guest" </dev/null)
  st=$?
  wait
  [ $st -eq 0 ] && [ "$out" = 0 ] || fail "$t: path_open of a FIFO whose reader comes late: status $st, result '$out'"
  # the same guest without --timeout still blocks: a `timeout 2` ends it
  timeout 2 "$wrun" $tier --invoke read "$guest" <"$tmp/idle" >/dev/null 2>&1
  [ $? -eq 124 ] || fail "$t: fd_read of an idle pipe without --timeout did not wait"
done

# Sockets with a client that connects and then neither sends nor reads.
if command -v python3 >/dev/null 2>&1; then
  for tier in "" --aot; do
    t=${tier:-interp}
    for call in recv sockread send; do
      port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
      python3 - "$port" <<'PY' &
import socket, sys, time
for _ in range(200):
    try:
        c = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        break
    except OSError:
        time.sleep(0.02)
time.sleep(8)
PY
      client=$!
      expect_timeout "$t: $call on a silent connection" \
        "$wrun" $tier --timeout 1s --tcplisten 127.0.0.1:$port --invoke $call "$guest" </dev/null
      kill "$client" 2>/dev/null
      wait "$client" 2>/dev/null
      client=
    done
  done
  # standard streams that are sockets (socket activation, inetd): an idle
  # stdin and a stdout whose peer does not read; their flags stay blocking
  for tier in "" --aot; do
    out=$(python3 - "$wrun" "$guest" $tier 2>&1 <<'PY'
import fcntl, os, socket, subprocess, sys, time
wrun, guest, tier = sys.argv[1], sys.argv[2], sys.argv[3:]
for call in ("read", "write_full"):
    a, b = socket.socketpair()
    io = {"stdin": a, "stdout": subprocess.DEVNULL} if call == "read" else {"stdin": subprocess.DEVNULL, "stdout": a}
    t0 = time.time()
    try:
        r = subprocess.run([wrun] + tier + ["--timeout", "1s", "--invoke", call, guest], stderr=subprocess.PIPE,
                           timeout=20, **io)
    except subprocess.TimeoutExpired:
        print("%s on a socket: still running after 20 s" % call)
        continue
    ms = (time.time() - t0) * 1000
    nb = fcntl.fcntl(a.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK
    if r.returncode != 134 or b"wall-clock timeout" not in r.stderr or ms >= 5000 or nb:
        print("%s on a socket: status %d after %.0f ms, O_NONBLOCK %d" % (call, r.returncode, ms, nb))
PY
)
    [ -z "$out" ] || fail "${tier:-interp}: $out"
  done
else
  echo "note: python3 not found, the socket deadline checks did not run"
  fails=$((fails + 1))
fi

# No deadline needed: a slow writer and a slow reader still get every byte.
for tier in "" --aot; do
  t=${tier:-interp}
  # poll_oneoff with the same descriptor twice and a 200 ms clock: only the
  # clock fires on an idle pipe (10: one event, tag clock); both reads fire on
  # a pipe with data (21: two events, tag fd_read)
  out=$("$wrun" $tier --invoke poll_twice "$guest" <"$tmp/idle")
  [ "$out" = "10" ] || fail "$t: poll_oneoff of an idle pipe twice and a clock: $out (want 10)"
  out=$(echo data | "$wrun" $tier --invoke poll_twice "$guest")
  [ "$out" = "21" ] || fail "$t: poll_oneoff of a ready pipe twice and a clock: $out (want 21)"
  out=$( (printf 'one '; sleep 1; printf 'two') | "$wrun" $tier "$data/wasi_cat.wat")
  [ "$out" = "one two" ] || fail "$t: cat of a slow pipe: '$out'"
  out=$( (printf 'one '; sleep 1; printf 'two') | "$wrun" $tier --timeout 10s "$data/wasi_cat.wat")
  [ "$out" = "one two" ] || fail "$t: cat of a slow pipe under --timeout: '$out'"
  n=$(head -c 1000000 /dev/zero | "$wrun" $tier --timeout 20s "$data/wasi_cat.wat" | (sleep 1; wc -c))
  [ "$n" -eq 1000000 ] || fail "$t: 1 MB through pipes to a late reader: $n bytes"
  n=$(head -c 1000000 /dev/zero | WRUN_TEST_NO_REOPEN=1 "$wrun" $tier --timeout 20s "$data/wasi_cat.wat" | (sleep 1; wc -c))
  [ "$n" -eq 1000000 ] || fail "$t: 1 MB through pipes to a late reader, no reopen: $n bytes"
done

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all deadline checks passed"
