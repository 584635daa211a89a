/**
 * Test streams, made at test time from a Recipe by streamFile (ffmpeg + libx264 for H.264,
 * libvpx's vpxenc or ffmpeg's libvpx/libvpx-vp9 for VP8/VP9, ffmpeg's AV1 encoders or aomenc for
 * AV1, ffmpeg + libx265 for HEVC, FFmpeg's own encoders or libxvid for MPEG-1/2/4 and H.263) and cached outside the repository, keyed by the exact encoder arguments (so a changed
 * recipe makes a new file). Generation is idempotent: a file appears under its final name only
 * once complete. ffmpeg's references for them (referencePictures, ffmpegFrameMd5s) are here too.
 */
import { createHash } from "node:crypto";
import { concatBytes } from "../../src/decoder/bytes.ts";

export const CACHE_DIR = Deno.env.get("DAEDALUS_TEST_CACHE") ?? "/var/cache/daedalus-v4l2-test";

/** What every codec's recipe has. */
interface RecipeBase {
  /** The cache file's name starts with it (then the hash of the encode's arguments). */
  name: string;
  /** The test source's size, WxH. */
  size: string;
  frames: number;
  /** The encoder's options (each codec's recipe says whose). */
  args: string[];
  /** Extra lavfi filters after the test source. */
  filter?: string;
}

/** An H.264 stream from ffmpeg + libx264 (`args`: ffmpeg's output options after -c:v libx264). */
export interface H264Recipe extends RecipeBase {
  codec: "h264";
  /** More than one slice per picture (frame-based mode needs start codes then). */
  multiSlice?: boolean;
}

