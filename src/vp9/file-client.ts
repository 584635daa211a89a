/**
 * VP9 from an IVF file as a V4L2 client queues it: superframes split into their frames (each
 * its own request, hidden ones included), each frame's uncompressed header parsed into the
 * VP9_FRAME control, show_existing_frame turned into a repeat of an earlier frame (no job), as
 * GStreamer's vp9parse + v4l2slvp9dec do. Reference slots are tracked for the sizes of inter
 * frames (which may take their size from a reference).
 */
import { BitReader } from "../decoder/bits.ts";
import { type ClientFrame, codedSize, frameTimestamp } from "../decoder/file-client.ts";
import type { IvfFrame } from "../decoder/ivf.ts";
import {
  LAYOUT,
  V4L2_CID_STATELESS_VP9_COMPRESSED_HDR,
  V4L2_CID_STATELESS_VP9_FRAME,
  VP9_FRAME_FLAG_ERROR_RESILIENT,
  VP9_FRAME_FLAG_INTRA_ONLY,
  VP9_FRAME_FLAG_KEY_FRAME,
  VP9_FRAME_FLAG_SHOW_FRAME,
  VP9_FRAME_FLAG_X_SUBSAMPLING,
  VP9_FRAME_FLAG_Y_SUBSAMPLING,
  writeVp9Frame,
} from "./v4l2-vp9.ts";

/** The frames of a superframe (or the one frame of a plain packet), per the index at its end. */
export function splitSuperframe(data: Uint8Array): Uint8Array[] {
  const last = data[data.length - 1];
  if ((last & 0xe0) === 0xc0) {
    const frames = (last & 7) + 1;
    const mag = ((last >> 3) & 3) + 1;
    const indexSize = 2 + mag * frames;
    if (data.length >= indexSize && data[data.length - indexSize] === last) {
      const out: Uint8Array[] = [];
      let off = 0;
      let p = data.length - indexSize + 1;
      for (let i = 0; i < frames; i++) {
        let size = 0;
        for (let b = 0; b < mag; b++) size |= data[p++] << (8 * b);
        if (off + size > data.length - indexSize) throw new RangeError("superframe index too big");
        out.push(data.subarray(off, off + size));
        off += size;
      }
      return out;
    }
  }
  return [data];
}

/** What a frame's uncompressed header says (spec 6.2), as far as a client needs it. */
export interface Vp9Header {
  /** profile (0 to 3). */
  profile: number;
  /** show_existing_frame: the slot of the frame shown again (the header says nothing else). */
  showExisting?: number;
  /** frame_type is KEY_FRAME. */
  keyFrame: boolean;
  /** intra_only. */
  intraOnly: boolean;
  /** show_frame. */
  showFrame: boolean;
  /** error_resilient_mode. */
  errorResilient: boolean;
  /** 8, 10 or 12 (an inter frame: its LAST reference's, when known). */
  bitDepth: number;
  /** subsampling_x, subsampling_y. */
  subsampling: [number, number];
  /** refresh_frame_flags: the slots this frame goes to (all 8 for a key frame). */
  refreshFrameFlags: number;
  /** ref_frame_idx[]: the slots of LAST, GOLDEN and ALTREF (an inter frame's). */
  refs: number[];
  /** The frame's width (its own, or that of the reference it takes its size from). */
  width: number;
  /** The frame's height, likewise. */
  height: number;
}

const SYNC_CODE = 0x498342;
const CS_RGB = 7;

