#!/bin/bash
# The 6.12 VM kernel's V4L2 uAPI headers made fit for user space, idempotently, in $CACHE/uapi-6.12/linux/:
# bookworm's linux-libc-dev is 6.1's, which has no AV1. Taken from that kernel's headers package and
# passed through its own headers_install.sh (as `make headers_install` does). Used with -I before
# /usr/include by the libva driver's build, the AV1 layout test and the C test programs.
# usage: uapi-headers.sh    (prints the directory to pass with -I; needs prepare.sh 6.12)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
KVER=$(kernel_ver 6.12)
UAPI_SRC=$CACHE/k6.12/hdr/usr/src/linux-headers-${KVER%-amd64}-common/include/uapi/linux
KBUILD=$CACHE/k6.12/hdr/usr/lib/linux-kbuild-${KVER%-amd64}
HEADERS=(videodev2.h v4l2-controls.h v4l2-common.h media.h)
for h in "${HEADERS[@]}"; do [ -r "$UAPI_SRC/$h" ] || die "no $UAPI_SRC/$h: run tests/vm/prepare.sh 6.12"; done
D=$CACHE/uapi-6.12
key=$( { sha1sum < "${BASH_SOURCE[0]}"; (cd "$UAPI_SRC" && sha1sum "${HEADERS[@]}"); } | sha1sum | cut -c1-40)
mkdir -p "$D"; exec 8>"$D.lock"; flock 8
if [ "$(cat "$D/key" 2>/dev/null)" = "$key" ]; then echo "$D"; exit 0; fi
rm -rf "$D/linux" "$D/key"
mkdir -p "$D/linux"
for h in "${HEADERS[@]}"; do
  (cd "$KBUILD" && sh scripts/headers_install.sh "$UAPI_SRC/$h" "$D/linux/$h") || die "headers_install $h failed"
done
echo "$key" > "$D/key"
echo "$D"
