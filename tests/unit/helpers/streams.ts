/**
 * Test streams, made at test time with ffmpeg + libx264 and cached outside the repository,
 * keyed by the exact ffmpeg arguments (so a changed recipe makes a new file). Generation is
 * idempotent: a file appears under its final name only once complete.
 */
import { createHash } from "node:crypto";

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

/** ffmpeg's own per-frame MD5s (display order) for `file` in `pixFmt`. */
export async function ffmpegFrameMd5s(file: string, pixFmt: string): Promise<string[]> {
  const path = `${file}.${pixFmt}.framemd5`;
  await cached(path, async (tmp) => {
    const out = await ffmpeg(["-i", file, "-pix_fmt", pixFmt, "-f", "framemd5", "-"]);
    await Deno.writeFile(tmp, out);
  });
  return (await Deno.readTextFile(path)).split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(",").at(-1)!.trim());
}
