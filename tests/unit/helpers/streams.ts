/**
 * Test streams, made at test time (ffmpeg + libx264 for H.264, libvpx's vpxenc or ffmpeg's
 * libvpx-vp9 for VP8/VP9) and cached outside the repository,
 * keyed by the exact ffmpeg arguments (so a changed recipe makes a new file). Generation is
 * idempotent: a file appears under its final name only once complete.
 */
import { createHash } from "node:crypto";
import { concatBytes } from "../../../src/decoder/bytes.ts";

export const CACHE_DIR = Deno.env.get("DAEDALUS_TEST_CACHE") ?? "/var/cache/daedalus-v4l2-test";

export interface StreamRecipe {
  name: string;
  size: string;
  frames: number;
  /** ffmpeg output options (codec options) after -c:v libx264. */
  x264: string[];
  /** Extra lavfi filters after the test source. */
  filter?: string;
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
  const tmp = `${path}.tmp-${Deno.pid}`;
  await make(tmp);
  await Deno.rename(tmp, path);
  return path;
}

/** Raw Annex-B, or MP4 (parameter sets in the avcC, timestamps from the encoder). */
export type Container = "h264" | "mp4";

export function recipeArgs(r: StreamRecipe, out: string, container: Container = "h264"): string[] {
  const src = `testsrc2=size=${r.size}:rate=25${r.filter ? "," + r.filter : ""}`;
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
    ...r.x264,
    "-f",
    container,
    out,
  ];
}

/** Path of the stream for `r`, generating it if needed. */
export function streamFile(r: StreamRecipe, container: Container = "h264"): Promise<string> {
  const path = `${CACHE_DIR}/${r.name}-${key(recipeArgs(r, "OUT", container))}.${container}`;
  return cached(path, async (tmp) => {
    await ffmpeg(recipeArgs(r, tmp, container));
  });
}

/**
 * A VP8 or VP9 stream: libvpx's own encoder (vpxenc, IVF or WebM) or ffmpeg's libvpx /
 * libvpx-vp9 (WebM), from ffmpeg's test source.
 */
