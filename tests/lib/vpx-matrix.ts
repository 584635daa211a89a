/**
 * The VP8 and VP9 streams the bit-exactness tests decode: what real streams contain, from two
 * encoders (libvpx's vpxenc, ffmpeg's libvpx-vp9). Each recipe names the feature it is for; the
 * README of the tests lists which features none of them has.
 */
import type { VpxRecipe } from "./streams.ts";

/** libvpx's good-quality mode at a speed that keeps the cold suite's encodes short. */
const GOOD = ["--good", "--cpu-used=4"];
const ALTREF = ["--auto-alt-ref=1", "--lag-in-frames=16"];

export const VP9_MATRIX: VpxRecipe[] = [
  {
    name: "vp9-plain-352x288",
    codec: "vp9",
    encoder: "vpxenc",
    size: "352x288",
    frames: 12,
    args: [...GOOD, "--auto-alt-ref=0", "--lag-in-frames=0"],
  },
  {
    // hidden alternate references, in superframes with the frame that follows
    name: "vp9-altref-640x360",
    codec: "vp9",
    encoder: "vpxenc",
    size: "640x360",
    frames: 24,
    args: [...GOOD, ...ALTREF, "--kf-max-dist=30"],
  },
  {
    // odd width and height: the last chroma column and row cover one luma column, row
    name: "vp9-odd-351x287",
    codec: "vp9",
    encoder: "vpxenc",
    size: "351x287",
    frames: 10,
    args: [...GOOD, ...ALTREF],
  },
  {
    // ffmpeg's libvpx-vp9: vpxenc's Y4M reader loses framing at 10-bit odd sizes (one frame)
    name: "vp9-profile2-10bit-odd-351x287",
    codec: "vp9",
    encoder: "ffmpeg",
    size: "351x287",
    frames: 8,
    tenBit: true,
    args: [
      ...["-b:v", "300k", "-deadline", "good", "-cpu-used", "4", "-auto-alt-ref", "1"],
      ...["-lag-in-frames", "16"],
    ],
  },
  {
    name: "vp9-tiles4x2-1280x720",
    codec: "vp9",
    encoder: "vpxenc",
    size: "1280x720",
    frames: 8,
    args: [...GOOD, "--tile-columns=2", "--tile-rows=1", "--threads=1"],
  },
  {
    name: "vp9-tiles4-1920x1080",
    codec: "vp9",
    encoder: "vpxenc",
    size: "1920x1080",
    frames: 5,
    args: [...GOOD, "--tile-columns=2"],
  },
  {
    name: "vp9-3840x2160",
    codec: "vp9",
    encoder: "vpxenc",
    size: "3840x2160",
    frames: 2,
    args: ["--rt", "--cpu-used=8", "--tile-columns=4"],
  },
  {
    name: "vp9-profile2-10bit-640x360",
    codec: "vp9",
    encoder: "vpxenc",
    size: "640x360",
    frames: 12,
    tenBit: true,
    args: [...GOOD, ...ALTREF],
  },
  {
    // real-time CBR at a starved rate: libvpx shrinks inter frames (480x270, 320x180), which
    // predict from references of another size
    name: "vp9-dynamic-resize-640x360",
    codec: "vp9",
    encoder: "vpxenc",
    size: "640x360",
    frames: 60,
    args: [
      ...["--rt", "--cpu-used=8", "--end-usage=cbr", "--target-bitrate=20", "--buf-sz=200"],
      ...["--buf-initial-sz=100", "--buf-optimal-sz=100", "--resize-allowed=1"],
      ...["--resize-down=80", "--resize-up=95"],
    ],
  },
  {
    name: "vp9-error-resilient-352x288",
    codec: "vp9",
    encoder: "vpxenc",
    size: "352x288",
    frames: 12,
    args: [...GOOD, "--error-resilient=1", "--frame-parallel=1"],
  },
  {
    name: "vp9-lossless-352x288",
    codec: "vp9",
    encoder: "vpxenc",
    size: "352x288",
    frames: 6,
    args: [...GOOD, "--lossless=1"],
  },
  {
    // cyclic-refresh adaptive quantisation: segmentation maps and per-segment quantisers
    name: "vp9-segmentation-640x360",
    codec: "vp9",
    encoder: "vpxenc",
    size: "640x360",
    frames: 16,
    args: ["--rt", "--cpu-used=7", "--end-usage=cbr", "--target-bitrate=300", "--aq-mode=3"],
  },
  {
    name: "vp9-vpxenc-webm-640x360",
    codec: "vp9",
    encoder: "vpxenc",
    size: "640x360",
    frames: 12,
    container: "webm",
    args: [...GOOD, ...ALTREF],
  },
  {
    // frames shown again without a job (show_existing_frame), inserted after libvpx's packets
    name: "vp9-show-existing-352x288",
    codec: "vp9",
    encoder: "vpxenc",
    size: "352x288",
    frames: 12,
    args: [...GOOD, ...ALTREF],
    showExisting: true,
  },
  {
    name: "vp9-ffmpeg-webm-640x360",
    codec: "vp9",
    encoder: "ffmpeg",
    size: "640x360",
    frames: 16,
    container: "webm",
    args: [
      ...["-b:v", "400k", "-deadline", "good", "-cpu-used", "4", "-auto-alt-ref", "1"],
      ...["-lag-in-frames", "12", "-tile-columns", "1", "-row-mt", "1"],
    ],
  },
];

