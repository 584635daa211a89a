#!/usr/bin/env bash
# Build the Debian package: dist/build/daedalus-v4l2_<version>_<arch>.deb (dist/README.md).
# usage: dist/build-deb.sh [arm64|amd64] [--version V]
#   The daemon as dist/daemon-files.sh makes it (it builds offline). --version overrides deno.json's (the
#   upgrade tests build a higher one). DEBFULLNAME and DEBEMAIL set the Maintainer, as for dch.
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=${1:-arm64}; shift || true
VERSION=$(sed -n 's/^ *"version": "\([^"]*\)".*/\1/p' deno.json | head -n1)
[ "${1:-}" = --version ] && { VERSION=$2; shift 2; }
case $ARCH in arm64|amd64) ;; *) echo "arch: arm64 or amd64" >&2; exit 2;; esac
export PATH=$PWD/tools/node_modules/.bin:$PATH
MAINTAINER="${DEBFULLNAME:-daedalus-v4l2 developers} <${DEBEMAIL:-dev@daedalus-v4l2.invalid}>"
B=dist/build; R=$B/root-$ARCH D=dist/debian
LIB=$R/usr/lib/daedalus-v4l2 SRC=$R/usr/src/daedalus-v4l2-$VERSION DOC=$R/usr/share/doc/daedalus-v4l2
rm -rf "$R"; mkdir -p "$R/DEBIAN" "$R/usr/bin" "$LIB" "$SRC/uapi" "$DOC" "$R/usr/share/man/man1" \
  "$R/lib/systemd/system" "$R/etc/modules-load.d" "$R/lib/udev/rules.d" "$R/usr/share/lintian/overrides"

# The daemon: its bundle and the runtime for the target, run by a wrapper with the shared flags.
dist/daemon-files.sh "$ARCH" "$LIB"
FLAGS=$(cat "$LIB/deno-flags") && rm "$LIB/deno-flags"
cat > "$R/usr/bin/daedalusd" <<SH
#!/bin/sh
# daedalusd: the daemon's bundle, run by the Deno runtime shipped beside it (dist/daemon-files.sh).
# Deno's caches: the service sets its own (under its CacheDirectory); a command run by hand keeps them
# in the runtime directory, so \`daedalusd status\` leaves nothing on disk (a purge finds nothing).
export DENO_DIR=\${DENO_DIR:-\${XDG_RUNTIME_DIR:-/run/user/\$(id -u)}/daedalus-v4l2-deno} DENO_NO_UPDATE_CHECK=1
exec /usr/lib/daedalus-v4l2/deno run $FLAGS /usr/lib/daedalus-v4l2/daedalusd.js "\$@"
SH
chmod 755 "$R/usr/bin/daedalusd"

# The module's source for DKMS, and the step that supplies v4l2-mem2mem where the kernel lacks it.
cp kmod/*.c kmod/*.h kmod/Kbuild kmod/Makefile "$SRC/" && cp kmod/uapi/*.h "$SRC/uapi/"
# The module reports the package's version (modinfo, /sys/module/daedalus_v4l2/version, HELLO).
sed -i "s/^#define DAEDALUS_VERSION\t\".*\"$/#define DAEDALUS_VERSION\t\"$VERSION\"/" "$SRC/daedalus.h"
grep -q "^#define DAEDALUS_VERSION.\"$VERSION\"$" "$SRC/daedalus.h" || { echo "build-deb: cannot set the module's version" >&2; exit 1; }
install -m 755 "$D/v4l2-mem2mem.sh" "$SRC/v4l2-mem2mem.sh"

# Depends: the runtime's own ELF needs (dpkg-shlibdeps needs the target's libc6 installed, which a
# cross build lacks: read the binary instead) and the libraries the daemon opens through FFI.
glibc=$(readelf -W --dyn-syms "$LIB/deno" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)
needs=$(readelf -d "$LIB/deno" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
DEPENDS="libc6 (>= $glibc)"
grep -qx 'libgcc_s.so.1' <<<"$needs" && DEPENDS+=", libgcc-s1"
bad=$(grep -vxE 'lib(c|m|dl|rt|pthread)\.so\.[0-9]+|ld-linux-(x86-64|aarch64)\.so\.[0-9]+|libgcc_s\.so\.1' <<<"$needs" || true)
[ -z "$bad" ] || { echo "build-deb: the runtime needs libraries this script does not map to packages: $bad" >&2; exit 1; }
DEPENDS+=", adduser, dkms, kmod, $(deno run --quiet dist/depends.ts)"
RECOMMENDS="linux-headers-rpi-2712 | linux-headers-rpi-v8 | linux-headers-arm64 | linux-headers-amd64"
# Debian's amd64 kernels are built without v4l2-mem2mem: the DKMS build takes it from linux-source.
[ "$ARCH" = amd64 ] && RECOMMENDS+=", linux-source"

sub() { sed "s|@VERSION@|$VERSION|g; s|@ARCH@|$ARCH|g; s|@MAINTAINER@|$MAINTAINER|g; s/@DEPENDS@/$DEPENDS/g; s/@RECOMMENDS@/$RECOMMENDS/g" "$1" > "$2"; }
sub "$D/dkms.conf.in" "$SRC/dkms.conf"
sub "$D/control.in" "$R/DEBIAN/control"
for s in postinst prerm postrm; do sub "$D/$s" "$R/DEBIAN/$s"; chmod 755 "$R/DEBIAN/$s"; done
install -m 644 "$D/daedalus-v4l2.service" "$R/lib/systemd/system/"
install -m 644 "$D/modules-load.conf" "$R/etc/modules-load.d/daedalus-v4l2.conf"
echo /etc/modules-load.d/daedalus-v4l2.conf > "$R/DEBIAN/conffiles"
install -m 644 "$D/60-daedalus-v4l2.rules" "$R/lib/udev/rules.d/"
install -m 644 "$D/lintian-overrides" "$R/usr/share/lintian/overrides/daedalus-v4l2"
install -m 644 README.md docs/*.md "$D/copyright" "$DOC/"
sub "$D/changelog" "$DOC/changelog" && gzip -9n "$DOC/changelog"
gzip -9n < "$D/daedalusd.1" > "$R/usr/share/man/man1/daedalusd.1.gz"
find "$R" -type d -exec chmod 755 {} +
(cd "$R" && find . -type f ! -path "./DEBIAN/*" -printf "%P\0" | sort -z | xargs -0 md5sum) > "$R/DEBIAN/md5sums"
echo "Installed-Size: $(du -ks "$R" --exclude=DEBIAN | cut -f1)" >> "$R/DEBIAN/control"
OUT=$B/daedalus-v4l2_${VERSION}_$ARCH.deb
dpkg-deb --root-owner-group -Zxz --build "$R" "$OUT" >/dev/null
echo "$OUT"
