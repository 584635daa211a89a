/**
 * The V4L2 stateless AV1 controls (linux/v4l2-controls.h, kernels 6.5 and later) as typed
 * values, read from a job's payloads and written by the file client and the tests.
 * tests/vm/av1-layout.test.ts checks every offset against the 6.12 kernel's uAPI header.
 */
import { V4L2_CID_CODEC_STATELESS_BASE } from "../decoder/job.ts";

/** V4L2_CID_STATELESS_AV1_SEQUENCE: the control's id. */
export const V4L2_CID_STATELESS_AV1_SEQUENCE: number = V4L2_CID_CODEC_STATELESS_BASE + 500;
/** V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY: the control's id. */
export const V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY: number = V4L2_CID_CODEC_STATELESS_BASE + 501;
/** V4L2_CID_STATELESS_AV1_FRAME: the control's id. */
export const V4L2_CID_STATELESS_AV1_FRAME: number = V4L2_CID_CODEC_STATELESS_BASE + 502;
/** V4L2_CID_STATELESS_AV1_FILM_GRAIN: the control's id. */
export const V4L2_CID_STATELESS_AV1_FILM_GRAIN: number = V4L2_CID_CODEC_STATELESS_BASE + 505;

/** V4L2_AV1_SEQUENCE_FLAG_* by name. */
export const SEQ_FLAG = {
  STILL_PICTURE: 0x1,
  USE_128X128_SUPERBLOCK: 0x2,
  ENABLE_FILTER_INTRA: 0x4,
  ENABLE_INTRA_EDGE_FILTER: 0x8,
  ENABLE_INTERINTRA_COMPOUND: 0x10,
  ENABLE_MASKED_COMPOUND: 0x20,
  ENABLE_WARPED_MOTION: 0x40,
  ENABLE_DUAL_FILTER: 0x80,
  ENABLE_ORDER_HINT: 0x100,
  ENABLE_JNT_COMP: 0x200,
  ENABLE_REF_FRAME_MVS: 0x400,
  ENABLE_SUPERRES: 0x800,
  ENABLE_CDEF: 0x1000,
  ENABLE_RESTORATION: 0x2000,
  MONO_CHROME: 0x4000,
  COLOR_RANGE: 0x8000,
  SUBSAMPLING_X: 0x10000,
  SUBSAMPLING_Y: 0x20000,
  FILM_GRAIN_PARAMS_PRESENT: 0x40000,
  SEPARATE_UV_DELTA_Q: 0x80000,
} as const;

/** V4L2_AV1_FRAME_FLAG_* by name. */
export const FRAME_FLAG = {
  SHOW_FRAME: 0x1,
  SHOWABLE_FRAME: 0x2,
  ERROR_RESILIENT_MODE: 0x4,
  DISABLE_CDF_UPDATE: 0x8,
  ALLOW_SCREEN_CONTENT_TOOLS: 0x10,
  FORCE_INTEGER_MV: 0x20,
  ALLOW_INTRABC: 0x40,
  USE_SUPERRES: 0x80,
  ALLOW_HIGH_PRECISION_MV: 0x100,
  IS_MOTION_MODE_SWITCHABLE: 0x200,
  USE_REF_FRAME_MVS: 0x400,
  DISABLE_FRAME_END_UPDATE_CDF: 0x800,
  ALLOW_WARPED_MOTION: 0x1000,
  REFERENCE_SELECT: 0x2000,
  REDUCED_TX_SET: 0x4000,
  SKIP_MODE_ALLOWED: 0x8000,
  SKIP_MODE_PRESENT: 0x10000,
  FRAME_SIZE_OVERRIDE: 0x20000,
  BUFFER_REMOVAL_TIME_PRESENT: 0x40000,
  FRAME_REFS_SHORT_SIGNALING: 0x80000,
} as const;

