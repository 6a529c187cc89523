# lib.sh — what the `wrun serve` test scripts share (sourced after they set
# $wrun): a temporary directory with the compile cache in it, cleanup of
# every server started, fail(), start/stop of a server on a free loopback
# port, and the raw-socket HTTP/1.1 client rawhttp.py (importable by the
# scripts' python3; http_raw below). A script may set start_tries (tenths
# of a second start() waits for the server's address line; default 100)
# before calling start.
tmp=$(mktemp -d)
# serve compiles by default through the compile cache: keep it in $tmp
WRUN_CACHE_DIR=$tmp/cache
export WRUN_CACHE_DIR
pids=""
cleanup() {
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
command -v curl >/dev/null 2>&1 || { echo "SKIP: curl is not installed"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed"; exit 77; }
# Under AddressSanitizer freed memory waits in a quarantine (256 MiB by
# default) that would look like growth to the soaks; keep it small.
# (No effect on other builds.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
export ASAN_OPTIONS
# `import rawhttp` in the scripts' python3 (this directory)
rawhttp_dir=$(cd "$(dirname "$0")" && pwd)
PYTHONPATH="$rawhttp_dir${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH

# http_raw PORT BYTES: sends BYTES (\r\n and other backslash escapes) on a
# new connection to the server and prints its answer until it closes.
http_raw() { python3 "$rawhttp_dir/rawhttp.py" "$@"; }

# start NAME ARGS...: runs wrun serve ARGS in the background, stderr in
# $tmp/NAME.err; sets $port and $pid (also remembered for cleanup).
start() {
  name=$1
  shift
  "$wrun" serve --addr 127.0.0.1:0 "$@" 2>"$tmp/$name.err" &
  pid=$!
  pids="$pids $pid"
  port=""
  i=0
  while [ $i -lt "${start_tries:-100}" ]; do
    port=$(sed -n 's|.* on http://127\.0\.0\.1:\([0-9]*\) .*|\1|p' "$tmp/$name.err" 2>/dev/null)
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
    i=$((i + 1))
  done
  echo "FAIL: server $name did not start:"
  cat "$tmp/$name.err"
  exit 1
}

# stop PID: SIGTERM, then waits (at most 15 s, then SIGKILL); sets $st to
# the exit status. (Not in $(...): a subshell can neither wait for the server
# nor be trusted not to run the EXIT trap.)
stop() {
  kill -TERM "$1" 2>/dev/null
  ( sleep 15; kill -9 "$1" 2>/dev/null ) &
  guard=$!
  wait "$1"
  st=$?
  kill "$guard" 2>/dev/null
}
