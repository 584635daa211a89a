#!/bin/sh
# PID 1 in the guest: runs the run directory's run.sh, saves dmesg and the taint mask next to it, reports,
# and powers off through isa-debug-exit so that qemu's exit status carries the script's.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
fatal() {
  echo "VMT-FAIL $*"
  echo o > /proc/sysrq-trigger
  sleep 10
}
mount -t debugfs none /sys/kernel/debug || fatal "mount debugfs"
[ -d "/lib/modules/$(uname -r)/kernel" ] || fatal "no modules for $(uname -r) in /lib/modules"
echo "VMT-START uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
rc=127
if [ -x "$vmt_rundir/run.sh" ]; then
  cd "$vmt_rundir" && "$vmt_rundir/run.sh" < /dev/null 2>&1 | tee "$vmt_rundir/guest.log"
  rc=$(cat "$vmt_rundir/rc" 2>/dev/null || echo 126)
else
  echo "VMT: $vmt_rundir/run.sh is missing"
fi
dmesg > "$vmt_rundir/dmesg.txt" 2>&1
cat /proc/sys/kernel/tainted > "$vmt_rundir/tainted"
echo "VMT-END rc=$rc uptime=$(cut -d' ' -f1 /proc/uptime)"
sync
printf "$(printf '\\%03o' $((rc & 0x7f)))" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
echo o > /proc/sysrq-trigger
sleep 5
