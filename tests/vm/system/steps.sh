# The booted-system test's steps (system.test.ts), sourced by each boot's step.sh in the 9p share, as
# root on the booted Debian system. Each step prints a transcript ("$ command" then its output) and
# fails at the first check that does not hold (check: "CHECK-FAIL <what>").
# The share holds: the packages (daedalus-v4l2_<version>_<arch>.deb), the drop-in file
# (daedalusd-<arch>) and its unit, and clip.h264.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ARCH=$(dpkg --print-architecture) KVER=$(uname -r) SHARE=/mnt/step
cd "$SHARE"

t() { echo "\$ $*"; "$@"; }
fail() { echo "CHECK-FAIL $*"; exit 1; }
check() { local what=$1; shift; "$@" || fail "$what"; }
# Waits up to $2 s (of the guest's clock) for a command to succeed.
wait_for() {
  local what=$1 end=$(($(date +%s) + $2)); shift 2
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$end" ] || fail "$what"; sleep 1; done
}
# What `daedalusd status` reports as "daemon: connected", read directly (a Deno start per poll is slow here).
connected() { [ "$(cat /sys/class/misc/daedalus-v4l2/daemon_connected 2>/dev/null)" = 1 ]; }

# GStreamer's v4l2slh264dec through the module, bit-exact against this system's own ffmpeg.
decode_check() {
  [ -e "ref-$ARCH.nv12" ] || ffmpeg -v error -i clip.h264 -f rawvideo -pix_fmt nv12 "ref-$ARCH.nv12"
  t gst-launch-1.0 -q filesrc location=clip.h264 ! h264parse ! v4l2slh264dec ! video/x-raw,format=NV12 ! \
    filesink location=/tmp/out.nv12 || fail "GStreamer decode"
  t cmp /tmp/out.nv12 "ref-$ARCH.nv12" || fail "pictures differ from ffmpeg's"
  echo "decode: $(stat -c %s /tmp/out.nv12) bytes, bit-exact"
}

serving() { # the service is up, its daemon connected and unprivileged, the devices in place
  check "service active" systemctl is-active --quiet daedalus-v4l2
  wait_for "daemon connected" 180 connected
  t daedalusd status
  local pid; pid=$(systemctl show -p MainPID --value daedalus-v4l2)
  t grep -E '^(Uid|Gid|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status"
  check "daemon runs as daedalusd" test "$(stat -c %U "/proc/$pid")" = daedalusd
  check "no capabilities" grep -q '^CapEff:[[:space:]]*0*$' "/proc/$pid/status"
  check "seccomp filter" grep -q '^Seccomp:[[:space:]]*2$' "/proc/$pid/status"
  t ls -l /dev/daedalus-v4l2 /dev/video-dec0 /dev/media-dec0
  check "control device for the daemon's group only" test "$(stat -c %G:%a /dev/daedalus-v4l2)" = daedalusd:660
  check "Chromium's links" test -e /dev/video-dec0 -a -e /dev/media-dec0
}

module_built() { # <version>
  t dkms status
  check "dkms installed $1 for $KVER" sh -c "dkms status -m daedalus-v4l2 -v $1 -k $KVER | grep ': installed' >/dev/null"
}

# Boot 1: a user's installation, as the README says.
step_install() {
  t apt-get update -q || fail "apt-get update"
  if [ "$ARCH" = amd64 ]; then
    # Without the Recommends (linux-source): no half-install, and a message naming what to install.
    t apt-get install -y -q --no-install-recommends "./daedalus-v4l2_0.1.0_$ARCH.deb" 2>&1 | tee /tmp/apt.log
    check "apt succeeded" test "${PIPESTATUS[0]}" = 0
    check "message names linux-source" grep -q 'built without v4l2-mem2mem.*Install linux-source-' /tmp/apt.log
    check "service not started" test "$(systemctl is-active daedalus-v4l2)" != active
    check "no module" test ! -e /dev/daedalus-v4l2
    src=$(sed -n 's/.*Install \(linux-source-[0-9.]*\),.*/\1/p' /tmp/apt.log | head -n1)
    t apt-get install -y -q "$src" || fail "apt-get install $src"
    t dpkg-reconfigure daedalus-v4l2 || fail "dpkg-reconfigure"
  else
    t apt-get install -y -q "./daedalus-v4l2_0.1.0_$ARCH.deb" || fail "apt-get install"
  fi
  module_built 0.1.0
  t lsmod | grep -E '^(daedalus_v4l2|v4l2_mem2mem) ' || fail "module loaded"
  serving
  t systemd-analyze security daedalus-v4l2.service | tail -n 1
  decode_check
}

