/**
 * Writes a decoded picture into CAPTURE memory as NV12, I420 (one or three planes) or, for
 * 10-bit pictures, P010, at the CAPTURE format's strides. swscale's unscaled paths do this (a
 * plane copy, an interleave for NV12, a shift into the high bits for P010) bit-exactly.
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
  V4L2_PIX_FMT_P010,
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

/** How a CAPTURE format lays out its component planes (Y, then CbCr or Cb and Cr). */
export interface CaptureLayout {
  layout: PlaneLayout[];
  /** Cb and Cr interleaved in one plane (NV12, P010). */
  interleaved: boolean;
  /** Bytes per sample: 1, or 2 for P010. */
  bytesPerSample: 1 | 2;
  /** The libav pixel format with the same memory layout. */
  avFormat: "nv12" | "yuv420p" | "p010le";
}

/** The component planes of a CAPTURE format. */
export function captureLayout(format: CaptureFormat): CaptureLayout {
  const { height, pixelformat, planes } = format;
  const ch = Math.ceil(height / 2);
  const bpl0 = planes[0]?.bytesperline ?? 0;
  const stride = (i: number) => planes[i]?.bytesperline ?? 0;
  const nv12 = (bytesPerSample: 1 | 2, separate: boolean): CaptureLayout => ({
    interleaved: true,
    bytesPerSample,
    avFormat: bytesPerSample === 2 ? "p010le" : "nv12",
    layout: [
      { memPlane: 0, offset: 0, stride: bpl0, rows: height },
      separate
        ? { memPlane: 1, offset: 0, stride: stride(1), rows: ch }
        : { memPlane: 0, offset: bpl0 * height, stride: bpl0, rows: ch },
    ],
  });
  switch (pixelformat) {
    case V4L2_PIX_FMT_NV12:
      return nv12(1, false);
    case V4L2_PIX_FMT_NV12M:
      return nv12(1, true);
    case V4L2_PIX_FMT_P010:
      return nv12(2, false);
    case V4L2_PIX_FMT_YUV420: {
      if (bpl0 % 2 !== 0) throw new JobError(EINVAL, `YUV420 bytesperline ${bpl0} is odd`);
      const cs = bpl0 / 2;
      return {
        interleaved: false,
        bytesPerSample: 1,
        avFormat: "yuv420p",
        layout: [
          { memPlane: 0, offset: 0, stride: bpl0, rows: height },
          { memPlane: 0, offset: bpl0 * height, stride: cs, rows: ch },
          { memPlane: 0, offset: bpl0 * height + cs * ch, stride: cs, rows: ch },
        ],
      };
    }
    case V4L2_PIX_FMT_YUV420M:
      return {
        interleaved: false,
        bytesPerSample: 1,
        avFormat: "yuv420p",
        layout: [
          { memPlane: 0, offset: 0, stride: bpl0, rows: height },
          { memPlane: 1, offset: 0, stride: stride(1), rows: ch },
          { memPlane: 2, offset: 0, stride: stride(2), rows: ch },
        ],
      };
    default:
      throw new JobError(EINVAL, `CAPTURE format ${fourccName(pixelformat)} is not supported`);
  }
}

export class PictureWriter {
  #sws: Deno.PointerValue = null;
  /** libav's 8-bit and 10-bit 4:2:0 formats, and the CAPTURE layouts' formats, by name. */
  readonly #eightBit: number[];
  readonly #tenBit: number;
  readonly #avFormats: Record<CaptureLayout["avFormat"], number>;
  readonly #dst = new BigUint64Array(4);
  readonly #dstStride = new Int32Array(4);
  /** writePlanes()'s chroma for a monochrome picture. */
  #grey: { bytes: Uint8Array<ArrayBuffer>; tenBit: boolean } | undefined;

