/**
 * The V4L2 stateless VP8 control (linux/v4l2-controls.h): the fields of
 * struct v4l2_ctrl_vp8_frame the daemon reads, and a writer for the tests and the self-test.
 * tests/unit/v4l2-vp-layout.test.ts checks every offset against the installed uAPI header.
 */
import { V4L2_CID_CODEC_STATELESS_BASE } from "../decoder/job.ts";

/** V4L2_CID_STATELESS_VP8_FRAME: the control's id. */
export const V4L2_CID_STATELESS_VP8_FRAME: number = V4L2_CID_CODEC_STATELESS_BASE + 200;

/** V4L2_VP8_FRAME_FLAG_KEY_FRAME. */
export const VP8_FRAME_FLAG_KEY_FRAME = 0x01;
/** V4L2_VP8_FRAME_FLAG_SHOW_FRAME. */
export const VP8_FRAME_FLAG_SHOW_FRAME = 0x04;

/** Byte offsets of struct v4l2_ctrl_vp8_frame's fields used here, and its size. */
export const LAYOUT = {
  frame: {
    size: 1232,
    width: 1148,
    height: 1150,
    version: 1154,
    num_dct_parts: 1159,
    first_part_size: 1160,
    last_frame_ts: 1200,
    golden_frame_ts: 1208,
    alt_frame_ts: 1216,
    flags: 1224,
  },
} as const;

/** The reference timestamps' fields, in the order LAST, GOLDEN, ALTREF. */
const REF_TS = ["last_frame_ts", "golden_frame_ts", "alt_frame_ts"] as const;

/** The fields of struct v4l2_ctrl_vp8_frame the daemon uses. */
export interface Vp8Frame {
  /** V4L2_VP8_FRAME_FLAG_* (the field is 64-bit; every flag fits the low word). */
  flags: number;
  /** width of struct v4l2_ctrl_vp8_frame. */
  width: number;
  /** height of struct v4l2_ctrl_vp8_frame. */
  height: number;
  /** version of struct v4l2_ctrl_vp8_frame (the frame header's). */
  version: number;
  /** first_part_size of struct v4l2_ctrl_vp8_frame. */
  firstPartSize: number;
  /** last_frame_ts, golden_frame_ts, alt_frame_ts: the references' timestamps (0 if absent). */
  refs?: readonly bigint[];
}

/** Reads the fields used here from a VP8_FRAME payload. */
export function readVp8Frame(p: Uint8Array): Vp8Frame {
  const L = LAYOUT.frame;
  if (p.byteLength < L.size) throw new RangeError(`VP8_FRAME is ${p.byteLength} bytes`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    flags: Number(v.getBigUint64(L.flags, true) & 0xffffffffn),
    width: v.getUint16(L.width, true),
    height: v.getUint16(L.height, true),
    version: v.getUint8(L.version),
    firstPartSize: v.getUint32(L.first_part_size, true),
    refs: REF_TS.map((at) => v.getBigUint64(L[at], true)),
  };
}

/** A VP8_FRAME payload with these fields, one DCT partition, every other field zero. */
export function writeVp8Frame(f: Vp8Frame): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.frame;
  const p = new Uint8Array(L.size);
  const v = new DataView(p.buffer);
  v.setBigUint64(L.flags, BigInt(f.flags), true);
  v.setUint16(L.width, f.width, true);
  v.setUint16(L.height, f.height, true);
  v.setUint8(L.version, f.version);
  v.setUint32(L.first_part_size, f.firstPartSize, true);
  v.setUint8(L.num_dct_parts, 1); // the core refuses 0
  f.refs?.forEach((ts, i) => v.setBigUint64(L[REF_TS[i]], ts, true));
  return p;
}
