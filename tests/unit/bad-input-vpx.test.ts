// Damaged VP8 and VP9 frames: that job fails with a negative errno, the decoder lives on, and
// from the next key frame on every picture equals ffmpeg's decode again. Also: controls that
// describe another frame than the bitstream's, and a 10-bit picture for an 8-bit CAPTURE format.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import type { Codec } from "../../src/codecs.ts";
import type { ClientFrame, ClientJob } from "../../src/decoder/file-client.ts";
import { FrameRunner } from "../../src/decoder/file-decoder.ts";
import { VP8 } from "../../src/vp8/codec.ts";
import { VP9 } from "../../src/vp9/codec.ts";
import { writeVp9Frame } from "../../src/vp9/v4l2-vp9.ts";
import { ffmpegFrameMd5s, streamFile, type VpxRecipe } from "../lib/streams.ts";

const KEY_EVERY = 8;
const BAD = 3;
const recipe = (codec: "vp8" | "vp9"): VpxRecipe => ({
  name: `bad-input-${codec}-352x288`,
  codec,
  encoder: "vpxenc",
  size: "352x288",
  frames: 16,
  args: [
    ...["--good", "--cpu-used=4", "--auto-alt-ref=0", "--lag-in-frames=0"],
    ...[`--kf-max-dist=${KEY_EVERY}`, `--kf-min-dist=${KEY_EVERY}`],
  ],
});

type Damage = (job: ClientJob) => ClientJob;
const CASES: [string, Damage][] = [
  [
    "truncated to a quarter",
    (j) => ({ ...j, bitstream: j.bitstream.subarray(0, j.bitstream.length >> 2) }),
  ],
  ["random bytes", (j) => {
    let x = 12345;
    const b = j.bitstream.map(() => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
    return { ...j, bitstream: b };
  }],
  ["empty", (j) => ({ ...j, bitstream: new Uint8Array(0) })],
  ["no FRAME control", (j) => ({ ...j, ctrls: new Map() })],
  ["a FRAME control of another size", (j) => {
    const ctrls = new Map(j.ctrls);
    const [id] = [...j.ctrls.keys()];
    if (j.ctrls.size === 2) {
      ctrls.set(
        id,
        writeVp9Frame({
          flags: 0x183,
          width: 176,
          height: 144,
          profile: 0,
          bitDepth: 8,
          uncompressedHeaderSize: 0,
          compressedHeaderSize: 0,
        }),
      );
    } else {
      const p = j.ctrls.get(id)!.slice();
      new DataView(p.buffer).setUint16(1148, 176, true); // VP8_FRAME.width
      ctrls.set(id, p);
    }
    return { ...j, ctrls };
  }],
];

async function frames(codec: Codec, r: VpxRecipe): Promise<ClientFrame[]> {
  return codec.stateless!.frames(await Deno.readFile(await streamFile(r)), {
    mode: "frame",
    startCode: "annexb",
  });
}

for (const codec of [VP8, VP9]) {
  for (const [what, damage] of CASES) {
    Deno.test(`bad input (${codec.name}): ${what} → that job fails, the next key frame decodes`, async () => {
      const r = recipe(codec.name as "vp8" | "vp9");
      const expected = await ffmpegFrameMd5s(await streamFile(r), "nv12");
      const list = await frames(codec, r);
      assert.equal(list.length, r.frames);
      const runner = new FrameRunner(libav(), codec, { pixFmt: "nv12", md5: true });
      try {
        for (let i = 0; i < list.length; i++) {
          const f = list[i];
          const res = i === BAD ? runner.run(f, i, [damage(f.jobs[0])]) : runner.run(f, i);
          if (i === BAD) {
            assert.equal(res.ok, false, "the damaged job must fail");
            if (!res.ok) assert.ok(res.status < 0 && res.message.length > 0, res.message);
          } else if (i < BAD || i >= KEY_EVERY) {
            assert.ok(res.ok, `frame ${i}: ${res.ok ? "" : res.message}`);
            if (res.ok) assert.equal(res.md5, expected[i], `frame ${i}`);
          }
        }
      } finally {
        runner.close();
      }
    });
  }
}

Deno.test("a 10-bit VP9 picture for an 8-bit CAPTURE format fails its job", async () => {
  const r: VpxRecipe = {
    name: "bad-input-vp9-10bit-176x144",
    codec: "vp9",
    encoder: "vpxenc",
    size: "176x144",
    frames: 2,
    tenBit: true,
    args: ["--good", "--cpu-used=4"],
  };
  const [first] = await frames(VP9, r);
  const runner = new FrameRunner(libav(), VP9, { pixFmt: "nv12", md5: false });
  try {
    assert.ok(runner.run(first, 0).ok, "as P010");
    const res = runner.run({ ...first, bitDepth: 8 }, 0);
    assert.equal(res.ok, false);
    if (!res.ok) assert.match(res.message, /cannot go to NV12/);
  } finally {
    runner.close();
  }
});
