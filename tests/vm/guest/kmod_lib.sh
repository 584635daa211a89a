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
