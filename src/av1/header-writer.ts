/**
 * Rebuilds what dav1d decodes from a V4L2 AV1 request: a sequence header OBU from the SEQUENCE
 * control, a frame header OBU from FRAME (+ FILM_GRAIN), a tile group OBU from the tiles the
 * TILE_GROUP_ENTRY array points at in the OUTPUT buffer (docs/av1.md). Every field is written
 * explicitly (frame size, loop filter deltas, segmentation data, film grain), so that only
 * what dav1d itself keeps per reference slot — order hints and global motion, which the frame
 * header codes relative to them — has to be tracked here. Every value taken from a control is
 * checked against what the AV1 syntax allows before it is used (`checkFrame`, `tileSyntax`,
 * `rebuildSequence`): a value out of range fails that job with a RangeError.
 */
import { BitWriter } from "../decoder/bits.ts";
import { OBU_FRAME_HEADER, OBU_SEQUENCE_HEADER, OBU_TILE_GROUP, writeObu } from "./obu.ts";
import {
  type Av1FilmGrainCtrl,
  type Av1FrameCtrl,
  type Av1SequenceCtrl,
  FG_FLAG,
  FRAME_FLAG,
  LF_FLAG,
  QUANT_FLAG,
  SEG_FLAG,
  SEQ_FLAG,
  TILE_INFO_FLAG_UNIFORM_TILE_SPACING,
  type TileGroupEntry,
} from "./v4l2-av1.ts";

const KEY_FRAME = 0;
const INTER_FRAME = 1;
const INTRA_ONLY_FRAME = 2;
const SWITCH_FRAME = 3;
const PRIMARY_REF_NONE = 7;
const IDENTITY = 0;
const TRANSLATION = 1;
const ROTZOOM = 2;
const AFFINE = 3;
const WARPEDMODEL_PREC_BITS = 16;
const SEG_FEATURE_BITS = [8, 6, 6, 6, 6, 3, 0, 0];
const SEG_FEATURE_SIGNED = [1, 1, 1, 1, 1, 0, 0, 0];
/** The frame header codes sizes in 16 bits: the sequence header says so, for any stream. */
const FRAME_SIZE_BITS = 16;
/** Our tile size fields: 4 bytes fit any tile. */
const TILE_SIZE_BYTES = 4;
const MAX_TILE_COLS = 64;
const MAX_TILE_ROWS = 64;
/** Segmentation_Feature_Max (5.9.14): a feature's value lies within ± this (0.. when unsigned). */
const SEG_FEATURE_MAX = [255, 63, 63, 63, 63, 7, 0, 0];
/** V4L2's CDEF secondary strengths: 0..3 as coded (libva) or 0, 1, 2, 4 adjusted (GStreamer). */
const CDEF_SEC_MAX = 4;

/** A control field, its values and the range the syntax allows them. */
type FieldRange = [field: string, values: readonly number[], min: number, max: number];

/** Throws a RangeError naming the first value of `ranges` outside its range. */
function checkRanges(ctrl: string, ranges: FieldRange[]): void {
  for (const [field, values, min, max] of ranges) {
    values.forEach((v, i) => {
      if (!(Number.isInteger(v) && v >= min && v <= max)) {
        const at = values.length > 1 ? `[${i}]` : "";
        throw new RangeError(`${ctrl} ${field}${at} = ${v}: not in ${min}..${max}`);
      }
    });
  }
}

/**
 * The tools a sequence enables that only gate a frame header field: enabled in the rebuilt
 * sequence header whatever the client says, so that it stays byte-stable (dav1d drops every
 * reference when the sequence header changes, and libva's SEQUENCE control sets these only
 * when the current frame uses them). The frame header then writes the field, as the control says.
 */
const FRAME_GATED = SEQ_FLAG.ENABLE_SUPERRES | SEQ_FLAG.ENABLE_REF_FRAME_MVS |
  SEQ_FLAG.ENABLE_WARPED_MOTION |
  SEQ_FLAG.ENABLE_RESTORATION | SEQ_FLAG.SEPARATE_UV_DELTA_Q | SEQ_FLAG.FILM_GRAIN_PARAMS_PRESENT;

/** What the rebuilt sequence header says, for writing frame headers against it. */
export interface RebuiltSequence {
  /** The SEQUENCE control's flags (V4L2_AV1_SEQUENCE_FLAG_*). */
  flags: number;
  /** seq_profile. */
  profile: number;
  /** Bits per sample. */
  bitDepth: number;
  /** OrderHintBits: 0 when enable_order_hint is off. */
  orderHintBits: number;
  /** The sequence header OBU. */
  obu: Uint8Array<ArrayBuffer>;
}

/**
 * The sequence header OBU for SEQUENCE, byte-stable (FRAME_GATED); throws a RangeError when a
 * field is not what the syntax allows (profile, bit depth, order hint bits, subsampling).
 */
