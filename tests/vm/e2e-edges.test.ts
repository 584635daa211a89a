// What real clients meet at the device's edges, on both kernels:
// - CAPTURE strides: at widths that are not a multiple of 64 (352, 426 — cropped from 432 — and
//   720) every client in the suite decodes H.264 bit-exact: GStreamer 1.22 (NV12), 1.26 (I420, as
//   three-plane YUV420M, whose luma stride pads to 128 pixels), ffmpeg through VA-API, and
//   GStreamer's own VA-API decoder (vah264dec to system memory), which mixed the libva driver's
//   64-byte image pitch with tight CAPTURE strides and garbled 352-wide pictures. (The VP8, VP9 and
//   AV1 matrices have 352x288 and odd sizes through their clients: e2e-vpx, e2e-av1.)
// - Streams the daemon cannot decode, H.264 High 10 and High 4:2:2: the module refuses their SPS
//   at the client's first S_EXT_CTRLS, so GStreamer stops before any picture (the fallback signal a
//   browser needs) instead of writing zero frames; no job of theirs reaches the daemon.
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  type Client,
  type Clip,
  decodeInGuest,
  type Format,
  matrixTier,
  recipeClip,
  WARMUP_FRAMES,
} from "../lib/e2e.ts";
import { KERNELS, vmTest } from "../lib/harness.ts";
import type { H264Recipe } from "../lib/streams.ts";

const WATCHDOG = "job_timeout_ms=30000";
const B_FRAMES = ["-bf", "2"];

const WIDTHS: H264Recipe[] = [
  { name: "stride-352x288", codec: "h264", size: "352x288", frames: 10, args: B_FRAMES },
  { name: "stride-426x240", codec: "h264", size: "426x240", frames: 10, args: B_FRAMES },
  { name: "stride-720x480", codec: "h264", size: "720x480", frames: 10, args: B_FRAMES },
];
const CLIENTS: [Client, Format][] = [
  ["gst1.22", "NV12"],
  ["gst1.26", "I420"],
  ["vaapi", "NV12"],
  ["gstva", "NV12"],
];

/** What the daemon cannot decode: 10 bits, 4:2:2 (x264's own profiles for them). */
const REFUSED: H264Recipe[] = [
  {
    name: "refused-high10-352x288",
    codec: "h264",
    size: "352x288",
    frames: 6,
    args: ["-pix_fmt", "yuv420p10le", "-profile:v", "high10"],
  },
  {
    name: "refused-high422-352x288",
    codec: "h264",
    size: "352x288",
    frames: 6,
    args: ["-pix_fmt", "yuv422p", "-profile:v", "high422"],
  },
];
const REFUSED_CLIENTS: [Client, Format][] = [["gst1.22", "NV12"], ["gst1.26", "I420"]];

/** Each recipe's Annex-B stream through each client, in its raw format. */
async function h264Clips(recipes: H264Recipe[], clients: [Client, Format][]): Promise<Clip[]> {
  const clips: Clip[] = [];
  for (const r of recipes) {
    for (const [client, format] of clients) {
      clips.push(await recipeClip(r, format, client, `${r.name}-${client}`));
    }
  }
  return clips;
}

for (const kernel of KERNELS) {
  vmTest({
    name: `e2e ${kernel}: widths 352, 426 and 720 bit-exact through every client; High 10 and ` +
      `4:2:2 refused before any picture`,
    kernel,
    boots: 1,
    tier: matrixTier(kernel),
    fn: async () => {
      const clips = await h264Clips(WIDTHS, CLIENTS);
      const refused = await h264Clips(REFUSED, REFUSED_CLIENTS);
      const r = await decodeInGuest(kernel, [WATCHDOG], [...clips, ...refused], { jobs: 1 });
      await assertClientsBitExact(r, clips);
      for (const c of refused) {
        const out = await Deno.readFile(`${r.guest.runDir}/${c.id}.yuv`).catch(() =>
          new Uint8Array()
        );
        const status = r.clients.get(c.id)?.status;
        console.log(`${c.id}: client exit status ${status}, ${out.length} bytes written`);
        assert.notEqual(status, undefined, `${c.id} did not run`);
        assert.equal(
          out.length,
          0,
          `${c.id}: pictures written for a stream the daemon cannot decode`,
        );
      }
      // No job of the refused streams reached the daemon: one job per picture of the others.
      const frames = WIDTHS.reduce((n, w) => n + w.frames, 0) * CLIENTS.length;
      const jobs = r.daemonLog.match(/REQ_DECODE cookie=\d+ codec=h264 /g) ?? [];
      assert.equal(jobs.length, frames + WARMUP_FRAMES, "REQ_DECODE lines in the daemon's log");
      assert.deepEqual(r.daemonLog.match(/decoder: FAILED [^\n]*/g) ?? [], [], "failed jobs");
    },
  });
}
