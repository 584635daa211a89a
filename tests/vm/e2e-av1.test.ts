// AV1 end to end, on the kernels whose uAPI has AV1 (6.12 here; 6.1 has none): GStreamer 1.26's
// v4l2slav1dec (bookworm's 1.22 has no AV1 element) decodes through /dev/videoN from IVF, WebM
// and MP4, the daemon rebuilds each request's OBUs for dav1d, and every displayed picture
// equals ffmpeg's own libdav1d decode of the same stream (film grain applied by both).
import assert from "node:assert/strict";
import {
  assertClientsBitExact,
  type Clip,
  decodeInGuest,
  type E2eRun,
  recipeClip,
  vaapiHandsOver,
} from "../lib/e2e.ts";
import { FULL, vmTest } from "../lib/harness.ts";
import { remuxed, streamFile } from "../lib/streams.ts";
import { AV1_DEFAULTS, AV1_FEATURES, AV1_MATRIX } from "../lib/av1-matrix.ts";

const WATCHDOG = "job_timeout_ms=30000";
// Streams whose inter frames change size (scaled references) go through VA-API and the unit
// matrix only: GStreamer 1.26 sets the OUTPUT format again when an inter frame's size differs,
// which fails while streaming (EBUSY, as on every V4L2 driver), and then gst-launch crashes
// (SIGSEGV, measured on the fixed-resize stream); on the random-resize stream, whose later frames
// are larger than the key frame's CAPTURE buffers, the driver refuses the frame at S_EXT_CTRLS.
const SIZE_CHANGES = ["av1-aom-resize-fixed-352x288", "av1-aom-resize-random-352x288"];

/**
 * The default tier's AV1 streams: each encoder, 8 and 10 bits, odd sizes, tiles and tile groups,
 * film grain, monochrome, hidden frames, scaled references, intra-only frames (the rest of the
 * matrix runs in the full tier, `./run test --full`, and all of it in the unit matrix).
 */
const SAMPLE = [
  "av1-aom-altref-tiles-352x288",
  "av1-svt-640x360",
  "av1-rav1e-tiles4-640x360",
  "av1-aom-10bit-odd-351x287",
  "av1-aom-tile-groups-352x288",
  "av1-aom-film-grain-352x288",
  "av1-aom-monochrome-352x288",
  "av1-aom-resize-fixed-352x288",
  "av1-svt-intra-only-352x288",
];
/** The matrix's streams this tier runs. */
const tierStreams = () => [
  ...[...AV1_MATRIX, ...AV1_FEATURES].filter((r) => FULL || SAMPLE.includes(r.name)),
  // libaom at ffmpeg's defaults (issue 23: its deep pyramids broke from frame 11); all encoders'
  // defaults in the full tier's own run below
  ...AV1_DEFAULTS.filter((r) => !FULL && r.name === "av1-aom-defaults-352x288"),
];
const tierName = FULL ? "the AV1 matrix" : "a sample of the AV1 matrix";

async function assertAll(r: E2eRun, clips: Clip[]): Promise<void> {
  await assertClientsBitExact(r, clips);
  const failed = r.daemonLog.match(/decoder: FAILED [^\n]*/g) ?? [];
  assert.deepEqual(failed, [], "failed jobs in the daemon's log");
}

vmTest({
  name: `e2e 6.12: v4l2slav1dec (GStreamer 1.26) decodes ${tierName} bit-exact, from IVF, ` +
    "WebM and MP4, 10-bit as P010",
  kernel: "6.12",
  boots: 1,
  fn: async () => {
    const clips: Clip[] = [];
    for (const r of tierStreams()) {
      if (SIZE_CHANGES.includes(r.name)) continue;
      clips.push(await recipeClip(r, r.tenBit ? "P010_10LE" : "NV12", "gst1.26"));
    }
    const base = AV1_MATRIX[0];
    for (const container of ["webm", "mp4"] as const) {
      clips.push({
        id: `${base.name}-${container}`,
        file: await remuxed(await streamFile(base), container),
        codec: "av1",
        container,
        format: "NV12",
        client: "gst1.26",
        parts: [await streamFile(base)],
      });
    }
    const r = await decodeInGuest("6.12", [WATCHDOG], clips, { jobs: 1 });
    await assertAll(r, clips);
    const jobs = r.daemonLog.match(/REQ_DECODE cookie=\d+ codec=av1 /g) ?? [];
    assert.ok(
      jobs.length >= clips.length * 8,
      `${jobs.length} AV1 requests: the driver was not used`,
    );
  },
});

