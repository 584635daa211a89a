// Each codec once through each client, on the kernel whose matrices run only in the full tier
// (e2e.ts MATRIX_KERNEL: the other kernel runs them in the default tier): GStreamer 1.22 (NV12),
// GStreamer 1.26 (I420 as YUV420M, 10-bit as P010), VA-API through libva's v4l2_request driver
// (ffmpeg -hwaccel vaapi), and GStreamer's own VA-API decoder (gstva), every picture bit-exact
// against ffmpeg's own decode. One boot for all of them, one client at a time in a one-vCPU guest
// (as the GStreamer 1.26 matrices run: its output stalls a second vCPU's decodes under TCG).
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  type Client,
  type Clip,
  decodeInGuest,
  type Format,
  recipeClip,
} from "../lib/e2e.ts";
import { MATRIX_KERNEL } from "../lib/e2e.ts";
import { assertRefused, vectorClips } from "../lib/e2e-vectors.ts";
import { KERNELS, vmTest } from "../lib/harness.ts";
import { H264_DEFAULTS, MATRIX } from "../lib/h264-matrix.ts";
import { VP8_MATRIX, VP9_MATRIX, VPX_DEFAULTS } from "../lib/vpx-matrix.ts";

const WATCHDOG = "job_timeout_ms=30000";

/** Per stream of the unit matrices: the clients and formats it goes through. */
const SAMPLES: [string, [Client, Format][]][] = [
  ["main-cabac-bpyramid-640x360", [
    ["gst1.22", "NV12"],
    ["gst1.26", "I420"],
    ["vaapi", "NV12"],
    ["gstva", "NV12"],
  ]],
  ["mbaff-slices2-640x480", [["gst1.22", "NV12"]]],
  ["vp9-altref-640x360", [["gst1.22", "NV12"], ["gst1.26", "I420"], ["vaapi", "NV12"]]],
  ["vp9-profile2-10bit-640x360", [["gst1.26", "P010_10LE"], ["vaapi", "P010_10LE"]]],
  ["vp8-altref-640x360", [["gst1.22", "NV12"], ["gst1.26", "I420"], ["vaapi", "NV12"]]],
  // encoders' defaults (all of them in the full tier, e2e-encoders.test.ts)
  ["x264-tune-zerolatency-350x286", [["gst1.22", "NV12"]]],
  ["vp9-vpxenc-rt-defaults-352x288", [["vaapi", "NV12"]]],
];

/**
 * Official vectors on this kernel in the default tier (the other runs a spread of them, this one
 * all of them in the full tier, tests/vm/e2e-vectors.test.ts): an odd size, VP8's eight token
 * partitions, PCM macroblocks, MBAFF with field pictures, memory management, and a 10-bit stream
 * the device refuses; each through GStreamer 1.22 or VA-API, in turn.
 */
const VECTORS = [
  "vp8/vp80-00-comprehensive-006.ivf",
  "vp8/vp80-04-partitions-1406.ivf",
  "h264-jvt/avcv1/CVPCMNL1_SVA_C.264",
  "h264-jvt/frext/HCAMFF1_HHI.264",
  "h264-jvt/frext/FRExt_MMCO4_Sony_B.264",
  "h264-jvt/frext/PPH10I1_Panasonic_A.264",
];

async function sampleClips(): Promise<Clip[]> {
  const clips: Clip[] = [];
  for (const [name, through] of SAMPLES) {
    const r = [...MATRIX, ...H264_DEFAULTS, ...VP9_MATRIX, ...VP8_MATRIX, ...VPX_DEFAULTS].find((
      r,
    ) => r.name === name);
    assert.ok(r, `no stream ${name} in the unit matrices`);
    for (const [client, format] of through) {
      clips.push(await recipeClip(r, format, client, `${name}-${client}-${format}`));
    }
  }
  return clips;
}

for (const kernel of KERNELS.filter((k) => k !== MATRIX_KERNEL)) {
  vmTest({
    name: `e2e ${kernel}: H.264, VP9 (8- and 10-bit) and VP8 through each client: GStreamer 1.22 ` +
      `NV12, 1.26 I420 and P010, VA-API NV12 and P010, gstva; six conformance vectors; bit-exact`,
    kernel,
    boots: 1,
  }, async () => {
    const clips = await sampleClips();
    const vectors = await vectorClips(VECTORS, false);
    const r = await decodeInGuest(kernel, [WATCHDOG], [
      ...clips,
      ...vectors.clips,
      ...vectors.refused,
    ], {
      jobs: 1,
      cpus: 1,
    });
    await assertClientsBitExact(r, [...clips, ...vectors.clips]);
    await assertRefused(r, vectors.refused);
    const failed = r.daemonLog.match(/decoder: FAILED [^\n]*/g) ?? [];
    assert.deepEqual(failed, [], "failed jobs in the daemon's log");
  });
}
