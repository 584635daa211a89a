/**
 * Child process of leak.test.ts: decodes `file` in `cycles` fresh decoder contexts and prints
 * the RSS (KiB) after the warm-up, half-way and at the end as JSON. Run with --v8-flags=--expose-gc, so
 * that garbage the JS side has not collected yet is not mistaken for a native leak.
 */
import { libav } from "../../../ffi/libav.ts";
import { FrameRunner } from "../../../src/decoder/file-decoder.ts";
import { streamToFrames } from "../../../src/h264/client.ts";
import { H264 } from "../../../src/h264/codec.ts";

const [file, cyclesArg] = Deno.args;
const frames = streamToFrames(await Deno.readFile(file), { mode: "frame", startCode: "annexb" });
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))![1]);

function cycle(): void {
  const runner = new FrameRunner(libav(), H264, { pixFmt: "nv12", md5: false });
  try {
    frames.forEach((f, i) => {
      const r = runner.run(f, i);
      if (!r.ok) throw new Error(r.message);
    });
  } finally {
    runner.close();
  }
  gc();
}

for (let i = 0; i < 5; i++) cycle(); // warm up allocators and JIT
const before = rss();
const half = Math.floor(Number(cyclesArg) / 2);
for (let i = 0; i < half; i++) cycle();
const middle = rss();
for (let i = half; i < Number(cyclesArg); i++) cycle();
console.log(JSON.stringify({ before, middle, after: rss() }));
