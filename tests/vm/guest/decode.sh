#!/bin/bash
# End to end in the guest: load the module (with the given parameters), start the real daemon, decode
# every job of $DAEDALUS_RESULTS/jobs.tsv through its client, stop the daemon. Nothing here names a codec:
# jobs.tsv says it all (tests/lib/e2e.ts writes it), tab-separated:
#   <id> <clip file in the run dir> <client> <raw format> <GStreamer elements from the file to raw video>
#   <the ffmpeg decoder VA-API needs or ffmpeg-m2m and rpi-ffmpeg use, or - for ffmpeg's default>
#   <a seek, GStreamer 1.22 only: after:to_ns (gst-seek.py), or ->
# client: gst1.22 (bookworm's own GStreamer) or gst1.26 (trixie's, tests/vm/gstreamer-1.26.sh: only 1.24+
# offers I420, as YUV420M), or vaapi (bookworm's ffmpeg through libva's v4l2_request driver; the GStreamer
# elements are unused), or gstva (GStreamer 1.22's own VA-API decoders, va*dec, through the same driver,
# to system memory), or, on the stateful node (the module loaded with stateful=1): ffmpeg-m2m (bookworm's ffmpeg
# with the given <codec>_v4l2m2m decoder) or gst1.22-m2m (bookworm's GStreamer, the elements naming its stock
# stateful v4l2<codec>dec) or rpi-ffmpeg (Raspberry Pi OS's ffmpeg, staged as $R/rpi-ffmpeg, with the given
# <codec>_v4l2m2m decoder and DRM_PRIME frames read back by hwdownload). The output goes to <id>.yuv.
# DECODE_JOBS=N runs up to N jobs at once (one gst-launch process each; default 1).
# DECODE_PROBERS=N also runs N processes that probe formats and buffers on their own contexts meanwhile
# (tests/kmod/client.c, staged as $R/client: S_FMT on both queues and REQBUFS, over and over).
# DECODE_FFMPEG=1 also times `ffmpeg -threads 1` decoding each clip, in this guest, for a speed ratio.
# DECODE_COMPLIANCE=1 runs v4l2-compliance -s on the device afterwards, with the daemon still connected.
. "$DAEDALUS_REPO/tests/vm/guest/lib.sh"
R=$DAEDALUS_RESULTS
need gst-launch-1.0 ffmpeg
load_daedalus "$@"
V=$(video_node) || fail "no daedalus video device"

# DECODE_DUMP=1: the daemon writes every job's controls and bitstream to $R/jobs/ (debugging)
[ "${DECODE_DUMP:-0}" = 1 ] && export DAEDALUSD_DUMP_JOBS=$R/jobs
start_daemon "$R/daemon.log"
ok "daemon connected (uptime $(cut -d' ' -f1 /proc/uptime) s)"

# Under TCG the daemon's first jobs run at a tenth of their later speed while V8 compiles its hot paths,
# and GStreamer 1.22 waits at most 1 s for a request: a throwaway decode warms the daemon up first.
if [ -e "$R/warmup.tsv" ]; then
  IFS=$'\t' read -r _ wclip _ _ welements _ < "$R/warmup.tsv"
  # shellcheck disable=SC2086 # the elements are a gst-launch pipeline fragment
  timeout -k 10 300 gst-launch-1.0 -q filesrc location="$R/$wclip" ! $welements ! fakesink > "$R/warmup.gst.log" 2>&1
  echo "warm-up decode exit status $? (uptime $(cut -d' ' -f1 /proc/uptime) s)"
fi
# The daemon's CPU per thread (clock ticks, user + system, the thread's id, its name), read after the
# warm-up and at the end: which threads did the decoding.
daemon_threads() {
  for t in /proc/$DPID/task/*; do
    echo "$(cut -d' ' -f14,15 "$t/stat" | awk '{print $1 + $2}') ${t##*/} $(cat "$t/comm")"
  done
  echo "$(getconf CLK_TCK) ticks per second"
}
daemon_threads > "$R/daemon-threads-start.txt"
# The clients' slowest request is measured from here on (the warm-up is not what the tests judge).
echo 0 > /sys/class/misc/daedalus-v4l2/request_wait_max_us || fail "reset request_wait_max_us"
# GStreamer 1.26 registers the v4l2sl*dec elements when it scans the devices: once, before parallel
# clients start.
GST126=$DAEDALUS_REPO/tests/vm/gstreamer-1.26.sh
if cut -f3 "$R/jobs.tsv" | grep -qx gst1.26; then
  "$GST126" gst-inspect-1.0 v4l2codecs > "$R/gst126-inspect.log" 2>&1 || fail "GStreamer 1.26 has no v4l2codecs"
