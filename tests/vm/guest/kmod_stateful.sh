#!/bin/sh
# The stateful node (docs/stateful.md, module parameter stateful, off by default): registered only when
# asked, where Raspberry Pi OS's Chromium looks; v4l2-compliance without streaming; then the test stream
# client (tests/kmod/stream.c) against the test backend's streams through dev-decoder.rst's sequences,
# the backend's stale and invalid answers refused, the daemon's death and no daemon at all.
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
. "$DAEDALUS_REPO/tests/vm/guest/kmod_lib.sh"

stateful_node() { for d in /dev/video*; do v4l2-ctl -d "$d" -D 2>/dev/null | grep -Eq 'Card type *: *daedalus-v4l2-stateful$' && { echo "$d"; return 0; }; done; return 1; }
load_daedalus
stateful_node >/dev/null && fail "a stateful node without stateful=1"
rmmod daedalus_v4l2 || fail "rmmod"
load_daedalus stateful=1
S=$(stateful_node) || fail "no stateful node with stateful=1"
[ "$S" = /dev/video10 ] || fail "the stateful node is $S, not /dev/video10 (stateful_nr's default)"
v4l2-ctl -d "$S" -D | grep -Eq 'Bus info *: *platform:daedalus-v4l2-stateful$' || fail "the stateful node's bus_info"
v4l2-ctl -d "$S" --list-formats-out | grep -q "'H264'" || fail "the stateful node lacks H264"
# The test backend serves its streams: what compliance starts is fetched, so no stall watchdog ends it.
start_backend
t=$(compliance compliance-stateful -d "$S"); rc=$?
echo "compliance $S (stateful): $t"
echo "$t" | grep -q 'Failed: 0, Warnings: 0' && [ $rc = 0 ] || { grep -E 'fail:|warn:' "$DAEDALUS_RESULTS/compliance-stateful.log"; fail "v4l2-compliance on the stateful node"; }
ok "stateful=1: $S, H.264; v4l2-compliance: 0 failures, 0 warnings"
s0=$(counter streams) p0=$(counter pictures_done)
"$BIN/stream" decode early seek refused error stall || fail "the stream client"
stop_backend
grep -h 'stream pictures' "$BACKEND_LOG"
grep -q 'backend ok: STREAM_FORMAT of an old epoch -> ENOENT' "$BACKEND_LOG" || fail "no stale epoch was refused"
grep -q 'backend ok: STREAM_PICTURE of a cookie the kernel took back -> ENOENT' "$BACKEND_LOG" || fail "no stale cookie was refused"
[ $(($(counter streams) - s0)) = 9 ] || fail "$(($(counter streams) - s0)) streams started, not 9"
[ $(($(counter pictures_done) - p0)) = 14 ] || fail "$(($(counter pictures_done) - p0)) pictures done, not 14"
dmesg | grep -q 'stream [0-9]*: h264 320x240 10-bit cannot be output' || fail "no dmesg line for the refused format"
ok "stateful node: initialization, drain (LAST, EOS, EPIPE, DEC_CMD_START), resolution change fitting or not, seek, refused formats, daemon errors, stall watchdog; stale epochs and cookies refused"
# The daemon goes while a stream decodes: EIO, no hang; the next stream decodes.
start_backend
"$BIN/stream" dead > "$DAEDALUS_RESULTS/stream-dead.log" 2>&1 &
CPID=$!
for _ in $(seq 100); do grep -q streaming "$DAEDALUS_RESULTS/stream-dead.log" && break; sleep 0.1; done
kill -KILL "$BACKEND_PID"; wait "$BACKEND_PID" 2>/dev/null; BACKEND_PID=
wait $CPID || { cat "$DAEDALUS_RESULTS/stream-dead.log"; fail "a stream did not end in error when the daemon died"; }
"$BIN/stream" nodaemon || fail "a stream with no daemon did not fail"
start_backend
"$BIN/stream" decode || fail "the next stream after the daemon's death"
stop_backend
ok "the daemon's death ends a stream with EIO, no hang; with no daemon a stream fails after job_timeout_ms; the next stream decodes"

rmmod daedalus_v4l2 || fail "rmmod"