/** enum v4l2_av1_frame_type. */
export const FRAME_TYPE = { KEY: 0, INTER: 1, INTRA_ONLY: 2, SWITCH: 3 } as const;
/** V4L2_AV1_TILE_INFO_FLAG_UNIFORM_TILE_SPACING. */
export const TILE_INFO_FLAG_UNIFORM_TILE_SPACING = 0x1;
/** V4L2_AV1_QUANTIZATION_FLAG_* by name. */
export const QUANT_FLAG = { DIFF_UV_DELTA: 0x1, USING_QMATRIX: 0x2, DELTA_Q_PRESENT: 0x4 };
/** V4L2_AV1_SEGMENTATION_FLAG_* by name. */
export const SEG_FLAG = {
  ENABLED: 0x1,
  UPDATE_MAP: 0x2,
  TEMPORAL_UPDATE: 0x4,
  UPDATE_DATA: 0x8,
  SEG_ID_PRE_SKIP: 0x10,
};
/** V4L2_AV1_LOOP_FILTER_FLAG_* by name. */
export const LF_FLAG = {
  DELTA_ENABLED: 0x1,
  DELTA_UPDATE: 0x2,
  DELTA_LF_PRESENT: 0x4,
  DELTA_LF_MULTI: 0x8,
};
/** V4L2_AV1_LOOP_RESTORATION_FLAG_* by name. */
export const LR_FLAG = { USES_LR: 0x1, USES_CHROMA_LR: 0x2 };
/** V4L2_AV1_GLOBAL_MOTION_FLAG_* by name. */
export const GM_FLAG = { IS_GLOBAL: 0x1, IS_ROT_ZOOM: 0x2, IS_TRANSLATION: 0x4 };
/** V4L2_AV1_FILM_GRAIN_FLAG_* by name. */
export const FG_FLAG = {
  APPLY_GRAIN: 0x1,
  UPDATE_GRAIN: 0x2,
  CHROMA_SCALING_FROM_LUMA: 0x4,
  OVERLAP: 0x8,
  CLIP_TO_RESTRICTED_RANGE: 0x10,
};

/** Byte offsets and sizes of the uAPI structs (tests/vm/av1-layout.test.ts checks them). */
export const LAYOUT = {
  sequence: {
    size: 12,
    flags: 0,
    seq_profile: 4,
    order_hint_bits: 5,
    bit_depth: 6,
    max_frame_width_minus_1: 8,
    max_frame_height_minus_1: 10,
  },
  tileGroupEntry: { size: 16, tile_offset: 0, tile_size: 4, tile_row: 8, tile_col: 12 },
  frame: {
    size: 1784,
    "tile_info.flags": 0,
    "tile_info.context_update_tile_id": 1,
    "tile_info.tile_cols": 2,
    "tile_info.tile_rows": 3,
    "tile_info.mi_col_starts": 4,
    "tile_info.mi_row_starts": 264,
    "tile_info.width_in_sbs_minus_1": 524,
    "tile_info.height_in_sbs_minus_1": 780,
    "tile_info.tile_size_bytes": 1036,
    "quantization.flags": 1040,
    "quantization.base_q_idx": 1041,
    "quantization.delta_q_y_dc": 1042,
    "quantization.delta_q_u_dc": 1043,
    "quantization.delta_q_u_ac": 1044,
    "quantization.delta_q_v_dc": 1045,
    "quantization.delta_q_v_ac": 1046,
    "quantization.qm_y": 1047,
    "quantization.qm_u": 1048,
    "quantization.qm_v": 1049,
    "quantization.delta_q_res": 1050,
    superres_denom: 1051,
    "segmentation.flags": 1052,
    "segmentation.last_active_seg_id": 1053,
    "segmentation.feature_enabled": 1054,
    "segmentation.feature_data": 1062,
    "loop_filter.flags": 1190,
    "loop_filter.level": 1191,
    "loop_filter.sharpness": 1195,
    "loop_filter.ref_deltas": 1196,
    "loop_filter.mode_deltas": 1204,
    "loop_filter.delta_lf_res": 1206,
    "cdef.damping_minus_3": 1207,
    "cdef.bits": 1208,
    "cdef.y_pri_strength": 1209,
    "cdef.y_sec_strength": 1217,
    "cdef.uv_pri_strength": 1225,
    "cdef.uv_sec_strength": 1233,
    skip_mode_frame: 1241,
    primary_ref_frame: 1243,
    "loop_restoration.flags": 1244,
    "loop_restoration.lr_unit_shift": 1245,
    "loop_restoration.lr_uv_shift": 1246,
    "loop_restoration.frame_restoration_type": 1248,
    "loop_restoration.loop_restoration_size": 1260,
    "global_motion.flags": 1272,
    "global_motion.type": 1280,
    "global_motion.params": 1312,
    "global_motion.invalid": 1504,
    flags: 1508,
    frame_type: 1512,
    order_hint: 1516,
    upscaled_width: 1520,
    interpolation_filter: 1524,
    tx_mode: 1528,
    frame_width_minus_1: 1532,
    frame_height_minus_1: 1536,
    render_width_minus_1: 1540,
    render_height_minus_1: 1542,
    current_frame_id: 1544,
    buffer_removal_time: 1548,
    order_hints: 1680,
    reference_frame_ts: 1712,
    ref_frame_idx: 1776,
    refresh_frame_flags: 1783,
  },
  filmGrain: {
    size: 194,
    flags: 0,
    cr_mult: 1,
    grain_seed: 2,
    film_grain_params_ref_idx: 4,
    num_y_points: 5,
    point_y_value: 6,
    point_y_scaling: 22,
    num_cb_points: 38,
    point_cb_value: 39,
    point_cb_scaling: 55,
    num_cr_points: 71,
    point_cr_value: 72,
    point_cr_scaling: 88,
    grain_scaling_minus_8: 104,
    ar_coeff_lag: 105,
    ar_coeffs_y_plus_128: 106,
    ar_coeffs_cb_plus_128: 131,
    ar_coeffs_cr_plus_128: 156,
    ar_coeff_shift_minus_6: 181,
    grain_scale_shift: 182,
    cb_mult: 183,
    cb_luma_mult: 184,
    cr_luma_mult: 185,
    cb_offset: 186,
    cr_offset: 188,
  },
} as const;

