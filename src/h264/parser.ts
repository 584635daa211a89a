/**
 * Parses H.264 parameter sets and slice headers into the V4L2 stateless controls, as a V4L2
 * client (GStreamer's v4l2slh264dec, FFmpeg's v4l2-request) does. Used by `daedalusd decode`
 * and the tests to drive the daemon's decoding core exactly as the kernel would.
 */
import { BitReader, BitstreamError } from "../decoder/bits.ts";
import { unescapeNal } from "./bits.ts";
import { HIGH_PROFILES } from "./param-sets.ts";
import {
  DEFAULT_4X4_INTER,
  DEFAULT_4X4_INTRA,
  DEFAULT_8X8_INTER,
  DEFAULT_8X8_INTRA,
  FLAT_4X4,
  FLAT_8X8,
  toRaster,
} from "./scaling.ts";
import {
  type H264Pps,
  type H264ScalingMatrix,
  type H264SliceParams,
  type H264Sps,
  PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT,
  PPS_FLAG_CONSTRAINED_INTRA_PRED,
  PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT,
  PPS_FLAG_ENTROPY_CODING_MODE,
  PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT,
  PPS_FLAG_SCALING_MATRIX_PRESENT,
  PPS_FLAG_TRANSFORM_8X8_MODE,
  PPS_FLAG_WEIGHTED_PRED,
  SLICE_FLAG_DIRECT_SPATIAL_MV_PRED,
  SLICE_FLAG_SP_FOR_SWITCH,
  SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO,
  SPS_FLAG_DIRECT_8X8_INFERENCE,
  SPS_FLAG_FRAME_MBS_ONLY,
  SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED,
  SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD,
  SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS,
  SPS_FLAG_SEPARATE_COLOUR_PLANE,
} from "./v4l2-h264.ts";

/** An SPS as V4L2 sees it, plus what V4L2 leaves out but a client needs. */
export interface ParsedSps {
  /** The V4L2_CID_STATELESS_H264_SPS control's fields. */
  v4l2: H264Sps;
  /** Sequence-level scaling lists (raster order), or undefined when flat. */
  scaling?: H264ScalingMatrix;
  /** The frame cropping offsets, in pixels (frame_crop_*_offset times the crop unit). */
  crop: { left: number; right: number; top: number; bottom: number };
  /** Coded size in pixels. */
  width: number;
  /** Coded height in pixels. */
  height: number;
}

/** A PPS as V4L2 sees it, plus its scaling lists and transform_8x8_mode_flag. */
export interface ParsedPps {
  /** The V4L2_CID_STATELESS_H264_PPS control's fields. */
  v4l2: H264Pps;
  /** Picture-level lists as signalled; resolved against the SPS by `resolveScaling`. */
  lists?: (Uint8Array | "default" | undefined)[];
  /** transform_8x8_mode_flag. */
  transform8x8: boolean;
}

type ListSyntax = Uint8Array | "default" | undefined;

function parseScalingLists(r: BitReader, count: number): ListSyntax[] {
  const lists: ListSyntax[] = [];
  for (let i = 0; i < count; i++) {
    if (!r.flag()) {
      lists.push(undefined);
      continue;
    }
    const size = i < 6 ? 16 : 64;
    const zz = new Uint8Array(size);
    let last = 8;
    let next = 8;
    let useDefault = false;
    for (let j = 0; j < size; j++) {
      if (next !== 0) {
        const delta = r.se();
        next = (last + delta + 256) % 256;
        useDefault = j === 0 && next === 0;
      }
      zz[j] = next === 0 ? last : next;
      last = zz[j];
    }
    lists.push(useDefault ? "default" : toRaster(zz));
  }
  return lists;
}

const DEFAULTS = [
  DEFAULT_4X4_INTRA,
  DEFAULT_4X4_INTRA,
  DEFAULT_4X4_INTRA,
  DEFAULT_4X4_INTER,
  DEFAULT_4X4_INTER,
  DEFAULT_4X4_INTER,
  DEFAULT_8X8_INTRA,
  DEFAULT_8X8_INTER,
  DEFAULT_8X8_INTRA,
  DEFAULT_8X8_INTER,
  DEFAULT_8X8_INTRA,
  DEFAULT_8X8_INTER,
];

