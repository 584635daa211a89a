/**
 * End-to-end decoding through the real device: clips staged into a VM run, the daemon bundled
 * from this tree, real clients (GStreamer's v4l2sl*dec elements, guest/decode.sh), and every
 * output compared byte for byte with ffmpeg's own decode of the same clip. A codec adds its row
 * to CLIENT_CODECS and its clips; nothing else here names one.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  assertGuestOk,
  type GuestResult,
  type Kernel,
  prepare,
  REPO,
  run,
  runGuest,
  testProgram,
  type Tier,
} from "./harness.ts";
import {
  CACHE_DIR,
  cached,
  containerOf,
  frameSizes,
  type H264Recipe,
  isFfmpegRecipe,
  type PackedFormat,
  probeFrames,
  type Recipe,
  referencePictures,
  streamFile,
} from "./streams.ts";
import { concatBytes } from "../../src/decoder/bytes.ts";

/**
 * The kernel that runs the client x mode x stream matrices in the default tier; on the other they
 * run in the full tier (`./run test --full`), and the default tier takes each codec once through
 * each client there (e2e-clients.test.ts). What depends on the kernel (the module, compliance,
 * refusals, faults) runs on both in the default tier.
 */
export const MATRIX_KERNEL: Kernel = "6.12";

/** The tier of a matrix test on `kernel`: the default tier on MATRIX_KERNEL, else the full one. */
export function matrixTier(kernel: Kernel): Tier {
  return kernel === MATRIX_KERNEL ? "default" : "full";
}

/** Raw formats as GStreamer names them; the CAPTURE format the client asks the device for. */
export type Format = "NV12" | "I420" | "P010_10LE";

/** The same pictures as ffmpeg names them, for the reference decode. */
const FFMPEG_PIX_FMT: Record<Format, PackedFormat> = {
  NV12: "nv12",
  I420: "yuv420p",
  P010_10LE: "p010le",
};

/**
 * The client programs (guest/decode.sh): bookworm's own GStreamer 1.22, or trixie's 1.26, the
 * only one that asks for I420 (as YUV420M), or bookworm's ffmpeg through VA-API with libva's
 * v4l2_request driver (what browsers and mpv use; NV12 only), or GStreamer 1.22's own VA-API
 * decoders through the same driver (gstva: `va*dec`, to system memory).
 */
export type Client = "gst1.22" | "gst1.26" | "vaapi" | "gstva" | StatefulClient;

/**
 * The clients of the stateful node (docs/stateful.md; the module loaded with `stateful=1`):
 * bookworm's ffmpeg with its `<codec>_v4l2m2m` decoder (what mpv and Kodi use with Debian's
 * FFmpeg), GStreamer 1.22's stock stateful elements (`v4l2<codec>dec`), and Raspberry Pi OS's
 * FFmpeg (rpi-ffmpeg 5.1.4, built by tests/vm/build-rpi-ffmpeg.sh) with the same decoders' DRM_PRIME
 * frames read back by `hwdownload` (what Firefox's V4L2 path and Pi OS's Chromium, mpv and Kodi
 * take).
 */
export type StatefulClient = "ffmpeg-m2m" | "gst1.22-m2m" | "rpi-ffmpeg";
const STATEFUL_CLIENTS: readonly Client[] = ["ffmpeg-m2m", "gst1.22-m2m", "rpi-ffmpeg"];

/**
 * Whether VA-API can hand over a picture `size` ("WxH") wide bit-exact. libva-v4l2_request 1.3
 * copies `width` bytes of each NV12 chroma row (P010: `width` samples) out of the CAPTURE buffer,
 * where an odd width has one sample more: the last Cr of every chroma row stays 0 (measured on
 * 6.12 at 351x287: VP8, VP9 profiles 0 and 2, AV1 8- and 10-bit, only those bytes differ; GStreamer
 * is bit-exact on the same streams through the same kernel). A client limit: VA-API clips skip
 * odd widths.
 */
export function vaapiHandsOver(size: string): boolean {
  return Number(size.split("x")[0]) % 2 === 0;
}

