/**
 * MPEG-4 Part 2 video's entry in the daemon's codec table (src/codecs.ts): stream only (the
 * stateful device; V4L2's MPEG4 and XVID formats both come as it), Simple and Advanced Simple
 * profiles' 8-bit 4:2:0 to NV12/I420. libavcodec's decoder finds an XviD or DivX encoder's
 * user data itself and works around their known bugs.
 */
import type { Codec, KnownStream } from "../codecs.ts";
import { hexBytes, leadingStartCode, nextStartCode } from "../decoder/bytes.ts";
import { MPEG_PICTURES } from "../mpeg2/codec.ts";

/** Start codes (ISO/IEC 14496-2 table 6-3). */
const VISUAL_OBJECT_SEQUENCE = 0xb0;
const USER_DATA = 0xb2;
const GROUP_OF_VOP = 0xb3;
const VOP = 0xb6;
const isVideoObject = (v: number) => v <= 0x1f;
const isVideoObjectLayer = (v: number) => v >= 0x20 && v <= 0x2f;

/**
 * True when `data` begins as a raw MPEG-4 Part 2 stream does: a visual object sequence, or a
 * video object then its video object layer, or a layer alone, the layer followed by user data, a
 * group of VOPs or a VOP. The header alone would take an H.264 stream beginning with an access
 * unit delimiter (00 00 01 09) or a parameter set of nal_ref_idc 1 (00 00 01 27) for one; what
 * follows them never is.
 */
function isMpeg4(data: Uint8Array): boolean {
  const i = leadingStartCode(data);
  if (i < 0) return false;
  if (data[i] === VISUAL_OBJECT_SEQUENCE) return true;
  let at = i;
  if (isVideoObject(data[at])) {
    const next = nextStartCode(data, at + 1);
    if (!next) return false;
    at = next.at;
  }
  if (!isVideoObjectLayer(data[at])) return false;
  const after = nextStartCode(data, at + 1)?.value;
  return after === USER_DATA || after === GROUP_OF_VOP || after === VOP;
}

/**
 * Its self-test's stream: a 16x16 intra picture of one value (90), its blocks DC alone; made by
 * FFmpeg 5.1's encoder:
 *   ffmpeg -f rawvideo -pix_fmt yuv420p -s 16x16 -i flat90.yuv -c:v mpeg4 -q:v 1 -bitexact \
 *     -f m4v k.m4v
 */
function mpeg4KnownStreams(): KnownStream[] {
  const bytes = hexBytes(
    "000001b001000001b58913000001000000012000c48d8800cd0084021463000001b3001007000001b6" +
      "1060518596d82c82cb",
  );
  return [{ buffers: [bytes], width: 16, height: 16, bitDepth: 8, sample: [90] }];
}

/** MPEG-4 Part 2: libavcodec's mpeg4 decoder and MPEG-4 video parser, raw input. */
export const MPEG4: Codec = {
  name: "mpeg4",
  decoder: { library: "libavcodec", name: "mpeg4" },
  // the two references, the picture being decoded and one waiting to be output
  decoderPictures: 4,
  file: {
    input: "raw MPEG-4 Part 2 video (.m4v)",
    container: "raw",
    codecIds: {
      IVF: [],
      Matroska: ["V_MPEG4/ISO/ASP", "V_MPEG4/ISO/SP", "V_MPEG4/ISO/AP"],
      MP4: ["mp4v.20"],
    },
    accepts: isMpeg4,
  },
  stream: { framing: "bytestream", pictures: MPEG_PICTURES, knownStreams: mpeg4KnownStreams },
};
