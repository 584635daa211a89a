/**
 * A synthetic PAFF (field-coded) H.264 stream: no encoder available here codes field pictures
 * (x264 codes interlace as MBAFF), so this writes one with the daemon's own bit writer. Intra
 * fields are I_PCM macroblocks of varying samples (some fields in two slices), inter fields are
 * all P_Skip (they copy their reference field). Main profile, 32x32 frames of 16-line fields.
 */
import { concatBytes } from "../../src/decoder/bytes.ts";
import { NalWriter } from "../../src/h264/bits.ts";
import { buildPps, buildSps, NAL_IDR, NAL_SLICE } from "../../src/h264/param-sets.ts";
import { PLAIN_PPS } from "../../src/h264/synthetic.ts";
import { type H264Sps, SPS_FLAG_DIRECT_8X8_INFERENCE } from "../../src/h264/v4l2-h264.ts";

const MBS_PER_FIELD = 2; // 32 pixels wide, one macroblock row per field

const SPS: H264Sps = {
  profile_idc: 77,
  constraint_set_flags: 0,
  level_idc: 30,
  seq_parameter_set_id: 0,
  chroma_format_idc: 1,
  bit_depth_luma_minus8: 0,
  bit_depth_chroma_minus8: 0,
  log2_max_frame_num_minus4: 0,
  pic_order_cnt_type: 0,
  log2_max_pic_order_cnt_lsb_minus4: 4,
  max_num_ref_frames: 2,
  num_ref_frames_in_pic_order_cnt_cycle: 0,
  offset_for_ref_frame: new Array<number>(255).fill(0),
  offset_for_non_ref_pic: 0,
  offset_for_top_to_bottom_field: 0,
  pic_width_in_mbs_minus1: 1,
  pic_height_in_map_units_minus1: 0,
  flags: SPS_FLAG_DIRECT_8X8_INFERENCE, // frame_mbs_only = 0, no MBAFF: field pictures
};

interface Field {
  idr: boolean;
  intra: boolean;
  bottom: boolean;
  frameNum: number;
  pocLsb: number;
  /** Slices of an intra field (1 or 2). */
  slices: number;
  seed: number;
}

function fieldSlices(f: Field): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = f.intra ? f.slices : 1;
  for (let s = 0; s < n; s++) {
    const first = f.intra ? s * (MBS_PER_FIELD / n) : 0;
    const count = f.intra ? MBS_PER_FIELD / n : MBS_PER_FIELD;
    const w = new NalWriter();
    w.ue(first); // first_mb_in_slice
    w.ue(f.intra ? 7 : 5); // slice_type: I or P (all slices of the picture)
    w.ue(0); // pic_parameter_set_id
    w.u(4, f.frameNum);
    w.flag(true); // field_pic_flag
    w.flag(f.bottom); // bottom_field_flag
    if (f.idr) w.ue(0); // idr_pic_id
    w.u(8, f.pocLsb);
    if (!f.intra) {
      w.flag(false); // num_ref_idx_active_override_flag
      w.flag(false); // ref_pic_list_modification_flag_l0
    }
    if (f.idr) {
      w.flag(false); // no_output_of_prior_pics_flag
      w.flag(false); // long_term_reference_flag
    } else {
      w.flag(false); // adaptive_ref_pic_marking_mode_flag: sliding window
    }
    w.se(0); // slice_qp_delta
    w.ue(1); // disable_deblocking_filter_idc
    if (f.intra) {
      for (let mb = first; mb < first + count; mb++) {
        w.ue(25); // mb_type I_PCM
        while (w.bitLength % 8 !== 0) w.flag(false);
        for (let i = 0; i < 384; i++) {
          w.u(8, ((f.seed * 37 + mb * 53 + (i >> 4) * 11 + i) & 0xff) | 1);
        }
      }
    } else {
      w.ue(count); // mb_skip_run: every macroblock skipped
    }
    w.trailing();
    out.push(w.nal(3, f.idr ? NAL_IDR : NAL_SLICE));
  }
  return out;
}

/** `frames` frames (field pairs, top field first): I pairs every 3 frames, P pairs between. */
export function paffStream(frames: number): Uint8Array {
  const sc = Uint8Array.of(0, 0, 0, 1);
  const parts: Uint8Array[] = [sc, buildSps(SPS), sc, buildPps(PLAIN_PPS, SPS, undefined)];
  for (let n = 0; n < frames; n++) {
    const intra = n % 3 === 0;
    for (const bottom of [false, true]) {
      const field: Field = {
        idr: n === 0 && !bottom,
        intra,
        bottom,
        frameNum: n % 16,
        pocLsb: (4 * n + (bottom ? 1 : 0)) % 256,
        slices: n % 2 === 0 ? 2 : 1,
        seed: 2 * n + (bottom ? 1 : 0),
      };
      for (const nal of fieldSlices(field)) parts.push(sc, nal);
    }
  }
  return concatBytes(parts);
}
