#!/bin/bash
# Build daedalus_v4l2.ko for a prepared kernel (6.1, 6.12, or arm64: Debian's arm64 6.1, cross-compiled),
# from a clean copy of kmod/ so several kernels build from one tree. Any compiler or modpost warning fails.
# usage: build-kmod.sh [6.1|6.12|arm64 ...]    (default: all; env KMOD_SRC: another source tree)
# prints each build directory on success
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SRC=$(readlink -f "${KMOD_SRC:-$REPO/kmod}")
[ $# -gt 0 ] || set -- 6.1 6.12 arm64
for K in "$@"; do
case $K in
  arm64) KDIR=$(cat "$CACHE/karm64/KDIR" 2>/dev/null) || die "arm64 headers are not prepared: run tests/vm/prepare.sh arm64"
         ARGS=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-);;
  *) KDIR=$(kernel_kdir "$K")
     # Debian's amd64 kernels lack v4l2-mem2mem: link against the one prepare.sh built from source.
     ARGS=(KBUILD_EXTRA_SYMBOLS="$CACHE/build/media-$K/Module.symvers");;
esac
# One build directory per kernel and source tree (clones do not clobber each other's), one build in it
# at a time; guests load a copy of the module, so a rebuild never changes a running test's.
O=$CACHE/build/kmod-$K-$(printf %s "$SRC" | md5sum | cut -c1-8)
mkdir -p "$CACHE/build"; exec 9>"$O.lock"; flock 9
rm -rf "$O"; mkdir -p "$O"; cp -r "$SRC"/. "$O"/
# The 6.12 headers ship a vmlinux, which makes kbuild want pahole for BTF: not needed for tests.
if ! make -C "$KDIR" M="$O" W=1 CONFIG_DEBUG_INFO_BTF_MODULES= "${ARGS[@]}" -j2 modules > "$O/build.log" 2>&1; then
  cat "$O/build.log" >&2; die "build for $K failed"
fi
if grep -E 'warning:|WARNING:' "$O/build.log" >&2; then die "build for $K has warnings"; fi
echo "$O"
done