async function ffmpeg(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-nostdin", "-v", "error", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`ffmpeg ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}

function key(parts: string[]): string {
  return createHash("sha1").update(parts.join("\0")).digest("hex").slice(0, 12);
}

/** `path`, made by `make` (into a temporary name, renamed when complete) unless it exists. */
export async function cached(path: string, make: (tmp: string) => Promise<void>): Promise<string> {
  try {
    await Deno.stat(path);
    return path;
  } catch {
    // not made yet
  }
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  // A name of this call's own, not the process's: deno test runs test files in parallel in one
  // process, and two of them making the same stream at once must not write one file (seen on a
  // cold cache: a corrupt AV1 stream failed its bit-exact test).
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  await make(tmp);
  await Deno.rename(tmp, path);
  return path;
}

/**
 * ffmpeg's test source at `size` (25 fps), then `filter`. testsrc2 draws 4:2:0 at even sizes only
 * (351x287 comes out 350x286): an odd size is drawn in RGB, and converted at that size after.
 */
export function testSource(size: string, filter?: string): string {
  const odd = size.split("x").some((v) => Number(v) % 2 === 1);
  return `testsrc2=size=${size}:rate=25${odd ? ",format=rgb24" : ""}${filter ? "," + filter : ""}`;
}

/**
 * The containers streamFile writes: H.264 as raw Annex-B or MP4 (parameter sets in the avcC,
 * timestamps from the encoder); VP8/VP9 as IVF or WebM; AV1 as IVF; HEVC, MPEG-1/2/4 and H.263
 * raw (ffmpeg's raw muxers: .hevc, .m1v, .m2v, .m4v, .h263), MPEG-1/2 also as an MPEG program
 * stream (.mpg).
 */
export type Container = "h264" | "mp4" | "ivf" | "webm" | RawContainer | "mpg";

/** The raw stream file of each codec made by ffmpeg's encoders, by its extension. */
const RAW: Record<FfmpegRecipe["codec"], { ext: RawContainer; muxer: string }> = {
  hevc: { ext: "hevc", muxer: "hevc" },
  mpeg1: { ext: "m1v", muxer: "mpeg1video" },
  mpeg2: { ext: "m2v", muxer: "mpeg2video" },
  mpeg4: { ext: "m4v", muxer: "m4v" },
  h263: { ext: "h263", muxer: "h263" },
};

/** A raw stream's extension (RAW). */
export type RawContainer = "hevc" | "m1v" | "m2v" | "m4v" | "h263";

/** The container of `r`'s stream when none is asked for. */
export function containerOf(r: Recipe): Container {
  if (r.codec === "h264") return "h264";
  if (r.codec === "av1") return "ivf";
  if (isFfmpegRecipe(r)) return RAW[r.codec].ext;
  return r.container ?? "ivf";
}

/** Path of the stream for `r` in `container` (default: containerOf(r)), generating it if needed. */
export function streamFile(r: Recipe, container: Container = containerOf(r)): Promise<string> {
  const allowed: Record<Recipe["codec"], Container[]> = {
    h264: ["h264", "mp4"],
    vp8: ["ivf", "webm"],
    vp9: ["ivf", "webm"],
    av1: ["ivf"],
    hevc: ["hevc"],
    mpeg1: ["m1v", "mpg"],
    mpeg2: ["m2v", "mpg"],
    mpeg4: ["m4v"],
    h263: ["h263"],
  };
  if (!allowed[r.codec].includes(container)) {
    throw new Error(`${r.name}: ${r.codec} is not written as ${container}`);
  }
  if (r.codec === "h264") return h264File(r, container);
  if (r.codec === "av1") return av1File(r);
  if (isFfmpegRecipe(r)) return ffmpegFile(r, container);
  return vpxFile(r, container);
}

/** True when `r` is made by ffmpeg's encoders as a raw stream (FfmpegRecipe). */
export function isFfmpegRecipe(r: Recipe): r is FfmpegRecipe {
  return r.codec in RAW;
}

/**
 * An HEVC, MPEG-1, MPEG-2, MPEG-4 Part 2 or H.263 stream from ffmpeg's test source, encoded by
 * `encoder` (`args`: ffmpeg's output options after -c:v <encoder>: x265 at its defaults, which
 * have B-frames; FFmpeg's and libxvid's need -bf for them).
 */
export interface FfmpegRecipe extends RecipeBase {
  /** The codec (its wire name). */
  codec: "hevc" | "mpeg1" | "mpeg2" | "mpeg4" | "h263";
  /** ffmpeg's encoder of it. */
  encoder: "libx265" | "mpeg1video" | "mpeg2video" | "mpeg4" | "libxvid" | "h263" | "h263p";
  /** The input pixel format (ffmpeg's name), yuv420p by default. */
  pixFmt?: string;
}

function ffmpegFile(r: FfmpegRecipe, container: Container): Promise<string> {
  const muxer = container === "mpg" ? "mpeg" : RAW[r.codec].muxer;
  const args = [
    ...["-f", "lavfi", "-i", testSource(r.size, r.filter), "-frames:v", String(r.frames)],
    ...["-pix_fmt", r.pixFmt ?? "yuv420p", "-c:v", r.encoder, ...r.args, "-f", muxer],
  ];
  const path = `${CACHE_DIR}/${r.name}-${key(args)}.${container}`;
  return cached(path, async (tmp) => {
    await ffmpeg(["-y", ...args, tmp]);
  });
}

function x264Args(r: H264Recipe, out: string, container: Container): string[] {
  const src = testSource(r.size, r.filter);
  return [
    "-y",
    "-f",
    "lavfi",
    "-i",
    src,
    "-frames:v",
    String(r.frames),
    "-pix_fmt",
    "yuv420p",
    "-c:v",
    "libx264",
    ...r.args,
    "-f",
    container,
    out,
  ];
}

function h264File(r: H264Recipe, container: Container): Promise<string> {
  const path = `${CACHE_DIR}/${r.name}-${key(x264Args(r, "OUT", container))}.${container}`;
  return cached(path, async (tmp) => {
    await ffmpeg(x264Args(r, tmp, container));
  });
}

/**
 * A VP8 or VP9 stream: libvpx's own encoder (vpxenc, IVF or WebM) or ffmpeg's libvpx /
 * libvpx-vp9 (WebM), from ffmpeg's test source (`args`: vpxenc's options, or ffmpeg's output
 * options after -c:v libvpx(-vp9)).
 */
export interface VpxRecipe extends RecipeBase {
  codec: "vp8" | "vp9";
  encoder: "vpxenc" | "ffmpeg";
  /** 10-bit 4:2:0 input (VP9 profile 2). */
  tenBit?: boolean;
  /** Another input pixel format (ffmpeg's name; profiles 1 and 3), instead of tenBit's. */
  pixFmt?: string;
  /** The container the encoder writes (default IVF). */
  container?: "ivf" | "webm";
  /**
   * VP9, IVF: after every 4th packet, a show_existing_frame of reference slot 0 (the newest
   * frame that refreshed it) — what some encoders emit to show a frame again; libvpx does not.
   */
  showExisting?: boolean;
}

/**
 * `ivf` with a one-byte VP9 show_existing_frame packet after every `every`th packet, showing
 * reference slot 0 again (frame_marker 2, profile 0, show_existing_frame 1, slot 0: 0x88), and
 * the packets' timestamps renumbered.
 */
export function withShowExisting(ivf: Uint8Array, every: number): Uint8Array {
  const v = new DataView(ivf.buffer, ivf.byteOffset, ivf.byteLength);
  const headerSize = v.getUint16(6, true);
  const parts: Uint8Array[] = [ivf.slice(0, headerSize)];
  let pts = 0n;
  let n = 0;
  const frame = (data: Uint8Array) => {
    const h = new Uint8Array(12);
    const hv = new DataView(h.buffer);
    hv.setUint32(0, data.length, true);
    hv.setBigUint64(4, pts++, true);
    parts.push(h, data);
  };
  for (let off = headerSize; off + 12 <= ivf.length;) {
    const size = v.getUint32(off, true);
    frame(ivf.subarray(off + 12, off + 12 + size));
    off += 12 + size;
    if (++n % every === 0) frame(new Uint8Array([0x88]));
  }
  const out = concatBytes(parts);
  new DataView(out.buffer).setUint32(24, Number(pts), true); // frame count
  return out;
}

/**
 * The test source `source` (ffmpeg input options, pixel format included) as Y4M, encoded into
 * `out` by a stand-alone encoder (vpxenc, aomenc) given `args`.
 */
async function encodeFromY4m(
  source: string[],
  out: string,
  encoder: string,
  args: string[],
): Promise<void> {
  const y4m = `${out}.y4m`;
  await ffmpeg(["-y", ...source, "-strict", "-1", "-f", "yuv4mpegpipe", y4m]);
  try {
    await run(encoder, [...args, "-q", "-o", out, y4m]);
  } finally {
    await Deno.remove(y4m).catch(() => {});
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

function vpxFile(r: VpxRecipe, container: Container): Promise<string> {
  const pixFmt = r.pixFmt ?? (r.tenBit ? "yuv420p10le" : "yuv420p");
  const src = testSource(r.size, r.filter);
  const input = ["-f", "lavfi", "-i", src, "-frames:v", String(r.frames), "-pix_fmt", pixFmt];
  const recipe = [
    r.codec,
    r.encoder,
    container,
    ...input,
    ...r.args,
    ...(r.showExisting ? ["show-existing"] : []),
  ];
  const path = `${CACHE_DIR}/${r.name}-${key(recipe)}.${container}`;
  return cached(path, async (tmp) => {
    if (r.encoder === "ffmpeg") {
      const lib = r.codec === "vp9" ? "libvpx-vp9" : "libvpx";
      await ffmpeg(["-y", ...input, "-c:v", lib, ...r.args, "-f", container, tmp]);
      return;
    }
    await encodeFromY4m(input, tmp, "vpxenc", [
      `--codec=${r.codec}`,
      ...(r.tenBit ? ["--profile=2", "--bit-depth=10", "--input-bit-depth=10"] : []),
      ...r.args,
      container === "ivf" ? "--ivf" : "--webm",
      "--disable-warning-prompt",
    ]);
    if (r.showExisting) await Deno.writeFile(tmp, withShowExisting(await Deno.readFile(tmp), 4));
  });
}

/** `file` rewrapped as IVF (the file decoder's input), cached beside it. */
export function asIvf(file: string): Promise<string> {
  if (file.endsWith(".ivf")) return Promise.resolve(file);
  return cached(`${file}.ivf`, async (tmp) => {
    await ffmpeg(["-y", "-i", file, "-c", "copy", "-f", "ivf", tmp]);
  });
}

/** ffprobe's `fields` of each frame ffmpeg decodes from `file`, in display order. */
export async function probeFrames<K extends string>(
  file: string,
  fields: K[],
): Promise<Record<K, string | number>[]> {
  const out = await new Deno.Command("ffprobe", {
    args: [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", `frame=${fields.join(",")}`],
      ...["-of", "json", file],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffprobe ${file}: ${new TextDecoder().decode(out.stderr)}`);
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  return (json as { frames: Record<K, string | number>[] }).frames;
}

/** The display size of each frame ffmpeg decodes from `file`, in order. */
export async function frameSizes(file: string): Promise<{ width: number; height: number }[]> {
  return (await probeFrames(file, ["width", "height"]))
    .map(({ width, height }) => ({ width: Number(width), height: Number(height) }));
}

/** The CAPTURE layouts of the references, as ffmpeg names them. */
export type PackedFormat = "nv12" | "yuv420p" | "p010le";

/** The planar format ffmpeg decodes to for each packed one (its decoders' own output). */
const PLANAR: Record<PackedFormat, string> = {
  nv12: "yuv420p",
  yuv420p: "yuv420p",
  p010le: "yuv420p10le",
};

/**
 * Planar 4:2:0 pictures (ffmpeg's rawvideo: yuv420p, or yuv420p10le for P010) of `sizes`, each
 * packed into `format` here: Cb and Cr interleaved for NV12, and for P010 every sample shifted
 * into the high bits, ceil(width / 2) CbCr pairs per row. Not by libswscale, whose
 * yuv420p10le→p010le drops the last pair at odd widths (issue 23): a reference packed by it
 * would share the daemon's defect.
 */
export function packPictures(
  planar: Uint8Array,
  sizes: { width: number; height: number }[],
  format: PackedFormat,
): Uint8Array[] {
  const bps = format === "p010le" ? 2 : 1;
  const pictures: Uint8Array[] = [];
  let off = 0;
  for (const { width: w, height: h } of sizes) {
    const [y, c] = [w * h, Math.ceil(w / 2) * Math.ceil(h / 2)];
    const bytes = (y + 2 * c) * bps;
    if (off + bytes > planar.length) {
      throw new Error(`${sizes.length} pictures need more than ffmpeg's ${planar.length} bytes`);
    }
    const src = planar.slice(off, off + bytes); // its own buffer: aligned for 16-bit samples
    off += bytes;
    if (format === "yuv420p") {
      pictures.push(src);
      continue;
    }
    const [s, d] = bps === 2
      ? [new Uint16Array(src.buffer), new Uint16Array(y + 2 * c)]
      : [src, new Uint8Array(y + 2 * c)];
    const shift = bps === 2 ? 6 : 0;
    for (let i = 0; i < y; i++) d[i] = s[i] << shift;
    for (let i = 0; i < c; i++) {
      d[y + 2 * i] = s[y + i] << shift;
      d[y + 2 * i + 1] = s[y + c + i] << shift;
    }
    pictures.push(new Uint8Array(d.buffer));
  }
  if (off !== planar.length) {
    throw new Error(`ffmpeg wrote ${planar.length} bytes, ${sizes.length} pictures are ${off}`);
  }
  return pictures;
}

/** The pixel format ffmpeg's decoder gives `file`'s pictures (its first video stream's). */
async function decodedPixFmt(file: string): Promise<string> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt"]
      .concat(["-of", "csv=p=0", file]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffprobe ${file}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * ffmpeg's decode of `file` (every displayed frame once, each at its own size: no frame-rate
 * conversion, no scaling when the size changes) in its planar format (full-range yuvj420p as it
 * is: asked for as yuv420p, libswscale would convert its range), packed into `format` by
 * packPictures; with ffmpeg's default decoder, or `decoder` (libdav1d, as the AV1 tests name it),
 * given the decoder options `decoderArgs` (e.g. FATE's `-flags unaligned`, dav1d's
 * `-alllayers 1`). The sizes come from the same decode (showinfo logs them).
 */
export async function referencePictures(
  file: string,
  format: PackedFormat,
  decoder?: string,
  decoderArgs: string[] = [],
): Promise<Uint8Array[]> {
  const input = [...(decoder ? ["-c:v", decoder] : []), ...decoderArgs, "-i", file];
  const fullRange = PLANAR[format] === "yuv420p" && await decodedPixFmt(file) === "yuvj420p";
  const out = await new Deno.Command("ffmpeg", {
    args: [
      ...["-hide_banner", "-nostdin", "-v", "info", ...input, "-vf", "showinfo"],
      ...["-fps_mode", "passthrough", "-autoscale", "0"],
      ...["-pix_fmt", fullRange ? "yuvj420p" : PLANAR[format], "-f", "rawvideo", "-"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`ffmpeg ${input.join(" ")}: ${log}`);
  const sizes = [...log.matchAll(/Parsed_showinfo.* s:(\d+)x(\d+) /g)]
    .map((m) => ({ width: Number(m[1]), height: Number(m[2]) }));
  return packPictures(out.stdout, sizes, format);
}

/**
 * The MD5 of each picture of referencePictures (display order), cached beside `file`: what the
 * file decoder's md5s must be.
 */
export async function ffmpegFrameMd5s(
  file: string,
  pixFmt: PackedFormat,
  decoder?: string,
  decoderArgs: string[] = [],
): Promise<string[]> {
  const options = decoderArgs.map((a) => a.replace(/^-/, "")).join("-");
  const path = `${file}.${pixFmt}${decoder ? `.${decoder}` : ""}${options ? `.${options}` : ""}` +
    ".ref.md5";
  await cached(path, async (tmp) => {
    const md5s = (await referencePictures(file, pixFmt, decoder, decoderArgs))
      .map((p) => createHash("md5").update(p).digest("hex"));
    await Deno.writeTextFile(tmp, md5s.join("\n") + "\n");
  });
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l);
}

/**
 * An AV1 stream (IVF) from one of ffmpeg's three AV1 encoders, or from libaom's own aomenc (for
 * what ffmpeg does not expose: superres, resize modes), from ffmpeg's test source (`args`:
 * ffmpeg's output options after -c:v <encoder>, or aomenc's options).
 */
export interface Av1Recipe extends RecipeBase {
  codec: "av1";
  encoder: "libaom-av1" | "libsvtav1" | "librav1e" | "aomenc";
  /** 10-bit 4:2:0 input. */
  tenBit?: boolean;
  /** Another input pixel format (ffmpeg's name: 4:2:2, 4:4:4, 12-bit), instead of tenBit's. */
  pixFmt?: string;
  /** The picture source, an ffmpeg lavfi graph of `size` (default: testSource(size, filter)). */
  source?: string;
}

/** A stream to make: one codec's recipe. */
export type Recipe = H264Recipe | VpxRecipe | Av1Recipe | FfmpegRecipe;

function av1File(r: Av1Recipe): Promise<string> {
  const pixFmt = r.pixFmt ?? (r.tenBit ? "yuv420p10le" : "yuv420p");
  const source = r.source ?? testSource(r.size, r.filter);
  const args = [
    ...["-f", "lavfi", "-i", source, "-frames:v", String(r.frames)],
    ...["-pix_fmt", pixFmt, "-c:v", r.encoder, ...r.args, "-f", "ivf"],
  ];
  const path = `${CACHE_DIR}/${r.name}-${key([r.encoder, ...args])}.ivf`;
  return cached(path, async (tmp) => {
    if (r.encoder !== "aomenc") {
      await ffmpeg(["-y", ...args, tmp]);
      return;
    }
    // the test source only (input and pixel format); aomenc encodes
    await encodeFromY4m(args.slice(0, 8), tmp, "aomenc", [
      ...(r.tenBit ? ["--bit-depth=10", "--input-bit-depth=10"] : []),
      ...r.args,
      "--ivf",
    ]);
  });
}

/** `file` remuxed into `container` (the same packets), cached beside it. */
export function remuxed(file: string, container: "webm" | "mp4"): Promise<string> {
  return cached(`${file}.${container}`, async (tmp) => {
    await ffmpeg(["-y", "-i", file, "-c", "copy", "-f", container, tmp]);
  });
}
