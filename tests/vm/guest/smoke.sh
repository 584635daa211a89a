#!/bin/sh
# Foundation smoke test: the module loads, registers a stateless M2M decoder, its media topology and the
# daemon's control device, and unloads cleanly.
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
R=$DAEDALUS_RESULTS
load_daedalus
V=$(video_node) || fail "no daedalus video device"
ok "video device $V"

v4l2-ctl -d "$V" --info > "$R/info.txt" 2>&1 || fail "QUERYCAP on $V"
cat "$R/info.txt"
# Device caps (the second list) must be exactly a multiplanar M2M streaming device.
sed -n '/Device Caps/,$p' "$R/info.txt" > "$R/devcaps.txt"
grep -q 'Video Memory-to-Memory Multiplanar' "$R/devcaps.txt" || fail "device caps lack M2M_MPLANE"
grep -q 'Streaming' "$R/devcaps.txt" || fail "device caps lack STREAMING"
grep -Eq 'Video Capture|Video Output' "$R/devcaps.txt" && fail "device caps claim a non-M2M queue"
# Stateless: the OUTPUT queue takes parsed bitstreams (H264_SLICE 'S264', VP8_FRAME 'VP8F', VP9_FRAME
# 'VP9F') and exposes each codec's stateless controls.
v4l2-ctl -d "$V" --list-formats-out > "$R/formats-out.txt" 2>&1
for f in S264 VP8F VP9F; do
  grep -q "'$f'" "$R/formats-out.txt" || { cat "$R/formats-out.txt"; fail "OUTPUT lacks $f"; }
done
v4l2-ctl -d "$V" --list-ctrls > "$R/ctrls.txt" 2>&1
for c in h264_sequence_parameter_set h264_picture_parameter_set h264_decode_parameters h264_decode_mode \
  h264_start_code vp8_frame vp9_frame vp9_probabilities; do
  grep -q "$c" "$R/ctrls.txt" || { cat "$R/ctrls.txt"; fail "control $c missing"; }
done
ok "stateless H.264, VP8 and VP9 decoder: QUERYCAP, OUTPUT formats, controls"

M=$(media_node) || fail "no daedalus media device"
media-ctl -d "$M" -p > "$R/topology.txt" 2>&1 || fail "media-ctl -p"
cat "$R/topology.txt"
bus=$(sed -n 's/^[[:space:]]*Bus info[[:space:]]*: //p' "$R/info.txt" | head -n1)
grep -Eq "^bus info +$bus\$" "$R/topology.txt" || fail "media bus info differs from QUERYCAP's ($bus)"
for e in source proc sink; do grep -Eq "^- entity [0-9]+: .*-$e " "$R/topology.txt" || fail "no $e entity"; done
# media-ctl 1.22 prints no entity functions; v4l2-ctl --info names the function of the linked entity.
grep -Eq "Link .* to remote pad .* of entity '[^']*-proc' \(Video Decoder\): Data, Enabled, Immutable" "$R/info.txt" ||
  fail "the video node's entity has no immutable data link to a Video Decoder entity"
grep -q "device node name $V" "$R/topology.txt" || fail "no interface link to $V"
ok "media topology on $M"

[ -c /dev/daedalus-v4l2 ] || fail "no control device /dev/daedalus-v4l2"
perm=$(stat -c '%a %U %G' /dev/daedalus-v4l2)
[ "$perm" = "600 root root" ] || fail "control device permissions are '$perm', not root-only"
ok "control device: $perm"

rmmod daedalus_v4l2 || fail "rmmod"
[ -e /dev/daedalus-v4l2 ] && fail "control device still there after rmmod"
video_node >/dev/null && fail "video device still there after rmmod"
ok "rmmod clean"