/** The VA-API driver's file name, as libva looks for it in LIBVA_DRIVERS_PATH (the run dir). */
const LIBVA_DRIVER = "v4l2_request_drv_video.so";
let libvaDriver: Promise<string> | undefined;
/**
 * libva-v4l2_request 1.3, built once per test process (cached across them) by
 * build-libva-driver.sh, against the 6.12 kernel's uAPI headers.
 */
function libvaDriverBuild(): Promise<string> {
  libvaDriver ??= (async () => {
    await prepare("6.12");
    return (await run("bash", [`${REPO}/tests/vm/build-libva-driver.sh`])).trim();
  })();
  return libvaDriver;
}

/** Raspberry Pi OS's ffmpeg program's file name in the guest's run dir (guest/decode.sh). */
const RPI_FFMPEG = "rpi-ffmpeg";
let rpiFfmpeg: Promise<string> | undefined;
/** rpi-ffmpeg 5.1.4, built once per test process (cached across them) by build-rpi-ffmpeg.sh. */
function rpiFfmpegBuild(): Promise<string> {
  rpiFfmpeg ??= run("bash", [`${REPO}/tests/vm/build-rpi-ffmpeg.sh`]).then((out) => out.trim());
  return rpiFfmpeg;
}

/**
 * After GStreamer's stateful decoders: their NV12 through videoconvert (to the clip's format,
 * I420). v4l2<codec>dec pushes its CAPTURE buffers as they are, at the device's strides and coded
 * rows, describing the picture in a video meta that filesink does not read (GStreamer 1.22 does
 * not copy them for a downstream without meta support); videoconvert reads the meta, as a video
 * sink does, and writes the pictures in GStreamer's default layout. NV12 to I420 moves samples
 * only: the pictures stay bit-exact.
 */
const M2M_CONVERT = "video/x-raw,format=NV12 ! videoconvert";

/**
 * Per codec, the GStreamer elements between the demuxer and raw video (`gst` for the stateless
 * node, `va` for the gstva client where a test uses it, `m2m` for the stateful node), the ffmpeg
 * decoder the VA-API client must ask for when ffmpeg's default cannot drive hardware, and
 * ffmpeg's decoder for the stateful node (`ffmpegM2m`, Debian's and Raspberry Pi OS's alike).
 */
export const CLIENT_CODECS = {
  h264: {
    gst: "h264parse ! v4l2slh264dec",
    va: "h264parse ! vah264dec",
    m2m: `h264parse ! v4l2h264dec ! ${M2M_CONVERT}`,
    ffmpegM2m: "h264_v4l2m2m",
  },
  vp8: { gst: "v4l2slvp8dec", m2m: `v4l2vp8dec ! ${M2M_CONVERT}`, ffmpegM2m: "vp8_v4l2m2m" },
  // vp9parse splits superframes: each frame, hidden ones too, is its own request; a player's
  // decodebin puts it before the stateful decoder too (a buffer then a frame, hidden or shown)
  vp9: {
    gst: "vp9parse ! v4l2slvp9dec",
    m2m: `vp9parse ! v4l2vp9dec ! ${M2M_CONVERT}`,
    ffmpegM2m: "vp9_v4l2m2m",
  },
  // GStreamer 1.24 and later only; ffmpeg's default AV1 decoder (libdav1d) has no hwaccel, its
  // own "av1" decoder drives VA-API
  av1: { gst: "av1parse ! v4l2slav1dec", vaapi: "av1" },
  // the stateful node only: the parsers decodebin plugs before GStreamer's stateful decoders
  hevc: { m2m: `h265parse ! v4l2h265dec ! ${M2M_CONVERT}`, ffmpegM2m: "hevc_v4l2m2m" },
  // no GStreamer element for them yet: 1.22 registered no v4l2mpeg2dec for the node (to find out)
  mpeg1: { ffmpegM2m: "mpeg1_v4l2m2m" },
  mpeg2: { ffmpegM2m: "mpeg2_v4l2m2m" },
  mpeg4: { m2m: `mpeg4videoparse ! v4l2mpeg4dec ! ${M2M_CONVERT}`, ffmpegM2m: "mpeg4_v4l2m2m" },
  h263: { m2m: `h263parse ! v4l2h263dec ! ${M2M_CONVERT}`, ffmpegM2m: "h263_v4l2m2m" },
} as const satisfies Record<string, ClientCodec>;
export type ClipCodec = keyof typeof CLIENT_CODECS;
/** A row of CLIENT_CODECS. */
interface ClientCodec {
  gst?: string;
  va?: string;
  vaapi?: string;
  m2m?: string;
  ffmpegM2m?: string;
}

