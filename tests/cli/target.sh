#!/bin/sh
# `wrun compile --target ISA`: the host's ISA gives the same artifact as no
# --target; an ISA this build has no code generator for is a one-line error
# naming it (exit 1), an unknown name a usage error listing the known ones
# (exit 2); `wrun wast --aot` without a code generator for the host refuses
# once, before any script runs. Which ISAs have a code generator is learnt
# from wrun itself (a plain `compile`), so the script also holds for a build
# run under qemu-aarch64 or one built with fewer WRUN_AOT_TARGETS; an artifact
# cross-compiled for the other ISA must be written and refused here.
#   sh target.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
lines() { wc -l <"$1" | tr -d ' '; }

cat >"$tmp/m.wat" <<'WAT'
(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
WAT
cat >"$tmp/s.wast" <<'WAST'
(module (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
WAST

# an unknown name: a usage error that lists the known ones, nothing written
"$wrun" compile --target sparc "$tmp/m.wat" -o "$tmp/x.cwasm" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] || fail "unknown target: exit $st, want 2"
[ "$(lines "$tmp/err")" = 1 ] || fail "unknown target: not one line: $(cat "$tmp/err")"
grep -q "unknown --target 'sparc' (known: x86_64, aarch64)" "$tmp/err" || fail "unknown target: $(cat "$tmp/err")"
[ ! -e "$tmp/x.cwasm" ] || fail "unknown target: an artifact was written"

# which ISA this wrun runs on, and whether it has a code generator for it
if "$wrun" compile "$tmp/m.wat" -o "$tmp/host.cwasm" 2>"$tmp/err"; then
  host=$("$wrun" inspect "$tmp/host.cwasm" | sed -n 's/^architecture: \(x86-64\|aarch64\)$/\1/p')
  case $host in
    x86-64) host=x86_64 other=aarch64 ;;
    aarch64) host=aarch64 other=x86_64 ;;
    *) fail "cannot tell the artifact's ISA from inspect: $("$wrun" inspect "$tmp/host.cwasm")"; host= ;;
  esac
  if [ -n "$host" ]; then
    # the host's ISA named explicitly: the very same bytes
    "$wrun" compile --target "$host" "$tmp/m.wat" -o "$tmp/named.cwasm" 2>"$tmp/err" ||
      fail "--target $host: $(cat "$tmp/err")"
    cmp -s "$tmp/host.cwasm" "$tmp/named.cwasm" || fail "--target $host: artifact differs from the default one"
    out=$("$wrun" --allow-precompiled --invoke add "$tmp/named.cwasm" 40 2 2>&1)
    [ "$out" = 42 ] || fail "--target $host artifact: '$out'"
    # the other ISA: a code generator exists (cross-compiling) or a clean error
    if "$wrun" compile --target "$other" "$tmp/m.wat" -o "$tmp/other.cwasm" 2>"$tmp/err"; then
      "$wrun" inspect "$tmp/other.cwasm" | grep -q "^architecture: $(echo $other | tr _ -)$" || fail "--target $other: wrong arch"
      "$wrun" --allow-precompiled --invoke add "$tmp/other.cwasm" 1 2 >/dev/null 2>"$tmp/err" &&
        fail "--target $other artifact ran on $host"
    else
      st=$?
      [ $st -eq 1 ] || fail "--target $other: exit $st, want 1"
      [ "$(lines "$tmp/err")" = 1 ] || fail "--target $other: not one line: $(cat "$tmp/err")"
      grep -q "no AOT code generator for $other in this build" "$tmp/err" || fail "--target $other: $(cat "$tmp/err")"
      [ ! -e "$tmp/other.cwasm" ] || fail "--target $other: an artifact was written"
    fi
    out=$("$wrun" wast --aot "$tmp/s.wast" 2>&1) || fail "wast --aot: $out"
  fi
else
  # no code generator for this host: compile and wast --aot refuse once, in one line
  st=$?
  [ $st -eq 1 ] || fail "compile on a host without a code generator: exit $st"
  [ "$(lines "$tmp/err")" = 1 ] && grep -q "no AOT code generator for" "$tmp/err" ||
    fail "compile on a host without a code generator: $(cat "$tmp/err")"
  "$wrun" wast --aot "$tmp/s.wast" "$tmp/s.wast" >"$tmp/out" 2>"$tmp/err"
  st=$?
  [ $st -eq 1 ] || fail "wast --aot without a code generator: exit $st"
  [ "$(lines "$tmp/err")" = 1 ] && grep -q "no AOT code generator for" "$tmp/err" ||
    fail "wast --aot without a code generator: $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || fail "wast --aot without a code generator ran scripts: $(cat "$tmp/out")"
  "$wrun" wast "$tmp/s.wast" >/dev/null 2>&1 || fail "wast in the interpreter failed"
  # cross-compiling still works for the ISAs it has a code generator for:
  # the artifact is written (never mapped here) and loading it is refused
  # in one line; the others are refused in one line naming them
  for isa in x86_64 aarch64; do
    rm -f "$tmp/c.cwasm"
    if "$wrun" compile --target $isa "$tmp/m.wat" -o "$tmp/c.cwasm" 2>"$tmp/err"; then
      "$wrun" inspect "$tmp/c.cwasm" | grep -q "^architecture: $(echo $isa | tr _ -)$" ||
        fail "--target $isa on a host without a code generator: wrong arch"
      "$wrun" --allow-precompiled --invoke add "$tmp/c.cwasm" 1 2 >/dev/null 2>"$tmp/err"
      st=$?
      [ $st -eq 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "not this machine" "$tmp/err" ||
        fail "--target $isa artifact loaded: exit $st, $(cat "$tmp/err")"
    else
      st=$?
      [ $st -eq 1 ] && [ "$(lines "$tmp/err")" = 1 ] && grep -q "no AOT code generator for $isa" "$tmp/err" ||
        fail "--target $isa: exit $st, $(cat "$tmp/err")"
      [ ! -e "$tmp/c.cwasm" ] || fail "--target $isa: an artifact was written"
    fi
  done
fi

[ $fails -eq 0 ] && echo "target: all passed"
[ $fails -eq 0 ]
