#!/bin/sh
# `wrun oci build`: the image tarball is an OCI image layout (oci-layout,
# index.json, blobs/sha256/<digest>) whose every blob matches its digest and
# size, whose manifest names the config and layer, whose layer holds the
# program unchanged and whose config's entrypoint names it; the same input
# gives the same bytes; --gzip layers decompress to the plain one; bad
# command lines and inputs get one line and a non-zero status.
#   sh oci.sh PATH_TO_WRUN TESTS_DATA_DIR
set -u
wrun=$1
data=$2/cli
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }
command -v python3 >/dev/null || { echo "SKIP: python3 checks the image"; exit 77; }

prog=$data/add.wasm
"$wrun" oci build "$prog" -o "$tmp/a.tar" --name docker.io/library/add:7 --env K=V || fail "oci build exited $?"
"$wrun" oci build "$prog" -o "$tmp/b.tar" --name docker.io/library/add:7 --env K=V
cmp -s "$tmp/a.tar" "$tmp/b.tar" || fail "two builds of the same input differ"
"$wrun" oci build "$prog" -o "$tmp/z.tar" --gzip || fail "oci build --gzip exited $?"
python3 - "$tmp/a.tar" "$tmp/z.tar" "$prog" <<'PY' || fail "image check"
import hashlib, io, json, sys, tarfile, gzip
def load(path):
    t = tarfile.open(path)
    files = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}, "oci-layout"
    for name, data in files.items():
        if name.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == name.split("/")[-1], "digest of " + name
    def blob(desc):
        data = files["blobs/sha256/" + desc["digest"].split(":")[1]]
        assert len(data) == desc["size"], "size of " + desc["digest"]
        return data
    index = json.loads(files["index.json"])
    (m,) = index["manifests"]
    return m, blob, json.loads(blob(m))
prog = open(sys.argv[3], "rb").read()
m, blob, manifest = load(sys.argv[1])
assert m["annotations"]["io.containerd.image.name"] == "docker.io/library/add:7", m
assert m["annotations"]["org.opencontainers.image.ref.name"] == "7", m
config = json.loads(blob(manifest["config"]))
assert config["config"]["Entrypoint"] == ["/add.wasm"], config
assert config["config"]["Env"] == ["K=V"], config
assert config["os"] == "linux", config
(layer,) = manifest["layers"]
assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar", layer
raw = blob(layer)
assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(raw).hexdigest()], "diff_id"
lt = tarfile.open(fileobj=io.BytesIO(raw))
assert lt.getnames() == ["add.wasm"] and lt.extractfile("add.wasm").read() == prog, "layer content"
assert lt.getmember("add.wasm").mode & 0o111, "executable bit"
m, blob, manifest = load(sys.argv[2])
(layer,) = manifest["layers"]
assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip", layer
unz = gzip.decompress(blob(layer))
assert json.loads(blob(manifest["config"]))["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(unz).hexdigest()]
assert tarfile.open(fileobj=io.BytesIO(unz)).extractfile("add.wasm").read() == prog
PY

# errors: one line on stderr and a non-zero status, no output file
expect() { # STATUS DESCRIPTION -- CMD...
  want=$1 what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"; st=$?
  [ "$st" = "$want" ] || fail "$what: status $st, expected $want"
  [ "$(wc -l <"$tmp/err")" -ge 1 ] || fail "$what: no message"
  [ -s "$tmp/out" ] && fail "$what: wrote to stdout"
}
expect 2 "no subcommand" -- "$wrun" oci
expect 2 "unknown subcommand" -- "$wrun" oci push x
expect 2 "no -o" -- "$wrun" oci build "$prog"
expect 2 "no program" -- "$wrun" oci build -o "$tmp/x.tar"
expect 2 "unknown option" -- "$wrun" oci build "$prog" -o "$tmp/x.tar" --bogus
expect 1 "text module" -- "$wrun" oci build "$data/add.wat" -o "$tmp/x.tar"
expect 1 "missing file" -- "$wrun" oci build "$tmp/none.wasm" -o "$tmp/x.tar"
expect 1 "unwritable output" -- "$wrun" oci build "$prog" -o "$tmp/no/such/dir/x.tar"
[ -e "$tmp/x.tar" ] && fail "a failed build left $tmp/x.tar"
[ $fails -eq 0 ] && echo "oci: all checks passed"
exit $((fails != 0))
