/**
 * Which FFmpeg libraries go together. libavcodec, libavutil and libswscale are released as a
 * set; their sonames move together, so the majors are tried as sets, newest first.
 */
export interface LibavSet {
  avcodec: number;
  avutil: number;
  swscale: number;
  /** The Debian release that ships this set, for error messages. */
  debian: string;
}

export const LIBAV_SETS: readonly LibavSet[] = [
  { avcodec: 63, avutil: 61, swscale: 10, debian: "sid" },
  { avcodec: 62, avutil: 60, swscale: 9, debian: "(FFmpeg 8)" },
  { avcodec: 61, avutil: 59, swscale: 8, debian: "trixie" },
  { avcodec: 60, avutil: 58, swscale: 7, debian: "(FFmpeg 6)" },
  { avcodec: 59, avutil: 57, swscale: 6, debian: "bookworm" },
];

export function packagesHint(): string {
  return LIBAV_SETS.map((s) =>
    `libavcodec${s.avcodec} libavutil${s.avutil} libswscale${s.swscale} (${s.debian})`
  ).join(", or ");
}
