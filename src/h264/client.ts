/**
 * Turns an Annex-B H.264 stream into V4L2 stateless decode jobs, as a V4L2 client would:
 * parameter sets and slice headers become controls, slices go into OUTPUT buffers (one per
 * picture in frame-based mode, one per slice in slice-based mode, with or without start
 * codes), and HOLD_CAPTURE keeps one CAPTURE buffer across the slices and fields of a frame.
 * Also computes picture order counts so that pictures can be listed in display order.
 */
import {
  type ClientFrame,
  type ClientJob,
  type ClientOptions,
  type FileInput,
  frameTimestamp,
} from "../decoder/file-client.ts";
import { concatBytes } from "../decoder/bytes.ts";
import { splitAnnexB, START_CODE } from "./annexb.ts";
import { ClientDpb } from "./client-dpb.ts";
import { NAL_IDR, NAL_PPS, NAL_SLICE, NAL_SPS } from "./param-sets.ts";
import {
  type ParsedPps,
  type ParsedSps,
  parsePps,
  parseSliceHeader,
  parseSps,
  resolveScaling,
  SLICE_B,
  SLICE_P,
  type SliceHeader,
} from "./parser.ts";
import {
  DECODE_MODE_FRAME_BASED,
  DECODE_MODE_SLICE_BASED,
  DECODE_PARAM_FLAG_BFRAME,
  DECODE_PARAM_FLAG_BOTTOM_FIELD,
  DECODE_PARAM_FLAG_FIELD_PIC,
  DECODE_PARAM_FLAG_IDR_PIC,
  DECODE_PARAM_FLAG_PFRAME,
  type H264DpbEntry,
  LAYOUT,
  START_CODE_ANNEX_B,
  START_CODE_NONE,
  V4L2_CID_STATELESS_H264_DECODE_MODE,
  V4L2_CID_STATELESS_H264_DECODE_PARAMS,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_PRED_WEIGHTS,
  V4L2_CID_STATELESS_H264_SCALING_MATRIX,
  V4L2_CID_STATELESS_H264_SLICE_PARAMS,
  V4L2_CID_STATELESS_H264_SPS,
  V4L2_CID_STATELESS_H264_START_CODE,
  writeDecodeParams,
  writeDpb,
  writeMenu,
  writePps,
  writeScalingMatrix,
  writeSliceParams,
  writeSps,
} from "./v4l2-h264.ts";
import type { PredWeightTable } from "./parser.ts";

/** The DECODE_MODE a client picks: "frame" or "slice". */
export type DecodeModeName = ClientOptions["mode"];
/** The START_CODE a client picks: "annexb" or "none". */
export type StartCodeName = ClientOptions["startCode"];

/** A PRED_WEIGHTS control payload. */
export function writePredWeights(t: PredWeightTable): Uint8Array<ArrayBuffer> {
  const L = LAYOUT.predWeights;
  const out = new Uint8Array(L.size);
  const v = new DataView(out.buffer);
  v.setUint16(L.luma_log2_weight_denom, t.lumaLog2WeightDenom, true);
  v.setUint16(L.chroma_log2_weight_denom, t.chromaLog2WeightDenom, true);
  t.lists.forEach((entries, l) => {
    const base = L.weight_factors + l * L.factorsSize;
    entries.forEach((e, i) => {
      v.setInt16(base + L.luma_weight + 2 * i, e.luma[0], true);
      v.setInt16(base + L.luma_offset + 2 * i, e.luma[1], true);
      for (let c = 0; c < 2; c++) {
        v.setInt16(base + L.chroma_weight + 4 * i + 2 * c, e.chroma[c][0], true);
        v.setInt16(base + L.chroma_offset + 4 * i + 2 * c, e.chroma[c][1], true);
      }
    });
  });
  return out;
}

interface Picture {
  header: SliceHeader;
  sps: ParsedSps;
  pps: ParsedPps;
  slices: { nal: Uint8Array; header: SliceHeader }[];
  top: number;
  bottom: number;
}

