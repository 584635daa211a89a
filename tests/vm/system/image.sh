#!/bin/bash
# A booted Debian bookworm system for the package tests, built once and cached in
# $DAEDALUS_VM_CACHE/system-<arch>/: disk.raw (ext4, the whole root), vmlinuz, initrd.img, KVER.
# Made from Debian's packages without binfmt on the host: the host's architecture is bootstrapped and
# configured in a chroot; another one is unpacked by `debootstrap --foreign`, and its first boot
# (qemu-system-<arch>, TCG, a busybox initramfs that only mounts the disk) runs debootstrap's second
# stage on the guest's own CPU and configures the system. Test boots use Debian's own kernel and
# initramfs from the image (boot.sh).
# The system has systemd, udev, dkms, the running kernel's headers, GStreamer's v4l2codecs and ffmpeg,
# a DHCP network (qemu's user networking) and one test hook: daedalus-test-step.service, which runs the
# harness's step script from a 9p share at every boot and powers off (boot.sh).
# usage: image.sh <arm64|amd64>          rebuilt when this directory's files change
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
ARCH=${1:?arm64 or amd64}
SYS=$CACHE/system-$ARCH
SELF=$(cd "$(dirname "$0")" && pwd)
KEY=$(cat "$SELF/image.sh" "$SELF/firstboot-init" "$SELF/firstboot.sh" "$SELF/test-step" | sha1sum | cut -c1-40)
[ "$(cat "$SYS/KEY" 2>/dev/null)" = "$KEY" ] && [ -e "$SYS/disk.raw" ] && exit 0
mkdir -p "$CACHE"
exec 8>"$CACHE/.system-$ARCH.lock"; flock 8
[ "$(cat "$SYS/KEY" 2>/dev/null)" = "$KEY" ] && [ -e "$SYS/disk.raw" ] && exit 0
echo "vm: building the booted $ARCH system image (once; about 30 min under TCG)" >&2
MIRROR=$(debian_mirror)
ROOT=$SYS/root
# A chroot's bind mounts, never left behind (and never followed by rm).
unbind() { local d; for d in proc sys dev; do mountpoint -q "$ROOT/$d" 2>/dev/null && umount -l "$ROOT/$d"; done; return 0; }
unbind
rm -rf --one-file-system "$SYS"; mkdir -p "$SYS"
# What a Raspberry Pi owner's system has before installing the package, and the test's own tools
# (ffmpeg for the reference decode; it brings the libav libraries the package also depends on).
INCLUDE=systemd-sysv,udev,dbus,kmod,procps,iproute2,apt,busybox-static,e2fsprogs
INCLUDE+=,linux-image-$ARCH,linux-headers-$ARCH,dkms
INCLUDE+=,gstreamer1.0-tools,gstreamer1.0-plugins-bad,ffmpeg
# debootstrap resolves no virtual packages: dconf (through ffmpeg's SDL and GTK) needs a session bus.
INCLUDE+=,dbus-user-session
mkdir -p "$CACHE/debootstrap-$ARCH"   # the downloaded packages, kept across rebuilds
NATIVE=no; [ "$ARCH" = "$(dpkg --print-architecture)" ] && NATIVE=yes
# The host's own architecture is bootstrapped in a chroot here; another one is unpacked here and
# finished by its first boot under emulation (no binfmt needed).
FOREIGN=(--foreign); [ $NATIVE = yes ] && FOREIGN=()
debootstrap "${FOREIGN[@]}" --arch="$ARCH" --variant=minbase --include="$INCLUDE" --cache-dir="$CACHE/debootstrap-$ARCH" \
  --keyring=/usr/share/keyrings/debian-archive-keyring.gpg bookworm "$ROOT" "$MIRROR" >"$SYS/debootstrap-1.log" 2>&1 ||
  { tail -n 20 "$SYS/debootstrap-1.log" >&2; die "debootstrap failed (see $SYS/debootstrap-1.log)"; }
