#!/bin/sh
# Streaming under `wrun serve`, end to end with real clients, for both guest
# ABIs (the http-wasm C guest tests/serve/app.wasm and the wasi:http C
# component tests/component/http-handler.wasm), each on one worker so that
# "the loop stays free" means something:
#   * every write reaches the client as it is made: /ticks/N (http-wasm)
#     writes three chunks ~0.4 s apart and each must arrive a clear while
#     (> 50 ms: spins vary with the load) after the previous one, where a
#     server that holds writes back until the guest returns delivers tick 2
#     and 3 together; /stream/N (both) "first" long before "second";
#   * other requests are answered while a slow handler runs on the same
#     worker (the slow guest leaves the loop thread after 4-8 ms);
#   * backpressure: a 32 MiB response to a client that reads nothing for
#     1.5 s does not grow the server's RSS by more than 16 MiB, and the
#     whole body arrives intact once it reads;
#   * --timeout still ends a guest that left the loop (500), and SIGTERM
#     lets a streaming response finish before exiting 0;
#   * --timeout also ends a guest blocked on a client that stopped reading:
#     the request is over (access-log line) within the timeout plus a
#     margin, well before --client-timeout, its body is cut off (the
#     connection closed), and the worker answers others meanwhile and after.
#   sh stream.sh PATH_TO_WRUN TESTS_DIR   (TESTS_DIR: the tests/ directory)
set -u
wrun=$1
tests=$(cd "$2" && pwd)
app=$tests/serve/app.wasm
handler=$tests/component/http-handler.wasm
. "$(dirname "$0")/lib.sh"
start_tries=600
CURL="curl -s -m 30"

# The client side, in one Python script: `client.py CASE PORT ARGS...`.
cat >"$tmp/client.py" <<'EOF'
import socket, sys, threading, time
from rawhttp import request, timeline, when, dechunk

