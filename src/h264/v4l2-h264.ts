/**
 * The V4L2 stateless H.264 controls (linux/v4l2-controls.h) as typed values, with their byte
 * layouts. Jobs carry the controls' raw payloads; these functions read and write them.
 * tests/unit/v4l2-h264-layout.test.ts checks every offset against the installed uAPI header.
 */

import { V4L2_CID_CODEC_STATELESS_BASE as CID_CODEC_STATELESS_BASE } from "../decoder/job.ts";

/** V4L2_CID_STATELESS_H264_DECODE_MODE: the control's id. */
export const V4L2_CID_STATELESS_H264_DECODE_MODE: number = CID_CODEC_STATELESS_BASE + 0;
/** V4L2_CID_STATELESS_H264_START_CODE: the control's id. */
export const V4L2_CID_STATELESS_H264_START_CODE: number = CID_CODEC_STATELESS_BASE + 1;
/** V4L2_CID_STATELESS_H264_SPS: the control's id. */
export const V4L2_CID_STATELESS_H264_SPS: number = CID_CODEC_STATELESS_BASE + 2;
/** V4L2_CID_STATELESS_H264_PPS: the control's id. */
export const V4L2_CID_STATELESS_H264_PPS: number = CID_CODEC_STATELESS_BASE + 3;
/** V4L2_CID_STATELESS_H264_SCALING_MATRIX: the control's id. */
export const V4L2_CID_STATELESS_H264_SCALING_MATRIX: number = CID_CODEC_STATELESS_BASE + 4;
/** V4L2_CID_STATELESS_H264_PRED_WEIGHTS: the control's id. */
export const V4L2_CID_STATELESS_H264_PRED_WEIGHTS: number = CID_CODEC_STATELESS_BASE + 5;
/** V4L2_CID_STATELESS_H264_SLICE_PARAMS: the control's id. */
export const V4L2_CID_STATELESS_H264_SLICE_PARAMS: number = CID_CODEC_STATELESS_BASE + 6;
/** V4L2_CID_STATELESS_H264_DECODE_PARAMS: the control's id. */
export const V4L2_CID_STATELESS_H264_DECODE_PARAMS: number = CID_CODEC_STATELESS_BASE + 7;

/** V4L2_STATELESS_H264_DECODE_MODE_SLICE_BASED. */
export const DECODE_MODE_SLICE_BASED = 0;
/** V4L2_STATELESS_H264_DECODE_MODE_FRAME_BASED. */
export const DECODE_MODE_FRAME_BASED = 1;
/** V4L2_STATELESS_H264_START_CODE_NONE. */
export const START_CODE_NONE = 0;
/** V4L2_STATELESS_H264_START_CODE_ANNEX_B. */
export const START_CODE_ANNEX_B = 1;

/** V4L2_H264_SPS_FLAG_SEPARATE_COLOUR_PLANE. */
export const SPS_FLAG_SEPARATE_COLOUR_PLANE = 0x01;
/** V4L2_H264_SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS. */
export const SPS_FLAG_QPPRIME_Y_ZERO_TRANSFORM_BYPASS = 0x02;
/** V4L2_H264_SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO. */
export const SPS_FLAG_DELTA_PIC_ORDER_ALWAYS_ZERO = 0x04;
/** V4L2_H264_SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED. */
export const SPS_FLAG_GAPS_IN_FRAME_NUM_VALUE_ALLOWED = 0x08;
/** V4L2_H264_SPS_FLAG_FRAME_MBS_ONLY. */
export const SPS_FLAG_FRAME_MBS_ONLY = 0x10;
/** V4L2_H264_SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD. */
export const SPS_FLAG_MB_ADAPTIVE_FRAME_FIELD = 0x20;
/** V4L2_H264_SPS_FLAG_DIRECT_8X8_INFERENCE. */
export const SPS_FLAG_DIRECT_8X8_INFERENCE = 0x40;

