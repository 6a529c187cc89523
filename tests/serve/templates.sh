#!/bin/sh
# `wrun serve`: instance templates for wasi:http components and for
# http-wasm guests that import WASI — what one request can leave behind for
# the next. Servers on loopback (port 0), driven by curl, always stopped.
#   sh templates.sh PATH_TO_WRUN TESTS_DIR   (TESTS_DIR: the tests/ directory)
# Components (renewed in place per request, src/cinst wc_instance_renew):
#   state_component.wasm reports a global, a data byte, the memory size, a
#   table slot and its allocator's heap pointer, then changes them all; every
#   request must see the initial state, also after a trap and under parallel
#   load on 2 workers, in the interpreter and with --aot, and with the old
#   graph-per-request path (WRUN_SERVE_NO_TEMPLATE=1); the C handler's
#   memory counter stays 1 after a trap, a trap after the head and a
#   --timeout. The componentize-js handler (tests/component/http-js.wasm)
#   counts its requests in a JavaScript global (x-served) and leaves a
#   256 KiB typed array behind in its heap (x-left: what the previous
#   request left): on one worker, request after request must see "1" and
#   "none" (in the interpreter), with the pages it dirtied restored from the kernel's record of
#   written pages (src/runtime/dirty.c) and with it switched off
#   (WRUN_NO_DIRTY_TRACKING=1: madvise).
# WASI guests (per-worker WASI context, reset per request):
#   wasi_p1_guest.wasm (hand-written, no libc: fd_write to stderr, random_get,
#   clock_time_get, fd_close) counts its requests (always 1), and fd 2,
#   closed by /close, works again in the next request; the same after a
#   trap, in parallel, with --timeout, in both tiers.
set -u
wrun=$1
tests=$(cd "$2" && pwd)
state=$tests/serve/state_component.wasm
js=$tests/component/http-js.wasm
handler=$tests/component/http-handler.wasm
p1=$tests/serve/wasi_p1_guest.wasm
. "$(dirname "$0")/lib.sh"
CURL="curl -s -m 30"
start_tries=600
fresh="g=0 m=7 p=1 t=0 h=1"

code() { $CURL -o /dev/null -w '%{http_code}' "$@"; }

# par N URL OUTPREFIX: N clients at once
par() {
  k=0
  cl=""
  while [ "$k" -lt "$1" ]; do
    $CURL "$2" >"$3.$k" &
    cl="$cl $!"
    k=$((k + 1))
  done
  for c in $cl; do wait "$c"; done
}

# all_are N PREFIX TEXT: every output PREFIX.0 .. PREFIX.(N-1) is TEXT
all_are() {
  k=0
  while [ "$k" -lt "$1" ]; do
    [ "$(cat "$2.$k")" = "$3" ] || return 1
    k=$((k + 1))
  done
}