  constructor(private readonly av: Libav) {
    this.#eightBit = [pixFmt(av.avutil, "yuv420p"), pixFmt(av.avutil, "yuvj420p")];
    this.#tenBit = pixFmt(av.avutil, "yuv420p10le");
    this.#avFormats = {
      nv12: pixFmt(av.avutil, "nv12"),
      yuv420p: pixFmt(av.avutil, "yuv420p"),
      p010le: pixFmt(av.avutil, "p010le"),
    };
  }

  /** Writes `frame` into `mem`; returns bytesused per CAPTURE plane. */
  write(frame: AVFrameView, format: CaptureFormat, mem: CaptureMemory): number[] {
    const frameAddr = BigInt(Deno.UnsafePointer.value(frame.ptr));
    return this.#write(
      {
        width: frame.width,
        height: frame.height,
        format: frame.format,
        data: Deno.UnsafePointer.create(frameAddr + BigInt(frame.layout.frame.data)),
        linesize: Deno.UnsafePointer.create(frameAddr + BigInt(frame.layout.frame.linesize)),
      },
      format,
      mem,
    );
  }

  /**
   * Writes a picture held elsewhere (dav1d's): 8-bit or 10-bit 4:2:0 planes at `planes`, lines
   * `strides` bytes apart; when `monochrome`, the luma plane only, and the chroma written is
   * neutral grey (what libav's own conversion of a grey picture writes).
   */
  writePlanes(
    picture: { width: number; height: number; bitDepth: number; monochrome: boolean },
    planes: Deno.PointerValue[],
    strides: number[],
    format: CaptureFormat,
    mem: CaptureMemory,
  ): number[] {
    const data = new BigUint64Array(4);
    const linesize = new Int32Array(4);
    planes.forEach((p, i) => {
      data[i] = BigInt(Deno.UnsafePointer.value(p));
      linesize[i] = strides[i];
    });
    if (picture.monochrome) {
      // grey chroma planes (swscale refuses a stride of 0), one for Cb and Cr, kept for reuse
      const [w, h, tenBit] = [
        Math.ceil(picture.width / 2),
        Math.ceil(picture.height / 2),
        picture.bitDepth > 8,
      ];
      const bytes = w * h * (tenBit ? 2 : 1);
      if (this.#grey?.bytes.byteLength !== bytes || this.#grey.tenBit !== tenBit) {
        const buf = new ArrayBuffer(bytes);
        if (tenBit) new Uint16Array(buf).fill(1 << 9);
        else new Uint8Array(buf).fill(1 << 7);
        this.#grey = { bytes: new Uint8Array(buf), tenBit };
      }
      data[1] = data[2] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#grey.bytes)));
      linesize[1] = linesize[2] = w * (tenBit ? 2 : 1);
    }
    return this.#write(
      {
        width: picture.width,
        height: picture.height,
        format: picture.bitDepth > 8 ? this.#tenBit : this.#eightBit[0],
        data: Deno.UnsafePointer.of(data),
        linesize: Deno.UnsafePointer.of(linesize),
      },
      format,
      mem,
    );
  }

  #write(
    src: {
      width: number;
      height: number;
      format: number;
      data: Deno.PointerValue;
      linesize: Deno.PointerValue;
    },
    format: CaptureFormat,
    mem: CaptureMemory,
  ): number[] {
    const srcFormat = src.format;
    const capture = captureLayout(format);
    const depth = this.#eightBit.includes(srcFormat) ? 1 : srcFormat === this.#tenBit ? 2 : 0;
    if (depth !== capture.bytesPerSample) {
      throw new JobError(
        ENOTSUP,
        `decoded ${pixFmtName(this.av.avutil, srcFormat)} cannot go to ${
          fourccName(format.pixelformat)
        }: 8-bit 4:2:0 goes to NV12 or I420, 10-bit 4:2:0 to P010`,
      );
    }
    const { width, height } = src;
    if (width > format.width || height > format.height) {
      throw new JobError(
        EINVAL,
        `picture ${width}x${height} does not fit CAPTURE ${format.width}x${format.height}`,
      );
    }
    const { layout, interleaved, bytesPerSample } = capture;
    if (mem.planes.length < format.planes.length) {
      throw new JobError(
        EINVAL,
        `${mem.planes.length} CAPTURE planes mapped, need ${format.planes.length}`,
      );
    }
    const chromaWidth = interleaved ? width + (width & 1) : Math.ceil(width / 2);
    const minStride = [width * bytesPerSample, chromaWidth * bytesPerSample];
    const bytesused = format.planes.map(() => 0);
    layout.forEach((p, i) => {
      const rowBytes = minStride[i === 0 ? 0 : 1];
      const need = p.offset + p.stride * (p.rows - 1) + rowBytes;
      const plane = mem.planes[p.memPlane];
      if (p.stride < rowBytes || !plane || need > plane.length) {
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
      this.#avFormats[capture.avFormat],
      SWS_POINT,
      null,
      null,
      null,
    );
    if (!this.#sws) throw new JobError(ENOMEM, "sws_getCachedContext failed");
    const rows = this.av.swscale.sws_scale(
      this.#sws,
      src.data,
      src.linesize,
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
