#!/bin/sh
# The system's configuration (image.sh): in a chroot for the host's architecture, or as PID 1 of the
# first boot for another, which first runs debootstrap's second stage.
set -e
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive
PID1=no; [ $$ = 1 ] && PID1=yes
fail() { echo "FIRSTBOOT-FAIL $*"; sync; [ $PID1 = no ] && exit 1; echo o > /proc/sysrq-trigger; sleep 30; }
trap 'fail "a command failed"' EXIT
if [ $PID1 = yes ]; then
	mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t tmpfs tmpfs /run
	/debootstrap/debootstrap --second-stage || { tail -n 40 /debootstrap/debootstrap.log 2>/dev/null; fail "debootstrap --second-stage"; }
fi
MIRROR=$(sed -n 1p /etc/daedalus-test-mirror) SECURITY=$(sed -n 2p /etc/daedalus-test-mirror)
cat > /etc/apt/sources.list <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${SECURITY:-$MIRROR} bookworm-security main
SRC
echo daedalus-test > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdaedalus-test\n' > /etc/hosts
echo '/dev/vda / ext4 errors=remount-ro 0 1' > /etc/fstab
# qemu's user network: DHCP through systemd-networkd, its DNS relay.
mkdir -p /etc/systemd/network
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > /etc/systemd/network/80-dhcp.network
rm -f /etc/resolv.conf; echo 'nameserver 10.0.2.3' > /etc/resolv.conf
systemctl enable systemd-networkd.service
# No background apt or maintenance while a test step holds dpkg's lock.
for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer; do systemctl mask "$t"; done
cat > /etc/systemd/system/daedalus-test-step.service <<UNIT
[Unit]
Description=The daedalus-v4l2 test harness's step for this boot (tests/vm/system)
After=multi-user.target network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/daedalus-test-step
StandardOutput=journal+console
# A user's shell does not ignore SIGPIPE (systemd's default does): dkms's own pipes then print
# "write error: Broken pipe" in the transcripts.
IgnoreSIGPIPE=no

[Install]
WantedBy=multi-user.target
UNIT
systemctl enable daedalus-test-step.service systemd-networkd-wait-online.service
passwd -d root >/dev/null
apt-get clean
rm -f /daedalus-firstboot /etc/daedalus-test-mirror
trap - EXIT
echo IMAGE-OK
[ $PID1 = no ] && exit 0
# / stays busy while this deleted script runs (the remount can fail): everything is synced either way.
sync; mount -o remount,ro / 2>/dev/null || true; sync
echo o > /proc/sysrq-trigger
sleep 30
