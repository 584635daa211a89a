/**
 * `deno task bench`: the decoding core's speed against ffmpeg's own single-threaded decode of
 * the same clip, in the same run, as a ratio (absolute fps depend on the machine; the ratio
 * says what the daemon's path — V4L2 controls (for H.264: rebuilt parameter sets), decode-order
 * capture, NV12 into a CAPTURE buffer — costs over plain libavcodec). H.264, VP9, VP8 and AV1
 * clips (AV1: against ffmpeg's libdav1d at one thread; the daemon rebuilds OBUs for dav1d).
 * BENCH_ONLY=<text>: only the clips whose name contains it.
 */
import { cpuUsage } from "node:process";
import { libav } from "../ffi/libav.ts";
import { decodeFile } from "../src/decoder/file-decoder.ts";
import { av1StreamFile, streamFile, vpxStreamFile } from "../tests/unit/helpers/streams.ts";

interface BenchClip {
  name: string;
  size: string;
  /** Displayed frames (what both decoders' fps count). */
  frames: number;
  file: () => Promise<string>;
}

const x264 = (name: string, size: string, frames: number): BenchClip => ({
  name,
  size,
  frames,
  file: () => streamFile({ name, size, frames, x264: ["-bf", "3", "-preset", "fast"] }),
});
/** As a player gets them: hidden alternate references, 2 tile columns at 1080p (VP9). */
const vpx = (codec: "vp8" | "vp9", name: string, size: string, frames: number): BenchClip => ({
  name,
  size,
  frames,
  file: () =>
    vpxStreamFile({
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
  file: () =>
    av1StreamFile({
      name,
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

async function ffmpegSpeed(file: string, frames: number): Promise<Speed> {
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-nostdin",
      "-benchmark",
      "-threads",
      "1",
      // AV1: ffmpeg's default decoder is dav1d too (libdav1d), at one thread like the daemon's
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
console.log(
  `${RUNS} runs each, median fps; daedalusd = NV12 output (H.264: frame-based, Annex-B)`,
);
for (const clip of CLIPS.filter((c) => c.name.includes(ONLY))) {
  const file = await clip.file();
  const data = await Deno.readFile(file);
  const ours: Speed[] = [];
  const theirs: Speed[] = [];
  for (let i = 0; i < RUNS; i++) {
    // interleaved, so that both see the same machine load
    const cpu0 = cpuUsage();
    const r = decodeFile(av, data, {
      mode: "frame",
      startCode: "annexb",
      pixFmt: "nv12",
      md5: false,
    });
    const cpu = cpuUsage(cpu0);
    if (r.failed.length > 0) throw new Error(`${clip.name}: ${r.failed[0].message}`);
    if (r.md5s.length !== 0 || r.frames < clip.frames) {
      throw new Error(`${clip.name}: ${r.frames} frames decoded, ${clip.frames} expected`);
    }
    const fps = clip.frames / r.seconds;
    ours.push({ wall: fps, cpu: clip.frames / ((cpu.user + cpu.system) / 1e6) });
    theirs.push(await ffmpegSpeed(file, clip.frames));
  }
  const [aw, bw] = [median(ours.map((s) => s.wall)), median(theirs.map((s) => s.wall))];
  const [ac, bc] = [median(ours.map((s) => s.cpu)), median(theirs.map((s) => s.cpu))];
  console.log(
    `${clip.name.padEnd(16)} ${clip.size.padEnd(10)} ${clip.frames} frames: daedalusd ` +
      `${aw.toFixed(1)} fps, ffmpeg -threads 1 ${bw.toFixed(1)} fps, ratio ${
        (aw / bw).toFixed(3)
      } ` +
      `(by CPU time: ${ac.toFixed(1)} vs ${bc.toFixed(1)} fps, ratio ${(ac / bc).toFixed(3)})`,
  );
}
