// Foundation: the module loads in a real kernel, registers its three devices and unloads cleanly.
import { assertGuestOk, KERNELS, REPO, runGuest, VM_TEST } from "./harness.ts";

for (const kernel of KERNELS) {
  Deno.test({
    name: `vm ${kernel}: module registers decoder, media and control devices`,
    ...VM_TEST,
  }, async () => {
    const r = await runGuest(kernel, `${REPO}/tests/vm/guest/smoke.sh`, { timeoutS: 120 });
    assertGuestOk(r);
  });
}
