#!/bin/sh
# Installs the build into a temporary prefix and builds examples/call_export.c
# against that prefix three ways: with pkg-config and libwrun.so, statically
# against libwrun.a, and as a CMake project using find_package(wrun). Each
# program must call fib in examples/fib.wasm and print the right answer. Also
# checks that libwrun.so has a versioned SONAME and exports exactly the
# functions include/wrun.h declares, nothing of the engine's internals.
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
for f in bin/wrun include/wrun.h lib/libwrun.a lib/pkgconfig/wrun.pc lib/cmake/wrun/wrunConfig.cmake; do
  [ -e "$p/$f" ] || fail "not installed: $f"
done

# libwrun.so -> libwrun.so.0 -> libwrun.so.0.X.Y, SONAME libwrun.so.0
so=$(readlink -f "$p/lib/libwrun.so")
case "$so" in */libwrun.so.[0-9]*.[0-9]*.[0-9]*) ;; *) fail "libwrun.so does not lead to a versioned file: $so";; esac
soname=$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] && [ -e "$p/lib/$soname" ] || fail "SONAME '$soname' is not installed beside the library"

# exports = the functions declared in the installed wrun.h (declarations start at column 0)
sed -nE 's/^[A-Za-z_][A-Za-z0-9_ *]*[ *](wrun_[a-z0-9_]+)\(.*/\1/p' "$p/include/wrun.h" | sort -u >"$tmp/declared"
nm -D --defined-only "$so" | awk '$2 ~ /^[B-Z]$/ { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
[ -s "$tmp/declared" ] || fail "found no declarations in wrun.h"
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

[ $fails -eq 0 ] && echo "ok" || exit 1