/** Per container, the GStreamer demuxer ("" for an elementary stream). */
const GST_DEMUXERS = {
  h264: "",
  hevc: "",
  m1v: "",
  m2v: "",
  m4v: "",
  h263: "",
  mp4: "qtdemux",
  ivf: "ivfparse",
  webm: "matroskademux",
} as const;
export type Container = keyof typeof GST_DEMUXERS;

/** True when GStreamer's clips are read from `c` (GST_DEMUXERS). */
function isGstContainer(c: string): c is Container {
  return c in GST_DEMUXERS;
}

export interface Clip {
  /** Names the job's output in the run directory. */
  id: string;
  /** The clip on the host. */
  file: string;
  codec: ClipCodec;
  container: Container;
  format: Format;
  /** Default: GStreamer 1.22 for NV12, 1.26 for the rest. */
  client?: Client;
  /** Files whose ffmpeg decodes, concatenated, are the expected output (default: `file`). */
  parts?: string[];
  /**
   * A seek, as a player makes one (GStreamer 1.22 clients only, guest/gst-seek.py): once `after`
   * pictures are out, a flushing key-unit seek back to `toNs` (before the `after`th picture); the
   * expected output is then the pictures the client wrote, found by their timestamps.
   */
  seek?: { after: number; toNs: number };
}

/**
 * The clip of `r`'s stream (made if needed, in its own container) decoded to `format` by `client`
 * (default: see Clip), named `id`.
 */
export async function recipeClip(
  r: Recipe,
  format: Format,
  client?: Client,
  id: string = r.name,
): Promise<Clip> {
  const container = containerOf(r);
  // the stream-only codecs (FfmpegRecipe) reach the stateful node's clients alone
  if (!isGstContainer(container) || isFfmpegRecipe(r) && !STATEFUL_CLIENTS.includes(client!)) {
    throw new Error(`${r.name}: no ${client ?? "stateless"} clip of ${r.codec} in ${container}`);
  }
  return { id, file: await streamFile(r), codec: r.codec, container, format, client };
}

/** True when GStreamer 1.22's stateful decoders take `codec` (CLIENT_CODECS' `m2m`). */
export function gstM2mTakes(codec: ClipCodec): boolean {
  return (CLIENT_CODECS[codec] as ClientCodec).m2m !== undefined;
}

/** The line of jobs.tsv that tells guest/decode.sh how to decode `clip` (staged as `staged`). */
function clientOf(clip: Clip): Client {
  return clip.client ?? (clip.format === "NV12" ? "gst1.22" : "gst1.26");
}

function jobLine(clip: Clip, staged: string): string {
  const client = clientOf(clip);
  const demux = GST_DEMUXERS[clip.container];
  const row: ClientCodec = CLIENT_CODECS[clip.codec];
  const m2m = client === "ffmpeg-m2m" || client === "rpi-ffmpeg";
  // the ffmpeg clients take no GStreamer elements (VA-API's: unused)
  const decoder = client === "gstva" ? row.va : client === "gst1.22-m2m" ? row.m2m : row.gst;
  if (!decoder && client.startsWith("gst")) {
    throw new Error(`no ${client} elements for ${clip.codec}`);
  }
  const ffmpegDecoder = m2m ? row.ffmpegM2m : row.vaapi;
  if (m2m && !ffmpegDecoder) {
    throw new Error(`no ffmpeg decoder of the stateful node for ${clip.codec}`);
  }
  const elements = decoder ? (demux ? `${demux} ! ` : "") + decoder : "-";
  if (clip.seek && !client.startsWith("gst1.22")) throw new Error(`${client} cannot seek`);
  const seek = clip.seek ? `${clip.seek.after}:${clip.seek.toNs}` : "-";
  return [clip.id, staged, client, clip.format, elements, ffmpegDecoder ?? "-", seek].join("\t");
}

