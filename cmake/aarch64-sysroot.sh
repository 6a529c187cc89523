#!/bin/sh
# Unpacks the AArch64 builds of wrun's library dependencies (zlib, libuv,
# libyaml, libsodium, cmocka, http-parser, OpenSSL, h2o) into DIR, for the
# cross build (cmake/aarch64-linux-gnu.cmake). The Debian arm64 packages are
# fetched with `apt-get download` and unpacked with `dpkg -x`: nothing is
# installed system-wide, so the host's own -dev packages (some of which are
# not co-installable with their arm64 twins) stay as they are. Needs the
# arm64 architecture known to apt once (`dpkg --add-architecture arm64 &&
# apt-get update`, which .ci/run does). Package names are Debian 12's.
#   cmake/aarch64-sysroot.sh DIR
set -eu
dest=${1:?usage: aarch64-sysroot.sh DIR}
[ -f "$dest/.complete" ] && exit 0
pkgs="zlib1g zlib1g-dev libuv1 libuv1-dev libyaml-0-2 libyaml-dev libsodium23 libsodium-dev libcmocka0
      libcmocka-dev libhttp-parser2.9 libhttp-parser-dev libssl3 libssl-dev libh2o0.13 libh2o-dev libwslay1"
common="libh2o-dev-common" # architecture-independent (h2o's headers)
mkdir -p "$dest/debs"
dest=$(cd "$dest" && pwd)
cd "$dest/debs"
apt-get download -q $(for p in $pkgs; do printf '%s:arm64 ' "$p"; done) $common >/dev/null 2>apt.err || {
  cat apt.err >&2
  echo "aarch64-sysroot.sh: cannot download the arm64 packages (is arm64 added with dpkg --add-architecture?)" >&2
  exit 1
}
for d in *.deb; do dpkg -x "$d" "$dest"; done
touch "$dest/.complete"
