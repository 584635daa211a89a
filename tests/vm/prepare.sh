#!/bin/bash
# Prepare the VM test environment, idempotently, in $DAEDALUS_VM_CACHE (default /var/cache/daedalus-v4l2-vm):
# Debian kernel images (6.1, 6.12) with their headers, v4l2-mem2mem.ko built from the matching linux-source
# (Debian's amd64 kernels do not ship it), an uncompressed vmlinux and a busybox initramfs per kernel,
# checkpatch.pl, v4l2-compliance 1.30.1 and GStreamer 1.26 (trixie), the arm64 6.1 headers for the cross-build
# check, trixie's and sid's libav headers for the daemon's layout check, and libva's v4l2_request driver
# (build-libva-driver.sh); on request only, Raspberry Pi OS's FFmpeg (build-rpi-ffmpeg.sh: a few minutes' build,
# which e2e-stateful.test.ts also starts itself when its cache lacks it).
# Nothing is installed into the system but the apt packages the bootstrap already lists.
# usage: prepare.sh [6.1] [6.12] [arm64] [tools] [libav-headers] [libva] [rpi-ffmpeg]
#        (default: all but rpi-ffmpeg)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
TARGETS=("$@"); [ ${#TARGETS[@]} -gt 0 ] || TARGETS=(6.1 6.12 arm64 tools libav-headers libva)
mkdir -p "$CACHE"/{debs,images,build,runs}
exec 9>"$CACHE/.prepare.lock"; flock 9   # parallel test files prepare once

# Extract from a linux-source .deb only what we build or run: the media core and scripts/.
extract_source() { # <tag> <pkg>
  local src=$CACHE/src$1
  [ -e "$src/.done" ] && return 0
  fetch_debs "$2"; rm -rf "$src"; mkdir -p "$src"
  dpkg-deb --fsys-tarfile "$CACHE"/debs/"$2"_*.deb | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
    tar -xJ -C "$src" --strip-components=1 --wildcards '*/drivers/media/v4l2-core' '*/scripts/extract-vmlinux' \
      '*/scripts/checkpatch.pl' '*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
  touch "$src/.done"
}

prepare_kernel() { # <tag>
  local k=$1 kver srcpkg kbuild
  case $k in
    6.1) kver=$(apt-cache pkgnames linux-image-6.1.0- | sed -n 's/^linux-image-\(6\.1\.0-[0-9]*-amd64\)$/\1/p' | sort -V | tail -1)
         srcpkg=linux-source-6.1 kbuild=linux-kbuild-6.1;;
    6.12) kver=$(apt-cache pkgnames linux-image-6.12. | sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12-amd64\)$/\1/p' | sort -V | tail -1)
          srcpkg=linux-source-6.12 kbuild=linux-kbuild-${kver%-amd64};;
  esac
  [ -n "$kver" ] || die "no linux-image for $k in the apt lists (run apt-get update)"
  local kroot=$CACHE/k$k common=${kver%-amd64}-common
  if [ "$(cat "$kroot/KVER" 2>/dev/null)" != "$kver" ] || [ ! -e "$kroot/.done" ]; then
    echo "vm: preparing kernel $k ($kver)"
    fetch_debs "linux-image-$kver" "linux-headers-$kver" "linux-headers-$common" "$kbuild"
    rm -rf "$kroot"; mkdir -p "$kroot/hdr"
    dpkg-deb -x "$CACHE"/debs/linux-image-"${kver}"_*.deb "$kroot"
    depmod -b "$kroot" "$kver"
    for d in "linux-headers-$kver" "linux-headers-$common" "$kbuild"; do dpkg-deb -x "$CACHE"/debs/"$d"_*.deb "$kroot/hdr"; done
    # The arch headers' Makefile includes -common by its absolute path; point it at the extracted copy.
    echo "include $kroot/hdr/usr/src/linux-headers-$common/Makefile" > "$kroot/hdr/usr/src/linux-headers-$kver/Makefile"
    echo "$kroot/hdr/usr/src/linux-headers-$kver" > "$kroot/KDIR"
    extract_source "$k" "$srcpkg"
    # An uncompressed kernel boots about 2.5 s faster under TCG.
    sh "$CACHE/src$k/scripts/extract-vmlinux" "$kroot/boot/vmlinuz-$kver" > "$kroot/vmlinux"
    echo "$kver" > "$kroot/KVER"; touch "$kroot/.done"
  fi
  # The initramfs is remade whenever its sources change (a cache outlives many commits).
  local key; key=$(cat "$HERE/mkinitramfs.sh" "$HERE/initramfs-init" | sha1sum | cut -c1-40)
  if [ "$(cat "$kroot/initrd.key" 2>/dev/null)" != "$key" ]; then
    "$HERE/mkinitramfs.sh" "$kroot" "$kver" "$kroot/initrd.gz"
    echo "$key" > "$kroot/initrd.key"
  fi
  # v4l2-mem2mem (and v4l2-h264, for parity with kernels that ship it) from the same kernel's source.
  local media=$CACHE/build/media-$k
  if [ ! -e "$media/Module.symvers" ] || [ ! -e "$media/v4l2-mem2mem.ko" ]; then
    echo "vm: building v4l2-mem2mem for $k"
    rm -rf "$media"; mkdir -p "$media"
    cp "$CACHE/src$k/drivers/media/v4l2-core/v4l2-mem2mem.c" "$CACHE/src$k/drivers/media/v4l2-core/v4l2-h264.c" "$media/"
    echo 'obj-m += v4l2-mem2mem.o v4l2-h264.o' > "$media/Kbuild"
    make -s -j2 -C "$(cat "$kroot/KDIR")" M="$media" CONFIG_DEBUG_INFO_BTF_MODULES= modules
  fi
}

