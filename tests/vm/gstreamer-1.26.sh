#!/bin/sh
# A GStreamer 1.26 tool from trixie (extracted by prepare.sh tools), with only the plugins prepare.sh
# kept. usage: gstreamer-1.26.sh gst-launch-1.0|gst-inspect-1.0 ARGS...
# Its registry lives in /tmp (the guest's is fresh per boot), scanned in-process.
CACHE=${DAEDALUS_VM_CACHE:-/var/cache/daedalus-v4l2-vm}
TOOL=$1; shift
export GST_PLUGIN_SYSTEM_PATH="$CACHE/gstreamer-1.26/plugins" GST_PLUGIN_PATH= \
  GST_REGISTRY="${GST126_REGISTRY:-/tmp/gstreamer-1.26-registry.bin}" GST_REGISTRY_FORK=no
exec "$(dirname "$0")/extracted-exec.sh" "$CACHE/gstreamer-1.26" "usr/bin/$TOOL" "$@"
