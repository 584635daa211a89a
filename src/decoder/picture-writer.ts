/**
 * Writes a decoded picture into CAPTURE memory as NV12 or I420, at the CAPTURE format's strides.
 * swscale's unscaled paths do this (a plane copy, or an interleave for NV12) bit-exactly.
 */
import type { Libav } from "../../ffi/libav.ts";
import type { AVFrameView } from "../../ffi/layout.ts";
import { pixFmt, pixFmtName } from "../../ffi/libavutil.ts";
import { SWS_POINT } from "../../ffi/libswscale.ts";
import { EINVAL, ENOMEM, ENOTSUP } from "../../ffi/libc.ts";
import {
  type CaptureFormat,
  type CaptureMemory,
  fourccName,
  JobError,
  V4L2_PIX_FMT_NV12,
  V4L2_PIX_FMT_NV12M,
  V4L2_PIX_FMT_YUV420,
  V4L2_PIX_FMT_YUV420M,
} from "./job.ts";

export interface PlaneLayout {
  /** Which CAPTURE plane (memory) holds this component plane, and where in it. */
  memPlane: number;
  offset: number;
  stride: number;
  rows: number;
}

/** The component planes of a CAPTURE format (Y, then UV or U and V). */
export function captureLayout(format: CaptureFormat): { layout: PlaneLayout[]; nv12: boolean } {
  const { height, pixelformat, planes } = format;
  const ch = Math.ceil(height / 2);
  const bpl0 = planes[0]?.bytesperline ?? 0;
  if (pixelformat === V4L2_PIX_FMT_YUV420 && bpl0 % 2 !== 0) {
    throw new JobError(EINVAL, `YUV420 bytesperline ${bpl0} is odd`);
  }
  switch (pixelformat) {
    case V4L2_PIX_FMT_NV12:
      return {
        nv12: true,
        layout: [
          { memPlane: 0, offset: 0, stride: bpl0, rows: height },
          { memPlane: 0, offset: bpl0 * height, stride: bpl0, rows: ch },
        ],
      };
    case V4L2_PIX_FMT_YUV420: {
      const cs = bpl0 / 2;
      return {
        nv12: false,
        layout: [
          { memPlane: 0, offset: 0, stride: bpl0, rows: height },
          { memPlane: 0, offset: bpl0 * height, stride: cs, rows: ch },
          { memPlane: 0, offset: bpl0 * height + cs * ch, stride: cs, rows: ch },
        ],
      };
    }
    case V4L2_PIX_FMT_NV12M:
      return {
        nv12: true,
        layout: [
          { memPlane: 0, offset: 0, stride: bpl0, rows: height },
          { memPlane: 1, offset: 0, stride: planes[1]?.bytesperline ?? 0, rows: ch },
        ],
      };
    case V4L2_PIX_FMT_YUV420M:
      return {
        nv12: false,
        layout: [
          { memPlane: 0, offset: 0, stride: bpl0, rows: height },
          { memPlane: 1, offset: 0, stride: planes[1]?.bytesperline ?? 0, rows: ch },
          { memPlane: 2, offset: 0, stride: planes[2]?.bytesperline ?? 0, rows: ch },
        ],
      };
    default:
      throw new JobError(EINVAL, `CAPTURE format ${fourccName(pixelformat)} is not supported`);
  }
}

export class PictureWriter {
  #sws: Deno.PointerValue = null;
  readonly #yuv420p: number;
  readonly #yuvj420p: number;
  readonly #nv12: number;
  readonly #dst = new BigUint64Array(4);
  readonly #dstStride = new Int32Array(4);

  constructor(private readonly av: Libav) {
    this.#yuv420p = pixFmt(av.avutil, "yuv420p");
    this.#yuvj420p = pixFmt(av.avutil, "yuvj420p");
    this.#nv12 = pixFmt(av.avutil, "nv12");
  }

  /** Writes `frame` into `mem`; returns bytesused per CAPTURE plane. */
  write(frame: AVFrameView, format: CaptureFormat, mem: CaptureMemory): number[] {
    const srcFormat = frame.format;
    if (srcFormat !== this.#yuv420p && srcFormat !== this.#yuvj420p) {
      throw new JobError(
        ENOTSUP,
        `decoded ${pixFmtName(this.av.avutil, srcFormat)} cannot go to ${
          fourccName(format.pixelformat)
        }: only 8-bit 4:2:0 is supported`,
      );
    }
    const { width, height } = frame;
    if (width > format.width || height > format.height) {
      throw new JobError(
        EINVAL,
        `picture ${width}x${height} does not fit CAPTURE ${format.width}x${format.height}`,
      );
    }
    const { layout, nv12 } = captureLayout(format);
    if (mem.planes.length < format.planes.length) {
      throw new JobError(
        EINVAL,
        `${mem.planes.length} CAPTURE planes mapped, need ${format.planes.length}`,
      );
    }
    const minStride = [width, nv12 ? width + (width & 1) : Math.ceil(width / 2)];
    const bytesused = format.planes.map(() => 0);
    layout.forEach((p, i) => {
      const need = p.offset + p.stride * (p.rows - 1) + minStride[i === 0 ? 0 : 1];
      const plane = mem.planes[p.memPlane];
      if (p.stride < minStride[i === 0 ? 0 : 1] || !plane || need > plane.length) {
        throw new JobError(
          EINVAL,
          `CAPTURE plane ${p.memPlane} too small for ${fourccName(format.pixelformat)} ` +
            `${format.width}x${format.height} (stride ${p.stride}, ${plane?.length ?? 0} bytes)`,
        );
      }
      this.#dst[i] = BigInt(Deno.UnsafePointer.value(plane.ptr)) + BigInt(p.offset);
      this.#dstStride[i] = p.stride;
      bytesused[p.memPlane] = Math.max(bytesused[p.memPlane], p.offset + p.stride * p.rows);
    });
    this.#sws = this.av.swscale.sws_getCachedContext(
      this.#sws,
      width,
      height,
      srcFormat,
      width,
      height,
      nv12 ? this.#nv12 : this.#yuv420p,
      SWS_POINT,
      null,
      null,
      null,
    );
    if (!this.#sws) throw new JobError(ENOMEM, "sws_getCachedContext failed");
    const frameAddr = Deno.UnsafePointer.value(frame.ptr);
    const srcData = Deno.UnsafePointer.create(BigInt(frameAddr) + BigInt(frame.layout.frame.data));
    const srcStride = Deno.UnsafePointer.create(
      BigInt(frameAddr) + BigInt(frame.layout.frame.linesize),
    );
    const rows = this.av.swscale.sws_scale(
      this.#sws,
      srcData,
      srcStride,
      0,
      height,
      this.#dst,
      this.#dstStride,
    );
    if (rows !== height) throw new JobError(ENOMEM, `sws_scale wrote ${rows} of ${height} rows`);
    return bytesused.map((b, i) => Math.min(b, mem.planes[i].length));
  }

  close(): void {
    if (this.#sws) this.av.swscale.sws_freeContext(this.#sws);
    this.#sws = null;
  }
}
