# Sourced by guest scripts (POSIX sh). The harness's run.sh exports:
#   DAEDALUS_KERNEL (6.1|6.12) DAEDALUS_KMOD_DIR (built module) DAEDALUS_MEDIA_DIR (v4l2-mem2mem.ko)
#   DAEDALUS_RESULTS (read-write, kept on the host) DAEDALUS_REPO (read-only) DAEDALUS_CACHE
#   V4L2_COMPLIANCE (v4l2-compliance 1.30.1) GST_REGISTRY

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }

# Stops the script at once, naming the first command the guest (the host root) lacks.
need() { # <command>...
  for c in "$@"; do command -v "$c" >/dev/null || fail "the guest has no $c (is tools/apt-packages.txt installed?)"; done
}
need modprobe insmod rmmod v4l2-ctl media-ctl

# Load the media core (Debian's modules), v4l2-mem2mem (built from source), then daedalus_v4l2 with the
# given module parameters.
load_daedalus() {
  modprobe -a videodev videobuf2-v4l2 videobuf2-vmalloc mc || fail "modprobe media core"
  grep -q '^v4l2_mem2mem ' /proc/modules || insmod "$DAEDALUS_MEDIA_DIR/v4l2-mem2mem.ko" || fail "insmod v4l2-mem2mem"
  insmod "$DAEDALUS_KMOD_DIR/daedalus_v4l2.ko" "$@" || fail "insmod daedalus_v4l2 $*"
}

# /dev/videoN whose QUERYCAP driver name is $1 (default: the daedalus decoder).
video_node() {
  for d in /dev/video*; do
    v4l2-ctl -d "$d" -D 2>/dev/null | grep -Eq "Driver name *: *${1:-daedalus[-_]v4l2}\$" && { echo "$d"; return 0; }
  done
  return 1
}

# /dev/videoN of the stateful decoder (docs/stateful.md: the module loaded with stateful=1), by its card name.
stateful_node() {
  for d in /dev/video*; do
    v4l2-ctl -d "$d" -D 2>/dev/null | grep -Eq 'Card type *: *daedalus-v4l2-stateful$' && { echo "$d"; return 0; }
  done
  return 1
}

# /dev/mediaN whose driver is $1 (default: the daedalus decoder).
media_node() {
  for m in /dev/media*; do
    media-ctl -d "$m" -p 2>/dev/null | grep -Eq "^driver +${1:-daedalus[-_]v4l2}\$" && { echo "$m"; return 0; }
  done
  return 1
}

# v4l2-compliance 1.30.1, its log kept in the results; prints its "Total for" line.
compliance() { # <log-name> <args...>
  name=$1; shift
  $V4L2_COMPLIANCE "$@" > "$DAEDALUS_RESULTS/$name.log" 2>&1
  rc=$?
  grep -h '^Total for' "$DAEDALUS_RESULTS/$name.log" | tail -n 1
  return $rc
}

# The real daemon, bundled by the host test as $DAEDALUS_RESULTS/daedalusd.js, at the priority the shipped
# unit gives it (dist/debian/daedalus-v4l2.service: Nice=-5: it stands in for decoding hardware, which its
# clients' own work never slows down); waits until the module sees it connected. Sets DPID.
start_daemon() { # <log file>
  export DENO_DIR=/tmp/deno DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
  nice -n -5 "$DAEDALUS_REPO/tools/node_modules/deno/deno" run -A --no-config "$DAEDALUS_RESULTS/daedalusd.js" \
    run -v > "$1" 2>&1 &
  DPID=$!
  i=0
  until [ "$(cat /sys/class/misc/daedalus-v4l2/daemon_connected 2>/dev/null)" = 1 ]; do
    i=$((i + 1)); [ $i -le 120 ] || { cat "$1"; fail "the daemon did not connect in 60 s"; }
    kill -0 $DPID 2>/dev/null || { cat "$1"; fail "the daemon exited"; }
    sleep 0.5
  done
}
