#!/bin/bash
# Build Raspberry Pi OS's FFmpeg (rpi-ffmpeg 5.1.4, LGPL-2.1+, not packaged by Debian: its *_v4l2m2m decoders
# give DRM_PRIME frames, as Firefox's V4L2 path and Pi OS's Chromium, mpv and Kodi take them) from its
# tarball, idempotently, in $CACHE/rpi-ffmpeg-5.1.4/: unpacked into src/, configured minimally (below) against
# bookworm's libdrm and V4L2 uAPI headers, built at nice 19 and installed into install/ there. Its own
# libraries are linked in statically; the program needs only libdrm2 and libc of the host's root filesystem,
# which the guests share. Rebuilt whenever the tarball, this script, the uAPI header or libdrm change (key);
# a failed build prints its log and fails. Nothing of FFmpeg's source enters the repository.
# usage: build-rpi-ffmpeg.sh    (env RPI_FFMPEG_TARBALL: the tarball; prints the ffmpeg program's path)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
TARBALL=${RPI_FFMPEG_TARBALL:-/work/shared/clients/rpi-ffmpeg-5.1.4.tar.gz}
D=$CACHE/rpi-ffmpeg-5.1.4
FFMPEG=$D/install/bin/ffmpeg
[ -r "$TARBALL" ] || die "no rpi-ffmpeg tarball at $TARBALL (set RPI_FFMPEG_TARBALL)"
for c in make gcc pkg-config; do command -v "$c" >/dev/null || die "no $c (is tools/apt-packages.txt installed?)"; done
pkg-config --exists libdrm || die "no libdrm-dev (is tools/apt-packages.txt installed?)"
[ -r /usr/include/linux/videodev2.h ] || die "no linux-libc-dev (no /usr/include/linux/videodev2.h)"

key=$( { sha1sum < "$TARBALL"; sha1sum < "${BASH_SOURCE[0]}"; sha1sum < /usr/include/linux/videodev2.h
  pkg-config --modversion libdrm; } | sha1sum | cut -c1-40)
mkdir -p "$D"; exec 8>"$D.lock"; flock 8
if [ "$(cat "$D/key" 2>/dev/null)" = "$key" ] && [ -x "$FFMPEG" ]; then echo "$FFMPEG"; exit 0; fi

# What the tests use: every *_v4l2m2m decoder (one source file for all), with H.264's and HEVC's software
# decoders for their parameter-set parsers (v4l2_m2m_dec.c's parse_extradata reads the profile and reorder
# depth from MP4/Matroska extradata with them, as on Pi OS, where they are built); the demuxers, parsers and
# bitstream filters of the test clips; hwdownload and the filters ffmpeg's command line needs; raw video and
# framemd5 out. The DRM hardware context (--enable-libdrm) is what the decoders' DRM_PRIME frames live in.
DECODERS=h263_v4l2m2m,h264_v4l2m2m,hevc_v4l2m2m,mpeg1_v4l2m2m,mpeg2_v4l2m2m,mpeg4_v4l2m2m,vc1_v4l2m2m
DECODERS+=,vp8_v4l2m2m,vp9_v4l2m2m,h264,hevc
CONFIGURE=(--prefix="$D/install" --disable-everything --disable-autodetect --disable-doc --disable-debug
  --disable-shared --enable-static --disable-x86asm --disable-ffplay --disable-ffprobe
  --enable-v4l2-m2m --enable-libdrm
  --enable-decoder="$DECODERS"
  --enable-parser="h264,hevc,mpeg4video,mpegvideo,vp8,vp9"
  --enable-demuxer="h264,hevc,mov,matroska,ivf,m4v,mpegvideo,avi"
  --enable-bsf="h264_mp4toannexb,hevc_mp4toannexb,vp9_superframe_split"
  --enable-encoder=rawvideo --enable-muxer="rawvideo,framemd5,null"
  --enable-filter="hwdownload,format,copy,showinfo,null"
  --enable-protocol="file,pipe")

echo "vm: building rpi-ffmpeg 5.1.4 (minutes)" >&2
rm -rf "$D/src" "$D/install" "$D/key"
mkdir -p "$D/src"
tar -xzf "$TARBALL" -C "$D/src" --strip-components=1
if ! { cd "$D/src" && nice -n 19 ./configure "${CONFIGURE[@]}" &&
  nice -n 19 make -j"$(nproc)" && make install; } > "$D/build.log" 2>&1; then
  cat "$D/build.log" >&2; die "rpi-ffmpeg build failed (log: $D/build.log)"
fi
# configure drops a component whose dependency is missing without a word: the decoder must be there, with
# its hardware configuration (DRM_PRIME, method internal: no device type, shown as "(null)") and DRM_PRIME
# its first pixel format.
"$FFMPEG" -hide_banner -h decoder=h264_v4l2m2m > "$D/h264_v4l2m2m.txt" 2>&1 || true
if ! grep -q '^ *Supported hardware devices:' "$D/h264_v4l2m2m.txt" ||
  ! grep -q '^ *Supported pixel formats: drm_prime ' "$D/h264_v4l2m2m.txt"; then
  cat "$D/h264_v4l2m2m.txt" >&2; die "rpi-ffmpeg was built without h264_v4l2m2m's DRM_PRIME output"
fi
echo "$key" > "$D/key"
echo "$FFMPEG"
