#!/bin/sh
# Compiled components (docs/components.md, "Compiled components"): `wrun
# compile comp.wasm` writes one artifact holding the component and the native
# code of each of its core modules; it runs only with --allow-precompiled
# (exit 1 and one line otherwise), like the component itself (--invoke, the
# wasi:cli/run command, traps, --timeout, exit codes); validate refuses it,
# inspect describes it; truncated, damaged, tampered (checksums recomputed)
# and wrong-kind artifacts are one-line errors with exit 1, never a crash;
# `run --aot` compiles and caches each core module, and the second run loads
# every one from the cache.
#   sh component_artifact.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0 skips=0
expect() { if eval "$2"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $1"; fi; }
export WRUN_CACHE_DIR="$tmp/cache"

# compile: one artifact per component, with the component magic
"$wrun" compile -v "$dir/inst.wasm" -o "$tmp/inst.cwasm" 2>"$tmp/err"; st=$?
expect "compile a component: exit 0" '[ $st -eq 0 ] && [ -s "$tmp/inst.cwasm" ]'
expect "compile -v counts its core modules" 'grep -q "compiled a component.s 2 core modules" "$tmp/err"'
expect "the artifact has the component magic" '[ "$(head -c 8 "$tmp/inst.cwasm" | od -An -c | tr -d " ")" = "\\0wrunaoc" ]'
"$wrun" compile "$dir/inst-nested.wasm" -o "$tmp/nested.cwasm" && \
"$wrun" compile "$dir/wasi-cli.wasm" -o "$tmp/cli.cwasm" && \
"$wrun" compile --interruptible "$dir/wasi-cli.wasm" -o "$tmp/cli-int.cwasm" && \
"$wrun" compile "$dir/inst-resource.wasm" -o "$tmp/res.cwasm"
expect "compile nested, command and resource components" '[ $? -eq 0 ]'
cp "$dir/types.wasm" "$tmp/types.wasm"
"$wrun" compile "$tmp/types.wasm" 2>&1; st=$?
expect "compile a component with no core modules, default name" '[ $st -eq 0 ] && [ -s "$tmp/types.cwasm" ]'

# the trust rule: refused without --allow-precompiled
"$wrun" --invoke add "$tmp/inst.cwasm" 40 2 >"$tmp/out" 2>&1; st=$?
expect "refused without --allow-precompiled" '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "$tmp/inst.cwasm: refusing to run a precompiled artifact (native code that is not validated); pass --allow-precompiled if you trust it" ]'
"$wrun" "$tmp/cli.cwasm" hello >"$tmp/out" 2>&1; st=$?
expect "a compiled command is refused too" '[ $st -eq 1 ] && grep -q "refusing to run a precompiled artifact" "$tmp/out" && [ $(wc -l <"$tmp/out") -eq 1 ]'

# runs like the component
P="--allow-precompiled"
out=$("$wrun" $P -v --invoke add "$tmp/inst.cwasm" 40 2 2>"$tmp/err")
expect "invoke add from the artifact" '[ "$out" = 42 ]'
expect "-v: precompiled code, aot tier" 'grep -q "running precompiled code from" "$tmp/err" && grep -q "tier: aot for the component.s 2 core modules" "$tmp/err"'
expect "-v: nothing compiled" '! grep -q "compiled [0-9]* functions" "$tmp/err"'
out=$("$wrun" $P --invoke echo16 "$tmp/inst.cwasm" '"hé☃ x"' 2>&1)
expect "utf16 round trip from the artifact" '[ "$out" = "\"hé☃ x\"" ]'
out=$("$wrun" $P --invoke dot "$tmp/inst.cwasm" '[{x: 2, y: 3}, {x: 4, y: 5}]' 2>&1)
expect "list of records from the artifact" '[ "$out" = 26 ]'
out=$("$wrun" run $P --invoke greet "$tmp/nested.cwasm" '"wasm"' 2>&1)
expect "component-to-component call from the artifact" '[ "$out" = "\"Wasm\"" ]'
"$wrun" $P --invoke bad-utf8 "$tmp/inst.cwasm" >"$tmp/out" 2>&1; st=$?
expect "a trap in lifting: 134" '[ $st -eq 134 ] && grep -qx "$tmp/inst.cwasm: wasm trap: invalid UTF-8 in string at 0x20" "$tmp/out"'
out=$("$wrun" $P "$tmp/cli.cwasm" hello 2>&1); st=$?
expect "a compiled wasi:cli command runs" '[ $st -eq 0 ] && [ "$out" = hello ]'
out=$("$wrun" $P "$tmp/cli.cwasm" args "x y" z 2>&1); st=$?
expect "its arguments" '[ $st -eq 0 ] && [ "$out" = "$(printf "%s\nargs\nx y\nz" "$tmp/cli.cwasm")" ] || { echo "$out" | head -5; false; }'
"$wrun" $P "$tmp/cli.cwasm" k 42 >"$tmp/out" 2>&1; st=$?
expect "its exit code" '[ $st -eq 42 ]'
"$wrun" $P "$tmp/cli.cwasm" unreachable >"$tmp/out" 2>&1; st=$?
expect "a trap in a compiled command: 134" '[ $st -eq 134 ] && grep -q "wasm trap: unreachable" "$tmp/out"'
"$wrun" $P --timeout 1s "$tmp/cli.cwasm" loop >"$tmp/out" 2>&1; st=$?
expect "--timeout needs --interruptible code" '[ $st -eq 1 ] && grep -q "recompile with .wrun compile --interruptible." "$tmp/out"'
"$wrun" $P --timeout 1s "$tmp/cli-int.cwasm" loop >"$tmp/out" 2>&1; st=$?
expect "--timeout ends an --interruptible compiled command: 134" '[ $st -eq 134 ] && grep -q "wall-clock timeout" "$tmp/out"'
"$wrun" $P --fuel 1000 "$tmp/cli.cwasm" loop >"$tmp/out" 2>&1; st=$?
expect "--fuel with compiled code: usage error" '[ $st -eq 2 ] && grep -q "fuel is not supported" "$tmp/out"'
out=$("$wrun" $P --invoke '[constructor]r' "$tmp/res.cwasm" 5 2>&1); st=$?
expect "a resource constructor from the artifact" '[ $st -eq 0 ] && [ "$out" = "own<r>#5" ]'
"$wrun" $P "$tmp/types.cwasm" >"$tmp/out" 2>&1; st=$?
expect "nothing to run: one line, exit 1" '[ $st -eq 1 ] && grep -qx "$tmp/types.cwasm: a component with no wasi:cli/run export: nothing to run without --invoke" "$tmp/out"'

# validate and compile refuse it; inspect describes it
"$wrun" validate "$tmp/inst.cwasm" >"$tmp/out" 2>&1; st=$?
expect "validate: not validated, exit 1" '[ $st -eq 1 ] && [ "$(cat "$tmp/out")" = "$tmp/inst.cwasm: precompiled component artifact (native code from \`wrun compile\`), not a WebAssembly module or component: not validated" ]'
"$wrun" compile "$tmp/inst.cwasm" -o "$tmp/again.cwasm" >"$tmp/out" 2>&1; st=$?
expect "compile refuses an artifact" '[ $st -eq 1 ] && [ ! -e "$tmp/again.cwasm" ] && grep -q "precompiled component artifact" "$tmp/out"'
"$wrun" inspect "$tmp/inst.cwasm" >"$tmp/out" 2>&1; st=$?
expect "inspect: exit 0" '[ $st -eq 0 ]'
expect "inspect says native code, not validated" 'head -1 "$tmp/out" | grep -qx "$tmp/inst.cwasm: compiled component artifact: native machine code produced by \`wrun compile\`, NOT validated as WebAssembly"'
expect "inspect: the component hash matches" 'grep -q "^component sha256: $(sha256sum "$dir/inst.wasm" | cut -c1-64) (matches the embedded component)$" "$tmp/out"'
expect "inspect: code per core module" 'grep -q "^native code: 2 core modules, 16 functions, " "$tmp/out"'
expect "inspect: loadable" 'grep -qx "loadable by this wrun on this machine: yes" "$tmp/out"'
"$wrun" inspect "$dir/inst.wasm" | sed -n '/^core modules:/,$p' >"$tmp/plain"
sed -n '/^core modules:/,$p' "$tmp/out" >"$tmp/embedded"
expect "inspect: the embedded component as for the .wasm" 'cmp -s "$tmp/plain" "$tmp/embedded"'
"$wrun" inspect "$tmp/cli-int.cwasm" >"$tmp/out" 2>&1
expect "inspect: --interruptible recorded" 'grep -q "^compile options: interruptible" "$tmp/out"'

# damaged: every truncation and a flipped byte in every region is one line
size=$(wc -c <"$tmp/cli.cwasm")
bad_ok() { # FILE: exit 1, one line naming the file, never a crash
  "$wrun" $P --invoke x "$1" >"$tmp/out" 2>&1; st=$?
  [ $st -eq 1 ] && [ $(wc -l <"$tmp/out") -eq 1 ] && grep -q "^$1:" "$tmp/out"
}
for cut in 0 8 64 127 128 140 160 200 400 $((size / 2)) $((size - 1)); do
  head -c $cut "$tmp/cli.cwasm" >"$tmp/cut.cwasm"
  expect "truncated at $cut: one line, exit 1" 'bad_ok "$tmp/cut.cwasm" || cat "$tmp/out"'
done
expect "truncation says so" 'head -c 300 "$tmp/cli.cwasm" >"$tmp/cut.cwasm"; bad_ok "$tmp/cut.cwasm" && grep -q "malformed: invalid compiled artifact: .*truncated" "$tmp/out"'
for off in 9 30 45 72 90 110 130 150 170 $((size / 3)) $((size / 2)) $((size - 2)); do
  cp "$tmp/cli.cwasm" "$tmp/flip.cwasm"
  printf '\125' | dd of="$tmp/flip.cwasm" bs=1 seek=$off conv=notrunc 2>/dev/null
  cmp -s "$tmp/flip.cwasm" "$tmp/cli.cwasm" && printf '\252' | dd of="$tmp/flip.cwasm" bs=1 seek=$off conv=notrunc 2>/dev/null
  expect "byte $off changed: one line, exit 1" 'bad_ok "$tmp/flip.cwasm" || cat "$tmp/out"'
done

# tampered with the checksums recomputed, and the wrong kind: caught by the
# hashes and the structure, still one line
if command -v python3 >/dev/null 2>&1; then
  tamper() { python3 - "$@" <<'PY'
import sys, zlib, struct
mode, src, dst = sys.argv[1:4]
b = bytearray(open(src, 'rb').read())
def seal():
    b[124:128] = struct.pack('<I', zlib.crc32(bytes(b[:124])))
    if b[7:8] == b'c':
        n = struct.unpack_from('<I', b, 72)[0]
        t = 128 + 24 * n
        b[t:t + 4] = struct.pack('<I', zlib.crc32(bytes(b[128:t])))
if mode == 'swap':      # module 0 given module 1's code
    b[128:152], b[152:176] = b[152:176], b[128:152]
elif mode == 'count':   # one core module fewer
    n = struct.unpack_from('<I', b, 72)[0]
    b[72:76] = struct.pack('<I', n - 1)
    del b[128 + 24 * (n - 1):128 + 24 * n]
    for k in range(n - 1):  # the sections moved 24 bytes closer
        off = struct.unpack_from('<Q', b, 128 + 24 * k)[0]
        struct.pack_into('<Q', b, 128 + 24 * k, off - 24)
    off = struct.unpack_from('<Q', b, 80)[0]
    struct.pack_into('<Q', b, 80, off - 24)
elif mode == 'tocore':  # a component artifact relabelled as a core one
    b[7:8] = b't'
elif mode == 'tocomp':  # a core artifact relabelled as a component one
    b[7:8] = b'c'
elif mode == 'component': # another component's bytes (a core module's code changed)
    sec = struct.unpack_from('<QIII', b, 80)
    raw = sec[1] == sec[2]  # format 4: small sections are stored raw
    data = bytearray(b[sec[0]:sec[0] + sec[1]] if raw else zlib.decompress(bytes(b[sec[0]:sec[0] + sec[1]])))
    at = data.find(bytes.fromhex('418008'))  # core module 0's first global, i32.const 1024
    assert at > 0
    data[at + 1] ^= 1                        # now 1025: still valid, another module
    z = bytes(data) if raw else zlib.compress(bytes(data))
    b[sec[0]:sec[0] + sec[1]] = z
    delta = len(z) - sec[1]
    struct.pack_into('<QIII', b, 80, sec[0], len(z), len(data), zlib.crc32(bytes(data)))
    n = struct.unpack_from('<I', b, 72)[0]
    for k in range(n):
        off = struct.unpack_from('<Q', b, 128 + 24 * k)[0]
        if off > sec[0]:
            struct.pack_into('<Q', b, 128 + 24 * k, off + delta)
seal()
open(dst, 'wb').write(bytes(b))
PY
  }
  tamper swap "$tmp/inst.cwasm" "$tmp/t.cwasm"
  expect "code swapped between core modules" 'bad_ok "$tmp/t.cwasm" && grep -q "code section compiled from another core module" "$tmp/out"'
  tamper count "$tmp/inst.cwasm" "$tmp/t.cwasm"
  expect "code for fewer core modules" 'bad_ok "$tmp/t.cwasm" && grep -q "code for 1 core modules, the component has 2" "$tmp/out"'
  tamper component "$tmp/inst.cwasm" "$tmp/t.cwasm"
  expect "another component under the code" 'bad_ok "$tmp/t.cwasm" && grep -q "code section compiled from another core module" "$tmp/out"'
  tamper tocore "$tmp/inst.cwasm" "$tmp/t.cwasm"
  expect "a component artifact labelled core" 'bad_ok "$tmp/t.cwasm" || cat "$tmp/out"'
  printf '(module (func (export "f") (result i32) i32.const 7))' >"$tmp/m.wat"
  "$wrun" compile "$tmp/m.wat" -o "$tmp/m.cwasm"
  tamper tocomp "$tmp/m.cwasm" "$tmp/t.cwasm"
  expect "a core artifact labelled component" 'bad_ok "$tmp/t.cwasm" || cat "$tmp/out"'
else
  echo "SKIP: tampering checks need python3"; skips=$((skips + 5))
fi

# the compile cache serves components, one entry per core module
"$wrun" run --aot -v --invoke add "$dir/inst.wasm" 40 2 >"$tmp/out" 2>"$tmp/err"
expect "first --aot run compiles and caches both core modules" '[ "$(cat "$tmp/out")" = 42 ] && [ $(grep -c "cached at" "$tmp/err") -eq 2 ]'
"$wrun" run --aot -v --invoke add "$dir/inst.wasm" 40 2 >"$tmp/out" 2>"$tmp/err"
expect "second --aot run loads both from the cache" '[ "$(cat "$tmp/out")" = 42 ] && [ $(grep -c "loaded from the cache" "$tmp/err") -eq 2 ] && ! grep -q "compiled [0-9]* functions" "$tmp/err"'
for e in "$tmp/cache"/aot-*.cwasm; do # one bit of byte 200 flipped (whatever the byte was)
  b=$(od -An -tu1 -j200 -N1 "$e" | tr -d ' ')
  printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$e" bs=1 seek=200 conv=notrunc 2>/dev/null
done
"$wrun" run --aot -v --invoke add "$dir/inst.wasm" 40 2 >"$tmp/out" 2>"$tmp/err"
expect "altered cache entries are not trusted: recompiled" '[ "$(cat "$tmp/out")" = 42 ] && [ $(grep -c "fails authentication" "$tmp/err") -eq 2 ] && [ $(grep -c "compiled [0-9]* functions" "$tmp/err") -eq 2 ]'
rm -rf "$tmp/cache"
"$wrun" run --aot --no-cache --invoke add "$dir/inst.wasm" 1 2 >/dev/null 2>&1
expect "--no-cache writes nothing" '[ ! -d "$tmp/cache" ]'

echo "component_artifact.sh: $passes passed, $fails failed, $skips skipped"
[ $fails -eq 0 ]
