// The kernel module in a real kernel, driven by the C test backend and client of tests/kmod/.
import { assertGuestOk, KERNELS, REPO, runGuest, testProgram, vmTest } from "./harness.ts";
import { streamFile } from "../unit/helpers/streams.ts";

/** The test backend and client, and a real H.264 stream (2 slices per picture, B-frames) for
 * GStreamer to parse and submit: what the guest scripts take from their run directory. */
async function guestFiles(): Promise<Record<string, string>> {
  return {
    backend: await testProgram("backend"),
    client: await testProgram("client"),
    "clip.h264": await streamFile({
      name: "kmod-slices2-320x240",
      size: "320x240",
      frames: 20,
      x264: ["-bf", "2", "-x264-params", "slices=2"],
    }),
  };
}

for (const kernel of KERNELS) {
  vmTest({
    name: `vm ${kernel}: decoder: compliance, pictures, 4 processes, faults, rmmod`,
    kernel,
    boots: 1,
  }, async () => {
    const r = await runGuest(kernel, `${REPO}/tests/vm/guest/kmod_main.sh`, {
      files: await guestFiles(),
      timeoutS: 180,
    });
    console.log(r.log.split("\n").filter((l) => /^(ok|FAIL|compliance)/.test(l)).join("\n"));
    assertGuestOk(r);
  });

  vmTest({
    name:
      `vm ${kernel}: decoder: memory bounds, a priority locks no one out, a daemon's close disconnects`,
    kernel,
    boots: 1,
  }, async () => {
    const r = await runGuest(kernel, `${REPO}/tests/vm/guest/kmod_limits.sh`, {
      files: await guestFiles(),
      timeoutS: 300,
    });
    console.log(r.log.split("\n").filter((l) => /^(ok|FAIL|pin:)/.test(l)).join("\n"));
    assertGuestOk(r);
  });

  vmTest({
    name: `vm ${kernel}: decoder: every decode and start-code mode, requests, codecs`,
    kernel,
    boots: 1,
  }, async () => {
    const r = await runGuest(kernel, `${REPO}/tests/vm/guest/kmod_modes.sh`, {
      files: await guestFiles(),
      timeoutS: 180,
    });
    console.log(r.log.split("\n").filter((l) => /^(ok|FAIL)/.test(l)).join("\n"));
    assertGuestOk(r);
  });
}