/** V4L2_H264_PPS_FLAG_ENTROPY_CODING_MODE. */
export const PPS_FLAG_ENTROPY_CODING_MODE = 0x0001;
/** V4L2_H264_PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT. */
export const PPS_FLAG_BOTTOM_FIELD_PIC_ORDER_IN_FRAME_PRESENT = 0x0002;
/** V4L2_H264_PPS_FLAG_WEIGHTED_PRED. */
export const PPS_FLAG_WEIGHTED_PRED = 0x0004;
/** V4L2_H264_PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT. */
export const PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT = 0x0008;
/** V4L2_H264_PPS_FLAG_CONSTRAINED_INTRA_PRED. */
export const PPS_FLAG_CONSTRAINED_INTRA_PRED = 0x0010;
/** V4L2_H264_PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT. */
export const PPS_FLAG_REDUNDANT_PIC_CNT_PRESENT = 0x0020;
/** V4L2_H264_PPS_FLAG_TRANSFORM_8X8_MODE. */
export const PPS_FLAG_TRANSFORM_8X8_MODE = 0x0040;
/** V4L2_H264_PPS_FLAG_SCALING_MATRIX_PRESENT. */
export const PPS_FLAG_SCALING_MATRIX_PRESENT = 0x0080;

/** V4L2_H264_DECODE_PARAM_FLAG_IDR_PIC. */
export const DECODE_PARAM_FLAG_IDR_PIC = 0x01;
/** V4L2_H264_DECODE_PARAM_FLAG_FIELD_PIC. */
export const DECODE_PARAM_FLAG_FIELD_PIC = 0x02;
/** V4L2_H264_DECODE_PARAM_FLAG_BOTTOM_FIELD. */
export const DECODE_PARAM_FLAG_BOTTOM_FIELD = 0x04;
/** V4L2_H264_DECODE_PARAM_FLAG_PFRAME. */
export const DECODE_PARAM_FLAG_PFRAME = 0x08;
/** V4L2_H264_DECODE_PARAM_FLAG_BFRAME. */
export const DECODE_PARAM_FLAG_BFRAME = 0x10;

/** V4L2_H264_DPB_ENTRY_FLAG_VALID. */
export const DPB_ENTRY_FLAG_VALID = 0x01;
/** V4L2_H264_DPB_ENTRY_FLAG_ACTIVE. */
export const DPB_ENTRY_FLAG_ACTIVE = 0x02;
/** V4L2_H264_DPB_ENTRY_FLAG_LONG_TERM. */
export const DPB_ENTRY_FLAG_LONG_TERM = 0x04;
/** V4L2_H264_DPB_ENTRY_FLAG_FIELD. */
export const DPB_ENTRY_FLAG_FIELD = 0x08;
/** Entries in DECODE_PARAMS' dpb[] (V4L2_H264_NUM_DPB_ENTRIES). */
export const NUM_DPB_ENTRIES = 16;

/** V4L2_H264_SLICE_FLAG_DIRECT_SPATIAL_MV_PRED. */
export const SLICE_FLAG_DIRECT_SPATIAL_MV_PRED = 0x01;
/** V4L2_H264_SLICE_FLAG_SP_FOR_SWITCH. */
export const SLICE_FLAG_SP_FOR_SWITCH = 0x02;