/** Applies fall-back rule A (`base` undefined) or B (`base` = the sequence-level lists). */
function resolveLists(syntax: ListSyntax[], base: Uint8Array[] | undefined): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 12; i++) {
    const s = syntax[i];
    if (s instanceof Uint8Array) out.push(s);
    else if (s === "default") out.push(DEFAULTS[i]);
    else if (i === 0 || i === 3 || i === 6 || i === 7) out.push(base ? base[i] : DEFAULTS[i]);
    else out.push(out[i < 6 ? i - 1 : i - 2]);
  }
  return out;
}

function toMatrix(lists: Uint8Array[]): H264ScalingMatrix {
  return { scaling_list_4x4: lists.slice(0, 6), scaling_list_8x8: lists.slice(6, 12) };
}

/** Parses an SPS NAL unit (with its header byte, emulation prevention bytes in). */
export function parseSps(nal: Uint8Array): ParsedSps {
  const r = new BitReader(unescapeNal(nal).rbsp.subarray(1));
  const profile_idc = r.u(8);
  const constraintByte = r.u(8);
  let constraint_set_flags = 0;
  for (let i = 0; i < 6; i++) if (constraintByte & (0x80 >> i)) constraint_set_flags |= 1 << i;
  const level_idc = r.u(8);
  const seq_parameter_set_id = r.ue();
  let chroma_format_idc = 1, bit_depth_luma_minus8 = 0, bit_depth_chroma_minus8 = 0, flags = 0;
  let scaling: H264ScalingMatrix | undefined;
  if (HIGH_PROFILES.has(profile_idc)) {
    chroma_format_idc = r.ue();
    if (chroma_format_idc === 3 && r.flag()) flags |= SPS_FLAG_SEPARATE_COLOUR_PLANE;
    bit_depth_luma_minus8 = r.ue();
    bit_depth_chroma_minus8 = r.ue();
    if (r.flag()) flags |= SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS;
    if (r.flag()) {
      const syntax = parseScalingLists(r, chroma_format_idc === 3 ? 12 : 8);
      scaling = toMatrix(resolveLists(syntax, undefined));
    }
  }
  const log2_max_frame_num_minus4 = r.ue();
  const pic_order_cnt_type = r.ue();
  let log2_max_pic_order_cnt_lsb_minus4 = 0, offset_for_non_ref_pic = 0;
  let offset_for_top_to_bottom_field = 0, num_ref_frames_in_pic_order_cnt_cycle = 0;
  const offset_for_ref_frame = new Array<number>(255).fill(0);
  if (pic_order_cnt_type === 0) {
    log2_max_pic_order_cnt_lsb_minus4 = r.ue();
  } else if (pic_order_cnt_type === 1) {
    if (r.flag()) flags |= SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO;
    offset_for_non_ref_pic = r.se();
    offset_for_top_to_bottom_field = r.se();
    num_ref_frames_in_pic_order_cnt_cycle = r.ue();
    if (num_ref_frames_in_pic_order_cnt_cycle > 255) throw new BitstreamError("SPS: poc cycle");
    for (let i = 0; i < num_ref_frames_in_pic_order_cnt_cycle; i++) {
      offset_for_ref_frame[i] = r.se();
    }
  }
  const max_num_ref_frames = r.ue();
  if (r.flag()) flags |= SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED;
  const pic_width_in_mbs_minus1 = r.ue();
  const pic_height_in_map_units_minus1 = r.ue();
  const frameMbsOnly = r.flag();
  if (frameMbsOnly) flags |= SPS_FLAG_FRAME_MBS_ONLY;
  else if (r.flag()) flags |= SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD;
  if (r.flag()) flags |= SPS_FLAG_DIRECT_8X8_INFERENCE;
  const crop = { left: 0, right: 0, top: 0, bottom: 0 };
  if (r.flag()) {
    const chromaArrayType = flags & SPS_FLAG_SEPARATE_COLOUR_PLANE ? 0 : chroma_format_idc;
    const cropUnitX = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const cropUnitY = (chromaArrayType === 1 ? 2 : 1) * (frameMbsOnly ? 1 : 2);
    crop.left = r.ue() * cropUnitX;
    crop.right = r.ue() * cropUnitX;
    crop.top = r.ue() * cropUnitY;
    crop.bottom = r.ue() * cropUnitY;
  }
  const width = (pic_width_in_mbs_minus1 + 1) * 16;
  const height = (pic_height_in_map_units_minus1 + 1) * 16 * (frameMbsOnly ? 1 : 2);
  return {
    v4l2: {
      profile_idc,
      constraint_set_flags,
      level_idc,
      seq_parameter_set_id,
      chroma_format_idc,
      bit_depth_luma_minus8,
      bit_depth_chroma_minus8,
      log2_max_frame_num_minus4,
      pic_order_cnt_type,
      log2_max_pic_order_cnt_lsb_minus4,
      max_num_ref_frames,
      num_ref_frames_in_pic_order_cnt_cycle,
      offset_for_ref_frame,
      offset_for_non_ref_pic,
      offset_for_top_to_bottom_field,
      pic_width_in_mbs_minus1,
      pic_height_in_map_units_minus1,
      flags,
    },
    scaling,
    crop,
    width,
    height,
  };
}

