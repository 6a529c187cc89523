#!/bin/sh
# serve.sh — HTTP handlers in containers of io.containerd.wrun.v2 (lib.sh's
# containerd): the shim runs an http-wasm module (tests/serve/app.wasm) and a
# wasi:http/proxy component (tests/component/http-handler.wasm) as `wrun
# serve` would, through the wrun-serve beside it, on the address of
# WRUN_SERVE_ADDR (env) or io.wrun.serve-addr (annotation). With --net-host
# it listens on the host's loopback; with --with-ns network:NETNS (a network
# namespace made here by `ip netns add`) only inside that namespace. Then
# Kill ends the server, and nothing (process, socket, mount) is left.
. "$(dirname "$0")/lib.sh"

[ -x "$(dirname "$shim")/wrun-serve" ] || { echo "FAIL: no wrun-serve beside $shim"; exit 1; }
command -v curl >/dev/null 2>&1 || skip "curl is not installed"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
CURL="curl -s -m 5"

# until_serving URL [netns]: up to 60 s (wrun-serve compiles the handler first)
until_serving() {
  i=0
  while [ $i -lt 300 ]; do
    if [ -n "${2:-}" ]; then ip netns exec "$2" $CURL -o /dev/null "$1" && return 0
    else $CURL -o /dev/null "$1" && return 0; fi
    sleep 0.2; i=$((i + 1))
  done
  return 1
}

# stop ID: SIGTERM through ctr (the server drains and exits), then delete
stop() {
  $C task kill "$1" >/dev/null 2>&1 || fail "$1: ctr task kill"
  i=0
  while [ $i -lt 100 ] && [ "$($C task ls | awk -v id="$1" '$1==id{print $3}')" = RUNNING ]; do sleep 0.1; i=$((i + 1)); done
  st=$($C task ls | awk -v id="$1" '$1==id{print $3}')
  [ "$st" = STOPPED ] && ok "$1: SIGTERM stopped the server" || fail "$1: state after SIGTERM: '$st'"
  # wrun-serve drains on SIGTERM and exits 0 (the shim's exit line in containerd's log)
  grep -q "task $1: pid [0-9]* exited with status 0;" "$tmp/containerd.log" && ok "$1: exit status 0 after the drain" ||
    fail "$1: exit line: $(grep "task $1: pid" "$tmp/containerd.log" | tail -1)"
  $C task delete "$1" >/dev/null 2>&1 || fail "$1: ctr task delete"
  $C container rm "$1" >/dev/null 2>&1 || fail "$1: ctr container rm"
}

img=docker.io/library/wrun-httpwasm:test
$wrun oci build "$tests/serve/app.wasm" -o "$tmp/hw.tar" --name $img >/dev/null || fail "wrun oci build app.wasm"
$C image import "$tmp/hw.tar" >/dev/null || fail "ctr image import (http-wasm)"

# ---- http-wasm module on the host's network ------------------------------------
port=$(free_port)
$C run -d --net-host $WRUN --env WRUN_SERVE_ADDR=127.0.0.1:$port $img hw1 </dev/null >/dev/null || fail "run -d hw1"
if until_serving "http://127.0.0.1:$port/hello"; then
  [ "$($CURL "http://127.0.0.1:$port/hello")" = hello ] && ok "http-wasm: GET /hello on the host's loopback" ||
    fail "http-wasm: /hello body '$($CURL "http://127.0.0.1:$port/hello")'"
  [ "$($CURL -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/status/418")" = 418 ] &&
    ok "http-wasm: status from the guest" || fail "http-wasm: /status/418"
  pid=$($C task ls | awk '$1=="hw1"{print $2}')
  [ "$(readlink /proc/$pid/exe 2>/dev/null)" = "$(cd "$(dirname "$shim")" && pwd)/wrun-serve" ] &&
    ok "http-wasm: the task's process is wrun-serve" || fail "task process: $(readlink /proc/$pid/exe 2>&1)"
else
  fail "http-wasm: nothing served on 127.0.0.1:$port in 60 s"
fi
stop hw1
$CURL -o /dev/null "http://127.0.0.1:$port/hello" && fail "hw1: still served after Kill" || ok "hw1: port closed after Kill"

# ---- the same in a network namespace named by the spec ---------------------------
ns=wrun-shim-test-$$
if ip netns add $ns 2>/dev/null; then
  trap 'ip netns del '$ns' 2>/dev/null; cleanup' EXIT
  ip -n $ns link set lo up
  port=$(free_port)
  $C run -d --with-ns network:/var/run/netns/$ns $WRUN --env WRUN_SERVE_ADDR=0.0.0.0:$port $img hw2 </dev/null >/dev/null ||
    fail "run -d hw2"
  if until_serving "http://127.0.0.1:$port/hello" $ns; then
    [ "$(ip netns exec $ns $CURL "http://127.0.0.1:$port/hello")" = hello ] && ok "netns: GET /hello inside $ns" ||
      fail "netns: /hello body"
    $CURL -o /dev/null "http://127.0.0.1:$port/hello" && fail "netns: served on the host's network too" ||
      ok "netns: not reachable from the host's network"
    pid=$($C task ls | awk '$1=="hw2"{print $2}')
    [ "$(readlink /proc/$pid/ns/net)" = "$(ip netns exec $ns readlink /proc/self/ns/net)" ] &&
      ok "netns: the task is in $ns" || fail "netns: the task's namespace $(readlink /proc/$pid/ns/net)"
  else
    fail "netns: nothing served on 127.0.0.1:$port in $ns in 60 s"
  fi
  stop hw2
  ip netns del $ns
else
  echo "note: ip netns add failed here; the network namespace case was not run"
fi

# ---- a wasi:http/proxy component, address from the annotation -------------------
cimg=docker.io/library/wrun-wasihttp:test
$wrun oci build "$tests/component/http-handler.wasm" -o "$tmp/wh.tar" --name $cimg >/dev/null ||
  fail "wrun oci build http-handler.wasm"
$C image import "$tmp/wh.tar" >/dev/null || fail "ctr image import (wasi:http)"
port=$(free_port)
$C run -d --net-host $WRUN --annotation io.wrun.serve-addr=127.0.0.1:$port $cimg wh1 </dev/null >/dev/null ||
  fail "run -d wh1"
if until_serving "http://127.0.0.1:$port/echo/x"; then
  out=$($CURL -i "http://127.0.0.1:$port/echo/p?q=1")
  echo "$out" | head -1 | grep -q '^HTTP/1.1 200' && echo "$out" | grep -qi '^x-path: /echo/p?q=1' &&
    ok "wasi:http: GET /echo on the annotation's address" || fail "wasi:http: $out"
else
  fail "wasi:http: nothing served on 127.0.0.1:$port in 60 s"
fi
stop wh1

# a module that is no HTTP handler still runs as a command beside them
$wrun oci build "$tests/shim/hello.wasm" -o "$tmp/hello.tar" --name docker.io/library/wrun-hello:test >/dev/null &&
  $C image import "$tmp/hello.tar" >/dev/null || fail "hello image"
check "a command module still runs" 0 "hello from wrun" -- $C run --rm $WRUN docker.io/library/wrun-hello:test h1 </dev/null
check_clean "after the served containers"
finish
