// Bad input fails its own job with a negative errno, never the process, and the decoder
// recovers at the next IDR: every frame from there on equals ffmpeg's decode.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { FrameRunner } from "../../src/decoder/file-decoder.ts";
import type { ClientJob } from "../../src/decoder/file-client.ts";
import { type DecodeModeName, streamToFrames } from "../../src/h264/client.ts";
import { H264 } from "../../src/h264/codec.ts";
import { EINVAL } from "../../ffi/libc.ts";
import {
  type H264Pps,
  type H264Sps,
  readPps,
  readSps,
  SPS_FLAG_DIRECT_8X8_INFERENCE,
  SPS_FLAG_FRAME_MBS_ONLY,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_SPS,
  writePps,
  writeSps,
} from "../../src/h264/v4l2-h264.ts";
import { ffmpegFrameMd5s, type H264Recipe, streamFile } from "../lib/streams.ts";

const IDR_EVERY = 6;
const RECIPE: H264Recipe = {
  name: "idr6-cabac-640x360",
  codec: "h264",
  size: "640x360",
  frames: 18,
  args: ["-bf", "0", "-g", String(IDR_EVERY), "-keyint_min", String(IDR_EVERY)],
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

/** Every job with its SPS (or PPS) control's fields changed by `change`. */
function spsChange(change: (sps: H264Sps) => Partial<H264Sps>): Damage {
  return (jobs) =>
    jobs.map((j) => {
      const sps = readSps(j.ctrls.get(V4L2_CID_STATELESS_H264_SPS)!);
      return withCtrl(j, V4L2_CID_STATELESS_H264_SPS, writeSps({ ...sps, ...change(sps) }));
    });
}

function ppsChange(change: Partial<H264Pps>): Damage {
  return (jobs) =>
    jobs.map((j) => {
      const pps = readPps(j.ctrls.get(V4L2_CID_STATELESS_H264_PPS)!);
      return withCtrl(j, V4L2_CID_STATELESS_H264_PPS, writePps({ ...pps, ...change }));
    });
}

const S32_MIN = -(2 ** 31);
/** The stream's High profile SPS as Main profile (which codes 4:2:0 8-bit only). */
const MAIN = 77;

/**
 * Parameter set values out of the H.264 syntax's range (7.4.2.1.1, 7.4.2.2): the daemon refuses
 * each before it writes a parameter set (the failure names the field), never handing libavcodec
 * a stream its controls did not describe.
 */
const OUT_OF_RANGE: [string, Damage][] = [
  ["log2_max_frame_num_minus4", spsChange(() => ({ log2_max_frame_num_minus4: 13 }))],
  ["pic_order_cnt_type", spsChange(() => ({ pic_order_cnt_type: 3 }))],
  [
    "log2_max_pic_order_cnt_lsb_minus4",
    spsChange(() => ({
      pic_order_cnt_type: 0,
      log2_max_pic_order_cnt_lsb_minus4: 13,
    })),
  ],
  [
    "offset_for_non_ref_pic",
    spsChange(() => ({
      pic_order_cnt_type: 1,
      offset_for_non_ref_pic: S32_MIN,
    })),
  ],
  [
    "offset_for_top_to_bottom_field",
    spsChange(() => ({
      pic_order_cnt_type: 1,
      offset_for_top_to_bottom_field: S32_MIN,
    })),
  ],
  [
    "offset_for_ref_frame[1]",
    spsChange((s) => ({
      pic_order_cnt_type: 1,
      num_ref_frames_in_pic_order_cnt_cycle: 2,
      offset_for_ref_frame: s.offset_for_ref_frame.map((_, i) => (i === 1 ? S32_MIN : 2)),
    })),
  ],
  ["max_num_ref_frames", spsChange(() => ({ max_num_ref_frames: 17 }))],
  ["pic_height_in_map_units_minus1", spsChange(() => ({ pic_height_in_map_units_minus1: 1024 }))],
  ["bit_depth_luma_minus8", spsChange(() => ({ bit_depth_luma_minus8: 7 }))],
  ["bit_depth_chroma_minus8", spsChange(() => ({ bit_depth_chroma_minus8: 200 }))],
  [
    "seq_parameter_set_id",
    (jobs) =>
      ppsChange({ seq_parameter_set_id: 32 })(
        spsChange(() => ({ seq_parameter_set_id: 32 }))(jobs),
      ),
  ],
  [
    "profile_idc 77 codes 4:2:0 8-bit only (chroma_format_idc 0",
    spsChange(() => ({
      profile_idc: MAIN,
      chroma_format_idc: 0,
    })),
  ],
  [
    "profile_idc 77 codes 4:2:0 8-bit only (chroma_format_idc 1, bit depths 10",
    spsChange(() => ({
      profile_idc: MAIN,
      bit_depth_luma_minus8: 2,
    })),
  ],
  [
    "direct_8x8_inference_flag",
    spsChange((s) => ({
      flags: s.flags & ~(SPS_FLAG_FRAME_MBS_ONLY | SPS_FLAG_DIRECT_8X8_INFERENCE),
    })),
  ],
  ["num_ref_idx_l0_default_active_minus1", ppsChange({ num_ref_idx_l0_default_active_minus1: 32 })],
  ["num_ref_idx_l1_default_active_minus1", ppsChange({ num_ref_idx_l1_default_active_minus1: 40 })],
  ["weighted_bipred_idc", ppsChange({ weighted_bipred_idc: 3 })],
  ["pic_init_qp_minus26", ppsChange({ pic_init_qp_minus26: -27 })],
  ["pic_init_qs_minus26", ppsChange({ pic_init_qs_minus26: 26 })],
  ["second_chroma_qp_index_offset", ppsChange({ second_chroma_qp_index_offset: -13 })],
  ["chroma_qp_index_offset", ppsChange({ chroma_qp_index_offset: 13 })],
];

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

for (const [field, damage] of OUT_OF_RANGE) {
  Deno.test(`bad input: ${field} out of range → that job fails naming it, the next IDR decodes`, async () => {
    const file = await streamFile(RECIPE);
    const expected = await ffmpegFrameMd5s(file, "nv12");
    const frames = streamToFrames(await Deno.readFile(file), {
      mode: "frame",
      startCode: "annexb",
    });
    const runner = new FrameRunner(libav(), H264, { pixFmt: "nv12", md5: true });
    try {
      for (let i = 0; i < frames.length; i++) {
        if (i > BAD && i < IDR_EVERY) continue;
        const r = i === BAD
          ? runner.run(frames[i], i, damage(frames[i].jobs))
          : runner.run(frames[i], i);
        if (i === BAD) {
          assert.equal(r.ok, false, "the job must fail");
          if (!r.ok) {
            assert.equal(r.status, -EINVAL);
            assert.ok(r.message.includes(field), r.message);
          }
        } else {
          assert.ok(r.ok, `frame ${i}: ${r.ok ? "" : r.message}`);
          if (r.ok) assert.equal(r.md5, expected[i], `frame ${i}`);
        }
      }
    } finally {
      runner.close();
    }
  });
}

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
