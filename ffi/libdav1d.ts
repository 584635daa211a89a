/**
 * libdav1d: the AV1 decoder. libavcodec's own "av1" decoder only drives hardware, and its
 * libdav1d wrapper outputs shown frames in display order only, so the daemon calls dav1d
 * directly: with one thread, a frame delay of 1 and output_invisible_frames, every coded frame's
 * picture comes out right after the data that codes it, in decode order (docs/daemon.md).
 *
 * Layouts: the fields used here are the same in dav1d 1.0 (Debian bookworm's libdav1d6) and 1.5
 * (trixie's libdav1d7); tests/unit/ffi-layout.test.ts checks them against the installed headers.
 */
import { findLibrary, openLibrary, readCString } from "./library.ts";

/** The dav1d functions the daemon calls, as Deno.dlopen takes them. */
export const symbols = {
  // const char *dav1d_version(void);
  dav1d_version: { parameters: [], result: "pointer" },
  // void dav1d_default_settings(Dav1dSettings *s);
  dav1d_default_settings: { parameters: ["buffer"], result: "void" },
  // int dav1d_open(Dav1dContext **c_out, const Dav1dSettings *s);
  dav1d_open: { parameters: ["buffer", "buffer"], result: "i32" },
  // int dav1d_send_data(Dav1dContext *c, Dav1dData *in);
  dav1d_send_data: { parameters: ["pointer", "buffer"], result: "i32" },
  // int dav1d_get_picture(Dav1dContext *c, Dav1dPicture *out);
  dav1d_get_picture: { parameters: ["pointer", "buffer"], result: "i32" },
  // int dav1d_apply_grain(Dav1dContext *c, Dav1dPicture *out, const Dav1dPicture *in);
  dav1d_apply_grain: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  // void dav1d_picture_unref(Dav1dPicture *p);
  dav1d_picture_unref: { parameters: ["buffer"], result: "void" },
  // uint8_t *dav1d_data_create(Dav1dData *data, size_t sz);
  dav1d_data_create: { parameters: ["buffer", "usize"], result: "pointer" },
  // void dav1d_data_unref(Dav1dData *data);
  dav1d_data_unref: { parameters: ["buffer"], result: "void" },
  // void dav1d_flush(Dav1dContext *c);
  dav1d_flush: { parameters: ["pointer"], result: "void" },
  // void dav1d_close(Dav1dContext **c_out);
  dav1d_close: { parameters: ["buffer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/** libdav1d's symbols as Deno binds them. */
export type Dav1d = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** Byte layouts (LP64: amd64 and arm64 alike). */
export const DAV1D_LAYOUT = {
  settings: {
    size: 96,
    n_threads: 0,
    max_frame_delay: 4,
    apply_grain: 8,
    operating_point: 12,
    all_layers: 16,
    frame_size_limit: 20,
    logger_callback: 56,
    strict_std_compliance: 64,
    output_invisible_frames: 68,
  },
  data: { size: 72, data: 0, sz: 8, m_timestamp: 24 },
  picture: {
    data: 16,
    stride: 40,
    p_w: 56,
    p_h: 60,
    p_layout: 64,
    p_bpc: 68,
    m_timestamp: 72,
  },
  /** The largest Dav1dPicture of the supported versions (1.5's is 272 bytes). */
  pictureBuffer: 512,
} as const;

/** dav1d returns negated errnos. */
export const DAV1D_EAGAIN: number = -11;

/** The sonames tried, newest first (dist/depends.ts makes the package dependency from them). */
export const DAV1D_SONAMES: readonly string[] = ["libdav1d.so.7", "libdav1d.so.6"];

let cached: { symbols: Dav1d; path: string; version: string } | undefined;

/** libdav1d, loaded once; throws a LibraryLoadError that says what to install. */
export function dav1d(): { symbols: Dav1d; path: string; version: string } {
  if (cached) return cached;
  const { lib, path } = openLibrary(
    "libdav1d",
    findLibrary(DAV1D_SONAMES),
    "DAEDALUS_LIBDAV1D",
    "libdav1d6 (bookworm) or libdav1d7 (trixie)",
    symbols,
  );
  cached = { symbols: lib.symbols, path, version: readCString(lib.symbols.dav1d_version()) ?? "?" };
  return cached;
}
