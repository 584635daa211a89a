// Official vectors end to end (on 6.12 in the default tier, on 6.1 in the full tier, as the
// client matrices: e2e.ts MATRIX_KERNEL; six of them on 6.1 in the default tier with the clients'
// samples, e2e-clients.test.ts): the default tier's spread of tests/unit/vectors.test.ts
// through the device, GStreamer (v4l2slvp8dec, v4l2slh264dec; v4l2slav1dec in 1.26 on 6.12) and
// VA-API (libva v4l2_request, ffmpeg -hwaccel vaapi), every picture equal to ffmpeg's own decode;
// the streams the device cannot decode refused at the controls, before any picture.
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  type Clip,
  decodeInGuest,
  type E2eRun,
  matrixTier,
} from "../lib/e2e.ts";
import { assertRefused, UNIT_ONLY, vectorClips, vectorId } from "../lib/e2e-vectors.ts";
import { FULL, type Kernel, KERNELS, vmTest } from "../lib/harness.ts";
import { avifKind, avifVector, SPREAD } from "../lib/vectors.ts";

const WATCHDOG = "job_timeout_ms=30000";

const spread = (prefix: string) =>
  [...SPREAD].filter((rel) => rel.startsWith(prefix) && !UNIT_ONLY.some((u) => rel.startsWith(u)));

/** Runs `clips` and `refused` on `kernel`: the clips bit-exact, no picture of the refused. */
async function run(kernel: Kernel, clips: Clip[], refused: Clip[]): Promise<E2eRun> {
  // one client at a time; ~60 small clips take a busy host's TCG past the default 600 s
  const r = await decodeInGuest(kernel, [WATCHDOG], [...clips, ...refused], {
    jobs: 1,
    timeoutS: 1200,
  });
  await assertClientsBitExact(r, clips);
  await assertRefused(r, refused);
  assert.deepEqual(r.daemonLog.match(/decoder: FAILED [^\n]*/g) ?? [], [], "failed jobs");
  return r;
}

const ROUTE = FULL ? "through GStreamer and VA-API each" : "through GStreamer or VA-API in turn";

for (const kernel of KERNELS) {
  vmTest({
    name: `e2e ${kernel}: VP8 and H.264 conformance vectors ${ROUTE} bit-exact, H.264 High 10 ` +
      `refused before any picture`,
    kernel,
    boots: 1,
    tier: matrixTier(kernel),
    fn: async () => {
      // The full tier sends every vector through each client that takes it, the default tier
      // through one of them, in turn (each client still gets about half of the spread).
      const { clips, refused } = await vectorClips(
        [...spread("vp8/"), ...spread("h264-jvt/")],
        FULL,
      );
      await run(kernel, clips, refused);
    },
  });
}

// AV1: the AVIF vectors' pictures (1204x800 and 2048x1536 intra frames) take the daemon longer
// than GStreamer's 1 s per request under TCG (measured on a busy host: 0.3 to 1.0 s per 8-bit
// 1204x800 picture, 0.9 to 3.2 s per 10-bit one; libva waits 2 s): their pictures are checked in
// the unit tier only. What the device cannot decode is refused at the controls, before any job.
vmTest({
  name: "e2e 6.12: AVIF conformance vectors' AV1 in 4:4:4, 4:2:2 and 12-bit refused by the " +
    "device through GStreamer 1.26 and VA-API, before any picture or job",
  kernel: "6.12",
  boots: 1,
  // refusals are kernel-facing: the default tier
  fn: async () => {
    const refused: Clip[] = [];
    for (const rel of spread("av1-avif/").filter((rel) => avifKind(rel).refused)) {
      const { file } = await avifVector(rel);
      for (const client of ["gst1.26", "vaapi"] as const) {
        refused.push({
          id: vectorId(rel, client),
          file,
          codec: "av1",
          container: "ivf",
          format: "NV12",
          client,
        });
      }
    }
    const r = await run("6.12", [], refused);
    assert.deepEqual(
      r.daemonLog.match(/REQ_DECODE cookie=\d+ codec=av1 [^\n]*/g) ?? [],
      [],
      "AV1 jobs",
    );
  },
});