// VA-API, through libva-v4l2_request 1.3 built against the 6.12 uAPI (its AV1 path compiled in).
// The driver submits each AV1 frame one request late, because VA-API carries no
// refresh_frame_flags, and guesses them when the client reads a surface first (docs/av1.md):
// the daemon finds references by timestamp, so its pictures survive that. Film grain cannot
// pass this way: ffmpeg's VA-API AV1 decodes a grained frame into a separate surface
// (`current_frame`) and shows `current_display_picture`, which the driver ignores, so what ffmpeg
// reads back is a surface nobody wrote (measured: frame 0 equals neither the grained nor the
// ungrained decode, while the FILM_GRAIN control the daemon receives equals GStreamer's, whose
// grained pictures are bit-exact above).
// Nor can monochrome: bookworm's ffmpeg (5.1) offers its AV1 hwaccels for 4:2:0 pixel formats
// only, so for a gray stream it says "Your platform doesn't support hardware accelerated AV1
// decoding" and stops before any request (measured); GStreamer decodes those bit-exact above.
const GRAIN = ["av1-aom-film-grain-352x288", "av1-svt-film-grain-352x288"];
const MONOCHROME = ["av1-aom-monochrome-352x288", "av1-aom-monochrome-10bit-352x288"];
vmTest({
  name: `e2e 6.12: VA-API (libva v4l2_request, ffmpeg -hwaccel vaapi) decodes ${tierName} ` +
    "bit-exact (reference scaling, hidden frames, guessed refresh flags; no film grain, no " +
    "monochrome, no odd width)",
  kernel: "6.12",
  boots: 1,
  fn: async () => {
    const clips: Clip[] = [];
    for (const r of tierStreams()) {
      if (GRAIN.includes(r.name) || MONOCHROME.includes(r.name) || !vaapiHandsOver(r.size)) {
        continue;
      }
      clips.push(await recipeClip(r, r.tenBit ? "P010_10LE" : "NV12", "vaapi", `${r.name}-vaapi`));
    }
    const r = await decodeInGuest("6.12", [WATCHDOG], clips, { jobs: 1 });
    await assertAll(r, clips);
    const jobs = r.daemonLog.match(/REQ_DECODE cookie=\d+ codec=av1 /g) ?? [];
    assert.ok(jobs.length >= clips.length * 8, `${jobs.length} AV1 requests: VA-API was not used`);
  },
});

// Each AV1 encoder at its defaults (issue 23), through both clients in one boot: libaom's deep
// pyramids keep eight pictures alive and replace slots their frames predict from, and through
// VA-API they take the daemon's deferred storing (libva guesses the flags of every frame ffmpeg
// reads back, docs/av1.md). The full tier: the default one has the unit matrix's decode of them.
vmTest({
  name: "e2e 6.12: each AV1 encoder at its defaults through v4l2slav1dec and VA-API, bit-exact",
  kernel: "6.12",
  boots: 1,
  tier: "full",
  fn: async () => {
    const clips: Clip[] = [];
    for (const r of AV1_DEFAULTS) {
      for (const client of ["gst1.26", "vaapi"] as const) {
        clips.push(await recipeClip(r, "NV12", client, `${r.name}-${client}`));
      }
    }
    const r = await decodeInGuest("6.12", [WATCHDOG], clips, { jobs: 1 });
    await assertAll(r, clips);
  },
});
