#!/bin/sh
# Start-up work a program does not need is not done: a guest that writes to
# stdout and then computes has no libuv loop (no epoll descriptor, no
# eventfd) while it runs; one that has waited in poll_oneoff has one, and a
# --timeout still ends a wait that made the loop on the spot (deadline.sh
# covers every kind of wait). The module file (core, text, artifact or
# component) is read once.
#   sh startup.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
tmp=$(mktemp -d)
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
[ -d /proc/self/fd ] || { echo "SKIP: needs /proc to look at wrun's descriptors"; exit 77; }

# $1: whether _start first sleeps 1 ms in poll_oneoff; then it writes "go"
# and spins until the test kills it
guest() {
  cat <<WAT
(module
  (import "wasi_snapshot_preview1" "fd_write" (func \$fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func \$poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; an iovec at 0 -> "go\n" at 16; a clock subscription at 64 (relative, 1 ms)
  (data (i32.const 0) "\10\00\00\00\03\00\00\00")
  (data (i32.const 16) "go\n")
  (data (i32.const 72) "\00")
  (data (i32.const 80) "\01\00\00\00\00\00\00\00\40\42\0f\00\00\00\00\00")
  (func (export "_start")
    (if (i32.const $1) (then (drop (call \$poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 8)))))
    (drop (call \$fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (loop \$spin (br \$spin))))
WAT
}
# loop_fds WAT: runs it until it says "go", prints how many of wrun's
# descriptors are an epoll instance or an eventfd, then ends it
loop_fds() {
  rm -f "$tmp/out"
  "$wrun" --tier interp "$1" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  i=0
  while [ "$(cat "$tmp/out" 2>/dev/null)" != go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
  if [ "$(cat "$tmp/out")" = go ]; then
    ls -l "/proc/$pid/fd" 2>/dev/null | grep -c 'anon_inode:\[\(eventpoll\|eventfd\)\]'
  else
    echo "no-go: $(cat "$tmp/err")"
  fi
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  pid=""
}
guest 0 >"$tmp/nowait.wat"
guest 1 >"$tmp/wait.wat"
n=$(loop_fds "$tmp/nowait.wat")
[ "$n" = 0 ] || fail "a guest that never waits has $n epoll/eventfd descriptors (want 0: no libuv loop)"
n=$(loop_fds "$tmp/wait.wat")
[ "$n" = 2 ] || fail "a guest that waited in poll_oneoff has $n epoll/eventfd descriptors (want 2: the loop's)"

# one read of the module file: a FIFO can be read only once, so running a
# module (and a component) from one works only if nothing reads it twice
mkfifo "$tmp/fifo.wasm"
guest 0 | sed 's/(loop \$spin (br \$spin))//' >"$tmp/hello.wat"
"$wrun" compile "$tmp/hello.wat" -o "$tmp/hello.cwasm" 2>"$tmp/err" || fail "compile: $(cat "$tmp/err")"
for f in "$tmp/hello.wat" "$tmp/hello.cwasm"; do
  flag=""
  case $f in *.cwasm) flag=--allow-precompiled ;; esac
  cat "$f" >"$tmp/fifo.wasm" &
  out=$(timeout 20 "$wrun" $flag "$tmp/fifo.wasm" 2>"$tmp/err"); st=$?
  wait
  [ $st -eq 0 ] && [ "$out" = go ] || fail "$(basename "$f") through a FIFO: status $st, '$out' $(cat "$tmp/err")"
done

comp=$2/../component/inst.wasm
cat "$comp" >"$tmp/fifo.wasm" &
out=$(timeout 20 "$wrun" --invoke add "$tmp/fifo.wasm" 40 2 2>"$tmp/err"); st=$?
wait
[ $st -eq 0 ] && [ "$out" = 42 ] || fail "a component through a FIFO: status $st, '$out' $(cat "$tmp/err")"

if [ $fails -eq 0 ]; then echo "all start-up checks passed"; else echo "$fails start-up check(s) failed"; exit 1; fi
