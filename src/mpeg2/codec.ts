/**
 * MPEG-2 video's entry in the daemon's codec table (src/codecs.ts): stream only (the stateful
 * device). Main profile's 4:2:0 goes to NV12/I420; 4:2:2 (422 profile) is refused when its first
 * picture's format is known. MPEG-1 (src/mpeg1/) shares its start-code syntax.
 */
import type { Codec, KnownStream } from "../codecs.ts";
import type { CodecPictures } from "../decoder/picture-writer.ts";
import { hexBytes, leadingStartCode, nextStartCode } from "../decoder/bytes.ts";

/** 8-bit 4:2:0: what NV12/I420 hold. */
export const MPEG_PICTURES: CodecPictures = { bitDepths: [8], chroma: ["4:2:0"] };

/** sequence_header_code, extension_start_code (ISO/IEC 13818-2 table 6-1). */
const SEQUENCE_HEADER = 0xb3;
const EXTENSION = 0xb5;
/** extension_start_code_identifier of a sequence extension. */
const SEQUENCE_EXTENSION_ID = 1;

/**
 * The MPEG video generation a raw stream is when it begins with a sequence header: 2 when the
 * next start code is a sequence extension (MPEG-2 puts one right after every sequence header,
 * MPEG-1 has none), else 1; undefined when it begins otherwise.
 */
export function mpegVideoVersion(data: Uint8Array): 1 | 2 | undefined {
  const i = leadingStartCode(data);
  if (i < 0 || data[i] !== SEQUENCE_HEADER) return undefined;
  const next = nextStartCode(data, i + 1);
  return next?.value === EXTENSION && data[next.at + 1] >> 4 === SEQUENCE_EXTENSION_ID ? 2 : 1;
}

/**
 * Its self-test's stream: a 16x16 picture of one value (90), an intra picture whose blocks are
 * DC alone, which MPEG's IDCT gives back exactly; made by FFmpeg 5.1's encoder:
 *   ffmpeg -f rawvideo -pix_fmt yuv420p -s 16x16 -i flat90.yuv -c:v mpeg2video -q:v 1 \
 *     -f mpeg2video k.m2v
 */
function mpeg2KnownStreams(): KnownStream[] {
  const bytes = hexBytes(
    "000001b301001013ffffe018000001b5148a00010000000001b80008004000000100000ffff8000001b58f" +
      "fff341800000010113f334a52f99be66",
  );
  return [{ buffers: [bytes], width: 16, height: 16, bitDepth: 8, sample: [90] }];
}

/** MPEG-2 video: libavcodec's mpeg2video decoder and MPEG video parser, raw input. */
export const MPEG2: Codec = {
  name: "mpeg2",
  decoder: { library: "libavcodec", name: "mpeg2video" },
  // the two references, the picture being decoded and one waiting to be output
  decoderPictures: 4,
  file: {
    input: "raw MPEG-2 video (.m2v)",
    container: "raw",
    codecIds: {
      IVF: [],
      Matroska: ["V_MPEG2"],
      // its profiles' objectTypeIndications: Simple, Main, SNR, Spatial, High, 422
      MP4: ["mp4v.60", "mp4v.61", "mp4v.62", "mp4v.63", "mp4v.64", "mp4v.65"],
    },
    accepts: (data) => mpegVideoVersion(data) === 2,
  },
  stream: { framing: "bytestream", pictures: MPEG_PICTURES, knownStreams: mpeg2KnownStreams },
};
