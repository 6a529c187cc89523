#!/bin/sh
# `wrun --allow-http DEST comp.wasm` (and a manifest's allow-http list): a
# command component's wasi:http/outgoing-handler requests are denied unless
# the destination is allowed. The command is tests/component/http-handler.wasm
# (its wasi:cli/run GETs http://$TARGET$TARGET_PATH and prints the body, or
# "error N" with N the error-code case); the server is python3's http.server
# on loopback, started and stopped here (bounded: 10 s to start, killed at the end).
#   sh component_http.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
c=$(cd "$2/../component" && pwd)/http-handler.wasm
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 missing"; exit 77; }
tmp=$(mktemp -d)
py=""
trap '[ -n "$py" ] && kill $py 2>/dev/null; rm -rf "$tmp"' EXIT
passes=0 fails=0
expect() { if eval "$2"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $1"; fi; }

head -c 100000 /dev/urandom >"$tmp/data.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$tmp" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
py=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "FAIL: http.server did not start"; exit 1; }; sleep 0.1
done

env_args="--env TARGET=127.0.0.1:$port --env TARGET_PATH=/data.bin"
for tier in "" --aot; do
  t=${tier:-interp}
  "$wrun" $tier $env_args "$c" >"$tmp/out" 2>"$tmp/err"; st=$?
  expect "$t: denied by default (HTTP-request-denied is case 15)" '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "error 015" ]'
  "$wrun" $tier --allow-http "127.0.0.1:$port" $env_args "$c" >"$tmp/out" 2>"$tmp/err"; st=$?
  expect "$t: allowed host:port fetches the file" '[ $st -eq 0 ] && cmp -s "$tmp/out" "$tmp/data.bin" && [ ! -s "$tmp/err" ]'
  "$wrun" $tier --allow-http 127.0.0.0/8 --env TARGET=127.0.0.1:$port --env TARGET_PATH=/nope "$c" >"$tmp/out" 2>&1; st=$?
  expect "$t: a CIDR allows it; the 404 arrives as a status" '[ $st -eq 1 ] && grep -q "^status 404$" "$tmp/out"'
  "$wrun" $tier --allow-http "localhost:$((port == 65535 ? 1 : port + 1))" $env_args "$c" >"$tmp/out" 2>&1; st=$?
  expect "$t: another host and port stay denied" '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "error 015" ]'
done

printf 'module: %s\nenv: [TARGET=127.0.0.1:%s, TARGET_PATH=/data.bin]\nallow-http: ["127.0.0.1:%s"]\n' "$c" "$port" "$port" >"$tmp/m.yaml"
"$wrun" run -c "$tmp/m.yaml" >"$tmp/out" 2>"$tmp/err"; st=$?
expect "a manifest's allow-http list" '[ $st -eq 0 ] && cmp -s "$tmp/out" "$tmp/data.bin"'

"$wrun" --allow-http "host:99999" "$c" >"$tmp/out" 2>&1; st=$?
expect "a bad destination is a one-line usage error" '[ $st -eq 2 ] && [ $(wc -l <"$tmp/out") -eq 1 ] && grep -q "bad value .host:99999. for --allow-http" "$tmp/out"'
printf 'module: %s\nallow-http: ["a b"]\n' "$c" >"$tmp/bad.yaml"
"$wrun" run -c "$tmp/bad.yaml" >"$tmp/out" 2>&1; st=$?
expect "a bad destination in a manifest is one line with its location" '[ $st -eq 1 ] && [ $(wc -l <"$tmp/out") -eq 1 ] && grep -q "bad.yaml:2" "$tmp/out"'

kill $py 2>/dev/null; wait $py 2>/dev/null; py=""
"$wrun" --allow-http "127.0.0.1:$port" $env_args "$c" >"$tmp/out" 2>&1; st=$?
expect "nothing listening: connection-refused (case 6)" '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "error 006" ]'

echo "component_http: $passes passed, $fails failed"
[ $fails -eq 0 ]
