#!/bin/sh
# Cross-compiled artifacts, checked for real with two wrun builds for two
# instruction sets: one that runs natively on this machine (HOST) and one for
# another ISA run under an emulator (OTHER: a wrapper such as the AArch64
# cross build's build-arm64/emulated/wrun, cmake/emulated.cmake).
#   sh tests/cross/artifact.sh HOST_WRUN HOST_ISA OTHER_WRUN OTHER_ISA PROGRAM.wasm...
# (a PROGRAM may be a module or a component: a compiled component holds the
# code of each of its core modules)
# For each program and each option set (none: the optimizing pipeline,
# --one-pass, --interruptible):
#  - OTHER compiles it with --target HOST_ISA; the artifact must be
#    byte-identical to HOST's own `compile` of the same module and options,
#    and HOST must run it with the same stdout, stderr and exit status as
#    HOST's interpreter; OTHER must refuse to load it in one line (exit 1).
#  - the other way round (HOST compiles with --target OTHER_ISA, OTHER runs
#    it) the same, once HOST has a code generator for OTHER_ISA; until then
#    HOST must refuse in one line naming it, and the direction is reported
#    as not run (never as passed).
# Each program runs in a fresh directory with the empty directories that
# NAME.json beside NAME.wasm lists under "dirs" (wasi-testsuite's layout;
# none without it) preopened, the arguments "a b" c and WRUN_TEST=yes in its
# environment (what portable.wasm expects; the others ignore them).
set -u
[ $# -ge 5 ] || { echo "usage: $0 HOST_WRUN HOST_ISA OTHER_WRUN OTHER_ISA PROGRAM.wasm..." >&2; exit 2; }
abspath() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
host=$(abspath "$1") host_isa=$2 other=$(abspath "$3") other_isa=$4
shift 4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0 checked=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# run WRUN ARGS...: the program's stdout, stderr and exit status in $tmp/out
run() {
  rm -rf "$tmp/run" && mkdir -p "$tmp/run"
  for d in $dirs; do mkdir -p "$tmp/run/$d"; done
  (cd "$tmp/run" && "$@" >"$tmp/out" 2>&1; echo "exit status $?" >>"$tmp/out")
}
guest() {
  for d in $dirs; do printf -- '--dir %s ' "$d"; done
  echo --env WRUN_TEST=yes
}

# one direction: COMPILER (for TARGET_ISA) -> RUNNER (native wrun of TARGET_ISA), REFUSER (the compiler's own ISA)
direction() {
  compiler=$1 target=$2 runner=$3 prog=$4 opts=$5 name=$6
  art="$tmp/cross.cwasm" own="$tmp/own.cwasm"
  rm -f "$art" "$own"
  # shellcheck disable=SC2086
  if ! "$compiler" compile --target "$target" $opts "$prog" -o "$art" 2>"$tmp/err"; then
    fail "$name: compile --target $target $opts: $(cat "$tmp/err")"
    return
  fi
  # shellcheck disable=SC2086
  "$runner" compile $opts "$prog" -o "$own" 2>"$tmp/err" || { fail "$name: native compile $opts: $(cat "$tmp/err")"; return; }
  cmp -s "$art" "$own" || fail "$name $opts: the cross-compiled artifact differs from the native one"
  # shellcheck disable=SC2046
  run "$runner" $(guest) "$prog" "a b" c
  mv "$tmp/out" "$tmp/want"
  # the program must have run (not 126/127: wrun not found or not executable)
  if grep -qx 'exit status 12[67]' "$tmp/want" || [ ! -s "$tmp/want" ]; then
    fail "$name: the interpreter run did not start: $(head -3 "$tmp/want")"
    return
  fi
  # shellcheck disable=SC2046
  run "$runner" --allow-precompiled $(guest) "$art" "a b" c
  if ! cmp -s "$tmp/want" "$tmp/out"; then
    fail "$name $opts: the artifact's run differs from the interpreter's:"
    diff "$tmp/want" "$tmp/out" | head -10
  fi
  # the ISA that compiled it cannot load it: one line, exit 1
  "$compiler" --allow-precompiled "$art" >/dev/null 2>"$tmp/err"
  st=$?
  [ $st = 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "not this machine" "$tmp/err" ||
    fail "$name: the $target artifact loaded elsewhere: exit $st, $(cat "$tmp/err")"
  checked=$((checked + 1))
}

# can HOST compile for OTHER_ISA yet?
printf '(module)' >"$tmp/empty.wat"
reverse=yes
if ! "$host" compile --target "$other_isa" "$tmp/empty.wat" -o "$tmp/e.cwasm" 2>"$tmp/err"; then
  [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "no AOT code generator for $other_isa" "$tmp/err" ||
    fail "compile --target $other_isa on the host: $(cat "$tmp/err")"
  reverse=no
fi

for prog in "$@"; do
  prog=$(abspath "$prog")
  name=$(basename "$prog")
  json=${prog%.wasm}.json dirs=
  [ -f "$json" ] && dirs=$(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1])).get("dirs", [])))' "$json")
  for opts in "" --one-pass --interruptible; do
    direction "$other" "$host_isa" "$host" "$prog" "$opts" "$name"
    [ $reverse = yes ] && direction "$host" "$other_isa" "$other" "$prog" "$opts" "$name"
  done
done
echo "cross artifacts: $checked checked ($other_isa -> $host_isa$([ $reverse = yes ] && echo " and $host_isa -> $other_isa")), $fails failed"
[ $reverse = yes ] || echo "cross artifacts: $host_isa -> $other_isa not run: this wrun has no code generator for $other_isa"
[ $fails -eq 0 ]
