/**
 * H.264 for one V4L2 context: turns the request's controls and slice data back into a byte
 * stream libavcodec parses (rebuilt SPS/PPS + slices), collects the slices of a held picture,
 * and writes each picture into its CAPTURE buffer.
 */
import type { Libav } from "../../ffi/libav.ts";
import { EINVAL, EIO } from "../../ffi/libc.ts";
import { hasStartCode, splitAnnexB, START_CODE } from "./annexb.ts";
import { unescapeNal } from "./bits.ts";
import { buildPps, buildSps, NAL_IDR, NAL_SLICE, ParamSetError } from "./param-sets.ts";
import {
  DECODE_MODE_FRAME_BASED,
  DECODE_PARAM_FLAG_BFRAME,
  DECODE_PARAM_FLAG_FIELD_PIC,
  DECODE_PARAM_FLAG_IDR_PIC,
  DECODE_PARAM_FLAG_PFRAME,
  type H264Pps,
  type H264Sps,
  readDecodeParams,
  readDpbReferences,
  readPps,
  readScalingMatrix,
  readSps,
  SPS_FLAG_FRAME_MBS_ONLY,
  START_CODE_ANNEX_B,
  START_CODE_NONE,
  V4L2_CID_STATELESS_H264_DECODE_MODE,
  V4L2_CID_STATELESS_H264_DECODE_PARAMS,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_SCALING_MATRIX,
  V4L2_CID_STATELESS_H264_SPS,
  V4L2_CID_STATELESS_H264_START_CODE,
} from "./v4l2-h264.ts";
import { AvDecoder } from "../decoder/av-decoder.ts";
import { BitReader } from "../decoder/bits.ts";
import { sameBytes } from "../decoder/bytes.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import type { CaptureMemory, DecodeJob, JobResult } from "../decoder/job.ts";
import { failedJob, JobError } from "../decoder/job.ts";
import {
  captureLayout,
  checkPictureFits,
  CHROMA_FORMATS,
  type CodecPictures,
  PictureWriter,
} from "../decoder/picture-writer.ts";

function ctrl(job: DecodeJob, id: number, name: string): Uint8Array {
  const payload = job.ctrls.get(id);
  if (!payload) throw new JobError(EINVAL, `request lacks the ${name} control`);
  return payload;
}

function menuValue(job: DecodeJob, id: number): number | undefined {
  const p = job.ctrls.get(id);
  return p && p.byteLength >= 4
    ? new DataView(p.buffer, p.byteOffset, 4).getInt32(0, true)
    : undefined;
}

/** What, when it changes, needs a fresh decoder (a new sequence: size, format, depth). */
function geometryKey(s: H264Sps): string {
  return [
    s.profile_idc,
    s.chroma_format_idc,
    s.bit_depth_luma_minus8,
    s.pic_width_in_mbs_minus1,
    s.pic_height_in_map_units_minus1,
    s.flags & SPS_FLAG_FRAME_MBS_ONLY,
  ].join(":");
}

/** slice_type values of I and SI slices (and their +5 forms: every slice of the picture). */
const INTRA_SLICE_TYPES = new Set([2, 4, 7, 9]);

/**
 * True when every slice of a picture is an I or SI slice: it is predicted from no other
 * picture, whatever its DPB still holds. Reads two exp-Golomb codes of each slice header.
 */
function intraOnly(parts: readonly Uint8Array[]): boolean {
  let slices = 0;
  for (const part of parts) {
    for (const nal of hasStartCode(part) ? splitAnnexB(part) : [part]) {
      const type = nal[0] & 0x1f;
      if (type !== NAL_SLICE && type !== NAL_IDR) continue;
      try {
        const r = new BitReader(unescapeNal(nal.subarray(1, 16)).rbsp);
        r.ue(); // first_mb_in_slice
        if (!INTRA_SLICE_TYPES.has(r.ue())) return false;
      } catch {
        return false;
      }
      slices++;
    }
  }
  return slices > 0;
}

interface HeldPicture {
  captureIndex: number;
  timestamp: bigint;
  parts: Uint8Array[];
  fieldPic: boolean;
  /** An IDR picture, or unknown (a request without DECODE_PARAMS). */
  idr: boolean | undefined;
}

