#!/bin/sh
# v4l2-compliance 1.30.1 (from trixie, extracted by prepare.sh tools) run through trixie's own loader:
# bookworm's 1.22 is too old for 6.x kernels.
CACHE=${DAEDALUS_VM_CACHE:-/var/cache/daedalus-v4l2-vm}
R=$CACHE/v4l-utils-1.30 L=$CACHE/v4l-utils-1.30/usr/lib/x86_64-linux-gnu
[ -x "$R/usr/bin/v4l2-compliance" ] || { echo "v4l2-compliance 1.30 missing: run tests/vm/prepare.sh tools" >&2; exit 2; }
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" "$R/usr/bin/v4l2-compliance" "$@"