export function rebuildSequence(s: Av1SequenceCtrl): RebuiltSequence {
  const flags = s.flags | FRAME_GATED;
  const has = (f: number) => (flags & f) !== 0;
  checkRanges("AV1_SEQUENCE", [
    ["seq_profile", [s.seqProfile], 0, 2],
    ["bit_depth", [s.bitDepth], 8, s.seqProfile === 2 ? 12 : 10],
    ["order_hint_bits", has(SEQ_FLAG.ENABLE_ORDER_HINT) ? [s.orderHintBits] : [], 1, 8],
  ]);
  if (s.bitDepth % 2) {
    throw new RangeError(`AV1_SEQUENCE bit_depth = ${s.bitDepth}: not 8, 10 or 12`);
  }
  // color_config(): which subsampling each profile codes (monochrome is 4:2:0's)
  const mono = has(SEQ_FLAG.MONO_CHROME);
  const ssx = has(SEQ_FLAG.SUBSAMPLING_X), ssy = has(SEQ_FLAG.SUBSAMPLING_Y);
  const subsamplingOk = mono
    ? s.seqProfile !== 1 && ssx && ssy
    : s.seqProfile === 0
    ? ssx && ssy
    : s.seqProfile === 1
    ? !ssx && !ssy
    : s.bitDepth === 12
    ? ssx || !ssy
    : ssx && !ssy;
  if (!subsamplingOk) {
    throw new RangeError(
      `AV1_SEQUENCE flags: subsampling x ${+ssx} y ${+ssy}${mono ? ", monochrome" : ""} ` +
        `is not profile ${s.seqProfile}'s at ${s.bitDepth} bits`,
    );
  }
  const w = new BitWriter();
  w.u(3, s.seqProfile);
  w.flag(has(SEQ_FLAG.STILL_PICTURE));
  w.flag(false); // reduced_still_picture_header
  w.flag(false); // timing_info_present_flag
  w.flag(false); // initial_display_delay_present_flag
  w.u(5, 0); // operating_points_cnt_minus_1
  w.u(12, 0); // operating_point_idc[0]
  w.u(5, 31); // seq_level_idx[0]: no level constraint
  w.u(1, 0); // seq_tier[0] (levels above 7 have one)
  w.u(4, FRAME_SIZE_BITS - 1);
  w.u(4, FRAME_SIZE_BITS - 1);
  w.u(FRAME_SIZE_BITS, 65535); // max_frame_width_minus_1: frames code their own sizes
  w.u(FRAME_SIZE_BITS, 65535);
  w.flag(false); // frame_id_numbers_present_flag
  w.flag(has(SEQ_FLAG.USE_128X128_SUPERBLOCK));
  w.flag(has(SEQ_FLAG.ENABLE_FILTER_INTRA));
  w.flag(has(SEQ_FLAG.ENABLE_INTRA_EDGE_FILTER));
  w.flag(has(SEQ_FLAG.ENABLE_INTERINTRA_COMPOUND));
  w.flag(has(SEQ_FLAG.ENABLE_MASKED_COMPOUND));
  w.flag(has(SEQ_FLAG.ENABLE_WARPED_MOTION));
  w.flag(has(SEQ_FLAG.ENABLE_DUAL_FILTER));
  const orderHint = has(SEQ_FLAG.ENABLE_ORDER_HINT) && s.orderHintBits > 0;
  w.flag(orderHint);
  if (orderHint) {
    w.flag(has(SEQ_FLAG.ENABLE_JNT_COMP));
    w.flag(has(SEQ_FLAG.ENABLE_REF_FRAME_MVS));
  }
  w.flag(true); // seq_choose_screen_content_tools: SELECT, each frame says
  w.flag(true); // seq_choose_integer_mv: SELECT
  if (orderHint) w.u(3, s.orderHintBits - 1);
  w.flag(has(SEQ_FLAG.ENABLE_SUPERRES));
  w.flag(has(SEQ_FLAG.ENABLE_CDEF));
  w.flag(has(SEQ_FLAG.ENABLE_RESTORATION));
  // color_config()
  w.flag(s.bitDepth > 8); // high_bitdepth
  if (s.seqProfile === 2 && s.bitDepth > 8) w.flag(s.bitDepth === 12);
  if (s.seqProfile !== 1) w.flag(mono);
  w.flag(false); // color_description_present_flag
  w.flag(has(SEQ_FLAG.COLOR_RANGE));
  if (!mono) {
    if (s.seqProfile === 2 && s.bitDepth === 12) {
      w.flag(ssx);
      if (ssx) w.flag(ssy);
    }
    if (ssx && ssy) w.u(2, 0); // chroma_sample_position: unknown
    w.flag(has(SEQ_FLAG.SEPARATE_UV_DELTA_Q));
  }
  w.flag(has(SEQ_FLAG.FILM_GRAIN_PARAMS_PRESENT));
  w.trailing();
  return {
    flags,
    profile: s.seqProfile,
    bitDepth: s.bitDepth,
    orderHintBits: orderHint ? s.orderHintBits : 0,
    obu: writeObu(OBU_SEQUENCE_HEADER, w.rbsp()),
  };
}

/** ns(n) (4.10.7): `v` in 0..n-1; anything else (n <= 0 included) is a RangeError. */
function writeNs(w: BitWriter, n: number, v: number): void {
  if (!(n > 0 && v >= 0 && v < n)) throw new RangeError(`ns(${n}) cannot hold ${v}`);
  let bits = 0;
  for (let x = n; x !== 0; x >>= 1) bits++;
  const m = (1 << bits) - n;
  if (v < m) {
    w.u(bits - 1, v);
  } else {
    w.u(bits - 1, (v + m) >> 1);
    w.u(1, (v + m) & 1);
  }
}

/** su(n) (4.10.6): `v` in -2^(n-1)..2^(n-1)-1. */
function writeSu(w: BitWriter, n: number, v: number): void {
  if (!(v >= -(1 << (n - 1)) && v < 1 << (n - 1))) {
    throw new RangeError(`su(${n}) cannot hold ${v}`);
  }
  w.u(n, v < 0 ? v + (1 << n) : v);
}

function writeDeltaQ(w: BitWriter, v: number): void {
  w.flag(v !== 0);
  if (v !== 0) writeSu(w, 7, v);
}

function recenter(r: number, v: number): number {
  if (v > 2 * r) return v;
  if (v >= r) return (v - r) << 1;
  return ((r - v) << 1) - 1;
}

function writeSubexp(w: BitWriter, numSyms: number, v: number): void {
  if (!(v >= 0 && v < numSyms)) throw new RangeError(`subexp(${numSyms}) cannot hold ${v}`);
  let i = 0, mk = 0;
  const k = 3;
  for (;;) {
    const b2 = i ? k + i - 1 : k;
    const a = 1 << b2;
    if (numSyms <= mk + 3 * a) {
      writeNs(w, numSyms - mk, v - mk);
      return;
    }
    const more = v >= mk + a;
    w.flag(more);
    if (!more) {
      w.u(b2, v - mk);
      return;
    }
    i++;
    mk += a;
  }
}

function writeSignedSubexpWithRef(
  w: BitWriter,
  low: number,
  high: number,
  ref: number,
  value: number,
): void {
  const mx = high - low;
  const r = ref - low;
  const x = value - low;
  const v = (r << 1) <= mx ? recenter(r, x) : recenter(mx - 1 - r, mx - 1 - x);
  writeSubexp(w, mx, v);
}

const tileLog2 = (blk: number, target: number) => {
  let k = 0;
  while ((blk << k) < target) k++;
  return k;
};

/** The frame's sizes as its header codes them: superres scales the coded width (7.21). */
function frameSizes(f: Av1FrameCtrl) {
  const upscaledWidth = f.upscaledWidth || f.frameWidthMinus1 + 1;
  const denom = f.flags & FRAME_FLAG.USE_SUPERRES ? f.superresDenom : 8;
  // never narrower than 16 (or the upscaled width), as libaom and dav1d compute it
  const frameWidth = Math.max(
    Math.floor((upscaledWidth * 8 + (denom >> 1)) / denom),
    Math.min(16, upscaledWidth),
  );
  return { upscaledWidth, frameWidth, frameHeight: f.frameHeightMinus1 + 1 };
}

/** What tile_info() codes: log2 steps (uniform spacing) or ns() sizes, each within its bound. */
interface TileSyntax {
  uniform: boolean;
  /** Uniform: increment flags from `min` up to `log2`, then a 0 unless `log2` is `max`. */
  cols: { min: number; log2: number; max: number };
  rows: { min: number; log2: number; max: number };
  /** Not uniform: width_in_sbs_minus_1 then height_in_sbs_minus_1, as ns(n) values. */
  sizes: { n: number; v: number }[];
}

/**
 * tile_info() (5.9.15) for `f`, its tile counts and sizes checked against the frame's
 * superblocks: at most MAX_TILE_COLS x MAX_TILE_ROWS tiles; uniform spacing, counts a uniform
 * split gives; otherwise widths and heights that fill the superblock columns and rows exactly,
 * each within maxTileWidthSb and the tile area bound; context_update_tile_id one of the tiles.
 */
