/**
 * Damaged AV1 requests and how one decoder context takes them (tests/unit/bad-input-av1.test.ts):
 * each damage changes one job; the runner returns every frame's outcome. Shared with the worker
 * (bad-input-av1-worker.ts) that runs the damages which could hang a decode thread.
 */
import { libav } from "../../../ffi/libav.ts";
import { AV1 } from "../../../src/av1/codec.ts";
import {
  type Av1FilmGrainCtrl,
  type Av1FrameCtrl,
  type Av1SequenceCtrl,
  readFilmGrain,
  readFrame,
  readSequence,
  readTileGroupEntries,
  SEQ_FLAG,
  V4L2_CID_STATELESS_AV1_FILM_GRAIN,
  V4L2_CID_STATELESS_AV1_FRAME,
  V4L2_CID_STATELESS_AV1_SEQUENCE,
  V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
  writeFilmGrain,
  writeFrame,
  writeSequence,
  writeTileGroupEntries,
} from "../../../src/av1/v4l2-av1.ts";
import type { ClientJob } from "../../../src/decoder/file-client.ts";
import { FrameRunner } from "../../../src/decoder/file-decoder.ts";
import type { Av1Recipe } from "../../lib/streams.ts";

/** One changed job. */
export type Damage = (j: ClientJob) => ClientJob;

/** A frame's outcome: its picture's MD5, or the failed job's status and message. */
export type Outcome = { ok: true; md5?: string } | { ok: false; status: number; message: string };

/** 176x144 (3x3 superblocks of 64), a key frame every 4 frames, no hidden frames. */
export const SMALL: Av1Recipe = {
  name: "bad-input-av1-176x144",
  codec: "av1",
  encoder: "libaom-av1",
  size: "176x144",
  frames: 8,
  args: ["-cpu-used", "8", "-lag-in-frames", "0", "-g", "4", "-keyint_min", "4"],
};
export const SMALL_KEY_EVERY = 4;

const withCtrl = (id: number, change: (p: Uint8Array) => Uint8Array): Damage => (j) => {
  const ctrls = new Map(j.ctrls);
  ctrls.set(id, change(ctrls.get(id)!));
  return { ...j, ctrls };
};

/** The job with its FRAME control changed by `change`. */
export const withFrame = (change: (f: Av1FrameCtrl) => void): Damage =>
  withCtrl(V4L2_CID_STATELESS_AV1_FRAME, (p) => {
    const f = readFrame(p);
    change(f);
    return writeFrame(f);
  });

/** The job with its FILM_GRAIN control changed (grain applied, with valid defaults first). */
const withGrain = (change: (g: Av1FilmGrainCtrl) => void): Damage =>
  withCtrl(V4L2_CID_STATELESS_AV1_FILM_GRAIN, (p) => {
    const g = readFilmGrain(p);
    g.flags |= 1; // APPLY_GRAIN
    g.pointYValue = [0, 255];
    g.pointYScaling = [32, 32];
    change(g);
    return writeFilmGrain(g);
  });

const withSequence = (change: (s: Av1SequenceCtrl) => void): Damage =>
  withCtrl(V4L2_CID_STATELESS_AV1_SEQUENCE, (p) => {
    const s = readSequence(p);
    change(s);
    return writeSequence(s);
  });

/** Non-uniform tile spacing: `widths` and `heights` in superblocks. */
const tiles = (widths: number[], heights: number[]) => (f: Av1FrameCtrl) => {
  f.tile.flags = 0;
  f.tile.cols = widths.length;
  f.tile.rows = heights.length;
  f.tile.widthInSbsMinus1 = widths.map((w) => w - 1);
  f.tile.heightInSbsMinus1 = heights.map((h) => h - 1);
};

/**
 * Out-of-range values, one field each, for an inter frame of SMALL: each must fail its job with
 * a message naming the field. The first used to freeze a decode thread (issue 22): five tile rows
 * (non-uniform spacing) in a frame of three superblock rows.
 */
