// VP8 and VP9 end to end: GStreamer's v4l2slvp8dec and v4l2slvp9dec decode through /dev/videoN
// (from IVF and WebM), the module hands each frame to the real daemon, and every displayed
// picture equals ffmpeg's own decode of the same stream. NV12 through bookworm's GStreamer 1.22,
// I420 (YUV420M) and 10-bit P010 through trixie's 1.26. With H.264 beside them: clients of
// three codecs on the device at once.
//
// The 3840x2160 VP9 stream stays in the unit matrix only: under TCG one of its frames takes the
// daemon over GStreamer's hard-coded 1 s per request (and libva's 2 s). The stream whose inter
// frames change size (predicting from references of another size) is decoded bit-exact by the
// daemon's core (tests/unit/vpx-matrix.test.ts), but neither client can hand it over:
// - GStreamer's v4l2slvp9dec (1.22 and 1.26) never queues those frames (measured: 55 requests for
//   the 60 frames, the five 480x270 ones missing, the client exiting 0);
// - ffmpeg's VP9 hwaccel reinitialises at the size change: libva-v4l2_request closes its V4L2
//   context and opens another (measured: CTX_CLOSE, CTX_OPEN, then "Not all references are
//   available" for each 480x270 frame), and a new context has none of the old one's references,
//   in the V4L2 stateless model as on hardware.
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  type Clip,
  decodeInGuest,
  matrixTier,
  recipeClip,
  vaapiHandsOver,
} from "../lib/e2e.ts";
import { FULL, type Kernel, KERNELS, vmTest } from "../lib/harness.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import { vp8FileFrames } from "../../src/vp8/file-client.ts";
import { vp9FileFrames } from "../../src/vp9/file-client.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { asIvf, streamFile, type VpxRecipe } from "../lib/streams.ts";
import { VP8_MATRIX, VP9_MATRIX, VPX_DEFAULTS } from "../lib/vpx-matrix.ts";

const WATCHDOG = "job_timeout_ms=30000";
const TOO_BIG_FOR_TCG = ["vp9-3840x2160"];
const REFERENCE_SCALING = ["vp9-dynamic-resize-640x360"];

/** libvpx's defaults in GStreamer 1.22's run (all of them: e2e-encoders.test.ts, full tier). */
const ENCODER_SAMPLE = VPX_DEFAULTS.filter((r) =>
  ["vp8-vpxenc-rt-defaults-351x287", "vp9-ffmpeg-defaults-351x287"].includes(r.name)
);

/**
 * What VA-API takes of the matrices in the default tier besides the 10-bit streams (the full tier
 * takes them whole; GStreamer 1.22 takes every clip in the default tier): tiles, segmentation,
 * frames shown again, WebM from both encoders, VP8's alt-ref and token partitions.
 */
const VAAPI_SAMPLE = [
  "vp9-tiles4x2-1280x720",
  "vp9-segmentation-640x360",
  "vp9-show-existing-352x288",
  "vp9-ffmpeg-webm-640x360",
  "vp8-altref-640x360",
  "vp8-token-parts8-1280x720",
  "vp8-vpxenc-webm-640x360",
];

/** What GStreamer 1.26 takes of the 8-bit matrices as I420 (besides every 10-bit stream, as P010). */
const I420_SAMPLE = ["vp9-altref-640x360", "vp9-odd-351x287", "vp8-altref-640x360"];

/**
 * GStreamer 1.22's share of the matrices in the default tier: what neither VA-API nor GStreamer
 * 1.26 takes there, so that each clip goes through a client on 6.12 in the default tier; the full
 * tier gives GStreamer 1.22 every clip.
 */
const inGst122Share = (r: VpxRecipe) => FULL || ![...VAAPI_SAMPLE, ...I420_SAMPLE].includes(r.name);

/** The requests a client sends for `r`: every frame but those shown again without a job. */
async function requests(r: VpxRecipe): Promise<number> {
  const packets = ivfFrames(await Deno.readFile(await asIvf(await streamFile(r))));
  const frames = r.codec === "vp9" ? vp9FileFrames(packets) : vp8FileFrames(packets);
  return frames.filter((f) => f.repeatOf === undefined).length;
}

function clip(r: VpxRecipe, format: Clip["format"], client?: Clip["client"]): Promise<Clip> {
  return recipeClip(r, format, client, `${r.name}-${format}${client ? `-${client}` : ""}`);
}

/**
 * `recipes` decoded in one boot of `kernel`, one clip at a time, each as `clipOf` says: every
 * picture bit-exact, and for each codec one REQ_DECODE per request in the daemon's -v log, no job
 * failed.
 */