function tileSyntax(seq: RebuiltSequence, f: Av1FrameCtrl): TileSyntax {
  const bad = (field: string, why: string) => new RangeError(`AV1_FRAME tile_info.${field} ${why}`);
  const { cols, rows } = f.tile;
  checkRanges("AV1_FRAME", [
    ["tile_info.tile_cols", [cols], 1, MAX_TILE_COLS],
    ["tile_info.tile_rows", [rows], 1, MAX_TILE_ROWS],
  ]);
  const { frameWidth, frameHeight } = frameSizes(f);
  const sb128 = (seq.flags & SEQ_FLAG.USE_128X128_SUPERBLOCK) !== 0;
  const miCols = 2 * ((frameWidth + 7) >> 3);
  const miRows = 2 * ((frameHeight + 7) >> 3);
  const sbCols = sb128 ? (miCols + 31) >> 5 : (miCols + 15) >> 4;
  const sbRows = sb128 ? (miRows + 31) >> 5 : (miRows + 15) >> 4;
  const sbSize = (sb128 ? 5 : 4) + 2;
  const maxTileWidthSb = 4096 >> sbSize;
  const maxTileAreaSb = (4096 * 2304) >> (2 * sbSize);
  const minLog2TileCols = tileLog2(maxTileWidthSb, sbCols);
  const maxLog2TileCols = tileLog2(1, Math.min(sbCols, MAX_TILE_COLS));
  const maxLog2TileRows = tileLog2(1, Math.min(sbRows, MAX_TILE_ROWS));
  const minLog2Tiles = Math.max(minLog2TileCols, tileLog2(maxTileAreaSb, sbRows * sbCols));
  const out: TileSyntax = {
    uniform: (f.tile.flags & TILE_INFO_FLAG_UNIFORM_TILE_SPACING) !== 0,
    cols: { min: 0, log2: 0, max: 0 },
    rows: { min: 0, log2: 0, max: 0 },
    sizes: [],
  };
  if (out.uniform) {
    // the smallest log2 whose uniform split gives the control's count
    const split = (field: string, count: number, sbs: number, min: number, max: number) => {
      const counts: number[] = [];
      for (let log2 = min; log2 <= max; log2++) {
        const size = (sbs + (1 << log2) - 1) >> log2;
        counts.push(Math.ceil(sbs / size));
        if (counts.at(-1) === count) return { min, log2, max };
      }
      throw bad(field, `= ${count}: a uniform split of ${sbs} superblocks gives ${counts}`);
    };
    out.cols = split("tile_cols", cols, sbCols, minLog2TileCols, maxLog2TileCols);
    const minLog2TileRows = Math.max(minLog2Tiles - out.cols.log2, 0);
    out.rows = split("tile_rows", rows, sbRows, minLog2TileRows, maxLog2TileRows);
  } else {
    // sizes that fill `sbs` exactly, each at most `max` (ns() codes 1..n)
    const fill = (field: string, sizesMinus1: number[], sbs: number, max: number) => {
      let start = 0;
      sizesMinus1.forEach((v, i) => {
        const n = Math.min(sbs - start, max);
        if (!(v >= 0 && v < n)) {
          throw bad(
            `${field}[${i}]`,
            `= ${v}: ${sbs - start} of ${sbs} superblocks left, ${max} at most`,
          );
        }
        out.sizes.push({ n, v });
        start += v + 1;
      });
      if (start !== sbs) throw bad(field, `: ${start} superblocks of ${sbs}`);
    };
    fill("width_in_sbs_minus_1", f.tile.widthInSbsMinus1, sbCols, maxTileWidthSb);
    const widest = Math.max(...f.tile.widthInSbsMinus1) + 1;
    const areaSb = minLog2Tiles > 0 ? (sbRows * sbCols) >> (minLog2Tiles + 1) : sbRows * sbCols;
    const maxTileHeightSb = Math.max(Math.floor(areaSb / widest), 1);
    fill("height_in_sbs_minus_1", f.tile.heightInSbsMinus1, sbRows, maxTileHeightSb);
    out.cols.log2 = tileLog2(1, cols);
    out.rows.log2 = tileLog2(1, rows);
  }
  checkRanges("AV1_FRAME", [
    ["tile_info.context_update_tile_id", [f.tile.contextUpdateTileId], 0, cols * rows - 1],
  ]);
  return out;
}

/** What global motion parameter `idx` of a `type` model codes (5.9.25): bits and offsets. */
function gmParamCoding(type: number, idx: number, highPrecision: boolean) {
  let absBits = 12, precBits = 15;
  if (idx < 2) {
    if (type === TRANSLATION) {
      absBits = 9 - (highPrecision ? 0 : 1);
      precBits = 3 - (highPrecision ? 0 : 1);
    } else {
      absBits = 12;
      precBits = 6;
    }
  }
  return {
    precDiff: WARPEDMODEL_PREC_BITS - precBits,
    round: idx % 3 === 2 ? 1 << WARPEDMODEL_PREC_BITS : 0,
    sub: idx % 3 === 2 ? 1 << precBits : 0,
    mx: 1 << absBits,
  };
}

/** The global motion parameters a `type` model codes, in the order the header codes them. */
const GM_CODED: number[][] = [[], [0, 1], [2, 3, 0, 1], [2, 3, 4, 5, 0, 1]];

/** force_integer_mv, as the frame header derives it. */
const forcesIntegerMv = (f: Av1FrameCtrl) =>
  f.frameType === KEY_FRAME || f.frameType === INTRA_ONLY_FRAME ||
  ((f.flags & FRAME_FLAG.ALLOW_SCREEN_CONTENT_TOOLS) !== 0 &&
    (f.flags & FRAME_FLAG.FORCE_INTEGER_MV) !== 0);

/**
 * Throws a RangeError naming the first field of FRAME (and FILM_GRAIN, when the frame header
 * codes it) that the AV1 syntax does not allow where the header writer uses it: the frame size
 * (and that `capture`, the CAPTURE buffers' size, holds it: dav1d would allocate it), then tile info against the frame's superblocks, then frame type, order hint (within the sequence's
 * bits), references, filters, quantizer, segmentation, loop filter, CDEF, loop
 * restoration, global motion and film grain ranges.
 */
