#!/bin/sh
# The host's standard streams stay the host's: a stream closed when wrun starts
# is closed for the guest (EBADF) and nothing of wrun's lands on it; fdflags the
# guest sets on inherited streams (NONBLOCK, APPEND) are emulated, so the
# shell's file descriptions keep their flags after a normal exit, proc_exit, a
# trap and a timeout.
#   sh stdio.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'exec 3>&- 5>&- 6>&- 2>/dev/null; rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
probe=$data/wasi_stdio.wat

# Closed streams (statuses are WASI errnos: 8 EBADF).
"$wrun" "$data/wasi_hello.wat" >&- 2>"$tmp/err"; st=$?
[ $st -eq 3 ] && [ ! -s "$tmp/err" ] || { fail "hello with stdout closed: status $st (want the guest's 3)"; cat "$tmp/err"; }
for tier in "" --aot; do
  t=${tier:-interp}
  "$wrun" $tier --invoke write_stdout "$probe" >&- 2>"$tmp/err"; st=$?
  [ $st -eq 8 ] && [ ! -s "$tmp/err" ] || fail "$t: fd_write to a closed stdout: status $st (want EBADF 8)"
  "$wrun" $tier --invoke read_stdin "$probe" <&- 2>"$tmp/err"; st=$?
  [ $st -eq 8 ] && [ ! -s "$tmp/err" ] || fail "$t: fd_read of a closed stdin: status $st (want EBADF 8)"
  "$wrun" $tier --invoke write_stderr "$probe" 2>&-; st=$?
  [ $st -eq 8 ] || fail "$t: fd_write to a closed stderr: status $st (want EBADF 8)"
  # the open ones still work when another is closed
  out=$("$wrun" $tier --invoke write_stdout "$probe" <&- 2>&-); st=$?
  [ $st -eq 0 ] && [ "$out" = "hello" ] || fail "$t: stdout with stdin and stderr closed: status $st '$out'"
done
# a trap with stderr closed still exits 134 and writes nowhere else
"$wrun" --invoke nonblock_trap "$probe" </dev/null >"$tmp/out" 2>&-; st=$?
[ $st -eq 134 ] && [ ! -s "$tmp/out" ] || fail "trap with stderr closed: status $st"

# Flags. The shell holds an idle FIFO (fd 3, never written), a file (fd 5) and
# a FIFO nobody reads (fd 6);
# wrun gets dups of them, so wrun and the awk after it share one description.
mkfifo "$tmp/idle" "$tmp/full"
exec 3<>"$tmp/idle" 5>"$tmp/file" 6<>"$tmp/full"
O_APPEND=1024 O_NONBLOCK=2048 # octal 02000, 04000
flags_of() { # the status flags of the shell's fd $1, from /proc
  f=$(awk '/^flags/ { print $2 }' /proc/self/fdinfo/$1)
  echo $((0$f & (O_APPEND | O_NONBLOCK)))
}
check_flags() {
  [ "$(flags_of 3)" -eq 0 ] || fail "$1: the shell's pipe has O_NONBLOCK/O_APPEND now"
  [ "$(flags_of 5)" -eq 0 ] || fail "$1: the shell's file has O_NONBLOCK/O_APPEND now"
}
check_flags "before any run"
for tier in "" --aot; do
  t=${tier:-interp}
  "$wrun" $tier --invoke nonblock_read "$probe" <&3 >&5 2>"$tmp/err"; st=$?
  [ $st -eq 6 ] || fail "$t: NONBLOCK read of an idle pipe: status $st (want EAGAIN 6)"
  check_flags "$t: after proc_exit"
  timeout 20 "$wrun" $tier --invoke nonblock_write "$probe" <&3 >&6 2>"$tmp/err"; st=$?
  [ $st -eq 6 ] || fail "$t: NONBLOCK writes to a pipe nobody reads: status $st (want EAGAIN 6)"
  [ "$(flags_of 6)" -eq 0 ] || fail "$t: the shell's full pipe has O_NONBLOCK/O_APPEND now"
  "$wrun" $tier --invoke flags_stdout "$probe" <&3 >&5 2>"$tmp/err"; st=$?
  [ $st -eq 5 ] || fail "$t: APPEND|NONBLOCK on stdout, then a write: status $st (want fdflags 5)"
  check_flags "$t: after setting APPEND|NONBLOCK on stdout"
  "$wrun" $tier --invoke nonblock_trap "$probe" <&3 >&5 2>"$tmp/err"; st=$?
  [ $st -eq 134 ] || fail "$t: trap: status $st"
  check_flags "$t: after a trap"
  "$wrun" $tier --invoke poll_twice "$data/wasi_block.wat" <&3 >&5 2>"$tmp/err"; st=$?
  [ $st -eq 0 ] || fail "$t: poll_oneoff on stdin: status $st"
  check_flags "$t: after poll_oneoff on stdin"
  timeout 20 "$wrun" $tier --timeout 1s --invoke nonblock_timeout "$probe" <&3 >&5 2>"$tmp/err"; st=$?
  [ $st -eq 134 ] && grep -q "wall-clock timeout" "$tmp/err" || fail "$t: timeout: status $st"
  check_flags "$t: after a timeout"
done
# the emulated APPEND appends: write at offset 0, then the guest's appending write
printf 'start\n' >"$tmp/app"
"$wrun" --invoke flags_stdout "$probe" 1<>"$tmp/app"; st=$?
[ $st -eq 5 ] && [ "$(cat "$tmp/app")" = "$(printf 'start\nhello')" ] || fail "emulated APPEND: status $st, file '$(cat "$tmp/app")'"
# the host's own O_APPEND (>>) stays in force and is reported
printf 'start\n' >"$tmp/app2"
"$wrun" --invoke flags_stdout "$probe" >>"$tmp/app2"; st=$?
[ $st -eq 5 ] && [ "$(cat "$tmp/app2")" = "$(printf 'start\nhello')" ] || fail "host O_APPEND: status $st"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all standard-stream checks passed"
