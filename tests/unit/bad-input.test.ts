// Bad input fails its own job with a negative errno, never the process, and the decoder
// recovers at the next IDR: every frame from there on equals ffmpeg's decode.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { FrameRunner } from "../../src/decoder/file-decoder.ts";
import type { ClientJob } from "../../src/decoder/file-client.ts";
import { type DecodeModeName, streamToFrames } from "../../src/h264/client.ts";
import { H264 } from "../../src/h264/codec.ts";
import {
  readPps,
  readSps,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_SPS,
  writePps,
  writeSps,
} from "../../src/h264/v4l2-h264.ts";
import { ffmpegFrameMd5s, streamFile, type StreamRecipe } from "./helpers/streams.ts";

const IDR_EVERY = 6;
const RECIPE: StreamRecipe = {
  name: "idr6-cabac-640x360",
  size: "640x360",
  frames: 18,
  x264: ["-bf", "0", "-g", String(IDR_EVERY), "-keyint_min", String(IDR_EVERY)],
};
const BAD = 2; // a P frame between two IDRs

/** Deterministic pseudo-random bytes. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function withCtrl(job: ClientJob, id: number, payload: Uint8Array): ClientJob {
  const ctrls = new Map(job.ctrls);
  ctrls.set(id, payload);
  return { ...job, ctrls };
}

type Damage = (jobs: ClientJob[]) => ClientJob[];

const CASES: [string, Damage][] = [
  ["truncated slice", (jobs) =>
    jobs.map((j) => ({
      ...j,
      bitstream: j.bitstream.slice(0, Math.floor(j.bitstream.length * 0.4)),
    }))],
  ["corrupted slice data", (jobs) =>
    jobs.map((j) => {
      const b = j.bitstream.slice();
      const from = Math.floor(b.length * 0.3);
      b.set(noise(b.length - from, 7).map((v) => v | 1), from); // no new start codes
      return { ...j, bitstream: b };
    })],
  ["garbage instead of a slice", (jobs) => jobs.map((j) => ({ ...j, bitstream: noise(4096, 3) }))],
  ["empty OUTPUT buffer", (jobs) => jobs.map((j) => ({ ...j, bitstream: new Uint8Array(0) }))],
  ["SPS with a 80000-pixel width", (jobs) =>
    jobs.map((j) => {
      const sps = readSps(j.ctrls.get(V4L2_CID_STATELESS_H264_SPS)!);
      return withCtrl(
        j,
        V4L2_CID_STATELESS_H264_SPS,
        writeSps({ ...sps, pic_width_in_mbs_minus1: 5000 }),
      );
    })],
  ["SPS with log2_max_frame_num_minus4 = 40", (jobs) =>
    jobs.map((j) => {
      const sps = readSps(j.ctrls.get(V4L2_CID_STATELESS_H264_SPS)!);
      return withCtrl(
        j,
        V4L2_CID_STATELESS_H264_SPS,
        writeSps({ ...sps, log2_max_frame_num_minus4: 40 }),
      );
    })],
  ["SPS with chroma_format_idc = 7", (jobs) =>
    jobs.map((j) => {
      const sps = readSps(j.ctrls.get(V4L2_CID_STATELESS_H264_SPS)!);
      return withCtrl(j, V4L2_CID_STATELESS_H264_SPS, writeSps({ ...sps, chroma_format_idc: 7 }));
    })],
  ["PPS with 4 slice groups", (jobs) =>
    jobs.map((j) => {
      const pps = readPps(j.ctrls.get(V4L2_CID_STATELESS_H264_PPS)!);
      return withCtrl(
        j,
        V4L2_CID_STATELESS_H264_PPS,
        writePps({ ...pps, num_slice_groups_minus1: 3 }),
      );
    })],
  ["PPS with pic_init_qp_minus26 = 100", (jobs) =>
    jobs.map((j) => {
      const pps = readPps(j.ctrls.get(V4L2_CID_STATELESS_H264_PPS)!);
      return withCtrl(
        j,
        V4L2_CID_STATELESS_H264_PPS,
        writePps({ ...pps, pic_init_qp_minus26: 100 }),
      );
    })],
  ["PPS naming another SPS", (jobs) =>
    jobs.map((j) => {
      const pps = readPps(j.ctrls.get(V4L2_CID_STATELESS_H264_PPS)!);
      return withCtrl(
        j,
        V4L2_CID_STATELESS_H264_PPS,
        writePps({ ...pps, seq_parameter_set_id: 9 }),
      );
    })],
  [
    "truncated SPS control payload",
    (jobs) =>
      jobs.map((j) =>
        withCtrl(
          j,
          V4L2_CID_STATELESS_H264_SPS,
          j.ctrls.get(V4L2_CID_STATELESS_H264_SPS)!.slice(0, 100),
        )
      ),
  ],
  ["no SPS control", (jobs) =>
    jobs.map((j) => {
      const ctrls = new Map(j.ctrls);
      ctrls.delete(V4L2_CID_STATELESS_H264_SPS);
      return { ...j, ctrls };
    })],
];

for (const mode of ["frame", "slice"] as DecodeModeName[]) {
  for (const [what, damage] of CASES) {
    Deno.test(`bad input (${mode}-based): ${what} → that job fails, the next IDR decodes`, async () => {
      const file = await streamFile(RECIPE);
      const expected = await ffmpegFrameMd5s(file, "nv12");
      const frames = streamToFrames(await Deno.readFile(file), { mode, startCode: "annexb" });
      assert.equal(frames.length, RECIPE.frames);
      const runner = new FrameRunner(libav(), H264, { pixFmt: "nv12", md5: true });
      try {
        for (let i = 0; i < frames.length; i++) {
          const r = i === BAD
            ? runner.run(frames[i], i, damage(frames[i].jobs))
            : runner.run(frames[i], i);
          if (i === BAD) {
            assert.equal(r.ok, false, "the damaged job must fail");
            if (!r.ok) assert.ok(r.status < 0 && r.message.length > 0);
          } else if (i < BAD || i >= IDR_EVERY) {
            assert.ok(r.ok, `frame ${i}: ${r.ok ? "" : r.message}`);
            if (r.ok) assert.equal(r.md5, expected[i], `frame ${i}`);
          }
        }
      } finally {
        runner.close();
      }
    });
  }
}

Deno.test("a CAPTURE buffer too small for the picture fails the job", async () => {
  const file = await streamFile(RECIPE);
  const frames = streamToFrames(await Deno.readFile(file), { mode: "frame", startCode: "annexb" });
  const runner = new FrameRunner(libav(), H264, { pixFmt: "nv12", md5: false });
  try {
    const small = { ...frames[0], width: 320, height: 180 };
    const r = runner.run(small, 0);
    assert.equal(r.ok, false);
    assert.ok(runner.run(frames[0], 0).ok);
  } finally {
    runner.close();
  }
});
