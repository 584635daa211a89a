#!/bin/sh
# The stateful node (docs/stateful.md, module parameter stateful, off by default): registered only when
# asked, where Raspberry Pi OS's Chromium looks; v4l2-compliance without streaming; then the test stream
# client (tests/kmod/stream.c) against the test backend's streams through dev-decoder.rst's sequences,
# the backend's stale and invalid answers refused, every coded format (its flags, sizes, PROFILE menu,
# a stream with the right codec on the wire, 10-bit to P010 or refused), the formats offered as the
# daemon's and the module's codecs narrow them, the daemon's death and no daemon at all.
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
. "$DAEDALUS_REPO/tests/vm/guest/kmod_lib.sh"

load_daedalus
stateful_node >/dev/null && fail "a stateful node without stateful=1"
rmmod daedalus_v4l2 || fail "rmmod"
load_daedalus stateful=1
S=$(stateful_node) || fail "no stateful node with stateful=1"
[ "$S" = /dev/video10 ] || fail "the stateful node is $S, not /dev/video10 (stateful_nr's default)"
v4l2-ctl -d "$S" -D | grep -Eq 'Bus info *: *platform:daedalus-v4l2-stateful$' || fail "the stateful node's bus_info"
v4l2-ctl -d "$S" --list-formats-out | grep -q "'H264'" || fail "the stateful node lacks H264"
# The stream codecs (1 << the wire ids): all of the node's, and without HEVC and MPEG-4 (the backend's),
# without VP9 and H.263 (the module's codecs parameter).
ALL=0x3be NO_HEVC_MPEG4=0x2ba NO_VP9_H263=0x1ae
# The test backend serves its streams: what compliance starts is fetched, so no stall watchdog ends it.
start_backend --stream-codecs $ALL
t=$(compliance compliance-stateful -d "$S"); rc=$?
echo "compliance $S (stateful): $t"
echo "$t" | grep -q 'Failed: 0, Warnings: 0' && [ $rc = 0 ] || { grep -E 'fail:|warn:' "$DAEDALUS_RESULTS/compliance-stateful.log"; fail "v4l2-compliance on the stateful node"; }
stop_backend
grep -q "stream codecs $ALL\$" "$BACKEND_LOG" || fail "the module's stream codecs are not $ALL"
ok "stateful=1: $S, H.264, HEVC, VP8, VP9, MPEG-1, MPEG-2, MPEG-4 (and XVID), H.263; v4l2-compliance: 0 failures, 0 warnings"
s0=$(counter streams) p0=$(counter pictures_done)
start_backend --stream-codecs $ALL
"$BIN/stream" decode early seek pause restart refused error stall formats profiles codecs deep timecode || fail "the stream client"
stop_backend
grep -h 'stream pictures\|streams started' "$BACKEND_LOG"
grep -q 'backend ok: STREAM_FORMAT of an old epoch -> ENOENT' "$BACKEND_LOG" || fail "no stale epoch was refused"
grep -q 'backend ok: STREAM_PICTURE of a cookie the kernel took back -> ENOENT' "$BACKEND_LOG" || fail "no stale cookie was refused"
# H.264: 13 streams of the state machine's scenarios, one of codecs, two of deep, two of timecode (a
# seek); each other format one of codecs and one of deep.
grep -qx 'backend: streams started: H264 18 HEVC 2 VP80 2 VP90 2 MPG1 2 MPG2 2 MPG4 2 XVID 2 H263 2' "$BACKEND_LOG" ||
  fail "STREAM_STARTs per format: $(grep -h 'streams started' "$BACKEND_LOG")"
[ $(($(counter streams) - s0)) = 34 ] || fail "$(($(counter streams) - s0)) streams started, not 34"
# timecode's 10 pictures among them
[ $(($(counter pictures_done) - p0)) = 49 ] || fail "$(($(counter pictures_done) - p0)) pictures done, not 49"
dmesg | grep -q 'stream [0-9]*: h264 320x240 12-bit cannot be output' || fail "no dmesg line for the refused format"
dmesg | grep -q 'stream [0-9]*: mpeg2 352x288 10-bit cannot be output' || fail "no dmesg line for the refused 10-bit MPEG-2"
ok "stateful node: initialization, drain (LAST, EOS, EPIPE, DEC_CMD_START), resolution change fitting or not, seek, an epoch's first format paused until DEC_CMD_START or a new CAPTURE setup (no picture before), refused formats, daemon errors, stall watchdog; stale epochs and cookies refused; each picture's TIMECODE, timecode and TSTAMP_SRC its OUTPUT buffer's (out of order, the last 256 buffers of an epoch)"
ok "stateful node: 9 coded formats with their flags, frame sizes and PROFILE menus, a stream of each with its wire codec; 10-bit H.264, HEVC and VP9 to P010, the others refused; depth changes while decoding"
start_backend --stream-codecs $NO_HEVC_MPEG4
"$BIN/stream" --codecs $NO_HEVC_MPEG4 formats || fail "the formats of a daemon without HEVC and MPEG-4"
stop_backend
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
load_daedalus stateful=1 codecs=$NO_VP9_H263
"$BIN/stream" --codecs $NO_VP9_H263 formats || fail "the formats of codecs=$NO_VP9_H263"
rmmod daedalus_v4l2 || fail "rmmod"
ok "the coded formats offered: those both the daemon declared and the module's codecs parameter allows"
