/** libavutil: frames, memory, options and error strings. */
import { cString, findLibrary, openLibrary, readCString } from "./library.ts";
import type { LibavSet } from "./libav-versions.ts";

export const symbols = {
  // unsigned avutil_version(void);
  avutil_version: { parameters: [], result: "u32" },
  // AVFrame *av_frame_alloc(void);
  av_frame_alloc: { parameters: [], result: "pointer" },
  // void av_frame_free(AVFrame **frame);
  av_frame_free: { parameters: ["buffer"], result: "void" },
  // int av_frame_ref(AVFrame *dst, const AVFrame *src);
  av_frame_ref: { parameters: ["pointer", "pointer"], result: "i32" },
  // void av_frame_unref(AVFrame *frame);
  av_frame_unref: { parameters: ["pointer"], result: "void" },
  // void *av_malloc(size_t size);
  av_malloc: { parameters: ["usize"], result: "pointer" },
  // void *av_mallocz(size_t size);
  av_mallocz: { parameters: ["usize"], result: "pointer" },
  // void av_free(void *ptr);
  av_free: { parameters: ["pointer"], result: "void" },
  // int av_strerror(int errnum, char *errbuf, size_t errbuf_size);
  av_strerror: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  // void av_log_set_level(int level);
  av_log_set_level: { parameters: ["i32"], result: "void" },
  // int av_log_get_level(void);
  av_log_get_level: { parameters: [], result: "i32" },
  // enum AVPixelFormat av_get_pix_fmt(const char *name);
  av_get_pix_fmt: { parameters: ["buffer"], result: "i32" },
  // const char *av_get_pix_fmt_name(enum AVPixelFormat pix_fmt);
  av_get_pix_fmt_name: { parameters: ["i32"], result: "pointer" },
  // int av_opt_set(void *obj, const char *name, const char *val, int search_flags);
  av_opt_set: { parameters: ["pointer", "buffer", "buffer", "i32"], result: "i32" },
  // int av_opt_set_int(void *obj, const char *name, int64_t val, int search_flags);
  av_opt_set_int: { parameters: ["pointer", "buffer", "i64", "i32"], result: "i32" },
  // int av_opt_get_int(void *obj, const char *name, int search_flags, int64_t *out_val);
  av_opt_get_int: { parameters: ["pointer", "buffer", "i32", "buffer"], result: "i32" },
  // const AVOption *av_opt_find(void *obj, const char *name, const char *unit,
  //                             int opt_flags, int search_flags);
  av_opt_find: {
    parameters: ["pointer", "buffer", "pointer", "i32", "i32"],
    result: "pointer",
  },
} as const satisfies Deno.ForeignLibraryInterface;

export type AvUtil = Deno.DynamicLibrary<typeof symbols>["symbols"];

export const AV_LOG_QUIET = -8;
export const AV_LOG_PANIC = 0;
export const AV_LOG_ERROR = 16;
/** AVERROR(EAGAIN) and AVERROR_EOF. */
export const AVERROR_EAGAIN = -11;
export const AVERROR_EOF = -0x20464f45; // -MKTAG('E','O','F',' ')
export const AVERROR_INVALIDDATA = -0x41444e49; // -MKTAG('I','N','D','A')

export function loadAvUtil(set: LibavSet): { symbols: AvUtil; path: string } {
  const soname = `libavutil.so.${set.avutil}`;
  const { lib, path } = openLibrary(
    soname,
    findLibrary([soname]),
    "DAEDALUS_LIBAVUTIL",
    `libavutil${set.avutil}`,
    symbols,
  );
  return { symbols: lib.symbols, path };
}

/** av_strerror as a string. */
export function avErrorString(u: AvUtil, code: number): string {
  const buf = new Uint8Array(128);
  u.av_strerror(code, buf, BigInt(buf.length));
  return readCString(Deno.UnsafePointer.of(buf)) ?? `AVERROR ${code}`;
}

export function pixFmt(u: AvUtil, name: string): number {
  return u.av_get_pix_fmt(cString(name));
}

export function pixFmtName(u: AvUtil, fmt: number): string {
  return readCString(u.av_get_pix_fmt_name(fmt)) ?? `pix_fmt ${fmt}`;
}