/** Byte offsets and sizes of the uAPI structs (x86-64 and arm64 agree: no pointers, no longs). */
export const LAYOUT = {
  sps: {
    size: 1048,
    profile_idc: 0,
    constraint_set_flags: 1,
    level_idc: 2,
    seq_parameter_set_id: 3,
    chroma_format_idc: 4,
    bit_depth_luma_minus8: 5,
    bit_depth_chroma_minus8: 6,
    log2_max_frame_num_minus4: 7,
    pic_order_cnt_type: 8,
    log2_max_pic_order_cnt_lsb_minus4: 9,
    max_num_ref_frames: 10,
    num_ref_frames_in_pic_order_cnt_cycle: 11,
    offset_for_ref_frame: 12,
    offset_for_non_ref_pic: 1032,
    offset_for_top_to_bottom_field: 1036,
    pic_width_in_mbs_minus1: 1040,
    pic_height_in_map_units_minus1: 1042,
    flags: 1044,
  },
  pps: {
    size: 12,
    pic_parameter_set_id: 0,
    seq_parameter_set_id: 1,
    num_slice_groups_minus1: 2,
    num_ref_idx_l0_default_active_minus1: 3,
    num_ref_idx_l1_default_active_minus1: 4,
    weighted_bipred_idc: 5,
    pic_init_qp_minus26: 6,
    pic_init_qs_minus26: 7,
    chroma_qp_index_offset: 8,
    second_chroma_qp_index_offset: 9,
    flags: 10,
  },
  scaling: { size: 480, scaling_list_4x4: 0, scaling_list_8x8: 96 },
  predWeights: {
    size: 772,
    luma_log2_weight_denom: 0,
    chroma_log2_weight_denom: 2,
    weight_factors: 4,
    factorsSize: 384,
    luma_weight: 0,
    luma_offset: 64,
    chroma_weight: 128,
    chroma_offset: 256,
  },
  sliceParams: {
    size: 152,
    header_bit_size: 0,
    first_mb_in_slice: 4,
    slice_type: 8,
    colour_plane_id: 9,
    redundant_pic_cnt: 10,
    cabac_init_idc: 11,
    slice_qp_delta: 12,
    slice_qs_delta: 13,
    disable_deblocking_filter_idc: 14,
    slice_alpha_c0_offset_div2: 15,
    slice_beta_offset_div2: 16,
    num_ref_idx_l0_active_minus1: 17,
    num_ref_idx_l1_active_minus1: 18,
    reserved: 19,
    ref_pic_list0: 20,
    ref_pic_list1: 84,
    flags: 148,
  },
  dpbEntry: {
    size: 32,
    reference_ts: 0,
    pic_num: 8,
    frame_num: 12,
    fields: 14,
    top_field_order_cnt: 20,
    bottom_field_order_cnt: 24,
    flags: 28,
  },
  decodeParams: {
    size: 560,
    dpb: 0,
    nal_ref_idc: 512,
    frame_num: 514,
    top_field_order_cnt: 516,
    bottom_field_order_cnt: 520,
    idr_pic_id: 524,
    pic_order_cnt_lsb: 526,
    delta_pic_order_cnt_bottom: 528,
    delta_pic_order_cnt0: 532,
    delta_pic_order_cnt1: 536,
    dec_ref_pic_marking_bit_size: 540,
    pic_order_cnt_bit_size: 544,
    slice_group_change_cycle: 548,
    reserved: 552,
    flags: 556,
  },
} as const;

/** V4L2_CID_STATELESS_H264_SPS's payload (struct v4l2_ctrl_h264_sps). */
export interface H264Sps {
  /** `profile_idc` of struct v4l2_ctrl_h264_sps. */
  profile_idc: number;
  /** `constraint_set_flags` of struct v4l2_ctrl_h264_sps. */
  constraint_set_flags: number;
  /** `level_idc` of struct v4l2_ctrl_h264_sps. */
  level_idc: number;
  /** `seq_parameter_set_id` of struct v4l2_ctrl_h264_sps. */
  seq_parameter_set_id: number;
  /** `chroma_format_idc` of struct v4l2_ctrl_h264_sps. */
  chroma_format_idc: number;
  /** `bit_depth_luma_minus8` of struct v4l2_ctrl_h264_sps. */
  bit_depth_luma_minus8: number;
  /** `bit_depth_chroma_minus8` of struct v4l2_ctrl_h264_sps. */
  bit_depth_chroma_minus8: number;
  /** `log2_max_frame_num_minus4` of struct v4l2_ctrl_h264_sps. */
  log2_max_frame_num_minus4: number;
  /** `pic_order_cnt_type` of struct v4l2_ctrl_h264_sps. */
  pic_order_cnt_type: number;
  /** `log2_max_pic_order_cnt_lsb_minus4` of struct v4l2_ctrl_h264_sps. */
  log2_max_pic_order_cnt_lsb_minus4: number;
  /** `max_num_ref_frames` of struct v4l2_ctrl_h264_sps. */
  max_num_ref_frames: number;
  /** `num_ref_frames_in_pic_order_cnt_cycle` of struct v4l2_ctrl_h264_sps. */
  num_ref_frames_in_pic_order_cnt_cycle: number;
  /** `offset_for_ref_frame` of struct v4l2_ctrl_h264_sps. */
  offset_for_ref_frame: number[];
  /** `offset_for_non_ref_pic` of struct v4l2_ctrl_h264_sps. */
  offset_for_non_ref_pic: number;
  /** `offset_for_top_to_bottom_field` of struct v4l2_ctrl_h264_sps. */
  offset_for_top_to_bottom_field: number;
  /** `pic_width_in_mbs_minus1` of struct v4l2_ctrl_h264_sps. */
  pic_width_in_mbs_minus1: number;
  /** `pic_height_in_map_units_minus1` of struct v4l2_ctrl_h264_sps. */
  pic_height_in_map_units_minus1: number;
  /** `flags` of struct v4l2_ctrl_h264_sps. */
  flags: number;
}

