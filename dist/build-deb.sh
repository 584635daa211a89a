#!/usr/bin/env bash
# Build the Debian package: dist/build/daedalus-v4l2_<version>_<arch>.deb
# usage: dist/build-deb.sh [arm64|amd64] [--compiled]
#   default: the daemon as a `deno bundle` run by the Deno runtime that npm ships for the target
#            (@deno/linux-<arch>-glibc), which builds offline;
#   --compiled: one `deno compile` binary instead (needs the host that serves denort).
# Installs as /usr/local/bin/daedalusd, the module's source for DKMS, the systemd unit, udev rules.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-arm64} MODE=${2:-bundle}
case $ARCH in arm64) TRIPLE=aarch64-unknown-linux-gnu;; amd64) TRIPLE=x86_64-unknown-linux-gnu;; *) echo "arch: arm64 or amd64" >&2; exit 2;; esac
export PATH=$PWD/tools/node_modules/.bin:$PATH
VERSION=$(sed -n 's/^ *"version": "\([^"]*\)".*/\1/p' deno.json | head -n1)
DENO_VERSION=$(node -p 'require("./tools/package-lock.json").packages["node_modules/deno"].version')
B=dist/build; R=$B/root-$ARCH
rm -rf "$R"; mkdir -p "$R/DEBIAN" "$R/usr/local/bin" "$R/usr/lib/daedalus-v4l2" "$R/usr/src/daedalus-v4l2-$VERSION" \
  "$R/lib/systemd/system" "$R/etc/modules-load.d" "$R/lib/udev/rules.d" "$R/usr/share/doc/daedalus-v4l2"

if [ "$MODE" = --compiled ]; then
  deno compile --quiet --allow-all --target "$TRIPLE" -o "$R/usr/local/bin/daedalusd" main.ts
else
  deno bundle --quiet -o "$R/usr/lib/daedalus-v4l2/daedalusd.js" main.ts
  # The runtime: the same pinned Deno, for the target, from its npm package.
  pkg="@deno/linux-${ARCH/amd64/x64}-glibc@$DENO_VERSION"
  tgz=$(cd "$B" && npm pack --silent "$pkg" 2>/dev/null | tail -n1)
  tar -xzf "$B/$tgz" -C "$B" package/deno && mv "$B/package/deno" "$R/usr/lib/daedalus-v4l2/deno" && rm -rf "$B/package"
  # FFI is the daemon's whole job, and FFI grants everything: -A states that rather than pretending otherwise.
  cat > "$R/usr/local/bin/daedalusd" <<'SH'
#!/bin/sh
export DENO_DIR=${DENO_DIR:-/var/cache/daedalus-v4l2/deno} DENO_NO_UPDATE_CHECK=1
exec /usr/lib/daedalus-v4l2/deno run --allow-all --no-prompt --no-config /usr/lib/daedalus-v4l2/daedalusd.js "$@"
SH
fi
chmod 755 "$R/usr/local/bin/daedalusd"

cp kmod/*.c kmod/*.h kmod/Kbuild kmod/Makefile "$R/usr/src/daedalus-v4l2-$VERSION/"
mkdir -p "$R/usr/src/daedalus-v4l2-$VERSION/uapi" && cp kmod/uapi/*.h "$R/usr/src/daedalus-v4l2-$VERSION/uapi/"
sub() { sed "s/@VERSION@/$VERSION/g; s/@ARCH@/$ARCH/g" "$1" > "$2"; }
sub dist/debian/dkms.conf.in "$R/usr/src/daedalus-v4l2-$VERSION/dkms.conf"
sub dist/debian/control.in "$R/DEBIAN/control"
for s in postinst prerm postrm; do sub "dist/debian/$s" "$R/DEBIAN/$s"; chmod 755 "$R/DEBIAN/$s"; done
cp dist/debian/daedalus-v4l2.service "$R/lib/systemd/system/"
cp dist/debian/modules-load.conf "$R/etc/modules-load.d/daedalus-v4l2.conf"
echo /etc/modules-load.d/daedalus-v4l2.conf > "$R/DEBIAN/conffiles"
cp dist/debian/60-daedalus-v4l2.rules "$R/lib/udev/rules.d/"
cp README.md docs/*.md "$R/usr/share/doc/daedalus-v4l2/"
echo "Installed-Size: $(du -ks "$R" | cut -f1)" >> "$R/DEBIAN/control"
OUT=$B/daedalus-v4l2_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zgzip --build "$R" "$OUT" >/dev/null
echo "$OUT"