export function checkFrame(
  seq: RebuiltSequence,
  f: Av1FrameCtrl,
  grain?: Av1FilmGrainCtrl,
  capture?: { width: number; height: number },
): void {
  // the frame's size, which its superblocks come from, then its tiles
  const { upscaledWidth, frameHeight } = frameSizes(f);
  checkRanges("AV1_FRAME", [
    ["upscaled_width", [upscaledWidth], 1, 1 << FRAME_SIZE_BITS],
    ["frame_height_minus_1", [f.frameHeightMinus1], 0, (1 << FRAME_SIZE_BITS) - 1],
    ["superres_denom", f.flags & FRAME_FLAG.USE_SUPERRES ? [f.superresDenom] : [], 9, 16],
  ]);
  if (capture && (upscaledWidth > capture.width || frameHeight > capture.height)) {
    throw new RangeError(
      `AV1_FRAME ${upscaledWidth}x${frameHeight} is larger than the CAPTURE buffers ` +
        `(${capture.width}x${capture.height})`,
    );
  }
  tileSyntax(seq, f);
  const seqHas = (flag: number) => (seq.flags & flag) !== 0;
  const mono = seqHas(SEQ_FLAG.MONO_CHROME);
  const ss420 = seqHas(SEQ_FLAG.SUBSAMPLING_X) && seqHas(SEQ_FLAG.SUBSAMPLING_Y);
  const intra = f.frameType === KEY_FRAME || f.frameType === INTRA_ONLY_FRAME;
  const q = f.quant, lf = f.lf, cdef = f.cdef, lr = f.lr;
  const qm = (q.flags & QUANT_FLAG.USING_QMATRIX) !== 0;
  const deltaQ = q.baseQIdx > 0 && (q.flags & QUANT_FLAG.DELTA_Q_PRESENT) !== 0;
  const deltaLf = deltaQ && (lf.flags & LF_FLAG.DELTA_LF_PRESENT) !== 0;
  const lfDeltas = (lf.flags & LF_FLAG.DELTA_ENABLED) !== 0;
  const segEnabled = (f.seg.flags & SEG_FLAG.ENABLED) !== 0;
  const usesLr = lr.type.slice(0, mono ? 1 : 3).some((t) => t !== 0);
  const usesChromaLr = !mono && lr.type.slice(1, 3).some((t) => t !== 0);
  const cdefStrengths = (xs: number[]) => xs.slice(0, 1 << Math.min(cdef.bits, 3));
  const segRanges: FieldRange[] = [];
  for (let i = 0; segEnabled && i < 8; i++) {
    for (let j = 0; j < 8; j++) {
      if (!(f.seg.featureEnabled[i] & (1 << j))) continue;
      const max = SEG_FEATURE_MAX[j];
      const value = SEG_FEATURE_BITS[j] ? [f.seg.featureData[i][j]] : [];
      segRanges.push([
        `segmentation.feature_data[${i}][${j}]`,
        value,
        SEG_FEATURE_SIGNED[j] ? -max : 0,
        max,
      ]);
    }
  }
  const gmRanges: FieldRange[] = [];
  const highPrecision = !forcesIntegerMv(f) && (f.flags & FRAME_FLAG.ALLOW_HIGH_PRECISION_MV) !== 0;
  for (let ref = 1; !intra && ref <= 7; ref++) {
    for (const idx of GM_CODED[f.gm.type[ref]] ?? []) {
      // the coded value, (param - round) >> precDiff, within -mx..mx
      const { precDiff, round, mx } = gmParamCoding(f.gm.type[ref], idx, highPrecision);
      const unit = 2 ** precDiff;
      gmRanges.push([
        `global_motion.params[${ref}][${idx}]`,
        [f.gm.params[ref][idx]],
        round - mx * unit,
        round + (mx + 1) * unit - 1,
      ]);
    }
  }
  checkRanges("AV1_FRAME", [
    ["frame_type", [f.frameType], KEY_FRAME, SWITCH_FRAME],
    ["order_hint", [f.orderHint], 0, (1 << seq.orderHintBits) - 1],
    ["primary_ref_frame", [f.primaryRefFrame], 0, PRIMARY_REF_NONE],
    ["ref_frame_idx", intra ? [] : f.refFrameIdx, 0, 7],
    ["interpolation_filter", intra ? [] : [f.interpolationFilter], 0, 4],
    ["tx_mode", [f.txMode], 0, 2],
    ["quantization.delta_q_y_dc", [q.deltaQYDc], -64, 63],
    ["quantization.delta_q_u_dc", [q.deltaQUDc], -64, 63],
    ["quantization.delta_q_u_ac", [q.deltaQUAc], -64, 63],
    ["quantization.delta_q_v_dc", [q.deltaQVDc], -64, 63],
    ["quantization.delta_q_v_ac", [q.deltaQVAc], -64, 63],
    ["quantization.qm_y", qm ? [q.qmY] : [], 0, 15],
    ["quantization.qm_u", qm ? [q.qmU] : [], 0, 15],
    ["quantization.qm_v", qm ? [q.qmV] : [], 0, 15],
    ["quantization.delta_q_res", deltaQ ? [q.deltaQRes] : [], 0, 3],
    ["loop_filter.delta_lf_res", deltaLf ? [lf.deltaLfRes] : [], 0, 3],
    ...segRanges,
    ["loop_filter.level", lf.level, 0, 63],
    ["loop_filter.sharpness", [lf.sharpness], 0, 7],
    ["loop_filter.ref_deltas", lfDeltas ? lf.refDeltas : [], -64, 63],
    ["loop_filter.mode_deltas", lfDeltas ? lf.modeDeltas : [], -64, 63],
    ["cdef.damping_minus_3", [cdef.dampingMinus3], 0, 3],
    ["cdef.bits", [cdef.bits], 0, 3],
    ["cdef.y_pri_strength", cdefStrengths(cdef.yPri), 0, 15],
    ["cdef.y_sec_strength", cdefStrengths(cdef.ySec), 0, CDEF_SEC_MAX],
    ["cdef.uv_pri_strength", mono ? [] : cdefStrengths(cdef.uvPri), 0, 15],
    ["cdef.uv_sec_strength", mono ? [] : cdefStrengths(cdef.uvSec), 0, CDEF_SEC_MAX],
    ["loop_restoration.frame_restoration_type", lr.type.slice(0, mono ? 1 : 3), 0, 3],
    [
      "loop_restoration.lr_unit_shift",
      usesLr ? [lr.unitShift] : [],
      seqHas(SEQ_FLAG.USE_128X128_SUPERBLOCK) ? 1 : 0,
      2,
    ],
    ["loop_restoration.lr_uv_shift", usesChromaLr && ss420 ? [lr.uvShift] : [], 0, 1],
    ["global_motion.type", intra ? [] : f.gm.type.slice(1), IDENTITY, AFFINE],
    ...gmRanges,
  ]);
  const shownOrShowable = (f.flags & (FRAME_FLAG.SHOW_FRAME | FRAME_FLAG.SHOWABLE_FRAME)) !== 0;
  if (grain && shownOrShowable && (grain.flags & FG_FLAG.APPLY_GRAIN)) checkGrain(seq, grain);
}

/** film_grain_params() (5.9.30): point counts and order, and the fields' widths. */
function checkGrain(seq: RebuiltSequence, g: Av1FilmGrainCtrl): void {
  const mono = (seq.flags & SEQ_FLAG.MONO_CHROME) !== 0;
  const ss420 = (seq.flags & SEQ_FLAG.SUBSAMPLING_X) !== 0 &&
    (seq.flags & SEQ_FLAG.SUBSAMPLING_Y) !== 0;
  const csfl = (g.flags & FG_FLAG.CHROMA_SCALING_FROM_LUMA) !== 0;
  // the chroma points are coded (and used) only here
  const chroma = !(mono || csfl || (ss420 && g.pointYValue.length === 0));
  const numCb = chroma ? g.pointCbValue.length : 0, numCr = chroma ? g.pointCrValue.length : 0;
  checkRanges("AV1_FILM_GRAIN", [
    ["film_grain.num_y_points", [g.pointYValue.length], 0, 14],
    ["film_grain.num_cb_points", [numCb], 0, 10],
    ["film_grain.num_cr_points", [numCr], ss420 && numCb ? 1 : 0, ss420 && !numCb ? 0 : 10],
    ["film_grain.grain_scaling_minus_8", [g.grainScalingMinus8], 0, 3],
    ["film_grain.ar_coeff_lag", [g.arCoeffLag], 0, 3],
    ["film_grain.ar_coeff_shift_minus_6", [g.arCoeffShiftMinus6], 0, 3],
    ["film_grain.grain_scale_shift", [g.grainScaleShift], 0, 3],
    ["film_grain.cb_offset", numCb ? [g.cbOffset] : [], 0, 511],
    ["film_grain.cr_offset", numCr ? [g.crOffset] : [], 0, 511],
  ]);
  const increasing = (field: string, values: number[]) =>
    values.forEach((v, i) => {
      if (i > 0 && v <= values[i - 1]) {
        throw new RangeError(
          `AV1_FILM_GRAIN film_grain.${field}[${i}] = ${v}: not above ${values[i - 1]}`,
        );
      }
    });
  increasing("point_y_value", g.pointYValue);
  increasing("point_cb_value", g.pointCbValue.slice(0, numCb));
  increasing("point_cr_value", g.pointCrValue.slice(0, numCr));
}

