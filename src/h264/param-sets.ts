/**
 * Rebuilds SPS and PPS NAL units from the V4L2 controls, for a decoder that parses them itself.
 *
 * V4L2 keeps what decoding needs and drops the rest (VUI, cropping): the rebuilt SPS has
 * neither, which changes nothing in the decoded samples. Scaling matrices arrive already
 * resolved (fall-back rules applied, raster order), so the PPS carries every list explicitly.
 */
import { NalWriter } from "./bits.ts";
import { toZigzag } from "./scaling.ts";
import {
  type H264Pps,
  type H264ScalingMatrix,
  type H264Sps,
  PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT,
  PPS_FLAG_CONSTRAINED_INTRA_PRED,
  PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT,
  PPS_FLAG_ENTROPY_CODING_MODE,
  PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT,
  PPS_FLAG_SCALING_MATRIX_PRESENT,
  PPS_FLAG_TRANSFORM_8X8_MODE,
  PPS_FLAG_WEIGHTED_PRED,
  SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO,
  SPS_FLAG_DIRECT_8X8_INFERENCE,
  SPS_FLAG_FRAME_MBS_ONLY,
  SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED,
  SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD,
  SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS,
  SPS_FLAG_SEPARATE_COLOUR_PLANE,
} from "./v4l2-h264.ts";

/** nal_unit_type: a slice of a non-IDR picture. */
export const NAL_SLICE = 1;
/** nal_unit_type: a slice of an IDR picture. */
export const NAL_IDR = 5;
/** nal_unit_type: supplemental enhancement information. */
export const NAL_SEI = 6;
/** nal_unit_type: sequence parameter set. */
export const NAL_SPS = 7;
/** nal_unit_type: picture parameter set. */
export const NAL_PPS = 8;
/** nal_unit_type: access unit delimiter. */
export const NAL_AUD = 9;

/** Profiles whose SPS carries chroma_format_idc and bit depths (V4L2_H264_SPS_HAS_CHROMA_FORMAT). */
export const HIGH_PROFILES = new Set([
  100,
  110,
  122,
  244,
  44,
  83,
  86,
  118,
  128,
  138,
  139,
  134,
  135,
]);

/** An SPS or PPS control with a field out of its range: no NAL unit is built from it. */
export class ParamSetError extends Error {
  /** Always "ParamSetError". */
  override name = "ParamSetError";
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new ParamSetError(what);
}

/** se(v) fields of 32 bits: -(2^31 - 1) to 2^31 - 1 (an s32 control may hold -2^31). */
const S32: readonly [number, number] = [-(2 ** 31 - 1), 2 ** 31 - 1];

/**
 * A field's range in the H.264 syntax (7.4.2.1.1, 7.4.2.2), and when the syntax carries it
 * (a field it does not carry is not written, whatever its value).
 */
interface FieldRange<T> {
  field: keyof T & string;
  range: (t: T) => readonly [number, number];
  when?: (t: T) => boolean;
}

function checkRanges<T>(what: string, t: T, table: readonly FieldRange<T>[]): void {
  for (const { field, range, when } of table) {
    if (when && !when(t)) continue;
    const v = t[field] as number;
    const [min, max] = range(t);
    check(Number.isInteger(v) && v >= min && v <= max, `${what} ${field} ${v}: not ${min}..${max}`);
  }
}

const fixed = (min: number, max: number) => () => [min, max] as const;
const pocType = (type: number) => (s: H264Sps) => s.pic_order_cnt_type === type;

/** The SPS fields the rebuilt SPS carries. */
const SPS_RANGES: readonly FieldRange<H264Sps>[] = [
  { field: "seq_parameter_set_id", range: fixed(0, 31) },
  { field: "chroma_format_idc", range: fixed(0, 3) },
  { field: "bit_depth_luma_minus8", range: fixed(0, 6) },
  { field: "bit_depth_chroma_minus8", range: fixed(0, 6) },
  { field: "log2_max_frame_num_minus4", range: fixed(0, 12) },
  { field: "pic_order_cnt_type", range: fixed(0, 2) },
  { field: "log2_max_pic_order_cnt_lsb_minus4", range: fixed(0, 12), when: pocType(0) },
  { field: "offset_for_non_ref_pic", range: () => S32, when: pocType(1) },
  { field: "offset_for_top_to_bottom_field", range: () => S32, when: pocType(1) },
  // MaxDpbFrames is at most 16 at every level
  { field: "max_num_ref_frames", range: fixed(0, 16) },
  // 16384 samples: the largest the kernel's formats and libavcodec take
  { field: "pic_width_in_mbs_minus1", range: fixed(0, 1023) },
  { field: "pic_height_in_map_units_minus1", range: fixed(0, 1023) },
];

