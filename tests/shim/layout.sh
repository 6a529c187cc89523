#!/bin/sh
# layout.sh — runwasi's image layout (the raw program as a layer of media type
# application/wasm or application/vnd.bytecodealliance.wasm.component.layer.v0+wasm,
# config os wasip1 / arch wasm) read by the shim from an OCI image layout
# directory the test makes, named by the annotation io.wrun.oci-layout, on a
# containerd of the test's own (lib.sh). The container's image is only a
# placeholder rootfs (a native program, which must not be what runs). Also:
# a blob that does not match its digest, a config for another platform and
# a manifest without a Wasm layer are refused with a line saying so.
. "$(dirname "$0")/lib.sh"

nimg=docker.io/library/placeholder:layout
native_image "$native" $nimg "$tmp/native.tar"
$C image import "$tmp/native.tar" >/dev/null || fail "import placeholder image"

blob() { # FILE -> prints its digest hex after storing it in $lay/blobs/sha256
  h=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" "$lay/blobs/sha256/$h"; echo "$h"
}
# make_layout DIR PROGRAM LAYER_MEDIA_TYPE CONFIG_OS
make_layout() {
  lay=$1
  rm -rf "$lay"; mkdir -p "$lay/blobs/sha256"
  lh=$(blob "$2"); ls=$(stat -c %s "$2")
  printf '{"architecture":"wasm","os":"%s","config":{"Entrypoint":["/app.wasm"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$4" "$lh" >"$tmp/cfg"
  ch=$(blob "$tmp/cfg"); cs=$(stat -c %s "$tmp/cfg")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%s}]}' \
    "$ch" "$cs" "$3" "$lh" "$ls" >"$tmp/man"
  mh=$(blob "$tmp/man")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"os":"%s","architecture":"wasm"}}]}' \
    "$mh" "$(stat -c %s "$tmp/man")" "$4" >"$lay/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$lay/oci-layout"
}
run_layout() { # NAME DIR ARGS...
  n=$1 d=$2; shift 2
  $C run --rm $WRUN --annotation io.wrun.oci-layout=$d $nimg $n "$@" </dev/null
}

make_layout "$tmp/l1" "$guest" application/wasm wasip1
check "module as an application/wasm layer" 0 "hello from wrun" -- run_layout y1 "$tmp/l1" app.wasm hello
check "its args" 0 "$(printf 'app.wasm\nargs\nz')" -- run_layout y2 "$tmp/l1" app.wasm args z
make_layout "$tmp/l2" "$tests/component/wasi-cli.wasm" application/vnd.bytecodealliance.wasm.component.layer.v0+wasm wasip1
check "component as a component layer" 0 "hello" -- run_layout y3 "$tmp/l2" app.wasm hello
check "component exit code" 5 "" -- run_layout y4 "$tmp/l2" app.wasm k 5

make_layout "$tmp/l3" "$guest" application/wasm wasip1
printf 'X' | dd of="$tmp/l3/blobs/sha256/$lh" bs=1 seek=100 conv=notrunc 2>/dev/null
check "a tampered layer is refused" 1 "" -- run_layout y5 "$tmp/l3" app.wasm hello
grep -q "content does not match its digest" "$tmp/containerd.log" && ok "digest mismatch reported" ||
  fail "no digest mismatch line in containerd's log"
make_layout "$tmp/l4" "$guest" application/wasm linux
check "a config for another platform is refused" 1 "" -- run_layout y6 "$tmp/l4" app.wasm hello
make_layout "$tmp/l5" "$guest" application/vnd.oci.image.layer.v1.tar wasip1
check "a manifest without a Wasm layer is refused" 1 "" -- run_layout y7 "$tmp/l5" app.wasm hello
grep -q "has no layer of a Wasm media type" "$tmp/containerd.log" && ok "missing layer reported" ||
  fail "no 'no layer of a Wasm media type' line in containerd's log"
for c in y5 y6 y7; do $C container rm $c >/dev/null 2>&1; done
check_clean "after the layout runs"
finish
