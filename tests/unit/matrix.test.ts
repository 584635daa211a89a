// Bit-exactness of the decoding core over a matrix of x264 streams: every frame, in every
// decode mode, start-code mode and CAPTURE format, equals ffmpeg's own decode (framemd5).
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { decodeFile } from "../../src/decoder/file-decoder.ts";
import type { DecodeModeName, StartCodeName } from "../../src/h264/client.ts";
import { ffmpegFrameMd5s, streamFile } from "./helpers/streams.ts";
import { MATRIX } from "./helpers/matrix.ts";

const MODES: [DecodeModeName, StartCodeName][] = [
  ["frame", "annexb"],
  ["frame", "none"],
  ["slice", "annexb"],
  ["slice", "none"],
];

for (const recipe of MATRIX) {
  for (const [mode, startCode] of MODES) {
    for (const pixFmt of ["nv12", "yuv420p"] as const) {
      // Without start codes, a frame-based buffer cannot delimit several slices (V4L2 has no
      // way to say where one ends): such clients must use Annex-B or slice-based mode.
      const ignore = mode === "frame" && startCode === "none" && recipe.multiSlice === true;
      Deno.test({
        name: `bit-exact ${recipe.name} ${mode}/${startCode} ${pixFmt}`,
        ignore,
        fn: async () => {
          const file = await streamFile(recipe);
          const expected = await ffmpegFrameMd5s(file, pixFmt);
          const r = decodeFile(libav(), await Deno.readFile(file), {
            mode,
            startCode,
            pixFmt,
            md5: true,
            // padded strides for I420, tight for NV12: both layouts get exercised
            strideAlign: pixFmt === "yuv420p" ? 64 : 1,
          });
          assert.deepEqual(r.failed, []);
          assert.equal(r.md5s.length, recipe.frames);
          assert.deepEqual(r.md5s, expected);
        },
      });
    }
  }
}
