/**
 * A synthetic 16x16 H.264 IDR picture (one I_PCM macroblock of a known value), as V4L2
 * controls plus slice data. The daemon decodes it at start-up: a self-test of the whole path
 * (parameter-set rebuild, libavcodec, capture, NV12 write) that also warms it up, so the first
 * real job is not the slow one.
 */
import { NalWriter } from "./bits.ts";
import { NAL_IDR } from "./param-sets.ts";
import {
  type H264Pps,
  type H264Sps,
  PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT,
  SPS_FLAG_DIRECT_8X8_INFERENCE,
  SPS_FLAG_FRAME_MBS_ONLY,
} from "./v4l2-h264.ts";

/** The simplest PPS: one slice group, CAVLC, QP 26, deblocking control in the slice header. */
export const PLAIN_PPS: Readonly<H264Pps> = {
  pic_parameter_set_id: 0,
  seq_parameter_set_id: 0,
  num_slice_groups_minus1: 0,
  num_ref_idx_l0_default_active_minus1: 0,
  num_ref_idx_l1_default_active_minus1: 0,
  weighted_bipred_idc: 0,
  pic_init_qp_minus26: 0,
  pic_init_qs_minus26: 0,
  chroma_qp_index_offset: 0,
  second_chroma_qp_index_offset: 0,
  flags: PPS_FLAG_DEBLOCKING_FILTER_CONTROL_PRESENT,
};

export function syntheticIdr(sample: number): { sps: H264Sps; pps: H264Pps; slice: Uint8Array } {
  const sps: H264Sps = {
    profile_idc: 66,
    constraint_set_flags: 0,
    level_idc: 10,
    seq_parameter_set_id: 0,
    chroma_format_idc: 1,
    bit_depth_luma_minus8: 0,
    bit_depth_chroma_minus8: 0,
    log2_max_frame_num_minus4: 0,
    pic_order_cnt_type: 0,
    log2_max_pic_order_cnt_lsb_minus4: 0,
    max_num_ref_frames: 1,
    num_ref_frames_in_pic_order_cnt_cycle: 0,
    offset_for_ref_frame: new Array<number>(255).fill(0),
    offset_for_non_ref_pic: 0,
    offset_for_top_to_bottom_field: 0,
    pic_width_in_mbs_minus1: 0,
    pic_height_in_map_units_minus1: 0,
    flags: SPS_FLAG_FRAME_MBS_ONLY | SPS_FLAG_DIRECT_8X8_INFERENCE,
  };
  const w = new NalWriter();
  w.ue(0); // first_mb_in_slice
  w.ue(7); // slice_type: I (all slices)
  w.ue(0); // pic_parameter_set_id
  w.u(4, 0); // frame_num
  w.ue(0); // idr_pic_id
  w.u(4, 0); // pic_order_cnt_lsb
  w.flag(false); // no_output_of_prior_pics_flag
  w.flag(false); // long_term_reference_flag
  w.se(0); // slice_qp_delta
  w.ue(1); // disable_deblocking_filter_idc
  w.ue(25); // mb_type: I_PCM
  while (w.bitLength % 8 !== 0) w.flag(false); // pcm_alignment_zero_bit
  for (let i = 0; i < 256 + 128; i++) w.u(8, sample);
  w.trailing();
  return { sps, pps: { ...PLAIN_PPS }, slice: w.nal(3, NAL_IDR) };
}
