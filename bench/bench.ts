/**
 * `deno task bench`: the decoding core's speed against ffmpeg's own single-threaded decode of
 * the same clip, in the same run, as a ratio (absolute fps depend on the machine; the ratio
 * says what the daemon's path — V4L2 controls (for H.264: rebuilt parameter sets), decode-order
 * capture, NV12 into a CAPTURE buffer — costs over plain libavcodec). H.264, VP9, VP8 and AV1
 * clips (AV1: against ffmpeg's libdav1d; the daemon rebuilds OBUs for dav1d).
 * AV1 clips are run a second time with threads: the daemon's dav1d with one thread per CPU
 * inside each frame (what it does by default), against ffmpeg's libdav1d at its default threads
 * (frame threads too, which a stateless decoder cannot use: each job's picture must be done
 * when the job completes).
 * Then the service with several contexts at once (bench/contexts.ts).
 * BENCH_ONLY=<text>: only the clips whose name contains it ("contexts": only the contexts rows).
 */
import { cpuUsage } from "node:process";
import { libav } from "../ffi/libav.ts";
import { decodeFile } from "../src/decoder/file-decoder.ts";
import { benchContexts } from "./contexts.ts";
import { streamFile } from "../tests/lib/streams.ts";

interface BenchClip {
  name: string;
  size: string;
  /** Displayed frames (what both decoders' fps count). */
  frames: number;
  /** Also measured with threads inside a picture (the decoder can). */
  threaded?: boolean;
  file: () => Promise<string>;
}

const x264 = (name: string, size: string, frames: number): BenchClip => ({
  name,
  size,
  frames,
  file: () =>
    streamFile({ name, codec: "h264", size, frames, args: ["-bf", "3", "-preset", "fast"] }),
});
/** As a player gets them: hidden alternate references, 2 tile columns at 1080p (VP9). */
const vpx = (codec: "vp8" | "vp9", name: string, size: string, frames: number): BenchClip => ({
  name,
  size,
  frames,
  file: () =>
    streamFile({
      name,
      codec,
      encoder: "vpxenc",
      size,
      frames,
      args: [
        ...["--good", "--cpu-used=4", "--auto-alt-ref=1", "--lag-in-frames=16"],
        ...["--end-usage=vbr", `--target-bitrate=${size.startsWith("1920") ? 3000 : 600}`],
        ...(codec === "vp9" ? ["--tile-columns=1"] : []),
      ],
    }),
});

/** SVT-AV1 (random access, hidden frames), what YouTube-like streams look like. */
const av1 = (name: string, size: string, frames: number): BenchClip => ({
  name,
  size,
  frames,
  threaded: true,
  file: () =>
    streamFile({
      name,
      codec: "av1",
      encoder: "libsvtav1",
      size,
      frames,
      args: ["-preset", "10", "-crf", "35"],
    }),
});

const CLIPS: BenchClip[] = [
  x264("bench-1080p", "1920x1080", 240),
  x264("bench-360p", "640x360", 900),
  vpx("vp9", "bench-vp9-1080p", "1920x1080", 120),
  vpx("vp9", "bench-vp9-360p", "640x360", 600),
  vpx("vp8", "bench-vp8-720p", "1280x720", 240),
  vpx("vp8", "bench-vp8-360p", "640x360", 600),
  av1("bench-av1-720p", "1280x720", 120),
  av1("bench-av1-1080p", "1920x1080", 60),
  av1("bench-av1-2160p", "3840x2160", 20),
];
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);
const ONLY = Deno.env.get("BENCH_ONLY") ?? "";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Speed {
  /** frames per second of wall time */
  wall: number;
  /** frames per second of CPU time (user + system): steadier on a shared machine */
  cpu: number;
}

