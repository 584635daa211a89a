#!/bin/sh
# What one client can do to the others, and what closing the control device means, in one boot:
# buffer memory stays bounded while mapped, exported or imported after its buffers are freed (a loop of
# REQBUFS, mmap/EXPBUF/import, REQBUFS 0 pins at most the bound, by the module's counter and by
# MemAvailable), and a client that reallocates while the daemon (the backend, then the real daemon)
# keeps its mappings is not refused;
# a client's priority guards nothing of the other clients (with the core's, one at
# V4L2_PRIORITY_RECORD would make every other client's S_FMT fail with EBUSY); buffer memory is bounded per context and in all (REQBUFS and
# CREATE_BUFS beyond the bound get ENOMEM, the other clients keep decoding); a daemon that closes its
# control device while it still maps a job's buffer is disconnected at once (its job fails, not
# waiting for the watchdog, and a new daemon connects). dmesg is judged by the harness.
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
. "$DAEDALUS_REPO/tests/vm/guest/kmod_lib.sh"
R=$DAEDALUS_RESULTS
P=/sys/module/daedalus_v4l2/parameters

# The default bound: a quarter of RAM in all, half of that per context, shown by the parameters.
load_daedalus
ram=$(($(sed -n 's/^MemTotal: *\([0-9]*\) kB$/\1/p' /proc/meminfo) / 1024))
all=$(cat $P/mem_limit_mb) ctx=$(cat $P/ctx_mem_limit_mb)
[ "$all" = $((ram / 4)) ] && [ "$ctx" = $((ram / 8)) ] ||
  fail "default bounds $all MiB in all, $ctx MiB per context, with $ram MiB of RAM"
ok "default memory bound: $all MiB in all, $ctx MiB per context ($ram MiB of RAM)"

PIN_FAILED=
pin_check "$ctx" 32 --pin capture
pin_check "$ctx" 32 --pin expbuf
pin_check "$all" 32 --pin capture --pin-contexts 3
[ -z "$PIN_FAILED" ] || fail "memory past the bound$PIN_FAILED"
rmmod daedalus_v4l2 || fail "rmmod"
ok "the default bounds hold for memory: mapped and exported buffers freed with REQBUFS 0 stay charged"

# 2048x1152: 4 OUTPUT buffers of 1.7 MiB and 4 NV12 CAPTURE buffers of 3.4 MiB, 20.25 MiB a client.
load_daedalus mem_limit_mb=50 ctx_mem_limit_mb=40 job_timeout_ms=30000
start_backend

client -s 2048x1152 -n 1 --expect-enomem || fail "16 CAPTURE buffers of 3.4 MiB within a 40 MiB bound"
ok "a context asking for more than its bound gets ENOMEM from REQBUFS and CREATE_BUFS, then decodes within it"

for mode in capture output expbuf import; do pin_check 40 32 --pin $mode; done
pin_check 50 32 --pin capture --pin-contexts 3
pin_check 50 32 --pin import --pin-contexts 3
[ -z "$PIN_FAILED" ] || fail "memory past the bound$PIN_FAILED"
ok "small bounds hold for memory: CAPTURE and OUTPUT buffers mapped, exported, imported into another context"

# A client that reallocates (REQBUFS 0, then its buffers again: a seek) while the daemon keeps its
# mappings of the old ones (the daemon does, by memory_id; the backend here with --keep-mappings):
# 2 x 20.25 MiB exceed the context's 40 MiB, but memory only the daemon maps is not the context's.
stop_backend
start_backend --keep-mappings
client -s 2048x1152 -n 4 --realloc > "$R/realloc.log" 2>&1 || { cat "$R/realloc.log"; fail "reallocation while the daemon keeps mappings"; }
cat "$R/realloc.log"
kept=$(sed -n 's/.*freed, \([0-9-]*\) KiB the daemon still maps.*/\1/p' "$R/realloc.log")
[ "${kept:-0}" -ge $((20 * 1024)) ] || fail "the backend kept $kept KiB mapped: the reallocation case was not tested"
stop_backend
ok "a client reallocating while the backend keeps mappings of $((kept / 1024)) MiB of its old buffers gets its buffers"

# The same against the real daemon, whose mappings kept by memory_id are what the case is about (the
# client's random slices: decoded or failed, each picture unchecked, no request refused).
start_daemon "$R/daemon-realloc.log"
client -s 2048x1152 -n 4 --realloc --unchecked --expect any > "$R/realloc-daemon.log" 2>&1 ||
  { cat "$R/realloc-daemon.log" "$R/daemon-realloc.log"; fail "reallocation while the real daemon keeps mappings"; }
cat "$R/realloc-daemon.log"
kept=$(sed -n 's/.*freed, \([0-9-]*\) KiB the daemon still maps.*/\1/p' "$R/realloc-daemon.log")
[ "${kept:-0}" -ge $((20 * 1024)) ] || fail "the daemon kept $kept KiB mapped: the reallocation case was not tested"
kill -TERM "$DPID"; wait "$DPID"
start_backend
ok "a client reallocating while the real daemon keeps mappings of $((kept / 1024)) MiB of its old buffers gets its buffers"