/** Parses a PPS NAL unit; `spsById` gives the SPS it refers to. */
export function parsePps(nal: Uint8Array, spsById: Map<number, ParsedSps>): ParsedPps {
  const r = new BitReader(unescapeNal(nal).rbsp.subarray(1));
  const pic_parameter_set_id = r.ue();
  const seq_parameter_set_id = r.ue();
  const sps = spsById.get(seq_parameter_set_id);
  if (!sps) throw new BitstreamError(`PPS ${pic_parameter_set_id} refers to missing SPS`);
  let flags = 0;
  if (r.flag()) flags |= PPS_FLAG_ENTROPY_CODING_MODE;
  if (r.flag()) flags |= PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT;
  const num_slice_groups_minus1 = r.ue();
  if (num_slice_groups_minus1 > 0) throw new BitstreamError("slice groups (FMO) not supported");
  const num_ref_idx_l0_default_active_minus1 = r.ue();
  const num_ref_idx_l1_default_active_minus1 = r.ue();
  if (r.flag()) flags |= PPS_FLAG_WEIGHTED_PRED;
  const weighted_bipred_idc = r.u(2);
  const pic_init_qp_minus26 = r.se();
  const pic_init_qs_minus26 = r.se();
  const chroma_qp_index_offset = r.se();
  if (r.flag()) flags |= PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT;
  if (r.flag()) flags |= PPS_FLAG_CONSTRAINED_INTRA_PRED;
  if (r.flag()) flags |= PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT;
  let second_chroma_qp_index_offset = chroma_qp_index_offset;
  let transform8x8 = false;
  let lists: ListSyntax[] | undefined;
  if (r.moreRbspData()) {
    transform8x8 = r.flag();
    if (transform8x8) flags |= PPS_FLAG_TRANSFORM_8X8_MODE;
    if (r.flag()) {
      const n8 = transform8x8 ? (sps.v4l2.chroma_format_idc === 3 ? 6 : 2) : 0;
      lists = parseScalingLists(r, 6 + n8);
    }
    second_chroma_qp_index_offset = r.se();
  }
  return {
    v4l2: {
      pic_parameter_set_id,
      seq_parameter_set_id,
      num_slice_groups_minus1,
      num_ref_idx_l0_default_active_minus1,
      num_ref_idx_l1_default_active_minus1,
      weighted_bipred_idc,
      pic_init_qp_minus26,
      pic_init_qs_minus26,
      chroma_qp_index_offset,
      second_chroma_qp_index_offset,
      flags,
    },
    lists,
    transform8x8,
  };
}

/**
 * The matrix a client puts in V4L2_CID_STATELESS_H264_SCALING_MATRIX, and the PPS flags to
 * send with it (SCALING_MATRIX_PRESENT when any list is not flat).
 */
