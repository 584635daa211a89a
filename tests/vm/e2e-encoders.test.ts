// Encoders' defaults through the device (issue 23's encoder-defaults matrix, decoded by the daemon
// in the unit tier): libx264 at each preset and tune, vpxenc --good/--rt and ffmpeg's libvpx and
// libvpx-vp9 with no option, through GStreamer 1.22 and VA-API (even widths: e2e.ts
// vaapiHandsOver), every picture bit-exact against ffmpeg's own decode, on both kernels in the full
// tier. The default tier takes two of them on each kernel (e2e-clients.test.ts on 6.1, and on 6.12
// the matrices' runs: e2e.test.ts and e2e-vpx.test.ts), and AV1's in e2e-av1.test.ts.
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  type Client,
  type Clip,
  decodeInGuest,
  recipeClip,
  vaapiHandsOver,
} from "../lib/e2e.ts";
import { KERNELS, vmTest } from "../lib/harness.ts";
import { H264_DEFAULTS } from "../lib/h264-matrix.ts";
import { VPX_DEFAULTS } from "../lib/vpx-matrix.ts";

const WATCHDOG = "job_timeout_ms=30000";

for (const kernel of KERNELS) {
  vmTest({
    name:
      `e2e ${kernel}: x264's presets and tunes, vpxenc's and ffmpeg's libvpx defaults through ` +
      `GStreamer 1.22 and VA-API, bit-exact`,
    kernel,
    boots: 1,
    tier: "full",
    fn: async () => {
      const clips: Clip[] = [];
      const clients = (size: string): Client[] =>
        vaapiHandsOver(size) ? ["gst1.22", "vaapi"] : ["gst1.22"];
      for (const r of [...H264_DEFAULTS, ...VPX_DEFAULTS]) {
        for (const client of clients(r.size)) {
          clips.push(await recipeClip(r, "NV12", client, `${r.name}-${client}`));
        }
      }
      const r = await decodeInGuest(kernel, [WATCHDOG], clips, { jobs: 1, timeoutS: 1200 });
      await assertClientsBitExact(r, clips);
      assert.deepEqual(r.daemonLog.match(/decoder: FAILED [^\n]*/g) ?? [], [], "failed jobs");
    },
  });
}