export const VP8_MATRIX: VpxRecipe[] = [
  {
    name: "vp8-plain-352x288",
    codec: "vp8",
    encoder: "vpxenc",
    size: "352x288",
    frames: 12,
    args: [...GOOD, "--auto-alt-ref=0", "--lag-in-frames=0"],
  },
  {
    // hidden alternate references (a frame of their own: VP8 has no superframes)
    name: "vp8-altref-640x360",
    codec: "vp8",
    encoder: "vpxenc",
    size: "640x360",
    frames: 24,
    args: [...GOOD, ...ALTREF],
  },
  {
    name: "vp8-odd-351x287",
    codec: "vp8",
    encoder: "vpxenc",
    size: "351x287",
    frames: 10,
    args: GOOD,
  },
  {
    name: "vp8-token-parts8-1280x720",
    codec: "vp8",
    encoder: "vpxenc",
    size: "1280x720",
    frames: 8,
    args: [...GOOD, "--token-parts=3"],
  },
  {
    name: "vp8-error-resilient-352x288",
    codec: "vp8",
    encoder: "vpxenc",
    size: "352x288",
    frames: 12,
    args: [...GOOD, "--error-resilient=1", "--token-parts=2"],
  },
  {
    name: "vp8-1920x1080",
    codec: "vp8",
    encoder: "vpxenc",
    size: "1920x1080",
    frames: 4,
    args: GOOD,
  },
  {
    name: "vp8-ffmpeg-webm-640x360",
    codec: "vp8",
    encoder: "ffmpeg",
    size: "640x360",
    frames: 16,
    container: "webm",
    args: ["-b:v", "400k", "-deadline", "good", "-cpu-used", "4", "-auto-alt-ref", "1"],
  },
  {
    name: "vp8-vpxenc-webm-640x360",
    codec: "vp8",
    encoder: "vpxenc",
    size: "640x360",
    frames: 12,
    container: "webm",
    args: [...GOOD, ...ALTREF],
  },
];

/**
 * libvpx at its defaults (issue 23's encoder-defaults matrix): vpxenc's `--good` and `--rt`
 * (their default speed, lag, alternate references and rate control) and ffmpeg's libvpx and
 * libvpx-vp9 with no option but the size and frame count, what a user gets who names none. Some
 * at a truly odd size (testSource draws it in RGB, converted at that size).
 */
export const VPX_DEFAULTS: VpxRecipe[] = [
  {
    name: "vp8-vpxenc-good-defaults-352x288",
    codec: "vp8",
    encoder: "vpxenc",
    size: "352x288",
    frames: 20,
    args: ["--good"],
  },
  {
    name: "vp8-vpxenc-rt-defaults-351x287",
    codec: "vp8",
    encoder: "vpxenc",
    size: "351x287",
    frames: 20,
    args: ["--rt"],
  },
  {
    name: "vp8-ffmpeg-defaults-176x144",
    codec: "vp8",
    encoder: "ffmpeg",
    size: "176x144",
    frames: 20,
    container: "webm",
    args: [],
  },
  {
    name: "vp9-vpxenc-good-defaults-351x287",
    codec: "vp9",
    encoder: "vpxenc",
    size: "351x287",
    frames: 20,
    args: ["--good"],
  },
  {
    name: "vp9-vpxenc-rt-defaults-352x288",
    codec: "vp9",
    encoder: "vpxenc",
    size: "352x288",
    frames: 20,
    args: ["--rt"],
  },
  {
    name: "vp9-ffmpeg-defaults-351x287",
    codec: "vp9",
    encoder: "ffmpeg",
    size: "351x287",
    frames: 20,
    container: "webm",
    args: [],
  },
];