export function resolveScaling(
  sps: ParsedSps,
  pps: ParsedPps,
): { matrix: H264ScalingMatrix; ppsFlags: number } {
  let matrix: H264ScalingMatrix;
  if (pps.lists) {
    const base = sps.scaling
      ? [...sps.scaling.scaling_list_4x4, ...sps.scaling.scaling_list_8x8]
      : undefined;
    const syntax: ListSyntax[] = [...pps.lists];
    // 8x8 lists absent from the PPS (no transform_8x8_mode) are unused; keep them complete.
    while (syntax.length < 12) syntax.push(undefined);
    matrix = toMatrix(resolveLists(syntax, base));
  } else if (sps.scaling) {
    matrix = sps.scaling;
  } else {
    return {
      matrix: {
        scaling_list_4x4: Array.from({ length: 6 }, () => FLAT_4X4),
        scaling_list_8x8: Array.from({ length: 6 }, () => FLAT_8X8),
      },
      ppsFlags: pps.v4l2.flags & ~PPS_FLAG_SCALING_MATRIX_PRESENT,
    };
  }
  return { matrix, ppsFlags: pps.v4l2.flags | PPS_FLAG_SCALING_MATRIX_PRESENT };
}

/** A slice header as a V4L2 client needs it (spec 7.3.3). */
export interface SliceHeader {
  /** nal_unit_type (5: IDR). */
  nalUnitType: number;
  /** nal_ref_idc (0: not a reference). */
  nalRefIdc: number;
  /** The V4L2_CID_STATELESS_H264_SLICE_PARAMS control's fields. */
  params: H264SliceParams;
  /** pic_parameter_set_id. */
  ppsId: number;
  /** frame_num. */
  frameNum: number;
  /** field_pic_flag. */
  fieldPic: boolean;
  /** bottom_field_flag. */
  bottomField: boolean;
  /** idr_pic_id. */
  idrPicId: number;
  /** pic_order_cnt_lsb. */
  picOrderCntLsb: number;
  /** delta_pic_order_cnt_bottom. */
  deltaPicOrderCntBottom: number;
  /** delta_pic_order_cnt[0]. */
  deltaPicOrderCnt0: number;
  /** delta_pic_order_cnt[1]. */
  deltaPicOrderCnt1: number;
  /** Bits of pic_order_cnt_lsb .. delta_pic_order_cnt[1]. */
  picOrderCntBitSize: number;
  /** Bits of dec_ref_pic_marking(). */
  decRefPicMarkingBitSize: number;
  /** dec_ref_pic_marking() holds memory_management_control_operation 5. */
  mmco5: boolean;
  /** dec_ref_pic_marking(): an IDR's long_term_reference_flag. */
  longTermReference: boolean;
  /** dec_ref_pic_marking(): the memory management operations, when adaptive. */
  mmcos?: Mmco[];
  /** pred_weight_table(), when the slice has one. */
  predWeights?: PredWeightTable;
}

/**
 * memory_management_control_operation with its values: difference_of_pic_nums_minus1 (1, 3),
 * long_term_pic_num (2), long_term_frame_idx (3, 6), max_long_term_frame_idx_plus1 (4).
 */
export interface Mmco {
  /** memory_management_control_operation (1 to 6). */
  op: number;
  /** difference_of_pic_nums_minus1 (ops 1, 3). */
  picNumsMinus1?: number;
  /** long_term_pic_num (op 2). */
  longTermPicNum?: number;
  /** long_term_frame_idx (ops 3, 6). */
  longTermFrameIdx?: number;
  /** max_long_term_frame_idx_plus1 (op 4). */
  maxLongTermFrameIdxPlus1?: number;
}

/** pred_weight_table() (spec 7.3.3.2). */
export interface PredWeightTable {
  /** luma_log2_weight_denom. */
  lumaLog2WeightDenom: number;
  /** chroma_log2_weight_denom. */
  chromaLog2WeightDenom: number;
  /** [list][ref] = { luma: [weight, offset], chroma: [[w, o], [w, o]] } */
  lists: { luma: [number, number]; chroma: [[number, number], [number, number]] }[][];
}

/** slice_type % 5: P. */
const SLICE_P = 0;
/** slice_type % 5: B. */
const SLICE_B = 1;
/** slice_type % 5: I. */
const SLICE_I = 2;
/** slice_type % 5: SP. */
const SLICE_SP = 3;
/** slice_type % 5: SI. */
const SLICE_SI = 4;

function skipRefPicListModification(r: BitReader, sliceType: number): void {
  const lists = sliceType === SLICE_B ? 2 : sliceType === SLICE_I || sliceType === SLICE_SI ? 0 : 1;
  for (let l = 0; l < lists; l++) {
    if (!r.flag()) continue;
    for (let guard = 0;; guard++) {
      const idc = r.ue();
      if (idc === 3) break;
      if (idc > 5 || guard > 64) throw new BitstreamError("bad ref_pic_list_modification");
      r.ue();
    }
  }
}

