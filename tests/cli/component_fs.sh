#!/bin/sh
# wasi:filesystem 0.2 through `wrun comp.wasm --dir/--dir-ro` on the
# hand-written command tests/component/wasi-fs.wat (directory-entry streams,
# metadata-hash(-at), stat-at with and without symlink-follow,
# is-same-object, get-flags, `..` and absolute paths refused as
# not-permitted, links, renames and symlinks, and every write --dir-ro
# refuses), in both tiers, with and without
# openat2 (WRUN_TEST_NO_OPENAT2=1, test-only). The guest reports each check;
# the host side checks what it did: nanosecond mtime set, the directory it
# made gone again, and with --dir-ro nothing changed at all (a canary tree
# beside the preopen never changes). jco-wrapped C programs are covered by
# wasi-testsuite/components.py (ctest wasi-p2/*).
#   sh component_fs.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
c=$(cd "$2/../component" && pwd)/wasi-fs.wasm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passes=0 fails=0
expect() {
  if eval "$2"; then passes=$((passes + 1)); else fails=$((fails + 1)); echo "FAIL: $1"; sed 's/^/  | /' "$tmp/out"; fi
}

# d/ is the preopen; outside/ a canary beside it
layout() {
  rm -rf "$tmp/w"
  mkdir -p "$tmp/w/d/sub" "$tmp/w/outside"
  printf hello >"$tmp/w/d/f.txt"
  ln -s f.txt "$tmp/w/d/l"
  printf canary >"$tmp/w/outside/canary"
}
# every entry with its type, size, mtime (ns) and link count
snapshot() { (cd "$tmp/w" && find . -printf '%p %y %s %T@ %n\n' | sort); }

for tier in "" --aot; do
  for no2 in 0 1; do
    how="${tier:-interp}, WRUN_TEST_NO_OPENAT2=$no2"
    layout
    canary=$(cd "$tmp/w" && find outside -printf '%p %y %s %T@ %n\n' | sort)
    (cd "$tmp/w" && WRUN_TEST_NO_OPENAT2=$no2 "$wrun" $tier --dir d "$c") >"$tmp/out" 2>&1; st=$?
    expect "--dir ($how): status 0, mode rw, 24 checks passed" \
      '[ $st -eq 0 ] && grep -qx "mode rw" "$tmp/out" && [ $(grep -c "^ok " "$tmp/out") -eq 24 ] && ! grep -q FAIL "$tmp/out"'
    expect "--dir ($how): the host sees mtime 1234567890.987654321 on f.txt" \
      '[ "$(stat -c %.9Y "$tmp/w/d/f.txt")" = 1234567890.987654321 ]'
    expect "--dir ($how): newdir was made and removed, the canary is untouched" \
      '[ ! -e "$tmp/w/d/newdir" ] && [ "$(cd "$tmp/w" && find outside -printf "%p %y %s %T@ %n\n" | sort)" = "$canary" ]'

    layout
    before=$(snapshot)
    (cd "$tmp/w" && WRUN_TEST_NO_OPENAT2=$no2 "$wrun" $tier --dir-ro d "$c") >"$tmp/out" 2>&1; st=$?
    expect "--dir-ro ($how): status 0, mode ro, 29 checks passed" \
      '[ $st -eq 0 ] && grep -qx "mode ro" "$tmp/out" && [ $(grep -c "^ok " "$tmp/out") -eq 29 ] && ! grep -q FAIL "$tmp/out"'
    expect "--dir-ro ($how): nothing changed on the host" '[ "$(snapshot)" = "$before" ]'
  done
done

# a guest name given with HOST::GUEST is what get-directories returns
layout
(cd "$tmp/w" && "$wrun" --dir "$tmp/w/d::d" "$c") >"$tmp/out" 2>&1; st=$?
expect "--dir HOST::GUEST names the preopen GUEST" '[ $st -eq 0 ] && grep -qx "ok one preopen, named d" "$tmp/out"'
(cd "$tmp/w" && "$wrun" --dir "$tmp/w/d::e" "$c") >"$tmp/out" 2>&1; st=$?
expect "... and another name is seen as such" '[ $st -eq 1 ] && grep -qx "FAIL one preopen, named d" "$tmp/out"'
# no preopens: an empty list, not a crash
(cd "$tmp/w" && "$wrun" "$c") >"$tmp/out" 2>&1; st=$?
expect "no --dir: get-directories is empty (the guest's check fails, then it traps on its own bad handle)" \
  '[ $st -eq 134 ] && grep -qx "FAIL one preopen, named d" "$tmp/out"'
# a --dir that cannot be opened: the one-line error a module gets
"$wrun" --dir "$tmp/missing" "$c" >"$tmp/out" 2>&1; st=$?
expect "a missing --dir is a one-line error, exit 1" \
  '[ $st -eq 1 ] && [ $(wc -l <"$tmp/out") -eq 1 ] && grep -q "cannot open directory $tmp/missing for --dir" "$tmp/out"'

echo "component_fs: $passes passed, $fails failed"
[ $fails -eq 0 ]