const identityGm = () =>
  Array.from(
    { length: 8 },
    () => [0, 0, 1 << WARPEDMODEL_PREC_BITS, 0, 0, 1 << WARPEDMODEL_PREC_BITS],
  );

/** What dav1d keeps per reference slot: the picture (by its timestamp) and what headers use. */
interface Slot {
  timestamp: bigint;
  orderHint: number;
  gmParams: number[][];
  /** When a frame last was stored here or predicted from it (frames counted). */
  lastUsed: number;
}

/**
 * Where a frame's references are in dav1d's slots and where it goes. Clients name references by
 * their slot and by the picture's timestamp (`reference_frame_ts`); the timestamps are what both
 * clients get right — libva guesses `refresh_frame_flags` (docs/av1.md) — so dav1d's slots are
 * the daemon's own, each reference found by its timestamp and each picture stored in one slot
 * (`Av1HeaderWriter.plan`).
 */
export interface SlotPlan {
  /** ref_frame_idx[] in dav1d's slots. */
  refFrameIdx: number[];
  /** refresh_frame_flags in dav1d's slots. */
  refresh: number;
  /**
   * The frame is decoded (and shown) without being stored: its flags may be libva's guess and
   * storing it would replace a picture the client may still hold. The next request's
   * `reference_frame_ts` shows whether the client kept it; then it is decoded again into the
   * slot `placeDeferred` picks.
   */
  deferred?: true;
}

/** libva-v4l2_request's guess (docs/av1.md): 0xFF for intra frames, else every slot not used. */
function looksGuessed(f: Av1FrameCtrl): boolean {
  if (f.frameType === KEY_FRAME || f.frameType === INTRA_ONLY_FRAME) {
    return f.refreshFrameFlags === 0xff;
  }
  const used = f.refFrameIdx.reduce((m, c) => m | (1 << (c & 7)), 0);
  return f.refreshFrameFlags === (~used & 0xff);
}

/** One context's OBU writer: keeps the sequence and what each reference slot holds. */
export class Av1HeaderWriter {
  readonly #slots: (Slot | undefined)[] = new Array(8).fill(undefined);
  #frames = 0;
  /** The client's last frame: where its flags said it went, to compare with the next request. */
  #previous: { timestamp: bigint; refresh: number } | undefined;
  /**
   * The client's `refresh_frame_flags` once disagreed with the slots its next request showed
   * the picture in: it guesses them (libva), and frames whose flags look guessed may be deferred.
   */
  #guessing = false;

  /** Forgets every slot (a new sequence, or after dav1d was flushed). */
  reset(): void {
    this.#slots.fill(undefined);
    this.#previous = undefined;
  }

  /**
   * Maps `f`'s references to dav1d's slots and picks the one slot it will be stored in. dav1d
   * must hold, after this frame, every picture the client keeps: those in the client's slots its
   * `refresh_frame_flags` leave alone (`kept`). The new picture goes into a slot that holds
   * none of them, or a second copy of one: first an empty slot or one whose picture the client
   * no longer names, then a second copy, then a picture the client's flags replace; among equals
   * the slot the client itself refreshes (so dav1d's slots follow the client's when they can),
   * then the least recently used (libva's guessed flags name more than the stream replaces).
   * Such a slot always exists: the kept pictures are in at most 7 client slots (a frame that
   * refreshes none is stored nowhere), so at most 7 of dav1d's 8 slots hold a kept picture's
   * only copy. A slot this frame predicts from may be the one replaced: AV1 stores the picture
   * after decoding it. When the client guesses its flags (`#guessing`), these look like
   * libva's guess and the only slots left hold pictures they replace, the guess may have named
   * the wrong picture: the frame is deferred (`SlotPlan.deferred`). `f` (and `grain`) are checked
   * first (`checkFrame`, against `capture`'s size too): a RangeError fails the job before
   * anything is written.
   */
  plan(
    seq: RebuiltSequence,
    f: Av1FrameCtrl,
    grain?: Av1FilmGrainCtrl,
    capture?: { width: number; height: number },
  ): SlotPlan {
    checkFrame(seq, f, grain, capture);
    if (this.#previous) {
      const { timestamp, refresh } = this.#previous;
      const went = f.referenceFrameTs.reduce((m, t, i) => (t === timestamp ? m | (1 << i) : m), 0);
      if (went !== 0 && went !== refresh) this.#guessing = true;
    }
    const intra = f.frameType === KEY_FRAME || f.frameType === INTRA_ONLY_FRAME;
    if (f.frameType === KEY_FRAME && (f.flags & FRAME_FLAG.SHOW_FRAME)) {
      return { refFrameIdx: new Array(7).fill(0), refresh: 0xff };
    }
    const slotOf = (ts: bigint) =>
      this.#slots.findIndex((s) => s !== undefined && s.timestamp === ts);
    // Timestamp 0 is a picture too (GStreamer numbers its first frame 0) as well as libva's
    // "empty": a slot is found only when the daemon decoded a picture with that timestamp.
    const refFrameIdx = intra ? new Array(7).fill(0) : f.refFrameIdx.map((c, i) => {
      const ts = f.referenceFrameTs[c & 7];
      const d = slotOf(ts);
      if (d < 0) {
        throw new RangeError(`reference ${i} (slot ${c}, timestamp ${ts}) was not decoded here`);
      }
      return d;
    });
    if (f.frameType === SWITCH_FRAME) return { refFrameIdx, refresh: 0xff };
    if (f.refreshFrameFlags === 0) return { refFrameIdx, refresh: 0 }; // not a reference
    const refreshes = (i: number) => (f.refreshFrameFlags & (1 << i)) !== 0;
    const named = new Set(f.referenceFrameTs);
    const kept = new Set(f.referenceFrameTs.filter((_, i) => !refreshes(i)));
    const best = this.#pick(named, (ts) => !kept.has(ts), refreshes);
    if (this.#guessing && best.rank === 2 && looksGuessed(f)) {
      return { refFrameIdx, refresh: 0, deferred: true };
    }
    return { refFrameIdx, refresh: 1 << best.i };
  }

