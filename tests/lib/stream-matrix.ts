/**
 * The streams of the codecs the stateful device alone decodes (HEVC, MPEG-1, MPEG-2, MPEG-4 Part
 * 2 with XviD, H.263), made by Debian's encoders through ffmpeg at their defaults plus B-frames
 * (x265's defaults have them) and a key frame every 8 pictures (for the seek; x265's GOPs closed
 * but in one stream, its default open GOPs), 4:2:0 at odd
 * sizes where the codec allows (MPEG-1/2/4; HEVC's 4:2:0 crops whole chroma samples, so 350x286
 * is coded 352x288; H.263 at its standard sizes, H.263+ at a custom one), interlaced MPEG-2, 10-bit HEVC (Main 10), and the streams no
 * CAPTURE format holds (HEVC Main 4:2:2 10, MPEG-2 4:2:2).
 */
import type { FfmpegRecipe } from "./streams.ts";

/** x265 with closed GOPs (IDR key frames, no leading pictures across them), its log quiet. */
const X265 = ["-x265-params", "keyint=8:min-keyint=8:open-gop=0:log-level=error"];
const MPEG_BFRAMES = ["-bf", "2", "-g", "8"];

/** Streams every bit-exact stream test runs. */
export const STREAM_MATRIX: FfmpegRecipe[] = [
  {
    name: "hevc-main-bframes-352x288",
    codec: "hevc",
    encoder: "libx265",
    size: "352x288",
    frames: 20,
    args: X265,
  },
  {
    // x265's open GOPs: CRA key frames whose leading (RASL) pictures reference the GOP before
    name: "hevc-main-opengop-352x288",
    codec: "hevc",
    encoder: "libx265",
    size: "352x288",
    frames: 20,
    args: ["-x265-params", "keyint=8:min-keyint=8:log-level=error"],
  },
  {
    name: "hevc-main10-crop-350x286",
    codec: "hevc",
    encoder: "libx265",
    size: "350x286",
    frames: 20,
    pixFmt: "yuv420p10le",
    args: X265,
  },
  {
    name: "mpeg2-bframes-352x288",
    codec: "mpeg2",
    encoder: "mpeg2video",
    size: "352x288",
    frames: 20,
    args: MPEG_BFRAMES,
  },
  {
    name: "mpeg2-odd-351x287",
    codec: "mpeg2",
    encoder: "mpeg2video",
    size: "351x287",
    frames: 12,
    args: MPEG_BFRAMES,
  },
  {
    // interlaced frame pictures (field DCT and motion), top field first
    name: "mpeg2-interlaced-720x576",
    codec: "mpeg2",
    encoder: "mpeg2video",
    size: "720x576",
    frames: 12,
    args: [...MPEG_BFRAMES, "-flags", "+ilme+ildct", "-top", "1"],
  },
  {
    name: "mpeg1-bframes-odd-351x287",
    codec: "mpeg1",
    encoder: "mpeg1video",
    size: "351x287",
    frames: 20,
    args: MPEG_BFRAMES,
  },
  {
    name: "mpeg4-bframes-odd-351x287",
    codec: "mpeg4",
    encoder: "mpeg4",
    size: "351x287",
    frames: 20,
    args: MPEG_BFRAMES,
  },
  {
    name: "xvid-bframes-352x288",
    codec: "mpeg4",
    encoder: "libxvid",
    size: "352x288",
    frames: 20,
    args: MPEG_BFRAMES,
  },
  {
    name: "h263-cif-352x288",
    codec: "h263",
    encoder: "h263",
    size: "352x288",
    frames: 20,
    args: ["-g", "8"],
  },
  {
    // H.263+ (version 2): a custom picture size, advanced intra coding, unrestricted vectors
    name: "h263p-custom-352x200",
    codec: "h263",
    encoder: "h263p",
    size: "352x200",
    frames: 20,
    args: ["-g", "8", "-flags", "+aic", "-umv", "1"],
  },
];

/** Streams whose pictures no CAPTURE format holds: refused, with the reason, before any picture. */
export const REFUSED_STREAMS: FfmpegRecipe[] = [
  {
    name: "hevc-main422-10-176x144",
    codec: "hevc",
    encoder: "libx265",
    size: "176x144",
    frames: 4,
    pixFmt: "yuv422p10le",
    args: X265,
  },
  {
    name: "mpeg2-422-176x144",
    codec: "mpeg2",
    encoder: "mpeg2video",
    size: "176x144",
    frames: 4,
    pixFmt: "yuv422p",
    args: MPEG_BFRAMES,
  },
];

/**
 * For each codec, a stream of STREAM_MATRIX and one at another size (QCIF, 8 pictures, the same
 * encoder and options): played one after the other, a mid-stream resolution change.
 */
export const RESIZED: [FfmpegRecipe, FfmpegRecipe][] = [
  "hevc-main-bframes-352x288",
  "mpeg2-bframes-352x288",
  "mpeg1-bframes-odd-351x287",
  "mpeg4-bframes-odd-351x287",
  "h263-cif-352x288",
].map((name) => {
  const r = STREAM_MATRIX.find((x) => x.name === name)!;
  const small = { ...r, name: `${r.codec}-${r.encoder}-qcif-176x144`, size: "176x144", frames: 8 };
  return [r, small];
});