/** struct v4l2_ctrl_av1_sequence */
export interface Av1SequenceCtrl {
  /** `flags` of struct v4l2_ctrl_av1_sequence. */
  flags: number;
  /** `seq_profile` of struct v4l2_ctrl_av1_sequence. */
  seqProfile: number;
  /** `order_hint_bits` of struct v4l2_ctrl_av1_sequence. */
  orderHintBits: number;
  /** `bit_depth` of struct v4l2_ctrl_av1_sequence. */
  bitDepth: number;
  /** `max_frame_width_minus_1` of struct v4l2_ctrl_av1_sequence. */
  maxFrameWidthMinus1: number;
  /** `max_frame_height_minus_1` of struct v4l2_ctrl_av1_sequence. */
  maxFrameHeightMinus1: number;
}

/** Reads an AV1_SEQUENCE payload. */
export function readSequence(p: Uint8Array): Av1SequenceCtrl {
  const L = LAYOUT.sequence;
  if (p.byteLength < L.size) throw new RangeError(`AV1_SEQUENCE is ${p.byteLength} bytes`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    flags: v.getUint32(L.flags, true),
    seqProfile: v.getUint8(L.seq_profile),
    orderHintBits: v.getUint8(L.order_hint_bits),
    bitDepth: v.getUint8(L.bit_depth),
    maxFrameWidthMinus1: v.getUint16(L.max_frame_width_minus_1, true),
    maxFrameHeightMinus1: v.getUint16(L.max_frame_height_minus_1, true),
  };
}

/** An AV1_SEQUENCE payload. */
export function writeSequence(s: Av1SequenceCtrl): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.sequence;
  const p = new Uint8Array(L.size);
  const v = new DataView(p.buffer);
  v.setUint32(L.flags, s.flags, true);
  v.setUint8(L.seq_profile, s.seqProfile);
  v.setUint8(L.order_hint_bits, s.orderHintBits);
  v.setUint8(L.bit_depth, s.bitDepth);
  v.setUint16(L.max_frame_width_minus_1, s.maxFrameWidthMinus1, true);
  v.setUint16(L.max_frame_height_minus_1, s.maxFrameHeightMinus1, true);
  return p;
}

/** One struct v4l2_ctrl_av1_tile_group_entry: where a tile is and its position. */
export interface TileGroupEntry {
  /** tile_offset: the tile's first byte in the OUTPUT buffer. */
  offset: number;
  /** tile_size: the tile's bytes. */
  size: number;
  /** tile_row. */
  row: number;
  /** tile_col. */
  col: number;
}

/** Reads an AV1_TILE_GROUP_ENTRY payload (an array of entries). */
export function readTileGroupEntries(p: Uint8Array): TileGroupEntry[] {
  const L = LAYOUT.tileGroupEntry;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const out: TileGroupEntry[] = [];
  for (let at = 0; at + L.size <= p.byteLength; at += L.size) {
    out.push({
      offset: v.getUint32(at + L.tile_offset, true),
      size: v.getUint32(at + L.tile_size, true),
      row: v.getUint32(at + L.tile_row, true),
      col: v.getUint32(at + L.tile_col, true),
    });
  }
  return out;
}

/** An AV1_TILE_GROUP_ENTRY payload holding `entries`. */
export function writeTileGroupEntries(entries: TileGroupEntry[]): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.tileGroupEntry;
  const p = new Uint8Array(L.size * entries.length);
  const v = new DataView(p.buffer);
  entries.forEach((e, i) => {
    v.setUint32(i * L.size + L.tile_offset, e.offset, true);
    v.setUint32(i * L.size + L.tile_size, e.size, true);
    v.setUint32(i * L.size + L.tile_row, e.row, true);
    v.setUint32(i * L.size + L.tile_col, e.col, true);
  });
  return p;
}