/** Parses a frame's uncompressed header; `refSizes` gives the reference slots' sizes. */
export function parseVp9Header(
  frame: Uint8Array,
  refSizes: readonly ({ width: number; height: number; bitDepth: number } | undefined)[],
): Vp9Header {
  const r = new BitReader(frame);
  if (r.u(2) !== 2) throw new RangeError("not a VP9 frame (frame marker)");
  const low = r.u(1);
  const profile = (r.u(1) << 1) | low;
  if (profile === 3) r.u(1);
  const h: Vp9Header = {
    profile,
    keyFrame: false,
    intraOnly: false,
    showFrame: true,
    errorResilient: false,
    bitDepth: 8,
    subsampling: [1, 1],
    refreshFrameFlags: 0,
    refs: [],
    width: 0,
    height: 0,
  };
  if (r.flag()) {
    h.showExisting = r.u(3);
    return h;
  }
  h.keyFrame = r.u(1) === 0;
  h.showFrame = r.flag();
  h.errorResilient = r.flag();
  const colorConfig = () => {
    if (profile >= 2) h.bitDepth = r.flag() ? 12 : 10;
    if (r.u(3) !== CS_RGB) {
      r.u(1); // color_range
      if (profile === 1 || profile === 3) {
        h.subsampling = [r.u(1), r.u(1)];
        r.u(1);
      }
    } else {
      h.subsampling = [0, 0];
      if (profile === 1 || profile === 3) r.u(1);
    }
  };
  const frameSize = () => {
    h.width = r.u(16) + 1;
    h.height = r.u(16) + 1;
  };
  if (h.keyFrame) {
    if (r.u(24) !== SYNC_CODE) throw new RangeError("VP9 key frame without its sync code");
    colorConfig();
    frameSize();
    h.refreshFrameFlags = 0xff;
    return h;
  }
  h.intraOnly = h.showFrame ? false : r.flag();
  if (!h.errorResilient) r.u(2); // reset_frame_context
  if (h.intraOnly) {
    if (r.u(24) !== SYNC_CODE) throw new RangeError("VP9 intra-only frame without its sync code");
    if (profile > 0) colorConfig();
    h.refreshFrameFlags = r.u(8);
    frameSize();
    return h;
  }
  h.refreshFrameFlags = r.u(8);
  const refs = h.refs;
  for (let i = 0; i < 3; i++) {
    refs.push(r.u(3));
    r.u(1); // sign bias
  }
  const ref0 = refSizes[refs[0]];
  if (ref0) h.bitDepth = ref0.bitDepth;
  for (const idx of refs) {
    if (r.flag()) {
      const ref = refSizes[idx];
      if (!ref) throw new RangeError(`VP9 frame takes its size from empty slot ${idx}`);
      h.width = ref.width;
      h.height = ref.height;
      return h;
    }
  }
  frameSize();
  return h;
}

/** The frames of a VP9 IVF file, in decode order. */
export function vp9FileFrames(packets: IvfFrame[]): ClientFrame[] {
  const out: ClientFrame[] = [];
  const slots: ({ width: number; height: number; bitDepth: number; index: number } | undefined)[] =
    new Array(8).fill(undefined);
  const compressedHdr = new Uint8Array(LAYOUT.compressedHdr.size);
  for (const packet of packets) {
    for (const data of splitSuperframe(packet.data)) {
      const h = parseVp9Header(data, slots);
      // 8x8 mode-info units: libavcodec's own coded size
      const base = {
        ...codedSize(h.width, h.height, 8),
        bitDepth: h.bitDepth,
        period: 0,
        poc: out.length,
      };
      if (h.showExisting !== undefined) {
        const shown = slots[h.showExisting];
        if (!shown) throw new RangeError(`show_existing_frame of empty slot ${h.showExisting}`);
        out.push({
          ...base,
          ...codedSize(shown.width, shown.height, 8),
          bitDepth: shown.bitDepth,
          jobs: [],
          hidden: false,
          repeatOf: shown.index,
        });
        continue;
      }
      const flags = (h.keyFrame ? VP9_FRAME_FLAG_KEY_FRAME : 0) |
        (h.showFrame ? VP9_FRAME_FLAG_SHOW_FRAME : 0) |
        (h.errorResilient ? VP9_FRAME_FLAG_ERROR_RESILIENT : 0) |
        (h.intraOnly ? VP9_FRAME_FLAG_INTRA_ONLY : 0) |
        (h.subsampling[0] ? VP9_FRAME_FLAG_X_SUBSAMPLING : 0) |
        (h.subsampling[1] ? VP9_FRAME_FLAG_Y_SUBSAMPLING : 0);
      const ctrl = writeVp9Frame({
        flags,
        width: h.width,
        height: h.height,
        profile: h.profile,
        bitDepth: h.bitDepth,
        uncompressedHeaderSize: 0,
        compressedHeaderSize: 0,
        refs: h.refs.map((slot) => frameTimestamp(slots[slot]?.index ?? -1)),
      });
      const index = out.length;
      out.push({
        ...base,
        jobs: [{
          ctrls: new Map([
            [V4L2_CID_STATELESS_VP9_FRAME, ctrl],
            [V4L2_CID_STATELESS_VP9_COMPRESSED_HDR, compressedHdr],
          ]),
          bitstream: data,
          hold: false,
        }],
        hidden: !h.showFrame,
      });
      for (let i = 0; i < 8; i++) {
        if (h.refreshFrameFlags & (1 << i)) {
          slots[i] = { width: h.width, height: h.height, bitDepth: h.bitDepth, index };
        }
      }
    }
  }
  return out;
}
