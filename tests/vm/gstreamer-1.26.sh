#!/bin/sh
# A GStreamer 1.26 tool (from trixie, extracted by prepare.sh tools) run through trixie's own loader,
# with only the plugins prepare.sh kept. usage: gstreamer-1.26.sh gst-launch-1.0|gst-inspect-1.0 ARGS...
# Its registry lives in /tmp (the guest's is fresh per boot), scanned in-process.
CACHE=${DAEDALUS_VM_CACHE:-/var/cache/daedalus-v4l2-vm}
R=$CACHE/gstreamer-1.26/root L=$CACHE/gstreamer-1.26/root/usr/lib/x86_64-linux-gnu
TOOL=$1; shift
[ -x "$R/usr/bin/$TOOL" ] || { echo "GStreamer 1.26 $TOOL missing: run tests/vm/prepare.sh tools" >&2; exit 2; }
export GST_PLUGIN_SYSTEM_PATH="$CACHE/gstreamer-1.26/plugins" GST_PLUGIN_PATH= \
  GST_REGISTRY="${GST126_REGISTRY:-/tmp/gstreamer-1.26-registry.bin}" GST_REGISTRY_FORK=no
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" "$R/usr/bin/$TOOL" "$@"
