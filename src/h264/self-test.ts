/** H.264's start-up self-test: a synthetic 16x16 I_PCM IDR of a known value through a decoder. */
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import { V4L2_PIX_FMT_NV12 } from "../decoder/job.ts";
import { concatBytes, START_CODE } from "./annexb.ts";
import { syntheticIdr } from "./synthetic.ts";
import {
  DECODE_MODE_FRAME_BASED,
  START_CODE_ANNEX_B,
  V4L2_CID_STATELESS_H264_DECODE_MODE,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_SPS,
  V4L2_CID_STATELESS_H264_START_CODE,
  writeMenu,
  writePps,
  writeSps,
} from "./v4l2-h264.ts";

/** Decodes the picture with `decoder`; throws unless every byte comes back right. */
export function h264SelfTest(decoder: ContextDecoder): void {
  const SAMPLE = 0x5a;
  const { sps, pps, slice } = syntheticIdr(SAMPLE);
  const bitstream = concatBytes([START_CODE, slice]);
  const size = 16 * 16 * 3 / 2;
  const capture = new Uint8Array(size);
  const r = decoder.decode({
    codec: "h264",
    ctrls: new Map([
      [V4L2_CID_STATELESS_H264_SPS, writeSps(sps)],
      [V4L2_CID_STATELESS_H264_PPS, writePps(pps)],
      [V4L2_CID_STATELESS_H264_DECODE_MODE, writeMenu(DECODE_MODE_FRAME_BASED)],
      [V4L2_CID_STATELESS_H264_START_CODE, writeMenu(START_CODE_ANNEX_B)],
    ]),
    bitstream,
    hold: false,
    captureIndex: 0,
    timestamp: 0n,
    format: {
      width: 16,
      height: 16,
      pixelformat: V4L2_PIX_FMT_NV12,
      planes: [{ bytesperline: 16, length: size }],
    },
  }, { planes: [{ ptr: Deno.UnsafePointer.of(capture)!, length: size }] });
  if (r.status !== 0) throw new Error(`self-test decode failed: ${r.message}`);
  const wrong = capture.findIndex((b) => b !== SAMPLE);
  if (wrong >= 0) throw new Error(`self-test picture wrong at byte ${wrong}: ${capture[wrong]}`);
}
