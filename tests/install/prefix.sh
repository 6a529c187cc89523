#!/bin/sh
# Installs the build into a temporary prefix and builds examples/call_export.c
# against that prefix three ways: with pkg-config and libwrun.so, statically
# against libwrun.a, and as a CMake project using find_package(wrun). Each
# program must call fib in examples/fib.wasm and print the right answer. Then
# builds every other example host and tests/capi/standard_host.c (written
# against the standard C API's documentation only) with pkg-config and runs
# each, checking its output. Also checks that libwrun.so has a versioned
# SONAME and exports exactly the functions include/wasm.h and include/wrun.h
# declare (cmake/exports.sh), nothing of the engine's internals.
#   sh prefix.sh BUILD_DIR SOURCE_DIR CC [EXTRA_CFLAGS]
set -u
build=$1
src=$2
cc=$3
cflags=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
for tool in pkg-config nm readelf cmake; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
p=$tmp/prefix
for f in bin/wrun include/wasm.h include/wrun.h lib/libwrun.a lib/pkgconfig/wrun.pc lib/cmake/wrun/wrunConfig.cmake; do
  [ -e "$p/$f" ] || fail "not installed: $f"
done

# libwrun.so -> libwrun.so.0 -> libwrun.so.0.X.Y, SONAME libwrun.so.0
so=$(readlink -f "$p/lib/libwrun.so")
case "$so" in */libwrun.so.[0-9]*.[0-9]*.[0-9]*) ;; *) fail "libwrun.so does not lead to a versioned file: $so";; esac
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] && [ -e "$p/lib/$soname" ] || fail "SONAME '$soname' is not installed beside the library"

# exports = the functions the installed wasm.h and wrun.h declare
sh "$src/cmake/exports.sh" "$cc" "$p/include" >"$tmp/declared" || fail "cmake/exports.sh on the installed headers"
nm -D --defined-only "$so" | awk '$2 ~ /^[B-Z]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
[ "$(wc -l <"$tmp/declared")" -gt 280 ] || fail "found too few declarations in wasm.h and wrun.h"
diff "$tmp/declared" "$tmp/exported" >"$tmp/diff" || { fail "exports differ from wrun.h (< declared only, > exported only):"; cat "$tmp/diff"; }

wasm=$src/examples/fib.wasm
check() { # NAME PROGRAM: the program must print fib(50) and pass errors through
  out=$("$2" "$wasm" fib 50 2>"$tmp/err"); st=$?
  [ $st -eq 0 ] && [ "$out" = "12586269025" ] || fail "$1: status $st, '$out' $(cat "$tmp/err")"
  "$2" "$wasm" nosuch 2>"$tmp/err"; st=$?
  [ $st -eq 1 ] && grep -q "no exported function 'nosuch'" "$tmp/err" || fail "$1: missing export: status $st"
  printf '\0asm\2\0\0\0' >"$tmp/bad.wasm"
  "$2" "$tmp/bad.wasm" fib 1 2>"$tmp/err"; st=$?
  [ $st -eq 1 ] && grep -q "version" "$tmp/err" || fail "$1: bad module: status $st $(cat "$tmp/err")"
}

# 1. pkg-config, shared
export PKG_CONFIG_PATH="$p/lib/pkgconfig"
if $cc $cflags -o "$tmp/host_pc" "$src/examples/call_export.c" $(pkg-config --cflags --libs wrun) \
     -Wl,-rpath,"$p/lib" 2>"$tmp/cc.log"; then
  readelf -d "$tmp/host_pc" | grep -q "NEEDED.*\[$soname\]" || fail "pkg-config host does not load $soname"
  check pkg-config "$tmp/host_pc"
else
  cat "$tmp/cc.log"; fail "pkg-config build"
fi

# 2. static, libwrun.a with pkg-config's Libs.private
priv=$(pkg-config --static --libs-only-l wrun | sed 's/-lwrun//')
if $cc $cflags -o "$tmp/host_static" "$src/examples/call_export.c" $(pkg-config --cflags wrun) \
     "$p/lib/libwrun.a" $priv 2>"$tmp/cc.log"; then
  readelf -d "$tmp/host_static" | grep -q "NEEDED.*libwrun" && fail "static host still needs libwrun.so"
  check static "$tmp/host_static"
else
  cat "$tmp/cc.log"; fail "static build"
fi

# 3. CMake, find_package(wrun)
if cmake -S "$src/examples/cmake" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$p" -DCMAKE_C_COMPILER="$cc" \
     -DCMAKE_C_FLAGS="$cflags" -DCMAKE_EXE_LINKER_FLAGS="$cflags" >"$tmp/cm.log" 2>&1 &&
   cmake --build "$tmp/cm" >>"$tmp/cm.log" 2>&1; then
  check cmake "$tmp/cm/call_export"
  readelf -d "$tmp/cm/call_export_static" | grep -q "NEEDED.*libwrun" && fail "wrun::wrun_static host needs libwrun.so"
  check cmake-static "$tmp/cm/call_export_static"
else
  cat "$tmp/cm.log"; fail "find_package build"
fi

