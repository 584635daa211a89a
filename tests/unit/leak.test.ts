// 50 decoder contexts opened, used and closed: the process's RSS stays flat.
import assert from "node:assert/strict";
import { streamFile, type StreamRecipe } from "./helpers/streams.ts";

const RECIPE: StreamRecipe = {
  name: "leak-720p",
  size: "1280x720",
  frames: 10,
  x264: ["-bf", "2"],
};

Deno.test("50 context open/decode/close cycles keep RSS flat", async () => {
  const file = await streamFile(RECIPE);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--v8-flags=--expose-gc",
      new URL("./helpers/leak-child.ts", import.meta.url).pathname,
      file,
      "50",
    ],
    stdout: "piped",
  }).output();
  assert.ok(out.success, "the decoding child failed");
  const { before, after } = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    before: number;
    after: number;
  };
  const growth = after - before;
  console.log(
    `RSS after 5 warm-up cycles ${before} KiB, after 50 more ${after} KiB (${growth} KiB)`,
  );
  // A leaked 720p decoder (its frame pool, ~10 MiB) per cycle would add ~500 MiB.
  assert.ok(growth < 8 * 1024, `RSS grew by ${growth} KiB over 50 cycles`);
});
