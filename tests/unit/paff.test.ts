// Field pictures (PAFF): a synthetic stream (tests/lib/paff.ts), since no encoder here codes them.
// Both fields of a frame go into one CAPTURE buffer (HOLD_CAPTURE on the first field), in every
// decode mode, start-code mode and CAPTURE format, and equal ffmpeg's decode.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { decodeFile } from "../../src/decoder/file-decoder.ts";
import { streamToFrames } from "../../src/h264/client.ts";
import { paffStream } from "../lib/paff.ts";
import { ffmpegFrameMd5s } from "../lib/streams.ts";

const FRAMES = 8;

for (
  const [mode, startCode] of [["frame", "annexb"], ["slice", "annexb"], ["slice", "none"]] as const
) {
  for (const pixFmt of ["nv12", "yuv420p"] as const) {
    Deno.test(`bit-exact PAFF field pairs ${mode}/${startCode} ${pixFmt}`, async () => {
      const data = paffStream(FRAMES);
      const frames = streamToFrames(data, { mode, startCode });
      assert.equal(frames.length, FRAMES, "field pairs are paired into frames");
      assert.ok(frames.every((f) => f.jobs.length >= 2 && f.jobs[0].hold), "first fields held");
      const file = await Deno.makeTempFile({ suffix: ".h264" });
      try {
        await Deno.writeFile(file, data);
        const expected = await ffmpegFrameMd5s(file, pixFmt);
        assert.equal(expected.length, FRAMES);
        const r = decodeFile(libav(), data, { mode, startCode, pixFmt, md5: true });
        assert.deepEqual(r.failed, []);
        assert.deepEqual(r.md5s, expected);
      } finally {
        await Deno.remove(file);
        await Deno.remove(`${file}.${pixFmt}.framemd5`).catch(() => {});
      }
    });
  }
}
