/**
 * VP8 from an IVF file as a V4L2 client queues it: one request per frame (hidden alternate
 * references included), its frame tag and key-frame header parsed into the VP8_FRAME control.
 */
import { type ClientFrame, codedSize, frameTimestamp } from "../decoder/file-client.ts";
import type { IvfFrame } from "../decoder/ivf.ts";
import {
  V4L2_CID_STATELESS_VP8_FRAME,
  VP8_FRAME_FLAG_KEY_FRAME,
  VP8_FRAME_FLAG_SHOW_FRAME,
  writeVp8Frame,
} from "./v4l2-vp8.ts";

/** The frame tag (RFC 6386 9.1) and, for a key frame, its size. */
export function parseVp8Tag(
  data: Uint8Array,
): {
  keyFrame: boolean;
  version: number;
  show: boolean;
  firstPartSize: number;
  width?: number;
  height?: number;
} {
  if (data.length < 3) throw new RangeError("VP8 frame shorter than its tag");
  const tag = data[0] | (data[1] << 8) | (data[2] << 16);
  const keyFrame = (tag & 1) === 0;
  const out = {
    keyFrame,
    version: (tag >> 1) & 7,
    show: ((tag >> 4) & 1) === 1,
    firstPartSize: tag >>> 5,
  };
  if (!keyFrame) return out;
  if (data.length < 10 || data[3] !== 0x9d || data[4] !== 0x01 || data[5] !== 0x2a) {
    throw new RangeError("VP8 key frame without its start code");
  }
  return {
    ...out,
    width: (data[6] | (data[7] << 8)) & 0x3fff,
    height: (data[8] | (data[9] << 8)) & 0x3fff,
  };
}

/** The boolean entropy decoder of RFC 6386 section 7 (what the header needs of it). */
class BoolDecoder {
  #value: number;
  #range = 255;
  #bits = 0;
  #pos = 2;

  constructor(private readonly data: Uint8Array) {
    if (data.length < 2) throw new RangeError("VP8 first partition too short");
    this.#value = (data[0] << 8) | data[1];
  }

  bool(prob: number): number {
    const split = 1 + (((this.#range - 1) * prob) >> 8);
    const bigSplit = split << 8;
    let bit = 0;
    if (this.#value >= bigSplit) {
      bit = 1;
      this.#range -= split;
      this.#value -= bigSplit;
    } else {
      this.#range = split;
    }
    while (this.#range < 128) {
      this.#value = (this.#value << 1) & 0xffff;
      this.#range <<= 1;
      if (++this.#bits === 8) {
        this.#bits = 0;
        this.#value |= this.data[this.#pos++] ?? 0;
      }
    }
    return bit;
  }

  /** L(n): an n-bit unsigned literal, most significant bit first. */
  literal(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bool(128);
    return v;
  }

  /** A flag, and when set an n-bit value and its sign (skipped). */
  skipOptional(n: number, signed = true): void {
    if (this.literal(1)) this.literal(n + (signed ? 1 : 0));
  }
}

/** What a VP8 frame header (RFC 6386 section 9) says of its reference buffers' updates. */
export interface Vp8Refresh {
  /** refresh_golden_frame: the golden buffer gets this frame. */
  golden: boolean;
  /** refresh_alternate_frame: the alt ref buffer gets this frame. */
  alt: boolean;
  /** refresh_last: the last frame buffer gets this frame. */
  last: boolean;
  /** copy_buffer_to_golden: 0 none, 1 last frame, 2 alt ref frame. */
  copyToGolden: number;
  /** copy_buffer_to_alternate: 0 none, 1 last frame, 2 golden frame. */
  copyToAlt: number;
}

/** Reads an inter frame's header up to refresh_last (RFC 6386 sections 9.3 to 9.8, 19.2). */
export function parseVp8Refresh(data: Uint8Array): Vp8Refresh {
  const d = new BoolDecoder(data.subarray(3)); // after the inter frame's 3-byte tag
  if (d.literal(1)) { // segmentation_enabled
    const updateMap = d.literal(1);
    if (d.literal(1)) { // update_segment_feature_data
      d.literal(1); // segment_feature_mode
      for (let i = 0; i < 4; i++) d.skipOptional(7);
      for (let i = 0; i < 4; i++) d.skipOptional(6);
    }
    if (updateMap) { for (let i = 0; i < 3; i++) d.skipOptional(8, false); }
  }
  d.literal(1 + 6 + 3); // filter_type, loop_filter_level, sharpness_level
  if (d.literal(1) && d.literal(1)) { // loop_filter_adj_enable, mode_ref_lf_delta_update
    for (let i = 0; i < 8; i++) d.skipOptional(6);
  }
  d.literal(2); // log2_nbr_of_dct_partitions
  d.literal(7); // y_ac_qi
  for (let i = 0; i < 5; i++) d.skipOptional(4);
  const golden = d.literal(1) === 1;
  const alt = d.literal(1) === 1;
  const copyToGolden = golden ? 0 : d.literal(2);
  const copyToAlt = alt ? 0 : d.literal(2);
  d.literal(2); // sign_bias_golden, sign_bias_alternate
  d.literal(1); // refresh_entropy_probs
  return { golden, alt, last: d.literal(1) === 1, copyToGolden, copyToAlt };
}

/** The frames of a VP8 IVF file, in decode order. */
export function vp8FileFrames(packets: IvfFrame[]): ClientFrame[] {
  let width = 0;
  let height = 0;
  // The frames (indexes) the LAST, GOLDEN and ALTREF buffers hold, as libvpx updates them.
  let [last, golden, alt] = [-1, -1, -1];
  return packets.map((p, index) => {
    const t = parseVp8Tag(p.data);
    if (t.width !== undefined && t.height !== undefined) {
      width = t.width;
      height = t.height;
    }
    if (!width) throw new RangeError("VP8 stream does not start with a key frame");
    const ctrl = writeVp8Frame({
      flags: (t.keyFrame ? VP8_FRAME_FLAG_KEY_FRAME : 0) | (t.show ? VP8_FRAME_FLAG_SHOW_FRAME : 0),
      width,
      height,
      version: t.version,
      firstPartSize: t.firstPartSize,
      refs: t.keyFrame ? [] : [last, golden, alt].map(frameTimestamp),
    });
    if (t.keyFrame) {
      [last, golden, alt] = [index, index, index];
    } else {
      const r = parseVp8Refresh(p.data);
      // the copies from the buffers as they were (libavcodec's vp8), then this frame's refreshes
      const was = { last, golden, alt };
      if (r.copyToAlt) alt = r.copyToAlt === 1 ? was.last : was.golden;
      if (r.copyToGolden) golden = r.copyToGolden === 1 ? was.last : was.alt;
      if (r.golden) golden = index;
      if (r.alt) alt = index;
      if (r.last) last = index;
    }
    return {
      jobs: [{
        ctrls: new Map([[V4L2_CID_STATELESS_VP8_FRAME, ctrl]]),
        bitstream: p.data,
        hold: false,
      }],
      ...codedSize(width, height, 16), // macroblocks
      bitDepth: 8,
      period: 0,
      poc: index,
      hidden: !t.show,
    };
  });
}
