#!/usr/bin/env bash
# The drop-in daemon: one file to copy to /usr/local/bin/daedalusd on a system that has the module
# and the libav/dav1d libraries but neither Deno nor this repository (dist/README.md, "Drop-in").
# `deno compile` would make it, but needs its `denort` runtime from dl.deno.land, which this
# project's build machines cannot reach (and the full `deno` binary ignores a compiled payload). This
# is the same idea in POSIX sh: a stub followed by a gzip'd tar of what dist/daemon-files.sh makes
# (the pinned runtime for the target and the daemon's bundle). At its first start the stub unpacks
# the payload into a private cache directory named by its SHA-256 (checked after unpacking), and
# every start execs the runtime from there.
# usage: dist/build-dropin.sh [arm64|amd64]
#   writes dist/build/daedalusd-<arch> and dist/build/daedalusd-dropin.service (the unit for it)
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-arm64}
case $ARCH in arm64|amd64) ;; *) echo "arch: arm64 or amd64" >&2; exit 2;; esac
B=dist/build; OUT=$B/daedalusd-$ARCH
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
dist/daemon-files.sh "$ARCH" "$T/payload"
FLAGS=$(cat "$T/payload/deno-flags") && rm "$T/payload/deno-flags"
(cd "$T/payload" && sha256sum deno daedalusd.js > SHA256SUMS)
tar -C "$T/payload" -cf - SHA256SUMS deno daedalusd.js | gzip -9n > "$T/payload.tgz"
SUM=$(sha256sum < "$T/payload.tgz" | cut -c1-16)
stub() { # <payload offset, 10 digits>
  cat <<SH
#!/bin/sh
# daedalusd, drop-in: the daedalus-v4l2 daemon in one file (dist/build-dropin.sh in its repository).
# A POSIX sh stub; after it, a gzip'd tar of the Deno runtime and the daemon's bundle, unpacked once
# into a private cache and run from there.
set -eu
base=\${CACHE_DIRECTORY:-}                      # the service's CacheDirectory=
[ -n "\$base" ] || { [ "\$(id -u)" = 0 ] && base=/var/cache; } || base=\${XDG_CACHE_HOME:-\$HOME/.cache}
dir=\$base/daedalusd-dropin/$SUM
if [ ! -e "\$dir/.complete" ]; then
	umask 077
	mkdir -p "\$base/daedalusd-dropin"
	tmp=\$(mktemp -d "\$base/daedalusd-dropin/.unpack.XXXXXX")
	tail -c +$1 "\$0" | gzip -dc | tar -xf - -C "\$tmp"
	(cd "\$tmp" && sha256sum -c --quiet SHA256SUMS) || { rm -rf "\$tmp"; echo "daedalusd: damaged file" >&2; exit 1; }
	: > "\$tmp/.complete"
	mv -T "\$tmp" "\$dir" 2>/dev/null || rm -rf "\$tmp"   # a concurrent first start got there first
fi
export DENO_DIR=\${DENO_DIR:-\$dir/deno-dir} DENO_NO_UPDATE_CHECK=1
exec "\$dir/deno" run $FLAGS "\$dir/daedalusd.js" "\$@"
SH
}
len=$(stub 0000000000 | wc -c)
{ stub "$(printf %010d $((len + 1)))"; cat "$T/payload.tgz"; } > "$OUT"
chmod 755 "$OUT"
# Its unit: the package's, running this file.
sed 's|^ExecStart=/usr/bin/daedalusd run$|ExecStart=/usr/local/bin/daedalusd run|; /^Documentation=/d' \
  dist/debian/daedalus-v4l2.service > "$B/daedalusd-dropin.service"
grep -q '^ExecStart=/usr/local/bin/daedalusd run$' "$B/daedalusd-dropin.service"
echo "$OUT"
