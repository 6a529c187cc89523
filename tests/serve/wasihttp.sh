#!/bin/sh
# `wrun serve` with wasi:http/proxy components, end to end: servers started
# here on loopback (port 0, the port read from the start-up line), driven by
# curl and Python, always stopped (trap EXIT); every wait is bounded.
#   sh wasihttp.sh PATH_TO_WRUN TESTS_DIR   (TESTS_DIR: the tests/ directory)
# The C handler (tests/component/http-handler.wasm) in both tiers: status,
# headers, the request as the guest sees it, bodies of 0 B / 1 B / 64 KiB /
# 1 MiB both ways, chunked upload, streaming, traps before and after the head,
# error-code, no response, --timeout, a fresh instance per request, 16
# parallel clients, outgoing requests denied by default and allowed with
# --allow-http (a python3 http.server started here), and a soak whose RSS
# and descriptor count must stay flat. The JavaScript handler (http-js.wasm,
# componentize-js; one request per instance): GET, POST, several in a row;
# --max-memory too small for it (500s); a manifest with allow-http.
set -u
wrun=$1
tests=$(cd "$2" && pwd)
handler=$tests/component/http-handler.wasm
js=$tests/component/http-js.wasm
. "$(dirname "$0")/lib.sh"
CURL="curl -s -m 30"
# wait up to 120 s for a server to start (components are loaded and compiled
# first; the JavaScript one took 61 s in the ASan build at load 20)
start_tries=1200

code() { $CURL -o /dev/null -w '%{http_code}' "$@"; }

# An upstream for outgoing requests: python3's http.server on a free port.
mkdir -p "$tmp/www"
printf 'from upstream\n' >"$tmp/www/file.txt"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$tmp/www" >"$tmp/up.out" 2>&1 &
up_pid=$!
pids="$pids $up_pid"
up_port=""
i=0
while [ $i -lt 100 ] && [ -z "$up_port" ]; do
  up_port=$(sed -n 's|.*port \([0-9]*\).*|\1|p' "$tmp/up.out" 2>/dev/null | head -1)
  sleep 0.1
  i=$((i + 1))
done
[ -n "$up_port" ] || { echo "FAIL: the python3 upstream did not start"; cat "$tmp/up.out"; exit 1; }

for n in 0 1 65536 1048576; do head -c $n /dev/urandom >"$tmp/body.$n"; done

