#!/bin/sh
# exports.sh — prints the functions the public headers declare (wasm.h and
# wrun.h), one name a line, sorted: the symbols libwrun.so exports. Read from
# the preprocessed headers, so declarations made by wasm.h's macros count;
# static inline helpers (not library symbols) and calls inside them do not.
# Used by cmake/libwrun.cmake (the linker version script) and by
# tests/install/prefix.sh (nm -D of the installed library must match).
#   sh exports.sh CC INCLUDE_DIR
set -eu
"$1" -E -P -xc -I"$2" - <<'H' | tr ';{}' '\n\n\n' |
#include "wasm.h"
#include "wrun.h"
H
  sed -nE 's/^[[:space:]]+//; /^(static|return|typedef)/d;
           s/^[A-Za-z_][A-Za-z0-9_ ]*[ *]+((wasm|wrun)_[a-z0-9_]+)[[:space:]]*\(.*/\1/p' | sort -u