# 4. the other example hosts and the standard-API-only host, with pkg-config
ex=$src/examples
build_host() { # NAME SOURCE: builds $tmp/NAME against the installed prefix
  $cc $cflags -std=c11 -Wall -Wextra -Werror -o "$tmp/$1" "$2" -I"$ex" $(pkg-config --cflags --libs wrun) \
    -lpthread -Wl,-rpath,"$p/lib" 2>"$tmp/cc.log" || { cat "$tmp/cc.log"; fail "build $1"; return 1; }
}
expect() { # NAME PATTERN FILE: FILE must contain a line matching PATTERN
  grep -qx "$2" "$3" || { fail "$1: no line '$2' in:"; cat "$3"; }
}
if build_host standard_host "$src/tests/capi/standard_host.c"; then
  "$tmp/standard_host" "$src/tests/capi/standard.wasm" >"$tmp/out" 2>&1 || { fail "standard_host"; cat "$tmp/out"; }
fi
if build_host host_funcs "$ex/host_funcs.c"; then
  "$tmp/host_funcs" "$ex/host_funcs.wasm" 5 >"$tmp/out" 2>&1 || fail "host_funcs: status $?"
  expect host_funcs "log 4" "$tmp/out"; expect host_funcs "total 10" "$tmp/out"
  expect host_funcs "finalized: 5 calls" "$tmp/out"
fi
if build_host memory "$ex/memory.c"; then
  "$tmp/memory" "$ex/memory.wasm" >"$tmp/out" 2>&1 || { fail "memory: status $?"; cat "$tmp/out"; }
  [ "$(grep -c '^ok:' "$tmp/out")" -eq 7 ] || { fail "memory: not 7 checks"; cat "$tmp/out"; }
fi
if build_host trap "$ex/trap.c"; then
  "$tmp/trap" "$ex/trap.wasm" >"$tmp/out" 2>&1 || { fail "trap: status $?"; cat "$tmp/out"; }
  expect trap "trap: integer divide by zero (cause 1)" "$tmp/out"
  expect trap "  #2 func 2 at module offset 0x[0-9a-f]*" "$tmp/out"
fi
if build_host udf "$ex/udf.c"; then
  "$tmp/udf" "$ex/udf.wasm" 1000000 >"$tmp/out" 2>&1 || { fail "udf: status $?"; cat "$tmp/out"; }
  expect udf "1000000 calls, 0 wrong results, .* ns per call" "$tmp/out"
fi
if build_host plugins "$ex/plugins.c"; then
  "$tmp/plugins" 21 "$ex"/plugins/*.wasm "$ex/plugins/missing.wasm" >"$tmp/out" 2>&1 || fail "plugins: status $?"
  expect plugins "double.wasm: result 43" "$tmp/out"; expect plugins "square.wasm: result 441" "$tmp/out"
  expect plugins "spin.wasm: stopped: out of fuel (all fuel consumed)" "$tmp/out"
  expect plugins "crash.wasm: stopped: trapped (out of bounds memory access)" "$tmp/out"
  expect plugins "hog.wasm: result -1" "$tmp/out"; expect plugins "missing.wasm: rejected: cannot read it" "$tmp/out"
fi
if build_host wasi_run "$ex/wasi_run.c"; then
  mkdir "$tmp/data" && printf 'embedded\n' >"$tmp/data/input.txt"
  "$tmp/wasi_run" "$ex/wasi_app.wasm" "$tmp/data" "$tmp/guest.out" 7 >"$tmp/out" 2>&1 || { fail "wasi_run: status $?"; cat "$tmp/out"; }
  expect wasi_run "exit status 7" "$tmp/out"
  for l in "arg 0: app" "arg 1: 7" "GREETING=hello from the host" "EMBEDDED" "write to /data: refused"; do
    expect wasi_run "$l" "$tmp/guest.out"
  done
  [ ! -e "$tmp/data/output.txt" ] || fail "wasi_run: the guest wrote into a read-only preopen"
  "$tmp/wasi_run" "$ex/wasi_app.wasm" "$tmp/nonexistent" "$tmp/guest.out" 0 >"$tmp/out" 2>&1 && fail "wasi_run: a missing preopen was accepted"
  grep -q "nonexistent" "$tmp/out" || { fail "wasi_run: missing preopen not named"; cat "$tmp/out"; }
fi
if build_host component_call "$ex/component_call.c"; then
  comp=$src/tests/component
  "$tmp/component_call" "$comp/inst-host.wasm" run 3 >"$tmp/out" 2>&1 || { fail "component_call: status $?"; cat "$tmp/out"; }
  expect component_call "import test:demo/math@0.1.0#mul: func(a: u32, b: u32) -> u32" "$tmp/out"
  expect component_call 'log "hello from core"' "$tmp/out"; expect component_call "result: 45" "$tmp/out"
  "$tmp/component_call" "$comp/abi.wasm" id-tup '(1, "a", 2)' >"$tmp/out" 2>&1 || { fail "component_call: tuple"; cat "$tmp/out"; }
  expect component_call 'result: (1, "a", 2)' "$tmp/out"
  "$tmp/component_call" "$comp/wasi-cli.wasm" --run k 7 >"$tmp/out" 2>&1 || { fail "component_call: run"; cat "$tmp/out"; }
  expect component_call "exit code 7" "$tmp/out"
  "$tmp/component_call" "$comp/inst-host.wasm" run 4000000000 >"$tmp/out" 2>&1 && fail "component_call: a host trap was not reported"
  expect component_call ".*: mul: overflow" "$tmp/out"
  "$tmp/component_call" "$comp/abi.wasm" id-s8 300 >"$tmp/out" 2>&1 && fail "component_call: a bad argument was accepted"
  expect component_call ".*: argument 1 (a): 1:1: 300 is out of range for s8" "$tmp/out"
fi

[ $fails -eq 0 ] && echo "ok" || exit 1