/** V4L2_CID_STATELESS_H264_PPS's payload (struct v4l2_ctrl_h264_pps). */
export interface H264Pps {
  /** `pic_parameter_set_id` of struct v4l2_ctrl_h264_pps. */
  pic_parameter_set_id: number;
  /** `seq_parameter_set_id` of struct v4l2_ctrl_h264_pps. */
  seq_parameter_set_id: number;
  /** `num_slice_groups_minus1` of struct v4l2_ctrl_h264_pps. */
  num_slice_groups_minus1: number;
  /** `num_ref_idx_l0_default_active_minus1` of struct v4l2_ctrl_h264_pps. */
  num_ref_idx_l0_default_active_minus1: number;
  /** `num_ref_idx_l1_default_active_minus1` of struct v4l2_ctrl_h264_pps. */
  num_ref_idx_l1_default_active_minus1: number;
  /** `weighted_bipred_idc` of struct v4l2_ctrl_h264_pps. */
  weighted_bipred_idc: number;
  /** `pic_init_qp_minus26` of struct v4l2_ctrl_h264_pps. */
  pic_init_qp_minus26: number;
  /** `pic_init_qs_minus26` of struct v4l2_ctrl_h264_pps. */
  pic_init_qs_minus26: number;
  /** `chroma_qp_index_offset` of struct v4l2_ctrl_h264_pps. */
  chroma_qp_index_offset: number;
  /** `second_chroma_qp_index_offset` of struct v4l2_ctrl_h264_pps. */
  second_chroma_qp_index_offset: number;
  /** `flags` of struct v4l2_ctrl_h264_pps. */
  flags: number;
}