# suite TIER ARGS...: the C handler's checks on one server.
suite() {
  tier=$1
  shift
  start "c$tier" --workers 2 --timeout 5s --max-memory 64M "$@" "$handler"
  spid=$pid
  B=http://127.0.0.1:$port

  # status, headers, the request as the guest sees it
  out=$($CURL -i -H 'X-Test: one' "$B/echo/p?q=1")
  echo "$out" | head -1 | grep -q '^HTTP/1.1 200' || fail "$tier: /echo status: $out"
  echo "$out" | grep -qi '^x-method: GET' || fail "$tier: x-method: $out"
  echo "$out" | grep -qi '^x-path: /echo/p?q=1' || fail "$tier: x-path: $out"
  echo "$out" | grep -qi "^x-authority: 127.0.0.1:$port" || fail "$tier: x-authority (from Host): $out"
  echo "$out" | grep -qi '^x-scheme: HTTP' || fail "$tier: x-scheme: $out"
  echo "$out" | grep -qi '^x-echo-x-test: one' || fail "$tier: request header: $out"
  echo "$out" | grep -qi '^x-echo-host' && fail "$tier: host passed as a field: $out"
  [ "$($CURL "$B/hello")" = "hello" ] || fail "$tier: /hello"
  [ "$(code "$B/nowhere")" = "404" ] || fail "$tier: guest 404"

  # bodies both ways, chunked uploads
  for n in 0 1 65536 1048576; do
    $CURL --data-binary "@$tmp/body.$n" -H 'content-type: application/octet-stream' "$B/echo" >"$tmp/echo.$n"
    cmp -s "$tmp/body.$n" "$tmp/echo.$n" || fail "$tier: echo of $n bytes differs"
    $CURL -H 'Transfer-Encoding: chunked' --data-binary "@$tmp/body.$n" "$B/echo" >"$tmp/chunked.$n"
    cmp -s "$tmp/body.$n" "$tmp/chunked.$n" || fail "$tier: chunked upload of $n bytes differs"
    $CURL "$B/gen/$n" >"$tmp/gen.$n"
    python3 -c "
import sys
n=int(sys.argv[1]); d=open(sys.argv[2],'rb').read()
sys.exit(0 if d==bytes(ord('a')+i%26 for i in range(n)) else 1)" "$n" "$tmp/gen.$n" || fail "$tier: /gen/$n body"
  done
  # a declared content-length is passed on and held to
  [ "$($CURL "$B/cl/5/5")" = "xxxxx" ] || fail "$tier: /cl/5/5"
  [ "$(code "$B/cl/10/3")" = "200" ] && $CURL "$B/cl/10/3" -o /dev/null && fail "$tier: /cl/10/3 ended cleanly"

  # streaming: "first" reaches the client while the guest still spins
  # (spins for about 0.5 s: calibrated on the difference with /stream/0, so
  # instantiation's share, large under sanitizers, does not count; --timeout
  # is 5 s so a loaded machine has room)
  t0=$($CURL -o /dev/null -w '%{time_total}' "$B/stream/0")
  t1=$($CURL -o /dev/null -w '%{time_total}' "$B/stream/30000000")
  spin=$(python3 -c "import sys; d=max(float(sys.argv[2])-float(sys.argv[1]), 1e-3); print(int(min(2e9, max(1e5, 3e7 * 0.5 / d))))" "$t0" "$t1")
  python3 - "$port" "$spin" <<'EOF' || fail "$tier: streaming"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"GET /stream/%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % int(sys.argv[2]))
t0 = time.time(); data = b""; t_first = None
while True:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
    if t_first is None and b"first" in data: t_first = time.time()
t_end = time.time()
print("streaming: first after %.3fs, end after %.3fs" % ((t_first or 0) - t0, t_end - t0))
sys.exit(0 if t_first is not None and b"second" in data and t_end - t_first > 0.1 else 1)
EOF

  # failures: 500 before the head, a cut body after, and the server goes on
  for route in trap error none spin; do
    [ "$(code "$B/$route")" = "500" ] || fail "$tier: /$route: not 500"
    [ "$($CURL "$B/hello")" = "hello" ] || fail "$tier: no answer after /$route"
  done
  for route in trap-mid unfinished; do
    $CURL "$B/$route" -o /dev/null
    rc=$?
    [ $rc -ne 0 ] || fail "$tier: /$route: the response ended cleanly"
    [ "$($CURL "$B/hello")" = "hello" ] || fail "$tier: no answer after /$route"
  done
  grep -q '"GET /trap HTTP/1.1" 500 .*trap: unreachable' "$tmp/c$tier.err" || fail "$tier: log line of /trap"
  grep -q '"GET /error HTTP/1.1" 500 .*error-code: internal-error' "$tmp/c$tier.err" || fail "$tier: log line of /error"
  grep -q '"GET /none HTTP/1.1" 500 .*without a response' "$tmp/c$tier.err" || fail "$tier: log line of /none"
  grep -q '"GET /spin HTTP/1.1" 500 .*(--timeout)' "$tmp/c$tier.err" || fail "$tier: log line of /spin"

  # a fresh instance per request: the guest's counter is 1 every time
  [ "$($CURL "$B/count") $($CURL "$B/count") $($CURL "$B/count")" = "count 1 count 1 count 1" ] ||
    fail "$tier: state carried between requests"

  # outgoing requests: denied without --allow-http (error-code -> 502 by the guest)
  out=$($CURL -H "x-target: 127.0.0.1:$up_port" -H 'x-target-path: /file.txt' "$B/fetch")
  echo "$out" | grep -q '^error ' || fail "$tier: outgoing request not denied: $out"

  # 16 parallel clients
  k=0
  clients=""
  while [ $k -lt 16 ]; do
    $CURL --data-binary "@$tmp/body.65536" "$B/echo" >"$tmp/par.$k" &
    clients="$clients $!"
    k=$((k + 1))
  done
  for j in $clients; do wait "$j"; done
  k=0
  while [ $k -lt 16 ]; do
    cmp -s "$tmp/body.65536" "$tmp/par.$k" || fail "$tier: parallel client $k"
    k=$((k + 1))
  done

  # soak: RSS and descriptors stay flat
  rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
  fds() { ls "/proc/$1/fd" | wc -l; }
  python3 - "$port" 300 <<'EOF' || fail "$tier: warm-up"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
for i in range(int(sys.argv[2])):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    line = f.readline()
    assert line.startswith(b"HTTP/1.1 200"), line
    n = 0
    while True:
        h = f.readline()
        if h == b"\r\n": break
    # chunked: "6\r\nhello\n\r\n0\r\n\r\n"
    while True:
        size = int(f.readline().strip(), 16)
        f.read(size + 2)
        if size == 0: break
EOF
  rss0=$(rss "$spid")
  thr0=$(ls "/proc/$spid/task" | wc -l)
  fd0=$(fds "$spid")
  python3 - "$port" "${SOAK:-3000}" <<'EOF' || fail "$tier: soak requests"
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
f = s.makefile("rb")
for i in range(int(sys.argv[2])):
    path = [b"/hello", b"/trap", b"/count", b"/gen/1000"][i % 4]
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    line = f.readline()
    want = b"500" if path == b"/trap" else b"200"
    assert line.split()[1] == want, (path, line)
    clen = None; chunked = False; close = False
    while True:
        h = f.readline()
        if h == b"\r\n": break
        k, _, v = h.partition(b":")
        k = k.strip().lower(); v = v.strip().lower()
        if k == b"content-length": clen = int(v)
        if k == b"transfer-encoding" and v == b"chunked": chunked = True
        if k == b"connection" and v == b"close": close = True
    if clen is not None: f.read(clen)
    elif chunked:
        while True:
            size = int(f.readline().strip(), 16)
            f.read(size + 2)
            if size == 0: break
    if close:
        s.close(); s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30); f = s.makefile("rb")
