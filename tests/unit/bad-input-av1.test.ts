// Damaged AV1 requests: that job fails with a negative errno, the decoder lives on (dav1d is
// flushed, as it can otherwise refuse every later unit), and from the next key frame on every
// picture equals ffmpeg's libdav1d decode again.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { AV1 } from "../../src/av1/codec.ts";
import {
  readFrame,
  V4L2_CID_STATELESS_AV1_FRAME,
  V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
  writeFrame,
} from "../../src/av1/v4l2-av1.ts";
import type { ClientJob } from "../../src/decoder/file-client.ts";
import { FrameRunner } from "../../src/decoder/file-decoder.ts";
import { type Av1Recipe, av1StreamFile, ffmpegFrameMd5s } from "./helpers/streams.ts";

const KEY_EVERY = 8;
const BAD = 3;
const RECIPE: Av1Recipe = {
  name: "bad-input-av1-352x288",
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

for (const [what, damage] of CASES) {
  Deno.test(`bad input (av1): ${what} → that job fails, the next key frame decodes`, async () => {
    const file = await av1StreamFile(RECIPE);
    const expected = await ffmpegFrameMd5s(file, "nv12", "libdav1d");
    const frames = AV1.fileClient.frames(await Deno.readFile(file), {
      mode: "frame",
      startCode: "annexb",
    });
    assert.equal(frames.length, RECIPE.frames);
    const runner = new FrameRunner(libav(), AV1, { pixFmt: "nv12", md5: true });
    try {
      for (let i = 0; i < frames.length; i++) {
        const f = frames[i];
        const r = i === BAD ? runner.run(f, i, [damage(f.jobs[0])]) : runner.run(f, i);
        if (i === BAD) {
          assert.equal(r.ok, false, "the damaged job must fail");
          if (!r.ok) assert.ok(r.status < 0 && r.message.length > 0, r.message);
        } else if (i < BAD || i >= KEY_EVERY) {
          assert.ok(r.ok, `frame ${i}: ${r.ok ? "" : r.message}`);
          if (r.ok) assert.equal(r.md5, expected[i], `frame ${i}`);
        }
      }
    } finally {
      runner.close();
    }
  });
}
