/** The AV1 streams the tests decode: three encoders, so no one encoder's habits are all we see. */
import type { Av1Recipe } from "./streams.ts";

export const AV1_MATRIX: Av1Recipe[] = [
  {
    // hidden alternate references, 2x2 tiles
    name: "av1-aom-altref-tiles-352x288",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 20,
    args: ["-cpu-used", "8", "-lag-in-frames", "16", "-auto-alt-ref", "1", "-tiles", "2x2"],
  },
  {
    name: "av1-svt-640x360",
    encoder: "libsvtav1",
    size: "640x360",
    frames: 20,
    args: ["-preset", "10"],
  },
  {
    name: "av1-rav1e-tiles4-640x360",
    encoder: "librav1e",
    size: "640x360",
    frames: 20,
    args: ["-speed", "10", "-tiles", "4"],
  },
  {
    name: "av1-aom-10bit-352x288",
    encoder: "libaom-av1",
    size: "352x288",
    frames: 10,
    tenBit: true,
    args: ["-cpu-used", "8"],
  },
];
