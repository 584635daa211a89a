// Official conformance vectors through the daemon's decoding core, as a V4L2 client sends them
// (the file clients of `daedalusd decode`): every displayed frame bit-exact against ffmpeg's own
// software decode (VP8 also against libvpx's .md5 files), or the stream refused for a stated
// reason before any picture. The default tier decodes a spread; DAEDALUS_FULL=1 every vector.
// README.md's Conformance section is the table of a full run.
import assert from "node:assert/strict";
import { AV1 } from "../../src/av1/codec.ts";
import { OBU_SEQUENCE_HEADER, splitObus } from "../../src/av1/obu.ts";
import { parseSequenceHeader } from "../../src/av1/parser.ts";
import type { FileDecodeResult } from "../../src/decoder/file-decoder.ts";
import { H264 } from "../../src/h264/codec.ts";
import { splitAnnexB } from "../../src/h264/annexb.ts";
import { NAL_SPS } from "../../src/h264/param-sets.ts";
import { parseSps } from "../../src/h264/parser.ts";
import { VP8 } from "../../src/vp8/codec.ts";
import { ffmpegFrameMd5s } from "../lib/streams.ts";
import { decodeMd5s } from "../lib/decode.ts";
import {
  avifKind,
  avifVector,
  FULL,
  H264_REFUSED,
  readPinned,
  SPREAD,
  vectorCacheFile,
  vectorsIn,
} from "../lib/vectors.ts";

for (const rel of vectorsIn("vp8", ".ivf")) {
  const name = rel.slice("vp8/".length, -".ivf".length);
  Deno.test({
    name: `vector VP8 ${name}: bit-exact against libvpx's .md5 and ffmpeg's decode`,
    ignore: !FULL && !SPREAD.has(rel),
    fn: async () => {
      const data = await readPinned(rel);
      const libvpx = new TextDecoder().decode(await readPinned(`${rel}.md5`))
        .split("\n").filter((l) => l).map((l) => l.split(/\s+/)[0]);
      const ffmpeg = await ffmpegFrameMd5s(await vectorCacheFile(rel), "yuv420p");
      assert.deepEqual(ffmpeg, libvpx, "the two references disagree");
      const r = decodeMd5s(data, "yuv420p");
      assert.equal(r.codec, VP8);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(r.md5s, libvpx);
    },
  });
}

/**
 * A stream the daemon must refuse: no picture, every job failed for the stated reason (refused
 * whole, never half-decoded).
 */
function assertRefused(r: FileDecodeResult, reason: RegExp): void {
  assert.deepEqual(r.md5s, [], "pictures came out of a refused stream");
  assert.equal(r.failed.length, r.frames, "not every job failed");
  for (const f of r.failed) assert.match(f.message, reason);
}

/**
 * The daemon's word for a stream whose bit depth or chroma format the codec does not decode on
 * the device (as the module's descriptor lists them), said of its parameter set before any
 * decoding: not another failure.
 */
const REFUSAL = /not a bit depth and chroma format this codec decodes/;

/** ffmpeg's options for a vector's reference, as FATE decodes it. */
const H264_FFMPEG_ARGS: Record<string, string[]> = {
  // cropped by an odd number of pixels on the left: FATE asks for exact cropping
  "avcv1/CVFC1_Sony_C.jsv": ["-flags", "unaligned"],
};

for (const path of vectorsIn("h264-jvt")) {
  const rel = path.slice("h264-jvt/".length);
  const refused = H264_REFUSED[path];
  Deno.test({
    name: `vector H.264 ${rel}: ${refused ? `refused (${refused.why})` : "bit-exact"}`,
    ignore: !FULL && !SPREAD.has(path),
    fn: async () => {
      const data = await readPinned(path);
      // the stream says what the table says of it
      const sps = parseSps(splitAnnexB(data).find((n) => (n[0] & 0x1f) === NAL_SPS)!);
      assert.equal(sps.v4l2.bit_depth_luma_minus8 + 8, refused?.depth ?? 8);
      if (refused) {
        const r = decodeMd5s(data, "nv12");
        assert.equal(r.codec, H264);
        assertRefused(r, REFUSAL);
        return;
      }
      const file = await vectorCacheFile(path);
      const expected = await ffmpegFrameMd5s(file, "yuv420p", undefined, H264_FFMPEG_ARGS[rel]);
      // the two ways clients send H.264: whole pictures with start codes, bare slices
      for (const [mode, startCode] of [["frame", "annexb"], ["slice", "none"]] as const) {
        const r = decodeMd5s(data, "yuv420p", { mode, startCode });
        assert.equal(r.codec, H264);
        assert.deepEqual(r.failed, [], `${mode}/${startCode}`);
        assert.deepEqual(r.md5s, expected, `${mode}/${startCode}`);
      }
    },
  });
}

for (const path of vectorsIn("av1-avif/testFiles", ".avif")) {
  const rel = path.slice("av1-avif/testFiles/".length);
  const kind = avifKind(rel);
  Deno.test({
    name: `vector AV1 ${rel}: ${kind.refused ? `refused (${kind.refused})` : "bit-exact"}`,
    ignore: !FULL && !SPREAD.has(path),
    fn: async () => {
      const { payload, ivf, file } = await avifVector(path);
      const obus = payload.temporalUnits.flatMap((u) => splitObus(u));
      // the stream says what its name says
      const seq = parseSequenceHeader(obus.find((o) => o.type === OBU_SEQUENCE_HEADER)!.payload);
      assert.equal(seq.bitDepth, kind.depth);
      assert.equal(seq.monoChrome, kind.chroma === "monochrome");
      if (!seq.monoChrome) {
        const [x, y] = [seq.subsamplingX, seq.subsamplingY];
        assert.equal(`4:${x ? 2 : 4}:${y ? 0 : x ? 2 : 4}`, kind.chroma);
      }
      // the extraction took the picture the container declares: its size, a grid's tiles
      const shown = AV1.stateless!.frames(ivf, { mode: "frame", startCode: "annexb" })
        .filter((f) => !f.hidden);
      const size = (f: (typeof shown)[0]) =>
        `${f.width - f.crop.right}x${f.height - f.crop.bottom}`;
      assert.equal(size(shown.at(-1)!), `${payload.width}x${payload.height}`);
      if (payload.grid) {
        const g = payload.grid;
        assert.equal(payload.temporalUnits.length, g.rows * g.columns);
        assert.ok(g.columns * payload.width >= g.width && g.rows * payload.height >= g.height);
      }
      if (kind.refused) {
        const r = decodeMd5s(ivf, "nv12");
        assert.equal(r.codec, AV1);
        assertRefused(r, REFUSAL);
        return;
      }
      // several spatial layers: each layer's picture is a frame of its own, as clients decode
      // them; dav1d outputs them all when asked
      const layered = obus.some((o) => o.spatialId > 0) ? ["-alllayers", "1"] : [];
      const tenBit = kind.depth === 10;
      const expected = tenBit
        ? await ffmpegFrameMd5s(file, "p010le", "libdav1d", layered)
        : await ffmpegFrameMd5s(file, "yuv420p", "libdav1d", layered);
      const r = decodeMd5s(ivf, tenBit ? "nv12" : "yuv420p");
      assert.equal(r.codec, AV1);
      assert.deepEqual(r.failed, []);
      assert.deepEqual(r.md5s, expected);
    },
  });
}
