# Sourced by the kernel module's guest scripts after lib.sh: the test backend and client
# (tests/kmod/, compiled by the host test into the run directory) and sysfs counters.
BIN=$DAEDALUS_KMOD_DIR
CTL_SYS=/sys/class/misc/daedalus-v4l2
BACKEND_PID=

counter() { cat "$CTL_SYS/$1"; }
# The codecs this kernel's module has: AV1 where the kernel's uAPI has it (6.5 and later; the module
# asks the headers it was built with).
kernel_has_av1() { printf '%s\n' 6.5 "$(uname -r | cut -d- -f1)" | sort -V -C; }
kernel_codecs() { if kernel_has_av1; then echo "h264 vp8 vp9 av1"; else echo "h264 vp8 vp9"; fi; }

# Starts the test backend in the background; waits until the kernel sees it connected.
start_backend() { # [backend args]
  BACKEND_LOG=$DAEDALUS_RESULTS/backend-$(date +%s%N).log
  "$BIN/backend" "$@" > "$BACKEND_LOG" 2>&1 &
  BACKEND_PID=$!
  for _ in $(seq 50); do [ "$(counter daemon_connected)" = 1 ] && return 0; sleep 0.1; done
  fail "backend did not connect"
}

# SIGTERM: the backend exits 0 only if every check it made passed.
stop_backend() {
  [ -n "$BACKEND_PID" ] || return 0
  kill -TERM "$BACKEND_PID"; wait "$BACKEND_PID"; rc=$?
  BACKEND_PID=
  grep -E 'FAIL|backend: [0-9]' "$BACKEND_LOG"
  [ $rc = 0 ] || fail "test backend reported failures (rc $rc)"
}

client() { "$BIN/client" "$@"; }

# An unprivileged local user, the attacker: nobody, no capabilities, in group video, which
# Debian's udev rules (50-udev-default.rules) give /dev/videoN and /dev/mediaN with mode 0660 (the
# package's rules, dist/debian/60-daedalus-v4l2.rules, keep only the control device to group
# daedalusd). The guest has no udev: the nodes get that group and mode here, and the user a copy of
# the client (the run directory is root's only). Sets UCLIENT.
as_unprivileged() {
  local v m
  v=$(video_node) && m=$(media_node) || fail "no daedalus video or media device"
  chgrp video "$v" "$m" && chmod 0660 "$v" "$m" || fail "group video on $v $m"
  mkdir -p /tmp/unpriv && install -m 0755 "$BIN/client" /tmp/unpriv/client || fail "the client for nobody"
  UCLIENT="setpriv --reuid=nobody --regid=nogroup --groups=video /tmp/unpriv/client"
}

avail_mib() { echo $(($(sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' /proc/meminfo) / 1024)); }
# A hostile client's loop (client --pin), run by an unprivileged user (as_unprivileged; its uid and
# capabilities checked while it holds): what it holds once REQBUFS fails, by its own count, the
# module's (mem_used_kib) and MemAvailable; none past <bound> MiB (MemAvailable: plus <slack> MiB for
# the page tables, files and the client itself). The client gives up at the bound plus 64 MiB, so a
# module whose bound does not hold fails here instead of exhausting the guest. Once it exits, the
# module's count is back to what it was. Failures are collected in PIN_FAILED (every figure printed),
# the last figures in PIN_LINE.
pin_check() { # <bound MiB> <slack MiB> <client args...>
  local bound=$1 slack=$2 a0 u0 kib used drop who
  shift 2
  as_unprivileged
  a0=$(avail_mib) u0=$(cat $CTL_SYS/mem_used_kib 2>/dev/null || echo 0)
  $UCLIENT -s 2048x1152 --pin-max $((bound + 64)) "$@" > "$DAEDALUS_RESULTS/pin.log" 2>&1 &
  PIN=$!
  for _ in $(seq 600); do grep -q holding "$DAEDALUS_RESULTS/pin.log" && break; kill -0 $PIN 2>/dev/null || break; sleep 0.1; done
  grep -q holding "$DAEDALUS_RESULTS/pin.log" || { cat "$DAEDALUS_RESULTS/pin.log"; fail "client --pin $*"; }
  # setpriv exec()s the client: $PIN is the client.
  who=$(awk '/^Uid:/ { u = $2 } /^CapEff:/ { c = $2 } END { print u, c }' /proc/$PIN/status)
  [ "$who" = "65534 0000000000000000" ] || fail "client --pin $* ran as uid/capabilities '$who', not nobody's"
  kib=$(sed -n 's/.*: \([0-9]*\) KiB pinned.*/\1/p' "$DAEDALUS_RESULTS/pin.log")
  used=$(cat $CTL_SYS/mem_used_kib 2>/dev/null || echo -1) drop=$(($a0 - $(avail_mib)))
  kill -TERM $PIN; wait $PIN
  PIN_LINE="uid 65534: $((kib / 1024)) MiB pinned, the module counts $((used / 1024)) MiB, MemAvailable fell $drop MiB (bound $bound MiB); after exit the module counts $(($(cat $CTL_SYS/mem_used_kib 2>/dev/null || echo 0) / 1024)) MiB"
  echo "pin: client $*: $PIN_LINE"
  [ "$kib" -le $((bound * 1024)) ] && [ "$drop" -le $((bound + slack)) ] ||
    PIN_FAILED="$PIN_FAILED; client $* held $((kib / 1024)) MiB, MemAvailable fell $drop MiB, past $bound MiB"
  [ "$used" -ge 0 ] && [ "$used" -le $((bound * 1024)) ] && [ "$(cat $CTL_SYS/mem_used_kib)" = "$u0" ] ||
    PIN_FAILED="$PIN_FAILED; client $*: the module counted $used KiB while held, $(cat $CTL_SYS/mem_used_kib 2>/dev/null) KiB after, $u0 KiB before"
}
