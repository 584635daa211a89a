/**
 * `deno task bench`: the decoding core's speed against ffmpeg's own single-threaded decode of
 * the same clip, in the same run, as a ratio (absolute fps depend on the machine; the ratio
 * says what the daemon's path — V4L2 controls → rebuilt parameter sets, decode-order capture,
 * NV12 into a CAPTURE buffer — costs over plain libavcodec).
 */
import { cpuUsage } from "node:process";
import { libav } from "../ffi/libav.ts";
import { decodeFile } from "../src/decoder/file-decoder.ts";
import { streamFile, type StreamRecipe } from "../tests/unit/helpers/streams.ts";

const CLIPS: StreamRecipe[] = [
  { name: "bench-1080p", size: "1920x1080", frames: 240, x264: ["-bf", "3", "-preset", "fast"] },
  { name: "bench-360p", size: "640x360", frames: 900, x264: ["-bf", "3", "-preset", "fast"] },
];
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);

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
console.log(`${RUNS} runs each, median fps; daedalusd = frame-based, Annex-B, NV12 output`);
for (const clip of CLIPS) {
  const file = await streamFile(clip);
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
    ours.push({ wall: r.fps, cpu: r.frames / ((cpu.user + cpu.system) / 1e6) });
    theirs.push(await ffmpegSpeed(file, clip.frames));
  }
  const [aw, bw] = [median(ours.map((s) => s.wall)), median(theirs.map((s) => s.wall))];
  const [ac, bc] = [median(ours.map((s) => s.cpu)), median(theirs.map((s) => s.cpu))];
  console.log(
    `${clip.name.padEnd(12)} ${clip.size.padEnd(10)} ${clip.frames} frames: daedalusd ` +
      `${aw.toFixed(1)} fps, ffmpeg -threads 1 ${bw.toFixed(1)} fps, ratio ${
        (aw / bw).toFixed(3)
      } ` +
      `(by CPU time: ${ac.toFixed(1)} vs ${bc.toFixed(1)} fps, ratio ${(ac / bc).toFixed(3)})`,
  );
}
