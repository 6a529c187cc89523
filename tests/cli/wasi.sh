#!/bin/sh
# WASI through the command line: output and exit status of a libc-free WASI
# command, guest arguments, link errors for functions wrun does not provide,
# and sandbox options.
#   sh wasi.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

out=$("$wrun" "$data/wasi_hello.wat" 2>"$tmp/err"); st=$?
[ $st -eq 3 ] || fail "proc_exit status: $st (want 3)"
[ "$out" = "argc=1 hello" ] || fail "stdout: '$out'"
out=$("$wrun" "$data/wasi_hello.wat" one two 2>"$tmp/err"); st=$?
[ "$out" = "argc=3 hello" ] || fail "guest args: '$out'"
out=$("$wrun" "$data/wasi_hello.wat" --not-a-wrun-option 2>"$tmp/err"); st=$?
[ $st -eq 3 ] && [ "$out" = "argc=2 hello" ] || fail "options after the module belong to the guest: '$out' $st"
"$wrun" "$data/wasi_hello.wat" >/dev/full 2>"$tmp/err"; st=$?
[ $st -eq 3 ] || fail "write to a full device must not crash: status $st"

"$wrun" "$data/wasi_unknown.wat" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'unknown import "wasi_snapshot_preview1" "no_such_call"' "$tmp/err" || { fail "unknown WASI import: $st"; cat "$tmp/err"; }

"$wrun" --dir "$tmp/does-not-exist" "$data/wasi_hello.wat" 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q "cannot open directory" "$tmp/err" || fail "missing --dir: status $st"
"$wrun" --env 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || fail "--env without a value: status $st"

# read-only preopens: creating a file is ENOTCAPABLE (76); writable ones allow it
mkdir "$tmp/ro" "$tmp/rw"
"$wrun" --dir-ro "$tmp/ro" "$data/wasi_create.wat" 2>"$tmp/err"; st=$?
[ $st -eq 76 ] && [ ! -e "$tmp/ro/new.txt" ] || fail "read-only preopen: status $st"
"$wrun" --dir "$tmp/rw" "$data/wasi_create.wat" 2>"$tmp/err"; st=$?
[ $st -eq 0 ] && [ -e "$tmp/rw/new.txt" ] || fail "writable preopen: status $st"
"$wrun" "$data/wasi_create.wat" 2>"$tmp/err"; st=$?
[ $st -eq 8 ] || fail "no preopen at all: status $st (want EBADF 8)"

# stdin and stdout as pipes and files
out=$(printf 'line one\nline two\n' | "$wrun" "$data/wasi_cat.wat"); st=$?
[ $st -eq 0 ] && [ "$out" = "$(printf 'line one\nline two')" ] || fail "cat through pipes: '$out'"
head -c 100000 /dev/zero | tr '\0' 'x' >"$tmp/big"
"$wrun" "$data/wasi_cat.wat" <"$tmp/big" >"$tmp/copy"; st=$?
[ $st -eq 0 ] && cmp -s "$tmp/big" "$tmp/copy" || fail "cat of a 100 kB file"

if [ $fails -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "all WASI CLI checks passed"
