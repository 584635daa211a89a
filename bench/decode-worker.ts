/**
 * A worker for bench/contexts.ts: decodes an H.264 clip with the file decoder (no service, no
 * device double) and answers with each frame's decode time in ms. Two of them at once show what
 * two decodes cost each other on this machine (shared caches, memory bandwidth), whatever the
 * service adds.
 */
import { libav } from "../ffi/libav.ts";
import { CODECS } from "../src/codecs.ts";
import { FrameRunner } from "../src/decoder/file-decoder.ts";

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<{ file: string; loops: number }>) => void;
  postMessage(m: number[]): void;
};
scope.onmessage = (e) => {
  const h264 = CODECS.find((c) => c.name === "h264")!;
  const frames = h264.stateless!.frames(Deno.readFileSync(e.data.file), {
    mode: "frame",
    startCode: "annexb",
  });
  const times: number[] = [];
  for (let loop = 0; loop < e.data.loops; loop++) {
    const runner = new FrameRunner(libav(), h264, { pixFmt: "nv12", md5: false });
    frames.forEach((f, i) => {
      const t0 = performance.now();
      const r = runner.run(f, i);
      if (!r.ok) throw new Error(`frame ${i}: ${r.message}`);
      times.push(performance.now() - t0);
    });
    runner.close();
  }
  scope.postMessage(times);
};
