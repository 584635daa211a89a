#!/bin/bash
# A busybox initramfs that loads the virtio/9p/overlay modules of an extracted Debian kernel, mounts the host root
# read-only and the shares, then switch_roots into guest-init.sh.
# usage: mkinitramfs.sh <extracted-kernel-root> <kver> <out.gz>
set -euo pipefail
KROOT=$1 KVER=$2 OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{bin,dev,proc,sys,newroot,lib/mods}
cp /bin/busybox "$T/bin/busybox"
for a in sh mount mkdir insmod switch_root cat echo ln readlink sed sleep; do ln -s busybox "$T/bin/$a"; done
: > "$T/modules.list"
# show-depends prints "builtin ..." for what the kernel has built in (virtio_pci on 6.12): skipped.
for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe -d "$KROOT" -S "$KVER" --show-depends "$m"; done |
  awk '$1=="insmod"{print $2}' | awk '!s[$0]++' | while read -r ko; do
    b=$(basename "$ko"); b=${b%.xz}; b=${b%.zst}; b=${b%.gz}
    case "$ko" in
      *.xz) xz -dc "$ko" > "$T/lib/mods/$b";;
      *.zst) zstd -qdc "$ko" > "$T/lib/mods/$b";;
      *.gz) gzip -dc "$ko" > "$T/lib/mods/$b";;
      *) cp "$ko" "$T/lib/mods/$b";;
    esac
    echo "$b" >> "$T/modules.list"
  done
cp "$HERE/initramfs-init" "$T/init"; chmod +x "$T/init"
(cd "$T" && find . | cpio -o -H newc --quiet | gzip -1) > "$OUT"
