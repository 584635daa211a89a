#!/bin/sh
# DKMS build step (dkms.conf): on a kernel built without v4l2-mem2mem (CONFIG_V4L2_MEM2MEM_DEV unset,
# as in Debian's amd64 kernels), copy v4l2-mem2mem.c here from the linux-source package of the same
# kernel series, for the module's Kbuild to build beside daedalus_v4l2. On other kernels: nothing.
# Also used by the postinst to say what is missing before anything is built.
# usage: v4l2-mem2mem.sh <kernel version> <kernel build dir> [--check]
# exit:  0 ready; 3 linux-source-X.Y is needed (its name on stdout with --check)
set -eu
KVER=$1 KDIR=$2
grep -qs '^CONFIG_V4L2_MEM2MEM_DEV=[ym]' "$KDIR/.config" && exit 0
SERIES=$(echo "$KVER" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
TARBALL=${DAEDALUS_LINUX_SOURCE_DIR:-/usr/src}/linux-source-$SERIES.tar.xz   # the directory: for tests
if [ ! -r "$TARBALL" ]; then
	if [ "${3:-}" = --check ]; then echo "linux-source-$SERIES"; else
		echo "daedalus-v4l2: kernel $KVER was built without v4l2-mem2mem (CONFIG_V4L2_MEM2MEM_DEV)," \
			"which the driver needs; install linux-source-$SERIES to build it from there" >&2
	fi
	exit 3
fi
[ "${3:-}" = --check ] && exit 0
# --occurrence: stop reading at the file instead of decompressing the whole tree.
tar -xJf "$TARBALL" -O --occurrence=1 "linux-source-$SERIES/drivers/media/v4l2-core/v4l2-mem2mem.c" > v4l2-mem2mem.c.tmp
mv v4l2-mem2mem.c.tmp v4l2-mem2mem.c
