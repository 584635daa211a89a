/**
 * The client's side of H.264 reference marking (spec 8.2.5), for DECODE_PARAMS' dpb[]: which
 * earlier frames are marked used for reference when a picture is decoded, named by the
 * timestamps of their requests. The daemon does not decode from this list (libavcodec marks its
 * own references from the slice headers); it judges a picture by it: one predicted from a
 * picture it cannot vouch for fails (src/decoder/vouched.ts).
 *
 * Frames are marked exactly (sliding window, every memory management operation). A field pair
 * is kept as one frame: a field's operation that unmarks one field of a pair keeps the frame,
 * so the list may name more than the picture uses, never less.
 */
import type { Mmco, SliceHeader } from "./parser.ts";
import {
  DPB_ENTRY_FLAG_ACTIVE,
  DPB_ENTRY_FLAG_LONG_TERM,
  DPB_ENTRY_FLAG_VALID,
  type H264DpbEntry,
} from "./v4l2-h264.ts";

interface RefFrame {
  timestamp: bigint;
  frameNum: number;
  /** The long-term frame index, or undefined for a short-term reference. */
  longTermIdx: number | undefined;
  top: number;
  bottom: number;
}

/** A picture as reference marking sees it. */
export interface MarkedPicture {
  /** Its (first) slice's header: nal_ref_idc, frame_num, the marking operations. */
  header: SliceHeader;
  /** The timestamp of its request: how DECODE_PARAMS' dpb[] names it later. */
  timestamp: bigint;
  /** MaxFrameNum of its SPS (2^(log2_max_frame_num_minus4 + 4)). */
  maxFrameNum: number;
  /** max_num_ref_frames of its SPS: the sliding window's size. */
  maxNumRefFrames: number;
  /** The second field of a pair whose first field was marked already. */
  secondField: boolean;
  /** TopFieldOrderCnt. */
  top: number;
  /** BottomFieldOrderCnt. */
  bottom: number;
}

/** The frames marked used for reference, as the client's H.264 reference marking keeps them. */
export class ClientDpb {
  #refs: RefFrame[] = [];

  /** The references as DECODE_PARAMS names them before `frameNum`'s picture is decoded. */
  entries(frameNum: number, maxFrameNum: number): H264DpbEntry[] {
    return this.#refs.map((r) => ({
      reference_ts: r.timestamp,
      pic_num: r.longTermIdx ?? wrap(r.frameNum, frameNum, maxFrameNum),
      frame_num: r.longTermIdx ?? r.frameNum,
      fields: 3,
      top_field_order_cnt: r.top,
      bottom_field_order_cnt: r.bottom,
      flags: DPB_ENTRY_FLAG_VALID | DPB_ENTRY_FLAG_ACTIVE |
        (r.longTermIdx !== undefined ? DPB_ENTRY_FLAG_LONG_TERM : 0),
    }));
  }

  /** Marks the references after `p` was decoded. */
  mark(p: MarkedPicture): void {
    const h = p.header;
    if (h.nalRefIdc === 0) return;
    if (p.secondField) {
      const first = this.#refs.find((r) => r.timestamp === p.timestamp);
      if (first) {
        first.top = Math.min(first.top, p.top);
        first.bottom = Math.min(first.bottom, p.bottom);
        this.#apply(p, true);
        return;
      }
    }
    let longTermIdx: number | undefined;
    if (h.nalUnitType === 5) {
      this.#refs = [];
      if (h.longTermReference) longTermIdx = 0;
    } else if (h.mmcos) {
      longTermIdx = this.#apply(p, false);
    } else {
      const short = this.#refs.filter((r) => r.longTermIdx === undefined);
      if (this.#refs.length >= Math.max(1, p.maxNumRefFrames) && short.length > 0) {
        const wraps = short.map((r) => wrap(r.frameNum, h.frameNum, p.maxFrameNum));
        this.#remove(short[wraps.indexOf(Math.min(...wraps))]);
      }
    }
    if (longTermIdx !== undefined) this.#dropLongTerm((i) => i === longTermIdx);
    this.#refs.push({
      timestamp: p.timestamp,
      frameNum: h.mmco5 ? 0 : h.frameNum,
      longTermIdx,
      top: p.top,
      bottom: p.bottom,
    });
  }

  /** Runs `p`'s memory management operations; returns MMCO 6's index for the picture. */
  #apply(p: MarkedPicture, secondField: boolean): number | undefined {
    const h = p.header;
    const field = h.fieldPic;
    // CurrPicNum and PicNum (8.2.4.1) for frames; a field's picNumX names a frame by half of it
    const curr = field ? 2 * h.frameNum + 1 : h.frameNum;
    const frameOf = (picNumX: number) => {
      const frameWrap = field ? Math.floor(picNumX / 2) : picNumX;
      return this.#refs.find((r) =>
        r.longTermIdx === undefined && wrap(r.frameNum, h.frameNum, p.maxFrameNum) === frameWrap
      );
    };
    let current: number | undefined;
    for (const m of h.mmcos ?? [] as Mmco[]) {
      switch (m.op) {
        case 1: {
          // a field's unmarks one field of a pair: the frame stays (see the module's comment)
          const r = frameOf(curr - (m.picNumsMinus1! + 1));
          if (r && !field) this.#remove(r);
          break;
        }
        case 2:
          if (!field) this.#dropLongTerm((i) => i === m.longTermPicNum);
          break;
        case 3: {
          const r = frameOf(curr - (m.picNumsMinus1! + 1));
          if (r) {
            this.#dropLongTerm((i) => i === m.longTermFrameIdx && r.longTermIdx !== i);
            r.longTermIdx = m.longTermFrameIdx;
          }
          break;
        }
        case 4:
          this.#dropLongTerm((i) => i >= m.maxLongTermFrameIdxPlus1!);
          break;
        case 5:
          this.#refs = this.#refs.filter((r) => secondField && r.timestamp === p.timestamp);
          break;
        case 6:
          current = m.longTermFrameIdx;
      }
    }
    if (secondField && current !== undefined) {
      const self = this.#refs.find((r) => r.timestamp === p.timestamp)!;
      this.#dropLongTerm((i) => i === current && self.longTermIdx !== i);
      self.longTermIdx = current;
      return undefined;
    }
    return current;
  }

  #remove(r: RefFrame): void {
    this.#refs = this.#refs.filter((x) => x !== r);
  }

  #dropLongTerm(match: (idx: number) => boolean): void {
    this.#refs = this.#refs.filter((r) => r.longTermIdx === undefined || !match(r.longTermIdx));
  }
}

/** FrameNumWrap (8.2.4.1) of a short-term reference's frame_num. */
function wrap(frameNum: number, currentFrameNum: number, maxFrameNum: number): number {
  return frameNum > currentFrameNum ? frameNum - maxFrameNum : frameNum;
}
