/**
 * VP8 from an IVF file as a V4L2 client queues it: one request per frame (hidden alternate
 * references included), its frame tag and key-frame header parsed into the VP8_FRAME control.
 */
import { type ClientFrame, codedSize } from "../decoder/file-client.ts";
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

/** The frames of a VP8 IVF file, in decode order. */
export function vp8FileFrames(packets: IvfFrame[]): ClientFrame[] {
  let width = 0;
  let height = 0;
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
    });
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