# Boot 2: after a reboot; the drop-in file; a same-version reinstall; an admin's disable; an upgrade.
step_reboot_upgrade() {
  check "module loaded at boot" grep -q '^daedalus_v4l2 ' /proc/modules
  serving
  decode_check

  # The drop-in: one file, no Deno and no repository on this system, run by its own unit.
  check "no Deno here" sh -c '! command -v deno'
  t systemctl stop daedalus-v4l2
  t install -m 755 "daedalusd-$ARCH" /usr/local/bin/daedalusd
  t install -m 644 daedalusd-dropin.service /etc/systemd/system/daedalusd.service
  t systemctl daemon-reload
  local t0; t0=$(date +%s%N)
  t systemctl start daedalusd
  wait_for "drop-in connected" 300 connected
  echo "drop-in: connected $((($(date +%s%N) - t0) / 1000000)) ms after its first start (unpacking)"
  t systemctl restart daedalusd; t0=$(date +%s%N)
  wait_for "drop-in connected again" 300 connected
  echo "drop-in: connected $((($(date +%s%N) - t0) / 1000000)) ms after a later start"
  decode_check
  t systemctl disable --now daedalusd
  rm -rf /usr/local/bin/daedalusd /etc/systemd/system/daedalusd.service /var/cache/daedalus-v4l2/daedalusd-dropin
  t systemctl daemon-reload
  t systemctl start daedalus-v4l2

  # A same-version reinstall builds nothing.
  local ko; ko=$(ls /var/lib/dkms/daedalus-v4l2/0.1.0/"$KVER"/"$(uname -m)"/module/daedalus_v4l2.ko*)   # dkms names the machine, not the Debian arch
  local before; before=$(stat -c %Y "$ko")
  t apt-get install -y -q --reinstall "./daedalus-v4l2_0.1.0_$ARCH.deb" || fail "reinstall"
  check "reinstall did not rebuild the module" test "$(stat -c %Y "$ko")" = "$before"
  serving

  # The admin disables the service; the upgrade keeps that.
  t systemctl disable --now daedalus-v4l2
  t apt-get install -y -q "./daedalus-v4l2_0.1.1_$ARCH.deb" || fail "upgrade"
  module_built 0.1.1
  check "old version's DKMS entry gone" test -z "$(dkms status -m daedalus-v4l2 -v 0.1.0)"
  t systemctl is-enabled daedalus-v4l2
  check "still disabled after the upgrade" test "$(systemctl is-enabled daedalus-v4l2)" = disabled
  check "not started by the upgrade" test "$(systemctl is-active daedalus-v4l2)" != active
  t cat /sys/module/daedalus_v4l2/version
  check "the new module is loaded" test "$(cat /sys/module/daedalus_v4l2/version)" = 0.1.1
  t systemctl enable --now daedalus-v4l2
  serving
}

# Boot 3: the upgraded system after a reboot; then removal and purge.
step_remove_purge() {
  check "module loaded at boot" grep -q '^daedalus_v4l2 ' /proc/modules
  serving
  decode_check
  t apt-get remove -y -q daedalus-v4l2 || fail "remove"
  check "module unloaded" sh -c '! grep -q "^daedalus_v4l2 " /proc/modules'
  check "no DKMS entry" test -z "$(dkms status -m daedalus-v4l2)"
  check "service gone" sh -c '! systemctl is-active --quiet daedalus-v4l2'
  t apt-get purge -y -q daedalus-v4l2 || fail "purge"
  leftovers
}

# What a purge must leave: nothing of the package.
leftovers() {
  t dpkg -l daedalus-v4l2 2>&1 | tail -n 1
  check "package forgotten" sh -c '! dpkg -s daedalus-v4l2 >/dev/null 2>&1'
  local left
  left=$(find / -xdev \( -path /mnt -o -path /proc -o -path /sys \) -prune -o \( -iname '*daedalus*' \) -print |
    grep -v -e '^/usr/local/sbin/daedalus-test-step$' -e '^/etc/systemd/system/daedalus-test-step.service$' \
      -e '^/etc/systemd/system/multi-user.target.wants/daedalus-test-step.service$' \
      -e '^/etc/dpkg/dpkg.cfg.d/daedalus-test-unsafe-io$' || true)
  echo "left behind: ${left:-nothing}"
  check "nothing left behind" test -z "$left"
  check "no daedalusd user" sh -c '! getent passwd daedalusd'
  check "no daedalusd group" sh -c '! getent group daedalusd'
  check "no module" sh -c '! modinfo daedalus_v4l2 >/dev/null 2>&1'
}

# Boot 4: after the purge and a reboot, nothing comes back.
step_after_purge() {
  check "no module loaded" sh -c '! grep -q "^daedalus_v4l2 " /proc/modules'
  check "no control device" test ! -e /dev/daedalus-v4l2
  leftovers
}