# (the program itself in the background, not the client function: $! is then the program)
"$BIN/client" -s 2048x1152 --hold-buffers > "$R/holder1.log" 2>&1 &
H1=$!
"$BIN/client" -s 2048x1152 --hold-buffers > "$R/holder2.log" 2>&1 &
H2=$!
for _ in $(seq 300); do
  grep -q holding "$R/holder1.log" && grep -q holding "$R/holder2.log" && break
  sleep 0.1
done
grep -q holding "$R/holder1.log" && grep -q holding "$R/holder2.log" || { cat "$R"/holder*.log; fail "holders"; }
client -s 2048x1152 -n 1 > "$R/client-over.log" 2>&1 && fail "a third 20.25 MiB client fit a 50 MiB bound"
grep -q 'REQBUFS.*Cannot allocate memory' "$R/client-over.log" || { cat "$R/client-over.log"; fail "not ENOMEM"; }
client -s 320x240 -n 6 || fail "a small client while the bound is reached"
kill -TERM $H1; wait $H1 || fail "holder 1"
client -s 2048x1152 -n 1 || fail "a client after another freed its buffers"
kill -TERM $H2; wait $H2 || fail "holder 2"
ok "the device's bound: a third large client gets ENOMEM while two hold theirs, a small one decodes, and the large one fits once memory is freed"

# Priorities: one client at V4L2_PRIORITY_RECORD streams while others set formats and stream.
"$BIN/client" --priority-record -n 20 -s 320x240 > "$R/priority.log" 2>&1 &
PP=$!
client -p 3 -n 6 --probe 2 -s 320x240 || fail "clients beside one that asked for V4L2_PRIORITY_RECORD"
wait $PP || { cat "$R/priority.log"; fail "the client asking for RECORD"; }
grep -q 'at V4L2_PRIORITY_RECORD' "$R/priority.log" || fail "S_PRIORITY"
stop_backend
ok "a client at V4L2_PRIORITY_RECORD locks no other client out: their S_FMT, REQBUFS and STREAMON succeed"

# A daemon that closes a dup() of its control device (a decode thread's, retired) stays connected.
start_backend --close-dup
grep -q 'closed a dup' "$BACKEND_LOG" || fail "the backend did not close a dup"
[ "$(counter daemon_connected)" = 1 ] || fail "a daemon that closed a dup of its control device was disconnected"
client -n 2 || fail "a client after the daemon closed a dup of its control device"
stop_backend
ok "a daemon that closes a dup of its control device stays connected and decodes"

# poll() of the control device hangs up where nothing can come: a file that never said HELLO, and a
# forked child's copy of the daemon's once the parent's close disconnected it (the child already
# waiting in poll(): the disconnect wakes it). Clients are not hung up: a dead daemon's jobs fail with
# ERROR (kmod_main.sh's killed backend), the device stays for the next daemon.
HUP_LOG=$R/backend-hup.log
"$BIN/backend" --hup > "$HUP_LOG" 2>&1 || { cat "$HUP_LOG"; fail "poll() of the control device did not hang up"; }
cat "$HUP_LOG"
grep -q 'hang-ups checked, 0 failures' "$HUP_LOG" || fail "backend --hup"
[ "$(counter daemon_connected)" = 0 ] || fail "still connected after the --hup backend's close"
ok "poll() of the control device: POLLHUP on a file never connected and, waking its poll(), on a forked copy of the daemon's once disconnected"

# A daemon that closes its control device while mapping a job's CAPTURE buffer.
f0=$(counter jobs_failed) t0=$(counter jobs_timedout)
start_backend --close-mapped
OLD=$BACKEND_PID OLD_LOG=$BACKEND_LOG
"$BIN/client" -n 3 --expect any > "$R/client-close.log" 2>&1 &
CPID=$!
for _ in $(seq 300); do grep -q 'closed the control device' "$OLD_LOG" && break; sleep 0.1; done
grep -q 'closed the control device' "$OLD_LOG" || { cat "$OLD_LOG"; fail "the backend never closed"; }
[ "$(counter daemon_connected)" = 0 ] || fail "still connected after the daemon closed its control device"
start_backend
wait $CPID || { cat "$R/client-close.log"; fail "client after the daemon closed"; }
cat "$R/client-close.log"
grep -q 'ok=2 error=1' "$R/client-close.log" || fail "expected the fetched job to fail and the next 2 to decode"
[ $(($(counter jobs_failed) - f0)) = 1 ] || fail "jobs_failed +$(($(counter jobs_failed) - f0)), want +1"
[ $(($(counter jobs_timedout) - t0)) = 0 ] || fail "the closed daemon's job waited for the watchdog"
stop_backend
kill -TERM "$OLD"; wait "$OLD" || { cat "$OLD_LOG"; fail "the closed backend reported failures"; }
ok "a daemon that closes its control device while mapping a job's buffer is disconnected at once: the job fails (not timed out), a new daemon connects"
rmmod daedalus_v4l2 || fail "rmmod"
