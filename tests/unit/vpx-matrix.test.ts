// Bit-exactness of the decoding core over the VP8 and VP9 streams: every displayed frame, in
// every CAPTURE format its bit depth allows, equals ffmpeg's own decode (framemd5). Hidden
// frames are decoded into their own CAPTURE buffers and never displayed, as clients do.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { FrameRunner } from "../../src/decoder/file-decoder.ts";
import { VP9 } from "../../src/vp9/codec.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import { splitSuperframe, vp9FileFrames } from "../../src/vp9/file-client.ts";
import {
  readVp9Frame,
  V4L2_CID_STATELESS_VP9_FRAME,
  VP9_FRAME_FLAG_KEY_FRAME,
} from "../../src/vp9/v4l2-vp9.ts";
import { asIvf, ffmpegFrameMd5s, frameSizes, streamFile } from "../lib/streams.ts";
import { decodeMd5s } from "../lib/decode.ts";
import { VP8_MATRIX, VP9_MATRIX, VPX_DEFAULTS } from "../lib/vpx-matrix.ts";

for (const recipe of [...VP9_MATRIX, ...VP8_MATRIX, ...VPX_DEFAULTS]) {
  const formats = recipe.tenBit ? ["p010le"] as const : ["nv12", "yuv420p"] as const;
  for (const pixFmt of formats) {
    // libavcodec's slice threads (VP9 tile columns) must change nothing; VP8 decodes on one
    const threads = recipe.codec === "vp9" && pixFmt !== "nv12" ? 3 : 1;
    Deno.test(`bit-exact ${recipe.name} ${pixFmt}, ${threads} thread(s)`, async () => {
      const file = await asIvf(await streamFile(recipe));
      const expected = await ffmpegFrameMd5s(file, pixFmt);
      const r = decodeMd5s(await Deno.readFile(file), pixFmt, { threads });
      assert.equal(r.codec.name, recipe.codec);
      assert.deepEqual(r.failed, []);
      // every encoded frame displayed once, plus the ones shown again
      assert.ok(r.md5s.length >= recipe.frames, `${r.md5s.length} frames displayed`);
      assert.deepEqual(r.md5s, expected);
    });
  }
}

// The features the matrix claims are really in its streams.
Deno.test("the VP9 matrix has hidden frames in superframes, frames shown again, frames of several sizes", async () => {
  const altref = VP9_MATRIX.find((r) => r.name === "vp9-altref-640x360")!;
  const packets = ivfFrames(await Deno.readFile(await streamFile(altref)));
  assert.ok(packets.some((p) => splitSuperframe(p.data).length > 1), "no superframe");
  assert.ok(vp9FileFrames(packets).some((f) => f.hidden), "no hidden frame");
  const shown = VP9_MATRIX.find((r) => r.showExisting)!;
  const again = vp9FileFrames(ivfFrames(await Deno.readFile(await streamFile(shown))));
  assert.ok(again.some((f) => f.repeatOf !== undefined), "no show_existing_frame");
  const resize = VP9_MATRIX.find((r) => r.name === "vp9-dynamic-resize-640x360")!;
  const frames = vp9FileFrames(ivfFrames(await Deno.readFile(await streamFile(resize))));
  const sizes = new Set(frames.map((f) => `${f.width - f.crop.right}x${f.height - f.crop.bottom}`));
  assert.ok(sizes.size >= 2, `one size only: ${[...sizes]}`);
  // one key frame: the other sizes are inter frames predicting from references of another size
  const keyFrames = frames.filter((f) =>
    readVp9Frame(f.jobs[0].ctrls.get(V4L2_CID_STATELESS_VP9_FRAME)!).flags &
    VP9_FRAME_FLAG_KEY_FRAME
  );
  assert.equal(keyFrames.length, 1);
});

// Odd sizes really are odd in the streams (testsrc2 alone rounds 351x287 down to 350x286): VP8,
// VP9 profile 0 and VP9 profile 2 (10-bit, P010) at an odd width and height; and the encoders'
// defaults: vpxenc's for VP8 and VP9, ffmpeg's libvpx-vp9.
Deno.test("the VP8/VP9 odd-size streams code odd widths and heights", async () => {
  const odd = [
    ...[...VP9_MATRIX, ...VP8_MATRIX].filter((r) => r.name.includes("-odd-")),
    ...VPX_DEFAULTS.filter((r) => r.size === "351x287"),
  ];
  assert.deepEqual(odd.map((r) => `${r.codec} ${r.encoder}${r.tenBit ? " 10-bit" : ""}`), [
    "vp9 vpxenc",
    "vp9 ffmpeg 10-bit",
    "vp8 vpxenc",
    "vp8 vpxenc",
    "vp9 vpxenc",
    "vp9 ffmpeg",
  ]);
  for (const r of odd) {
    const sizes = new Set(
      (await frameSizes(await streamFile(r))).map((s) => `${s.width}x${s.height}`),
    );
    assert.deepEqual([...sizes], ["351x287"], r.name);
  }
});

// P010 holds libavcodec's 10-bit samples shifted into the high bits, nothing else: the daemon's
// P010 pictures against ffmpeg's own yuv420p10le decode, sample by sample.
Deno.test("10-bit VP9 goes to P010 as libavcodec's samples << 6", async () => {
  const recipe = VP9_MATRIX.find((r) => r.name === "vp9-profile2-10bit-640x360")!;
  const file = await streamFile(recipe);
  const [w, h] = recipe.size.split("x").map(Number);
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-v",
      "error",
      "-i",
      file,
      "-frames:v",
      "2",
      "-f",
      "rawvideo",
      "-pix_fmt",
      "yuv420p10le",
      "-",
    ],
    stdout: "piped",
  }).output();
  const ref = new Uint16Array(out.stdout.buffer, 0, out.stdout.byteLength / 2);
  const frames = VP9.stateless!.frames(await Deno.readFile(file), {
    mode: "frame",
    startCode: "annexb",
  });
  const shown = frames.filter((f) => !f.hidden).slice(0, 2);
  const runner = new FrameRunner(libav(), VP9, { pixFmt: "nv12", md5: false });
  try {
    let k = 0;
    for (const [i, f] of frames.entries()) {
      const r = runner.run(f, i);
      assert.ok(r.ok);
      if (!shown.includes(f)) continue;
      const p010 = new Uint16Array(runner.lastCapture().buffer, 0, w * h * 3 / 2);
      const base = k++ * w * h * 3 / 2;
      const y = w * h;
      for (let j = 0; j < y; j++) assert.equal(p010[j], ref[base + j] << 6, `Y ${j}`);
      for (let j = 0; j < y / 4; j++) {
        assert.equal(p010[y + 2 * j], ref[base + y + j] << 6, `Cb ${j}`);
        assert.equal(p010[y + 2 * j + 1], ref[base + y + y / 4 + j] << 6, `Cr ${j}`);
      }
      if (k === shown.length) break;
    }
  } finally {
    runner.close();
  }
});
