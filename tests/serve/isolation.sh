#!/bin/sh
# `wrun serve`: what one request can leave behind for the next. Instances come
# from a template (a copy-on-write memory image, pooled per worker), so these
# checks are what makes the pooling safe. The guest is state.wasm (state.wat):
# each request answers with the state it found (global, a data-segment byte,
# memory size, a table slot) and then changes all of it; "/m" also leaves a
# marker in the page memory.grow added; "/t" changes everything, then traps.
#   sh isolation.sh PATH_TO_WRUN TESTS_SERVE_DIR
# Checks, in the interpreter and with --aot: every request sees the initial
# state, also after a trap and under parallel load over 2 workers; with
# --reuse-instances the state carries over (that is the opt-in), and an
# instance that trapped is discarded all the same; --reuse-instances with a
# WASI guest, --fuel with --aot and --aot with --interpreter are refused;
# compiled code is the default, and the second start loads it from the cache;
# --worker-processes gives the same answers and its workers end with it.
set -u
wrun=$1
dir=$(cd "$2" && pwd)
guest=$dir/state.wasm
. "$(dirname "$0")/lib.sh"
CURL="curl -s -m 20"

# serve_start NAME ARGS...: lib.sh's start, quiet (-q); sets $B to its base URL
serve_start() {
  name=$1
  shift
  start "$name" -q "$@"
  B=http://127.0.0.1:$port
}
# serve_stop PID: lib.sh's stop, and a server must stop cleanly
serve_stop() {
  stop "$1"
  [ "$st" = "0" ] || fail "server did not stop cleanly ($st)"
}
code() { $CURL -o /dev/null -w '%{http_code}' "$1"; }
# children PID: the processes whose parent is PID (from /proc: no procps needed)
children() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$1" '$4 == p {print $1}'; }

# ---- a fresh instance per request, both tiers ------------------------------------
for tier in interp aot; do
  flags="--interpreter"
  [ $tier = aot ] && flags="-v" # compiled code is the default
  serve_start $tier --workers 2 $flags "$guest"
  p=$pid
  seen=$($CURL "$B/a" "$B/a" "$B/a")
  [ "$seen" = "7A117A117A11" ] || fail "$tier: state carried between requests: $seen"
  seen=$($CURL "$B/m" "$B/m")
  [ "$seen" = "0A110A11" ] || fail "$tier: the grown page kept the previous request's marker: $seen"
  [ "$(code "$B/t")" = "500" ] || fail "$tier: /t did not give 500"
  seen=$($CURL "$B/a")
  [ "$seen" = "7A11" ] || fail "$tier: a trapped request's state leaked into the next: $seen"
  # parallel clients over both workers, traps among them
  bg=""
  for i in $(seq 1 8); do
    ( $CURL "$B/a?[1-25]" "$B/t" "$B/m?[1-25]" -o /dev/null >/dev/null 2>&1
      $CURL "$B/a?[1-25]" >"$tmp/par.$tier.$i" ) &
    bg="$bg $!"
  done
  for b in $bg; do wait "$b"; done
  bad=$(cat "$tmp"/par.$tier.* | sed 's/7A11//g')
  n=$(cat "$tmp"/par.$tier.* | grep -o 7A11 | wc -l)
  [ -z "$bad" ] && [ "$n" -eq 200 ] || fail "$tier: under parallel load: $n fresh answers of 200, others '$bad'"
  serve_stop $p
done

# ---- --reuse-instances: the state carries over; a trap still discards ----------
serve_start reuse --workers 1 --reuse-instances --aot --no-cache "$guest"
p=$pid
seen=$($CURL "$B/a" "$B/a" "$B/m" "$B/m")
[ "$seen" = "7A118B200C309D40" ] || fail "reuse: the instance was not kept: $seen"
[ "$(code "$B/t")" = "500" ] || fail "reuse: /t did not give 500"
seen=$($CURL "$B/a" "$B/a")
[ "$seen" = "7A118B20" ] || fail "reuse: a trapped instance was not replaced by a fresh one: $seen"
serve_stop $p
serve_start reuse-interp --workers 1 --reuse-instances --interpreter "$guest"
p=$pid
seen="$($CURL "$B/a") $(code "$B/t") $($CURL "$B/a")"
[ "$seen" = "7A11 500 7A11" ] || fail "reuse (interpreter): $seen"
serve_stop $p

# ---- --worker-processes: a process per worker, same answers; the parent
# forwards SIGTERM and waits, and a parent killed outright takes its workers along
serve_start procs --workers 2 --worker-processes "$guest"
p=$pid
kids=$(children $p | wc -l)
[ "$kids" -eq 2 ] || fail "--worker-processes: $kids worker processes, not 2"
grep -q "with 2 workers (processes)" "$tmp/procs.err" || fail "--worker-processes: start-up line: $(cat "$tmp/procs.err")"
seen="$($CURL "$B/a" "$B/m") $(code "$B/t") $($CURL "$B/a?[1-20]" | sed 's/7A11//g')"
[ "$seen" = "7A110A11 500 " ] || fail "--worker-processes: $seen"
kidpids=$(children $p)
serve_stop $p
for k in $kidpids; do kill -0 "$k" 2>/dev/null && fail "--worker-processes: worker $k outlived SIGTERM"; done
serve_start procs9 --workers 2 --worker-processes "$guest"
p=$pid
kidpids=$(children $p)
kill -9 $p
wait $p 2>/dev/null
i=0
while [ $i -lt 50 ]; do
  alive=""
  for k in $kidpids; do kill -0 "$k" 2>/dev/null && alive="$alive $k"; done
  [ -z "$alive" ] && break
  sleep 0.1
  i=$((i + 1))
done
[ -z "$alive" ] || { fail "--worker-processes: workers$alive outlived their killed parent"; kill -9 $alive; }

# ---- refused combinations --------------------------------------------------------
"$wrun" serve --reuse-instances "$dir/wasi_guest.wasm" 2>"$tmp/e"
[ $? -eq 1 ] && grep -q "reuse-instances" "$tmp/e" || fail "--reuse-instances with a WASI guest: $(cat "$tmp/e")"
"$wrun" serve --aot --fuel 1000 "$guest" 2>"$tmp/e"
[ $? -eq 2 ] && grep -q "fuel" "$tmp/e" || fail "--fuel with --aot: $(cat "$tmp/e")"
"$wrun" serve --aot --interpreter "$guest" 2>"$tmp/e"
[ $? -eq 2 ] && grep -q "exclude" "$tmp/e" || fail "--aot with --interpreter: $(cat "$tmp/e")"

# ---- compiled code is the default, from the compile cache ---------------------
grep -q "compiled [0-9]* functions" "$tmp/aot.err" || fail "serve did not compile by default: $(cat "$tmp/aot.err")"
serve_start cached -v "$guest"
p=$pid
grep -q "loaded from the cache" "$tmp/cached.err" || fail "serve did not use the compile cache: $(cat "$tmp/cached.err")"
[ "$($CURL "$B/a")" = "7A11" ] || fail "cached code: wrong answer"
serve_stop $p

[ $fails -eq 0 ] && echo "serve isolation: all checks passed"
[ $fails -eq 0 ]
