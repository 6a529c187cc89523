#!/bin/sh
# Precompiled code is trusted code (docs/security.md):
#  - a compiled artifact runs only with --allow-precompiled (or the manifest's
#    allow-precompiled: true), whatever its file name; validate refuses it and
#    inspect says it is native code that was not validated;
#  - the compile cache of `run --aot` lives in a 0700 directory of the user's,
#    with a 0600 key; a directory or key that is a symlink, foreign-owned or
#    writable by others is refused (warning, run goes on uncached); an entry
#    that was altered (even with its CRCs recomputed), belongs to another
#    module, was written under another key or by another build of wrun is
#    recompiled, never run; no cache at all when HOME is unusable.
#   sh trust.sh PATH_TO_WRUN TESTS_DATA_DIR
# Exit 0 when every check passed, 1 on any failure, 77 (ctest: skipped) when
# a check could not run here and none failed.
set -u
wrun=$1
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
passes=0 fails=0 skips=0
ok() { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
skip() { skips=$((skips + 1)); echo "SKIP: $*"; }
check() { # DESCRIPTION COMMAND...: passes when the command succeeds
  check_what=$1; shift
  if "$@"; then ok; else fail "$check_what"; fi
}
expect() { # DESCRIPTION 'SHELL CONDITION': passes when the condition holds
  expect_what=$1
  if eval "$2"; then ok; else fail "$expect_what"; fi
}
case $(uname -m) in x86_64|amd64) ;; *) echo "SKIP: the AOT compiler targets x86-64"; exit 77 ;; esac
unset WRUN_CACHE_DIR XDG_CACHE_HOME

# (module (func (export "f") (param i32) (result i32) local.get 0 i32.const 1 i32.add))
printf '\000asm\001\000\000\000\001\006\001\140\001\177\001\177\003\002\001\000\007\005\001\001f\000\000\n\011\001\007\000\040\000\101\001\152\013' \
  >"$tmp/inc.wasm"
cat >"$tmp/fib.wat" <<'WAT'
(module
  (func $fib (export "fib") (param $n i64) (result i64)
    (if (result i64) (i64.lt_u (local.get $n) (i64.const 2))
      (then (local.get $n))
      (else (i64.add (call $fib (i64.sub (local.get $n) (i64.const 1)))
                     (call $fib (i64.sub (local.get $n) (i64.const 2))))))))
WAT
"$wrun" compile "$tmp/inc.wasm" -o "$tmp/inc.cwasm" || fail "compile inc.wasm"
"$wrun" compile --interruptible "$tmp/fib.wat" -o "$tmp/fib.cwasm" || fail "compile fib.wat"
[ "$("$wrun" --invoke f "$tmp/inc.wasm" 41 2>&1)" = 42 ] || fail "the test module itself does not run"