/** A context's H.264 decoder: a byte stream rebuilt from each request, decoded by libavcodec. */
export class H264Decoder implements ContextDecoder {
  readonly #dec: AvDecoder;
  readonly #writer: PictureWriter;
  #geometry: string | undefined;
  /** The SPS/PPS NAL units libavcodec has, by id: sent again only when they change. */
  #sentSps = new Map<number, Uint8Array>();
  #sentPps = new Map<number, Uint8Array>();
  #held: HeldPicture | undefined;
  /**
   * An IDR picture was decoded since the decoder opened. Until one is, a picture that refers to
   * others (a daemon restarted mid-stream, a client that seeks to a non-IDR picture) would be
   * concealed against missing references, which libavcodec does not flag as damage.
   */
  #sawIdr = false;
  /** The decoder was opened again (a new sequence) since the last result. */
  #reset = false;
  #built:
    | {
      spsBytes: Uint8Array;
      ppsBytes: Uint8Array;
      matrixBytes: Uint8Array | undefined;
      sps: H264Sps;
      pps: H264Pps;
      spsNal: Uint8Array;
      ppsNal: Uint8Array;
    }
    | undefined;
  /** The last picture written: width, height, pixel format name. */
  lastPicture: { width: number; height: number } | undefined;

  /**
   * @param pictures the bit depths and chroma formats it may write (others fail their job)
   * @param threads slice threads (pictures of several slices) */
  /** libavcodec's h264 decoder with `threads` threads; `pictures`: what it may write. */
  constructor(av: Libav, private readonly pictures: CodecPictures, threads = 1) {
    this.#dec = new AvDecoder(av, "h264", threads);
    this.#writer = new PictureWriter(av, pictures);
  }

  /** Decodes the job's slices (or holds them for the rest of the picture); never throws. */
  decode(job: DecodeJob, mem: CaptureMemory | null): JobResult {
    let result: JobResult;
    try {
      result = this.#decode(job, mem);
    } catch (e) {
      this.#held = undefined;
      this.#sentSps.clear();
      this.#sentPps.clear();
      this.#dec.dropPicture();
      result = failedJob(e, [ParamSetError]);
    }
    if (!this.#reset) return result;
    this.#reset = false;
    return { ...result, reset: true };
  }

  #decode(job: DecodeJob, mem: CaptureMemory | null): JobResult {
    const { sps, pps, spsNal, ppsNal } = this.#paramSets(job);
    // refused before libavcodec sees a slice: every picture of such a sequence fails alike
    const bitDepth = 8 + Math.max(sps.bit_depth_luma_minus8, sps.bit_depth_chroma_minus8);
    const chroma = CHROMA_FORMATS[sps.chroma_format_idc];
    const capture = captureLayout(job.format);
    checkPictureFits(
      { bitDepth, chroma },
      this.pictures,
      job.format,
      () => `SPS ${bitDepth}-bit ${chroma}`,
      capture,
    );
    const decodeParams = job.ctrls.get(V4L2_CID_STATELESS_H264_DECODE_PARAMS);
    const paramFlags = decodeParams ? readDecodeParams(decodeParams).flags : undefined;
    const fieldPic = ((paramFlags ?? 0) & DECODE_PARAM_FLAG_FIELD_PIC) !== 0;
    const idr = paramFlags === undefined
      ? undefined
      : (paramFlags & DECODE_PARAM_FLAG_IDR_PIC) !== 0;
    const frameBased = menuValue(job, V4L2_CID_STATELESS_H264_DECODE_MODE) ===
      DECODE_MODE_FRAME_BASED;
    const startCode = menuValue(job, V4L2_CID_STATELESS_H264_START_CODE) ??
      (hasStartCode(job.bitstream) ? START_CODE_ANNEX_B : START_CODE_NONE);
    if (job.bitstream.length === 0) throw new JobError(EINVAL, "empty OUTPUT buffer");

    const held = this.#held;
    if (held && (held.captureIndex !== job.captureIndex || held.timestamp !== job.timestamp)) {
      // The kernel already returned the held CAPTURE buffer: that picture is abandoned.
      this.#held = undefined;
    }
    if (!this.#held) {
      const key = geometryKey(sps);
      if (key !== this.#geometry) {
        this.#dec.open(); // a new sequence: a fresh decoder, as after a resolution change
        this.#sawIdr = false;
        this.#reset = true;
        this.#geometry = key;
        this.#sentSps.clear();
        this.#sentPps.clear();
      }
      this.#held = {
        captureIndex: job.captureIndex,
        timestamp: job.timestamp,
        parts: [],
        fieldPic,
        idr,
      };
    }
    const pic = this.#held;
    pic.fieldPic ||= fieldPic;