  /**
   * The slot a new picture goes to: ranked 0 when empty or holding a picture the client does
   * not name, 1 when holding a second copy, 2 when holding one `replaceable` says may go (the
   * others are not candidates); among equals the client's own slot (`mine`), then the least
   * recently used.
   */
  #pick(
    named: Set<bigint>,
    replaceable: (ts: bigint) => boolean,
    mine: (i: number) => boolean,
  ): { i: number; rank: number } {
    const copies = (ts: bigint) => this.#slots.filter((s) => s?.timestamp === ts).length;
    const rank = (s: Slot | undefined) =>
      s === undefined || !named.has(s.timestamp)
        ? 0
        : copies(s.timestamp) > 1
        ? 1
        : replaceable(s.timestamp)
        ? 2
        : Infinity;
    const candidates = this.#slots.map((s, i) => ({
      i,
      rank: rank(s),
      mine: mine(i) ? 0 : 1,
      lastUsed: s?.lastUsed ?? 0,
    })).filter((c) => c.rank !== Infinity);
    candidates.sort((a, b) => a.rank - b.rank || a.mine - b.mine || a.lastUsed - b.lastUsed);
    return candidates[0];
  }

  /**
   * The slot for a deferred picture (`timestamp`), now that `next`, the context's next request,
   * names the client's slots after it: undefined when the client did not keep it, else an empty
   * slot or one whose picture the client no longer names, or a second copy — the client's own
   * slot first. One always exists: the client holds at most 7 other pictures.
   */
  placeDeferred(timestamp: bigint, next: Av1FrameCtrl): number | undefined {
    const named = new Set(next.referenceFrameTs);
    if (!named.has(timestamp)) return undefined;
    return this.#pick(named, () => false, (i) => next.referenceFrameTs[i] === timestamp).i;
  }

  /**
   * After a frame decoded: the slots its plan refreshed now hold it, and none holds an older
   * picture of the same timestamp (libva reuses a CAPTURE buffer's timestamp).
   */
  commit(f: Av1FrameCtrl, plan: SlotPlan, timestamp: bigint): void {
    const intra = f.frameType === KEY_FRAME || f.frameType === INTRA_ONLY_FRAME;
    const now = ++this.#frames;
    if (!intra) {
      for (const i of plan.refFrameIdx) if (this.#slots[i]) this.#slots[i]!.lastUsed = now;
    }
    const all = f.frameType === SWITCH_FRAME ||
      (f.frameType === KEY_FRAME && (f.flags & FRAME_FLAG.SHOW_FRAME) !== 0);
    this.#previous = { timestamp, refresh: all ? 0xff : f.refreshFrameFlags };
    if (plan.refresh) {
      this.#slots.forEach((s, i) => {
        if (s?.timestamp === timestamp) this.#slots[i] = undefined;
      });
    }
    for (let i = 0; i < 8; i++) {
      if (plan.refresh & (1 << i)) {
        this.#slots[i] = {
          timestamp,
          orderHint: f.orderHint,
          gmParams: intra ? identityGm() : f.gm.params.map((p) => [...p]),
          lastUsed: now,
        };
      }
    }
  }

  /**
   * The frame header OBU for `f` against `seq`, its references and refresh in dav1d's slots as
   * `plan` (which checked `f` and `grain`) says; `grain` when the request carries FILM_GRAIN.
   */
  frameHeader(
    seq: RebuiltSequence,
    frame: Av1FrameCtrl,
    plan: SlotPlan,
    grain?: Av1FilmGrainCtrl,
  ): Uint8Array {
    const f = { ...frame, refFrameIdx: plan.refFrameIdx, refreshFrameFlags: plan.refresh };
    const w = new BitWriter();
    const has = (flag: number) => (f.flags & flag) !== 0;
    const seqHas = (flag: number) => (seq.flags & flag) !== 0;
    const mono = seqHas(SEQ_FLAG.MONO_CHROME);
    const sb128 = seqHas(SEQ_FLAG.USE_128X128_SUPERBLOCK);
    const type = f.frameType;
    const show = has(FRAME_FLAG.SHOW_FRAME);
    const intra = type === KEY_FRAME || type === INTRA_ONLY_FRAME;
    const errorResilient = has(FRAME_FLAG.ERROR_RESILIENT_MODE) || type === SWITCH_FRAME ||
      (type === KEY_FRAME && show);
    const showable = has(FRAME_FLAG.SHOWABLE_FRAME);
    w.flag(false); // show_existing_frame: the client shows those itself
    w.u(2, type);
    w.flag(show);
    if (!show) w.flag(showable);
    if (!(type === SWITCH_FRAME || (type === KEY_FRAME && show))) w.flag(errorResilient);
    w.flag(has(FRAME_FLAG.DISABLE_CDF_UPDATE));
    const sct = has(FRAME_FLAG.ALLOW_SCREEN_CONTENT_TOOLS);
    w.flag(sct); // seq_force_screen_content_tools is SELECT
    if (sct) w.flag(has(FRAME_FLAG.FORCE_INTEGER_MV)); // seq_force_integer_mv is SELECT
    const forceIntegerMv = forcesIntegerMv(f);
    if (type !== SWITCH_FRAME) w.flag(true); // frame_size_override_flag: sizes always coded
    if (seq.orderHintBits) w.u(seq.orderHintBits, f.orderHint & ((1 << seq.orderHintBits) - 1));
    const primaryRefFrame = intra || errorResilient ? PRIMARY_REF_NONE : f.primaryRefFrame;
    if (!(intra || errorResilient)) w.u(3, primaryRefFrame);
    const refresh = type === SWITCH_FRAME || (type === KEY_FRAME && show)
      ? 0xff
      : f.refreshFrameFlags;
    if (!(type === SWITCH_FRAME || (type === KEY_FRAME && show))) w.u(8, refresh);
    if ((!intra || refresh !== 0xff) && errorResilient && seq.orderHintBits) {
      for (let i = 0; i < 8; i++) w.u(seq.orderHintBits, this.#slots[i]?.orderHint ?? 0);
    }
    const { upscaledWidth, frameWidth, frameHeight } = frameSizes(f);
    const useSuperres = has(FRAME_FLAG.USE_SUPERRES);
    const frameSize = () => {
      w.u(FRAME_SIZE_BITS, upscaledWidth - 1);
      w.u(FRAME_SIZE_BITS, frameHeight - 1);
      w.flag(useSuperres); // enable_superres is on
      if (useSuperres) w.u(3, f.superresDenom - 9);
    };
    const renderSize = () => {
      const rw = f.renderWidthMinus1 + 1, rh = f.renderHeightMinus1 + 1;
      const different = rw !== upscaledWidth || rh !== frameHeight;
      w.flag(different);
      if (different) {
        w.u(16, rw - 1);
        w.u(16, rh - 1);
      }
    };
    let allowIntrabc = false;
    if (intra) {
      frameSize();
      renderSize();
      if (sct && upscaledWidth === frameWidth) {
        allowIntrabc = has(FRAME_FLAG.ALLOW_INTRABC);
        w.flag(allowIntrabc);
      }
    } else {
      if (seq.orderHintBits) w.flag(false); // frame_refs_short_signaling
      for (let i = 0; i < 7; i++) w.u(3, f.refFrameIdx[i] & 7);
      if (!errorResilient) { for (let i = 0; i < 7; i++) w.flag(false); // found_ref
       }
      frameSize();
      renderSize();
      if (!forceIntegerMv) w.flag(has(FRAME_FLAG.ALLOW_HIGH_PRECISION_MV));
      const switchable = f.interpolationFilter === 4;
      w.flag(switchable);
      if (!switchable) w.u(2, f.interpolationFilter);
      w.flag(has(FRAME_FLAG.IS_MOTION_MODE_SWITCHABLE));
      if (!errorResilient) w.flag(has(FRAME_FLAG.USE_REF_FRAME_MVS)); // enable_ref_frame_mvs is on
    }
    if (!has(FRAME_FLAG.DISABLE_CDF_UPDATE)) w.flag(has(FRAME_FLAG.DISABLE_FRAME_END_UPDATE_CDF));
    // tile_info()
    const tiles = tileSyntax(seq, f);
    w.flag(tiles.uniform);
    if (tiles.uniform) {
      for (const { min, log2, max } of [tiles.cols, tiles.rows]) {
        for (let k = min; k < log2; k++) w.flag(true); // increment_tile_{cols,rows}_log2
        if (log2 < max) w.flag(false);
      }
    }
    for (const { n, v } of tiles.sizes) writeNs(w, n, v);
    if (tiles.cols.log2 > 0 || tiles.rows.log2 > 0) {
      w.u(tiles.rows.log2 + tiles.cols.log2, f.tile.contextUpdateTileId);
      w.u(2, TILE_SIZE_BYTES - 1);
    }
    // quantization_params()
    const q = f.quant;
    w.u(8, q.baseQIdx);
    writeDeltaQ(w, q.deltaQYDc);
    if (!mono) {
      const diffUv = (q.flags & QUANT_FLAG.DIFF_UV_DELTA) !== 0 || q.deltaQUDc !== q.deltaQVDc ||
        q.deltaQUAc !== q.deltaQVAc;
      w.flag(diffUv); // separate_uv_delta_q is on
      writeDeltaQ(w, q.deltaQUDc);
      writeDeltaQ(w, q.deltaQUAc);
      if (diffUv) {
        writeDeltaQ(w, q.deltaQVDc);
        writeDeltaQ(w, q.deltaQVAc);
      }
    }
    const qm = (q.flags & QUANT_FLAG.USING_QMATRIX) !== 0;
    w.flag(qm);
    if (qm) {
      w.u(4, q.qmY);
      w.u(4, q.qmU);
      w.u(4, q.qmV); // separate_uv_delta_q is on
    }
    // segmentation_params()
    const s = f.seg;
    const segEnabled = (s.flags & SEG_FLAG.ENABLED) !== 0;
    w.flag(segEnabled);
    if (segEnabled) {
      if (primaryRefFrame !== PRIMARY_REF_NONE) {
        const updateMap = (s.flags & SEG_FLAG.UPDATE_MAP) !== 0;
        w.flag(updateMap);
        if (updateMap) w.flag((s.flags & SEG_FLAG.TEMPORAL_UPDATE) !== 0);
        w.flag(true); // segmentation_update_data: every feature explicit
      }
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          const on = (s.featureEnabled[i] & (1 << j)) !== 0;
          w.flag(on);
          if (!on || !SEG_FEATURE_BITS[j]) continue;
          if (SEG_FEATURE_SIGNED[j]) writeSu(w, 1 + SEG_FEATURE_BITS[j], s.featureData[i][j]);
          else w.u(SEG_FEATURE_BITS[j], s.featureData[i][j]);
        }
      }
    }
    // delta_q_params(), delta_lf_params()
    const deltaQPresent = q.baseQIdx > 0 && (q.flags & QUANT_FLAG.DELTA_Q_PRESENT) !== 0;
    if (q.baseQIdx > 0) w.flag(deltaQPresent);
    if (deltaQPresent) w.u(2, q.deltaQRes);
    if (deltaQPresent && !allowIntrabc) {
      const present = (f.lf.flags & LF_FLAG.DELTA_LF_PRESENT) !== 0;
      w.flag(present);
      if (present) {
        w.u(2, f.lf.deltaLfRes);
        w.flag((f.lf.flags & LF_FLAG.DELTA_LF_MULTI) !== 0);
      }
    }
    let codedLossless = true;
    for (let i = 0; i < 8; i++) {
      let qi = q.baseQIdx;
      if (segEnabled && (s.featureEnabled[i] & 1)) {
        qi = Math.max(0, Math.min(255, qi + s.featureData[i][0]));
      }
      if (
        qi !== 0 || q.deltaQYDc || q.deltaQUAc || q.deltaQUDc || q.deltaQVAc || q.deltaQVDc
      ) codedLossless = false;
    }
    const allLossless = codedLossless && frameWidth === upscaledWidth;
    // loop_filter_params()
    if (!(codedLossless || allowIntrabc)) {
      const lf = f.lf;
      w.u(6, lf.level[0]);
      w.u(6, lf.level[1]);
      if (!mono && (lf.level[0] || lf.level[1])) {
        w.u(6, lf.level[2]);
        w.u(6, lf.level[3]);
      }
      w.u(3, lf.sharpness);
      const deltaEnabled = (lf.flags & LF_FLAG.DELTA_ENABLED) !== 0;
      w.flag(deltaEnabled);
      if (deltaEnabled) {
        w.flag(true); // loop_filter_delta_update: every delta explicit
        for (let i = 0; i < 8; i++) {
          w.flag(true);
          writeSu(w, 7, lf.refDeltas[i]);
        }
        for (let i = 0; i < 2; i++) {
          w.flag(true);
          writeSu(w, 7, lf.modeDeltas[i]);
        }
      }
    }
    // cdef_params()
    if (!(codedLossless || allowIntrabc || !seqHas(SEQ_FLAG.ENABLE_CDEF))) {
      const c = f.cdef;
      w.u(2, c.dampingMinus3);
      w.u(2, c.bits);
      // secondary strengths as coded: GStreamer sends the adjusted value (a coded 3 is 4)
      const sec = (v: number) => (v === 4 ? 3 : v);
      for (let i = 0; i < 1 << c.bits; i++) {
        w.u(4, c.yPri[i]);
        w.u(2, sec(c.ySec[i]));
        if (!mono) {
          w.u(4, c.uvPri[i]);
          w.u(2, sec(c.uvSec[i]));
        }
      }
    }
    // lr_params(): enable_restoration is on
    if (!(allLossless || allowIntrabc)) {
      const CODE = [0, 2, 3, 1]; // V4L2 NONE, WIENER, SGRPROJ, SWITCHABLE → lr_type
      let usesLr = false, usesChromaLr = false;
      for (let i = 0; i < (mono ? 1 : 3); i++) {
        w.u(2, CODE[f.lr.type[i]]);
        if (f.lr.type[i]) {
          usesLr = true;
          if (i > 0) usesChromaLr = true;
        }
      }
      if (usesLr) {
        if (sb128) {
          w.u(1, f.lr.unitShift - 1);
        } else {
          w.flag(f.lr.unitShift > 0);
          if (f.lr.unitShift > 0) w.u(1, f.lr.unitShift - 1);
        }
        if (seqHas(SEQ_FLAG.SUBSAMPLING_X) && seqHas(SEQ_FLAG.SUBSAMPLING_Y) && usesChromaLr) {
          w.u(1, f.lr.uvShift);
        }
      }
    }
    if (!codedLossless) w.flag(f.txMode === 2); // tx_mode_select
    if (!intra) w.flag(has(FRAME_FLAG.REFERENCE_SELECT));
    if (this.#skipModeAllowed(seq, f, intra)) w.flag(has(FRAME_FLAG.SKIP_MODE_PRESENT));
    if (!(intra || errorResilient)) w.flag(has(FRAME_FLAG.ALLOW_WARPED_MOTION));
    w.flag(has(FRAME_FLAG.REDUCED_TX_SET));
    if (!intra) this.#globalMotion(w, f, primaryRefFrame, forceIntegerMv);
    this.#filmGrain(w, seq, f, show || showable, grain);
    w.trailing();
    return writeObu(OBU_FRAME_HEADER, w.rbsp());
  }

  #skipModeAllowed(seq: RebuiltSequence, f: Av1FrameCtrl, intra: boolean): boolean {
    if (intra || !(f.flags & FRAME_FLAG.REFERENCE_SELECT) || !seq.orderHintBits) return false;
    const m = 1 << (seq.orderHintBits - 1);
    const diff = (a: number, b: number) => {
      const d = a - b;
      return (d & (m - 1)) - (d & m);
    };
    const hints = f.refFrameIdx.map((i) => this.#slots[i & 7]?.orderHint ?? 0);
    let forward = -1, backward = -1, fHint = 0, bHint = 0;
    hints.forEach((h, i) => {
      if (diff(h, f.orderHint) < 0) {
        if (forward < 0 || diff(h, fHint) > 0) [forward, fHint] = [i, h];
      } else if (diff(h, f.orderHint) > 0) {
        if (backward < 0 || diff(h, bHint) < 0) [backward, bHint] = [i, h];
      }
    });
    if (forward < 0) return false;
    if (backward >= 0) return true;
    return hints.some((h) => diff(h, fHint) < 0);
  }

  #globalMotion(w: BitWriter, f: Av1FrameCtrl, primaryRefFrame: number, forceIntegerMv: boolean) {
    const prev = primaryRefFrame === PRIMARY_REF_NONE
      ? identityGm()
      : this.#slots[f.refFrameIdx[primaryRefFrame] & 7]?.gmParams ?? identityGm();
    const highPrecision = !forceIntegerMv && (f.flags & FRAME_FLAG.ALLOW_HIGH_PRECISION_MV) !== 0;
    for (let ref = 1; ref <= 7; ref++) {
      const type = f.gm.type[ref];
      w.flag(type !== IDENTITY);
      if (type !== IDENTITY) {
        w.flag(type === ROTZOOM);
        if (type !== ROTZOOM) w.flag(type === TRANSLATION);
      }
      for (const idx of GM_CODED[type]) {
        const { precDiff, round, sub, mx } = gmParamCoding(type, idx, highPrecision);
        const r = (prev[ref][idx] >> precDiff) - sub;
        const value = (f.gm.params[ref][idx] - round) >> precDiff;
        writeSignedSubexpWithRef(w, -mx, mx + 1, r, value);
      }
    }
  }

  #filmGrain(
    w: BitWriter,
    seq: RebuiltSequence,
    f: Av1FrameCtrl,
    shownOrShowable: boolean,
    g: Av1FilmGrainCtrl | undefined,
  ): void {
    if (!shownOrShowable) return; // film_grain_params_present is on
    const apply = g !== undefined && (g.flags & FG_FLAG.APPLY_GRAIN) !== 0;
    w.flag(apply);
    if (!apply || !g) return;
    w.u(16, g.grainSeed);
    if (f.frameType === INTER_FRAME) w.flag(true); // update_grain: every parameter explicit
    const mono = (seq.flags & SEQ_FLAG.MONO_CHROME) !== 0;
    const ss420 = (seq.flags & SEQ_FLAG.SUBSAMPLING_X) && (seq.flags & SEQ_FLAG.SUBSAMPLING_Y);
    w.u(4, g.pointYValue.length);
    g.pointYValue.forEach((v, i) => {
      w.u(8, v);
      w.u(8, g.pointYScaling[i]);
    });
    const csfl = !mono && (g.flags & FG_FLAG.CHROMA_SCALING_FROM_LUMA) !== 0;
    if (!mono) w.flag(csfl);
    let numCb = 0, numCr = 0;
    if (!(mono || csfl || (ss420 && g.pointYValue.length === 0))) {
      numCb = g.pointCbValue.length;
      w.u(4, numCb);
      g.pointCbValue.forEach((v, i) => {
        w.u(8, v);
        w.u(8, g.pointCbScaling[i]);
      });
      numCr = g.pointCrValue.length;
      w.u(4, numCr);
      g.pointCrValue.forEach((v, i) => {
        w.u(8, v);
        w.u(8, g.pointCrScaling[i]);
      });
    }
    w.u(2, g.grainScalingMinus8);
    w.u(2, g.arCoeffLag);
    const numPosLuma = 2 * g.arCoeffLag * (g.arCoeffLag + 1);
    const numPosChroma = g.pointYValue.length ? numPosLuma + 1 : numPosLuma;
    if (g.pointYValue.length) {
      for (let i = 0; i < numPosLuma; i++) {
        w.u(8, g.arCoeffsYPlus128[i]);
      }
    }
    if (csfl || numCb) { for (let i = 0; i < numPosChroma; i++) w.u(8, g.arCoeffsCbPlus128[i]); }
    if (csfl || numCr) { for (let i = 0; i < numPosChroma; i++) w.u(8, g.arCoeffsCrPlus128[i]); }
    w.u(2, g.arCoeffShiftMinus6);
    w.u(2, g.grainScaleShift);
    if (numCb) {
      w.u(8, g.cbMult);
      w.u(8, g.cbLumaMult);
      w.u(9, g.cbOffset);
    }
    if (numCr) {
      w.u(8, g.crMult);
      w.u(8, g.crLumaMult);
      w.u(9, g.crOffset);
    }
    w.flag((g.flags & FG_FLAG.OVERLAP) !== 0);
    w.flag((g.flags & FG_FLAG.CLIP_TO_RESTRICTED_RANGE) !== 0);
  }
}

