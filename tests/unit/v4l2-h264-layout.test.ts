// The V4L2 H.264 control layouts the daemon reads, checked against linux/v4l2-controls.h.
import assert from "node:assert/strict";
import {
  LAYOUT,
  V4L2_CID_STATELESS_H264_DECODE_MODE,
  V4L2_CID_STATELESS_H264_DECODE_PARAMS,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
  V4L2_CID_STATELESS_H264_SCALING_MATRIX,
  V4L2_CID_STATELESS_H264_SLICE_PARAMS,
  V4L2_CID_STATELESS_H264_SPS,
  V4L2_CID_STATELESS_H264_START_CODE,
} from "../../src/h264/v4l2-h264.ts";
import { offsetsProgram, runC } from "../lib/cc.ts";

const STRUCTS: Record<string, string> = {
  sps: "struct v4l2_ctrl_h264_sps",
  pps: "struct v4l2_ctrl_h264_pps",
  scaling: "struct v4l2_ctrl_h264_scaling_matrix",
  predWeights: "struct v4l2_ctrl_h264_pred_weights",
  sliceParams: "struct v4l2_ctrl_h264_slice_params",
  dpbEntry: "struct v4l2_h264_dpb_entry",
  decodeParams: "struct v4l2_ctrl_h264_decode_params",
};

Deno.test("V4L2 H.264 control layouts match linux/v4l2-controls.h", async () => {
  const entries: [string, string][] = [];
  const expected: Record<string, number> = {};
  for (const [group, fields] of Object.entries(LAYOUT)) {
    for (const [field, value] of Object.entries(fields)) {
      const key = `${group}.${field}`;
      expected[key] = value;
      if (group === "predWeights" && field === "factorsSize") {
        entries.push([key, "sizeof(struct v4l2_h264_weight_factors)"]);
      } else if (
        group === "predWeights" &&
        ["luma_weight", "luma_offset", "chroma_weight", "chroma_offset"].includes(field)
      ) {
        entries.push([key, `offsetof(struct v4l2_h264_weight_factors, ${field})`]);
      } else if (field === "size") {
        entries.push([key, `sizeof(${STRUCTS[group]})`]);
      } else {
        entries.push([key, `offsetof(${STRUCTS[group]}, ${field})`]);
      }
    }
  }
  const ids: [string, number][] = [
    ["V4L2_CID_STATELESS_H264_DECODE_MODE", V4L2_CID_STATELESS_H264_DECODE_MODE],
    ["V4L2_CID_STATELESS_H264_START_CODE", V4L2_CID_STATELESS_H264_START_CODE],
    ["V4L2_CID_STATELESS_H264_SPS", V4L2_CID_STATELESS_H264_SPS],
    ["V4L2_CID_STATELESS_H264_PPS", V4L2_CID_STATELESS_H264_PPS],
    ["V4L2_CID_STATELESS_H264_SCALING_MATRIX", V4L2_CID_STATELESS_H264_SCALING_MATRIX],
    ["V4L2_CID_STATELESS_H264_PRED_WEIGHTS", V4L2_CID_STATELESS_H264_PRED_WEIGHTS],
    ["V4L2_CID_STATELESS_H264_SLICE_PARAMS", V4L2_CID_STATELESS_H264_SLICE_PARAMS],
    ["V4L2_CID_STATELESS_H264_DECODE_PARAMS", V4L2_CID_STATELESS_H264_DECODE_PARAMS],
  ];
  for (const [name, value] of ids) {
    entries.push([name, name]);
    expected[name] = value;
  }
  const c = await runC<Record<string, number>>(
    offsetsProgram(["linux/videodev2.h", "linux/v4l2-controls.h"], entries),
  );
  assert.deepEqual(expected, c);
});
