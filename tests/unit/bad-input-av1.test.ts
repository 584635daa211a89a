// Damaged AV1 requests: that job fails with a negative errno, the decoder lives on (dav1d is
// flushed, as it can otherwise refuse every later unit), and from the next key frame on every
// picture equals ffmpeg's libdav1d decode again.
import assert from "node:assert/strict";
import { EINVAL } from "../../ffi/libc.ts";
import {
  readFrame,
  V4L2_CID_STATELESS_AV1_FRAME,
  V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
  writeFrame,
} from "../../src/av1/v4l2-av1.ts";
import type { ClientJob } from "../../src/decoder/file-client.ts";
import {
  OUT_OF_RANGE,
  type Outcome,
  runWithDamage,
  SMALL,
  SMALL_KEY_EVERY,
} from "./helpers/bad-input-av1.ts";
import { type Av1Recipe, ffmpegFrameMd5s, streamFile } from "../lib/streams.ts";

const KEY_EVERY = 8;
const BAD = 3;
const RECIPE: Av1Recipe = {
  name: "bad-input-av1-352x288",
  codec: "av1",
  encoder: "libaom-av1",
  size: "352x288",
  frames: 16,
  args: [
    "-cpu-used",
    "8",
    "-lag-in-frames",
    "0",
    "-g",
    String(KEY_EVERY),
    "-keyint_min",
    String(KEY_EVERY),
  ],
};

const CASES: [string, (j: ClientJob) => ClientJob][] = [
  [
    "tile data cut short",
    (j) => ({ ...j, bitstream: j.bitstream.subarray(0, j.bitstream.length >> 2) }),
  ],
  ["random tile data", (j) => {
    let x = 99;
    return { ...j, bitstream: j.bitstream.map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24) };
  }],
  ["no FRAME control", (j) => {
    const ctrls = new Map(j.ctrls);
    ctrls.delete(V4L2_CID_STATELESS_AV1_FRAME);
    return { ...j, ctrls };
  }],
  ["no tile entries", (j) => {
    const ctrls = new Map(j.ctrls);
    ctrls.set(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, new Uint8Array(0));
    return { ...j, ctrls };
  }],
  ["a reference never decoded", (j) => {
    const ctrls = new Map(j.ctrls);
    const f = readFrame(ctrls.get(V4L2_CID_STATELESS_AV1_FRAME)!);
    f.referenceFrameTs = f.referenceFrameTs.map(() => 123456789n);
    ctrls.set(V4L2_CID_STATELESS_AV1_FRAME, writeFrame(f));
    return { ...j, ctrls };
  }],
];

/**
 * `outcomes` of a stream whose frame `bad` was damaged: that job failed (and says `field` when
 * given), every frame before it and from the next key frame on is bit-exact.
 */
function assertOnlyThatJob(
  outcomes: Outcome[],
  expected: string[],
  bad: number,
  keyEvery: number,
  field?: string,
): void {
  assert.equal(outcomes.length, expected.length);
  outcomes.forEach((r, i) => {
    if (i === bad) {
      assert.equal(r.ok, false, "the damaged job must fail");
      if (!r.ok) {
        assert.ok(r.status < 0 && r.message.length > 0, r.message);
        if (field) {
          assert.equal(r.status, -EINVAL, r.message);
          assert.ok(r.message.includes(field), `${r.message}: not about ${field}`);
        }
      }
    } else if (i < bad || i >= keyEvery) {
      assert.ok(r.ok, `frame ${i}: ${r.ok ? "" : r.message}`);
      if (r.ok) assert.equal(r.md5, expected[i], `frame ${i}`);
    }
  });
}

for (const [what, damage] of CASES) {
  Deno.test(`bad input (av1): ${what} → that job fails, the next key frame decodes`, async () => {
    const file = await streamFile(RECIPE);
    const expected = await ffmpegFrameMd5s(file, "nv12", "libdav1d");
    const outcomes = runWithDamage(await Deno.readFile(file), BAD, damage);
    assertOnlyThatJob(outcomes, expected, BAD, KEY_EVERY);
  });
}

/** A deadline for a worker's answers: far beyond what the damages take, there to end a freeze. */
const DEADLINE_MS = 120_000;

/**
 * OUT_OF_RANGE[indices] run on SMALL's inter frame 1 in a worker, each damage's outcomes; throws
 * when the worker has not answered by DEADLINE_MS (a damage froze the decoder: the worker is
 * terminated, so the suite goes on).
 */
async function inWorker(indices: number[]): Promise<{ outcomes: Outcome[][]; expected: string[] }> {
  const file = await streamFile(SMALL);
  const expected = await ffmpegFrameMd5s(file, "nv12", "libdav1d");
  const worker = new Worker(
    new URL("./helpers/bad-input-av1-worker.ts", import.meta.url),
    { type: "module" },
  );
  const outcomes: Outcome[][] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const stuck = OUT_OF_RANGE[indices[outcomes.length]].field;
        reject(new Error(`no answer in ${DEADLINE_MS / 1000} s: the damage to ${stuck} froze it`));
      }, DEADLINE_MS);
      worker.onmessage = (e: MessageEvent<{ done?: boolean; outcomes?: Outcome[] }>) => {
        if (e.data.done) resolve();
        else outcomes.push(e.data.outcomes!);
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`worker: ${e.message}`));
      };
      worker.postMessage({ file, bad: 1, indices });
    });
  } finally {
    clearTimeout(timer);
    worker.terminate();
  }
  return { outcomes, expected };
}

Deno.test("bad input (av1): five tile rows in three superblock rows (non-uniform, 176x144) → that job fails, the next key frame decodes", async () => {
  const { outcomes, expected } = await inWorker([0]);
  assertOnlyThatJob(outcomes[0], expected, 1, SMALL_KEY_EVERY, OUT_OF_RANGE[0].field);
});

Deno.test("bad input (av1): every control field out of its range fails that job, naming the field", async (t) => {
  const { outcomes, expected } = await inWorker(OUT_OF_RANGE.map((_, i) => i));
  for (const [i, { field }] of OUT_OF_RANGE.entries()) {
    await t.step(`${i}: ${field}`, () => {
      assertOnlyThatJob(outcomes[i], expected, 1, SMALL_KEY_EVERY, field);
    });
  }
});
