/**
 * VP8's start-up self-test: a 16x16 key frame of one known value through a decoder. The frame is
 * libvpx's coding of a flat picture (every sample 90) at its finest quantizer, which a flat
 * picture survives exactly, made with
 *   vpxenc --codec=vp8 --min-q=0 --max-q=0 -w 16 -h 16 --limit=1 --ivf
 * and taken out of its IVF file.
 */
import type { KnownStream } from "../codecs.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import { V4L2_PIX_FMT_NV12 } from "../decoder/job.ts";
import { checkKnownPicture } from "../decoder/known-picture.ts";
import {
  V4L2_CID_STATELESS_VP8_FRAME,
  VP8_FRAME_FLAG_KEY_FRAME,
  VP8_FRAME_FLAG_SHOW_FRAME,
  writeVp8Frame,
} from "./v4l2-vp8.ts";

const KEY_FRAME = new Uint8Array([
  0xf0,
  0x02,
  0x00,
  0x9d,
  0x01,
  0x2a,
  0x10,
  0x00,
  0x10,
  0x00,
  0x00,
  0x07,
  0x08,
  0x85,
  0x85,
  0x88,
  0x85,
  0x84,
  0x88,
  0x00,
  0x28,
  0x10,
  0x13,
  0xad,
  0x50,
  0x1f,
  0xc0,
  0x1f,
  0xd0,
  0x10,
  0x6a,
  0x68,
  0xc0,
  0xfe,
  0xfc,
  0x29,
  0xd1,
  0xff,
  0xe5,
  0x87,
  0xe3,
  0xfa,
  0x93,
  0xcf,
  0xfe,
  0x58,
  0x87,
  0xff,
  0xcb,
  0x0f,
  0xc7,
  0xf5,
  0x27,
  0x9f,
  0xfc,
  0xac,
  0x40,
]);

/** Decodes the picture with `decoder`; throws unless every byte comes back right. */
export function vp8SelfTest(decoder: ContextDecoder): void {
  const frame = writeVp8Frame({
    flags: VP8_FRAME_FLAG_KEY_FRAME | VP8_FRAME_FLAG_SHOW_FRAME,
    width: 16,
    height: 16,
    version: 0,
    firstPartSize: 0,
  });
  checkKnownPicture(decoder, {
    codec: "vp8",
    ctrls: new Map([[V4L2_CID_STATELESS_VP8_FRAME, frame]]),
    bitstream: KEY_FRAME,
    width: 16,
    height: 16,
    pixelformat: V4L2_PIX_FMT_NV12,
    sample: [90],
  });
}

/** The same key frame as a stream: one buffer. */
export function vp8KnownStreams(): KnownStream[] {
  return [{ buffers: [KEY_FRAME], width: 16, height: 16, bitDepth: 8, sample: [90] }];
}