export interface Timed {
  status: number;
  seconds: number;
}

export interface E2eRun {
  guest: GuestResult;
  /** The client's exit status and wall time per clip id. */
  clients: Map<string, Timed>;
  /** `ffmpeg -threads 1` on the same clip in the same guest, when asked for. */
  ffmpeg: Map<string, Timed>;
  daemonLog: string;
  /** v4l2-compliance's "Total for" line, when asked for. */
  compliance?: string;
  /** The same of its streaming run on the stateful node (`complianceStream`). */
  streamCompliance?: string;
  /**
   * The slowest request any client waited for after the warm-up, in ms (the module's
   * request_wait_max_us): what GStreamer's 1 s limit per request is measured against.
   */
  slowestRequestMs?: number;
  /**
   * The daemon's CPU seconds per thread while the clients decoded (after the warm-up), busiest
   * first.
   */
  daemonThreads: { name: string; seconds: number }[];
}

/** Per thread id: its name and CPU ticks, and the clock's ticks per second. */
async function threadTicks(
  path: string,
): Promise<{ hz: number; ticks: Map<string, [string, number]> }> {
  const lines = (await Deno.readTextFile(path).catch(() => "")).split("\n").filter(Boolean);
  const hz = Number(/^(\d+) ticks per second$/m.exec(lines.join("\n"))?.[1] ?? 100);
  const ticks = new Map<string, [string, number]>();
  for (const l of lines.filter((l) => !l.endsWith("ticks per second"))) {
    const [n, tid, ...name] = l.split(" ");
    ticks.set(tid, [name.join(" "), Number(n)]);
  }
  return { hz, ticks };
}

/** The daemon's CPU per thread between the guest's two readings (decode.sh). */
async function readThreads(runDir: string): Promise<E2eRun["daemonThreads"]> {
  const start = await threadTicks(`${runDir}/daemon-threads-start.txt`);
  const end = await threadTicks(`${runDir}/daemon-threads.txt`);
  return [...end.ticks].map(([tid, [name, n]]) => ({
    name,
    seconds: (n - (start.ticks.get(tid)?.[1] ?? 0)) / end.hz,
  })).sort((a, b) => b.seconds - a.seconds);
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
 * ffmpeg's decode of a file (referencePictures: every displayed frame once, each at its own
 * display size, packed by the tests, not by libswscale), cached beside it.
 */
function reference(file: string, format: Format): Promise<string> {
  const pixFmt = FFMPEG_PIX_FMT[format];
  return cached(`${file}.${pixFmt}.ref.raw`, async (tmp) => {
    await Deno.writeFile(tmp, concatBytes(await referencePictures(file, pixFmt)));
  });
}