/** Picture order count (spec 8.2.1), all three types. */
class PocState {
  #prevMsb = 0;
  #prevLsb = 0;
  #prevFrameNumOffset = 0;
  #prevFrameNum = 0;
  #prevMmco5 = false;

  compute(h: SliceHeader, sps: ParsedSps): { top: number; bottom: number } {
    const s = sps.v4l2;
    const idr = h.nalUnitType === NAL_IDR;
    const maxFrameNum = 2 ** (s.log2_max_frame_num_minus4 + 4);
    let top = 0, bottom = 0;
    if (s.pic_order_cnt_type === 0) {
      if (idr) {
        this.#prevMsb = 0;
        this.#prevLsb = 0;
      } else if (this.#prevMmco5) {
        this.#prevMsb = 0;
        this.#prevLsb = 0;
      }
      const maxLsb = 2 ** (s.log2_max_pic_order_cnt_lsb_minus4 + 4);
      const lsb = h.picOrderCntLsb;
      let msb = this.#prevMsb;
      if (lsb < this.#prevLsb && this.#prevLsb - lsb >= maxLsb / 2) msb += maxLsb;
      else if (lsb > this.#prevLsb && lsb - this.#prevLsb > maxLsb / 2) msb -= maxLsb;
      top = msb + lsb;
      bottom = h.fieldPic ? msb + lsb : top + h.deltaPicOrderCntBottom;
      if (h.nalRefIdc !== 0) {
        this.#prevMsb = h.mmco5 ? 0 : msb;
        this.#prevLsb = h.mmco5 ? (h.bottomField ? 0 : top - Math.min(top, bottom)) : lsb;
      }
    } else {
      let frameNumOffset = 0;
      if (!idr) {
        const prevOffset = this.#prevMmco5 ? 0 : this.#prevFrameNumOffset;
        frameNumOffset = this.#prevFrameNum > h.frameNum ? prevOffset + maxFrameNum : prevOffset;
      }
      if (s.pic_order_cnt_type === 1) {
        const n = s.num_ref_frames_in_pic_order_cnt_cycle;
        let absFrameNum = n !== 0 ? frameNumOffset + h.frameNum : 0;
        if (h.nalRefIdc === 0 && absFrameNum > 0) absFrameNum--;
        let expected = 0;
        if (absFrameNum > 0) {
          const cycle = Math.floor((absFrameNum - 1) / n);
          const inCycle = (absFrameNum - 1) % n;
          let perCycle = 0;
          for (let i = 0; i < n; i++) perCycle += s.offset_for_ref_frame[i];
          expected = cycle * perCycle;
          for (let i = 0; i <= inCycle; i++) expected += s.offset_for_ref_frame[i];
        }
        if (h.nalRefIdc === 0) expected += s.offset_for_non_ref_pic;
        if (!h.fieldPic) {
          top = expected + h.deltaPicOrderCnt0;
          bottom = top + s.offset_for_top_to_bottom_field + h.deltaPicOrderCnt1;
        } else if (!h.bottomField) {
          top = bottom = expected + h.deltaPicOrderCnt0;
        } else {
          top = bottom = expected + s.offset_for_top_to_bottom_field + h.deltaPicOrderCnt0;
        }
      } else {
        const temp = idr ? 0 : 2 * (frameNumOffset + h.frameNum) - (h.nalRefIdc === 0 ? 1 : 0);
        top = bottom = temp;
      }
      this.#prevFrameNumOffset = frameNumOffset;
    }
    this.#prevFrameNum = h.mmco5 ? 0 : h.frameNum;
    this.#prevMmco5 = h.mmco5;
    return { top, bottom };
  }
}

/** True when slice `b` starts a new primary coded picture after `a` (spec 7.4.1.2.4). */
function newPicture(a: SliceHeader, b: SliceHeader): boolean {
  return b.params.first_mb_in_slice === 0 || a.frameNum !== b.frameNum || a.ppsId !== b.ppsId ||
    a.fieldPic !== b.fieldPic || a.bottomField !== b.bottomField ||
    (a.nalRefIdc === 0) !== (b.nalRefIdc === 0) || a.picOrderCntLsb !== b.picOrderCntLsb ||
    a.deltaPicOrderCntBottom !== b.deltaPicOrderCntBottom ||
    a.deltaPicOrderCnt0 !== b.deltaPicOrderCnt0 || a.deltaPicOrderCnt1 !== b.deltaPicOrderCnt1 ||
    (a.nalUnitType === NAL_IDR) !== (b.nalUnitType === NAL_IDR) || a.idrPicId !== b.idrPicId;
}

/** H.264's file input for `daedalusd decode` and the tests: a raw Annex-B stream. */
export const annexBInput: FileInput = {
  input: "raw Annex-B H.264",
  container: "raw",
  codecIds: { IVF: ["H264"], Matroska: ["V_MPEG4/ISO/AVC"], MP4: ["avc1", "avc3"] },
  // only where no container names the codec: compressed data can hold SPS-like bytes
  accepts: (data) => splitAnnexB(data.subarray(0, 4096)).some((n) => (n[0] & 0x1f) === NAL_SPS),
};

/** Parses `data` and returns its frames with their jobs, in decode order. */
export function streamToFrames(data: Uint8Array, opts: ClientOptions): ClientFrame[] {
  const spsById = new Map<number, ParsedSps>();
  const ppsById = new Map<number, ParsedPps>();
  const pictures: Picture[] = [];
  let current: Picture | undefined;
  for (const nal of splitAnnexB(data)) {
    const type = nal[0] & 0x1f;
    if (type === NAL_SPS) {
      const sps = parseSps(nal);
      spsById.set(sps.v4l2.seq_parameter_set_id, sps);
    } else if (type === NAL_PPS) {
      const pps = parsePps(nal, spsById);
      ppsById.set(pps.v4l2.pic_parameter_set_id, pps);
    } else if (type === NAL_SLICE || type === NAL_IDR) {
      const header = parseSliceHeader(nal, spsById, ppsById);
      if (!current || newPicture(current.header, header)) {
        const pps = ppsById.get(header.ppsId)!;
        current = {
          header,
          pps,
          sps: spsById.get(pps.v4l2.seq_parameter_set_id)!,
          slices: [],
          top: 0,
          bottom: 0,
        };
        pictures.push(current);
      }
      current.slices.push({ nal, header });
    }
  }

  const poc = new PocState();
  const dpb = new ClientDpb();
  let period = 0;
  const frames: ClientFrame[] = [];
  let open: { frame: ClientFrame; pic: Picture } | undefined; // a first field awaiting its pair
  for (const pic of pictures) {
    const h = pic.header;
    if (h.nalUnitType === NAL_IDR && !(open && open.pic.header.nalUnitType === NAL_IDR)) period++;
    const { top, bottom } = poc.compute(h, pic.sps);
    pic.top = top;
    pic.bottom = bottom;
    const secondField = open !== undefined && h.fieldPic &&
      open.pic.header.bottomField !== h.bottomField && open.pic.header.frameNum === h.frameNum &&
      (h.nalUnitType !== NAL_IDR || open.pic.header.nalUnitType === NAL_IDR);
    const picPoc = h.fieldPic ? (h.bottomField ? bottom : top) : Math.min(top, bottom);
    let frame: ClientFrame;
    const index = secondField && open ? frames.indexOf(open.frame) : frames.length;
    const maxFrameNum = 2 ** (pic.sps.v4l2.log2_max_frame_num_minus4 + 4);
    const refs = dpb.entries(h.frameNum, maxFrameNum);
    if (secondField && open) {
      frame = open.frame;
      frame.poc = Math.min(frame.poc, picPoc);
      open.frame.jobs[open.frame.jobs.length - 1].hold = true;
      open = undefined;
    } else {
      frame = {
        jobs: [],
        width: pic.sps.width,
        height: pic.sps.height,
        crop: pic.sps.crop,
        bitDepth: pic.sps.v4l2.bit_depth_luma_minus8 + 8,
        period,
        poc: picPoc,
        hidden: false,
      };
      frames.push(frame);
      open = h.fieldPic ? { frame, pic } : undefined;
    }
    frame.jobs.push(...jobsFor(pic, opts, refs));
    dpb.mark({
      header: h,
      timestamp: frameTimestamp(index),
      maxFrameNum,
      maxNumRefFrames: pic.sps.v4l2.max_num_ref_frames,
      secondField,
      top,
      bottom,
    });
    if (h.mmco5) period++;
  }
  return frames;
}

function jobsFor(pic: Picture, opts: ClientOptions, refs: H264DpbEntry[]): ClientJob[] {
  const h = pic.header;
  const { matrix, ppsFlags } = resolveScaling(pic.sps, pic.pps);
  let flags = 0;
  if (h.nalUnitType === NAL_IDR) flags |= DECODE_PARAM_FLAG_IDR_PIC;
  if (h.fieldPic) flags |= DECODE_PARAM_FLAG_FIELD_PIC;
  if (h.bottomField) flags |= DECODE_PARAM_FLAG_BOTTOM_FIELD;
  if (h.params.slice_type === SLICE_P) flags |= DECODE_PARAM_FLAG_PFRAME;
  if (h.params.slice_type === SLICE_B) flags |= DECODE_PARAM_FLAG_BFRAME;
  const decodeParams = writeDecodeParams({
    nal_ref_idc: h.nalRefIdc,
    frame_num: h.frameNum,
    top_field_order_cnt: pic.top,
    bottom_field_order_cnt: pic.bottom,
    idr_pic_id: h.idrPicId,
    pic_order_cnt_lsb: h.picOrderCntLsb,
    delta_pic_order_cnt_bottom: h.deltaPicOrderCntBottom,
    delta_pic_order_cnt0: h.deltaPicOrderCnt0,
    delta_pic_order_cnt1: h.deltaPicOrderCnt1,
    dec_ref_pic_marking_bit_size: h.decRefPicMarkingBitSize,
    pic_order_cnt_bit_size: h.picOrderCntBitSize,
    slice_group_change_cycle: 0,
    flags,
  });
  writeDpb(decodeParams, refs);
  const common = new Map<number, Uint8Array>([
    [V4L2_CID_STATELESS_H264_SPS, writeSps(pic.sps.v4l2)],
    [V4L2_CID_STATELESS_H264_PPS, writePps({ ...pic.pps.v4l2, flags: ppsFlags })],
    [V4L2_CID_STATELESS_H264_SCALING_MATRIX, writeScalingMatrix(matrix)],
    [V4L2_CID_STATELESS_H264_DECODE_PARAMS, decodeParams],
    [
      V4L2_CID_STATELESS_H264_DECODE_MODE,
      writeMenu(opts.mode === "frame" ? DECODE_MODE_FRAME_BASED : DECODE_MODE_SLICE_BASED),
    ],
    [
      V4L2_CID_STATELESS_H264_START_CODE,
      writeMenu(opts.startCode === "annexb" ? START_CODE_ANNEX_B : START_CODE_NONE),
    ],
  ]);
  const withStart = (nal: Uint8Array) => opts.startCode === "annexb" ? [START_CODE, nal] : [nal];
  if (opts.mode === "frame") {
    if (opts.startCode === "none" && pic.slices.length > 1) {
      throw new Error(
        "frame-based decoding without start codes cannot delimit the " +
          `${pic.slices.length} slices of a picture: use --start-code annexb or --mode slice`,
      );
    }
    return [{
      ctrls: common,
      bitstream: concatBytes(pic.slices.flatMap((s) => withStart(s.nal))),
      hold: false,
    }];
  }
  return pic.slices.map((s, i) => {
    const ctrls = new Map(common);
    ctrls.set(V4L2_CID_STATELESS_H264_SLICE_PARAMS, writeSliceParams(s.header.params));
    if (s.header.predWeights) {
      ctrls.set(V4L2_CID_STATELESS_H264_PRED_WEIGHTS, writePredWeights(s.header.predWeights));
    }
    return {
      ctrls,
      bitstream: concatBytes(withStart(s.nal)),
      hold: i < pic.slices.length - 1,
    };
  });
}