export const OUT_OF_RANGE: { field: string; damage: Damage }[] = [
  { field: "tile_info.height_in_sbs_minus_1", damage: withFrame(tiles([3], [1, 1, 1, 1, 1])) },
  { field: "tile_info.width_in_sbs_minus_1", damage: withFrame(tiles([3, 1], [3])) },
  { field: "tile_info.width_in_sbs_minus_1", damage: withFrame(tiles([1, 1], [3])) },
  { field: "tile_info.height_in_sbs_minus_1", damage: withFrame(tiles([3], [2])) },
  {
    field: "tile_info.tile_cols",
    damage: withFrame((f) => {
      tiles(new Array(65).fill(1), [3])(f);
    }),
  },
  { field: "tile_info.tile_rows", damage: withFrame(tiles([3], [])) },
  { field: "tile_info.tile_cols", damage: withFrame((f) => (f.tile.cols = 4)) }, // uniform: 1..3
  { field: "tile_info.tile_rows", damage: withFrame((f) => (f.tile.rows = 0)) },
  {
    field: "tile_info.context_update_tile_id",
    damage: withFrame((f) => (f.tile.contextUpdateTileId = 1)),
  },
  { field: "frame_type", damage: withFrame((f) => (f.frameType = 4)) },
  { field: "order_hint", damage: withFrame((f) => (f.orderHint = 1 << 7)) },
  { field: "primary_ref_frame", damage: withFrame((f) => (f.primaryRefFrame = 8)) },
  { field: "ref_frame_idx", damage: withFrame((f) => (f.refFrameIdx[3] = 8)) },
  { field: "ref_frame_idx", damage: withFrame((f) => (f.refFrameIdx[0] = -1)) },
  {
    field: "superres_denom",
    damage: withFrame((f) => ((f.flags |= 0x80), (f.superresDenom = 17))),
  },
  { field: "superres_denom", damage: withFrame((f) => ((f.flags |= 0x80), (f.superresDenom = 8))) },
  { field: "upscaled_width", damage: withFrame((f) => (f.upscaledWidth = 65537)) },
  {
    field: "is larger than the CAPTURE buffers",
    damage: withFrame((f) => {
      f.frameWidthMinus1 = 8191;
      f.upscaledWidth = 8192;
      f.frameHeightMinus1 = 8191;
    }),
  },
  { field: "frame_height_minus_1", damage: withFrame((f) => (f.frameHeightMinus1 = 65536)) },
  { field: "interpolation_filter", damage: withFrame((f) => (f.interpolationFilter = 5)) },
  { field: "tx_mode", damage: withFrame((f) => (f.txMode = 3)) },
  { field: "quantization.delta_q_y_dc", damage: withFrame((f) => (f.quant.deltaQYDc = 64)) },
  { field: "quantization.delta_q_u_ac", damage: withFrame((f) => (f.quant.deltaQUAc = -65)) },
  {
    field: "quantization.qm_y",
    damage: withFrame((f) => ((f.quant.flags |= 0x2), (f.quant.qmY = 16))),
  },
  {
    field: "quantization.delta_q_res",
    damage: withFrame((f) => ((f.quant.flags |= 0x4), (f.quant.deltaQRes = 4))),
  },
  ...([[0, 256], [0, -256], [1, 64], [4, -64], [5, 8]] as const).map(([feature, value]) => ({
    field: `segmentation.feature_data[0][${feature}]`,
    damage: withFrame((f) => {
      f.seg.flags |= 1;
      f.seg.featureEnabled[0] = 1 << feature;
      f.seg.featureData[0][feature] = value;
    }),
  })),
  { field: "loop_filter.level", damage: withFrame((f) => (f.lf.level[1] = 64)) },
  { field: "loop_filter.sharpness", damage: withFrame((f) => (f.lf.sharpness = 8)) },
  {
    field: "loop_filter.ref_deltas",
    damage: withFrame((f) => ((f.lf.flags |= 1), (f.lf.refDeltas[2] = 64))),
  },
  {
    field: "loop_filter.mode_deltas",
    damage: withFrame((f) => ((f.lf.flags |= 1), (f.lf.modeDeltas[1] = -65))),
  },
  {
    field: "loop_filter.delta_lf_res",
    damage: withFrame((f) => {
      f.quant.flags |= 0x4;
      f.lf.flags |= 0x4;
      f.lf.deltaLfRes = 4;
    }),
  },
  { field: "cdef.damping_minus_3", damage: withFrame((f) => (f.cdef.dampingMinus3 = 4)) },
  { field: "cdef.bits", damage: withFrame((f) => (f.cdef.bits = 4)) },
  { field: "cdef.y_pri_strength", damage: withFrame((f) => (f.cdef.yPri[0] = 16)) },
  { field: "cdef.uv_sec_strength", damage: withFrame((f) => (f.cdef.uvSec[0] = 5)) },
  {
    field: "loop_restoration.frame_restoration_type",
    damage: withFrame((f) => (f.lr.type[0] = 4)),
  },
  {
    field: "loop_restoration.lr_unit_shift",
    damage: withFrame((f) => ((f.lr.type[0] = 1), (f.lr.unitShift = 3))),
  },
  {
    field: "loop_restoration.lr_uv_shift",
    damage: withFrame((f) => ((f.lr.type[1] = 1), (f.lr.uvShift = 2))),
  },
  { field: "global_motion.type", damage: withFrame((f) => (f.gm.type[1] = 4)) },
  {
    field: "global_motion.params",
    damage: withFrame((f) => ((f.gm.type[1] = 1), (f.gm.params[1][0] = 1 << 30))),
  },
  {
    field: "film_grain.num_y_points",
    damage: withGrain((g) => {
      g.pointYValue = Array.from({ length: 15 }, (_, i) => i);
      g.pointYScaling = new Array(15).fill(1);
    }),
  },
  {
    field: "film_grain.point_y_value",
    damage: withGrain((g) => (g.pointYValue = [255, 0])),
  },
  {
    field: "film_grain.num_cb_points",
    damage: withGrain((g) => {
      g.pointCbValue = Array.from({ length: 11 }, (_, i) => i);
      g.pointCbScaling = new Array(11).fill(1);
    }),
  },
  {
    field: "film_grain.num_cr_points",
    damage: withGrain((g) => ((g.pointCbValue = [0]), (g.pointCbScaling = [1]))),
  },
  {
    field: "film_grain.grain_scaling_minus_8",
    damage: withGrain((g) => (g.grainScalingMinus8 = 4)),
  },
  { field: "film_grain.ar_coeff_lag", damage: withGrain((g) => (g.arCoeffLag = 4)) },
  {
    field: "film_grain.ar_coeff_shift_minus_6",
    damage: withGrain((g) => (g.arCoeffShiftMinus6 = 4)),
  },
  { field: "film_grain.grain_scale_shift", damage: withGrain((g) => (g.grainScaleShift = 4)) },
  {
    field: "film_grain.cb_offset",
    damage: withGrain((g) => {
      g.pointCbValue = g.pointCrValue = [0];
      g.pointCbScaling = g.pointCrScaling = [1];
      g.cbOffset = 512;
    }),
  },
  { field: "AV1_SEQUENCE seq_profile", damage: withSequence((s) => (s.seqProfile = 3)) },
  { field: "AV1_SEQUENCE bit_depth", damage: withSequence((s) => (s.bitDepth = 9)) },
  { field: "AV1_SEQUENCE order_hint_bits", damage: withSequence((s) => (s.orderHintBits = 9)) },
  {
    field: "AV1_SEQUENCE flags",
    damage: withSequence((s) => (s.flags &= ~(SEQ_FLAG.SUBSAMPLING_X | SEQ_FLAG.SUBSAMPLING_Y))),
  },
  {
    field: "AV1_TILE_GROUP_ENTRY",
    damage: (j) => {
      const uniform2 = withFrame((f) => ((f.tile.flags = 1), (f.tile.cols = 2)))(j);
      const [e] = readTileGroupEntries(j.ctrls.get(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY)!);
      uniform2.ctrls.set(V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, writeTileGroupEntries([e, e]));
      return uniform2;
    },
  },
];

/** Every frame's outcome of `file` through one AV1 context, frame `bad` changed by `damage`. */
export function runWithDamage(data: Uint8Array, bad: number, damage: Damage): Outcome[] {
  const frames = AV1.stateless!.frames(data, { mode: "frame", startCode: "annexb" });
  const runner = new FrameRunner(libav(), AV1, { pixFmt: "nv12", md5: true });
  try {
    return frames.map((f, i) =>
      i === bad ? runner.run(f, i, [damage(f.jobs[0])]) : runner.run(f, i)
    );
  } finally {
    runner.close();
  }
}
