#!/bin/sh
# Serves one connection with echo.wasm through --tcplisten and checks the reply.
#   sh echo.sh ECHO_WASM WRUN PYTHON3
set -u
wasm=$1 wrun=$2 py=$3
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
port=$(
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
)
"$wrun" --tcplisten 127.0.0.1:$port --timeout 20s "$wasm" >"$tmp/out" 2>&1 &
pid=$!
reply=$("$py" - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
for _ in range(100):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        break
    except OSError:
        time.sleep(0.05)
c.sendall(b"hello wasm")
data = b""
while True:
    chunk = c.recv(100)
    if not chunk:
        break
    data += chunk
print(data.decode())
PY
)
wait $pid
st=$?
if [ "$reply" = "echo: hello wasm" ] && [ $st -eq 0 ] && grep -q "served one connection" "$tmp/out"; then
  echo "socket echo passed"
else
  echo "FAIL: reply '$reply', wrun status $st, guest said:"; cat "$tmp/out"; exit 1
fi
