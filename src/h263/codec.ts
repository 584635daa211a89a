/**
 * H.263's entry in the daemon's codec table (src/codecs.ts): stream only (the stateful device),
 * 8-bit 4:2:0 to NV12/I420; baseline and H.263+ (custom sizes) through libavcodec's h263 decoder.
 */
import type { Codec, KnownStream } from "../codecs.ts";
import { hexBytes } from "../decoder/bytes.ts";
import { MPEG_PICTURES } from "../mpeg2/codec.ts";

/**
 * True when `data` begins with H.263's picture start code: 22 bits 0000 0000 0000 0000 1000 00
 * (ITU-T H.263 5.1.1), after any zero bytes.
 */
function isH263(data: Uint8Array): boolean {
  let i = 0;
  while (i < data.length && data[i] === 0) i++;
  return i >= 2 && (data[i] & 0xfc) === 0x80;
}

/**
 * Its self-test's stream: a sub-QCIF (128x96, the smallest standard size) intra picture of one
 * value (90), its blocks DC alone; made by FFmpeg 5.1's encoder:
 *   ffmpeg -f rawvideo -pix_fmt yuv420p -s 128x96 -i flat90.yuv -c:v h263 -q:v 1 -f h263 k.h263
 */
function h263KnownStreams(): KnownStream[] {
  const bytes = hexBytes(
    "00008002040226b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b53" +
      "5a5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d" +
      "69696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535" +
      "a5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d6" +
      "9696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535a" +
      "5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d69" +
      "696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535a5" +
      "a5a5a5a5a9ad2d2d2d2d2d4d69696969696a6b4b4b4b4b4b535a5a5a5a5a5a9ad2d2d2d2d2d4d696" +
      "9696969680",
  );
  return [{ buffers: [bytes], width: 128, height: 96, bitDepth: 8, sample: [90] }];
}

/** H.263: libavcodec's h263 decoder and parser, raw input. */
export const H263: Codec = {
  name: "h263",
  decoder: { library: "libavcodec", name: "h263" },
  // the reference, the picture being decoded and one waiting to be output
  decoderPictures: 3,
  file: {
    input: "raw H.263 (.h263)",
    container: "raw",
    codecIds: { IVF: [], Matroska: [], MP4: ["s263"] },
    accepts: isH263,
  },
  stream: { framing: "bytestream", pictures: MPEG_PICTURES, knownStreams: h263KnownStreams },
};
