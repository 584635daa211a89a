// Foundation: the module loads in a real kernel, registers its three devices and unloads cleanly;
// the guest needs nothing of the host beyond what ./run installs, and names what breaks.
import assert from "node:assert/strict";
import {
  assertGuestOk,
  type GuestOptions,
  type Kernel,
  KERNELS,
  REPO,
  runGuest,
  vmTest,
} from "./harness.ts";

/** Boots `kernel` and runs the smoke script (guest/smoke.sh). */
const smoke = (kernel: Kernel, opts: GuestOptions = {}) =>
  runGuest(kernel, `${REPO}/tests/vm/guest/smoke.sh`, { timeoutS: 120, ...opts });

for (const kernel of KERNELS) {
  vmTest({
    name: `vm ${kernel}: module registers decoder, media and control devices`,
    kernel,
    boots: 1,
  }, async () => {
    assertGuestOk(await smoke(kernel));
  });
}

// A fresh machine of this kind has no /lib/modules: the guest's modules must not depend on it.
vmTest({
  name: "vm 6.12: boots and loads the module from a host root without /lib/modules",
  kernel: "6.12",
  boots: 1,
}, async () => {
  assertGuestOk(await smoke("6.12", { hideHostPaths: ["/lib/modules", "/usr/lib/modules"] }));
});

vmTest({
  name: "vm 6.12: a failed guest mount stops the run at once and is named",
  kernel: "6.12",
  boots: 1,
}, async () => {
  const r = await smoke("6.12", {
    vmEnv: { VM_MODS: "/var/cache/daedalus-v4l2-vm-missing/lib/modules" },
  });
  assert.equal(r.status, 123, r.problems.join("\n"));
  assert.match(r.problems.join("\n"), /guest infrastructure failed: .*\/lib\/modules/);
  assert.equal(r.log, "", "the guest script must not have run");
});
