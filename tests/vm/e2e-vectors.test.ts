// Official vectors end to end (on 6.12 in the default tier, on 6.1 in the full tier, as the
// client matrices: e2e.ts MATRIX_KERNEL; six of them on 6.1 in the default tier with the clients'
// samples, e2e-clients.test.ts): the default tier's spread of tests/unit/vectors.test.ts through
// one client each, in turn; the full tier every VP8 and H.264 vector through each client that
// takes it, and every refused AVIF. Through GStreamer (v4l2slvp8dec, v4l2slh264dec; v4l2slav1dec in
// 1.26 on 6.12) and VA-API (libva v4l2_request, ffmpeg -hwaccel vaapi), every picture equal to
// ffmpeg's own decode; the streams the device cannot decode refused at the controls, before any
// picture. Each run prints its conformance table (per set and client: bit-exact of taken, refused)
// before judging, so that one failure does not hide the others' outcome.
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  clientVerdicts,
  type Clip,
  decodeInGuest,
  type E2eRun,
  matrixTier,
} from "../lib/e2e.ts";
import { assertRefused, UNIT_ONLY, vectorClips, vectorId } from "../lib/e2e-vectors.ts";
import { FULL, type Kernel, KERNELS, vmTest } from "../lib/harness.ts";
import { avifKind, avifVector, SPREAD, vectorsIn } from "../lib/vectors.ts";

const WATCHDOG = "job_timeout_ms=30000";

/** The vectors under `dir` the device takes here: all in the full tier, else the spread. */
const vectors = (dir: string, ext = "") =>
  (FULL ? vectorsIn(dir, ext) : [...SPREAD].filter((rel) => rel.startsWith(`${dir}/`)))
    .filter((rel) => !UNIT_ONLY.some((u) => rel.startsWith(u)));

/** One conformance set's clips, named for the table. */
interface VectorSet {
  name: string;
  clips: Clip[];
  refused: Clip[];
}

/**
 * Prints `kernel`'s conformance table from run `r`: per set and client, the clips bit-exact of
 * those taken (`verdicts`: a client that failed or a picture that differs counts against it,
 * named) and the refused ones that left no picture.
 */
async function printTable(
  kernel: Kernel,
  r: E2eRun,
  sets: VectorSet[],
  verdicts: Map<string, string>,
): Promise<void> {
  for (const set of sets) {
    for (const client of new Set([...set.clips, ...set.refused].map((c) => c.client))) {
      const taken = set.clips.filter((c) => c.client === client);
      const refused = set.refused.filter((c) => c.client === client);
      const wrong = taken.filter((c) => verdicts.get(c.id)).map((c) =>
        `${c.id} (${verdicts.get(c.id)!.split(":").slice(0, 2).join(":")})`
      );
      let clean = 0;
      for (const c of refused) {
        const out = await Deno.stat(`${r.guest.runDir}/${c.id}.yuv`).catch(() => undefined);
        if (!out?.size) clean++;
      }
      console.log(
        `conformance ${kernel} ${set.name} ${client}: ${taken.length - wrong.length}/` +
          `${taken.length} bit-exact, ${clean}/${refused.length} refused` +
          (wrong.length ? `; not: ${wrong.join(", ")}` : ""),
      );
    }
  }
}

/** Runs `sets` on `kernel`: the clips bit-exact, no picture of the refused. */
async function run(kernel: Kernel, sets: VectorSet[]): Promise<E2eRun> {
  const clips = sets.flatMap((s) => s.clips);
  const refused = sets.flatMap((s) => s.refused);
  // one client at a time; ~60 small clips take a busy host's TCG past the default 600 s (the full
  // tier's ~260 clips about 25 minutes on a quiet machine)
  const r = await decodeInGuest(kernel, [WATCHDOG], [...clips, ...refused], {
    jobs: 1,
    timeoutS: FULL ? 4800 : 1200,
  });
  const verdicts = await clientVerdicts(r, clips);
  await printTable(kernel, r, sets, verdicts);
  await assertClientsBitExact(r, clips, verdicts);
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
      const sets: VectorSet[] = [];
      for (
        const [name, dir, ext] of [
          ["VP8", "vp8", ".ivf"],
          ["H.264 AVC v1", "h264-jvt/avcv1", ""],
          ["H.264 FRExt", "h264-jvt/frext", ""],
        ]
      ) sets.push({ name, ...await vectorClips(vectors(dir, ext), FULL) });
      await run(kernel, sets);
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
    for (const rel of vectors("av1-avif", ".avif").filter((rel) => avifKind(rel).refused)) {
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
    const r = await run("6.12", [{ name: "AV1 AVIF", clips: [], refused }]);
    assert.deepEqual(
      r.daemonLog.match(/REQ_DECODE cookie=\d+ codec=av1 [^\n]*/g) ?? [],
      [],
      "AV1 jobs",
    );
  },
});