/** Decoded once, unchecked, before the checked clips: see guest/decode.sh. */
const WARMUP: H264Recipe = {
  name: "warmup-320x240",
  codec: "h264",
  size: "320x240",
  frames: 40,
  args: ["-bf", "2"],
};
/** Its frames, which the daemon's log counts with the checked clips'. */
export const WARMUP_FRAMES = WARMUP.frames;

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
    /**
     * A stream v4l2-compliance sends through the stateful node (`-s --stream-from`), the daemon
     * decoding it: its fourcc and the file.
     */
    complianceStream?: { fourcc: string; file: string };
    timeoutS?: number;
    cpus?: number;
  } = {},
): Promise<E2eRun> {
  const warmup: Clip = {
    id: "warmup",
    file: await streamFile(WARMUP),
    codec: "h264",
    container: "h264",
    format: "NV12",
  };
  const files: Record<string, string> = {
    "daedalusd.js": await daemonBundle(),
    "warmup.h264": warmup.file,
  };
  if (opts.probers) files.client = await testProgram("client");
  const complianceStream = opts.complianceStream &&
    `${opts.complianceStream.fourcc}=compliance-stream`;
  if (opts.complianceStream) files["compliance-stream"] = opts.complianceStream.file;
  // The guest's own copy, like the module's: a rebuild meanwhile changes no running test's.
  if (clips.some((c) => c.client === "vaapi" || c.client === "gstva")) {
    files[LIBVA_DRIVER] = await libvaDriverBuild();
  }
  if (clips.some((c) => c.client === "rpi-ffmpeg")) files[RPI_FFMPEG] = await rpiFfmpegBuild();
  const lines: string[] = [];
  for (const c of clips) {
    const staged = `${c.id}.${c.container}`;
    files[staged] = c.file;
    lines.push(jobLine(c, staged));
  }
  const tsv = async (name: string, text: string) => {
    const f = await Deno.makeTempFile({ prefix: `${name}-`, suffix: ".tsv" });
    await Deno.writeTextFile(f, text + "\n");
    files[`${name}.tsv`] = f;
    return f;
  };
  const jobs = await tsv("jobs", lines.join("\n"));
  const warmupJob = await tsv("warmup", jobLine(warmup, "warmup.h264"));
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
      DECODE_COMPLIANCE_STREAM: complianceStream ?? "",
      // DECODE_DUMP=1 in the test's environment: the daemon dumps every job (guest/decode.sh)
      DECODE_DUMP: Deno.env.get("DECODE_DUMP") ?? "0",
      // DECODE_GST_DEBUG=<GST_DEBUG> in the test's environment: GStreamer clients log with it
      DECODE_GST_DEBUG: Deno.env.get("DECODE_GST_DEBUG") ?? "",
      // DECODE_FFMPEG_LOGLEVEL=<level> in the test's environment: ffmpeg clients log at it
      DECODE_FFMPEG_LOGLEVEL: Deno.env.get("DECODE_FFMPEG_LOGLEVEL") ?? "info",
    },
  });
  await Deno.remove(jobs);
  await Deno.remove(warmupJob);
  const daemonLog = await Deno.readTextFile(`${guest.runDir}/daemon.log`).catch(() => "");
  const compliance = /^v4l2-compliance with the daemon connected: (.*)$/m.exec(guest.log)?.[1];
  const streamCompliance = /^v4l2-compliance streaming on the stateful node: (.*)$/m.exec(guest.log)
    ?.[1];
  const latency = await Deno.readTextFile(`${guest.runDir}/request-wait-max-us.txt`).catch(() =>
    ""
  );
  return {
    slowestRequestMs: latency.trim() ? Number(latency) / 1000 : undefined,
    guest,
    clients: await readTimed(`${guest.runDir}/client-status.txt`),
    ffmpeg: await readTimed(`${guest.runDir}/ffmpeg-status.txt`),
    daemonThreads: await readThreads(guest.runDir),
    daemonLog,
    compliance,
    streamCompliance,
  };
}

/**
 * Every client of `r` exited 0 and wrote exactly ffmpeg's decode of its clip (`verdicts`, when
 * the caller has them from clientVerdicts already), else throws naming every clip that did not;
 * the slowest request is printed against the clients' own limits, for the record (a limit missed
 * fails the client).
 */
export async function assertClientsBitExact(
  r: E2eRun,
  clips: Clip[],
  verdicts?: Map<string, string>,
): Promise<void> {
  console.log(
    `slowest request: ${r.slowestRequestMs ?? "?"} ms (GStreamer waits 1000 ms, libva 2000)`,
  );
  assertGuestOk(r.guest);
  const v = verdicts ?? await clientVerdicts(r, clips);
  const wrong = clips.map((c) => v.get(c.id) ?? `${c.id}: no verdict`).filter(Boolean);
  if (wrong.length) throw new Error(wrong.join("\n"));
}

/**
 * Per clip id of run `r`: "" when its client exited 0 and wrote exactly ffmpeg's decode, else
 * why not (the clip's id first).
 */