def rss_kib(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"): return int(line.split()[1])

case, port = sys.argv[1], int(sys.argv[2])
if case == "ticks":                       # three writes, each as it is made
    m = timeline(port, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
    t = [when(m, b"tick %d" % i) for i in (1, 2, 3)]
    print("ticks at", ["%.3f" % x if x is not None else None for x in t])
    ok = None not in t and t[0] < 0.2 and t[1] - t[0] > 0.05 and t[2] - t[1] > 0.05
    sys.exit(0 if ok else 1)
elif case == "first-second":              # "first" long before "second"
    m = timeline(port, sys.argv[3])
    a, b = when(m, b"first"), when(m, b"second")
    print("first at %s, second at %s" % (a, b))
    sys.exit(0 if a is not None and b is not None and a < 0.2 and b - a > 0.12 else 1)
elif case == "concurrent":                # /hello answered while a slow handler runs
    slow = {}
    th = threading.Thread(target=lambda: slow.setdefault("m", timeline(port, sys.argv[3])))
    t0 = time.time()
    th.start()
    time.sleep(0.15)
    worst = 0
    for _ in range(5):
        t = time.time()
        m = timeline(port, "/hello")
        worst = max(worst, time.time() - t)
        if not m or b"hello" not in m[-1][1]: sys.exit("no hello: %r" % (m[-1][1] if m else b""))
    hello_done = time.time() - t0
    th.join()
    end = slow["m"][-1][0]
    print("slow handler ended after %.3fs; 5 hellos done after %.3fs (slowest %.3fs)" % (end, hello_done, worst))
    sys.exit(0 if worst < 0.3 and hello_done < end - 0.1 and b"second" in slow["m"][-1][1] else 1)
elif case == "backpressure":              # a client that reads nothing for a while
    path, size, pid = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    before = rss_kib(pid)
    s = request(port, path)
    parts = [s.recv(1024)]
    peak = before
    for _ in range(15):
        time.sleep(0.1)
        peak = max(peak, rss_kib(pid))
    while True:
        c = s.recv(1 << 20)
        if not c: break
        parts.append(c)
    head, body, _ = dechunk(b"".join(parts))
    n = len(body) if body is not None else -1
    print("backpressure: RSS %d KiB, at most %d KiB while the client slept; %d body bytes" % (before, peak, n))
    sys.exit(0 if n == size and peak - before < 16 * 1024 else 1)
elif case == "stalled":                   # a client that stops reading for good
    path, log, limit = sys.argv[3], sys.argv[4], float(sys.argv[5])
    # a small receive window, so that the guest is blocked on this client
    # long before its deadline even in a slow (sanitizer) build
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode())
    got = s.recv(1024)
    t0, ended = time.time(), None
    while time.time() - t0 < limit + 5:
        if any(path.encode() in l and b"HTTP/1.1" in l for l in open(log, "rb").read().splitlines()):
            ended = time.time() - t0
            break
        m = timeline(port, "/hello")        # others are served meanwhile
        if not m or b"hello" not in m[-1][1]: sys.exit("no hello while a guest waits on a stalled client")
        time.sleep(0.05)
    s.settimeout(10)
    try:
        while True:
            c = s.recv(1 << 20)
            if not c: break
            got += c
        closed = True
    except OSError:
        closed = False
    head, body, _ = dechunk(got)
    print("stalled client: request over after %s s (limit %.1f); connection closed %s; body %s" %
          (None if ended is None else "%.2f" % ended, limit, closed, "cut" if body is None else len(body)))
    sys.exit(0 if ended is not None and ended < limit + 1.5 and closed and body is None else 1)
EOF
client() { python3 "$tmp/client.py" "$@"; }

# rate ABI BASE: iterations of the /stream/N spin per second on this build
# (a sanitizer build interprets far slower), from two timed requests.
rate() {
  t0=$($CURL -o /dev/null -w '%{time_total}' "$1/stream/0")
  t1=$($CURL -o /dev/null -w '%{time_total}' "$1/stream/30000000")
  python3 -c "import sys; print(int(3e7 / max(float(sys.argv[2]) - float(sys.argv[1]), 1e-3)))" "$t0" "$t1"
}
iters() { python3 -c "import sys; print(int(min(4e9, float(sys.argv[1]) * float(sys.argv[2]))))" "$1" "$2"; }

# ---- http-wasm ------------------------------------------------------------
start hw --workers 1 --timeout 60s "$app"
B=http://127.0.0.1:$port
r=$(rate "$B")
client ticks "$port" "/ticks/$(iters "$r" 0.4)" || fail "http-wasm: ticks did not arrive as written"
client first-second "$port" "/stream/$(iters "$r" 0.3)" || fail "http-wasm: first/second"
client concurrent "$port" "/stream/$(iters "$r" 1.0)" || fail "http-wasm: requests wait for a slow handler"
client backpressure "$port" /size/33554432 33554432 "$pid" || fail "http-wasm: no backpressure"
[ "$($CURL "$B/hello")" = "hello" ] || fail "http-wasm: /hello after the slow client"
# SIGTERM while a response streams: it finishes, then the server exits 0
client ticks "$port" "/ticks/$(iters "$r" 0.4)" "$tmp/sent" >"$tmp/drain.out" 2>&1 &
cpid=$!
i=0
while [ ! -e "$tmp/sent" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.1
stop "$pid"
[ "$st" = 0 ] || fail "http-wasm: exit status $st after SIGTERM while streaming"
wait "$cpid" || fail "http-wasm: the response streaming at SIGTERM did not finish: $(cat "$tmp/drain.out")"

# --timeout ends a guest that left the loop; the worker goes on serving
start hwt --workers 1 --timeout 1s "$app"
B=http://127.0.0.1:$port
[ "$($CURL -o /dev/null -w '%{http_code}' "$B/loop")" = "500" ] || fail "http-wasm: --timeout of a detached guest"
[ "$($CURL "$B/hello")" = "hello" ] || fail "http-wasm: /hello after --timeout"
grep -q 'GET /loop.* 500 .*(--timeout)' "$tmp/hwt.err" || fail "http-wasm: --timeout not logged: $(cat "$tmp/hwt.err")"
stop "$pid"

# --timeout ends a guest waiting on a client that stopped reading (well
# before the 20 s --client-timeout)
start hws --workers 1 --timeout 3s --client-timeout 20s "$app"
client stalled "$port" /size/33554432 "$tmp/hws.err" 3 || fail "http-wasm: a guest blocked on a stalled client outlived --timeout"
[ "$($CURL "http://127.0.0.1:$port/hello")" = "hello" ] || fail "http-wasm: /hello after a stalled client"
grep -q 'GET /size/33554432 .*past --timeout' "$tmp/hws.err" || fail "http-wasm: stalled client not logged: $(cat "$tmp/hws.err")"
stop "$pid"

# ---- wasi:http --------------------------------------------------------------
start wh --workers 1 --timeout 60s "$handler"
B=http://127.0.0.1:$port
r=$(rate "$B")
client first-second "$port" "/stream/$(iters "$r" 0.3)" || fail "wasi:http: first/second"
client concurrent "$port" "/stream/$(iters "$r" 1.0)" || fail "wasi:http: requests wait for a slow handler"
client backpressure "$port" /gen/33554432 33554432 "$pid" || fail "wasi:http: no backpressure"
[ "$($CURL "$B/hello")" = "hello" ] || fail "wasi:http: /hello after the slow client"
stop "$pid"
[ "$st" = 0 ] || fail "wasi:http: exit status $st"

start wht --workers 1 --timeout 1s "$handler"
B=http://127.0.0.1:$port
[ "$($CURL -o /dev/null -w '%{http_code}' "$B/spin")" = "500" ] || fail "wasi:http: --timeout of a detached guest"
[ "$($CURL "$B/hello")" = "hello" ] || fail "wasi:http: /hello after --timeout"
stop "$pid"

start whs --workers 1 --timeout 3s --client-timeout 20s "$handler"
client stalled "$port" /gen/33554432 "$tmp/whs.err" 3 || fail "wasi:http: a guest blocked on a stalled client outlived --timeout"
[ "$($CURL "http://127.0.0.1:$port/hello")" = "hello" ] || fail "wasi:http: /hello after a stalled client"
[ "$($CURL "http://127.0.0.1:$port/count")" = "count 1" ] || fail "wasi:http: the instance was not fresh after a stalled client"
grep -q 'GET /gen/33554432 .*past --timeout' "$tmp/whs.err" || fail "wasi:http: stalled client not logged: $(cat "$tmp/whs.err")"
stop "$pid"

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all streaming checks passed"
