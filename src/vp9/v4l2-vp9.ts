/**
 * The V4L2 stateless VP9 controls (linux/v4l2-controls.h): the fields of
 * struct v4l2_ctrl_vp9_frame the daemon reads, and a writer for the tests and the self-test.
 * tests/unit/v4l2-vp-layout.test.ts checks every offset against the installed uAPI header.
 */
import { V4L2_CID_CODEC_STATELESS_BASE } from "../decoder/job.ts";

/** V4L2_CID_STATELESS_VP9_FRAME: the control's id. */
export const V4L2_CID_STATELESS_VP9_FRAME: number = V4L2_CID_CODEC_STATELESS_BASE + 300;
/** V4L2_CID_STATELESS_VP9_COMPRESSED_HDR: the control's id. */
export const V4L2_CID_STATELESS_VP9_COMPRESSED_HDR: number = V4L2_CID_CODEC_STATELESS_BASE + 301;

/** V4L2_VP9_FRAME_FLAG_KEY_FRAME. */
export const VP9_FRAME_FLAG_KEY_FRAME = 0x001;
/** V4L2_VP9_FRAME_FLAG_SHOW_FRAME. */
export const VP9_FRAME_FLAG_SHOW_FRAME = 0x002;
/** V4L2_VP9_FRAME_FLAG_ERROR_RESILIENT. */
export const VP9_FRAME_FLAG_ERROR_RESILIENT = 0x004;
/** V4L2_VP9_FRAME_FLAG_INTRA_ONLY. */
export const VP9_FRAME_FLAG_INTRA_ONLY = 0x008;
/** V4L2_VP9_FRAME_FLAG_X_SUBSAMPLING. */
export const VP9_FRAME_FLAG_X_SUBSAMPLING = 0x080;
/** V4L2_VP9_FRAME_FLAG_Y_SUBSAMPLING. */
export const VP9_FRAME_FLAG_Y_SUBSAMPLING = 0x100;

/** Byte offsets of struct v4l2_ctrl_vp9_frame's fields used here, and the controls' sizes. */
export const LAYOUT = {
  frame: {
    size: 168,
    flags: 112,
    compressed_header_size: 116,
    uncompressed_header_size: 118,
    frame_width_minus_1: 120,
    frame_height_minus_1: 122,
    last_frame_ts: 128,
    golden_frame_ts: 136,
    alt_frame_ts: 144,
    profile: 155,
    bit_depth: 156,
  },
  compressedHdr: { size: 2040 },
} as const;

/** The reference timestamps' fields, in the order LAST, GOLDEN, ALTREF. */
const REF_TS = ["last_frame_ts", "golden_frame_ts", "alt_frame_ts"] as const;

/** The fields of struct v4l2_ctrl_vp9_frame the daemon uses. */
export interface Vp9Frame {
  /** V4L2_VP9_FRAME_FLAG_* bits. */
  flags: number;
  /** frame_width_minus_1 + 1. */
  width: number;
  /** frame_height_minus_1 + 1. */
  height: number;
  /** profile of struct v4l2_ctrl_vp9_frame. */
  profile: number;
  /** bit_depth of struct v4l2_ctrl_vp9_frame. */
  bitDepth: number;
  /** uncompressed_header_size: bytes of the frame's uncompressed header. */
  uncompressedHeaderSize: number;
  /** compressed_header_size: bytes of the frame's compressed header. */
  compressedHeaderSize: number;
  /** last_frame_ts, golden_frame_ts, alt_frame_ts: the references' timestamps (0 if absent). */
  refs?: readonly bigint[];
}

/** Reads the fields used here from a VP9_FRAME payload. */
export function readVp9Frame(p: Uint8Array): Vp9Frame {
  const L = LAYOUT.frame;
  if (p.byteLength < L.size) throw new RangeError(`VP9_FRAME is ${p.byteLength} bytes`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    flags: v.getUint32(L.flags, true),
    width: v.getUint16(L.frame_width_minus_1, true) + 1,
    height: v.getUint16(L.frame_height_minus_1, true) + 1,
    profile: v.getUint8(L.profile),
    bitDepth: v.getUint8(L.bit_depth),
    uncompressedHeaderSize: v.getUint16(L.uncompressed_header_size, true),
    compressedHeaderSize: v.getUint16(L.compressed_header_size, true),
    refs: REF_TS.map((at) => v.getBigUint64(L[at], true)),
  };
}

/** A VP9_FRAME payload with these fields and every other field zero. */
export function writeVp9Frame(f: Vp9Frame): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.frame;
  const p = new Uint8Array(L.size);
  const v = new DataView(p.buffer);
  v.setUint32(L.flags, f.flags, true);
  v.setUint16(L.frame_width_minus_1, f.width - 1, true);
  v.setUint16(L.frame_height_minus_1, f.height - 1, true);
  v.setUint8(L.profile, f.profile);
  v.setUint8(L.bit_depth, f.bitDepth);
  v.setUint16(L.uncompressed_header_size, f.uncompressedHeaderSize, true);
  v.setUint16(L.compressed_header_size, f.compressedHeaderSize, true);
  f.refs?.forEach((ts, i) => v.setBigUint64(L[REF_TS[i]], ts, true));
  return p;
}
