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
    const { before, middle, after } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      before: number;
      middle: number;
      after: number;
    };
    console.log(
      `RSS after 5 warm-up cycles ${before} KiB, after 25 more ${middle} KiB, after 25 more ` +
        `${after} KiB`,
    );
    // A leaked 720p decoder (its frame pool, ~10 MiB) per cycle would add ~250 MiB to each half.
    // The allocator may still settle in the first half (more so on a busy machine, measured +10.7
    // MiB over 50 cycles once): the second half must be flat.
    assert.ok(
      after - middle < 8 * 1024,
      `RSS grew by ${after - middle} KiB over the last 25 cycles`,
    );
    assert.ok(after - before < 32 * 1024, `RSS grew by ${after - before} KiB over 50 cycles`);
  });
}
