#!/bin/sh
# `wrun serve` with wasi:http/proxy components, end to end: servers started
# here on loopback (port 0, the port read from the start-up line), driven by
# curl and Python, always stopped (trap EXIT); every wait is bounded.
#   sh wasihttp.sh PATH_TO_WRUN TESTS_DIR   (TESTS_DIR: the tests/ directory)
# The C handler (tests/component/http-handler.wasm) in both tiers: status,
# headers, the request as the guest sees it, bodies of 0 B / 1 B / 64 KiB /
# 1 MiB both ways, chunked upload, traps before and after the head,
# error-code, no response, --timeout, a fresh instance per request, 16
# parallel clients, outgoing requests denied by default and allowed with
# --allow-http (a python3 http.server started here), streaming (a gated
# upstream's body copied to the response: no timing), and a soak whose RSS
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

# A gated upstream for the streaming check: for GET /gate/NAME it sends its
# head and a first chunk "first\n", then waits (at most 30 s) for the file
# $tmp/NAME, which the client makes once "first" has reached it, and only then
# sends "second\n" and ends the body. A guest copying this body to its
# response is blocked on the upstream until the client has seen "first": a
# server that held the guest's writes back until it returned would never
# deliver it (the client then gives up after 30 s). No timing involved.
python3 - "$tmp" >"$tmp/gate.out" 2>&1 <<'EOF' &
import os, socket, sys, threading, time
d = sys.argv[1]
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
print(ls.getsockname()[1], flush=True)
def serve(c):
    c.settimeout(30)
    head = b""
    while b"\r\n\r\n" not in head:
        b = c.recv(4096)
        if not b: return
        head += b
    name = os.path.basename(head.split(b" ")[1].decode())
    c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n")
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(d, name)) and time.time() < deadline:
        time.sleep(0.01)
    c.sendall(b"7\r\nsecond\n\r\n0\r\n\r\n")
    c.close()
while True:
    c, _ = ls.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
pids="$pids $!"
gate_port=""
i=0
while [ $i -lt 100 ] && [ -z "$gate_port" ]; do
  gate_port=$(head -1 "$tmp/gate.out" 2>/dev/null)
  sleep 0.1
  i=$((i + 1))
done
[ -n "$gate_port" ] || { echo "FAIL: the gated upstream did not start"; cat "$tmp/gate.out"; exit 1; }

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
import sys, rawhttp
s = rawhttp.connect(sys.argv[1])
f = s.makefile("rb")
for i in range(int(sys.argv[2])):
    s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
    line, _, body = rawhttp.read_response(f)
    assert line.startswith(b"HTTP/1.1 200") and body == b"hello\n", (line, body)
EOF
  rss0=$(rss "$spid")
  thr0=$(ls "/proc/$spid/task" | wc -l)
  fd0=$(fds "$spid")
  python3 - "$port" "${SOAK:-3000}" <<'EOF' || fail "$tier: soak requests"
import sys, rawhttp
s = rawhttp.connect(sys.argv[1])
f = s.makefile("rb")
for i in range(int(sys.argv[2])):
    path = [b"/hello", b"/trap", b"/count", b"/gen/1000"][i % 4]
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    line, headers, _ = rawhttp.read_response(f)
    want = b"500" if path == b"/trap" else b"200"
    assert line.split()[1] == want, (path, line)
    if headers.get(b"connection", b"").lower() == b"close":
        s.close(); s = rawhttp.connect(sys.argv[1]); f = s.makefile("rb")
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
  start "allow$tier" --workers 1 --allow-http "127.0.0.1:$up_port" --allow-http "127.0.0.1:$gate_port" "$@" "$handler"
  apid=$pid

  # streaming: "first" reaches the client while the guest is still running
  # (blocked copying the gated upstream's body, which goes on only once the
  # client has it), then "second" and the end of the body
  python3 - "$port" "$gate_port" "$tmp" "open-$tier" <<'EOF' || fail "$tier: streaming"
import os, sys, rawhttp
port, gate_port, d, name = sys.argv[1:5]
s = rawhttp.request(port, "/fetch", headers=b"x-target: 127.0.0.1:%s\r\nx-target-path: /gate/%s\r\n" %
                    (gate_port.encode(), name.encode()))
data = rawhttp.read_until(s, b"", b"first\n")
if b"first\n" not in data or b"second" in data:
    sys.exit("streaming: %r before the upstream went on (\"first\" must arrive alone)" % data)
open(os.path.join(d, name), "w").close()
head, body, _ = rawhttp.dechunk(data + rawhttp.read_to_close(s))
print("streaming: %r, then %r" % (data[-16:], body))
sys.exit(0 if body == b"first\nsecond\n" and b"x-upstream-status: 200" in head.lower() else 1)
EOF
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
