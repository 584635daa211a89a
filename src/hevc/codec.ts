/**
 * HEVC's entry in the daemon's codec table (src/codecs.ts): stream only (the stateful device;
 * the stateless device has no HEVC yet). Main and Main Still Picture go to NV12/I420, Main 10 to
 * P010; range extensions (4:2:2, 4:4:4, 12 bits) are refused when their first picture's format
 * is known.
 */
import type { Codec, KnownStream } from "../codecs.ts";
import type { CodecPictures } from "../decoder/picture-writer.ts";
import { hexBytes, leadingStartCode } from "../decoder/bytes.ts";

/** 8 and 10 bits, 4:2:0: what NV12/I420 and P010 hold. */
const PICTURES: CodecPictures = { bitDepths: [8, 10], chroma: ["4:2:0"] };

/**
 * The NAL unit types a raw stream starts with: VPS, SPS, PPS, access unit delimiter, prefix
 * SEI (H.265 table 7-1).
 */
const FIRST_NAL_TYPES = [32, 33, 34, 35, 39];

/**
 * True when `data` begins as a raw HEVC stream does: a start code, then a NAL unit header
 * (forbidden bit 0, layer 0, TemporalId + 1 not 0) of a parameter set, delimiter or SEI. No
 * H.264 stream begins so: its NAL header's type bits read as HEVC's are none of these.
 */
function isHevc(data: Uint8Array): boolean {
  const i = leadingStartCode(data);
  if (i < 0 || i + 1 >= data.length) return false;
  const [b0, b1] = [data[i], data[i + 1]];
  return (b0 & 0x81) === 0 && FIRST_NAL_TYPES.includes(b0 >> 1) && (b1 & 0xf8) === 0 &&
    (b1 & 7) !== 0;
}

/**
 * Its self-test's streams: a 16x16 picture of one value (8-bit 90, 10-bit 602), coded by
 * Debian's libx265 3.5 losslessly (so every decoded sample is the input's):
 *   ffmpeg -f rawvideo -pix_fmt yuv420p -s 16x16 -i flat90.yuv -c:v libx265 \
 *     -x265-params lossless=1:info=0 -f hevc k8.hevc
 * and the same from yuv420p10le samples of 602 (Main 10).
 */
function hevcKnownStreams(): KnownStream[] {
  return [
    {
      buffers: [hexBytes(
        "0000000140010c01ffff0160000003009000000300000300ff959809000000014201010160000003" +
          "009000000300000300ffa0884596566abcae6808000003000800000300c840000000014401c171" +
          "a9120000012801af05b8249800677fffd0487c0aad0f1e3c790ab56ad5ab56afdbc57fffc89daf" +
          "fffd1fa89d3b7cd9b366cf1a3468d1a3461b3ffd9073ffff07f81f6793264c9932e5cb972e5cb9" +
          "5ced9b515553f8",
      )],
      width: 16,
      height: 16,
      bitDepth: 8,
      sample: [90],
    },
    {
      buffers: [hexBytes(
        "0000000140010c01ffff0220000003009000000300000300ff959809000000014201010220000003" +
          "009000000300000300ffa08844d96566abcae68080000003008000000c84000000014401c171a9" +
          "120000012801af05b82498003640312b9b56d3d5244657d5f57d5f5aeabaaeabaaeabaaeac1bc5" +
          "7fffc89ab802f6c54d84a5b367a6c1b06c1b06f13c4f13c4f13c4f13333ffd8f7400ff95ff29fc" +
          "87e23d8f63d8f63d9f67d9f67d9f67d9f65ced9b515553f8",
      )],
      width: 16,
      height: 16,
      bitDepth: 10,
      sample: [(602 << 6) & 0xff, (602 << 6) >> 8],
    },
  ];
}

/** HEVC: libavcodec's decoder and parser, raw Annex-B input. */
export const HEVC: Codec = {
  name: "hevc",
  decoder: { library: "libavcodec", name: "hevc" },
  // its largest DPB (sps_max_dec_pic_buffering, at most 16) and the picture being decoded
  decoderPictures: 17,
  file: {
    input: "raw Annex-B HEVC (.hevc, .h265)",
    container: "raw",
    codecIds: { IVF: [], Matroska: ["V_MPEGH/ISO/HEVC"], MP4: ["hvc1", "hev1"] },
    accepts: isHevc,
  },
  stream: { framing: "bytestream", pictures: PICTURES, knownStreams: hevcKnownStreams },
};
