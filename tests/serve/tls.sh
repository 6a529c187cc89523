#!/bin/sh
# `wrun serve --tls-cert/--tls-key`: HTTPS on loopback with a throw-away
# self-signed certificate; HTTP/2 and HTTP/1.1 by ALPN; bad certificate
# files are refused at start-up with one line. Exits 77 (skipped) without
# openssl or a curl with HTTP/2.
#   sh tls.sh PATH_TO_WRUN TESTS_SERVE_DIR
set -u
wrun=$1
app=$2/app.wasm
command -v openssl >/dev/null 2>&1 || { echo "SKIP: openssl is not installed"; exit 77; }
curl -V 2>/dev/null | grep -q HTTP2 || { echo "SKIP: curl without HTTP/2"; exit 77; }
tmp=$(mktemp -d)
# serve compiles by default through the compile cache: keep it in $tmp
WRUN_CACHE_DIR=$tmp/cache
export WRUN_CACHE_DIR
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
  -subj /CN=localhost 2>/dev/null || { echo "FAIL: openssl could not make a certificate"; exit 1; }

"$wrun" serve --addr 127.0.0.1:0 --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" "$app" 2>"$tmp/err" &
pid=$!
port=""
for i in $(seq 1 100); do
  port=$(sed -n 's|.* on https://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/err")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "FAIL: no HTTPS server:"; cat "$tmp/err"; exit 1; }
C="curl -s -m 20 --cacert $tmp/cert.pem --resolve localhost:$port:127.0.0.1"
B=https://localhost:$port
[ "$($C --http2 -o /dev/null -w '%{http_version}' "$B/hello")" = "2" ] || fail "no HTTP/2 by ALPN"
[ "$($C --http1.1 -o /dev/null -w '%{http_version}' "$B/hello")" = "1.1" ] || fail "no HTTP/1.1 over TLS"
$C --http2 "$B/info" | sed -n 3p | grep -qx "HTTP/2.0" || fail "get_protocol_version over HTTP/2"
head -c 1048576 /dev/urandom >"$tmp/body"
$C --http2 --data-binary "@$tmp/body" "$B/echo" >"$tmp/echo"
cmp -s "$tmp/body" "$tmp/echo" || fail "1 MiB echo over HTTP/2 differs"
[ "$($C --http2 "$B/size/1048576" | wc -c)" -eq 1048576 ] || fail "1 MiB streamed over HTTP/2"
[ "$($C --http2 -o /dev/null -w '%{http_code}' "$B/trap")" = "500" ] || fail "trap over HTTP/2: not 500"
[ "$($C --http2 "$B/hello")" = "hello" ] || fail "no answer after a trap over HTTP/2"
# a handler that streams while it runs long (it leaves the loop thread,
# docs/serve.md "Streaming"), and a 4 MiB body written 4 KiB at a time
[ "$($C --http2 "$B/ticks/300000000")" = "$(printf 'tick 1\ntick 2\ntick 3')" ] || fail "ticks over HTTP/2"
[ "$($C --http2 "$B/size/4194304" | wc -c)" -eq 4194304 ] || fail "4 MiB streamed over HTTP/2"
[ "$($C --http2 "$B/hello")" = "hello" ] || fail "no answer after streaming over HTTP/2"
kill -TERM $pid
wait $pid || fail "HTTPS server did not stop cleanly"
pid=""
grep -q '"GET /hello HTTP/2.0" 200' "$tmp/err" || fail "access log of an HTTP/2 request"

"$wrun" serve --tls-cert "$tmp/key.pem" --tls-key "$tmp/key.pem" "$app" 2>"$tmp/e"; st=$?
[ $st -eq 1 ] && grep -q "^wrun: TLS: " "$tmp/e" || fail "a key given as certificate: status $st"
"$wrun" serve --tls-cert "$tmp/cert.pem" "$app" 2>"$tmp/e"; st=$?
[ $st -eq 2 ] || fail "--tls-cert without --tls-key: status $st"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all TLS checks passed"
