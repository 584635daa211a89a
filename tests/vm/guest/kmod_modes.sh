#!/bin/sh
# Every H.264 decode mode and start-code mode, each forced by module parameters in turn (reloading the
# module within one boot): the controls' default values follow the parameters and the test client,
# which takes the defaults as FFmpeg and libva do, gets correct pictures in each; slice-based runs
# several slices per picture with V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF. Then requests required or not,
# and codecs advertised only as the daemon declares them.
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
. "$DAEDALUS_REPO/tests/vm/guest/kmod_lib.sh"

reload() { # module parameters
  grep -q '^daedalus_v4l2 ' /proc/modules && { rmmod daedalus_v4l2 || fail "rmmod"; }
  load_daedalus "$@"
  V=$(video_node) || fail "no video device with $*"
}

for m in 1 2; do
  for s in 1 2; do
    reload h264_decode_modes=$m h264_start_codes=$s
    # Only the allowed mode is offered: one menu entry each.
    v4l2-ctl -d "$V" --list-ctrls-menus > "$DAEDALUS_RESULTS/menus-$m$s.txt" 2>&1
    n=$(grep -cE '^\s+[0-9]+: (Slice-Based|Frame-Based|No Start Code|Annex B Start Code)' "$DAEDALUS_RESULTS/menus-$m$s.txt")
    [ "$n" = 2 ] || { cat "$DAEDALUS_RESULTS/menus-$m$s.txt"; fail "menus offer $n entries for modes=$m start_codes=$s"; }
    start_backend
    if [ $m = 1 ]; then slices=3; else slices=1; fi
    client -n 4 -s 320x240 -f nv12 --slices $slices || fail "NV12, decode_modes=$m start_codes=$s"
    client -n 3 -s 176x144 -f yuv420 --slices $slices || fail "YUV420, decode_modes=$m start_codes=$s"
    # GStreamer submits a real stream the way it does for any stateless decoder; the backend checks
    # each job (start codes, SPS, held slices) and the element must deliver all 20 pictures.
    rm -f /tmp/gst.nv12
    gst-launch-1.0 -q filesrc location="$BIN/clip.h264" ! h264parse ! v4l2slh264dec ! \
      video/x-raw,format=NV12 ! filesink location=/tmp/gst.nv12 > "$DAEDALUS_RESULTS/gst-$m$s.log" 2>&1 ||
      { tail -n 20 "$DAEDALUS_RESULTS/gst-$m$s.log"; fail "GStreamer, decode_modes=$m start_codes=$s"; }
    [ "$(stat -c %s /tmp/gst.nv12)" = $((20 * 320 * 240 * 3 / 2)) ] ||
      fail "GStreamer delivered $(stat -c %s /tmp/gst.nv12) bytes, not 20 pictures"
    stop_backend
    ok "decode_modes=$m start_codes=$s ($slices slice(s) per picture): pictures correct; GStreamer decodes"
  done
done

reload
start_backend
client -n 3 --no-requests || fail "buffers without requests"
ok "requests not required (default): a request-less buffer decodes with the current controls"
stop_backend
reload requires_requests=1
client --expect-ebadr || fail "requires_requests=1 accepted a buffer without a request"
ok "requires_requests=1: a buffer without a request is refused"

# Codecs: a daemon that declares none hides them from clients; one that declares them shows them again.
start_backend --codecs 0
[ -z "$(counter codecs)" ] || fail "codecs '$(counter codecs)' with a daemon declaring none"
v4l2-ctl -d "$V" --list-formats-out | grep -Eq "S264|VP8F|VP9F|AV1F" && fail "a codec offered though the daemon declared none"
stop_backend
[ -z "$(counter codecs)" ] || fail "the declared codecs were forgotten when the daemon left"
start_backend
# the test backend declares every codec it checks: H.264, VP8, VP9, AV1
want=$(kernel_codecs)
[ "$(counter codecs)" = "$want" ] || fail "codecs '$(counter codecs)' with a daemon declaring all, want '$want'"
for f in S264 VP8F VP9F $(kernel_has_av1 && echo AV1F); do
  v4l2-ctl -d "$V" --list-formats-out | grep -q "$f" || fail "$f not offered"
done
stop_backend
start_backend --codecs 0x10
[ "$(counter codecs)" = vp9 ] || fail "codecs '$(counter codecs)' with a daemon declaring VP9 only"
stop_backend
start_backend
stop_backend
ok "codecs follow what the daemon declares"

# debugfs: one line per open context.
[ -d /sys/kernel/debug/daedalus-v4l2 ] || mount -t debugfs none /sys/kernel/debug
exec 3<>"$V"
grep -Eq '^ctx [0-9]+ codec h264 out 1280x720 cap NV12 .* 1280x720 job idle' /sys/kernel/debug/daedalus-v4l2/contexts ||
  { cat /sys/kernel/debug/daedalus-v4l2/contexts; fail "debugfs contexts"; }
exec 3<&-
ok "debugfs lists open contexts"

rmmod daedalus_v4l2 || fail "rmmod"
insmod "$DAEDALUS_KMOD_DIR/daedalus_v4l2.ko" codecs=0 2>/dev/null && fail "codecs=0 loaded"
insmod "$DAEDALUS_KMOD_DIR/daedalus_v4l2.ko" h264_decode_modes=0 2>/dev/null && fail "h264_decode_modes=0 loaded"
ok "parameters that leave nothing to offer are refused"
