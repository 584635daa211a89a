/** The AV1 streams the tests decode: three encoders, so no one encoder's habits are all we see. */
import type { Av1Recipe } from "./streams.ts";

export const AV1_MATRIX: Av1Recipe[] = [
  {
    // hidden alternate references, 2x2 tiles
    name: "av1-aom-altref-tiles-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 20,
    args: ["-cpu-used", "8", "-lag-in-frames", "16", "-auto-alt-ref", "1", "-tiles", "2x2"],
  },
  {
    name: "av1-svt-640x360",
    codec: "av1",
    encoder: "libsvtav1",
    size: "640x360",
    frames: 20,
    args: ["-preset", "10"],
  },
  {
    name: "av1-rav1e-tiles4-640x360",
    codec: "av1",
    encoder: "librav1e",
    size: "640x360",
    frames: 20,
    args: ["-speed", "10", "-tiles", "4"],
  },
  {
    name: "av1-aom-10bit-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 10,
    tenBit: true,
    args: ["-cpu-used", "8"],
  },
  {
    // odd width and height: the last chroma column and row cover one luma column, row
    name: "av1-aom-odd-351x287",
    codec: "av1",
    encoder: "libaom-av1",
    size: "351x287",
    frames: 8,
    args: ["-cpu-used", "8"],
  },
  {
    name: "av1-aom-10bit-odd-351x287",
    codec: "av1",
    encoder: "libaom-av1",
    size: "351x287",
    frames: 8,
    tenBit: true,
    args: ["-cpu-used", "8"],
  },
];

/** Features ffmpeg's encoders do not expose (or not here), from aomenc, and film grain. */
export const AV1_FEATURES: Av1Recipe[] = [
  {
    // low-delay GOPs: no frame waits for a later one (the others are random access)
    name: "av1-svt-low-delay-352x288",
    codec: "av1",
    encoder: "libsvtav1",
    size: "352x288",
    frames: 12,
    args: ["-preset", "10", "-svtav1-params", "pred-struct=1"],
  },
  {
    name: "av1-aom-low-delay-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 12,
    args: ["-cpu-used", "8", "-lag-in-frames", "0", "-usage", "realtime"],
  },
  {
    name: "av1-aom-superres-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 12,
    args: ["--cpu-used=8", "--limit=12", "--superres-mode=1", "--superres-denominator=12"],
  },
  {
    // inter frames smaller than the key frame they predict from (scaled references)
    name: "av1-aom-resize-fixed-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 12,
    args: ["--cpu-used=8", "--limit=12", "--resize-mode=1", "--resize-denominator=12"],
  },
  {
    // inter frames of other sizes than their references, larger than the key frame too
    name: "av1-aom-resize-random-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 12,
    args: ["--cpu-used=6", "--limit=12", "--resize-mode=2"],
  },
  {
    name: "av1-aom-error-resilient-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 12,
    args: ["-cpu-used", "8", "-aom-params", "error-resilient=1"],
  },
  {
    name: "av1-aom-screen-intrabc-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 8,
    args: ["-cpu-used", "8", "-aom-params", "tune-content=screen:enable-intrabc=1"],
  },
  {
    // open GOPs: hidden intra-only frames (shown later), inter frames predicting across them
    name: "av1-svt-intra-only-352x288",
    codec: "av1",
    encoder: "libsvtav1",
    size: "352x288",
    frames: 20,
    args: ["-preset", "10", "-g", "8", "-svtav1-params", "irefresh-type=1"],
  },
  {
    // switch frames every 4 frames (rav1e needs its low-latency mode for them)
    name: "av1-rav1e-switch-352x288",
    codec: "av1",
    encoder: "librav1e",
    size: "352x288",
    frames: 12,
    args: ["-speed", "10", "-rav1e-params", "low_latency=true:switch_frame_interval=4"],
  },
  {
    // 2x2 tiles in two tile group OBUs per frame (a frame header OBU, then the tile groups)
    name: "av1-aom-tile-groups-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 8,
    args: ["--cpu-used=8", "--limit=8", "--tile-columns=1", "--tile-rows=1", "--num-tile-groups=2"],
  },
  {
    // a zoom: global motion (libaom searches for it at its slower speeds), loop restoration too
    name: "av1-aom-global-motion-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 8,
    source: "testsrc2=size=704x576:rate=25,zoompan=z='1+0.02*on':d=1:s=352x288",
    args: ["--cpu-used=2", "--limit=8", "--enable-global-motion=1"],
  },
  {
    // loop restoration (rav1e uses it at speed 5 and below)
    name: "av1-rav1e-restoration-352x288",
    codec: "av1",
    encoder: "librav1e",
    size: "352x288",
    frames: 6,
    args: ["-speed", "5"],
  },
  {
    // monochrome: no chroma planes; CAPTURE chroma is neutral grey, as libav converts it
    name: "av1-aom-monochrome-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 6,
    args: ["--cpu-used=8", "--limit=6", "--monochrome"],
  },
  {
    name: "av1-aom-monochrome-10bit-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 6,
    tenBit: true,
    args: ["--cpu-used=8", "--limit=6", "--monochrome"],
  },
  {
    name: "av1-aom-film-grain-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 12,
    args: ["-cpu-used", "8", "-denoise-noise-level", "20"],
  },
  {
    name: "av1-svt-film-grain-352x288",
    codec: "av1",
    encoder: "libsvtav1",
    size: "352x288",
    frames: 12,
    args: ["-preset", "10", "-svtav1-params", "film-grain=8"],
  },
];

