/**
 * Writes a decoded picture into CAPTURE memory as NV12, I420 (one or three planes) or, for
 * 10-bit pictures, P010, at the CAPTURE format's strides. swscale's unscaled paths do this (a
 * plane copy, an interleave for NV12, a shift into the high bits for P010) bit-exactly, except
 * P010 at odd widths: its yuv420p10le→p010le path packs width / 2 CbCr pairs per row and leaves
 * the last one out, which is written here. A picture its codec does not decode on the
 * device, or the CAPTURE format cannot hold (another bit depth, 4:2:2, 4:4:4), fails its job
 * here, for every codec and front door.
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

/** Where one component plane (Y, CbCr, Cb or Cr) lies in CAPTURE memory. */
export interface PlaneLayout {
  /** Which CAPTURE plane (memory) holds this component plane, and where in it. */
  memPlane: number;
  /** Its first byte's offset in that memory plane. */
  offset: number;
  /** Bytes from one row to the next. */
  stride: number;
  /** Its rows: the height, or half of it rounded up for chroma. */
  rows: number;
}

/** How a CAPTURE format lays out its component planes (Y, then CbCr or Cb and Cr). */
export interface CaptureLayout {
  /** Its component planes, Y first. */
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
      if (bpl0 % 2 !== 0) throw new JobError(EINVAL, `P010 bytesperline ${bpl0} is odd`);
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

/**
 * The chroma formats (4:0:0: monochrome, luma only), in the order of H.264's chroma_format_idc,
 * which dav1d's Dav1dPixelLayout (I400, I420, I422, I444) shares.
 */
export const CHROMA_FORMATS = ["4:0:0", "4:2:0", "4:2:2", "4:4:4"] as const;

/** Chroma subsampling of a decoded picture. */
export type Chroma = typeof CHROMA_FORMATS[number];

/** What a decoded picture's samples are. */
export interface PictureFormat {
  /** Bits per sample. */
  bitDepth: number;
  /** Its chroma subsampling. */
  chroma: Chroma;
}

/** The libav pixel formats of the pictures CAPTURE formats hold (PictureWriter.write's input). */
const LIBAV_PICTURES: Record<string, PictureFormat> = {
  yuv420p: { bitDepth: 8, chroma: "4:2:0" },
  yuvj420p: { bitDepth: 8, chroma: "4:2:0" },
  yuv420p10le: { bitDepth: 10, chroma: "4:2:0" },
};

/**
 * The pictures a codec decodes: the kernel's bit_depths and chroma_formats of it
 * (kmod/daedalus-<codec>.c), which it enforces at the controls; the daemon enforces them again on
 * each decoded picture, since the file client and other front doors pass no kernel.
 */
export interface CodecPictures {
  /** The bit depths it decodes (bit_depths). */
  bitDepths: readonly number[];
  /** The chroma subsamplings it decodes (chroma_formats). */
  chroma: readonly Chroma[];
}

/** The bit depth of the pictures a CAPTURE layout holds: 8 (NV12, I420) or 10 (P010). */
function captureDepth(capture: CaptureLayout): number {
  return capture.bytesPerSample === 2 ? 10 : 8;
}

/**
 * Throws unless `picture` (`what` says what it is, in the error) is one of the `codec`'s pictures
 * and CAPTURE `format` holds it: its bit depth, and 4:2:0 (or monochrome, written with grey
 * chroma). Anything else would be written as something it is not: the job fails instead,
 * whichever client or front door sent it.
 */
export function checkPictureFits(
  picture: PictureFormat | undefined,
  codec: CodecPictures,
  format: CaptureFormat,
  what: () => string,
  capture: CaptureLayout = captureLayout(format),
): PictureFormat {
  if (
    !picture || !codec.bitDepths.includes(picture.bitDepth) ||
    !codec.chroma.includes(picture.chroma)
  ) {
    throw new JobError(
      ENOTSUP,
      `${what()}: not a bit depth and chroma format this codec decodes ` +
        `(${codec.bitDepths.join(" or ")}-bit ${codec.chroma.join(" or ")})`,
    );
  }
  const depth = captureDepth(capture);
  if (
    picture.bitDepth === depth && (picture.chroma === "4:2:0" || picture.chroma === "4:0:0")
  ) {
    return picture;
  }
  throw new JobError(
    ENOTSUP,
    `${what()} cannot go to ${fourccName(format.pixelformat)}, which holds ` +
      `${depth}-bit 4:2:0 pictures (8-bit 4:2:0 goes to NV12 or I420, 10-bit 4:2:0 to P010)`,
  );
}

/** The source of one conversion: a picture's planes, as libav's data[] and linesize[] hold them. */
interface SourcePicture {
  width: number;
  height: number;
  format: number;
  data: Deno.PointerValue;
  linesize: Deno.PointerValue;
}

/** Writes decoded pictures (libav frames) into CAPTURE memory; one per decoder. */
export class PictureWriter {
  #sws: Deno.PointerValue = null;
  /** libav's 8-bit and 10-bit 4:2:0 formats, and the CAPTURE layouts' formats, by name. */
  readonly #eightBit: number;
  readonly #tenBit: number;
  readonly #avFormats: Record<CaptureLayout["avFormat"], number>;
  /** LIBAV_PICTURES by libav's number. */
  readonly #pictures: Map<number, PictureFormat>;
  readonly #dst = new BigUint64Array(4);
  readonly #dstStride = new Int32Array(4);
  /** writePlanes()'s chroma for a monochrome picture. */
  #grey: { bytes: Uint8Array<ArrayBuffer>; tenBit: boolean } | undefined;