    if (!sameBytes(this.#sentSps.get(sps.seq_parameter_set_id), spsNal)) {
      pic.parts.push(START_CODE, spsNal);
      this.#sentSps.set(sps.seq_parameter_set_id, spsNal);
      this.#sentPps.clear(); // a new SPS invalidates the PPSs that use it
    }
    if (!sameBytes(this.#sentPps.get(pps.pic_parameter_set_id), ppsNal)) {
      pic.parts.push(START_CODE, ppsNal);
      this.#sentPps.set(pps.pic_parameter_set_id, ppsNal);
    }
    // Without start codes a buffer holds exactly one slice (frame-based mode: one per picture).
    if (startCode === START_CODE_NONE) pic.parts.push(START_CODE);
    if (job.hold) {
      pic.parts.push(job.bitstream.slice()); // its mapping goes away when the job completes
      return {
        status: 0,
        held: true,
        bytesused: [],
        message: `held slice for CAPTURE ${job.captureIndex}` +
          (frameBased ? " (frame-based)" : ""),
      };
    }

    pic.parts.push(job.bitstream);
    this.#held = undefined;
    if (pic.idr === false && !this.#sawIdr) {
      throw new JobError(EIO, "no IDR picture decoded yet: its references are missing");
    }
    const frame = this.#dec.decode(pic.parts, job.timestamp, pic.fieldPic);
    if (!mem) throw new JobError(EINVAL, "no CAPTURE memory for the picture");
    const bytesused = this.#writer.write(frame, job.format, mem, capture);
    this.lastPicture = { width: frame.width, height: frame.height };
    if (pic.idr) this.#sawIdr = true;
    // A P or B picture is predicted from its DPB's references; one the client does not flag so
    // may be all I slices (predicted from none: where a stream without IDRs recovers).
    const inter = (paramFlags ?? 0) & (DECODE_PARAM_FLAG_PFRAME | DECODE_PARAM_FLAG_BFRAME);
    const refs = pic.idr || !decodeParams || (!inter && intraOnly(pic.parts))
      ? []
      : readDpbReferences(decodeParams);
    return {
      status: 0,
      held: false,
      bytesused,
      refs,
      message: `OK ${frame.width}x${frame.height}`,
    };
  }

  /**
   * The request's SPS/PPS as NAL units. Clients send the same controls with every request, so
   * the last payloads and what was built from them are kept: unchanged bytes cost a compare.
   */
  #paramSets(
    job: DecodeJob,
  ): { sps: H264Sps; pps: H264Pps; spsNal: Uint8Array; ppsNal: Uint8Array } {
    const spsBytes = ctrl(job, V4L2_CID_STATELESS_H264_SPS, "H264_SPS");
    const ppsBytes = ctrl(job, V4L2_CID_STATELESS_H264_PPS, "H264_PPS");
    const matrixBytes = job.ctrls.get(V4L2_CID_STATELESS_H264_SCALING_MATRIX);
    const b = this.#built;
    if (
      b && sameBytes(b.spsBytes, spsBytes) && sameBytes(b.ppsBytes, ppsBytes) &&
      (matrixBytes ? sameBytes(b.matrixBytes, matrixBytes) : b.matrixBytes === undefined)
    ) {
      return b;
    }
    this.#built = undefined;
    const sps = readSps(spsBytes);
    const pps = readPps(ppsBytes);
    if (pps.seq_parameter_set_id !== sps.seq_parameter_set_id) {
      throw new JobError(EINVAL, "PPS refers to another SPS than the request carries");
    }
    const matrix = matrixBytes ? readScalingMatrix(matrixBytes) : undefined;
    const built = {
      spsBytes: spsBytes.slice(),
      ppsBytes: ppsBytes.slice(),
      matrixBytes: matrixBytes?.slice(),
      sps,
      pps,
      spsNal: buildSps(sps),
      ppsNal: buildPps(pps, sps, matrix),
    };
    this.#built = built;
    return built;
  }

  /** Frees the libavcodec decoder and the picture writer. */
  close(): void {
    this.#dec.close();
    this.#writer.close();
  }
}