fi
# VA-API (libva's v4l2_request driver, staged as $R/v4l2_request_drv_video.so by tests/lib/e2e.ts) needs a DRM
# render node to open a display on, which vgem provides; the driver itself finds the decoder through
# /dev/media*. vainfo checks once that it loads and finds the device.
VAAPI_ENV=(LIBVA_DRIVER_NAME=v4l2_request LIBVA_DRIVERS_PATH="$R")
if cut -f3 "$R/jobs.tsv" | grep -Eqx 'vaapi|gstva'; then
  need vainfo
  modprobe vgem || fail "modprobe vgem"
  DRI=
  for n in /sys/class/drm/renderD*; do
    case $(readlink -f "$n/device") in */vgem) DRI=/dev/dri/${n##*/} ;; esac
  done
  [ -c "$DRI" ] || fail "vgem gave no render node"
  if ! env "${VAAPI_ENV[@]}" vainfo --display drm --device "$DRI" > "$R/vainfo.log" 2>&1 ||
    ! grep -q VAEntrypointVLD "$R/vainfo.log"; then
    cat "$R/vainfo.log"; fail "the v4l2_request VA-API driver offers no decoding"
  fi
fi

decode() { # <id> <clip> <client> <format> <elements> <ffmpeg decoder, or -> <seek, or ->
  # A hung client is killed and counted as failed. GStreamer waits at most 1 s for a request (hard-coded)
  # and then fails the stream: the tests size their clips and clients so that the slowest request
  # (request_wait_max_us, reported) stays well below that, and a failure is never retried.
  t0=$(date +%s.%N)
  case $3 in
    gst1.22 | gst1.26 | gstva | gst1.22-m2m)
      case $3 in
        gst1.26) launch=("$GST126" gst-launch-1.0) ;;
        # GStreamer's va plugin takes only drivers it knows unless told otherwise.
        gstva) launch=(env "${VAAPI_ENV[@]}" GST_VA_ALL_DRIVERS=1 gst-launch-1.0) ;;
        *) launch=(gst-launch-1.0) ;;
      esac
      if [ "${7:--}" != - ]; then
        # a player's seek: after ${7%%:*} pictures, to ${7#*:} ns (the pictures' timestamps in $1.yuv.pts)
        timeout -k 10 300 /usr/bin/python3 "$DAEDALUS_REPO/tests/vm/guest/gst-seek.py" "$R/$2" "$5" "$4" "$R/$1.yuv" \
          "${7%%:*}" "${7#*:}" > "$R/$1.log" 2>&1
      else
        # shellcheck disable=SC2086 # $5 is a pipeline fragment
        GST_DEBUG=${DECODE_GST_DEBUG:-} timeout -k 10 300 "${launch[@]}" -q filesrc location="$R/$2" ! $5 ! \
          "video/x-raw,format=$4" ! filesink location="$R/$1.yuv" > "$R/$1.log" 2>&1
      fi
      ;;
    vaapi)
      # ffmpeg (bookworm's) through VA-API: a hardware decode requested explicitly (-hwaccel vaapi) fails
      # rather than falls back, and frames that are not VA surfaces cannot pass hwdownload; -xerror ends
      # it at the first decode error. Every decoded frame written once (-fps_mode passthrough); one thread,
      # so one request at a time, as the tests size them.
      case $4 in NV12) pix=nv12 ;; P010_10LE) pix=p010le ;; *) pix="" ;; esac
      if [ -z "$pix" ]; then echo "VA-API gives no $4" > "$R/$1.log"; false; else
        timeout -k 10 300 env "${VAAPI_ENV[@]}" ffmpeg -nostdin -hide_banner -xerror -threads 1 \
          -hwaccel vaapi -hwaccel_device "$DRI" -hwaccel_output_format vaapi \
          $([ "${6:--}" = - ] || echo "-c:v $6") -i "$R/$2" \
          -vf "hwdownload,format=$pix" -fps_mode passthrough -autoscale 0 -f rawvideo -y "$R/$1.yuv" \
          > "$R/$1.log" 2>&1
      fi
      ;;
    ffmpeg-m2m)
      # ffmpeg (bookworm's) through the stateful node: the decoder finds the node by its OUTPUT formats. After a
      # source change its frames may have the CAPTURE format's coded size (it reads the crop rectangle only at the
      # start): showinfo logs each frame's size for the test to crop; -autoscale 0 keeps every frame at its own
      # size. The frames are copied (-vf copy, as mpv's v4l2m2m-copy does): ffmpeg 5.1 keeps a reference to the
      # last frame it wrote (fftools' last_frame), and its decoder's reinit at a resolution change waits until
      # every CAPTURE buffer is released (v4l2_m2m.c), which then never happens.
      timeout -k 10 300 ffmpeg -nostdin -hide_banner -v "${DECODE_FFMPEG_LOGLEVEL:-info}" -xerror -c:v "$6" -i "$R/$2" -vf copy,showinfo \
        -fps_mode passthrough -autoscale 0 -f rawvideo -y "$R/$1.yuv" > "$R/$1.log" 2>&1
      ;;
    rpi-ffmpeg)
      # Raspberry Pi OS's FFmpeg (tests/vm/build-rpi-ffmpeg.sh, staged as $R/rpi-ffmpeg) through the stateful node
      # as Firefox's V4L2 path and Pi OS's players take its frames: DRM_PRIME, each CAPTURE plane exported as a
      # dma-buf (VIDIOC_EXPBUF). Its ffmpeg program picks the decoder's DRM_PRIME format only with -no_cvt_hw
      # (its get_format skips a hardware configuration of method "internal" otherwise; -hwaccel drm does not
      # change that) and then hands the frames to the filters as they are: hwdownload maps the dma-bufs and
      # copies the pictures out, in the CAPTURE format the decoder chose (-pixel_format: its preference among
      # the node's). showinfo logs each frame's size, which is the visible one: libavcodec applies the crop
      # rectangle's right and bottom to a hardware frame's size.
      case $4 in NV12) pix=nv12 ;; I420) pix=yuv420p ;; *) pix="" ;; esac
      if [ -z "$pix" ]; then echo "rpi-ffmpeg gives no $4" > "$R/$1.log"; false; else
        timeout -k 10 300 "$R/rpi-ffmpeg" -nostdin -hide_banner -v "${DECODE_FFMPEG_LOGLEVEL:-info}" -xerror -no_cvt_hw \
          -pixel_format "$pix" -c:v "$6" -i "$R/$2" -vf "hwdownload,format=$pix,showinfo" \
          -fps_mode passthrough -autoscale 0 -f rawvideo -y "$R/$1.yuv" > "$R/$1.log" 2>&1
      fi
      ;;
    *) echo "unknown client $3" > "$R/$1.log"; false ;;
  esac
  echo "$1 $? $t0 $(date +%s.%N)" >> "$R/client-status.txt"
  if [ "${DECODE_FFMPEG:-0}" = 1 ]; then
    t0=$(date +%s.%N)
    ffmpeg -nostdin -v error -threads 1 -i "$R/$2" -f null - > "$R/$1.ffmpeg.log" 2>&1
    echo "$1 $? $t0 $(date +%s.%N)" >> "$R/ffmpeg-status.txt"
  fi
}