EOF
  rss1=$(rss "$spid")
  fd1=$(fds "$spid")
  thr1=$(ls "/proc/$spid/task" | wc -l)
  echo "$tier soak: RSS ${rss0} KiB -> ${rss1} KiB, fds $fd0 -> $fd1, threads $thr0 -> $thr1"
  # each thread a loaded worker starts meanwhile (a guest preempted past the
  # 4 ms grace leaves its loop thread; at most 16 per worker) may add ~2 MiB
  # under AddressSanitizer: bounded, not a leak (serve.sh does the same)
  allow=$((8192 + (thr1 - thr0) * 3072))
  [ $((rss1 - rss0)) -lt $allow ] || fail "$tier: RSS grew by $((rss1 - rss0)) KiB over the soak (allowed $allow)"
  [ $((fd1 - fd0)) -le 2 ] || fail "$tier: descriptors grew from $fd0 to $fd1"
  stop "$spid"
  [ "$st" = "0" ] || fail "$tier: the server did not stop cleanly ($st)"

  # --allow-http: the same request reaches the upstream
  start "allow$tier" --workers 1 --allow-http "127.0.0.1:$up_port" "$@" "$handler"
  apid=$pid
  out=$($CURL -D "$tmp/allow.h" -H "x-target: 127.0.0.1:$up_port" -H 'x-target-path: /file.txt' "http://127.0.0.1:$port/fetch")
  [ "$out" = "from upstream" ] || fail "$tier: --allow-http: $out"
  grep -qi '^x-upstream-status: 200' "$tmp/allow.h" || fail "$tier: --allow-http: upstream status"
  out=$($CURL -H "x-target: 127.0.0.2:$up_port" -H 'x-target-path: /file.txt' "http://127.0.0.1:$port/fetch")
  echo "$out" | grep -q '^error ' || fail "$tier: --allow-http let another destination through: $out"
  stop "$apid"

  # the JavaScript handler: one request per instance, so every request needs its own
  start "js$tier" --workers 2 "$@" "$js"
  jpid=$pid
  J=http://127.0.0.1:$port
  for k in 1 2 3 4; do
    [ "$($CURL "$J/a/b?c=$k")" = "js GET /a/b 0" ] || fail "$tier: js GET #$k"
  done
  out=$($CURL -D "$tmp/js.h" -H 'x-in: hi' --data-binary 'abcdef' "$J/teapot")
  [ "$out" = "js POST /teapot 6" ] || fail "$tier: js POST: $out"
  grep -q '^HTTP/1.1 418' "$tmp/js.h" || fail "$tier: js status"
  grep -qi '^x-js: yes' "$tmp/js.h" || fail "$tier: js header"
  grep -qi '^x-got: hi' "$tmp/js.h" || fail "$tier: js request header"
  [ "$($CURL --data-binary "@$tmp/body.65536" "$J/big")" = "js POST /big 65536" ] || fail "$tier: js 64 KiB POST"
  stop "$jpid"
  [ "$st" = "0" ] || fail "$tier: the js server did not stop cleanly ($st)"
}

suite interp
suite aot --aot --no-cache

# --max-memory below what the component's memory needs: every request a 500, the server stays up
start mem --workers 1 --max-memory 1M "$js"
[ "$(code "http://127.0.0.1:$port/")" = "500" ] || fail "--max-memory 1M: not 500"
[ "$(code "http://127.0.0.1:$port/")" = "500" ] || fail "--max-memory 1M: second request not 500"
grep -q '"GET / HTTP/1.1" 500 .*memory' "$tmp/mem.err" || fail "--max-memory: log line: $(cat "$tmp/mem.err")"
stop "$pid"

# a manifest: module, allow-http and a serve: section
mkdir -p "$tmp/mf"
cp "$handler" "$tmp/mf/h.wasm"
printf 'module: h.wasm\nallow-http: ["127.0.0.1:%s"]\nserve:\n  workers: 1\n  quiet: true\n' "$up_port" >"$tmp/mf/wrun.yaml"
start manifest -c "$tmp/mf/wrun.yaml"
out=$($CURL -H "x-target: 127.0.0.1:$up_port" -H 'x-target-path: /file.txt' "http://127.0.0.1:$port/fetch")
[ "$out" = "from upstream" ] || fail "manifest allow-http: $out"
stop "$pid"

# refusals: a component that is no HTTP handler; --allow-http's syntax
"$wrun" serve --addr 127.0.0.1:0 "$tests/component/wasi-cli.wasm" 2>"$tmp/notx.err" && fail "a non-handler component was served"
grep -q 'wasi:http/incoming-handler' "$tmp/notx.err" || fail "non-handler message: $(cat "$tmp/notx.err")"
"$wrun" serve --allow-http 'bad spec!' "$handler" 2>/dev/null
[ $? -eq 2 ] || fail "a bad --allow-http is not a usage error"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "wasihttp: all checks passed"
