/**
 * Child process of leak.test.ts: decodes `file` in `cycles` fresh decoder contexts (or, with
 * `stream`, stream sessions: pictures left waiting at a flush and at close, the rest written out)
 * and prints the RSS (KiB) after the warm-up and after each cycle as JSON. Run with
 * --v8-flags=--expose-gc, so that garbage the JS side has not collected yet is not mistaken for a
 * native leak.
 */
import { libav } from "../../../ffi/libav.ts";
import { FrameRunner } from "../../../src/decoder/file-decoder.ts";
import { streamToFrames } from "../../../src/h264/client.ts";
import { H264 } from "../../../src/h264/codec.ts";
import { emptyTaken, takeEvents } from "../../../src/stream/file.ts";
import { StreamSession } from "../../../src/stream/session.ts";

const [file, cyclesArg, kind] = Deno.args;
const data = await Deno.readFile(file);
const frames = streamToFrames(data, { mode: "frame", startCode: "annexb" });
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))![1]);

/** One stream session, two frame threads: chunks queued, flushed, again, drained, again, closed. */
function streamCycle(): void {
  const session = new StreamSession(libav(), H264, { threads: 2 });
  const chunks = Array.from(
    { length: Math.ceil(data.length / 4096) },
    (_, i) => data.subarray(i * 4096, (i + 1) * 4096),
  );
  try {
    chunks.forEach((c, i) => session.queue(c, BigInt(i)));
    session.flush();
    chunks.forEach((c, i) => session.queue(c, BigInt(i)));
    session.drain();
    takeEvents(session, { pixFmt: "nv12", md5: false }, emptyTaken());
    chunks.forEach((c, i) => session.queue(c, BigInt(i)));
  } finally {
    session.close();
  }
  gc();
}

function cycle(): void {
  if (kind === "stream") return streamCycle();
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
const samples = [rss()];
for (let i = 0; i < Number(cyclesArg); i++) {
  cycle();
  samples.push(rss());
}
console.log(JSON.stringify({ samples }));
