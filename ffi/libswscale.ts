/** libswscale: converts the decoder's picture into the CAPTURE buffer's layout. */
import { findLibrary, openLibrary } from "./library.ts";
import type { LibavSet } from "./libav-versions.ts";

export const symbols = {
  // unsigned swscale_version(void);
  swscale_version: { parameters: [], result: "u32" },
  // struct SwsContext *sws_getCachedContext(struct SwsContext *context, int srcW, int srcH,
  //     enum AVPixelFormat srcFormat, int dstW, int dstH, enum AVPixelFormat dstFormat,
  //     int flags, SwsFilter *srcFilter, SwsFilter *dstFilter, const double *param);
  sws_getCachedContext: {
    parameters: [
      "pointer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "pointer",
      "pointer",
      "pointer",
    ],
    result: "pointer",
  },
  // int sws_scale(struct SwsContext *c, const uint8_t *const srcSlice[], const int srcStride[],
  //     int srcSliceY, int srcSliceH, uint8_t *const dst[], const int dstStride[]);
  sws_scale: {
    parameters: ["pointer", "pointer", "pointer", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  // void sws_freeContext(struct SwsContext *swsContext);
  sws_freeContext: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

export type SwScale = Deno.DynamicLibrary<typeof symbols>["symbols"];

export const SWS_POINT = 0x10;

export function loadSwScale(set: LibavSet): { symbols: SwScale; path: string } {
  const soname = `libswscale.so.${set.swscale}`;
  const { lib, path } = openLibrary(
    soname,
    findLibrary([soname]),
    "DAEDALUS_LIBSWSCALE",
    `libswscale${set.swscale}`,
    symbols,
  );
  return { symbols: lib.symbols, path };
}