/** A menu or integer control's payload: one little-endian s32, as the kernel carries it. */
export function writeMenu(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** Scaling lists in raster order, as V4L2 defines them (4x4: 6 lists, 8x8: 6 lists). */
export interface H264ScalingMatrix {
  /** `scaling_list_4x4` of struct v4l2_ctrl_h264_scaling_matrix (6 lists). */
  scaling_list_4x4: Uint8Array[];
  /** `scaling_list_8x8` of struct v4l2_ctrl_h264_scaling_matrix (6 lists). */
  scaling_list_8x8: Uint8Array[];
}

/** V4L2_CID_STATELESS_H264_DECODE_PARAMS's payload but for dpb[] (struct v4l2_ctrl_h264_decode_params). */
export interface H264DecodeParams {
  /** `nal_ref_idc` of struct v4l2_ctrl_h264_decode_params. */
  nal_ref_idc: number;
  /** `frame_num` of struct v4l2_ctrl_h264_decode_params. */
  frame_num: number;
  /** `top_field_order_cnt` of struct v4l2_ctrl_h264_decode_params. */
  top_field_order_cnt: number;
  /** `bottom_field_order_cnt` of struct v4l2_ctrl_h264_decode_params. */
  bottom_field_order_cnt: number;
  /** `idr_pic_id` of struct v4l2_ctrl_h264_decode_params. */
  idr_pic_id: number;
  /** `pic_order_cnt_lsb` of struct v4l2_ctrl_h264_decode_params. */
  pic_order_cnt_lsb: number;
  /** `delta_pic_order_cnt_bottom` of struct v4l2_ctrl_h264_decode_params. */
  delta_pic_order_cnt_bottom: number;
  /** `delta_pic_order_cnt0` of struct v4l2_ctrl_h264_decode_params. */
  delta_pic_order_cnt0: number;
  /** `delta_pic_order_cnt1` of struct v4l2_ctrl_h264_decode_params. */
  delta_pic_order_cnt1: number;
  /** `dec_ref_pic_marking_bit_size` of struct v4l2_ctrl_h264_decode_params. */
  dec_ref_pic_marking_bit_size: number;
  /** `pic_order_cnt_bit_size` of struct v4l2_ctrl_h264_decode_params. */
  pic_order_cnt_bit_size: number;
  /** `slice_group_change_cycle` of struct v4l2_ctrl_h264_decode_params. */
  slice_group_change_cycle: number;
  /** `flags` of struct v4l2_ctrl_h264_decode_params. */
  flags: number;
}

/** V4L2_CID_STATELESS_H264_SLICE_PARAMS's payload (struct v4l2_ctrl_h264_slice_params; no reference lists). */
export interface H264SliceParams {
  /** `header_bit_size` of struct v4l2_ctrl_h264_slice_params. */
  header_bit_size: number;
  /** `first_mb_in_slice` of struct v4l2_ctrl_h264_slice_params. */
  first_mb_in_slice: number;
  /** `slice_type` of struct v4l2_ctrl_h264_slice_params. */
  slice_type: number;
  /** `colour_plane_id` of struct v4l2_ctrl_h264_slice_params. */
  colour_plane_id: number;
  /** `redundant_pic_cnt` of struct v4l2_ctrl_h264_slice_params. */
  redundant_pic_cnt: number;
  /** `cabac_init_idc` of struct v4l2_ctrl_h264_slice_params. */
  cabac_init_idc: number;
  /** `slice_qp_delta` of struct v4l2_ctrl_h264_slice_params. */
  slice_qp_delta: number;
  /** `slice_qs_delta` of struct v4l2_ctrl_h264_slice_params. */
  slice_qs_delta: number;
  /** `disable_deblocking_filter_idc` of struct v4l2_ctrl_h264_slice_params. */
  disable_deblocking_filter_idc: number;
  /** `slice_alpha_c0_offset_div2` of struct v4l2_ctrl_h264_slice_params. */
  slice_alpha_c0_offset_div2: number;
  /** `slice_beta_offset_div2` of struct v4l2_ctrl_h264_slice_params. */
  slice_beta_offset_div2: number;
  /** `num_ref_idx_l0_active_minus1` of struct v4l2_ctrl_h264_slice_params. */
  num_ref_idx_l0_active_minus1: number;
  /** `num_ref_idx_l1_active_minus1` of struct v4l2_ctrl_h264_slice_params. */
  num_ref_idx_l1_active_minus1: number;
  /** `flags` of struct v4l2_ctrl_h264_slice_params. */
  flags: number;
}

function view(bytes: Uint8Array, size: number, what: string): DataView {
  if (bytes.byteLength < size) {
    throw new RangeError(`${what}: ${bytes.byteLength} bytes, need ${size}`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, size);
}

/** Reads an SPS control payload. */
export function readSps(bytes: Uint8Array): H264Sps {
  const L = LAYOUT.sps;
  const v = view(bytes, L.size, "v4l2_ctrl_h264_sps");
  const offsets: number[] = [];
  for (let i = 0; i < 255; i++) offsets.push(v.getInt32(L.offset_for_ref_frame + 4 * i, true));
  return {
    profile_idc: v.getUint8(L.profile_idc),
    constraint_set_flags: v.getUint8(L.constraint_set_flags),
    level_idc: v.getUint8(L.level_idc),
    seq_parameter_set_id: v.getUint8(L.seq_parameter_set_id),
    chroma_format_idc: v.getUint8(L.chroma_format_idc),
    bit_depth_luma_minus8: v.getUint8(L.bit_depth_luma_minus8),
    bit_depth_chroma_minus8: v.getUint8(L.bit_depth_chroma_minus8),
    log2_max_frame_num_minus4: v.getUint8(L.log2_max_frame_num_minus4),
    pic_order_cnt_type: v.getUint8(L.pic_order_cnt_type),
    log2_max_pic_order_cnt_lsb_minus4: v.getUint8(L.log2_max_pic_order_cnt_lsb_minus4),
    max_num_ref_frames: v.getUint8(L.max_num_ref_frames),
    num_ref_frames_in_pic_order_cnt_cycle: v.getUint8(L.num_ref_frames_in_pic_order_cnt_cycle),
    offset_for_ref_frame: offsets,
    offset_for_non_ref_pic: v.getInt32(L.offset_for_non_ref_pic, true),
    offset_for_top_to_bottom_field: v.getInt32(L.offset_for_top_to_bottom_field, true),
    pic_width_in_mbs_minus1: v.getUint16(L.pic_width_in_mbs_minus1, true),
    pic_height_in_map_units_minus1: v.getUint16(L.pic_height_in_map_units_minus1, true),
    flags: v.getUint32(L.flags, true),
  };
}

/** An SPS control payload. */
export function writeSps(s: H264Sps): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.sps;
  const out = new Uint8Array(L.size);
  const v = new DataView(out.buffer);
  v.setUint8(L.profile_idc, s.profile_idc);
  v.setUint8(L.constraint_set_flags, s.constraint_set_flags);
  v.setUint8(L.level_idc, s.level_idc);
  v.setUint8(L.seq_parameter_set_id, s.seq_parameter_set_id);
  v.setUint8(L.chroma_format_idc, s.chroma_format_idc);
  v.setUint8(L.bit_depth_luma_minus8, s.bit_depth_luma_minus8);
  v.setUint8(L.bit_depth_chroma_minus8, s.bit_depth_chroma_minus8);
  v.setUint8(L.log2_max_frame_num_minus4, s.log2_max_frame_num_minus4);
  v.setUint8(L.pic_order_cnt_type, s.pic_order_cnt_type);
  v.setUint8(L.log2_max_pic_order_cnt_lsb_minus4, s.log2_max_pic_order_cnt_lsb_minus4);
  v.setUint8(L.max_num_ref_frames, s.max_num_ref_frames);
  v.setUint8(L.num_ref_frames_in_pic_order_cnt_cycle, s.num_ref_frames_in_pic_order_cnt_cycle);
  s.offset_for_ref_frame.slice(0, 255).forEach((o, i) =>
    v.setInt32(L.offset_for_ref_frame + 4 * i, o, true)
  );
  v.setInt32(L.offset_for_non_ref_pic, s.offset_for_non_ref_pic, true);
  v.setInt32(L.offset_for_top_to_bottom_field, s.offset_for_top_to_bottom_field, true);
  v.setUint16(L.pic_width_in_mbs_minus1, s.pic_width_in_mbs_minus1, true);
  v.setUint16(L.pic_height_in_map_units_minus1, s.pic_height_in_map_units_minus1, true);
  v.setUint32(L.flags, s.flags, true);
  return out;
}

/** Reads a PPS control payload. */
export function readPps(bytes: Uint8Array): H264Pps {
  const L = LAYOUT.pps;
  const v = view(bytes, L.size, "v4l2_ctrl_h264_pps");
  return {
    pic_parameter_set_id: v.getUint8(L.pic_parameter_set_id),
    seq_parameter_set_id: v.getUint8(L.seq_parameter_set_id),
    num_slice_groups_minus1: v.getUint8(L.num_slice_groups_minus1),
    num_ref_idx_l0_default_active_minus1: v.getUint8(L.num_ref_idx_l0_default_active_minus1),
    num_ref_idx_l1_default_active_minus1: v.getUint8(L.num_ref_idx_l1_default_active_minus1),
    weighted_bipred_idc: v.getUint8(L.weighted_bipred_idc),
    pic_init_qp_minus26: v.getInt8(L.pic_init_qp_minus26),
    pic_init_qs_minus26: v.getInt8(L.pic_init_qs_minus26),
    chroma_qp_index_offset: v.getInt8(L.chroma_qp_index_offset),
    second_chroma_qp_index_offset: v.getInt8(L.second_chroma_qp_index_offset),
    flags: v.getUint16(L.flags, true),
  };
}

/** A PPS control payload. */
export function writePps(p: H264Pps): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.pps;
  const out = new Uint8Array(L.size);
  const v = new DataView(out.buffer);
  v.setUint8(L.pic_parameter_set_id, p.pic_parameter_set_id);
  v.setUint8(L.seq_parameter_set_id, p.seq_parameter_set_id);
  v.setUint8(L.num_slice_groups_minus1, p.num_slice_groups_minus1);
  v.setUint8(L.num_ref_idx_l0_default_active_minus1, p.num_ref_idx_l0_default_active_minus1);
  v.setUint8(L.num_ref_idx_l1_default_active_minus1, p.num_ref_idx_l1_default_active_minus1);
  v.setUint8(L.weighted_bipred_idc, p.weighted_bipred_idc);
  v.setInt8(L.pic_init_qp_minus26, p.pic_init_qp_minus26);
  v.setInt8(L.pic_init_qs_minus26, p.pic_init_qs_minus26);
  v.setInt8(L.chroma_qp_index_offset, p.chroma_qp_index_offset);
  v.setInt8(L.second_chroma_qp_index_offset, p.second_chroma_qp_index_offset);
  v.setUint16(L.flags, p.flags, true);
  return out;
}

