/**
 * The official vectors as end-to-end clips (tests/vm/e2e-vectors.test.ts, and a few in
 * tests/vm/e2e-clients.test.ts on the kernel whose matrices run in the full tier): which client
 * takes which vector, and what a refused one must leave behind (no picture).
 */
import assert from "node:assert/strict";
import { type Client, type Clip, type E2eRun, type Format, vaapiHandsOver } from "./e2e.ts";
import { H264_REFUSED, vectorCacheFile } from "./vectors.ts";
import { frameSizes } from "./streams.ts";

/** The clients the H.264 and VP8 vectors go through, with the raw format each asks for. */
export const VECTOR_CLIENTS: [Client, Format][] = [["gst1.22", "NV12"], ["vaapi", "NV12"]];

/**
 * Left to the unit tier: CVFC1_Sony_C, whose reference needs FATE's `-flags unaligned` (the e2e
 * reference is ffmpeg's plain decode); Apple's 2048x1536 images, whose frames take the daemon
 * past GStreamer's 1 s per request under TCG.
 */
export const UNIT_ONLY = ["h264-jvt/avcv1/CVFC1_Sony_C.jsv", "av1-avif/testFiles/Apple/"];

/**
 * Left to the unit tier besides: the VP8 streams whose key frames change size mid-stream (1425:
 * 176x144, then 212x173 and 282x231; 1436: 352x288, then 282x231), which neither client hands
 * over (measured on 6.12 with 1425: GStreamer 1.22's v4l2slvp8dec keeps the first size in its
 * requests, so the daemon fails them, "the frame codes 212x173, its control says 176x144", and
 * GStreamer stops, not-negotiated; ffmpeg's VP8 hwaccel keeps its CAPTURE buffers, so the module
 * refuses the larger frame at S_EXT_CTRLS).
 */
export const SIZE_CHANGES = [
  "vp8/vp80-03-segmentation-1425.ivf",
  "vp8/vp80-03-segmentation-1436.ivf",
];

/**
 * Through GStreamer only: MR2_TANDBERG_E (176x144, 15 reference frames). bookworm's ffmpeg fails
 * "hwaccel initialisation" for it before any request (measured on 6.12, every run, with nothing
 * else decoding), while GStreamer decodes it bit-exact through the same kernel.
 */
const NOT_VAAPI = ["h264-jvt/avcv1/MR2_TANDBERG_E.264"];

/**
 * Through VA-API only, for GStreamer's own limits (VA-API decodes both bit-exact, 6.1):
 * - FRExt2_Panasonic, whose end-of-stream NAL (one byte, at 11825) is followed by more of the
 *   stream: GStreamer's h264parse (1.22 and 1.26, on the host too, with no decoder after it) ends
 *   the pipeline there with "Invalid H.264 stream".
 * - Freh7_B, whose last decoded picture is a field pair: at the end of stream GStreamer outputs a
 *   picture once the request of its first field is done (gst_v4l2_request_set_done on the
 *   picture's request, which for a pair is the first field's, queued with HOLD_CAPTURE_BUF; the
 *   second field's sub-request is not waited for: gstv4l2decoder.c, the same in GStreamer's main),
 *   so the buffer may go out before the second field is decoded into it: a race. Measured in one
 *   full-tier run: on 6.1 frame 98 of 100 came out as the buffer's earlier picture (frame 76),
 *   every other frame bit-exact; on 6.12 all 100 bit-exact. Hardware that decodes a field in a
 *   millisecond rarely loses it; a daemon under TCG (11 ms a picture) may. freh6 and freh10 end
 *   the same way: in the full tier's run of 53216aa on 6.1 (with other guests beside it) each
 *   gave frame 98 of 100 as frame 76, every other frame bit-exact; VA-API bit-exact.
 */
const NOT_GST = [
  "h264-jvt/frext/FRExt2_Panasonic.avc",
  "h264-jvt/frext/Freh7_B.264",
  "h264-jvt/frext/freh6.264",
  "h264-jvt/frext/freh10.264",
];

/** A clip's id for vector `rel` through `client`. */
export function vectorId(rel: string, client: Client): string {
  return `${rel.split("/").at(-1)!.replace(/\.[a-z0-9]+$/, "").replaceAll(".", "-")}-${client}`;
}

/**
 * The clips of the H.264 and VP8 vectors `rels` (those of the unit tier only left out): through
 * every client that takes each (`every`), or through one of them, in turn; the H.264 vectors the
 * device refuses apart.
 */
export async function vectorClips(
  rels: readonly string[],
  every: boolean,
): Promise<{ clips: Clip[]; refused: Clip[] }> {
  const clips: Clip[] = [];
  const refused: Clip[] = [];
  let turn = 0;
  for (const rel of rels) {
    if (SIZE_CHANGES.includes(rel) || UNIT_ONLY.some((u) => rel.startsWith(u))) continue;
    const vp8 = rel.startsWith("vp8/");
    const file = await vectorCacheFile(rel);
    const [first] = await frameSizes(file);
    // libva's driver copies one chroma sample short at odd widths (e2e.ts)
    const vaapi = vaapiHandsOver(`${first.width}x${first.height}`) && !NOT_VAAPI.includes(rel);
    const through = VECTOR_CLIENTS.filter(([client]) =>
      client === "vaapi" ? vaapi : !NOT_GST.includes(rel)
    );
    for (const [client, format] of every ? through : [through[turn++ % through.length]]) {
      const clip: Clip = {
        id: vectorId(rel, client),
        file,
        codec: vp8 ? "vp8" : "h264",
        container: vp8 ? "ivf" : "h264",
        format,
        client,
      };
      (H264_REFUSED[rel] ? refused : clips).push(clip);
    }
  }
  return { clips, refused };
}

/** Each refused clip ran and its client wrote no picture. */
export async function assertRefused(r: E2eRun, refused: Clip[]): Promise<void> {
  for (const c of refused) {
    const out = await Deno.readFile(`${r.guest.runDir}/${c.id}.yuv`).catch(() => new Uint8Array());
    const status = r.clients.get(c.id)?.status;
    console.log(`${c.id}: client exit status ${status}, ${out.length} bytes written`);
    assert.notEqual(status, undefined, `${c.id} did not run`);
    assert.equal(out.length, 0, `${c.id}: pictures written for a stream the device refuses`);
  }
}
