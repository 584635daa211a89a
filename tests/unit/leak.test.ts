// 50 decoder contexts, and 50 stream sessions, opened, used and closed: the process's RSS stays
// flat.
import assert from "node:assert/strict";
import { type H264Recipe, streamFile } from "../lib/streams.ts";

const RECIPE: H264Recipe = {
  name: "leak-720p",
  codec: "h264",
  size: "1280x720",
  frames: 10,
  args: ["-bf", "2"],
};

for (const kind of ["context", "stream"] as const) {
  Deno.test(`50 ${kind} open/decode/close cycles keep RSS flat`, async () => {
    const file = await streamFile(RECIPE);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--v8-flags=--expose-gc",
        new URL("./helpers/leak-child.ts", import.meta.url).pathname,
        file,
        "50",
        kind,
      ],
      stdout: "piped",
    }).output();
    assert.ok(out.success, "the decoding child failed");
    const { samples } = JSON.parse(new TextDecoder().decode(out.stdout)) as { samples: number[] };
    // RSS after single cycles swings by several MiB (libavcodec's pools and threads, V8's heap):
    // 14 MiB between two samples 25 cycles apart was seen on a busy machine with no leak. The
    // growth per cycle is the least-squares slope over the last 40 cycles (the allocator settles in
    // the first 10), where that noise averages out: a leaked 720p decoder (its frame pool, ~10 MiB)
    // or even one leaked 720p picture (1.4 MiB) per cycle stands far above 0.5 MiB.
    const tail = samples.slice(-40);
    const n = tail.length;
    const mx = (n - 1) / 2;
    const my = tail.reduce((a, b) => a + b, 0) / n;
    let sxy = 0, sxx = 0;
    tail.forEach((y, x) => {
      sxy += (x - mx) * (y - my);
      sxx += (x - mx) ** 2;
    });
    const slope = sxy / sxx;
    console.log(
      `RSS after 5 warm-up cycles ${samples[0]} KiB, after ${samples.length - 1} more ` +
        `${samples.at(-1)} KiB; over the last ${n} cycles ${slope.toFixed(1)} KiB a cycle`,
    );
    assert.ok(slope < 512, `RSS grew by ${slope.toFixed(0)} KiB a cycle over the last ${n}`);
    assert.ok(
      samples.at(-1)! - samples[0] < 32 * 1024,
      `RSS grew by ${samples.at(-1)! - samples[0]} KiB over ${samples.length - 1} cycles`,
    );
  });
}