async function assertDecodes(
  kernel: Kernel,
  recipes: VpxRecipe[],
  clipOf: (r: VpxRecipe) => Promise<Clip>,
): Promise<void> {
  const clips = await Promise.all(recipes.map(clipOf));
  const r = await decodeInGuest(kernel, [WATCHDOG], clips, { jobs: 1 });
  await assertClientsBitExact(r, clips);
  for (const codec of ["vp8", "vp9"] as const) {
    let expected = 0;
    for (const rec of recipes.filter((x) => x.codec === codec)) expected += await requests(rec);
    const jobs = r.daemonLog.match(new RegExp(`REQ_DECODE cookie=\\d+ codec=${codec} `, "g")) ??
      [];
    assert.equal(jobs.length, expected, `${codec} REQ_DECODE lines in the daemon's log`);
  }
  const failed = r.daemonLog.match(/decoder: FAILED [^\n]*/g) ?? [];
  assert.deepEqual(failed, [], "failed jobs in the daemon's log");
}

for (const kernel of KERNELS) {
  vmTest({
    name: `e2e ${kernel}: v4l2slvp9dec and v4l2slvp8dec (GStreamer 1.22, NV12, IVF and WebM) ` +
      `decode ${
        FULL ? "the VP9 and VP8 matrices" : "a share of the VP9 and VP8 matrices"
      } bit-exact`,
    kernel,
    boots: 1,
    tier: matrixTier(kernel),
    fn: async () => {
      const recipes = [...VP9_MATRIX.filter(inGst122Share), ...VP8_MATRIX.filter(inGst122Share)]
        .concat(ENCODER_SAMPLE).filter((r) =>
          !r.tenBit && !TOO_BIG_FOR_TCG.includes(r.name) && !REFERENCE_SCALING.includes(r.name)
        );
      await assertDecodes(kernel, recipes, (r) => clip(r, "NV12"));
    },
  });

  vmTest({
    name: `e2e ${kernel}: GStreamer 1.26 decodes VP9 profile 2 as P010 and VP9/VP8 as I420 ` +
      `(YUV420M) bit-exact`,
    kernel,
    boots: 1,
    tier: matrixTier(kernel),
    fn: async () => {
      const tenBit = VP9_MATRIX.filter((r) => r.tenBit);
      const clips = [
        ...await Promise.all(tenBit.map((r) => clip(r, "P010_10LE"))),
        ...await Promise.all(
          [...VP9_MATRIX, ...VP8_MATRIX].filter((r) => I420_SAMPLE.includes(r.name)).map((r) =>
            clip(r, "I420")
          ),
        ),
      ];
      const r = await decodeInGuest(kernel, [WATCHDOG], clips, { jobs: 1, cpus: 1 });
      await assertClientsBitExact(r, clips);
    },
  });

  vmTest({
    name: `e2e ${kernel}: VA-API (libva v4l2_request, ffmpeg -hwaccel vaapi) decodes ` +
      `${FULL ? "the VP9 and VP8 matrices" : "a sample of the VP9 and VP8 matrices"} bit-exact, ` +
      `10-bit as P010, one request per frame (no odd width)`,
    kernel,
    boots: 1,
    tier: matrixTier(kernel),
    fn: async () => {
      const recipes = [...VP9_MATRIX, ...VP8_MATRIX].filter((r) =>
        !TOO_BIG_FOR_TCG.includes(r.name) && !REFERENCE_SCALING.includes(r.name) &&
        vaapiHandsOver(r.size) && (FULL || r.tenBit || VAAPI_SAMPLE.includes(r.name))
      );
      await assertDecodes(
        kernel,
        recipes,
        (r) => clip(r, r.tenBit ? "P010_10LE" : "NV12", "vaapi"),
      );
    },
  });

  vmTest({
    name: `e2e ${kernel}: H.264, VP9 and VP8 clients at once: no EBUSY, all bit-exact`,
    kernel,
    boots: 1,
    tier: matrixTier(kernel),
    fn: async () => {
      const h264 = MATRIX.find((r) => r.name === "baseline-cavlc-poc2-176x144")!;
      const vp9 = VP9_MATRIX.find((r) => r.name === "vp9-plain-352x288")!;
      const vp8 = VP8_MATRIX.find((r) => r.name === "vp8-plain-352x288")!;
      const clips: Clip[] = [
        await recipeClip(h264, "NV12", undefined, "h264"),
        await clip(vp9, "NV12"),
        await clip(vp8, "NV12"),
      ];
      const r = await decodeInGuest(kernel, [WATCHDOG], clips, { jobs: 3 });
      await assertClientsBitExact(r, clips);
    },
  });
}
