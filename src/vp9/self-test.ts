/**
 * VP9's start-up self-test: 16x16 key frames of one known value, 8-bit (profile 0, to NV12) and
 * 10-bit (profile 2, to P010), through a decoder. The frames are libvpx's lossless coding of a
 * flat picture, made with
 *   vpxenc --codec=vp9 --lossless=1 -w 16 -h 16 --limit=1 --ivf (input: every sample 90)
 *   vpxenc --codec=vp9 --profile=2 --bit-depth=10 --input-bit-depth=10 --lossless=1 ... (602)
 * and taken out of their IVF files; lossless, so every decoded sample is the input's.
 */
import type { KnownStream } from "../codecs.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import { V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_P010 } from "../decoder/job.ts";
import { checkKnownPicture } from "../decoder/known-picture.ts";
import {
  V4L2_CID_STATELESS_VP9_FRAME,
  VP9_FRAME_FLAG_KEY_FRAME,
  VP9_FRAME_FLAG_SHOW_FRAME,
  VP9_FRAME_FLAG_X_SUBSAMPLING,
  VP9_FRAME_FLAG_Y_SUBSAMPLING,
  writeVp9Frame,
} from "./v4l2-vp9.ts";

const KEY_FRAME_8BIT = new Uint8Array([
  0x82,
  0x49,
  0x83,
  0x42,
  0x00,
  0x00,
  0xf0,
  0x00,
  0xf6,
  0x00,
  0x38,
  0x24,
  0x1c,
  0x18,
  0x00,
  0x00,
  0x00,
  0x20,
  0x00,
  0x00,
  0x10,
  0xbf,
  0xff,
  0xff,
  0xb3,
  0xf2,
  0x00,
  0x63,
  0xff,
  0xff,
  0xff,
  0xd9,
  0xf9,
  0x0e,
  0x1f,
  0xff,
  0xff,
  0xfb,
  0x3f,
  0x20,
  0x00,
]);

const KEY_FRAME_10BIT = new Uint8Array([
  0x92,
  0x49,
  0x83,
  0x42,
  0x00,
  0x00,
  0x78,
  0x00,
  0x7b,
  0x00,
  0x1c,
  0x12,
  0x0e,
  0x0c,
  0x00,
  0x00,
  0x00,
  0x10,
  0x00,
  0x00,
  0x10,
  0xbf,
  0xff,
  0xff,
  0xe6,
  0x29,
  0x80,
  0x0c,
  0x7f,
  0xff,
  0xff,
  0xfe,
  0x62,
  0x98,
  0x38,
  0x7f,
  0xff,
  0xff,
  0xf9,
  0x8a,
  0x60,
  0x00,
  0x00,
]);

const FLAGS = VP9_FRAME_FLAG_KEY_FRAME | VP9_FRAME_FLAG_SHOW_FRAME |
  VP9_FRAME_FLAG_X_SUBSAMPLING | VP9_FRAME_FLAG_Y_SUBSAMPLING;

/** Decodes both pictures with `decoder`; throws unless every byte comes back right. */
export function vp9SelfTest(decoder: ContextDecoder): void {
  for (
    const { bitstream, profile, bitDepth, pixelformat, sample } of [
      {
        bitstream: KEY_FRAME_8BIT,
        profile: 0,
        bitDepth: 8,
        pixelformat: V4L2_PIX_FMT_NV12,
        sample: [90],
      },
      {
        bitstream: KEY_FRAME_10BIT,
        profile: 2,
        bitDepth: 10,
        pixelformat: V4L2_PIX_FMT_P010,
        sample: [(602 << 6) & 0xff, (602 << 6) >> 8],
      },
    ]
  ) {
    const frame = writeVp9Frame({
      flags: FLAGS,
      width: 16,
      height: 16,
      profile,
      bitDepth,
      uncompressedHeaderSize: 0,
      compressedHeaderSize: 0,
    });
    checkKnownPicture(decoder, {
      codec: "vp9",
      ctrls: new Map([[V4L2_CID_STATELESS_VP9_FRAME, frame]]),
      bitstream,
      width: 16,
      height: 16,
      pixelformat,
      sample,
    });
  }
}

/** The same two key frames as streams of one buffer each (8-bit to NV12, 10-bit to P010). */
export function vp9KnownStreams(): KnownStream[] {
  return [
    { buffers: [KEY_FRAME_8BIT], width: 16, height: 16, bitDepth: 8, sample: [90] },
    {
      buffers: [KEY_FRAME_10BIT],
      width: 16,
      height: 16,
      bitDepth: 10,
      sample: [(602 << 6) & 0xff, (602 << 6) >> 8],
    },
  ];
}