# Probing rounds until the decodes are done; any failure (EBUSY...) is recorded. A pause between rounds
# keeps the probers from taking the emulated CPUs from the clients: they test contention for the device,
# not for the CPU.
probe_formats() { # <id>
  n=0
  while [ -e "$R/probing" ]; do
    "$R/client" -n 0 --probe 20 --expect any > "$R/prober-$1.last" 2>&1 ||
      { echo "prober $1: $(cat "$R/prober-$1.last")" >> "$R/prober-errors.txt"; }
    n=$((n + 1))
    sleep 0.2
  done
  echo "prober $1: $n rounds" >> "$R/prober-rounds.txt"
}

: > "$R/client-status.txt"
if [ "${DECODE_PROBERS:-0}" -gt 0 ]; then
  touch "$R/probing"
  for p in $(seq 1 "$DECODE_PROBERS"); do probe_formats "$p" & probers="${probers:-} $!"; done
fi
running=0
while IFS=$'\t' read -r id clip client format elements ffmpeg_decoder seek; do
  [ -n "$id" ] || continue
  if [ "$running" -ge "${DECODE_JOBS:-1}" ]; then wait -n; running=$((running - 1)); fi
  decode "$id" "$clip" "$client" "$format" "$elements" "$ffmpeg_decoder" "$seek" &
  running=$((running + 1))
done < "$R/jobs.tsv"
while [ "$running" -gt 0 ]; do wait -n; running=$((running - 1)); done
cat /sys/class/misc/daedalus-v4l2/request_wait_max_us > "$R/request-wait-max-us.txt"
echo "slowest request: $(cat "$R/request-wait-max-us.txt") us"
rm -f "$R/probing"
for p in ${probers:-}; do wait "$p"; done

if [ "${DECODE_COMPLIANCE:-0}" = 1 ]; then
  echo "v4l2-compliance with the daemon connected: $(compliance compliance-daemon -d "$V" -s 10)"
fi
# DECODE_COMPLIANCE_STREAM=<fourcc>=<file in the run dir>: v4l2-compliance streams the file through the stateful
# node (in OUTPUT buffers of its sizeimage: the arbitrary chunking), the daemon decoding it.
if [ -n "${DECODE_COMPLIANCE_STREAM:-}" ]; then
  S=$(stateful_node) || fail "no stateful node for v4l2-compliance"
  echo "v4l2-compliance streaming on the stateful node: $(compliance compliance-stateful -d "$S" -s 10 \
    --stream-from "${DECODE_COMPLIANCE_STREAM%%=*}=$R/${DECODE_COMPLIANCE_STREAM#*=}")"
fi

daemon_threads > "$R/daemon-threads.txt"
kill -TERM $DPID; wait $DPID; echo "daemon exit status $?" | tee "$R/daemon-status.txt"
for f in /sys/class/misc/daedalus-v4l2/jobs_*; do echo "${f##*/} $(cat "$f")"; done > "$R/counters.txt"
rmmod daedalus_v4l2 || fail "rmmod after the decodes"
