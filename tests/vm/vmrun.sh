#!/bin/bash
# Boot a prepared Debian kernel under qemu (TCG) with the host root read-only over 9p, the VM cache
# read-write and the repository read-only, and run <rundir>/run.sh as the guest's only job.
# usage: vmrun.sh <6.1|6.12> <rundir>        (rundir must be under the VM cache)
# env:   VM_TIMEOUT=300 (s)  VM_MEM=2G  VM_SMP=2  VM_ACCEL=tcg|kvm
#        VM_HOSTROOT=/ (the tree the guest boots from)  VM_MODS=<the kernel's extracted lib/modules>
# exit:  the guest script's status (0-122); 123: the guest's infrastructure failed (VMT-FAIL, named on
#        stderr); 124: timeout; 125: the guest never reported
set -uo pipefail
source "$(dirname "$0")/lib.sh"
K=$1 RUNDIR=$(readlink -f "$2")
KROOT=$(kernel_dir "$K"); kernel_ver "$K" >/dev/null
case $RUNDIR in "$CACHE"/*) ;; *) die "run directory must be under $CACHE";; esac
TIMEOUT=${VM_TIMEOUT:-300} MEM=${VM_MEM:-2G} SMP=${VM_SMP:-2}
HOSTROOT=${VM_HOSTROOT:-/} MODS=${VM_MODS:-$KROOT/lib/modules}
if [ "${VM_ACCEL:-tcg}" = kvm ]; then
  ACC=(-enable-kvm -cpu host)   # only for hosts whose KVM boots stock kernels (not this one's nested kvm)
else
  # Without AVX2: QEMU 7.2's TCG miscomputes dav1d's AVX2 code (measured: the guest's own
  # `ffmpeg -c:v libdav1d` differs from the host's from the 4th frame of a libaom stream; with
  # -avx2 every frame is identical). Real CPUs are not affected; VM_CPU overrides.
  ACC=(-accel tcg,thread=multi -cpu "${VM_CPU:-max,-avx2}")
fi
# `quiet` hides warnings from the console (the harness reads dmesg afterwards); an oops or a task hung for
# 10 s panics, and panic=-1 with -no-reboot ends the VM at once instead of waiting for the timeout.
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 "${ACC[@]}" -M q35 -m "$MEM" -smp "$SMP" \
  -nographic -no-reboot -nodefaults -serial stdio \
  -kernel "$KROOT/vmlinux" -initrd "$KROOT/initrd.gz" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 oops=panic sysctl.kernel.hung_task_timeout_secs=10 sysctl.kernel.hung_task_panic=1 vmt_init=$HERE/guest-init.sh vmt_cache=$CACHE vmt_repo=$REPO vmt_mods=$MODS vmt_rundir=$RUNDIR" \
  -virtfs local,path="$HOSTROOT",mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$CACHE",mount_tag=cache,security_model=none,multidevs=remap \
  -virtfs local,path="$REPO",mount_tag=repo,security_model=none,readonly=on,multidevs=remap \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null > "$RUNDIR/console.log" 2>&1
q=$?
# The guest's own infrastructure (a mount, a module, a tool) failed: say which, and stop.
if fail=$(grep -m1 -a 'VMT-FAIL' "$RUNDIR/console.log"); then
  echo "vm: guest infrastructure failed: ${fail#*VMT-FAIL }" >&2
  exit 123
fi
[ "$q" = 124 ] || [ "$q" = 137 ] && exit 124
grep -q 'VMT-END' "$RUNDIR/console.log" || exit 125
[ $((q & 1)) = 1 ] && exit $((q >> 1))
exit 125
