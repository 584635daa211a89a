// The V4L2 VP8 and VP9 control layouts the daemon reads, checked against linux/v4l2-controls.h.
import assert from "node:assert/strict";
import * as VP8 from "../../src/vp8/v4l2-vp8.ts";
import * as VP9 from "../../src/vp9/v4l2-vp9.ts";
import { offsetsProgram, runC } from "../lib/cc.ts";

const CASES: [string, Record<string, Record<string, number>>, Record<string, string>, [
  string,
  number,
][]][] = [
  ["VP8", VP8.LAYOUT, { frame: "struct v4l2_ctrl_vp8_frame" }, [
    ["V4L2_CID_STATELESS_VP8_FRAME", VP8.V4L2_CID_STATELESS_VP8_FRAME],
    ["V4L2_VP8_FRAME_FLAG_KEY_FRAME", VP8.VP8_FRAME_FLAG_KEY_FRAME],
    ["V4L2_VP8_FRAME_FLAG_SHOW_FRAME", VP8.VP8_FRAME_FLAG_SHOW_FRAME],
  ]],
  ["VP9", VP9.LAYOUT, {
    frame: "struct v4l2_ctrl_vp9_frame",
    compressedHdr: "struct v4l2_ctrl_vp9_compressed_hdr",
  }, [
    ["V4L2_CID_STATELESS_VP9_FRAME", VP9.V4L2_CID_STATELESS_VP9_FRAME],
    ["V4L2_CID_STATELESS_VP9_COMPRESSED_HDR", VP9.V4L2_CID_STATELESS_VP9_COMPRESSED_HDR],
    ["V4L2_VP9_FRAME_FLAG_KEY_FRAME", VP9.VP9_FRAME_FLAG_KEY_FRAME],
    ["V4L2_VP9_FRAME_FLAG_SHOW_FRAME", VP9.VP9_FRAME_FLAG_SHOW_FRAME],
    ["V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT", VP9.VP9_FRAME_FLAG_ERROR_RESILIENT],
    ["V4L2_VP9_FRAME_FLAG_INTRA_ONLY", VP9.VP9_FRAME_FLAG_INTRA_ONLY],
    ["V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING", VP9.VP9_FRAME_FLAG_X_SUBSAMPLING],
    ["V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING", VP9.VP9_FRAME_FLAG_Y_SUBSAMPLING],
  ]],
];

for (const [codec, layout, structs, constants] of CASES) {
  Deno.test(`V4L2 ${codec} control layouts match linux/v4l2-controls.h`, async () => {
    const entries: [string, string][] = [];
    const expected: Record<string, number> = {};
    for (const [group, fields] of Object.entries(layout)) {
      for (const [field, value] of Object.entries(fields)) {
        const key = `${group}.${field}`;
        expected[key] = value;
        entries.push([
          key,
          field === "size" ? `sizeof(${structs[group]})` : `offsetof(${structs[group]}, ${field})`,
        ]);
      }
    }
    for (const [name, value] of constants) {
      entries.push([name, name]);
      expected[name] = value;
    }
    const c = await runC<Record<string, number>>(
      offsetsProgram(["linux/videodev2.h", "linux/v4l2-controls.h"], entries),
    );
    assert.deepEqual(expected, c);
  });
}