# In a container debootstrap links the target's /proc to the host's: the guest needs its own mount point.
[ -L "$ROOT/proc" ] && rm "$ROOT/proc" && mkdir -m 555 "$ROOT/proc"
# dpkg without fsync: the image is rebuilt from scratch, and every test boots a throwaway overlay of it.
echo force-unsafe-io > "$ROOT/etc/dpkg/dpkg.cfg.d/daedalus-test-unsafe-io"
printf "%s\n%s\n" "$MIRROR" "$("$HERE/mirror.sh" security)" > "$ROOT/etc/daedalus-test-mirror"
install -m 755 "$SELF/firstboot.sh" "$ROOT/daedalus-firstboot"
install -D -m 755 "$SELF/test-step" "$ROOT/usr/local/sbin/daedalus-test-step"
T=$(mktemp -d); trap 'unbind; rm -rf "$T"' EXIT

if [ $NATIVE = yes ]; then
  for d in proc sys dev; do mount --bind "/$d" "$ROOT/$d"; done
  chroot "$ROOT" /daedalus-firstboot > "$SYS/firstboot.log" 2>&1 || true
  unbind
  grep -q 'IMAGE-OK' "$SYS/firstboot.log" || { tail -n 30 "$SYS/firstboot.log" >&2; die "configuring the $ARCH image failed (see $SYS/firstboot.log)"; }
  KVER=$(ls "$ROOT/lib/modules" | head -n1)
  cp "$ROOT/boot/vmlinuz-$KVER" "$SYS/vmlinuz"; cp "$ROOT/boot/initrd.img-$KVER" "$SYS/initrd.img"
  mkfs.ext4 -q -L daedalus-root -d "$ROOT" "$SYS/disk.raw" 12G
  rm -rf --one-file-system "$ROOT"
else
  # The first stage only unpacks the base system: the kernel and busybox for the first boot come from
  # the packages it downloaded for the second.
  K=$T/kernel; mkdir -p "$K"
  for p in "$ROOT"/var/cache/apt/archives/{linux-image-[0-9],busybox-static_}*.deb; do dpkg-deb -x "$p" "$K"; done
  KVER=$(ls "$K/lib/modules" | head -n1)
  depmod -b "$K" "$KVER"
  # The first boot's initramfs: the target's own static busybox and the modules that reach the disk.
  I=$T/initramfs; mkdir -p "$I"/{bin,dev,proc,sys,newroot,lib/mods}
  cp "$K/bin/busybox" "$I/bin/busybox"
  : > "$I/modules.list"
  for m in virtio_pci virtio_blk ext4; do modprobe -d "$K" -S "$KVER" --show-depends "$m"; done |
    awk '$1=="insmod"{print $2}' | awk '!s[$0]++' | while read -r ko; do
      b=$(basename "$ko"); b=${b%.xz}
      case "$ko" in *.xz) xz -dc "$ko" > "$I/lib/mods/$b";; *) cp "$ko" "$I/lib/mods/$b";; esac
      echo "$b" >> "$I/modules.list"
    done
  install -m 755 "$SELF/firstboot-init" "$I/init"
  (cd "$I" && find . | cpio -o -H newc --quiet | gzip -1) > "$SYS/firstboot-initrd.gz"
  cp "$K/boot/vmlinuz-$KVER" "$SYS/vmlinuz"
  mkfs.ext4 -q -L daedalus-root -d "$ROOT" "$SYS/disk.raw" 12G
  rm -rf --one-file-system "$ROOT"
  VM_TIMEOUT=${VM_IMAGE_TIMEOUT:-7200} VM_KERNEL=$SYS/vmlinuz VM_INITRD=$SYS/firstboot-initrd.gz \
    "$SELF/boot.sh" "$ARCH" "$SYS/disk.raw" - "$SYS/firstboot.log" || true
  grep -q 'IMAGE-OK' "$SYS/firstboot.log" || { tail -n 30 "$SYS/firstboot.log" >&2; die "the $ARCH image's first boot failed (see $SYS/firstboot.log)"; }
  for f in vmlinuz initrd.img; do debugfs -R "dump /boot/$f-$KVER $SYS/$f" "$SYS/disk.raw" 2>/dev/null; done
fi
[ -s "$SYS/vmlinuz" ] && [ -s "$SYS/initrd.img" ] || die "no kernel or initramfs in the $ARCH image"
echo "$KVER" > "$SYS/KVER"; echo "$KEY" > "$SYS/KEY"
echo "vm: $ARCH system image ready ($KVER)" >&2
