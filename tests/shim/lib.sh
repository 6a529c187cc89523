# lib.sh — sourced by the containerd shim tests (tests/shim/*.sh): starts a
# containerd of the test's own (temporary config, root, state and sockets;
# the shim's build directory first on its PATH), stops it and everything it
# started on exit, and offers small helpers. A test needs root, containerd,
# ctr and runc; without them it prints SKIP and exits 77 (skipped, never
# passed).
#   . lib.sh SHIM WRUN GUEST_WASM NATIVE_HELLO TESTS_DIR
set -u
# the whole test is bounded: past 240 s `timeout` sends TERM, whose trap cleans up
if [ -z "${WRUN_SHIM_BOUNDED:-}" ]; then
  WRUN_SHIM_BOUNDED=1 exec timeout -s TERM 240 sh "$0" "$@"
fi
shim=$1 wrun=$2 guest=$3 native=$4 tests=$5
fails=0

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "the shim tests start their own containerd and need root"
for b in containerd ctr runc; do
  command -v $b >/dev/null 2>&1 || skip "$b is not installed (apt-get install containerd runc)"
done
[ -x "$shim" ] && [ -x "$wrun" ] && [ -f "$guest" ] || { echo "FAIL: missing build outputs"; exit 1; }

tmp=$(mktemp -d /tmp/wrun-shim.XXXXXX)
cd_pid=
cleanup() {
  if [ -n "$cd_pid" ]; then
    kill "$cd_pid" 2>/dev/null
    i=0; while kill -0 "$cd_pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$cd_pid" 2>/dev/null
  fi
  # shims and tasks of this containerd only (their command lines name our socket)
  for p in $(pgrep -f "containerd-shim-wrun-v2.*$tmp" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  grep -o " $tmp[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  # KEEP_LOG=FILE: keep containerd's log (with the shim's lines) for debugging
  [ -n "${KEEP_LOG:-}" ] && cp "$tmp/containerd.log" "$KEEP_LOG"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

cat > "$tmp/config.toml" <<CFG
version = 2
root = "$tmp/root"
state = "$tmp/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$tmp/c.sock"
[ttrpc]
  address = "$tmp/c.sock.ttrpc"
CFG
# the compile cache of a served workload (wrun-serve, run by the shim) stays in here
export WRUN_CACHE_DIR="$tmp/cache"
PATH="$(dirname "$shim"):$PATH" containerd --config "$tmp/config.toml" >"$tmp/containerd.log" 2>&1 &
cd_pid=$!
C="timeout 60 ctr --address $tmp/c.sock"
i=0
until $C version >/dev/null 2>&1; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "FAIL: containerd did not start"; tail -20 "$tmp/containerd.log"; exit 1; }
  sleep 0.1
done
WRUN="--runtime io.containerd.wrun.v2"

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# check NAME EXPECTED_STATUS EXPECTED_STDOUT -- CMD...: runs CMD (stdin from
# /dev/null unless redirected by the caller) and compares status and stdout.
check() {
  name=$1 want_st=$2 want_out=$3
  shift 4
  out=$("$@" 2>"$tmp/stderr"); st=$?
  if grep -q "Sanitizer\|runtime error:" "$tmp/stderr"; then
    fail "$name: a sanitizer reported in the task: $(head -c 1500 "$tmp/stderr")"
  elif [ "$st" != "$want_st" ]; then
    fail "$name: status $st, expected $want_st (stderr: $(head -c 400 "$tmp/stderr"))"
  elif [ "$out" != "$want_out" ]; then
    fail "$name: stdout '$out', expected '$want_out'"
  else
    ok "$name"
  fi
}

# An OCI image tarball of a single static native program /hello (for runc).
native_image() { # BIN NAME OUT
  d=$tmp/native-img
  rm -rf "$d"; mkdir -p "$d/l" "$d/img/blobs/sha256"
  cp "$1" "$d/l/hello"
  tar -C "$d/l" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$d/layer.tar" hello
  lh=$(sha256sum "$d/layer.tar" | cut -d' ' -f1); cp "$d/layer.tar" "$d/img/blobs/sha256/$lh"
  arch=$(uname -m); [ "$arch" = x86_64 ] && arch=amd64; [ "$arch" = aarch64 ] && arch=arm64
  printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/hello"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$lh" >"$d/config"
  ch=$(sha256sum "$d/config" | cut -d' ' -f1); cp "$d/config" "$d/img/blobs/sha256/$ch"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$ch" "$(stat -c %s "$d/config")" "$lh" "$(stat -c %s "$d/layer.tar")" >"$d/manifest"
  mh=$(sha256sum "$d/manifest" | cut -d' ' -f1); cp "$d/manifest" "$d/img/blobs/sha256/$mh"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s"}}]}' \
    "$mh" "$(stat -c %s "$d/manifest")" "$2" >"$d/img/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$d/img/oci-layout"
  tar -C "$d/img" -cf "$3" oci-layout index.json blobs
}

# No shim process, shim socket or mount of this containerd's is left.
check_clean() {
  # containerd cleans up after a shim asynchronously: give it up to 3 s
  i=0
  while [ $i -lt 30 ] && { pgrep -f "containerd-shim-wrun-v2.*$tmp" >/dev/null || [ -n "$(ls "$tmp/state/s" 2>/dev/null)" ]; }; do
    sleep 0.1; i=$((i + 1))
  done
  left=$(pgrep -f "containerd-shim-wrun-v2.*$tmp" | tr '\n' ' ')
  [ -z "$left" ] || fail "$1: shim processes left: $left"
  socks=$(ls "$tmp/state/s" 2>/dev/null | tr '\n' ' ')
  [ -z "$socks" ] || fail "$1: shim sockets left in $tmp/state/s: $socks"
  mounts=$(grep -c " $tmp/state" /proc/self/mounts)
  [ "$mounts" -eq 0 ] || fail "$1: $mounts mounts left under $tmp/state"
  [ -z "$left$socks" ] && [ "$mounts" -eq 0 ] && ok "$1: no shim process, socket or mount left"
}

finish() {
  # the shim's stderr (and so a sanitizer's report from it) lands in containerd's log
  if grep -q "Sanitizer\|runtime error:" "$tmp/containerd.log"; then
    fail "a sanitizer reported in the shim:"; grep -A20 "Sanitizer\|runtime error:" "$tmp/containerd.log" | head -40
  fi
  if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed; containerd's log (last lines):"
    tail -30 "$tmp/containerd.log"
    exit 1
  fi
  echo "all checks passed"
  exit 0
}
