#!/bin/sh
# The module's kernel-facing checks in one boot: smoke.sh (devices, media topology, control device,
# rmmod), kmod_main.sh, kmod_limits.sh, kmod_modes.sh and kmod_stateful.sh in turn, each in its own
# shell (each loads and unloads the module itself). The first that fails ends the run; its FAIL line
# says why. Each part's line gives the guest's uptime, so the log tells where the boot's time went.
for s in smoke kmod_main kmod_limits kmod_modes kmod_stateful; do
  echo "== $s.sh (uptime $(cut -d' ' -f1 /proc/uptime) s)"
  "$DAEDALUS_REPO/tests/vm/guest/$s.sh" || { echo "FAIL: $s.sh"; exit 1; }
done
echo "== done (uptime $(cut -d' ' -f1 /proc/uptime) s)"
