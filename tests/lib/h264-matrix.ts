/** The stream matrix the bit-exactness tests decode (x264 recipes). */
import type { H264Recipe } from "./streams.ts";

// Custom (non-default) scaling lists, to exercise explicit list coding end to end.
const CQM4 = Array.from({ length: 16 }, (_, i) => 8 + ((i * 7) % 23)).join(",");
const CQM8 = Array.from({ length: 64 }, (_, i) => 10 + ((i * 5) % 37)).join(",");

export const MATRIX: H264Recipe[] = [
  {
    name: "baseline-cavlc-poc2-176x144",
    codec: "h264",
    size: "176x144",
    frames: 20,
    args: ["-profile:v", "baseline", "-g", "8"],
  },
  {
    name: "main-cabac-bpyramid-640x360",
    codec: "h264",
    size: "640x360",
    frames: 24,
    args: ["-profile:v", "main", "-bf", "3", "-x264-params", "b-pyramid=normal"],
  },
  {
    name: "high-cavlc-bframes-640x360",
    codec: "h264",
    size: "640x360",
    frames: 16,
    args: ["-profile:v", "high", "-coder", "0", "-bf", "2"],
  },
  {
    name: "high-8x8-cqm-jvt-640x360",
    codec: "h264",
    size: "640x360",
    frames: 16,
    args: ["-profile:v", "high", "-bf", "2", "-x264-params", "8x8dct=1:cqm=jvt"],
  },
  {
    name: "high-8x8-cqm-custom-640x360",
    codec: "h264",
    size: "640x360",
    frames: 16,
    args: [
      "-profile:v",
      "high",
      "-bf",
      "2",
      "-x264-params",
      `8x8dct=1:cqm4=${CQM4}:cqm8=${CQM8}`,
    ],
  },
  {
    name: "slices4-1280x720",
    codec: "h264",
    size: "1280x720",
    frames: 12,
    args: ["-bf", "2", "-x264-params", "slices=4"],
    multiSlice: true,
  },
  {
    name: "weighted-fade-640x360",
    codec: "h264",
    size: "640x360",
    frames: 20,
    filter: "fade=in:0:16",
    args: ["-bf", "2", "-g", "10", "-x264-params", "weightp=2:weightb=1"],
  },
  {
    name: "refs16-640x360",
    codec: "h264",
    size: "640x360",
    frames: 24,
    args: ["-refs", "16", "-bf", "3", "-x264-params", "b-pyramid=normal"],
  },
  {
    // 4:2:0 H.264 crops in 2-pixel units, so no odd size exists (libx264 refuses one): a width
    // that is no multiple of 4 gives an odd chroma width, and both sizes are cropped
    name: "crop-odd-chroma-350x286",
    codec: "h264",
    size: "350x286",
    frames: 10,
    args: ["-bf", "2"],
  },
  {
    name: "crop-1920x1080",
    codec: "h264",
    size: "1920x1080",
    frames: 8,
    args: ["-bf", "2"],
  },
  {
    name: "mbaff-tff-720x576",
    codec: "h264",
    size: "720x576",
    frames: 12,
    args: ["-bf", "2", "-x264-params", "interlaced=1:tff=1"],
  },
  {
    name: "mbaff-slices2-640x480",
    codec: "h264",
    size: "640x480",
    frames: 10,
    args: ["-bf", "2", "-x264-params", "interlaced=1:bff=1:slices=2"],
    multiSlice: true,
  },
];

/** x264's presets, fastest first (ffmpeg's `-preset`; `medium` is the default). */
const X264_PRESETS = [
  "ultrafast",
  "superfast",
  "veryfast",
  "faster",
  "fast",
  "medium",
  "slow",
  "slower",
  "veryslow",
];

/** x264's tunes (ffmpeg's `-tune`), each at the default preset. */
const X264_TUNES = [
  "film",
  "animation",
  "grain",
  "stillimage",
  "fastdecode",
  "zerolatency",
  "psnr",
  "ssim",
];

/** Every other one at 350x286 (an odd chroma width and height, both sizes cropped). */
const defaultsSize = (i: number) => i % 2 === 0 ? "350x286" : "176x144";

/**
 * libx264 through ffmpeg at each preset and each tune, nothing else set (issue 23's
 * encoder-defaults matrix): what a user gets who names no option, so a default never goes
 * untested. 25 frames: the default GOP's B-pyramids, weighted prediction and references fill.
 * zerolatency turns on x264's sliced threads: a slice per thread (two on a 2-core machine).
 */
export const H264_DEFAULTS: H264Recipe[] = [
  ...X264_PRESETS.map((preset, i): H264Recipe => ({
    name: `x264-preset-${preset}-${defaultsSize(i)}`,
    codec: "h264",
    size: defaultsSize(i),
    frames: 25,
    args: ["-preset", preset],
  })),
  ...X264_TUNES.map((tune, i): H264Recipe => ({
    name: `x264-tune-${tune}-${defaultsSize(i + 1)}`,
    codec: "h264",
    size: defaultsSize(i + 1),
    frames: 25,
    args: ["-tune", tune],
    multiSlice: tune === "zerolatency",
  })),
];

/** A stream to seek in: an IDR every 8 pictures (0.32 s at 25 fps), B-frames between. */
export const SEEK_STREAM: H264Recipe = {
  name: "seek-keyint8-bframes-320x240",
  codec: "h264",
  size: "320x240",
  frames: 40,
  args: ["-g", "8", "-bf", "2"],
};