/**
 * One tile group OBU holding every tile of the frame, each copied from where its entry points
 * in the OUTPUT buffer; size fields in our own TILE_SIZE_BYTES. Each tile of `f`'s tile info
 * must have exactly one entry, inside the buffer (else a RangeError).
 */
export function tileGroupObu(
  bitstream: Uint8Array,
  entries: TileGroupEntry[],
  f: Av1FrameCtrl,
): Uint8Array {
  const numTiles = f.tile.cols * f.tile.rows;
  if (entries.length !== numTiles) {
    throw new RangeError(`${entries.length} tile entries for ${numTiles} tiles`);
  }
  const seen = new Set<number>();
  for (const e of entries) {
    if (e.row >= f.tile.rows || e.col >= f.tile.cols || seen.has(e.row * MAX_TILE_COLS + e.col)) {
      throw new RangeError(
        `AV1_TILE_GROUP_ENTRY tile row ${e.row} column ${e.col}: not one of the ` +
          `${f.tile.rows}x${f.tile.cols} tiles, or named twice`,
      );
    }
    seen.add(e.row * MAX_TILE_COLS + e.col);
  }
  const sorted = [...entries].sort((a, b) => a.row - b.row || a.col - b.col);
  // tile_start_and_end_present_flag = 0 (every tile in this group), then byte alignment
  const header = numTiles > 1 ? 1 : 0;
  let size = header;
  sorted.forEach((e, i) => {
    if (e.offset + e.size > bitstream.length || e.size === 0) {
      throw new RangeError(`tile ${i} (${e.size} bytes at ${e.offset}) outside the buffer`);
    }
    size += e.size + (i < numTiles - 1 ? TILE_SIZE_BYTES : 0);
  });
  // the tiles are copied once, straight into the payload
  const payload = new Uint8Array(size);
  const v = new DataView(payload.buffer);
  let at = header;
  sorted.forEach((e, i) => {
    if (i < numTiles - 1) {
      v.setUint32(at, e.size - 1, true); // tile_size_minus_1, TILE_SIZE_BYTES little-endian
      at += TILE_SIZE_BYTES;
    }
    payload.set(bitstream.subarray(e.offset, e.offset + e.size), at);
    at += e.size;
  });
  return writeObu(OBU_TILE_GROUP, payload);
}
