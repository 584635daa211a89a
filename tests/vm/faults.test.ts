// The fault battery (guest/faults.sh) on both kernels, with the real daemon and real clients: the
// daemon SIGKILLed mid-stream and SIGSTOPped past the watchdog (every picture after it bit-exact or
// flagged), fuzzed controls (bytes and whole payloads, every codec) and bitstreams, a frozen decode
// thread, the memory-pinning loop against the bounds, a hostile daemon; each round's outcome is
// judged, never its timing, and the figures are printed.
// Sized for the suite's budget; DAEDALUS_SOAK=1 runs the long soak (its figures: the README of
// tests/vm).
import {
  assertGuestOk,
  FULL,
  KERNELS,
  REPO,
  runGuest,
  testProgram,
  vmTest,
} from "../lib/harness.ts";
import { daemonBundle } from "../lib/e2e.ts";
import { streamFile } from "../lib/streams.ts";

const SOAK = Deno.env.get("DAEDALUS_SOAK") === "1";
const SIZES = SOAK
  ? {
    FAULT_KILLS: 40,
    FAULT_STOPS: 10,
    FAULT_FUZZ_JOBS: 2000,
    FAULT_FUZZ_STREAMS: 60,
    FAULT_PAYLOAD_JOBS: 500,
    FAULT_PIN_MODES: "capture output expbuf import",
    FAULT_HOSTILE: 10,
    FAULT_STATEFUL_KILLS: 10,
  }
  : {
    // Two kills a kernel in the default tier (random moments mid-stream), four in the full one.
    FAULT_KILLS: FULL ? 4 : 2,
    FAULT_STOPS: 2,
    FAULT_FUZZ_JOBS: 40,
    FAULT_FUZZ_STREAMS: 4,
    FAULT_PAYLOAD_JOBS: 12,
    FAULT_PIN_MODES: "expbuf",
    FAULT_HOSTILE: 1,
    // per stateful client
    FAULT_STATEFUL_KILLS: 1,
  };

for (const kernel of KERNELS) {
  vmTest({
    name:
      `vm ${kernel}: fault battery: daemon killed and stopped mid-stream, fuzzed controls and ` +
      `streams, a frozen thread, pinned memory, a hostile daemon; recovery bit-exact` +
      (SOAK ? " (soak)" : ""),
    kernel,
    boots: 1,
  }, async () => {
    const r = await runGuest(kernel, `${REPO}/tests/vm/guest/faults.sh`, {
      files: {
        "daedalusd.js": await daemonBundle(),
        client: await testProgram("client"),
        backend: await testProgram("backend"),
        "clip.h264": await streamFile({
          name: "faults-320x240",
          codec: "h264",
          size: "320x240",
          frames: 24,
          args: ["-bf", "2"],
        }),
        "long.h264": await streamFile({
          name: "faults-long-320x240",
          codec: "h264",
          size: "320x240",
          frames: 250,
          args: ["-bf", "2"],
        }),
      },
      env: {
        ...Object.fromEntries(Object.entries(SIZES).map(([k, v]) => [k, String(v)])),
        FAULT_SEED: String(Date.now() % 100000),
      },
      timeoutS: SOAK ? 14400 : 900,
    });
    console.log(r.log.split("\n").filter((l) => /^(faults:|ok|FAIL)/.test(l)).join("\n"));
    assertGuestOk(r);
  });
}
