#!/bin/sh
# Traps in the canonical ABI (docs/components.md "What traps"): every bad core
# value a guest can hand to lifting (tests/component/abi-traps.wat) and every
# resource-handle misuse (tests/component/abi-resources.wat) must end the
# call with exit 134 and exactly one line "FILE: wasm trap: MESSAGE", in both
# tiers — never a crash, a hang or a silently accepted value. The values the
# spec accepts (any non-zero bool, flag bits past the labels) and the exact
# bounds (a string ending at the last byte of memory) must work.
#   sh component_traps.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
dir=$(cd "$2/../component" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
ok() { passes=$((passes + 1)); }
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# trapt FILE NAME MESSAGE ARGS...
trapt() {
  f=$dir/$1 name=$2 msg=$3
  shift 3
  for tier in "" --aot; do
    "$wrun" $tier --invoke "$name" "$f" "$@" >"$tmp/out" 2>&1
    st=$?
    if [ $st -eq 134 ] && [ "$(cat "$tmp/out")" = "$f: wasm trap: $msg" ]; then ok
    else fail "$name$tier should trap with \"$msg\": [$st] $(cat "$tmp/out")"; fi
  done
}
# okt FILE NAME EXPECTED ARGS...
okt() {
  f=$dir/$1 name=$2 want=$3
  shift 3
  for tier in "" --aot; do
    out=$("$wrun" $tier --invoke "$name" "$f" "$@" 2>&1)
    st=$?
    if [ $st -eq 0 ] && [ "$out" = "$want" ]; then ok
    else fail "$name$tier -> [$st] $(printf '%s' "$out" | cut -c1-200) (want $(printf '%s' "$want" | cut -c1-200))"; fi
  done
}

T=abi-traps.wasm
# pointers and lengths out of bounds (all range arithmetic is 64-bit)
trapt $T oob-ptr "string out of bounds: 0xfffffff0 + 100 past memory size 65536"
trapt $T oob-len "string out of bounds: 0xfde8 + 1000 past memory size 65536"
trapt $T oob-list "list out of bounds: 0xfff0 + 20 past memory size 65536"
trapt $T oob-ret "spilled values out of bounds: 0xfffc + 8 past memory size 65536"
okt $T edge-ok '"A"'
# a length whose byte size wraps 32 bits, and one past MAX_LIST_BYTE_LENGTH
trapt $T list-wrap "list too long: 536870913 elements of 8 bytes (at most 268435455 bytes)"
trapt $T list-too-long "list too long: 67108864 elements of 8 bytes (at most 268435455 bytes)"
trapt $T string-too-long "string too long: 268435456 bytes (at most 268435455)"
trapt $T utf16-too-long "string too long: 268435456 bytes (at most 268435455)"
# misaligned pointers
trapt $T misaligned-list "misaligned list pointer 0x2 (alignment 4)"
trapt $T misaligned-list64 "misaligned list pointer 0x4 (alignment 8)"
trapt $T misaligned-utf16 "misaligned string pointer 0x1 (alignment 2)"
trapt $T misaligned-latin1 "misaligned string pointer 0x1 (alignment 2)"
trapt $T misaligned-ret "misaligned spilled values pointer 0x2 (alignment 4)"
# chars and discriminants in memory and flat
trapt $T bad-char-mem "invalid char 0xdc00: not a Unicode scalar value"
trapt $T bad-opt-mem "option discriminant 2 out of range (2 cases)"
trapt $T bad-enum-mem "enum discriminant 2 out of range (2 cases)"
trapt $T bad-result "result discriminant 2 out of range (2 cases)"
trapt $T bad-variant "variant discriminant 5 out of range (2 cases)"
# not traps (CanonicalABI.md: bool(i), flags ignore bits past the labels)
okt $T bool-mem '[true, false]'
okt $T flags-extra '{a, c}'
# ill-formed strings in each encoding
trapt $T utf8-overlong "invalid UTF-8 in string at 0x200"
trapt $T utf8-surrogate "invalid UTF-8 in string at 0x200"
trapt $T utf8-too-big "invalid UTF-8 in string at 0x200"
trapt $T utf8-truncated "invalid UTF-8 in string at 0x201"
trapt $T utf8-stray "invalid UTF-8 in string at 0x201"
trapt $T utf16-lone-high "unpaired surrogate 0xd800 in UTF-16 string at 0x202"
trapt $T utf16-lone-low "unpaired surrogate 0xdc00 in UTF-16 string at 0x200"
trapt $T utf16-high-then-a "unpaired surrogate 0xdbff in UTF-16 string at 0x200"
trapt $T latin1-utf16-lone "unpaired surrogate 0xd83c in UTF-16 string at 0x200"
# realloc returning a bad pointer while the host's arguments are lowered
trapt $T realloc-misaligned "misaligned list pointer 0x2 (alignment 4)" '[1]'
trapt $T realloc-oob "string out of bounds: 0xfffffff0 + 3 past memory size 65536" '"abc"'
okt $T realloc-edge 2 '"ab"'
trapt $T realloc-edge "string out of bounds: 0xfffe + 3 past memory size 65536" '"abc"'
okt $T realloc-edge16 1 '"a"'
trapt $T realloc-edge16 "string out of bounds: 0xfffe + 4 past memory size 65536" '"é"'
# bad core arguments to a lowered import, lifted from the caller's memory
trapt $T pass-oob-string "string out of bounds: 0xfffa + 7 past memory size 65536"
trapt $T pass-bad-utf8 "invalid UTF-8 in string at 0x64"
trapt $T pass-misaligned-list "misaligned list pointer 0xc (alignment 8)"
trapt $T pass-surrogate "invalid char 0xd800: not a Unicode scalar value"
trapt $T pass-bad-option "option discriminant 9 out of range (2 cases)"
# may_leave: a post-return calling an import
trapt $T leave-in-post-return "cannot leave component instance: a lifted function called during realloc or post-return"

# results lowered at a bad return pointer, spilled parameters read from a bad
# pointer, in the caller's memory (a call between two component instances)
trapt $T bad-retptr "return area out of bounds: 0xfffffff8 + 8 past memory size 65536"
trapt $T misaligned-retptr "misaligned return area pointer 0x2 (alignment 4)"
trapt $T bad-spill "spilled values out of bounds: 0xfffc + 68 past memory size 65536"
trapt $T misaligned-spill "misaligned spilled values pointer 0x2 (alignment 4)"
okt $T ok-spill 705
# a realloc that grows memory on every call (the view is re-read): strings
# of 1 to 100002 characters in each encoding come back unchanged
big=$(head -c 100000 /dev/zero | tr '\0' 'x')
for fn in grow-echo grow-echo16 grow-echo-latin1; do
  for s in '"héllo ☃ 🌍"' '"héllo"' "\"é${big}☃\""; do okt $T $fn "$s" "$s"; done
done

R=abi-resources.wasm
# correct use: borrow, borrow dropped by a non-owner, own moved and dropped by
# the implementation, own dropped by its holder, both destructors run
okt $R ok 107078 7
trapt $R use-after-drop "unknown handle 1 (never created or already dropped)"
trapt $R use-after-move "unknown handle 1 (never created or already dropped)"
trapt $R own-twice "unknown handle 1 (never created or already dropped)"
trapt $R own-while-lent "own handle 1 moved out while lent (1 borrows outstanding)"
trapt $R borrow-outlives "call ended with 1 borrowed handle not dropped"
trapt $R borrow-as-own "handle 1 is a borrow; an own handle was expected"
trapt $R release-twice "unknown handle 1 (never created or already dropped)"
trapt $R bad-handle "unknown handle 99 (never created or already dropped)"
trapt $R zero-handle "invalid handle index 0"
trapt $R drop-bad "unknown handle 99 (never created or already dropped)"
trapt $R rep-wrong "handle 1 is of another resource type"
trapt $R rep-bad "unknown handle 77 (never created or already dropped)"
trapt $R drop-zero "invalid handle index 0"
trapt $R drop-twice "unknown handle 1 (never created or already dropped)"

echo "component_traps.sh: $passes passed, $fails failed"
[ $fails -eq 0 ]