/** ffmpeg's decode of `file` at `threads` (0: its default), timed by ffmpeg itself. */
async function ffmpegSpeed(file: string, frames: number, threads: number): Promise<Speed> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-nostdin",
      "-benchmark",
      ...(threads ? ["-threads", String(threads)] : []),
      // AV1: ffmpeg's default decoder is dav1d too (libdav1d)
      "-i",
      file,
      "-f",
      "null",
      "-",
    ],
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr);
  const m = /utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(text);
  if (!out.success || !m) throw new Error(`ffmpeg failed:\n${text}`);
  return { wall: frames / Number(m[3]), cpu: frames / (Number(m[1]) + Number(m[2])) };
}

const av = libav();
const CPUS = navigator.hardwareConcurrency;

/** The daemon's decoding core on `data`, timed by wall clock and by this process's CPU time. */
function daemonSpeed(clip: BenchClip, data: Uint8Array, threads: number): Speed {
  const cpu0 = cpuUsage();
  const r = decodeFile(av, data, {
    mode: "frame",
    startCode: "annexb",
    pixFmt: "nv12",
    md5: false,
    threads,
  });
  const cpu = cpuUsage(cpu0);
  if (r.failed.length > 0) throw new Error(`${clip.name}: ${r.failed[0].message}`);
  if (r.md5s.length !== 0 || r.frames < clip.frames) {
    throw new Error(`${clip.name}: ${r.frames} frames decoded, ${clip.frames} expected`);
  }
  return { wall: clip.frames / r.seconds, cpu: clip.frames / ((cpu.user + cpu.system) / 1e6) };
}

/** Median speeds of both decoders, runs interleaved so that both see the same machine load. */
async function compare(
  clip: BenchClip,
  file: string,
  data: Uint8Array,
  threads: { ours: number; ffmpeg: number },
): Promise<{ ours: Speed; theirs: Speed }> {
  const ours: Speed[] = [];
  const theirs: Speed[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(daemonSpeed(clip, data, threads.ours));
    theirs.push(await ffmpegSpeed(file, clip.frames, threads.ffmpeg));
  }
  const med = (xs: Speed[]) => ({
    wall: median(xs.map((x) => x.wall)),
    cpu: median(xs.map((x) => x.cpu)),
  });
  return { ours: med(ours), theirs: med(theirs) };
}

const ratio = (a: number, b: number) => (a / b).toFixed(3);

console.log(
  `${RUNS} runs each, median fps; daedalusd = NV12 output (H.264: frame-based, Annex-B); ` +
    `${CPUS} CPUs`,
);
for (const clip of CLIPS.filter((c) => c.name.includes(ONLY))) {
  const file = await clip.file();
  const data = await Deno.readFile(file);
  const one = await compare(clip, file, data, { ours: 1, ffmpeg: 1 });
  const { ours: a, theirs: b } = one;
  console.log(
    `${clip.name.padEnd(16)} ${clip.size.padEnd(10)} ${clip.frames} frames: daedalusd ` +
      `${a.wall.toFixed(1)} fps, ffmpeg -threads 1 ${b.wall.toFixed(1)} fps, ratio ` +
      `${ratio(a.wall, b.wall)} (by CPU time: ${a.cpu.toFixed(1)} vs ${b.cpu.toFixed(1)} fps, ` +
      `ratio ${ratio(a.cpu, b.cpu)})`,
  );
  if (!clip.threaded) continue;
  const { ours: t, theirs: d } = await compare(clip, file, data, { ours: CPUS, ffmpeg: 0 });
  console.log(
    `${"".padEnd(27)} threads: daedalusd ${CPUS} inside a frame ${t.wall.toFixed(1)} fps ` +
      `(${ratio(t.wall, a.wall)}x its one thread), ffmpeg default threads ${d.wall.toFixed(1)} ` +
      `fps (${ratio(d.wall, b.wall)}x), ratio ${ratio(t.wall, d.wall)}`,
  );
}

if ("contexts".includes(ONLY)) await benchContexts(RUNS);
