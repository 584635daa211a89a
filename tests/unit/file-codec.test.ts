// `daedalusd decode FILE` takes the codec a container names before it looks inside the stream:
// a VP9 IVF whose frame holds bytes that read as an H.264 SPS is VP9, and decodes bit-exact; a
// WebM or MP4 file (which the file clients do not read) is refused naming its codec, never taken
// for raw H.264.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { concatBytes } from "../../src/decoder/bytes.ts";
import { decodeFile, fileCodec } from "../../src/decoder/file-decoder.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import { H264 } from "../../src/h264/codec.ts";
import { ffmpegFrameMd5s, remuxed, streamFile, type VpxRecipe } from "../lib/streams.ts";
import { AV1_MATRIX } from "../lib/av1-matrix.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { VP9_MATRIX } from "../lib/vpx-matrix.ts";

const VP9_PLAIN = VP9_MATRIX.find((r) => r.name === "vp9-plain-352x288")!;
/** Small enough that its key frame ends inside the 4 KiB the Annex-B sniff reads. */
const VP9_SMALL: VpxRecipe = { ...VP9_PLAIN, name: "vp9-plain-96x64", size: "96x64", frames: 6 };
/** A start code and an H.264 SPS's first bytes (High profile, level 3.0). */
const SPS_LIKE = [0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x1e];

/**
 * `ivf` with `extra` after the first frame's data (its size grown to match): bytes past the
 * frame's last tile, which VP9 decoders do not read.
 */
function withTrailingBytes(ivf: Uint8Array, extra: number[]): Uint8Array {
  const header = new DataView(ivf.buffer, ivf.byteOffset).getUint16(6, true);
  const first = ivfFrames(ivf)[0];
  const end = first.data.byteOffset - ivf.byteOffset + first.data.length;
  const out = concatBytes([ivf.subarray(0, end), new Uint8Array(extra), ivf.subarray(end)]);
  const v = new DataView(out.buffer);
  v.setUint32(header, v.getUint32(header, true) + extra.length, true);
  return out;
}

Deno.test("a VP9 IVF whose first frame holds SPS-like bytes is VP9, and decodes bit-exact", async () => {
  const file = await streamFile(VP9_SMALL);
  const data = withTrailingBytes(await Deno.readFile(file), SPS_LIKE);
  // what content sniffing alone made of it
  assert.ok(H264.file.accepts(data), "the Annex-B sniff does not see an SPS");
  const r = decodeFile(libav(), data, {
    mode: "frame",
    startCode: "annexb",
    pixFmt: "nv12",
    md5: true,
  });
  assert.equal(r.codec.name, "vp9");
  assert.deepEqual(r.failed, []);
  assert.deepEqual(r.md5s, await ffmpegFrameMd5s(file, "nv12"));
});

Deno.test("an IVF of a fourcc no codec has is refused, naming it", async () => {
  const data = (await Deno.readFile(await streamFile(VP9_PLAIN))).slice();
  data.set([..."HEVC"].map((c) => c.charCodeAt(0)), 8);
  data.set(SPS_LIKE, 28); // the header's unused bytes
  assert.throws(() => fileCodec(data), /^Error: IVF file of HEVC: no codec the daemon decodes$/);
});

for (
  const [what, file, id] of [
    ["VP9 in WebM", async () => remuxed(await streamFile(VP9_PLAIN), "webm"), "vp9 \\(V_VP9\\)"],
    [
      "AV1 in MP4",
      async () => remuxed(await streamFile(AV1_MATRIX[0]), "mp4"),
      "av1 \\(av01\\)",
    ],
    [
      "AV1 in WebM",
      async () => remuxed(await streamFile(AV1_MATRIX[0]), "webm"),
      "av1 \\(V_AV1\\)",
    ],
    ["H.264 in MP4", () => streamFile(MATRIX[0], "mp4"), "h264 \\(avc1\\)"],
  ] as const
) {
  Deno.test(`${what}: refused naming the container's codec id (the file clients read IVF and raw H.264)`, async () => {
    const data = await Deno.readFile(await file());
    assert.throws(
      () => fileCodec(data),
      new RegExp(`^Error: (Matroska|MP4) file of ${id}: \`daedalusd decode\` reads `),
    );
  });
}

Deno.test("raw Annex-B H.264, in no container, is still found by its contents", async () => {
  const data = await Deno.readFile(await streamFile(MATRIX[0]));
  assert.equal(fileCodec(data).name, "h264");
  assert.throws(() => fileCodec(new Uint8Array(64)), /not a stream the daemon reads/);
});
