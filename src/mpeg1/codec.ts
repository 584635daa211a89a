/**
 * MPEG-1 video's entry in the daemon's codec table (src/codecs.ts): stream only (the stateful
 * device), 8-bit 4:2:0 to NV12/I420. Its raw streams are told from MPEG-2's by the sequence
 * extension MPEG-1 lacks (src/mpeg2/codec.ts).
 */
import type { Codec, KnownStream } from "../codecs.ts";
import { hexBytes } from "../decoder/bytes.ts";
import { MPEG_PICTURES, mpegVideoVersion } from "../mpeg2/codec.ts";

/**
 * Its self-test's stream: a 16x16 intra picture of one value (90), its blocks DC alone; made by
 * FFmpeg 5.1's encoder:
 *   ffmpeg -f rawvideo -pix_fmt yuv420p -s 16x16 -i flat90.yuv -c:v mpeg1video -q:v 1 \
 *     -f mpeg1video k.m1v
 */
function mpeg1KnownStreams(): KnownStream[] {
  const bytes = hexBytes(
    "000001b301001013ffffe018000001b80008004000000100000ffff80000010113f334a52f99be66",
  );
  return [{ buffers: [bytes], width: 16, height: 16, bitDepth: 8, sample: [90] }];
}

/** MPEG-1 video: libavcodec's mpeg1video decoder and MPEG video parser, raw input. */
export const MPEG1: Codec = {
  name: "mpeg1",
  decoder: { library: "libavcodec", name: "mpeg1video" },
  // the two references, the picture being decoded and one waiting to be output
  decoderPictures: 4,
  file: {
    input: "raw MPEG-1 video (.m1v)",
    container: "raw",
    codecIds: { IVF: [], Matroska: ["V_MPEG1"], MP4: ["mp4v.6a"] },
    accepts: (data) => mpegVideoVersion(data) === 1,
  },
  stream: { framing: "bytestream", pictures: MPEG_PICTURES, knownStreams: mpeg1KnownStreams },
};