/** Sizes from 240p to 2160p (unit matrix only: the larger ones exceed a request's time under TCG). */
export const AV1_SIZES: Av1Recipe[] = [
  {
    name: "av1-svt-426x240",
    codec: "av1",
    encoder: "libsvtav1",
    size: "426x240",
    frames: 10,
    args: ["-preset", "10"],
  },
  {
    name: "av1-rav1e-1280x720",
    codec: "av1",
    encoder: "librav1e",
    size: "1280x720",
    frames: 6,
    args: ["-speed", "10", "-tiles", "2"],
  },
  {
    name: "av1-svt-1920x1080",
    codec: "av1",
    encoder: "libsvtav1",
    size: "1920x1080",
    frames: 6,
    args: ["-preset", "12"],
  },
  {
    name: "av1-svt-3840x2160",
    codec: "av1",
    encoder: "libsvtav1",
    size: "3840x2160",
    frames: 2,
    args: ["-preset", "12"],
  },
];

/**
 * Each AV1 encoder here at its defaults, as a new user runs it (issue 23): libaom's deep
 * pyramids keep eight pictures alive and refresh slots the frame also predicts from. aomenc's
 * `--good` runs at its fastest good-quality speed (its default speed takes minutes), its
 * lag (35 frames) and reference structure at their defaults.
 */
export const AV1_DEFAULTS: Av1Recipe[] = [
  {
    // ffmpeg -f lavfi -i testsrc2=size=352x288:rate=25 -t 1 -c:v libaom-av1 -cpu-used 8 -b:v 300k
    name: "av1-aom-defaults-352x288",
    codec: "av1",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 25,
    args: ["-cpu-used", "8", "-b:v", "300k"],
  },
  {
    name: "av1-aomenc-good-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 40,
    args: ["--good", "--cpu-used=6"],
  },
  {
    name: "av1-aomenc-rt-352x288",
    codec: "av1",
    encoder: "aomenc",
    size: "352x288",
    frames: 25,
    args: ["--rt"],
  },
  {
    name: "av1-svt-defaults-352x288",
    codec: "av1",
    encoder: "libsvtav1",
    size: "352x288",
    frames: 25,
    args: [],
  },
  {
    name: "av1-rav1e-defaults-352x288",
    codec: "av1",
    encoder: "librav1e",
    size: "352x288",
    frames: 25,
    args: [],
  },
];
