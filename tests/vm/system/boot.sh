#!/bin/bash
# Boot the booted-system image (image.sh) once: Debian's kernel and initramfs, the root on a virtio disk,
# qemu's user networking (DHCP, the host's routes), and <share> over 9p as tag "step". At every boot the
# system's daedalus-test-step.service runs <share>/step.sh as root, writes its output to step.log and its
# status to status in <share>, and powers the machine off; a reboot is a second boot.sh on the same disk.
# usage: boot.sh <arm64|amd64> <disk.raw|overlay.qcow2> <share-dir|-> <console.log>
# env:   VM_TIMEOUT=1800 (s)  VM_MEM=2G  VM_SMP=2  VM_KERNEL, VM_INITRD (default: the image's own)
# exit:  the step's status (0-122); 124: timeout; 125: the step never reported
set -uo pipefail
source "$(dirname "$0")/../lib.sh"
ARCH=$1 DISK=$2 SHARE=$3 LOG=$4
SYS=$CACHE/system-$ARCH
KERNEL=${VM_KERNEL:-$SYS/vmlinuz} INITRD=${VM_INITRD:-$SYS/initrd.img}
case $ARCH in
  # The Raspberry Pi 4's core (the 5's Cortex-A76 is not in QEMU 7.2); no pointer-authentication or SVE
  # emulation, which slows TCG down.
  arm64) Q=(qemu-system-aarch64 -M virt -cpu cortex-a72) CONSOLE=ttyAMA0;;
  # No AVX at all: with `max,-avx2` (vmrun.sh) libgcrypt still ran AVX2 code (apt's http method died of
  # SIGILL in vpbroadcastd); Nehalem is x86-64-v2, all that Deno and Debian need.
  amd64) Q=(qemu-system-x86_64 -M q35 -cpu Nehalem) CONSOLE=ttyS0;;
  *) die "arch: arm64 or amd64";;
esac
FMT=raw; case $DISK in *.qcow2) FMT=qcow2;; esac
SHARE_ARGS=()
if [ "$SHARE" != - ]; then
  rm -f "$SHARE/status" "$SHARE/step.log"
  SHARE_ARGS=(-virtfs "local,path=$SHARE,mount_tag=step,security_model=none,multidevs=remap")
fi
timeout --kill-after=10 "${VM_TIMEOUT:-1800}" "${Q[@]}" -accel tcg,thread=multi -m "${VM_MEM:-2G}" -smp "${VM_SMP:-2}" \
  -nographic -no-reboot -nodefaults -serial stdio \
  -kernel "$KERNEL" -initrd "$INITRD" -append "root=/dev/vda rw console=$CONSOLE panic=-1" \
  -drive "file=$DISK,if=none,id=root,format=$FMT,cache=unsafe" -device virtio-blk-pci,drive=root \
  -netdev user,id=net -device virtio-net-pci,netdev=net -device virtio-rng-pci \
  "${SHARE_ARGS[@]}" < /dev/null > "$LOG" 2>&1
q=$?
[ "$q" = 124 ] || [ "$q" = 137 ] && exit 124
[ "$SHARE" = - ] && exit "$q"
[ -s "$SHARE/status" ] || exit 125
exit "$(cat "$SHARE/status")"
