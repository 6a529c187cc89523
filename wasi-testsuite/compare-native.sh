#!/bin/sh
# Runs portable.c natively and under wrun with the same arguments, environment
# and a fresh "work" directory, and requires identical output and exit status.
#   sh compare-native.sh NATIVE_BINARY PORTABLE_WASM WRUN
set -u
native=$1 wasm=$2 wrun=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/n/work" "$tmp/w/work"
(cd "$tmp/n" && env -i WRUN_TEST=yes "$native" "a b" c >"$tmp/native.out" 2>&1; echo "exit status $?" >>"$tmp/native.out")
(cd "$tmp/w" && env -i ${WRUN_TEST_NO_OPENAT2:+WRUN_TEST_NO_OPENAT2=$WRUN_TEST_NO_OPENAT2} "$wrun" --dir . --env WRUN_TEST=yes "$wasm" "a b" c >"$tmp/wasm.out" 2>&1; echo "exit status $?" >>"$tmp/wasm.out")
if diff -u "$tmp/native.out" "$tmp/wasm.out"; then
  echo "portable.c behaves the same natively and under wrun ($(wc -l <"$tmp/native.out") lines)"
else
  echo "FAIL: outputs differ (- native, + wrun)"
  exit 1
fi
