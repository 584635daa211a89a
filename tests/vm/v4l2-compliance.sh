#!/bin/sh
# v4l2-compliance 1.30.1 from trixie (extracted by prepare.sh tools): bookworm's 1.22 is too old for 6.x.
CACHE=${DAEDALUS_VM_CACHE:-/var/cache/daedalus-v4l2-vm}
exec "$(dirname "$0")/extracted-exec.sh" "$CACHE/v4l-utils-1.30" usr/bin/v4l2-compliance "$@"
