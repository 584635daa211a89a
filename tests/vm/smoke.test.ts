// The VM harness itself: a guest whose set-up fails stops at once and names what broke. (The module's
// own smoke test, guest/smoke.sh, runs first in kmod_decoder.test.ts's boot on each kernel.)
import assert from "node:assert/strict";
import { REPO, runGuest, vmTest } from "../lib/harness.ts";

vmTest({
  name: "vm 6.12: a failed guest mount stops the run at once and is named",
  kernel: "6.12",
  boots: 1,
}, async () => {
  const r = await runGuest("6.12", `${REPO}/tests/vm/guest/smoke.sh`, {
    timeoutS: 120,
    vmEnv: { VM_MODS: "/var/cache/daedalus-v4l2-vm-missing/lib/modules" },
  });
  assert.equal(r.status, 123, r.problems.join("\n"));
  assert.match(r.problems.join("\n"), /guest infrastructure failed: .*\/lib\/modules/);
  assert.equal(r.log, "", "the guest script must not have run");
});