/** The PPS fields the rebuilt PPS carries (pic_init_qp's lower bound depends on the depth). */
const PPS_RANGES: readonly FieldRange<H264Pps & { qpBdOffsetY: number }>[] = [
  { field: "seq_parameter_set_id", range: fixed(0, 31) },
  // slice groups (FMO, Baseline's extended feature set) are not supported
  { field: "num_slice_groups_minus1", range: fixed(0, 0) },
  { field: "num_ref_idx_l0_default_active_minus1", range: fixed(0, 31) },
  { field: "num_ref_idx_l1_default_active_minus1", range: fixed(0, 31) },
  { field: "weighted_bipred_idc", range: fixed(0, 2) },
  { field: "pic_init_qp_minus26", range: (p) => [-(26 + p.qpBdOffsetY), 25] },
  { field: "pic_init_qs_minus26", range: fixed(-26, 25) },
  { field: "chroma_qp_index_offset", range: fixed(-12, 12) },
  { field: "second_chroma_qp_index_offset", range: fixed(-12, 12) },
];

/** Rejects values the H.264 syntax cannot express or libavcodec would misread. */
export function validateSps(s: H264Sps): void {
  checkRanges("SPS", s, SPS_RANGES);
  if (s.pic_order_cnt_type === 1) {
    for (let i = 0; i < s.num_ref_frames_in_pic_order_cnt_cycle; i++) {
      const o = s.offset_for_ref_frame[i];
      check(o >= S32[0] && o <= S32[1], `SPS offset_for_ref_frame[${i}] ${o}`);
    }
  }
  // Other profiles' SPS carries neither: the stream would say 4:2:0 8-bit whatever the control
  if (!HIGH_PROFILES.has(s.profile_idc)) {
    check(
      s.chroma_format_idc === 1 && s.bit_depth_luma_minus8 === 0 &&
        s.bit_depth_chroma_minus8 === 0,
      `SPS profile_idc ${s.profile_idc} codes 4:2:0 8-bit only (chroma_format_idc ` +
        `${s.chroma_format_idc}, bit depths ${s.bit_depth_luma_minus8 + 8}/` +
        `${s.bit_depth_chroma_minus8 + 8})`,
    );
  }
  check(
    (s.flags & SPS_FLAG_FRAME_MBS_ONLY) !== 0 || (s.flags & SPS_FLAG_DIRECT_8X8_INFERENCE) !== 0,
    "SPS with field macroblocks needs direct_8x8_inference_flag",
  );
}

/** Rejects PPS values the syntax cannot express for `sps` (7.4.2.2). */
export function validatePps(p: H264Pps, sps: H264Sps): void {
  checkRanges("PPS", { ...p, qpBdOffsetY: 6 * sps.bit_depth_luma_minus8 }, PPS_RANGES);
}