/** struct v4l2_ctrl_av1_frame, every field, as plain values. */
export interface Av1FrameCtrl {
  /** tile_info (struct v4l2_av1_tile_info). */
  tile: {
    flags: number;
    contextUpdateTileId: number;
    cols: number;
    rows: number;
    miColStarts: number[];
    miRowStarts: number[];
    widthInSbsMinus1: number[];
    heightInSbsMinus1: number[];
    tileSizeBytes: number;
  };
  /** quantization (struct v4l2_av1_quantization). */
  quant: {
    flags: number;
    baseQIdx: number;
    deltaQYDc: number;
    deltaQUDc: number;
    deltaQUAc: number;
    deltaQVDc: number;
    deltaQVAc: number;
    qmY: number;
    qmU: number;
    qmV: number;
    deltaQRes: number;
  };
  /** `superres_denom` of struct v4l2_ctrl_av1_frame. */
  superresDenom: number;
  /** segmentation (struct v4l2_av1_segmentation). */
  seg: {
    flags: number;
    lastActiveSegId: number;
    featureEnabled: number[];
    featureData: number[][];
  };
  /** loop_filter (struct v4l2_av1_loop_filter). */
  lf: {
    flags: number;
    level: number[];
    sharpness: number;
    refDeltas: number[];
    modeDeltas: number[];
    deltaLfRes: number;
  };
  /** cdef (struct v4l2_av1_cdef). */
  cdef: {
    dampingMinus3: number;
    bits: number;
    yPri: number[];
    ySec: number[];
    uvPri: number[];
    uvSec: number[];
  };
  /** `skip_mode_frame` of struct v4l2_ctrl_av1_frame. */
  skipModeFrame: number[];
  /** `primary_ref_frame` of struct v4l2_ctrl_av1_frame. */
  primaryRefFrame: number;
  /** loop_restoration (struct v4l2_av1_loop_restoration). */
  lr: { flags: number; unitShift: number; uvShift: number; type: number[]; size: number[] };
  /** global_motion (struct v4l2_av1_global_motion). */
  gm: { flags: number[]; type: number[]; params: number[][]; invalid: number };
  /** `flags` of struct v4l2_ctrl_av1_frame. */
  flags: number;
  /** `frame_type` of struct v4l2_ctrl_av1_frame. */
  frameType: number;
  /** `order_hint` of struct v4l2_ctrl_av1_frame. */
  orderHint: number;
  /** `upscaled_width` of struct v4l2_ctrl_av1_frame. */
  upscaledWidth: number;
  /** `interpolation_filter` of struct v4l2_ctrl_av1_frame. */
  interpolationFilter: number;
  /** `tx_mode` of struct v4l2_ctrl_av1_frame. */
  txMode: number;
  /** `frame_width_minus_1` of struct v4l2_ctrl_av1_frame. */
  frameWidthMinus1: number;
  /** `frame_height_minus_1` of struct v4l2_ctrl_av1_frame. */
  frameHeightMinus1: number;
  /** `render_width_minus_1` of struct v4l2_ctrl_av1_frame. */
  renderWidthMinus1: number;
  /** `render_height_minus_1` of struct v4l2_ctrl_av1_frame. */
  renderHeightMinus1: number;
  /** `current_frame_id` of struct v4l2_ctrl_av1_frame. */
  currentFrameId: number;
  /** `order_hints` of struct v4l2_ctrl_av1_frame. */
  orderHints: number[];
  /** `reference_frame_ts` of struct v4l2_ctrl_av1_frame. */
  referenceFrameTs: bigint[];
  /** `ref_frame_idx` of struct v4l2_ctrl_av1_frame. */
  refFrameIdx: number[];
  /** `refresh_frame_flags` of struct v4l2_ctrl_av1_frame. */
  refreshFrameFlags: number;
}

const F = LAYOUT.frame;
const u8s = (v: DataView, at: number, n: number) =>
  Array.from({ length: n }, (_, i) => v.getUint8(at + i));
const s8s = (v: DataView, at: number, n: number) =>
  Array.from({ length: n }, (_, i) => v.getInt8(at + i));
const u32s = (v: DataView, at: number, n: number) =>
  Array.from({ length: n }, (_, i) => v.getUint32(at + 4 * i, true));

/** The timestamps of the frames `f` is predicted from (none for a key or intra-only frame). */
export function frameReferences(f: Av1FrameCtrl): bigint[] {
  const intra = f.frameType === FRAME_TYPE.KEY || f.frameType === FRAME_TYPE.INTRA_ONLY;
  return intra ? [] : f.refFrameIdx.map((c) => f.referenceFrameTs[c & 7]);
}

