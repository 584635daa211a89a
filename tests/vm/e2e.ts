/**
 * End-to-end decoding through the real device: clips staged into a VM run, the daemon bundled
 * from this tree, GStreamer's v4l2slh264dec as the client (guest/decode.sh), and every output
 * compared byte for byte with ffmpeg's own decode of the same clip.
 */
import { createHash } from "node:crypto";
import { type GuestResult, type Kernel, REPO, run, runGuest, testProgram } from "./harness.ts";
import { CACHE_DIR, cached, streamFile } from "../unit/helpers/streams.ts";
import { concatBytes } from "../../src/h264/annexb.ts";

/** NV12 goes through bookworm's own GStreamer 1.22, I420 through trixie's 1.26 (guest/decode.sh). */
export type Format = "NV12" | "I420";

export interface Clip {
  /** Names the job's output in the run directory. */
  id: string;
  /** Annex-B H.264 (or MP4 when `container` says so) on the host. */
  file: string;
  container: "h264" | "mp4";
  format: Format;
  /** Files whose ffmpeg decodes, concatenated, are the expected output (default: `file`). */
  parts?: string[];
}

export interface Timed {
  status: number;
  seconds: number;
}

export interface E2eRun {
  guest: GuestResult;
  /** gst-launch's exit status and wall time per clip id. */
  gst: Map<string, Timed>;
  /** `ffmpeg -threads 1` on the same clip in the same guest, when asked for. */
  ffmpeg: Map<string, Timed>;
  daemonLog: string;
  /** v4l2-compliance's "Total for" line, when asked for. */
  compliance?: string;
  /**
   * The slowest request any client waited for after the warm-up, in ms (the module's
   * request_wait_max_us): what GStreamer's 1 s limit per request is measured against.
   */
  slowestRequestMs?: number;
}

async function readTimed(path: string): Promise<Map<string, Timed>> {
  const timed = new Map<string, Timed>();
  const text = await Deno.readTextFile(path).catch(() => "");
  for (const line of text.split("\n").filter(Boolean)) {
    const [id, status, t0, t1] = line.split(" ");
    timed.set(id, { status: Number(status), seconds: Number(t1) - Number(t0) });
  }
  return timed;
}

let bundle: Promise<string> | undefined;
/** The daemon as one JavaScript file, bundled once per test process from this tree. */
export function daemonBundle(): Promise<string> {
  bundle ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "daedalusd-bundle-" });
    await run(Deno.execPath(), [
      "bundle",
      "--quiet",
      "-o",
      `${dir}/daedalusd.js`,
      `${REPO}/main.ts`,
    ]);
    return `${dir}/daedalusd.js`;
  })();
  return bundle;
}

/** Annex-B clips joined end to end: each starts with an IDR and its own SPS/PPS. */
export function joined(files: string[]): Promise<string> {
  const key = createHash("sha1").update(files.join("\0")).digest("hex").slice(0, 12);
  return cached(`${CACHE_DIR}/joined-${key}.h264`, async (tmp) => {
    await Deno.writeFile(tmp, concatBytes(await Promise.all(files.map((f) => Deno.readFile(f)))));
  });
}

/**
 * ffmpeg's decode of a file: every decoded frame once (no frame-rate conversion from timestamps),
 * at display size, cached beside it.
 */
function reference(file: string, format: Format): Promise<string> {
  const pixFmt = format === "NV12" ? "nv12" : "yuv420p";
  return cached(`${file}.${pixFmt}.all-frames.raw`, async (tmp) => {
    await run("ffmpeg", [
      ...["-v", "error", "-y", "-i", file, "-fps_mode", "passthrough"],
      ...["-pix_fmt", pixFmt, "-f", "rawvideo", tmp],
    ]);
  });
}

/** Decoded once, unchecked, before the checked clips: see guest/decode.sh. */
const WARMUP = { name: "warmup-320x240", size: "320x240", frames: 40, x264: ["-bf", "2"] };

/** Boots `kernel`, loads the module with `params`, and decodes every clip through the device. */
export async function decodeInGuest(
  kernel: Kernel,
  params: string[],
  clips: Clip[],
  opts: {
    /** Clips decoded at once (default 1). */
    jobs?: number;
    probers?: number;
    ffmpeg?: boolean;
    compliance?: boolean;
    timeoutS?: number;
    cpus?: number;
  } = {},
): Promise<E2eRun> {
  const files: Record<string, string> = {
    "daedalusd.js": await daemonBundle(),
    "warmup.h264": await streamFile(WARMUP),
  };
  if (opts.probers) files.client = await testProgram("client");
  const lines: string[] = [];
  for (const c of clips) {
    const staged = `${c.id}.${c.container}`;
    files[staged] = c.file;
    lines.push([c.id, staged, c.container, c.format].join("\t"));
  }
  const jobs = await Deno.makeTempFile({ prefix: "jobs-", suffix: ".tsv" });
  await Deno.writeTextFile(jobs, lines.join("\n") + "\n");
  files["jobs.tsv"] = jobs;
  const guest = await runGuest(kernel, `${REPO}/tests/vm/guest/decode.sh`, {
    args: params,
    files,
    timeoutS: opts.timeoutS ?? 600,
    cpus: opts.cpus,
    env: {
      DECODE_JOBS: String(opts.jobs ?? 1),
      DECODE_PROBERS: String(opts.probers ?? 0),
      DECODE_FFMPEG: opts.ffmpeg ? "1" : "0",
      DECODE_COMPLIANCE: opts.compliance ? "1" : "0",
    },
  });
  await Deno.remove(jobs);
  const daemonLog = await Deno.readTextFile(`${guest.runDir}/daemon.log`).catch(() => "");
  const compliance = /^v4l2-compliance with the daemon connected: (.*)$/m.exec(guest.log)?.[1];
  const latency = await Deno.readTextFile(`${guest.runDir}/request-wait-max-us.txt`).catch(() =>
    ""
  );
  return {
    slowestRequestMs: latency.trim() ? Number(latency) / 1000 : undefined,
    guest,
    gst: await readTimed(`${guest.runDir}/gst-status.txt`),
    ffmpeg: await readTimed(`${guest.runDir}/ffmpeg-status.txt`),
    daemonLog,
    compliance,
  };
}

/** Throws unless the clip's output in `runDir` equals ffmpeg's decode byte for byte. */
export async function assertBitExact(runDir: string, clip: Clip): Promise<void> {
  const refs = await Promise.all((clip.parts ?? [clip.file]).map((f) => reference(f, clip.format)));
  const expected = concatBytes(await Promise.all(refs.map((r) => Deno.readFile(r))));
  const got = await Deno.readFile(`${runDir}/${clip.id}.yuv`).catch(() => new Uint8Array());
  let first = -1;
  const n = Math.min(got.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== expected[i]) {
      first = i;
      break;
    }
  }
  if (first < 0 && got.length === expected.length) return;
  throw new Error(
    `${clip.id}: output differs from ffmpeg's decode: ${got.length} bytes vs ${expected.length}` +
      (first >= 0 ? `, first difference at byte ${first}` : "") + ` (${runDir}/${clip.id}.yuv)`,
  );
}
