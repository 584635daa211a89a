/** H.264's start-up self-test: a synthetic 16x16 I_PCM IDR of a known value through a decoder. */
import type { KnownStream } from "../codecs.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import { V4L2_PIX_FMT_NV12 } from "../decoder/job.ts";
import { checkKnownPicture } from "../decoder/known-picture.ts";
import { concatBytes } from "../decoder/bytes.ts";
import { START_CODE } from "./annexb.ts";
import { buildPps, buildSps } from "./param-sets.ts";
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
  checkKnownPicture(decoder, {
    codec: "h264",
    ctrls: new Map([
      [V4L2_CID_STATELESS_H264_SPS, writeSps(sps)],
      [V4L2_CID_STATELESS_H264_PPS, writePps(pps)],
      [V4L2_CID_STATELESS_H264_DECODE_MODE, writeMenu(DECODE_MODE_FRAME_BASED)],
      [V4L2_CID_STATELESS_H264_START_CODE, writeMenu(START_CODE_ANNEX_B)],
    ]),
    bitstream: concatBytes([START_CODE, slice]),
    width: 16,
    height: 16,
    pixelformat: V4L2_PIX_FMT_NV12,
    sample: [SAMPLE],
  });
}

/** The same picture as a stream: SPS, PPS and the IDR in one Annex-B buffer. */
export function h264KnownStreams(): KnownStream[] {
  const SAMPLE = 0x5a;
  const { sps, pps, slice } = syntheticIdr(SAMPLE);
  const bytes = concatBytes([
    START_CODE,
    buildSps(sps),
    START_CODE,
    buildPps(pps, sps, undefined),
    START_CODE,
    slice,
  ]);
  return [{ buffers: [bytes], width: 16, height: 16, bitDepth: 8, sample: [SAMPLE] }];
}