for tier in interp aot; do
  flags=--interpreter
  [ "$tier" = aot ] && flags=--aot

  # ---- a component's state ------------------------------------------------
  start "s$tier" -q --workers 2 $flags "$state"
  B=http://127.0.0.1:$port
  for i in 1 2 3; do
    got=$($CURL "$B/x")
    [ "$got" = "$fresh" ] || fail "$tier: request $i saw '$got', not the initial state"
  done
  [ "$(code "$B/trap")" = "500" ] || fail "$tier: /trap was not a 500"
  got=$($CURL "$B/after")
  [ "$got" = "$fresh" ] || fail "$tier: after a trap: '$got'"
  par 24 "$B/p" "$tmp/s$tier"
  all_are 24 "$tmp/s$tier" "$fresh" || fail "$tier: a parallel request saw another's state"
  stop "$pid"
  [ "$st" = "0" ] || fail "$tier: the state server did not stop cleanly ($st)"

  # ---- the C handler's counter after failures ------------------------------
  start "h$tier" -q --workers 1 --timeout 2s $flags "$handler"
  B=http://127.0.0.1:$port
  for route in trap trap-mid spin; do
    $CURL -o /dev/null "$B/$route"
    got=$($CURL "$B/count")
    [ "$got" = "count 1" ] || fail "$tier: /count after /$route: '$got'"
  done
  got="$($CURL "$B/count") $($CURL "$B/count")"
  [ "$got" = "count 1 count 1" ] || fail "$tier: /count twice: '$got'"
  stop "$pid"

  # ---- the JavaScript handler's heap, with and without the written-page record
  # (the interpreter only: the record works on memory, whatever the tier, and
  # compiling the 12 MB component takes minutes under AddressSanitizer;
  # tests/unit/test_runtime_dirty.c covers both tiers)
  for how in record madvise; do
    [ "$tier" = aot ] && break
    [ "$how" = madvise ] && WRUN_NO_DIRTY_TRACKING=1 && export WRUN_NO_DIRTY_TRACKING
    start_tries=1200 start "js$how$tier" -q --workers 1 $flags "$js"
    unset WRUN_NO_DIRTY_TRACKING
    B=http://127.0.0.1:$port
    for i in 1 2 3 4; do
      out=$($CURL -D "$tmp/jsh" "$B/r$i")
      [ "$out" = "js GET /r$i 0" ] || fail "$tier $how: js request $i: '$out'"
      got="$(grep -i '^x-served:' "$tmp/jsh" | tr -d '\r') $(grep -i '^x-left:' "$tmp/jsh" | tr -d '\r')"
      [ "$got" = "x-served: 1 x-left: none" ] || fail "$tier $how: js request $i saw the last one's heap: '$got'"
    done
    stop "$pid"
  done

  # ---- a WASI guest on the template path ------------------------------------
  start "w$tier" --workers 1 $flags "$p1"
  B=http://127.0.0.1:$port
  got=$($CURL "$B/a")
  [ "$got" = "n=1 stderr=0 random=ok clock=ok uri=/a" ] || fail "$tier: wasi guest /a: '$got'"
  got=$($CURL "$B/close")
  [ "$got" = "n=1 stderr=0 random=ok clock=ok uri=/close" ] || fail "$tier: wasi guest /close: '$got'"
  got=$($CURL "$B/b")
  [ "$got" = "n=1 stderr=0 random=ok clock=ok uri=/b" ] || fail "$tier: descriptor 2 after /close: '$got'"
  [ "$(code "$B/trap")" = "500" ] || fail "$tier: wasi guest /trap was not a 500"
  got=$($CURL "$B/c")
  [ "$got" = "n=1 stderr=0 random=ok clock=ok uri=/c" ] || fail "$tier: wasi guest after a trap: '$got'"
  stop "$pid"
  [ "$(grep -c '^wasi_p1_guest: request$' "$tmp/w$tier.err")" = "5" ] ||
    fail "$tier: the guest's stderr lines: $(grep -c 'wasi_p1_guest' "$tmp/w$tier.err") of 5"
  grep -q '"GET /trap HTTP/1.1" 500 .*trap: unreachable' "$tmp/w$tier.err" || fail "$tier: log line of /trap"

  start "wp$tier" -q --workers 2 --timeout 5s $flags "$p1"
  B=http://127.0.0.1:$port
  par 24 "$B/p" "$tmp/wp$tier"
  all_are 24 "$tmp/wp$tier" "n=1 stderr=0 random=ok clock=ok uri=/p" ||
    fail "$tier: a parallel wasi request saw another's state: $(cat "$tmp/wp$tier.0")"
  stop "$pid"
done

# the graph-per-request path kept for comparisons answers the same
WRUN_SERVE_NO_TEMPLATE=1
export WRUN_SERVE_NO_TEMPLATE
start old -q --workers 1 "$state"
unset WRUN_SERVE_NO_TEMPLATE
got="$($CURL "http://127.0.0.1:$port/a")|$($CURL "http://127.0.0.1:$port/b")"
[ "$got" = "$fresh|$fresh" ] || fail "WRUN_SERVE_NO_TEMPLATE=1: '$got'"
stop "$pid"

# --reuse-instances with a WASI guest is still refused
"$wrun" serve -q --addr 127.0.0.1:0 --reuse-instances "$p1" 2>"$tmp/reuse.err" &&
  fail "--reuse-instances with a WASI guest was accepted"
grep -q 'reuse-instances needs a handler without WASI imports' "$tmp/reuse.err" ||
  fail "--reuse-instances message: $(cat "$tmp/reuse.err")"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "serve templates: all checks passed"
