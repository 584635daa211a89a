/** A decode job as the decoding core sees it: what the kernel sends, minus the transport. */
import { EINVAL } from "../../ffi/libc.ts";
import type { WireCodecName } from "../service/protocol.ts";

/** 8-bit 4:2:0, Y then interleaved CbCr, in one plane. */
export const V4L2_PIX_FMT_NV12 = 0x3231564e; // 'NV12'
/** 8-bit 4:2:0, Y, Cb, Cr in one plane (I420). */
export const V4L2_PIX_FMT_YUV420 = 0x32315559; // 'YU12'
/** NV12 with Y and CbCr in two planes (memories). */
export const V4L2_PIX_FMT_NV12M = 0x32314d4e; // 'NM12'
/** I420 with Y, Cb and Cr in three planes (memories). */
export const V4L2_PIX_FMT_YUV420M = 0x32314d59; // 'YM12'
/** 10-bit 4:2:0, Y then interleaved CbCr, each sample 16-bit little-endian, value << 6. */
export const V4L2_PIX_FMT_P010 = 0x30313050; // 'P010'

/** The base of the stateless codec control ids (linux/v4l2-controls.h). */
export const V4L2_CID_CODEC_STATELESS_BASE = 0x00a40000 | 0x900;

/** One memory plane of a CAPTURE format. */
export interface CapturePlane {
  /** Bytes per row (of the plane's first component plane). */
  bytesperline: number;
  /** Size of the plane's memory (sizeimage for single-plane formats). */
  length: number;
}

/** The CAPTURE queue's format, as the job carries it. */
export interface CaptureFormat {
  /** Coded width and height, aligned to the codec's block size. */
  width: number;
  /** Coded height. */
  height: number;
  /** The V4L2 fourcc (V4L2_PIX_FMT_*). */
  pixelformat: number;
  /** Its memory planes. */
  planes: CapturePlane[];
}

/** One decode job. */
export interface DecodeJob {
  /** The context's codec. */
  codec: WireCodecName;
  /** The request's controls: V4L2 control id → raw payload of its uAPI struct. */
  ctrls: Map<number, Uint8Array>;
  /** The OUTPUT buffer's bitstream bytes. */
  bitstream: Uint8Array;
  /** More slices of this picture follow (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF). */
  hold: boolean;
  /** The index of the CAPTURE buffer the picture goes to. */
  captureIndex: number;
  /** The OUTPUT buffer's timestamp (how later requests name this picture). */
  timestamp: bigint;
  /** The CAPTURE format. */
  format: CaptureFormat;
}

/** Where the picture goes: one writable region per CAPTURE plane. */
export interface CaptureMemory {
  /** Each plane's writable memory and its length in bytes. */
  planes: { ptr: Deno.PointerObject; length: number }[];
}

/** What a job came to: the kernel gets status and bytesused (COMPLETE). */
export interface JobResult {
  /** 0, or a negative errno (the buffers return with V4L2_BUF_FLAG_ERROR). */
  status: number;
  /** The slice was kept for a held picture; nothing was written. */
  held: boolean;
  /** Bytes written per CAPTURE plane. */
  bytesused: number[];
  /** What went wrong, or what was decoded, for the log. */
  message: string;
  /**
   * A decoded picture's references: the timestamps (the OUTPUT buffers' timestamps, as the
   * request's controls name them) of the pictures it is predicted from; empty or absent for a
   * picture predicted from none (a key frame, an IDR or intra-only picture). The service flags
   * a picture whose references it cannot vouch for (src/decoder/vouched.ts).
   */
  refs?: readonly bigint[];
  /**
   * The decoder holds no picture decoded before this job (a new decoder, a new sequence, a
   * flush): none of the context's earlier pictures can be referred to any more.
   */
  reset?: boolean;
}

/** A fourcc as its four characters. */
export function fourccName(fourcc: number): string {
  return String.fromCharCode(
    fourcc & 0xff,
    (fourcc >> 8) & 0xff,
    (fourcc >> 16) & 0xff,
    (fourcc >>> 24) & 0xff,
  );
}

/** The CAPTURE format as an operator names it (nv12, i420, nv12m, i420m, p010). */
export function pixelFormatName(fourcc: number): string {
  switch (fourcc) {
    case V4L2_PIX_FMT_NV12:
      return "nv12";
    case V4L2_PIX_FMT_YUV420:
      return "i420";
    case V4L2_PIX_FMT_NV12M:
      return "nv12m";
    case V4L2_PIX_FMT_YUV420M:
      return "i420m";
    case V4L2_PIX_FMT_P010:
      return "p010";
    default:
      return fourccName(fourcc);
  }
}

/**
 * The result of a job that threw: a JobError's errno, EINVAL for anything else; the message of a
 * JobError, a RangeError (a payload too short) or one of `expected`, else marked unexpected.
 */
export function failedJob(
  e: unknown,
  expected: readonly (new (...a: never[]) => Error)[] = [],
): JobResult {
  const errno = e instanceof JobError ? e.errno : EINVAL;
  const known = e instanceof JobError || e instanceof RangeError ||
    expected.some((k) => e instanceof k);
  const message = known ? (e as Error).message : `unexpected: ${String(e)}`;
  return { status: -errno, held: false, bytesused: [], message };
}

/** A job failure with the errno the kernel should see. */
export class JobError extends Error {
  /** Always "JobError". */
  override name = "JobError";
  /** `errno`: positive; the job completes with -errno. */
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}
