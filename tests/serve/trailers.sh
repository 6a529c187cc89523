#!/bin/sh
# Response trailers under `wrun serve`, both guest ABIs (the http-wasm C
# guest tests/serve/app.wasm, the wasi:http C component
# tests/component/http-handler.wasm), both tiers:
#   * over HTTP/1.1 the response is chunked by wrun and its last chunk
#     carries the trailer section the guest set: `curl --raw` shows it, and
#     the names, values and order must be exactly the guest's (a streamed and
#     a buffered http-wasm response, a wasi:http outgoing-body.finish);
#   * the connection stays usable after such a response (keep-alive);
#   * an HTTP/1.0 client gets the body intact without trailers, and the
#     access log says they were dropped;
#   * request trailers: a chunked request with a trailer section is served,
#     and the guest finds none (h2o 2.2 drops them; docs/serve.md);
#   * over HTTP/2 (TLS, when openssl and an HTTP/2 curl exist) the body
#     arrives intact and the access log says the trailers were dropped.
#   sh trailers.sh PATH_TO_WRUN TESTS_DIR   (TESTS_DIR: the tests/ directory)
set -u
wrun=$1
tests=$(cd "$2" && pwd)
app=$tests/serve/app.wasm
handler=$tests/component/http-handler.wasm
. "$(dirname "$0")/lib.sh"
start_tries=1200
CURL="curl -s -m 30"

# check_raw FILE BODY TRAILER...: FILE is a raw HTTP/1.1 response (head and
# chunked body as sent); its decoded body must be BODY and its trailer
# section exactly the TRAILER lines, in order.
check_raw() {
  python3 - "$@" <<'EOF'
import sys, rawhttp
raw = open(sys.argv[1], "rb").read()
body, want = sys.argv[2].encode().decode("unicode_escape").encode(), [t.encode() for t in sys.argv[3:]]
head, got, trailers = rawhttp.dechunk(raw)
head = head.lower()
if b"\r\ntransfer-encoding: chunked" not in head: sys.exit("not chunked: %r" % head)
if b"\r\ncontent-length:" in head: sys.exit("chunked with a content-length: %r" % head)
if got is None: sys.exit("cut short or badly framed: %r" % raw)
if got != body: sys.exit("body %r, expected %r" % (got, body))
if trailers != want: sys.exit("trailers %r, expected %r" % (trailers, want))
EOF
}

# A chunked POST with a trailer section, over a raw socket; prints the raw response.
post_with_trailer() {
  http_raw "$1" "POST $2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTrailer: x-req-t\r\n\r\n5\r\nhello\r\n0\r\nx-req-t: 1\r\n\r\n"
}

# suite NAME ABI ARGS...: the checks on one server
suite() {
  name=$1
  abi=$2
  shift 2
  start "$name" --workers 2 --timeout 10s "$@"
  B=http://127.0.0.1:$port
  if [ "$abi" = hw ]; then
    paths="/trailers/stream /trailers/buffer"
    t1="x-checksum: 9f86d0"
  else
    paths="/trailers"
    t1="x-checksum: c0ffee"
  fi
  for p in $paths; do
    case $p in
      /trailers/stream) body='streamed body\n' ;;
      /trailers/buffer) body='buffered body\n' ;;
      *) body='trailer body\n' ;;
    esac
    $CURL --raw -i "$B$p" >"$tmp/raw" || fail "$name: $p: curl failed"
    check_raw "$tmp/raw" "$body" "$t1" "x-multi: one" "x-multi: two" || fail "$name: $p over HTTP/1.1"
    # keep-alive: the next request on the same connection is answered
    n=$($CURL -o /dev/null -o /dev/null -w '%{num_connects}\n' "$B$p" "$B$p" | tr '\n' ,)
    [ "$n" = "1,0," ] || fail "$name: $p: connection not reused after a response with trailers ($n)"
    # HTTP/1.0: no chunked coding, so no trailers; the body is intact
    $CURL --http1.0 -D "$tmp/h10" "$B$p" >"$tmp/b10"
    [ "$(cat "$tmp/b10")" = "$(printf "$body")" ] || fail "$name: $p body over HTTP/1.0: $(cat "$tmp/b10")"
    grep -qi '^transfer-encoding' "$tmp/h10" && fail "$name: $p: chunked to an HTTP/1.0 client"
  done
  len=14
  [ "$abi" = wh ] && len=13
  grep -q "HTTP/1.0\" 200 $len .*(response trailers dropped: an HTTP/1.0 response has no chunked coding)" \
    "$tmp/$name.err" || fail "$name: the dropped trailers are not logged: $(cat "$tmp/$name.err")"
  # request trailers: served, and the guest finds none
  post_with_trailer "$port" "$([ "$abi" = hw ] && echo /trailers/info || echo /echo)" >"$tmp/post"
  if [ "$abi" = hw ]; then
    check_raw "$tmp/post" 'features 7 request-trailers 0 0\n' || fail "$name: request trailers seen by http-wasm"
  else
    check_raw "$tmp/post" 'hello' || fail "$name: request trailers echoed by wasi:http"
  fi
  [ "$($CURL "$B/hello")" = "hello" ] || fail "$name: /hello at the end"
  stop "$pid"
  [ "$st" = 0 ] || fail "$name: exit status $st"
}

suite hw-interp hw --interpreter "$app"
suite hw-aot hw --aot "$app"
suite wh-interp wh --interpreter "$handler"
suite wh-aot wh --aot "$handler"

# HTTP/2: h2o 2.2 has no response trailers; the body arrives, the log says so
if command -v openssl >/dev/null 2>&1 && curl -V 2>/dev/null | grep -q HTTP2; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
    -subj /CN=localhost 2>/dev/null || fail "openssl could not make a certificate"
  "$wrun" serve --addr 127.0.0.1:0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" "$app" 2>"$tmp/h2.err" &
  pid=$!
  pids="$pids $pid"
  port=""
  i=0
  while [ $i -lt 300 ] && [ -z "$port" ]; do
    port=$(sed -n 's|.* on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/h2.err")
    sleep 0.1
    i=$((i + 1))
  done
  [ -n "$port" ] || { echo "FAIL: no HTTPS server:"; cat "$tmp/h2.err"; exit 1; }
  C="$CURL --cacert $tmp/cert.pem --resolve localhost:$port:127.0.0.1"
  [ "$($C --http2 "https://localhost:$port/trailers/stream")" = "streamed body" ] || fail "HTTP/2: body"
  $C --http1.1 --raw -i "https://localhost:$port/trailers/stream" >"$tmp/raw"
  check_raw "$tmp/raw" 'streamed body\n' "x-checksum: 9f86d0" "x-multi: one" "x-multi: two" ||
    fail "HTTP/1.1 over TLS: trailers"
  stop "$pid"
  grep -q '"GET /trailers/stream HTTP/2.0" 200 14 .*(response trailers dropped: h2o 2.2 cannot send HTTP/2 trailers)' \
    "$tmp/h2.err" || fail "HTTP/2: the dropped trailers are not logged: $(cat "$tmp/h2.err")"
fi

if [ "$fails" -ne 0 ]; then
  echo "$fails check(s) failed"
  exit 1
fi
echo "all trailer checks passed"
