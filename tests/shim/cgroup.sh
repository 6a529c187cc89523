#!/bin/sh
# cgroup.sh — a cgroup v2 per task (lib.sh's containerd): the shim makes the
# task's cgroup from linux.cgroupsPath (ctr's default /NAMESPACE/ID, a plain
# --cgroup path and systemd's slice:prefix:name), writes memory.max and
# cpu.max from --memory-limit and --cpu-quota/--cpu-period where the
# hierarchy has those controllers, puts the task's process in it, answers
# `ctr task metrics` from it, and removes it at delete. Skipped (77) only
# where no cgroup v2 hierarchy is writable.
. "$(dirname "$0")/lib.sh"

root=
for r in /sys/fs/cgroup /sys/fs/cgroup/unified; do
  [ "$(stat -f -c %T $r 2>/dev/null)" = cgroup2fs ] && { root=$r; break; }
done
[ -n "$root" ] || skip "no cgroup v2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified"
probe=$root/wrun-shim-probe-$$
mkdir "$probe" 2>/dev/null && rmdir "$probe" || skip "the cgroup v2 hierarchy at $root is not writable"
plain=wrun-test-$$ slice=wrunt$$.slice
trap 'rmdir "$root/$plain" "$root/$slice" 2>/dev/null; cleanup' EXIT

img=docker.io/library/wrun-guest:cg
$wrun oci build "$guest" -o "$tmp/guest.tar" --name $img >/dev/null || fail "wrun oci build"
$C image import "$tmp/guest.tar" >/dev/null || fail "ctr image import"

# looping ID DIR ARGS...: runs a looping guest with ARGS and checks its cgroup DIR
looping() {
  id=$1 dir=$2
  shift 2
  $C run -d $WRUN "$@" $img $id /guest.wasm loop </dev/null >/dev/null || { fail "$id: run -d"; return 1; }
  i=0
  while [ $i -lt 50 ] && [ "$($C task ls | awk -v id=$id '$1==id{print $3}')" != RUNNING ]; do sleep 0.1; i=$((i + 1)); done
  pid=$($C task ls | awk -v id=$id '$1==id{print $2}')
  [ -d "$dir" ] && ok "$id: cgroup $dir made" || { fail "$id: no cgroup $dir"; return 1; }
  grep -qx "$pid" "$dir/cgroup.procs" && ok "$id: the task's process $pid is in it" ||
    fail "$id: pid $pid not in $dir/cgroup.procs ($(cat "$dir/cgroup.procs" | tr '\n' ' '))"
  grep -q "^0::/$(echo "${dir#$root/}" | sed 's/[.]/[.]/g')\$" /proc/$pid/cgroup && ok "$id: /proc/$pid/cgroup agrees" ||
    fail "$id: /proc/$pid/cgroup: $(grep '^0::' /proc/$pid/cgroup)"
}

# gone ID DIR: SIGKILL, delete, and the cgroup must be removed
gone() {
  $C task kill -s SIGKILL $1 >/dev/null 2>&1
  i=0
  while [ $i -lt 50 ] && [ "$($C task ls | awk -v id=$1 '$1==id{print $3}')" = RUNNING ]; do sleep 0.1; i=$((i + 1)); done
  $C task delete $1 >/dev/null 2>&1 || fail "$1: ctr task delete"
  $C container rm $1 >/dev/null 2>&1 || fail "$1: ctr container rm"
  [ ! -d "$2" ] && ok "$1: cgroup removed at delete" || fail "$1: $2 left after delete"
}

# ---- a plain path, with limits, and metrics ---------------------------------------
dir=$root/$plain/c1
if looping c1 "$dir" --cgroup /$plain/c1 --memory-limit 67108864 --cpu-quota 50000 --cpu-period 100000; then
  if [ -f "$dir/memory.max" ]; then
    [ "$(cat "$dir/memory.max")" = 67108864 ] && ok "c1: memory.max 67108864" || fail "c1: memory.max $(cat "$dir/memory.max")"
  else
    echo "note: no memory controller in $root (cgroup.controllers: $(cat $root/cgroup.controllers)): memory.max not checked"
  fi
  if [ -f "$dir/cpu.max" ]; then
    [ "$(cat "$dir/cpu.max")" = "50000 100000" ] && ok "c1: cpu.max 50000 100000" || fail "c1: cpu.max $(cat "$dir/cpu.max")"
  else
    echo "note: no cpu controller in $root: cpu.max not checked"
  fi
  sleep 0.3 # the loop spins: the cgroup's cpu.stat counts it
  want=$(sed -n 's/^usage_usec //p' "$dir/cpu.stat")
  got=$($C task metrics c1 2>&1 | awk '$1=="cpu.usage_usec" || $1=="usage_usec"{print $2}' | head -1)
  [ -n "$got" ] && [ "$got" -gt 0 ] && [ "$got" -ge "$want" ] && ok "c1: metrics from the cgroup (usage_usec $got >= $want read before)" ||
    fail "c1: metrics usage_usec '$got' (cgroup said $want): $($C task metrics c1 2>&1 | head -20)"
  gone c1 "$dir"
fi

# ---- ctr's default path, /NAMESPACE/ID -----------------------------------------------
if looping c2 "$root/default/c2"; then gone c2 "$root/default/c2"; fi

# ---- systemd's slice:prefix:name ------------------------------------------------------
if looping c3 "$root/$slice/wrun-c3.scope" --cgroup "$slice:wrun:c3"; then gone c3 "$root/$slice/wrun-c3.scope"; fi

# ---- a malformed path is refused in one line, nothing runs ------------------------------
out=$($C run --rm $WRUN --cgroup "/$plain/../../x" $img c4 /guest.wasm exit 0 2>&1 </dev/null) && fail "c4: a .. path ran"
echo "$out" | grep -q "linux.cgroupsPath" && ok "c4: '..' in cgroupsPath refused: $(echo "$out" | tail -1 | cut -c1-120)" ||
  fail "c4: $out"
$C container rm c4 >/dev/null 2>&1

check_clean "after the cgroup containers"
finish
