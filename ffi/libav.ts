/**
 * The FFmpeg libraries as one set: libavcodec, libavutil and libswscale of matching majors,
 * the struct layout of that major, and where AVCodecContext keeps get_buffer2.
 */
import { cString, findLibrary, LibraryLoadError, readCString } from "./library.ts";
import { LIBAV_SETS, type LibavSet, packagesHint } from "./libav-versions.ts";
import { type AvCodec, loadAvCodec } from "./libavcodec.ts";
import { AV_LOG_QUIET, type AvUtil, loadAvUtil } from "./libavutil.ts";
import { loadSwScale, type SwScale } from "./libswscale.ts";
import { LAYOUTS, type LibavLayout } from "./layout.ts";
import { libc, RTLD_NOLOAD, RTLD_NOW } from "./libc.ts";

export interface Libav {
  set: LibavSet;
  avcodec: AvCodec;
  avutil: AvUtil;
  swscale: SwScale;
  paths: { avcodec: string; avutil: string; swscale: string };
  layout: LibavLayout;
  /** Byte offset of AVCodecContext.get_buffer2, found at run time. */
  getBuffer2Offset: number;
  /** avcodec_default_get_buffer2's address. */
  defaultGetBuffer2: Deno.PointerObject;
}

export function versionString(v: number): string {
  return `${v >> 16}.${(v >> 8) & 0xff}.${v & 0xff}`;
}

function chooseSet(): LibavSet {
  const override = Deno.env.get("DAEDALUS_LIBAVCODEC");
  if (override) {
    const m = /\.so\.(\d+)/.exec(override);
    const set = m ? LIBAV_SETS.find((s) => s.avcodec === Number(m[1])) : undefined;
    if (!set) {
      throw new LibraryLoadError(
        `DAEDALUS_LIBAVCODEC=${override}: cannot tell its major from the name ` +
          `(expected libavcodec.so.N with N one of ${LIBAV_SETS.map((s) => s.avcodec)})`,
      );
    }
    return set;
  }
  for (const set of LIBAV_SETS) {
    if (findLibrary([`libavcodec.so.${set.avcodec}`])) return set;
  }
  throw new LibraryLoadError(`no supported libavcodec found: install ${packagesHint()}`);
}

/** Scans a fresh context for avcodec_default_get_buffer2's address: get_buffer2 has no AVOption. */
function findGetBuffer2(
  avcodec: AvCodec,
  path: string,
): { offset: number; fn: Deno.PointerObject } {
  const handle = libc().dlopen(cString(path), RTLD_NOW | RTLD_NOLOAD);
  const fn = handle === null ? null : libc().dlsym(handle, cString("avcodec_default_get_buffer2"));
  if (handle !== null) libc().dlclose(handle);
  if (fn === null) throw new LibraryLoadError(`${path}: avcodec_default_get_buffer2 not found`);
  // A context without a codec still gets every default callback.
  const ctx = avcodec.avcodec_alloc_context3(null);
  if (ctx === null) throw new LibraryLoadError("avcodec_alloc_context3 failed");
  const want = BigInt(Deno.UnsafePointer.value(fn));
  const view = new Deno.UnsafePointerView(ctx);
  const hits: number[] = [];
  for (let off = 0; off < 2048; off += 8) {
    if (view.getBigUint64(off) === want) hits.push(off);
  }
  const holder = new BigUint64Array([BigInt(Deno.UnsafePointer.value(ctx))]);
  avcodec.avcodec_free_context(holder);
  if (hits.length !== 1) {
    throw new LibraryLoadError(
      `AVCodecContext.get_buffer2 not found unambiguously (${hits.length} candidates)`,
    );
  }
  return { offset: hits[0], fn };
}

let cached: Libav | undefined;

/** Loads the libav set once (env DAEDALUS_LIBAVCODEC/LIBAVUTIL/LIBSWSCALE override paths). */
export function libav(): Libav {
  if (cached) return cached;
  const set = chooseSet();
  const avutil = loadAvUtil(set);
  const avcodec = loadAvCodec(set);
  const swscale = loadSwScale(set);
  const major = avcodec.symbols.avcodec_version() >>> 16;
  if (major !== set.avcodec) {
    throw new LibraryLoadError(
      `${avcodec.path} reports libavcodec ${major}, expected ${set.avcodec}`,
    );
  }
  const layout = LAYOUTS[major];
  if (!layout) {
    throw new LibraryLoadError(`libavcodec ${major} is not supported: install ${packagesHint()}`);
  }
  // Quiet until a caller asks for messages (setAvLogLevel): libav's default callback prints to
  // stderr, and a stream's damage is reported per picture, not through the log.
  avutil.symbols.av_log_set_level(AV_LOG_QUIET);
  const gb = findGetBuffer2(avcodec.symbols, avcodec.path);
  cached = {
    set,
    avcodec: avcodec.symbols,
    avutil: avutil.symbols,
    swscale: swscale.symbols,
    paths: { avcodec: avcodec.path, avutil: avutil.path, swscale: swscale.path },
    layout,
    getBuffer2Offset: gb.offset,
    defaultGetBuffer2: gb.fn,
  };
  return cached;
}

/** Names of every decoder libavcodec offers. */
export function decoderNames(av: Libav): string[] {
  const opaque = new BigUint64Array(1);
  const names: string[] = [];
  for (;;) {
    const codec = av.avcodec.av_codec_iterate(opaque);
    if (codec === null) break;
    if (!av.avcodec.av_codec_is_decoder(codec)) continue;
    const namePtr = Deno.UnsafePointer.create(
      new Deno.UnsafePointerView(codec).getBigUint64(av.layout.codec.name),
    );
    const name = readCString(namePtr);
    if (name) names.push(name);
  }
  return names;
}