export async function clientVerdicts(r: E2eRun, clips: Clip[]): Promise<Map<string, string>> {
  const verdicts = new Map<string, string>();
  for (const c of clips) {
    const status = r.clients.get(c.id)?.status;
    verdicts.set(
      c.id,
      status !== 0
        ? `${c.id}: its client exited ${status} (see ${r.guest.runDir}/${c.id}.log)`
        : await assertBitExact(r.guest.runDir, c).then(() => "", (e: Error) => e.message),
    );
  }
  return verdicts;
}

const up = (v: number, n: number) => Math.ceil(v / n) * n;

/**
 * GStreamer's raw frames (filesink writes its buffers as they are) repacked as ffmpeg packs
 * rawvideo: GStreamer's default layout pads each plane's stride to 4 bytes and the luma plane to
 * an even number of rows (gst_video_info_fill_planes), which only shows at widths that are not a
 * multiple of 4 or odd heights.
 */
function unpadGst(bytes: Uint8Array, format: Format, sizes: { width: number; height: number }[]) {
  const out: Uint8Array[] = [];
  let off = 0;
  for (const { width: w, height: h } of sizes) {
    const bps = format === "P010_10LE" ? 2 : 1;
    const ch = Math.ceil(h / 2);
    // [stride, row bytes, rows, rows allocated] per plane
    const planes: [number, number, number, number][] = format === "I420"
      ? [
        [up(w, 4), w, h, up(h, 2)],
        [up(up(w, 2) / 2, 4), Math.ceil(w / 2), ch, up(h, 2) / 2],
        [up(up(w, 2) / 2, 4), Math.ceil(w / 2), ch, up(h, 2) / 2],
      ]
      : [
        [up(w * bps, 4), w * bps, h, up(h, 2)],
        [up(w * bps, 4), up(w, 2) * bps, ch, up(h, 2) / 2],
      ];
    off = keepRows(bytes, off, planes, out);
  }
  if (off < bytes.length) out.push(bytes.subarray(off)); // more than expected: left to compare
  return concatBytes(out);
}

/**
 * One frame's planes from `bytes` at `off`, each [stride, row bytes kept, rows kept, rows in the
 * frame]: the kept rows pushed to `out`; returns where the next frame starts.
 */
function keepRows(
  bytes: Uint8Array,
  off: number,
  planes: [number, number, number, number][],
  out: Uint8Array[],
): number {
  for (const [stride, rowBytes, rows, frameRows] of planes) {
    for (let y = 0; y < rows; y++) {
      out.push(bytes.subarray(off + y * stride, off + y * stride + rowBytes));
    }
    off += stride * frameRows;
  }
  return off;
}

/**
 * Stock FFmpeg's `*_v4l2m2m` frames (rawvideo, each at the CAPTURE format's coded size, which
 * `-vf showinfo` logs per frame) cut to the visible pictures ffmpeg's software decode gives: it
 * reads the crop rectangle only before the first source change, and takes the coded size from it
 * (v4l2_context.c `v4l2_handle_event`), so a stream whose size is not a multiple of the codec's
 * block comes out with the padding rows and columns. Raspberry Pi OS's frames come at the size
 * showinfo logs too (rawvideo packs an odd width's chroma rows at half the width rounded up).
 */
function cropM2m(
  bytes: Uint8Array,
  format: Format,
  coded: { width: number; height: number }[],
  visible: { width: number; height: number }[],
): Uint8Array {
  const out: Uint8Array[] = [];
  let off = 0;
  coded.forEach(({ width: cw, height: chh }, i) => {
    const { width: w, height: h } = visible[i] ?? { width: cw, height: chh };
    const bps = format === "P010_10LE" ? 2 : 1;
    // [stride, row bytes, rows kept, rows in the frame] per plane
    const planes: [number, number, number, number][] = format === "I420"
      ? [
        [cw, w, h, chh],
        [Math.ceil(cw / 2), Math.ceil(w / 2), Math.ceil(h / 2), Math.ceil(chh / 2)],
        [Math.ceil(cw / 2), Math.ceil(w / 2), Math.ceil(h / 2), Math.ceil(chh / 2)],
      ]
      : [
        [cw * bps, w * bps, h, chh],
        [up(cw, 2) * bps, up(w, 2) * bps, Math.ceil(h / 2), Math.ceil(chh / 2)],
      ];
    off = keepRows(bytes, off, planes, out);
  });
  if (off < bytes.length) out.push(bytes.subarray(off)); // more than logged: left to compare
  return concatBytes(out);
}

