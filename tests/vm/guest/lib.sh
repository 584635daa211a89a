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
# Deno keeps V8's compiled code in DENO_DIR, as the packaged daemon does in its cache directory across
# restarts: a guest's first daemon takes it from the VM cache (deno-code-cache/, one file per bundle,
# written by the first guest that ran the bundle), so that not every boot compiles the daemon again
# under emulation (measured on 6.12: 8.4 s from start to connected without it, 6.5 s with it). The
# bundle runs from one path in every guest (Deno's cache is keyed by it); V8 checks each entry against
# the source and its own version and flags, and compiles afresh what does not match.
start_daemon() { # <log file>
  export DENO_DIR=/tmp/deno DENO_NO_UPDATE_CHECK=1 NO_COLOR=1
  _seed=
  if [ ! -d /tmp/deno ]; then
    mkdir -p /tmp/deno "$DAEDALUS_CACHE/deno-code-cache"
    _seed=$DAEDALUS_CACHE/deno-code-cache/$(sha256sum "$DAEDALUS_RESULTS/daedalusd.js" | cut -c1-16).db
    cp "$_seed" /tmp/deno/v8_code_cache_v2 2>/dev/null && _seed=
  fi
  cmp -s "$DAEDALUS_RESULTS/daedalusd.js" /tmp/daedalusd.js || cp "$DAEDALUS_RESULTS/daedalusd.js" /tmp/daedalusd.js
  nice -n -5 "$DAEDALUS_REPO/tools/node_modules/deno/deno" run -A --no-config /tmp/daedalusd.js run -v > "$1" 2>&1 &
  DPID=$!
  _w=0
  until [ "$(cat /sys/class/misc/daedalus-v4l2/daemon_connected 2>/dev/null)" = 1 ]; do
    _w=$((_w + 1)); [ $_w -le 120 ] || { cat "$1"; fail "the daemon did not connect in 60 s"; }
    kill -0 $DPID 2>/dev/null || { cat "$1"; fail "the daemon exited"; }
    sleep 0.5
  done
  # No seed yet: this daemon's compiled code (a consistent copy of the live database), for the next guests.
  if [ -n "$_seed" ] && [ -f /tmp/deno/v8_code_cache_v2 ]; then
    python3 -c 'import sqlite3, sys
s = sqlite3.connect(sys.argv[1]); d = sqlite3.connect(sys.argv[2]); s.backup(d); d.close(); s.close()' \
      /tmp/deno/v8_code_cache_v2 "$_seed.$$" && mv "$_seed.$$" "$_seed" || rm -f "$_seed.$$"
  fi
}