/** Reads a SCALING_MATRIX control payload. */
export function readScalingMatrix(bytes: Uint8Array): H264ScalingMatrix {
  const L = LAYOUT.scaling;
  view(bytes, L.size, "v4l2_ctrl_h264_scaling_matrix");
  const at = (off: number, n: number) => bytes.slice(off, off + n);
  return {
    scaling_list_4x4: Array.from({ length: 6 }, (_, i) => at(L.scaling_list_4x4 + 16 * i, 16)),
    scaling_list_8x8: Array.from({ length: 6 }, (_, i) => at(L.scaling_list_8x8 + 64 * i, 64)),
  };
}

/** A SCALING_MATRIX control payload. */
export function writeScalingMatrix(m: H264ScalingMatrix): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.scaling;
  const out = new Uint8Array(L.size);
  m.scaling_list_4x4.forEach((l, i) => out.set(l, L.scaling_list_4x4 + 16 * i));
  m.scaling_list_8x8.forEach((l, i) => out.set(l, L.scaling_list_8x8 + 64 * i));
  return out;
}

/** A DECODE_PARAMS control payload, dpb[] zeroed (writeDpb() fills it). */
export function writeDecodeParams(d: H264DecodeParams): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.decodeParams;
  const out = new Uint8Array(L.size);
  const v = new DataView(out.buffer);
  v.setUint16(L.nal_ref_idc, d.nal_ref_idc, true);
  v.setUint16(L.frame_num, d.frame_num, true);
  v.setInt32(L.top_field_order_cnt, d.top_field_order_cnt, true);
  v.setInt32(L.bottom_field_order_cnt, d.bottom_field_order_cnt, true);
  v.setUint16(L.idr_pic_id, d.idr_pic_id, true);
  v.setUint16(L.pic_order_cnt_lsb, d.pic_order_cnt_lsb, true);
  v.setInt32(L.delta_pic_order_cnt_bottom, d.delta_pic_order_cnt_bottom, true);
  v.setInt32(L.delta_pic_order_cnt0, d.delta_pic_order_cnt0, true);
  v.setInt32(L.delta_pic_order_cnt1, d.delta_pic_order_cnt1, true);
  v.setUint32(L.dec_ref_pic_marking_bit_size, d.dec_ref_pic_marking_bit_size, true);
  v.setUint32(L.pic_order_cnt_bit_size, d.pic_order_cnt_bit_size, true);
  v.setUint32(L.slice_group_change_cycle, d.slice_group_change_cycle, true);
  v.setUint32(L.flags, d.flags, true);
  return out;
}