export interface VpxRecipe {
  name: string;
  codec: "vp8" | "vp9";
  encoder: "vpxenc" | "ffmpeg";
  size: string;
  frames: number;
  /** vpxenc options, or ffmpeg's output options after -c:v libvpx(-vp9). */
  args: string[];
  /** 10-bit 4:2:0 input (VP9 profile 2). */
  tenBit?: boolean;
  container?: "ivf" | "webm";
  /** Extra lavfi filters after the test source. */
  filter?: string;
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

/** Path of the stream for `r` (IVF unless it says WebM), generating it if needed. */
export function vpxStreamFile(r: VpxRecipe): Promise<string> {
  const container = r.container ?? "ivf";
  const pixFmt = r.tenBit ? "yuv420p10le" : "yuv420p";
  const src = `testsrc2=size=${r.size}:rate=25${r.filter ? "," + r.filter : ""}`;
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

/**
 * ffmpeg's own per-frame MD5s (display order) for `file` in `pixFmt`, each frame at its own size
 * (no scaling to the first one's when the size changes); with ffmpeg's default decoder, or
 * `decoder` (libdav1d, as the AV1 tests name it), given the decoder options `decoderArgs` (e.g.
 * FATE's `-flags unaligned`).
 */
export async function ffmpegFrameMd5s(
  file: string,
  pixFmt: string,
  decoder?: string,
  decoderArgs: string[] = [],
): Promise<string[]> {
  const options = decoderArgs.map((a) => a.replace(/^-/, "")).join("-");
  const path = `${file}.${pixFmt}${decoder ? `.${decoder}` : ""}${options ? `.${options}` : ""}` +
    ".native.framemd5";
  await cached(path, async (tmp) => {
    const out = await ffmpeg([
      ...(decoder ? ["-c:v", decoder] : []),
      ...decoderArgs,
      ...["-i", file, "-fps_mode", "passthrough", "-autoscale", "0"],
      ...["-pix_fmt", pixFmt, "-f", "framemd5", "-"],
    ]);
    await Deno.writeFile(tmp, out);
  });
  return (await Deno.readTextFile(path)).split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(",").at(-1)!.trim());
}

/**
 * An AV1 stream (IVF) from one of ffmpeg's three AV1 encoders, or from libaom's own aomenc (for
 * what ffmpeg does not expose: superres, resize modes), from ffmpeg's test source.
 */
export interface Av1Recipe {
  name: string;
  encoder: "libaom-av1" | "libsvtav1" | "librav1e" | "aomenc";
  size: string;
  frames: number;
  /** ffmpeg's output options after -c:v <encoder>, or aomenc's options. */
  args: string[];
  tenBit?: boolean;
  /** The picture source, an ffmpeg lavfi graph of `size` (default: testsrc2 at 25 fps). */
  source?: string;
}

/** Path of the IVF stream for `r`, generating it if needed. */
export function av1StreamFile(r: Av1Recipe): Promise<string> {
  const pixFmt = r.tenBit ? "yuv420p10le" : "yuv420p";
  const source = r.source ?? `testsrc2=size=${r.size}:rate=25`;
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

/**
 * Per-frame MD5s of `file`'s pictures as correct P010 (display window, rows packed as the file
 * decoder hashes them): ffmpeg's own yuv420p10le decode, each sample shifted into the high bits
 * and Cb/Cr interleaved here. Not ffmpeg's `-pix_fmt p010le`: its libswscale conversion drops
 * the last chroma pair of each row at odd widths, the defect the references must not share.
 */
export async function ffmpegP010Md5s(
  file: string,
  decoder?: string,
  decoderArgs: string[] = [],
): Promise<string[]> {
  const options = decoderArgs.map((a) => a.replace(/^-/, "")).join("-");
  const path = `${file}${decoder ? `.${decoder}` : ""}${options ? `.${options}` : ""}.p010.md5s`;
  const input = [...(decoder ? ["-c:v", decoder] : []), ...decoderArgs, "-i", file];
  await cached(path, async (tmp) => {
    // the frames at their own sizes, which showinfo logs
    const out = await new Deno.Command("ffmpeg", {
      args: [
        ...["-hide_banner", "-nostdin", "-v", "info", ...input, "-vf", "showinfo"],
        ...["-fps_mode", "passthrough", "-autoscale", "0"],
        ...["-pix_fmt", "yuv420p10le", "-f", "rawvideo", "-"],
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const log = new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`ffmpeg ${input.join(" ")}: ${log}`);
    const sizes = [...log.matchAll(/Parsed_showinfo.* s:(\d+)x(\d+) /g)].map((
      m,
    ) => [Number(m[1]), Number(m[2])]);
    const raw = out.stdout;
    const md5s: string[] = [];
    let at = 0;
    for (const [w, h] of sizes) {
      const frame = yuv420p10AsP010(raw.subarray(at), w, h);
      md5s.push(createHash("md5").update(frame.p010).digest("hex"));
      at += frame.bytes;
    }
    if (at !== raw.length) throw new RangeError(`${raw.length - at} bytes after the frames`);
    await Deno.writeTextFile(tmp, md5s.join("\n"));
  });
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l);
}

/** The `w`x`h` yuv420p10le frame at the start of `raw` as P010, and the bytes it took. */
export function yuv420p10AsP010(
  raw: Uint8Array,
  w: number,
  h: number,
): { p010: Uint8Array; bytes: number } {
  const cw = Math.ceil(w / 2);
  const ch = Math.ceil(h / 2);
  const bytes = 2 * (w * h + 2 * cw * ch);
  if (raw.length < bytes) throw new RangeError(`a ${w}x${h} frame cut`);
  const s = new DataView(raw.buffer, raw.byteOffset, bytes);
  const p010 = new Uint8Array(bytes);
  const d = new DataView(p010.buffer);
  for (let i = 0; i < w * h; i++) d.setUint16(2 * i, s.getUint16(2 * i, true) << 6, true);
  const u = 2 * w * h;
  const v = u + 2 * cw * ch;
  for (let i = 0; i < cw * ch; i++) {
    d.setUint16(u + 4 * i, s.getUint16(u + 2 * i, true) << 6, true);
    d.setUint16(u + 4 * i + 2, s.getUint16(v + 2 * i, true) << 6, true);
  }
  return { p010, bytes };
}
