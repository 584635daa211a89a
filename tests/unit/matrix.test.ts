// Bit-exactness of the decoding core over a matrix of x264 streams: every frame, in every
// decode mode, start-code mode and CAPTURE format, equals ffmpeg's own decode (framemd5); the
// matrix's chosen features, then libx264 at each of its presets and tunes (H264_DEFAULTS).
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { decodeFile } from "../../src/decoder/file-decoder.ts";
import type { DecodeModeName, StartCodeName } from "../../src/h264/client.ts";
import { ffmpegFrameMd5s, type H264Recipe, streamFile } from "../lib/streams.ts";
import { decodeMd5s } from "../lib/decode.ts";
import { H264_DEFAULTS, MATRIX } from "../lib/h264-matrix.ts";

const MODES: [DecodeModeName, StartCodeName][] = [
  ["frame", "annexb"],
  ["frame", "none"],
  ["slice", "annexb"],
  ["slice", "none"],
];

for (const recipe of [...MATRIX, ...H264_DEFAULTS]) {
  for (const [mode, startCode] of MODES) {
    for (const pixFmt of ["nv12", "yuv420p"] as const) {
      // Without start codes, a frame-based buffer cannot delimit several slices (V4L2 has no
      // way to say where one ends): such clients must use Annex-B or slice-based mode.
      const ignore = mode === "frame" && startCode === "none" && recipe.multiSlice === true;
      // libavcodec's slice threads (pictures of several slices) must change nothing
      const threads = pixFmt === "nv12" ? 1 : 3;
      Deno.test({
        name: `bit-exact ${recipe.name} ${mode}/${startCode} ${pixFmt}, ${threads} thread(s)`,
        ignore,
        fn: async () => {
          const file = await streamFile(recipe);
          const expected = await ffmpegFrameMd5s(file, pixFmt);
          const r = decodeMd5s(await Deno.readFile(file), pixFmt, { mode, startCode, threads });
          assert.deepEqual(r.failed, []);
          assert.equal(r.md5s.length, recipe.frames);
          assert.deepEqual(r.md5s, expected);
        },
      });
    }
  }
}

// Full range (yuvj420p: x264 from JPEG-range input, as phones' MJPEG-sourced video; and grey, which
// x264 codes as full-range 4:0:0): the CAPTURE picture holds the decoded samples, not converted to
// limited range (the references ask ffmpeg for yuvj420p, which libswscale leaves alone).
for (
  const recipe of [
    {
      name: "fullrange-yuvj420p-352x288",
      codec: "h264",
      size: "352x288",
      frames: 8,
      args: ["-pix_fmt", "yuvj420p", "-bf", "2"],
    },
    {
      name: "fullrange-gray-176x144",
      codec: "h264",
      size: "176x144",
      frames: 6,
      args: ["-pix_fmt", "gray"],
    },
  ] satisfies H264Recipe[]
) {
  for (const pixFmt of ["nv12", "yuv420p"] as const) {
    Deno.test(`bit-exact ${recipe.name} ${pixFmt}: the decoded samples, range unconverted`, async () => {
      const file = await streamFile(recipe);
      const r = decodeFile(libav(), await Deno.readFile(file), {
        mode: "frame",
        startCode: "annexb",
        pixFmt,
        md5: true,
      });
      assert.deepEqual(r.failed, []);
      assert.equal(r.md5s.length, recipe.frames);
      assert.deepEqual(r.md5s, await ffmpegFrameMd5s(file, pixFmt));
    });
  }
}

// A new SPS with another size mid-stream (two clips joined at an IDR): the decoder is reopened
// and every frame of both parts still equals ffmpeg's decode of each clip.
const PART_A: H264Recipe = {
  name: "join-a-640x360",
  codec: "h264",
  size: "640x360",
  frames: 8,
  args: ["-bf", "2"],
};
const PART_B: H264Recipe = {
  name: "join-b-1280x720",
  codec: "h264",
  size: "1280x720",
  frames: 8,
  args: ["-bf", "2", "-x264-params", "slices=2"],
};

for (const [mode, startCode] of [["frame", "annexb"], ["slice", "none"]] as const) {
  Deno.test(`bit-exact across a resolution change, ${mode}/${startCode}`, async () => {
    const [a, b] = [await streamFile(PART_A), await streamFile(PART_B)];
    const expected = [...await ffmpegFrameMd5s(a, "nv12"), ...await ffmpegFrameMd5s(b, "nv12")];
    const joined = new Uint8Array([...await Deno.readFile(a), ...await Deno.readFile(b)]);
    const r = decodeFile(libav(), joined, { mode, startCode, pixFmt: "nv12", md5: true });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.md5s, expected);
  });
}
