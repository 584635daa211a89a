#!/bin/bash
# Build libva's v4l2_request VA-API driver (libva-v4l2_request 1.3, GPL-3.0, not packaged by Debian: the
# client Firefox, Chromium and mpv decode through) from its release tarball, idempotently, in
# $CACHE/libva-v4l2_request-1.3/: unpacked into src/, built with meson + ninja against bookworm's libva and
# libdrm and the 6.12 VM kernel's V4L2 uAPI headers (bookworm's linux-libc-dev is 6.1's: no AV1), installed
# as v4l2_request_drv_video.so there (the guest's LIBVA_DRIVERS_PATH). The codecs compiled in are listed
# in codecs.txt. Rebuilt whenever the tarball, this script or those headers change (key); a failed build
# prints its log and fails. Nothing of the driver's source enters the repository.
# usage: build-libva-driver.sh    (env LIBVA_V4L2_REQUEST_TARBALL: the tarball; prints the driver's path)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
TARBALL=${LIBVA_V4L2_REQUEST_TARBALL:-/work/shared/clients/libva-v4l2_request-1.3.tar.gz}
D=$CACHE/libva-v4l2_request-1.3
DRIVER=$D/v4l2_request_drv_video.so
[ -r "$TARBALL" ] || die "no driver tarball at $TARBALL (set LIBVA_V4L2_REQUEST_TARBALL)"
for c in meson ninja pkg-config; do command -v "$c" >/dev/null || die "no $c (is tools/apt-packages.txt installed?)"; done
pkg-config --exists 'libva >= 1.10.0' libdrm || die "no libva-dev/libdrm-dev (is tools/apt-packages.txt installed?)"

# The 6.12 uAPI headers (uapi-headers.sh); the key covers them.
UAPI=$("$(dirname "$0")/uapi-headers.sh")
key=$( { sha1sum < "$TARBALL"; sha1sum < "${BASH_SOURCE[0]}"; cat "$UAPI/key"; } | sha1sum | cut -c1-40)
mkdir -p "$D"; exec 8>"$D.lock"; flock 8
if [ "$(cat "$D/key" 2>/dev/null)" = "$key" ] && [ -e "$DRIVER" ]; then echo "$DRIVER"; exit 0; fi

echo "vm: building libva-v4l2_request 1.3 against the 6.12 uAPI headers" >&2
rm -rf "$D/src" "$D/build" "$D/uapi" "$D/key" "$D/codecs.txt"
mkdir -p "$D/src"
tar -xzf "$TARBALL" -C "$D/src" --strip-components=1
# -I puts these before /usr/include, for the driver's codec checks (meson's cc.compiles) and its sources.
if ! { meson setup "$D/build" "$D/src" --buildtype=debugoptimized -Dc_args="-I$UAPI" &&
  ninja -C "$D/build"; } > "$D/build.log" 2>&1; then
  cat "$D/build.log" >&2; die "libva-v4l2_request build failed (log: $D/build.log)"
fi
# The codecs the driver was built with (its meson.build sets HAVE_V4L2_CTRL_<CODEC> from the headers).
sed -n 's/^#define HAVE_V4L2_CTRL_\([A-Z0-9]*\) \([01]\)$/\1 \2/p' "$D/build/config.h" > "$D/codecs.txt"
grep -qx 'H264 1' "$D/codecs.txt" || { cat "$D/build.log" >&2; die "the driver was built without H.264"; }
# Replaced in one step: a guest may be loading the previous one.
cp "$D/build/src/v4l2_request_drv_video.so" "$DRIVER.tmp" && mv -f "$DRIVER.tmp" "$DRIVER"
echo "$key" > "$D/key"
echo "$DRIVER"