# ---- artifacts need --allow-precompiled --------------------------------------
refused_to_run() { # FILE [OPTIONS...]: refused with the one-line message, exit 1, nothing run
  f=$1; shift
  out=$("$wrun" "$@" --invoke f "$f" 41 2>"$tmp/err"); st=$?
  [ $st -eq 1 ] && [ -z "$out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
    grep -q "^$f: refusing to run a precompiled artifact (native code that is not validated); pass --allow-precompiled" \
      "$tmp/err" || { echo "  status $st, out '$out', err: $(cat "$tmp/err")"; return 1; }
}
check "artifact run without the flag" refused_to_run "$tmp/inc.cwasm"
check "artifact run without the flag (run form)" refused_to_run "$tmp/inc.cwasm" run
cp "$tmp/inc.cwasm" "$tmp/renamed.wasm"
check "artifact renamed .wasm run without the flag" refused_to_run "$tmp/renamed.wasm"
cp "$tmp/inc.cwasm" "$tmp/renamed.wat"
check "artifact renamed .wat run without the flag" refused_to_run "$tmp/renamed.wat"
# refused before it is parsed: a damaged artifact gets the same message, not a parse error
head -c 100 "$tmp/inc.cwasm" >"$tmp/short.cwasm"
check "damaged artifact without the flag" refused_to_run "$tmp/short.cwasm"
for f in inc.cwasm renamed.wasm; do
  out=$("$wrun" --allow-precompiled --invoke f "$tmp/$f" 41 2>"$tmp/err")
  check "$f with --allow-precompiled: '$out' $(cat "$tmp/err")" [ "$out" = 42 ]
done
out=$("$wrun" run --allow-precompiled -v --invoke fib "$tmp/fib.cwasm" 20 2>"$tmp/err")
check "run --allow-precompiled fib.cwasm: '$out'" [ "$out" = 6765 ]
check "-v says the code is precompiled" grep -q "running precompiled code" "$tmp/err"

# the manifest's allow-precompiled
printf 'module: inc.cwasm\n' >"$tmp/no.yaml"
out=$("$wrun" --invoke f -c "$tmp/no.yaml" 41 2>"$tmp/err"); st=$?
expect "manifest without allow-precompiled: status $st '$out'" '[ $st -eq 1 ] && grep -q "refusing to run" "$tmp/err"'
printf 'module: inc.cwasm\nallow-precompiled: false\n' >"$tmp/false.yaml"
"$wrun" --invoke f -c "$tmp/false.yaml" 41 >/dev/null 2>&1; st=$?
check "manifest allow-precompiled: false: status $st" [ $st -eq 1 ]
printf 'module: inc.cwasm\nallow-precompiled: true\n' >"$tmp/yes.yaml"
out=$("$wrun" --invoke f -c "$tmp/yes.yaml" 41 2>"$tmp/err")
check "manifest allow-precompiled: true: '$out' $(cat "$tmp/err")" [ "$out" = 42 ]
printf 'module: inc.cwasm\nallow-precompiled: yes please\n' >"$tmp/bad.yaml"
"$wrun" --invoke f -c "$tmp/bad.yaml" 41 >/dev/null 2>"$tmp/err"; st=$?
expect "manifest allow-precompiled with a bad value: status $st" \
  '[ $st -eq 1 ] && grep -q "bad.yaml:2:.*allow-precompiled: expected true or false" "$tmp/err"'

# ---- validate and inspect -----------------------------------------------------
for f in inc.cwasm renamed.wasm; do
  out=$("$wrun" validate "$tmp/$f" 2>"$tmp/err"); st=$?
  expect "validate $f: status $st, out '$out', err $(cat "$tmp/err")" '[ $st -eq 1 ] && [ -z "$out" ] &&
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^$tmp/$f: precompiled artifact (native code .*not validated" "$tmp/err"'
done
"$wrun" validate "$tmp/inc.wasm" "$tmp/inc.cwasm" 2>/dev/null; st=$?
check "validate of a module and an artifact: status $st" [ $st -eq 1 ]
"$wrun" compile "$tmp/inc.cwasm" -o "$tmp/again.cwasm" 2>"$tmp/err"; st=$?
expect "compiling an artifact: status $st" \
  '[ $st -eq 1 ] && [ ! -e "$tmp/again.cwasm" ] && grep -q "precompiled" "$tmp/err"'

"$wrun" inspect "$tmp/renamed.wasm" >"$tmp/out" 2>"$tmp/err"; st=$?
check "inspect artifact: status $st $(cat "$tmp/err")" [ $st -eq 0 ]
check "inspect says first that it is native code, not validated: $(head -1 "$tmp/out")" \
  grep -q "^$tmp/renamed.wasm: compiled artifact: native machine code produced by \`wrun compile\`, NOT validated" "$tmp/out"
expect "the first line of inspect says 'NOT validated'" 'head -1 "$tmp/out" | grep -q "NOT validated"'
version=$("$wrun" --version | sed 's/^wrun //')
hash=$(sha256sum "$tmp/inc.wasm" | cut -d' ' -f1)
for line in "^artifact format: 5$" "^written by: wrun $version$" "^architecture: x86-64$" \
            "^CPU features required: SSE4.1 POPCNT$" "^compile options:\( bounds-checks\)\? optimize$" \
            "^module sha256: $hash (matches the embedded module)$" "^loadable by this wrun on this machine: yes$" \
            "^native code: 1 functions" "^embedded module (decoded, not validated):$" '^  func "f" = 0 (i32) -> (i32)$'; do
  check "inspect lacks '$line'" grep -q "$line" "$tmp/out"
done
"$wrun" inspect "$tmp/fib.cwasm" >"$tmp/out" 2>&1
# (sanitizer builds add explicit bounds checks to all compiled code)
check "inspect shows the options" grep -q "^compile options: interruptible\( bounds-checks\)\? optimize$" "$tmp/out"
# the one-pass compiler is an explicit choice
"$wrun" compile --one-pass "$tmp/inc.wasm" -o "$tmp/inc1.cwasm" && "$wrun" inspect "$tmp/inc1.cwasm" >"$tmp/out" 2>&1
check "inspect shows no optimize with --one-pass" grep -q "^compile options: \(none\|bounds-checks\)$" "$tmp/out"
# another version's artifact: described, marked not loadable
python3 - "$tmp/inc.cwasm" "$tmp/v999.cwasm" <<'PY'
import sys, zlib
b = bytearray(open(sys.argv[1], "rb").read())
b[24:40] = b"9.9.9".ljust(16, b"\0")
b[124:128] = zlib.crc32(bytes(b[:124])).to_bytes(4, "little")
open(sys.argv[2], "wb").write(bytes(b))
PY
"$wrun" inspect "$tmp/v999.cwasm" >"$tmp/out" 2>&1; st=$?
expect "inspect of another version's artifact: status $st" '[ $st -eq 0 ] &&
  grep -q "^written by: wrun 9.9.9$" "$tmp/out" && grep -q "^loadable by this wrun on this machine: no$" "$tmp/out"'
"$wrun" inspect "$tmp/short.cwasm" >/dev/null 2>"$tmp/err"; st=$?
expect "inspect of a truncated artifact: status $st" '[ $st -eq 1 ] && grep -q "truncated" "$tmp/err"'
out=$("$wrun" inspect "$tmp/inc.wasm" 2>&1)
expect "inspect of a module does not call it native code" '[ -n "$out" ] && ! echo "$out" | grep -q "native"'

# ---- the compile cache ----------------------------------------------------------
mode() { stat -c %a "$1"; }
aot() { # CACHE-DIR [-v] ...: run fib 20 through the cache, result checked; stderr in $tmp/err
  d=$1; shift
  out=$(WRUN_CACHE_DIR=$d "$wrun" run --aot "$@" --invoke fib "$tmp/fib.wat" 20 2>"$tmp/err")
  [ "$out" = 6765 ] || { echo "  result '$out': $(cat "$tmp/err")"; return 1; }
}
c1=$tmp/home/.cache/wrun
(umask 022 && aot "$c1" -v) || fail "first cached run"
check "first run writes an entry: $(cat "$tmp/err")" grep -q "cached at $c1/aot-" "$tmp/err"
check "cache dir mode $(mode "$c1"), expected 700" [ "$(mode "$c1")" = 700 ]
check "created parent mode $(mode "$tmp/home/.cache"), expected 700" [ "$(mode "$tmp/home/.cache")" = 700 ]
check "key mode $(mode "$c1/key"), expected 600" [ "$(mode "$c1/key")" = 600 ]
check "key size" [ "$(wc -c <"$c1/key")" -eq 32 ]
entry=$(ls "$c1"/aot-*.cwasm)
expect "one entry, mode 600" '[ "$(echo "$entry" | wc -l)" -eq 1 ] && [ "$(mode "$entry")" = 600 ]'
aot "$c1" -v || fail "second cached run"
check "second run is a hit: $(cat "$tmp/err")" grep -q "loaded from the cache" "$tmp/err"
# modes do not depend on a permissive umask
(umask 000 && aot "$tmp/loose/wrun" -v) || fail "run with umask 000"
expect "umask 000: dir $(mode "$tmp/loose/wrun"), key $(mode "$tmp/loose/wrun/key")" \
  '[ "$(mode "$tmp/loose/wrun")" = 700 ] && [ "$(mode "$tmp/loose/wrun/key")" = 600 ]'
# concurrent first runs agree on one key and leave no temporary files
for k in 1 2 3 4 5 6; do
  WRUN_CACHE_DIR=$tmp/race "$wrun" run --aot --invoke fib "$tmp/fib.wat" 15 >"$tmp/race.$k" 2>&1 &
done
wait
for k in 1 2 3 4 5 6; do check "concurrent run $k: $(cat "$tmp/race.$k")" [ "$(cat "$tmp/race.$k")" = 610 ]; done
expect "concurrent first runs: $(ls "$tmp/race" | tr '\n' ' ')" \
  '[ "$(ls "$tmp/race" | grep -c "\.tmp$")" -eq 0 ] && [ "$(ls "$tmp/race" | grep -vc "^hint-")" -eq 2 ] && [ "$(ls "$tmp/race" | grep -c "^hint-")" -eq 1 ]'
aot "$tmp/race" -v || fail "run after the race"
check "after concurrent first runs the entry authenticates: $(cat "$tmp/err")" grep -q "loaded from the cache" "$tmp/err"
# XDG_CACHE_HOME
(XDG_CACHE_HOME=$tmp/xdg && export XDG_CACHE_HOME && unset WRUN_CACHE_DIR &&
  [ "$("$wrun" run --aot --invoke fib "$tmp/fib.wat" 10)" = 55 ]) || fail "XDG_CACHE_HOME run"
check "XDG_CACHE_HOME/wrun used" [ -f "$tmp/xdg/wrun/key" ]

# unsafe directory or key: one warning, the run goes on uncached, nothing read or written there
refused_cache() { # CACHE-DIR REASON [NAME-IN-MESSAGE]
  n0=$(ls "$1" 2>/dev/null | wc -l)
  aot "$1" -v || return 1
  grep -qF "wrun: warning: compile cache ${3:-$1} not used: $2; running without it" "$tmp/err" &&
    ! grep -q "loaded from the cache\|cached at" "$tmp/err" && grep -q "compiled 1 functions" "$tmp/err" &&
    [ "$(ls "$1" 2>/dev/null | wc -l)" -eq "$n0" ] || { echo "  err: $(cat "$tmp/err")"; return 1; }
  aot "$1" || return 1 # without -v: the warning still shows, once
  [ "$(grep -c "warning: compile cache" "$tmp/err")" -eq 1 ] || { echo "  err: $(cat "$tmp/err")"; return 1; }
}
chmod 770 "$c1"
check "group-writable cache dir" refused_cache "$c1" "it is writable by others (mode 770; chmod 700 it)"
chmod 707 "$c1"
check "world-writable cache dir" refused_cache "$c1" "it is writable by others (mode 707; chmod 700 it)"
chmod 700 "$c1"
ln -s "$c1" "$tmp/link"
check "symlinked cache dir" refused_cache "$tmp/link" "it is a symbolic link"
check "symlinked cache dir with a trailing slash" refused_cache "$tmp/link/" "it is a symbolic link" "$tmp/link"
chmod 644 "$c1/key"
check "key mode 644" refused_cache "$c1" "its key has mode 0644, not 0600"
chmod 600 "$c1/key"
mv "$c1/key" "$tmp/key.real" && ln -s "$tmp/key.real" "$c1/key"
check "symlinked key" refused_cache "$c1" "cannot open its key (a symbolic link)"
rm "$c1/key" && mv "$tmp/key.real" "$c1/key"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
  chown nobody "$c1"
  check "cache dir owned by nobody" refused_cache "$c1" "it is owned by uid $(id -u nobody), not by you (uid 0)"
  chown root "$c1"
  chown nobody "$c1/key"
  check "key owned by nobody" refused_cache "$c1" "its key is owned by uid $(id -u nobody), not by you (uid 0)"
  chown root "$c1/key"
elif [ "$(stat -c %u /)" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  # not root: cannot chown, but / is a directory owned by someone else
  check "cache dir owned by root" refused_cache / "it is owned by uid 0, not by you (uid $(id -u))"
  skip "a key owned by another user needs root (chown)"
else
  skip "foreign-owned cache directory and key: needs root (chown) or a root-owned /"
fi
aot "$c1" -v && grep -q "loaded from the cache" "$tmp/err" || fail "the cache is used again once fixed: $(cat "$tmp/err")"

# entries: anything not authenticated is recompiled, never run
recompiled() { # the run compiled afresh after refusing the entry, with the right result
  aot "$c1" -v || return 1
  grep -q "cache entry $entry not used: $1" "$tmp/err" && grep -q "compiled 1 functions" "$tmp/err" &&
    ! grep -q "loaded from the cache" "$tmp/err" || { echo "  err: $(cat "$tmp/err")"; return 1; }
  # and the rewritten entry is good again
  aot "$c1" -v && grep -q "loaded from the cache" "$tmp/err" || { echo "  not rewritten: $(cat "$tmp/err")"; return 1; }
}
# (1) native code altered and every CRC recomputed: a well-formed artifact that
# the CRCs cannot tell from the real one, so only the tag catches it
python3 - "$entry" "$tmp/altered.cwasm" <<'PY'
import struct, sys, zlib
entry = open(sys.argv[1], "rb").read()
art, tag = entry[:-32], entry[-32:]
secs = []
for k in range(2):
    off, clen, size, crc = struct.unpack_from("<QIII", art, 80 + 24 * k)
    raw = clen == size                   # format 4 on: small sections are stored raw
    data = bytearray(art[off:off + clen] if raw else zlib.decompress(art[off:off + clen]))
    assert len(data) == size and zlib.crc32(data) == crc
    secs.append((data, raw))
nf, csize = struct.unpack_from("<II", secs[1][0], 0)
secs[1][0][8 + 8 * nf + csize - 1] ^= 0xFF  # the last byte of native code (the code maps follow it)
hdr, body, at = bytearray(art[:128]), b"", 128
for k, (data, raw) in enumerate(secs):
    c = bytes(data) if raw else zlib.compress(bytes(data), 6)
    struct.pack_into("<QIII", hdr, 80 + 24 * k, at, len(c), len(data), zlib.crc32(data))
    body += c
    at += len(c)
struct.pack_into("<I", hdr, 124, zlib.crc32(bytes(hdr[:124])))
open(sys.argv[2], "wb").write(bytes(hdr) + body)   # the altered artifact alone
open(sys.argv[1], "wb").write(bytes(hdr) + body + tag)
PY
"$wrun" inspect "$tmp/altered.cwasm" >"$tmp/out" 2>&1
check "the altered artifact passes every CRC: $(cat "$tmp/out")" grep -q "section checksums match" "$tmp/out"
check "altered entry with CRCs recomputed" recompiled "it fails authentication"
# (2) one flipped bit in the tag
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-1] ^= 1; open(sys.argv[1], "wb").write(b)' "$entry"
check "flipped tag bit" recompiled "it fails authentication"
# (3) replaced by another module's entry (authentic, but for another name)
printf '(module (func (export "fib") (param i64) (result i64) (i64.const 7)))\n' >"$tmp/other.wat"
WRUN_CACHE_DIR=$c1 "$wrun" run --aot --invoke fib "$tmp/other.wat" 1 >/dev/null || fail "other module"
other=$(ls "$c1"/aot-*.cwasm | grep -v "^$entry$")
check "the other module has its own entry" [ -f "$other" ]
cp "$other" "$entry"
check "entry replaced by another module's" recompiled "it fails authentication"
# (4) written under another user's key: a perfectly good entry for this very
# module, from another cache directory with its own key
c2=$tmp/second
aot "$c2" || fail "second cache"
expect "the two caches have different keys" '! cmp -s "$c1/key" "$c2/key"'
check "the same entry name in both" [ -f "$c2/$(basename "$entry")" ]
cp "$c2/$(basename "$entry")" "$entry"
check "entry made under another key" recompiled "it fails authentication"
# (5) a symlink in place of the entry
mv "$entry" "$tmp/entry.real" && ln -s "$tmp/entry.real" "$entry"
check "symlinked entry" recompiled "a symbolic link"
# (6) a rebuilt wrun (another build id; here: this binary with its build-id note changed)
cp "$wrun" "$tmp/wrun2" && chmod +x "$tmp/wrun2"
python3 - "$tmp/wrun2" <<'PY' || fail "could not find the build-id note in $wrun"
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
note = struct.pack("<III", 4, 20, 3) + b"GNU\0"      # namesz, descsz, NT_GNU_BUILD_ID, "GNU"
at = b.find(note)
assert at >= 0 and b.find(note, at + 1) < 0, "build-id note not found exactly once"
b[at + len(note)] ^= 0xFF
open(sys.argv[1], "wb").write(bytes(b))
PY
out=$(WRUN_CACHE_DIR=$c1 "$tmp/wrun2" run --aot -v --invoke fib "$tmp/fib.wat" 20 2>"$tmp/err")
expect "rebuilt wrun: '$out' $(cat "$tmp/err")" '[ "$out" = 6765 ] && grep -q "compiled 1 functions" "$tmp/err" &&
  ! grep -q "loaded from the cache" "$tmp/err"'
entry2=$(sed -n 's/^wrun: cached at //p' "$tmp/err")
expect "rebuilt wrun writes under another name" '[ -f "$entry2" ] && [ "$entry2" != "$entry" ]'
# its entry at this build's name is refused: the build id is inside the tag too
cp "$entry2" "$entry"
check "entry written by another build" recompiled "it fails authentication"

# ---- no usable HOME: no cache, nothing created, no warning ----------------------
for h in unset "$tmp/nohome" "$tmp/inc.wasm"; do
  if [ "$h" = unset ]; then
    out=$(env -u HOME "$wrun" run --aot -v --invoke fib "$tmp/fib.wat" 20 2>"$tmp/err")
  else
    out=$(HOME=$h "$wrun" run --aot -v --invoke fib "$tmp/fib.wat" 20 2>"$tmp/err")
  fi
  expect "HOME $h: '$out' $(cat "$tmp/err")" '[ "$out" = 6765 ] && ! grep -q "cache\|warning" "$tmp/err"'
done
check "nothing created for a missing HOME" [ ! -e "$tmp/nohome" ]
out=$(HOME=$tmp/home "$wrun" run --aot -v --invoke fib "$tmp/fib.wat" 20 2>"$tmp/err")
check "HOME/.cache/wrun used when HOME is a directory: $(cat "$tmp/err")" grep -q "loaded from the cache: $c1/" "$tmp/err"

echo "trust: $passes passed, $fails failed, $skips skipped"
[ $fails -ne 0 ] && exit 1
[ $skips -ne 0 ] && exit 77
exit 0
