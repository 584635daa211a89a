// Pictures the device does not decode, or the CAPTURE format cannot hold, fail their job in the
// daemon itself, whatever the kernel lets through (the file client, other front doors): 12-bit,
// 4:2:2 and 4:4:4 AV1 and VP9, H.264 High 10 and 4:2:2, and pictures of another bit depth than
// the CAPTURE format's. Every job fails with ENOTSUP before anything is written: the CAPTURE
// buffer stays as it was (zero).
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { ENOTSUP } from "../../ffi/libc.ts";
import { type Codec, CODECS } from "../../src/codecs.ts";
import type { ClientFrame } from "../../src/decoder/file-client.ts";
import { FrameRunner } from "../../src/decoder/file-decoder.ts";
import { type Av1Recipe, type H264Recipe, streamFile, type VpxRecipe } from "../lib/streams.ts";
import { AV1_MATRIX } from "../lib/av1-matrix.ts";
import { VP9_MATRIX } from "../lib/vpx-matrix.ts";

const codec = (name: string) => CODECS.find((c) => c.name === name)!;

const AV1_REFUSED: Av1Recipe[] = [
  // profile 2 (professional): dav1d decodes it at 12 bits, P010 holds 10
  ["yuv420p12le", "12bit"],
  // profile 1 (high)
  ["yuv444p", "444"],
  // profile 2, 10-bit 4:2:2
  ["yuv422p10le", "422-10bit"],
].map(([pixFmt, what]) => ({
  name: `av1-aom-${what}-176x144`,
  codec: "av1",
  encoder: "libaom-av1",
  size: "176x144",
  frames: 3,
  pixFmt,
  args: ["-cpu-used", "8"],
}));

const VP9_REFUSED: VpxRecipe[] = [
  ["yuv444p", "profile1-444"],
  ["yuv420p12le", "profile3-12bit"],
].map(([pixFmt, what]) => ({
  name: `vp9-${what}-176x144`,
  codec: "vp9",
  encoder: "ffmpeg",
  size: "176x144",
  frames: 3,
  pixFmt,
  args: ["-deadline", "realtime", "-cpu-used", "8"],
}));

const H264_REFUSED: H264Recipe[] = [
  ["yuv420p10le", "high10", "10bit"],
  ["yuv422p", "high422", "422"],
].map(([pixFmt, profile, what]) => ({
  name: `h264-${what}-176x144`,
  codec: "h264",
  size: "176x144",
  frames: 3,
  args: ["-pix_fmt", pixFmt, "-profile:v", profile],
}));

/**
 * Runs every frame of `file` through the file client's jobs (frames changed by `edit`); asserts
 * every job fails with ENOTSUP, saying what was decoded (`decoded`) and why it cannot be written
 * (`reason`), and that nothing reaches the CAPTURE buffer.
 */
async function assertRefused(
  c: Codec,
  file: string,
  decoded: RegExp,
  reason: RegExp,
  edit: (f: ClientFrame) => ClientFrame = (f) => f,
): Promise<void> {
  const frames = c.stateless!.frames(await Deno.readFile(file), {
    mode: "frame",
    startCode: "annexb",
  }).filter((f) => f.repeatOf === undefined).map(edit);
  assert.ok(frames.length >= 3, `${frames.length} frames`);
  const runner = new FrameRunner(libav(), c, { pixFmt: "nv12", md5: true });
  try {
    for (const [i, f] of frames.entries()) {
      const r = runner.run(f, i);
      assert.ok(!r.ok, `frame ${i} decoded`);
      assert.ok(runner.lastCapture().every((b) => b === 0), `frame ${i}: CAPTURE written`);
      assert.equal(r.status, -ENOTSUP, r.message);
      assert.match(r.message, decoded);
      assert.match(r.message, reason);
    }
  } finally {
    runner.close();
  }
}