prepare_arm64() {
  local kver; kver=$(cat "$CACHE/k6.1/KVER" 2>/dev/null) || { prepare_kernel 6.1; kver=$(cat "$CACHE/k6.1/KVER"); }
  kver=${kver%-amd64}-arm64
  local hr=$CACHE/karm64 common=${kver%-arm64}-common
  if [ ! -e "$hr/.done" ] || [ "$(cat "$hr/KVER" 2>/dev/null)" != "$kver" ]; then
    echo "vm: preparing arm64 headers ($kver)"
    "$HERE/private-apt.sh" arm64 "bookworm bookworm-security" arm64 -- update >/dev/null
    (cd "$CACHE/debs" && { compgen -G "linux-headers-${kver}_*_arm64.deb" >/dev/null ||
      "$HERE/private-apt.sh" arm64 "bookworm bookworm-security" arm64 -- download "linux-headers-$kver" >/dev/null; })
    fetch_debs "linux-headers-$common" linux-kbuild-6.1
    rm -rf "$hr"; mkdir -p "$hr"
    dpkg-deb -x "$CACHE"/debs/linux-headers-"${kver}"_*_arm64.deb "$hr"
    dpkg-deb -x "$CACHE"/debs/linux-headers-"${common}"_*.deb "$hr"
    dpkg-deb -x "$CACHE"/debs/linux-kbuild-6.1_*.deb "$hr"
    local h=$hr/usr/src/linux-headers-$kver
    echo "include $hr/usr/src/linux-headers-$common/Makefile" > "$h/Makefile"
    # The arm64 headers' fixdep/modpost are arm64 binaries: use the host's amd64 kbuild tools instead.
    rm -rf "$h/scripts" "$h/tools"
    ln -s "$hr/usr/lib/linux-kbuild-6.1/scripts" "$h/scripts"; ln -s "$hr/usr/lib/linux-kbuild-6.1/tools" "$h/tools"
    echo "$h" > "$hr/KDIR"; echo "$kver" > "$hr/KVER"; touch "$hr/.done"
  fi
}