function parsePredWeights(
  r: BitReader,
  sliceType: number,
  chromaArrayType: number,
  numRefIdx: [number, number],
): PredWeightTable {
  const lumaLog2WeightDenom = r.ue();
  const chromaLog2WeightDenom = chromaArrayType !== 0 ? r.ue() : 0;
  const lists: PredWeightTable["lists"] = [];
  for (let l = 0; l < (sliceType === SLICE_B ? 2 : 1); l++) {
    const entries: PredWeightTable["lists"][number] = [];
    for (let i = 0; i < numRefIdx[l]; i++) {
      const luma: [number, number] = [1 << lumaLog2WeightDenom, 0];
      const chroma: [[number, number], [number, number]] = [
        [1 << chromaLog2WeightDenom, 0],
        [1 << chromaLog2WeightDenom, 0],
      ];
      if (r.flag()) {
        luma[0] = r.se();
        luma[1] = r.se();
      }
      if (chromaArrayType !== 0 && r.flag()) {
        for (let c = 0; c < 2; c++) chroma[c] = [r.se(), r.se()];
      }
      entries.push({ luma, chroma });
    }
    lists.push(entries);
  }
  return { lumaLog2WeightDenom, chromaLog2WeightDenom, lists };
}

/** slice_header() of a slice NAL (type 1 or 5) up to slice_data(). */
export function parseSliceHeader(
  nal: Uint8Array,
  spsById: Map<number, ParsedSps>,
  ppsById: Map<number, ParsedPps>,
): SliceHeader {
  const { rbsp, removedAt } = unescapeNal(nal);
  const nalRefIdc = (nal[0] >> 5) & 3;
  const nalUnitType = nal[0] & 0x1f;
  const r = new BitReader(rbsp.subarray(1));
  const first_mb_in_slice = r.ue();
  const sliceTypeRaw = r.ue();
  if (sliceTypeRaw > 9) throw new BitstreamError(`slice_type ${sliceTypeRaw}`);
  const slice_type = sliceTypeRaw % 5;
  const ppsId = r.ue();
  const pps = ppsById.get(ppsId);
  if (!pps) throw new BitstreamError(`slice refers to missing PPS ${ppsId}`);
  const sps = spsById.get(pps.v4l2.seq_parameter_set_id);
  if (!sps) throw new BitstreamError(`PPS ${ppsId} refers to missing SPS`);
  const s = sps.v4l2;
  let colour_plane_id = 0;
  if (s.flags & SPS_FLAG_SEPARATE_COLOUR_PLANE) colour_plane_id = r.u(2);
  const frameNum = r.u(s.log2_max_frame_num_minus4 + 4);
  let fieldPic = false, bottomField = false;
  if (!(s.flags & SPS_FLAG_FRAME_MBS_ONLY)) {
    fieldPic = r.flag();
    if (fieldPic) bottomField = r.flag();
  }
  const idrPicId = nalUnitType === 5 ? r.ue() : 0;
  const pocStart = r.pos;
  let picOrderCntLsb = 0, deltaPicOrderCntBottom = 0, deltaPicOrderCnt0 = 0;
  let deltaPicOrderCnt1 = 0;
  const bottomPocPresent =
    (pps.v4l2.flags & PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT) !== 0;
  if (s.pic_order_cnt_type === 0) {
    picOrderCntLsb = r.u(s.log2_max_pic_order_cnt_lsb_minus4 + 4);
    if (bottomPocPresent && !fieldPic) deltaPicOrderCntBottom = r.se();
  }
  if (s.pic_order_cnt_type === 1 && !(s.flags & SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO)) {
    deltaPicOrderCnt0 = r.se();
    if (bottomPocPresent && !fieldPic) deltaPicOrderCnt1 = r.se();
  }
  const picOrderCntBitSize = r.pos - pocStart;
  const redundant_pic_cnt = pps.v4l2.flags & PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT ? r.ue() : 0;
  let flags = 0;
  if (slice_type === SLICE_B && r.flag()) flags |= SLICE_FLAG_DIRECT_SPATIAL_MV_PRED;
  let l0 = pps.v4l2.num_ref_idx_l0_default_active_minus1;
  let l1 = pps.v4l2.num_ref_idx_l1_default_active_minus1;
  if (slice_type === SLICE_P || slice_type === SLICE_SP || slice_type === SLICE_B) {
    if (r.flag()) {
      l0 = r.ue();
      if (slice_type === SLICE_B) l1 = r.ue();
    }
  }
  if (l0 > 31 || l1 > 31) throw new BitstreamError("num_ref_idx_active too large");
  skipRefPicListModification(r, slice_type);
  const chromaArrayType = s.flags & SPS_FLAG_SEPARATE_COLOUR_PLANE ? 0 : s.chroma_format_idc;
  let predWeights: PredWeightTable | undefined;
  if (
    (pps.v4l2.flags & PPS_FLAG_WEIGHTED_PRED &&
      (slice_type === SLICE_P || slice_type === SLICE_SP)) ||
    (pps.v4l2.weighted_bipred_idc === 1 && slice_type === SLICE_B)
  ) {
    predWeights = parsePredWeights(r, slice_type, chromaArrayType, [l0 + 1, l1 + 1]);
  }
  const markingStart = r.pos;
  let mmco5 = false;
  let longTermReference = false;
  let mmcos: Mmco[] | undefined;
  if (nalRefIdc !== 0) {
    if (nalUnitType === 5) {
      r.flag(); // no_output_of_prior_pics_flag
      longTermReference = r.flag();
    } else if (r.flag()) {
      mmcos = [];
      for (let guard = 0;; guard++) {
        const op = r.ue();
        if (op === 0) break;
        if (op > 6 || guard > 64) throw new BitstreamError("bad memory_management_control_op");
        if (op === 5) mmco5 = true;
        const m: Mmco = { op };
        if (op === 1 || op === 3) m.picNumsMinus1 = r.ue();
        if (op === 2) m.longTermPicNum = r.ue();
        if (op === 3 || op === 6) m.longTermFrameIdx = r.ue();
        if (op === 4) m.maxLongTermFrameIdxPlus1 = r.ue();
        mmcos.push(m);
      }
    }
  }
  const decRefPicMarkingBitSize = r.pos - markingStart;
  let cabac_init_idc = 0;
  if (
    pps.v4l2.flags & PPS_FLAG_ENTROPY_CODING_MODE && slice_type !== SLICE_I &&
    slice_type !== SLICE_SI
  ) cabac_init_idc = r.ue();
  const slice_qp_delta = r.se();
  let slice_qs_delta = 0;
  if (slice_type === SLICE_SP || slice_type === SLICE_SI) {
    if (slice_type === SLICE_SP && r.flag()) flags |= SLICE_FLAG_SP_FOR_SWITCH;
    slice_qs_delta = r.se();
  }
  let disable_deblocking_filter_idc = 0, alpha = 0, beta = 0;
  if (pps.v4l2.flags & PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT) {
    disable_deblocking_filter_idc = r.ue();
    if (disable_deblocking_filter_idc !== 1) {
      alpha = r.se();
      beta = r.se();
    }
  }
  // header_bit_size counts the escaped NAL's bits after the NAL header byte.
  const rbspBits = r.pos;
  const escapesBefore = removedAt.filter((i) => i - 1 < 1 + Math.ceil(rbspBits / 8)).length;
  return {
    nalUnitType,
    nalRefIdc,
    ppsId,
    frameNum,
    fieldPic,
    bottomField,
    idrPicId,
    picOrderCntLsb,
    deltaPicOrderCntBottom,
    deltaPicOrderCnt0,
    deltaPicOrderCnt1,
    picOrderCntBitSize,
    decRefPicMarkingBitSize,
    mmco5,
    longTermReference,
    mmcos,
    predWeights,
    params: {
      header_bit_size: rbspBits + 8 * escapesBefore,
      first_mb_in_slice,
      slice_type,
      colour_plane_id,
      redundant_pic_cnt,
      cabac_init_idc,
      slice_qp_delta,
      slice_qs_delta,
      disable_deblocking_filter_idc,
      slice_alpha_c0_offset_div2: alpha,
      slice_beta_offset_div2: beta,
      num_ref_idx_l0_active_minus1: l0,
      num_ref_idx_l1_active_minus1: l1,
      flags,
    },
  };
}

export { SLICE_B, SLICE_I, SLICE_P, SLICE_SI, SLICE_SP };