/** Reads a DECODE_PARAMS control payload but for dpb[] (readDpbReferences() reads that). */
export function readDecodeParams(bytes: Uint8Array): H264DecodeParams {
  const L = LAYOUT.decodeParams;
  const v = view(bytes, L.size, "v4l2_ctrl_h264_decode_params");
  return {
    nal_ref_idc: v.getUint16(L.nal_ref_idc, true),
    frame_num: v.getUint16(L.frame_num, true),
    top_field_order_cnt: v.getInt32(L.top_field_order_cnt, true),
    bottom_field_order_cnt: v.getInt32(L.bottom_field_order_cnt, true),
    idr_pic_id: v.getUint16(L.idr_pic_id, true),
    pic_order_cnt_lsb: v.getUint16(L.pic_order_cnt_lsb, true),
    delta_pic_order_cnt_bottom: v.getInt32(L.delta_pic_order_cnt_bottom, true),
    delta_pic_order_cnt0: v.getInt32(L.delta_pic_order_cnt0, true),
    delta_pic_order_cnt1: v.getInt32(L.delta_pic_order_cnt1, true),
    dec_ref_pic_marking_bit_size: v.getUint32(L.dec_ref_pic_marking_bit_size, true),
    pic_order_cnt_bit_size: v.getUint32(L.pic_order_cnt_bit_size, true),
    slice_group_change_cycle: v.getUint32(L.slice_group_change_cycle, true),
    flags: v.getUint32(L.flags, true),
  };
}