# Packages of another Debian suite, downloaded afresh (no older versions mixed in) and extracted, not
# installed, into <dest>/root; <dest>/.done marks a complete one.
suite_updated=""
extract_suite() { # <dest> <suite> <package...>
  local dest=$1 suite=$2 p; shift 2
  rm -rf "$dest"; mkdir -p "$dest/debs"
  case " $suite_updated " in *" $suite "*) ;; *)
    "$HERE/private-apt.sh" "$suite" "$suite" -- update >/dev/null; suite_updated+=" $suite";;
  esac
  (cd "$dest/debs" && "$HERE/private-apt.sh" "$suite" "$suite" -- download "$@" >/dev/null)
  for p in "$dest"/debs/*.deb; do dpkg-deb -x "$p" "$dest/root"; done
  rm -rf "$dest/debs"
}

prepare_tools() {
  # checkpatch.pl comes with linux-source; v4l2-compliance 1.30.1 from trixie (bookworm's 1.22 is too old).
  extract_source 6.12 linux-source-6.12
  local r=$CACHE/v4l-utils-1.30
  if [ ! -e "$r/.done" ]; then
    echo "vm: fetching v4l-utils 1.30 (trixie)"
    extract_suite "$r" trixie v4l-utils libv4l-0t64 libv4l2rds0t64 libv4lconvert0t64 libc6 libcap2 libgcc-s1 \
      libjpeg62-turbo libstdc++6 libudev1
    touch "$r/.done"
  fi
  prepare_gstreamer
}

# GStreamer 1.26 from trixie: its v4l2codecs offers I420 (as YUV420M), which bookworm's 1.22 lacks.
# Only the plugins the tests use are kept, so nothing outside trixie's own libraries gets loaded.
GST_PACKAGES=(libgstreamer1.0-0 gstreamer1.0-tools libgstreamer-plugins-base1.0-0 libgstreamer-plugins-bad1.0-0
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-good libglib2.0-0t64 libc6 libgudev-1.0-0 zlib1g
  liborc-0.4-0t64 libdrm2 libffi8 libpcre2-8-0 libmount1 libselinux1 libblkid1 libudev1 libcap2
  libgcc-s1 libatomic1 libbz2-1.0)
# coreelements, the decoders, the parsers (H.264, VP9), the demuxers (MP4, IVF, WebM)
GST_PLUGINS=(coreelements v4l2codecs videoparsersbad isomp4 ivfparse matroska)
prepare_gstreamer() {
  local r=$CACHE/gstreamer-1.26 p key
  key="${GST_PACKAGES[*]} / ${GST_PLUGINS[*]}"
  [ -e "$r/.done" ] && [ "$(cat "$r/.done")" = "$key" ] && return
  echo "vm: fetching GStreamer 1.26 (trixie)"
  rm -rf "$r"
  extract_suite "$r" trixie "${GST_PACKAGES[@]}"
  mkdir -p "$r/plugins"
  for p in "${GST_PLUGINS[@]}"; do
    mv "$r/root/usr/lib/x86_64-linux-gnu/gstreamer-1.0/libgst$p.so" "$r/plugins/"
  done
  rm -rf "$r/root/usr/lib/x86_64-linux-gnu/gstreamer-1.0"
  for p in h264parse ivfparse matroskademux vp9parse; do
    "$HERE/gstreamer-1.26.sh" gst-inspect-1.0 "$p" >/dev/null || die "GStreamer 1.26 has no working $p"
  done
  echo "$key" > "$r/.done"
}

# The libavcodec/libavutil/libswscale headers of trixie and sid, for the daemon's layout check.
prepare_libav_headers() {
  local suite r
  for suite in trixie sid; do
    r=$CACHE/libav-headers-$suite
    [ -e "$r/.done" ] && continue
    echo "vm: fetching libav headers ($suite)"
    extract_suite "$r" "$suite" libavcodec-dev libavutil-dev libswscale-dev
    touch "$r/.done"
  done
}

for t in "${TARGETS[@]}"; do
  case $t in
    6.1|6.12) prepare_kernel "$t";;
    arm64) prepare_arm64;;
    tools) prepare_tools;;
    libav-headers) prepare_libav_headers;;
    libva) prepare_kernel 6.12; "$HERE/build-libva-driver.sh";;
    rpi-ffmpeg) "$HERE/build-rpi-ffmpeg.sh";;
    *) die "unknown target $t (6.1, 6.12, arm64, tools, libav-headers, libva, rpi-ffmpeg)";;
  esac
done