/** The frame sizes `-vf showinfo` logged in an ffmpeg log, in output order. */
async function showinfoSizes(log: string): Promise<{ width: number; height: number }[]> {
  const text = await Deno.readTextFile(log).catch(() => "");
  return [...text.matchAll(/Parsed_showinfo.* n: *\d+ .* s:(\d+)x(\d+) /g)].map((m) => ({
    width: Number(m[1]),
    height: Number(m[2]),
  }));
}

/**
 * What a seeking client (Clip.seek) should have written: ffmpeg's pictures of the clip whose
 * timestamps it wrote (guest/gst-seek.py's `.pts` list, relative to the first), in its order.
 * The seek goes back (its target lies before the pictures written by then), so it shows as the
 * one place the timestamps go back: throws unless the pictures are the first m (m at least
 * `after`), then every picture from the last key frame at or before the target to the end.
 * Returns the pictures and their sizes.
 */
async function seekExpected(
  runDir: string,
  clip: Clip & { seek: { after: number; toNs: number } },
  whole: Uint8Array,
): Promise<{ expected: Uint8Array; sizes: { width: number; height: number }[] }> {
  const frames = await probeFrames(clip.file, ["best_effort_timestamp_time", "key_frame"]);
  const ns = frames.map((f) => Math.round(Number(f.best_effort_timestamp_time) * 1e9));
  const rel = ns.map((n) => n - ns[0]);
  const pts = (await Deno.readTextFile(`${runDir}/${clip.id}.yuv.pts`).catch(() => ""))
    .split("\n").filter(Boolean).map(Number);
  const at = pts.map((p) => rel.findIndex((n) => Math.abs(n - (p - pts[0])) < 1e6));
  const key = rel.findLastIndex((n, i) => Number(frames[i].key_frame) === 1 && n <= clip.seek.toNs);
  const m = at.findIndex((v, i) => v !== i);
  const wanted = [
    ...Array(Math.max(m, clip.seek.after)).keys(),
    ...Array.from({ length: ns.length - key }, (_, i) => key + i),
  ];
  assert.deepEqual(
    at,
    wanted,
    `${clip.id}: the pictures written (indices by timestamp) are not the first ${clip.seek.after} ` +
      `or more, then every one from the key frame ${key} to the end (${runDir}/${clip.id}.yuv.pts)`,
  );
  const size = whole.length / ns.length;
  const sizes = await frameSizes(clip.file);
  return {
    expected: concatBytes(at.map((i) => whole.subarray(i * size, (i + 1) * size))),
    sizes: at.map((i) => sizes[i]),
  };
}

/** Throws unless the clip's output in `runDir` equals ffmpeg's decode byte for byte. */
export async function assertBitExact(runDir: string, clip: Clip): Promise<void> {
  const files = clip.parts ?? [clip.file];
  const refs = await Promise.all(files.map((f) => reference(f, clip.format)));
  let expected: Uint8Array = concatBytes(await Promise.all(refs.map((r) => Deno.readFile(r))));
  let sizes = (await Promise.all(files.map(frameSizes))).flat();
  if (clip.seek) {
    ({ expected, sizes } = await seekExpected(runDir, { ...clip, seek: clip.seek }, expected));
  }
  let got: Uint8Array = await Deno.readFile(`${runDir}/${clip.id}.yuv`).catch(() =>
    new Uint8Array()
  );
  if (clientOf(clip).startsWith("gst")) {
    got = unpadGst(got, clip.format, sizes);
  } else if (clientOf(clip) === "ffmpeg-m2m" || clientOf(clip) === "rpi-ffmpeg") {
    got = cropM2m(got, clip.format, await showinfoSizes(`${runDir}/${clip.id}.log`), sizes);
  }
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