/** A DECODE_PARAMS dpb[] entry (the fields the daemon and the file client use). */
export interface H264DpbEntry {
  /** `reference_ts` of struct v4l2_h264_dpb_entry. */
  reference_ts: bigint;
  /** `pic_num` of struct v4l2_h264_dpb_entry. */
  pic_num: number;
  /** `frame_num` of struct v4l2_h264_dpb_entry. */
  frame_num: number;
  /** V4L2_H264_{TOP,BOTTOM}_FIELD_REF bits, 3 for a frame. */
  fields: number;
  /** `top_field_order_cnt` of struct v4l2_h264_dpb_entry. */
  top_field_order_cnt: number;
  /** `bottom_field_order_cnt` of struct v4l2_h264_dpb_entry. */
  bottom_field_order_cnt: number;
  /** `flags` of struct v4l2_h264_dpb_entry. */
  flags: number;
}

/** The timestamps of the DPB entries marked used for reference (VALID and ACTIVE). */
export function readDpbReferences(bytes: Uint8Array): bigint[] {
  const L = LAYOUT.decodeParams;
  const E = LAYOUT.dpbEntry;
  const v = view(bytes, L.size, "v4l2_ctrl_h264_decode_params");
  const refs: bigint[] = [];
  const used = DPB_ENTRY_FLAG_VALID | DPB_ENTRY_FLAG_ACTIVE;
  for (let i = 0; i < NUM_DPB_ENTRIES; i++) {
    const at = L.dpb + i * E.size;
    if ((v.getUint32(at + E.flags, true) & used) === used) {
      refs.push(v.getBigUint64(at + E.reference_ts, true));
    }
  }
  return refs;
}

/** `entries` (at most 16) into a DECODE_PARAMS payload's dpb[]. */
export function writeDpb(payload: Uint8Array, entries: readonly H264DpbEntry[]): void {
  const L = LAYOUT.decodeParams;
  const E = LAYOUT.dpbEntry;
  if (entries.length > NUM_DPB_ENTRIES) throw new RangeError(`${entries.length} DPB entries`);
  const v = view(payload, L.size, "v4l2_ctrl_h264_decode_params");
  entries.forEach((e, i) => {
    const at = L.dpb + i * E.size;
    v.setBigUint64(at + E.reference_ts, e.reference_ts, true);
    v.setUint32(at + E.pic_num, e.pic_num, true);
    v.setUint16(at + E.frame_num, e.frame_num, true);
    v.setUint8(at + E.fields, e.fields);
    v.setInt32(at + E.top_field_order_cnt, e.top_field_order_cnt, true);
    v.setInt32(at + E.bottom_field_order_cnt, e.bottom_field_order_cnt, true);
    v.setUint32(at + E.flags, e.flags, true);
  });
}

/** A SLICE_PARAMS control payload (reference lists empty). */
export function writeSliceParams(s: H264SliceParams): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.sliceParams;
  const out = new Uint8Array(L.size);
  const v = new DataView(out.buffer);
  v.setUint32(L.header_bit_size, s.header_bit_size, true);
  v.setUint32(L.first_mb_in_slice, s.first_mb_in_slice, true);
  v.setUint8(L.slice_type, s.slice_type);
  v.setUint8(L.colour_plane_id, s.colour_plane_id);
  v.setUint8(L.redundant_pic_cnt, s.redundant_pic_cnt);
  v.setUint8(L.cabac_init_idc, s.cabac_init_idc);
  v.setInt8(L.slice_qp_delta, s.slice_qp_delta);
  v.setInt8(L.slice_qs_delta, s.slice_qs_delta);
  v.setUint8(L.disable_deblocking_filter_idc, s.disable_deblocking_filter_idc);
  v.setInt8(L.slice_alpha_c0_offset_div2, s.slice_alpha_c0_offset_div2);
  v.setInt8(L.slice_beta_offset_div2, s.slice_beta_offset_div2);
  v.setUint8(L.num_ref_idx_l0_active_minus1, s.num_ref_idx_l0_active_minus1);
  v.setUint8(L.num_ref_idx_l1_active_minus1, s.num_ref_idx_l1_active_minus1);
  v.setUint32(L.flags, s.flags, true);
  return out;
}