/** seq_parameter_set_rbsp() as a NAL unit (no start code). */
export function buildSps(s: H264Sps): Uint8Array<ArrayBuffer> {
  validateSps(s);
  const w = new NalWriter();
  w.u(8, s.profile_idc);
  let constraints = 0; // constraint_set0_flag is the byte's MSB, V4L2's bit 0
  for (let i = 0; i < 6; i++) if (s.constraint_set_flags & (1 << i)) constraints |= 0x80 >> i;
  w.u(8, constraints);
  w.u(8, s.level_idc);
  w.ue(s.seq_parameter_set_id);
  if (HIGH_PROFILES.has(s.profile_idc)) {
    w.ue(s.chroma_format_idc);
    if (s.chroma_format_idc === 3) w.flag(s.flags & SPS_FLAG_SEPARATE_COLOUR_PLANE);
    w.ue(s.bit_depth_luma_minus8);
    w.ue(s.bit_depth_chroma_minus8);
    w.flag(s.flags & SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS);
    w.flag(false); // seq_scaling_matrix_present_flag: the PPS carries the resolved lists
  }
  w.ue(s.log2_max_frame_num_minus4);
  w.ue(s.pic_order_cnt_type);
  if (s.pic_order_cnt_type === 0) {
    w.ue(s.log2_max_pic_order_cnt_lsb_minus4);
  } else if (s.pic_order_cnt_type === 1) {
    w.flag(s.flags & SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO);
    w.se(s.offset_for_non_ref_pic);
    w.se(s.offset_for_top_to_bottom_field);
    w.ue(s.num_ref_frames_in_pic_order_cnt_cycle);
    for (let i = 0; i < s.num_ref_frames_in_pic_order_cnt_cycle; i++) {
      w.se(s.offset_for_ref_frame[i]);
    }
  }
  w.ue(s.max_num_ref_frames);
  w.flag(s.flags & SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED);
  w.ue(s.pic_width_in_mbs_minus1);
  w.ue(s.pic_height_in_map_units_minus1);
  w.flag(s.flags & SPS_FLAG_FRAME_MBS_ONLY);
  if (!(s.flags & SPS_FLAG_FRAME_MBS_ONLY)) w.flag(s.flags & SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD);
  w.flag(s.flags & SPS_FLAG_DIRECT_8X8_INFERENCE);
  w.flag(false); // frame_cropping_flag: CAPTURE holds the coded picture
  w.flag(false); // vui_parameters_present_flag
  w.trailing();
  return w.nal(3, NAL_SPS);
}

function writeScalingList(w: NalWriter, raster: Uint8Array): void {
  let last = 8;
  for (const value of toZigzag(raster)) {
    check(value !== 0, "scaling list value 0");
    let delta = value - last;
    if (delta > 127) delta -= 256;
    if (delta < -128) delta += 256;
    w.se(delta);
    last = value;
  }
}

/** pic_parameter_set_rbsp() as a NAL unit (no start code). */
export function buildPps(
  p: H264Pps,
  sps: H264Sps,
  matrix: H264ScalingMatrix | undefined,
): Uint8Array<ArrayBuffer> {
  validatePps(p, sps);
  const w = new NalWriter();
  w.ue(p.pic_parameter_set_id);
  w.ue(p.seq_parameter_set_id);
  w.flag(p.flags & PPS_FLAG_ENTROPY_CODING_MODE);
  w.flag(p.flags & PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT);
  w.ue(p.num_slice_groups_minus1);
  w.ue(p.num_ref_idx_l0_default_active_minus1);
  w.ue(p.num_ref_idx_l1_default_active_minus1);
  w.flag(p.flags & PPS_FLAG_WEIGHTED_PRED);
  w.u(2, p.weighted_bipred_idc);
  w.se(p.pic_init_qp_minus26);
  w.se(p.pic_init_qs_minus26);
  w.se(p.chroma_qp_index_offset);
  w.flag(p.flags & PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT);
  w.flag(p.flags & PPS_FLAG_CONSTRAINED_INTRA_PRED);
  w.flag(p.flags & PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT);
  const transform8x8 = (p.flags & PPS_FLAG_TRANSFORM_8X8_MODE) !== 0;
  const scaling = (p.flags & PPS_FLAG_SCALING_MATRIX_PRESENT) !== 0;
  check(!scaling || matrix !== undefined, "PPS flags a scaling matrix but none was given");
  // Baseline/Main decoders may stop before the High extension, so write it only when needed.
  if (transform8x8 || scaling || p.second_chroma_qp_index_offset !== p.chroma_qp_index_offset) {
    w.flag(transform8x8);
    w.flag(scaling);
    if (scaling && matrix) {
      const lists8x8 = transform8x8 ? (sps.chroma_format_idc === 3 ? 6 : 2) : 0;
      for (let i = 0; i < 6 + lists8x8; i++) {
        w.flag(true); // pic_scaling_list_present_flag: every list explicit
        writeScalingList(w, i < 6 ? matrix.scaling_list_4x4[i] : matrix.scaling_list_8x8[i - 6]);
      }
    }
    w.se(p.second_chroma_qp_index_offset);
  }
  w.trailing();
  return w.nal(3, NAL_PPS);
}