/** Reads an AV1_FRAME payload, every field. */
export function readFrame(p: Uint8Array): Av1FrameCtrl {
  if (p.byteLength < F.size) throw new RangeError(`AV1_FRAME is ${p.byteLength} bytes`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const cols = v.getUint8(F["tile_info.tile_cols"]);
  const rows = v.getUint8(F["tile_info.tile_rows"]);
  return {
    tile: {
      flags: v.getUint8(F["tile_info.flags"]),
      contextUpdateTileId: v.getUint8(F["tile_info.context_update_tile_id"]),
      cols,
      rows,
      miColStarts: u32s(v, F["tile_info.mi_col_starts"], Math.min(cols, 64) + 1),
      miRowStarts: u32s(v, F["tile_info.mi_row_starts"], Math.min(rows, 64) + 1),
      widthInSbsMinus1: u32s(v, F["tile_info.width_in_sbs_minus_1"], Math.min(cols, 64)),
      heightInSbsMinus1: u32s(v, F["tile_info.height_in_sbs_minus_1"], Math.min(rows, 64)),
      tileSizeBytes: v.getUint8(F["tile_info.tile_size_bytes"]),
    },
    quant: {
      flags: v.getUint8(F["quantization.flags"]),
      baseQIdx: v.getUint8(F["quantization.base_q_idx"]),
      deltaQYDc: v.getInt8(F["quantization.delta_q_y_dc"]),
      deltaQUDc: v.getInt8(F["quantization.delta_q_u_dc"]),
      deltaQUAc: v.getInt8(F["quantization.delta_q_u_ac"]),
      deltaQVDc: v.getInt8(F["quantization.delta_q_v_dc"]),
      deltaQVAc: v.getInt8(F["quantization.delta_q_v_ac"]),
      qmY: v.getUint8(F["quantization.qm_y"]),
      qmU: v.getUint8(F["quantization.qm_u"]),
      qmV: v.getUint8(F["quantization.qm_v"]),
      deltaQRes: v.getUint8(F["quantization.delta_q_res"]),
    },
    superresDenom: v.getUint8(F.superres_denom),
    seg: {
      flags: v.getUint8(F["segmentation.flags"]),
      lastActiveSegId: v.getUint8(F["segmentation.last_active_seg_id"]),
      featureEnabled: u8s(v, F["segmentation.feature_enabled"], 8),
      featureData: Array.from(
        { length: 8 },
        (_, i) =>
          Array.from(
            { length: 8 },
            (_, j) => v.getInt16(F["segmentation.feature_data"] + 2 * (8 * i + j), true),
          ),
      ),
    },
    lf: {
      flags: v.getUint8(F["loop_filter.flags"]),
      level: u8s(v, F["loop_filter.level"], 4),
      sharpness: v.getUint8(F["loop_filter.sharpness"]),
      refDeltas: s8s(v, F["loop_filter.ref_deltas"], 8),
      modeDeltas: s8s(v, F["loop_filter.mode_deltas"], 2),
      deltaLfRes: v.getUint8(F["loop_filter.delta_lf_res"]),
    },
    cdef: {
      dampingMinus3: v.getUint8(F["cdef.damping_minus_3"]),
      bits: v.getUint8(F["cdef.bits"]),
      yPri: u8s(v, F["cdef.y_pri_strength"], 8),
      ySec: u8s(v, F["cdef.y_sec_strength"], 8),
      uvPri: u8s(v, F["cdef.uv_pri_strength"], 8),
      uvSec: u8s(v, F["cdef.uv_sec_strength"], 8),
    },
    skipModeFrame: u8s(v, F.skip_mode_frame, 2),
    primaryRefFrame: v.getUint8(F.primary_ref_frame),
    lr: {
      flags: v.getUint8(F["loop_restoration.flags"]),
      unitShift: v.getUint8(F["loop_restoration.lr_unit_shift"]),
      uvShift: v.getUint8(F["loop_restoration.lr_uv_shift"]),
      type: u32s(v, F["loop_restoration.frame_restoration_type"], 3),
      size: u32s(v, F["loop_restoration.loop_restoration_size"], 3),
    },
    gm: {
      flags: u8s(v, F["global_motion.flags"], 8),
      type: u32s(v, F["global_motion.type"], 8),
      params: Array.from(
        { length: 8 },
        (_, i) =>
          Array.from(
            { length: 6 },
            (_, j) => v.getInt32(F["global_motion.params"] + 4 * (6 * i + j), true),
          ),
      ),
      invalid: v.getUint8(F["global_motion.invalid"]),
    },
    flags: v.getUint32(F.flags, true),
    frameType: v.getUint32(F.frame_type, true),
    orderHint: v.getUint32(F.order_hint, true),
    upscaledWidth: v.getUint32(F.upscaled_width, true),
    interpolationFilter: v.getUint32(F.interpolation_filter, true),
    txMode: v.getUint32(F.tx_mode, true),
    frameWidthMinus1: v.getUint32(F.frame_width_minus_1, true),
    frameHeightMinus1: v.getUint32(F.frame_height_minus_1, true),
    renderWidthMinus1: v.getUint16(F.render_width_minus_1, true),
    renderHeightMinus1: v.getUint16(F.render_height_minus_1, true),
    currentFrameId: v.getUint32(F.current_frame_id, true),
    orderHints: u32s(v, F.order_hints, 8),
    referenceFrameTs: Array.from(
      { length: 8 },
      (_, i) => v.getBigUint64(F.reference_frame_ts + 8 * i, true),
    ),
    refFrameIdx: s8s(v, F.ref_frame_idx, 7),
    refreshFrameFlags: v.getUint8(F.refresh_frame_flags),
  };
}

/** An AV1_FRAME payload, every field. */
export function writeFrame(f: Av1FrameCtrl): Uint8Array<ArrayBuffer> {
  const p = new Uint8Array(F.size);
  const v = new DataView(p.buffer);
  const put8 = (at: number, xs: number[]) => xs.forEach((x, i) => v.setUint8(at + i, x & 0xff));
  const put32 = (at: number, xs: number[]) =>
    xs.forEach((x, i) => v.setUint32(at + 4 * i, x >>> 0, true));
  v.setUint8(F["tile_info.flags"], f.tile.flags);
  v.setUint8(F["tile_info.context_update_tile_id"], f.tile.contextUpdateTileId);
  v.setUint8(F["tile_info.tile_cols"], f.tile.cols);
  v.setUint8(F["tile_info.tile_rows"], f.tile.rows);
  put32(F["tile_info.mi_col_starts"], f.tile.miColStarts);
  put32(F["tile_info.mi_row_starts"], f.tile.miRowStarts);
  put32(F["tile_info.width_in_sbs_minus_1"], f.tile.widthInSbsMinus1);
  put32(F["tile_info.height_in_sbs_minus_1"], f.tile.heightInSbsMinus1);
  v.setUint8(F["tile_info.tile_size_bytes"], f.tile.tileSizeBytes);
  v.setUint8(F["quantization.flags"], f.quant.flags);
  v.setUint8(F["quantization.base_q_idx"], f.quant.baseQIdx);
  v.setInt8(F["quantization.delta_q_y_dc"], f.quant.deltaQYDc);
  v.setInt8(F["quantization.delta_q_u_dc"], f.quant.deltaQUDc);
  v.setInt8(F["quantization.delta_q_u_ac"], f.quant.deltaQUAc);
  v.setInt8(F["quantization.delta_q_v_dc"], f.quant.deltaQVDc);
  v.setInt8(F["quantization.delta_q_v_ac"], f.quant.deltaQVAc);
  v.setUint8(F["quantization.qm_y"], f.quant.qmY);
  v.setUint8(F["quantization.qm_u"], f.quant.qmU);
  v.setUint8(F["quantization.qm_v"], f.quant.qmV);
  v.setUint8(F["quantization.delta_q_res"], f.quant.deltaQRes);
  v.setUint8(F.superres_denom, f.superresDenom);
  v.setUint8(F["segmentation.flags"], f.seg.flags);
  v.setUint8(F["segmentation.last_active_seg_id"], f.seg.lastActiveSegId);
  put8(F["segmentation.feature_enabled"], f.seg.featureEnabled);
  f.seg.featureData.forEach((row, i) =>
    row.forEach((x, j) => v.setInt16(F["segmentation.feature_data"] + 2 * (8 * i + j), x, true))
  );
  v.setUint8(F["loop_filter.flags"], f.lf.flags);
  put8(F["loop_filter.level"], f.lf.level);
  v.setUint8(F["loop_filter.sharpness"], f.lf.sharpness);
  put8(F["loop_filter.ref_deltas"], f.lf.refDeltas);
  put8(F["loop_filter.mode_deltas"], f.lf.modeDeltas);
  v.setUint8(F["loop_filter.delta_lf_res"], f.lf.deltaLfRes);
  v.setUint8(F["cdef.damping_minus_3"], f.cdef.dampingMinus3);
  v.setUint8(F["cdef.bits"], f.cdef.bits);
  put8(F["cdef.y_pri_strength"], f.cdef.yPri);
  put8(F["cdef.y_sec_strength"], f.cdef.ySec);
  put8(F["cdef.uv_pri_strength"], f.cdef.uvPri);
  put8(F["cdef.uv_sec_strength"], f.cdef.uvSec);
  put8(F.skip_mode_frame, f.skipModeFrame);
  v.setUint8(F.primary_ref_frame, f.primaryRefFrame);
  v.setUint8(F["loop_restoration.flags"], f.lr.flags);
  v.setUint8(F["loop_restoration.lr_unit_shift"], f.lr.unitShift);
  v.setUint8(F["loop_restoration.lr_uv_shift"], f.lr.uvShift);
  put32(F["loop_restoration.frame_restoration_type"], f.lr.type);
  put32(F["loop_restoration.loop_restoration_size"], f.lr.size);
  put8(F["global_motion.flags"], f.gm.flags);
  put32(F["global_motion.type"], f.gm.type);
  f.gm.params.forEach((row, i) =>
    row.forEach((x, j) => v.setInt32(F["global_motion.params"] + 4 * (6 * i + j), x, true))
  );
  v.setUint8(F["global_motion.invalid"], f.gm.invalid);
  v.setUint32(F.flags, f.flags, true);
  v.setUint32(F.frame_type, f.frameType, true);
  v.setUint32(F.order_hint, f.orderHint, true);
  v.setUint32(F.upscaled_width, f.upscaledWidth, true);
  v.setUint32(F.interpolation_filter, f.interpolationFilter, true);
  v.setUint32(F.tx_mode, f.txMode, true);
  v.setUint32(F.frame_width_minus_1, f.frameWidthMinus1, true);
  v.setUint32(F.frame_height_minus_1, f.frameHeightMinus1, true);
  v.setUint16(F.render_width_minus_1, f.renderWidthMinus1, true);
  v.setUint16(F.render_height_minus_1, f.renderHeightMinus1, true);
  v.setUint32(F.current_frame_id, f.currentFrameId, true);
  put32(F.order_hints, f.orderHints);
  f.referenceFrameTs.forEach((t, i) => v.setBigUint64(F.reference_frame_ts + 8 * i, t, true));
  f.refFrameIdx.forEach((x, i) => v.setInt8(F.ref_frame_idx + i, x));
  v.setUint8(F.refresh_frame_flags, f.refreshFrameFlags);
  return p;
}

/** struct v4l2_ctrl_av1_film_grain, as plain values (coefficients as coded, + 128). */
export interface Av1FilmGrainCtrl {
  /** `flags` of struct v4l2_ctrl_av1_film_grain. */
  flags: number;
  /** `grain_seed` of struct v4l2_ctrl_av1_film_grain. */
  grainSeed: number;
  /** `film_grain_params_ref_idx` of struct v4l2_ctrl_av1_film_grain. */
  filmGrainParamsRefIdx: number;
  /** point_y_value (num_y_points of them). */
  pointYValue: number[];
  /** point_y_scaling (num_y_points of them). */
  pointYScaling: number[];
  /** point_cb_value (num_cb_points of them). */
  pointCbValue: number[];
  /** point_cb_scaling (num_cb_points of them). */
  pointCbScaling: number[];
  /** point_cr_value (num_cr_points of them). */
  pointCrValue: number[];
  /** point_cr_scaling (num_cr_points of them). */
  pointCrScaling: number[];
  /** `grain_scaling_minus_8` of struct v4l2_ctrl_av1_film_grain. */
  grainScalingMinus8: number;
  /** `ar_coeff_lag` of struct v4l2_ctrl_av1_film_grain. */
  arCoeffLag: number;
  /** `ar_coeffs_y_plus_128` of struct v4l2_ctrl_av1_film_grain. */
  arCoeffsYPlus128: number[];
  /** `ar_coeffs_cb_plus_128` of struct v4l2_ctrl_av1_film_grain. */
  arCoeffsCbPlus128: number[];
  /** `ar_coeffs_cr_plus_128` of struct v4l2_ctrl_av1_film_grain. */
  arCoeffsCrPlus128: number[];
  /** `ar_coeff_shift_minus_6` of struct v4l2_ctrl_av1_film_grain. */
  arCoeffShiftMinus6: number;
  /** `grain_scale_shift` of struct v4l2_ctrl_av1_film_grain. */
  grainScaleShift: number;
  /** `cb_mult` of struct v4l2_ctrl_av1_film_grain. */
  cbMult: number;
  /** `cb_luma_mult` of struct v4l2_ctrl_av1_film_grain. */
  cbLumaMult: number;
  /** `cb_offset` of struct v4l2_ctrl_av1_film_grain. */
  cbOffset: number;
  /** `cr_mult` of struct v4l2_ctrl_av1_film_grain. */
  crMult: number;
  /** `cr_luma_mult` of struct v4l2_ctrl_av1_film_grain. */
  crLumaMult: number;
  /** `cr_offset` of struct v4l2_ctrl_av1_film_grain. */
  crOffset: number;
}

const G = LAYOUT.filmGrain;

/** Reads an AV1_FILM_GRAIN payload. */
export function readFilmGrain(p: Uint8Array): Av1FilmGrainCtrl {
  if (p.byteLength < G.size) throw new RangeError(`AV1_FILM_GRAIN is ${p.byteLength} bytes`);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const ny = v.getUint8(G.num_y_points), ncb = v.getUint8(G.num_cb_points);
  const ncr = v.getUint8(G.num_cr_points);
  return {
    flags: v.getUint8(G.flags),
    grainSeed: v.getUint16(G.grain_seed, true),
    filmGrainParamsRefIdx: v.getUint8(G.film_grain_params_ref_idx),
    pointYValue: u8s(v, G.point_y_value, Math.min(ny, 16)),
    pointYScaling: u8s(v, G.point_y_scaling, Math.min(ny, 16)),
    pointCbValue: u8s(v, G.point_cb_value, Math.min(ncb, 16)),
    pointCbScaling: u8s(v, G.point_cb_scaling, Math.min(ncb, 16)),
    pointCrValue: u8s(v, G.point_cr_value, Math.min(ncr, 16)),
    pointCrScaling: u8s(v, G.point_cr_scaling, Math.min(ncr, 16)),
    grainScalingMinus8: v.getUint8(G.grain_scaling_minus_8),
    arCoeffLag: v.getUint8(G.ar_coeff_lag),
    arCoeffsYPlus128: u8s(v, G.ar_coeffs_y_plus_128, 24),
    arCoeffsCbPlus128: u8s(v, G.ar_coeffs_cb_plus_128, 25),
    arCoeffsCrPlus128: u8s(v, G.ar_coeffs_cr_plus_128, 25),
    arCoeffShiftMinus6: v.getUint8(G.ar_coeff_shift_minus_6),
    grainScaleShift: v.getUint8(G.grain_scale_shift),
    cbMult: v.getUint8(G.cb_mult),
    cbLumaMult: v.getUint8(G.cb_luma_mult),
    cbOffset: v.getUint16(G.cb_offset, true),
    crMult: v.getUint8(G.cr_mult),
    crLumaMult: v.getUint8(G.cr_luma_mult),
    crOffset: v.getUint16(G.cr_offset, true),
  };
}

/** An AV1_FILM_GRAIN payload. */
export function writeFilmGrain(g: Av1FilmGrainCtrl): Uint8Array<ArrayBuffer> {
  const p = new Uint8Array(G.size);
  const v = new DataView(p.buffer);
  const put8 = (at: number, xs: number[]) => xs.forEach((x, i) => v.setUint8(at + i, x & 0xff));
  v.setUint8(G.flags, g.flags);
  v.setUint16(G.grain_seed, g.grainSeed, true);
  v.setUint8(G.film_grain_params_ref_idx, g.filmGrainParamsRefIdx);
  v.setUint8(G.num_y_points, g.pointYValue.length);
  put8(G.point_y_value, g.pointYValue);
  put8(G.point_y_scaling, g.pointYScaling);
  v.setUint8(G.num_cb_points, g.pointCbValue.length);
  put8(G.point_cb_value, g.pointCbValue);
  put8(G.point_cb_scaling, g.pointCbScaling);
  v.setUint8(G.num_cr_points, g.pointCrValue.length);
  put8(G.point_cr_value, g.pointCrValue);
  put8(G.point_cr_scaling, g.pointCrScaling);
  v.setUint8(G.grain_scaling_minus_8, g.grainScalingMinus8);
  v.setUint8(G.ar_coeff_lag, g.arCoeffLag);
  put8(G.ar_coeffs_y_plus_128, g.arCoeffsYPlus128);
  put8(G.ar_coeffs_cb_plus_128, g.arCoeffsCbPlus128);
  put8(G.ar_coeffs_cr_plus_128, g.arCoeffsCrPlus128);
  v.setUint8(G.ar_coeff_shift_minus_6, g.arCoeffShiftMinus6);
  v.setUint8(G.grain_scale_shift, g.grainScaleShift);
  v.setUint8(G.cb_mult, g.cbMult);
  v.setUint8(G.cb_luma_mult, g.cbLumaMult);
  v.setUint16(G.cb_offset, g.cbOffset, true);
  v.setUint8(G.cr_mult, g.crMult);
  v.setUint8(G.cr_luma_mult, g.crLumaMult);
  v.setUint16(G.cr_offset, g.crOffset, true);
  return p;
}