/** A picture of a depth or chroma format the codec does not decode on the device. */
const NOT_THE_CODECS = /not a bit depth and chroma format this codec decodes \(/;

/** What the daemon says it was given: the sequence (AV1), the SPS (H.264), libav's picture (VP9). */
const DECODED: Record<string, RegExp> = {
  "av1-aom-12bit-176x144": /^sequence 12-bit 4:2:0:/,
  "av1-aom-444-176x144": /^sequence 8-bit 4:4:4:/,
  "av1-aom-422-10bit-176x144": /^sequence 10-bit 4:2:2:/,
  "vp9-profile1-444-176x144": /^decoded yuv444p:/,
  "vp9-profile3-12bit-176x144": /^decoded yuv420p12le:/,
  "h264-10bit-176x144": /^SPS 10-bit 4:2:0:/,
  "h264-422-176x144": /^SPS 8-bit 4:2:2:/,
};

for (const r of [...AV1_REFUSED, ...VP9_REFUSED, ...H264_REFUSED]) {
  Deno.test(`${r.name}: every job fails, nothing written`, async () => {
    await assertRefused(codec(r.codec), await streamFile(r), DECODED[r.name], NOT_THE_CODECS);
  });
}

// A CAPTURE format of the other bit depth than the picture's (a client that set the wrong one):
// 8-bit pictures do not go to P010, 10-bit ones not to NV12.
for (
  const [c, file, depth, decoded] of [
    [
      "vp9",
      () => streamFile(VP9_MATRIX.find((r) => r.name === "vp9-plain-352x288")!),
      10,
      /^decoded yuv420p /,
    ],
    [
      "vp9",
      () => streamFile(VP9_MATRIX.find((r) => r.name === "vp9-profile2-10bit-640x360")!),
      8,
      /^decoded yuv420p10le /,
    ],
    [
      "av1",
      () => streamFile(AV1_MATRIX.find((r) => r.name === "av1-aom-altref-tiles-352x288")!),
      10,
      /^sequence 8-bit 4:2:0 /,
    ],
    [
      "av1",
      () => streamFile(AV1_MATRIX.find((r) => r.name === "av1-aom-10bit-352x288")!),
      8,
      /^sequence 10-bit 4:2:0 /,
    ],
  ] as const
) {
  Deno.test(`${c}: pictures into a ${depth}-bit CAPTURE format of the wrong depth fail`, async () => {
    await assertRefused(
      codec(c),
      await file(),
      decoded,
      /cannot go to (NV12|P010), which holds (8|10)-bit 4:2:0 pictures/,
      (f) => ({ ...f, bitDepth: depth }),
    );
  });
}

// The failure's text is built only for a picture that fails: a written picture asks libavutil
// nothing for it (av_get_pix_fmt_name, an FFI call per picture before), a refused one still
// names libav's format.
Deno.test("vp9: libav's pixel format name is asked for refused pictures only", async () => {
  const av = libav();
  let named = 0;
  const counting = {
    ...av,
    avutil: new Proxy(av.avutil, {
      get(target, key, receiver) {
        if (key === "av_get_pix_fmt_name") named++;
        return Reflect.get(target, key, receiver);
      },
    }),
  };
  const decode = async (file: string) => {
    const frames = codec("vp9").stateless!.frames(await Deno.readFile(file), {
      mode: "frame",
      startCode: "annexb",
    }).filter((f) => f.repeatOf === undefined);
    const runner = new FrameRunner(counting, codec("vp9"), { pixFmt: "nv12", md5: true });
    try {
      return frames.map((f, i) => runner.run(f, i));
    } finally {
      runner.close();
    }
  };
  const written = await decode(
    await streamFile(VP9_MATRIX.find((r) => r.name === "vp9-plain-352x288")!),
  );
  assert.ok(written.length >= 3 && written.every((r) => r.ok), "the plain stream decodes");
  assert.equal(named, 0, `${written.length} pictures written`);
  const refused = await decode(await streamFile(VP9_REFUSED[0]));
  assert.ok(
    refused.length >= 3 && refused.every((r) => !r.ok && /^decoded yuv444p:/.test(r.message)),
  );
  assert.equal(named, refused.length, `${refused.length} pictures refused`);
});
