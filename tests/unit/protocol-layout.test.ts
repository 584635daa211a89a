// The daemon's view of the wire protocol, checked against kmod/uapi/daedalus_v4l2.h.
import assert from "node:assert/strict";
import * as P from "../../src/service/protocol.ts";
import { offsetsProgram, runC } from "../lib/cc.ts";

const STRUCTS: Record<string, string> = {
  hello: "struct daedalus_hello",
  fetch: "struct daedalus_fetch",
  hdr: "struct daedalus_msg_hdr",
  plane: "struct daedalus_plane",
  job: "struct daedalus_job",
  ctrl: "struct daedalus_ctrl",
  complete: "struct daedalus_complete",
  streamMsg: "struct daedalus_stream_msg",
  streamStart: "struct daedalus_stream_start",
  streamData: "struct daedalus_stream_data",
  streamCapture: "struct daedalus_stream_capture",
  streamDataDone: "struct daedalus_stream_data_done",
  streamPicture: "struct daedalus_stream_picture",
  streamFormat: "struct daedalus_stream_format",
  streamError: "struct daedalus_stream_error",
};

Deno.test("protocol struct layouts, ioctl numbers and constants match the uAPI header", async () => {
  const entries: [string, string][] = [];
  const expected: Record<string, number> = {};
  for (const [group, fields] of Object.entries(P.LAYOUT)) {
    for (const [field, value] of Object.entries(fields)) {
      const key = `${group}.${field}`;
      expected[key] = value;
      // "size_" is the member called size; "size" is sizeof the struct
      const expr = field === "size"
        ? `sizeof(${STRUCTS[group]})`
        : `offsetof(${STRUCTS[group]}, ${field === "size_" ? "size" : field})`;
      entries.push([key, expr]);
    }
  }
  const constants: [string, number | bigint][] = [
    ["DAEDALUS_ABI_MAJOR", P.DAEDALUS_ABI_MAJOR],
    ["DAEDALUS_ABI_MINOR", P.DAEDALUS_ABI_MINOR],
    ["DAEDALUS_MAX_MSG_SIZE", P.DAEDALUS_MAX_MSG_SIZE],
    ["DAEDALUS_MAX_PLANES", P.DAEDALUS_MAX_PLANES],
    ["DAEDALUS_JOB_HOLD_CAPTURE", P.DAEDALUS_JOB_HOLD_CAPTURE],
    ["DAEDALUS_MSG_CTX_OPEN", P.MSG_CTX_OPEN],
    ["DAEDALUS_MSG_CTX_CLOSE", P.MSG_CTX_CLOSE],
    ["DAEDALUS_MSG_DECODE", P.MSG_DECODE],
    ["DAEDALUS_CODEC_H264", P.CODEC.h264],
    ["DAEDALUS_CODEC_HEVC", P.CODEC.hevc],
    ["DAEDALUS_CODEC_VP8", P.CODEC.vp8],
    ["DAEDALUS_CODEC_VP9", P.CODEC.vp9],
    ["DAEDALUS_CODEC_MPEG2", P.CODEC.mpeg2],
    ["DAEDALUS_CODEC_AV1", P.CODEC.av1],
    ["DAEDALUS_CODEC_MPEG1", P.CODEC.mpeg1],
    ["DAEDALUS_CODEC_MPEG4", P.CODEC.mpeg4],
    ["DAEDALUS_CODEC_H263", P.CODEC.h263],
    ["DAEDALUS_CODEC_VC1", P.CODEC.vc1],
    ["DAEDALUS_CODEC_VC1L", P.CODEC.vc1l],
    ["DAEDALUS_MSG_STREAM_START", P.MSG_STREAM_START],
    ["DAEDALUS_MSG_STREAM_DATA", P.MSG_STREAM_DATA],
    ["DAEDALUS_MSG_STREAM_CAPTURE", P.MSG_STREAM_CAPTURE],
    ["DAEDALUS_MSG_STREAM_DRAIN", P.MSG_STREAM_DRAIN],
    ["DAEDALUS_MSG_STREAM_RESUME", P.MSG_STREAM_RESUME],
    ["DAEDALUS_MSG_STREAM_CAPTURE_RESET", P.MSG_STREAM_CAPTURE_RESET],
    ["DAEDALUS_MSG_STREAM_STOP", P.MSG_STREAM_STOP],
    ["DAEDALUS_PICTURE_LAST", P.PICTURE_FLAG.last],
    ["DAEDALUS_PICTURE_KEYFRAME", P.PICTURE_FLAG.keyframe],
    ["DAEDALUS_PICTURE_PFRAME", P.PICTURE_FLAG.pframe],
    ["DAEDALUS_PICTURE_BFRAME", P.PICTURE_FLAG.bframe],
    ["DAEDALUS_STREAM_REASON_SIZE", P.DAEDALUS_STREAM_REASON_SIZE],
    ["DAEDALUS_IOC_VERSION", P.DAEDALUS_IOC_VERSION],
    ["DAEDALUS_IOC_HELLO", P.DAEDALUS_IOC_HELLO],
    ["DAEDALUS_IOC_FETCH", P.DAEDALUS_IOC_FETCH],
    ["DAEDALUS_IOC_COMPLETE", P.DAEDALUS_IOC_COMPLETE],
    ["DAEDALUS_IOC_STREAM_DATA_DONE", P.DAEDALUS_IOC_STREAM_DATA_DONE],
    ["DAEDALUS_IOC_STREAM_PICTURE", P.DAEDALUS_IOC_STREAM_PICTURE],
    ["DAEDALUS_IOC_STREAM_FORMAT", P.DAEDALUS_IOC_STREAM_FORMAT],
    ["DAEDALUS_IOC_STREAM_ERROR", P.DAEDALUS_IOC_STREAM_ERROR],
  ];
  for (const [name, value] of constants) {
    entries.push([name, name]);
    expected[name] = Number(value);
  }
  const header = new URL("../../kmod/uapi", import.meta.url).pathname;
  const c = await runC<Record<string, number>>(
    offsetsProgram(["daedalus_v4l2.h"], entries),
    [`-I${header}`],
  );
  assert.deepEqual(expected, c);
});