  /** `codec`: the pictures its decoder may write (the others fail their job). */
  constructor(private readonly av: Libav, private readonly codec: CodecPictures) {
    this.#eightBit = pixFmt(av.avutil, "yuv420p");
    this.#tenBit = pixFmt(av.avutil, "yuv420p10le");
    this.#avFormats = {
      nv12: pixFmt(av.avutil, "nv12"),
      yuv420p: this.#eightBit,
      p010le: pixFmt(av.avutil, "p010le"),
    };
    this.#pictures = new Map(
      Object.entries(LIBAV_PICTURES).map(([name, f]) => [pixFmt(av.avutil, name), f]),
    );
  }

  /** What a picture of libav pixel format `avFormat` is, if a CAPTURE format can hold it. */
  pictureFormat(avFormat: number): PictureFormat | undefined {
    return this.#pictures.get(avFormat);
  }

  /**
   * Writes `frame` into `mem`; returns bytesused per CAPTURE plane. `capture`: the format's
   * layout, when the caller has it already.
   */
  write(
    frame: AVFrameView,
    format: CaptureFormat,
    mem: CaptureMemory,
    capture: CaptureLayout = captureLayout(format),
  ): number[] {
    // libav's name of the format only for a picture that fails
    checkPictureFits(
      this.#pictures.get(frame.format),
      this.codec,
      format,
      () => `decoded ${pixFmtName(this.av.avutil, frame.format)}`,
      capture,
    );
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
      capture,
      mem,
    );
  }

  /**
   * Writes a picture held elsewhere (dav1d's): `picture.bitDepth` planes at `planes`, lines
   * `strides` bytes apart; when monochrome (4:0:0), the luma plane only, and the chroma written
   * is neutral grey (what libav's own conversion of a grey picture writes). `capture`: the
   * format's layout, when the caller has it already.
   */
  writePlanes(
    picture: { width: number; height: number } & PictureFormat,
    planes: Deno.PointerValue[],
    strides: number[],
    format: CaptureFormat,
    mem: CaptureMemory,
    capture: CaptureLayout = captureLayout(format),
  ): number[] {
    const { bitDepth, chroma } = checkPictureFits(
      picture,
      this.codec,
      format,
      () => `decoded ${picture.bitDepth}-bit ${picture.chroma}`,
      capture,
    );
    const tenBit = bitDepth > 8;
    const data = new BigUint64Array(4);
    const linesize = new Int32Array(4);
    planes.forEach((p, i) => {
      data[i] = BigInt(Deno.UnsafePointer.value(p));
      linesize[i] = strides[i];
    });
    if (chroma === "4:0:0") {
      // grey chroma planes (swscale refuses a stride of 0), one for Cb and Cr, kept for reuse
      const [w, h] = [Math.ceil(picture.width / 2), Math.ceil(picture.height / 2)];
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
        format: tenBit ? this.#tenBit : this.#eightBit,
        data: Deno.UnsafePointer.of(data),
        linesize: Deno.UnsafePointer.of(linesize),
      },
      format,
      capture,
      mem,
    );
  }

  #write(
    src: SourcePicture,
    format: CaptureFormat,
    capture: CaptureLayout,
    mem: CaptureMemory,
  ): number[] {
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
    this.#scale(src, capture);
    if (bytesPerSample === 2 && width % 2 === 1) this.#lastChromaPair(src, layout, mem);
    return bytesused.map((b, i) => Math.min(b, mem.planes[i].length));
  }

  /** swscale's unscaled conversion of `src` into the planes #write set up. */
  #scale(src: SourcePicture, capture: CaptureLayout): void {
    const { width, height } = src;
    this.#sws = this.av.swscale.sws_getCachedContext(
      this.#sws,
      width,
      height,
      src.format,
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
  }

  /**
   * The last CbCr pair of each P010 chroma row of an odd-width picture, which swscale's
   * yuv420p10le→p010le leaves out (it packs width / 2 pairs): Cb and Cr sample ceil(width / 2) - 1
   * of each row, shifted into the high bits. One pair per row, so this costs nothing beside the
   * conversion (packing the whole picture here took seconds per frame under emulation).
   */
  #lastChromaPair(src: SourcePicture, layout: PlaneLayout[], mem: CaptureMemory): void {
    const data = new Deno.UnsafePointerView(src.data!);
    const linesize = new Deno.UnsafePointerView(src.linesize!);
    const [x, rows] = [Math.ceil(src.width / 2) - 1, Math.ceil(src.height / 2)];
    const [cb, cr] = [1, 2].map((i) => ({
      plane: new Deno.UnsafePointerView(data.getPointer(8 * i)!),
      stride: linesize.getInt32(4 * i),
    }));
    const uv = layout[1];
    const plane = mem.planes[uv.memPlane];
    const dst = new DataView(Deno.UnsafePointerView.getArrayBuffer(plane.ptr, plane.length));
    for (let row = 0; row < rows; row++) {
      const at = uv.offset + row * uv.stride + 4 * x;
      dst.setUint16(at, cb.plane.getUint16(row * cb.stride + 2 * x) << 6, true);
      dst.setUint16(at + 2, cr.plane.getUint16(row * cr.stride + 2 * x) << 6, true);
    }
  }

  /** Frees its swscale context. */
  close(): void {
    if (this.#sws) this.av.swscale.sws_freeContext(this.#sws);
    this.#sws = null;
  }
}
