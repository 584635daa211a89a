// The kernel module in a real kernel, driven by the C test backend and client of tests/kmod/: every
// kernel-facing check of the module in one boot per kernel (guest/kmod_all.sh runs smoke.sh,
// kmod_main.sh, kmod_limits.sh, kmod_modes.sh and kmod_stateful.sh in turn), from a view of the
// host root without /lib/modules, as on a fresh machine of this kind.
import { assertGuestOk, KERNELS, REPO, runGuest, testProgram, vmTest } from "../lib/harness.ts";
import { daemonBundle } from "../lib/e2e.ts";
import { streamFile } from "../lib/streams.ts";

/** The test backend and client, the stream client (kmod_stateful.sh), the daemon (for
 * kmod_limits.sh's reallocation against its kept mappings), and a real H.264 stream (2 slices per picture, B-frames) for
 * GStreamer to parse and submit: what the guest scripts take from their run directory. */
async function guestFiles(): Promise<Record<string, string>> {
  return {
    backend: await testProgram("backend"),
    client: await testProgram("client"),
    stream: await testProgram("stream"),
    "daedalusd.js": await daemonBundle(),
    "clip.h264": await streamFile({
      name: "kmod-slices2-320x240",
      codec: "h264",
      size: "320x240",
      frames: 20,
      args: ["-bf", "2", "-x264-params", "slices=2"],
    }),
  };
}

for (const kernel of KERNELS) {
  vmTest({
    name:
      `vm ${kernel}: module: devices and topology, compliance, pictures, 4 processes, faults, ` +
      `memory bounds, priorities, a daemon's close, decode and start-code modes, the stateful node ` +
      `(compliance, its state machine against the test backend), rmmod ` +
      `(host root without /lib/modules)`,
    kernel,
    boots: 1,
  }, async () => {
    const r = await runGuest(kernel, `${REPO}/tests/vm/guest/kmod_all.sh`, {
      files: await guestFiles(),
      hideHostPaths: ["/lib/modules", "/usr/lib/modules"],
      timeoutS: 780,
    });
    console.log(
      r.log.split("\n").filter((l) => /^(==|ok|FAIL|compliance|pin:)/.test(l)).join("\n"),
    );
    assertGuestOk(r);
  });
}
