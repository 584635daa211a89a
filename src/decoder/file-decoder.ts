/**
 * Decodes a raw Annex-B H.264 file through the daemon's decoding core, acting as the V4L2
 * client and the kernel would: jobs from the stream parser, CAPTURE buffers in memory.
 * `daedalusd decode`, the tests and the benchmark all use it.
 */
import { createHash } from "node:crypto";
import type { Libav } from "../../ffi/libav.ts";
import {
  type ClientFrame,
  type ClientJob,
  type ClientOptions,
  streamToFrames,
} from "../h264/client.ts";
import type { ContextDecoder } from "./context-decoder.ts";
import { H264 } from "../h264/codec.ts";
import {
  type CaptureFormat,
  type CaptureMemory,
  type DecodeJob,
  V4L2_PIX_FMT_NV12,
  V4L2_PIX_FMT_YUV420,
} from "./job.ts";
import { captureLayout } from "./picture-writer.ts";

export type PixFmtName = "nv12" | "yuv420p";

export interface FileDecodeOptions extends ClientOptions {
  pixFmt: PixFmtName;
  /** Compute per-frame MD5s of the cropped picture (as ffmpeg's framemd5). */
  md5: boolean;
  /** CAPTURE bytesperline is the width rounded up to this (1 = tight). */
  strideAlign?: number;
}

export interface FileDecodeResult {
  frames: number;
  failed: { index: number; message: string }[];
  /** MD5 per frame in display order (when requested). */
  md5s: string[];
  seconds: number;
  fps: number;
}

export function captureFormatFor(
  width: number,
  height: number,
  pixFmt: PixFmtName,
  strideAlign = 1,
): CaptureFormat {
  const bpl = Math.ceil(width / strideAlign) * strideAlign;
  return {
    width,
    height,
    pixelformat: pixFmt === "nv12" ? V4L2_PIX_FMT_NV12 : V4L2_PIX_FMT_YUV420,
    planes: [{ bytesperline: bpl, length: bpl * height + 2 * (bpl / 2) * Math.ceil(height / 2) }],
  };
}

/** MD5 of the display window of a picture in CAPTURE memory, packed as ffmpeg packs rawvideo. */
export function pictureMd5(
  bytes: Uint8Array,
  format: CaptureFormat,
  crop: ClientFrame["crop"],
): string {
  const { layout, nv12 } = captureLayout(format);
  const w = format.width - crop.left - crop.right;
  const h = format.height - crop.top - crop.bottom;
  const hash = createHash("md5");
  layout.forEach((p, i) => {
    const luma = i === 0;
    const rowBytes = luma ? w : nv12 ? 2 * Math.ceil(w / 2) : Math.ceil(w / 2);
    const x = luma ? crop.left : nv12 ? crop.left : crop.left / 2;
    const y0 = luma ? crop.top : crop.top / 2;
    const rows = luma ? h : Math.ceil(h / 2);
    for (let y = y0; y < y0 + rows; y++) {
      const start = p.offset + y * p.stride + x;
      hash.update(bytes.subarray(start, start + rowBytes));
    }
  });
  return hash.digest("hex");
}

class CaptureBuffer {
  ptr: Deno.PointerObject | null = null;
  size = 0;
  constructor(private readonly av: Libav) {}
  ensure(size: number): Deno.PointerObject {
    if (!this.ptr || this.size < size) {
      this.free();
      this.ptr = this.av.avutil.av_mallocz(BigInt(size));
      if (!this.ptr) throw new Error(`cannot allocate ${size} bytes`);
      this.size = size;
    }
    return this.ptr;
  }
  free(): void {
    if (this.ptr) this.av.avutil.av_free(this.ptr);
    this.ptr = null;
  }
}

/**
 * Plays the kernel's part for a stream's frames: one decoder context, one CAPTURE buffer,
 * jobs submitted in decode order.
 */
export class FrameRunner {
  readonly #decoder: ContextDecoder;
  readonly #buffer: CaptureBuffer;

  constructor(av: Libav, private readonly opts: Omit<FileDecodeOptions, "mode" | "startCode">) {
    this.#decoder = H264.createDecoder(av);
    this.#buffer = new CaptureBuffer(av);
  }

  /**
   * Decodes one frame's jobs (or `jobs` instead, e.g. damaged ones); returns the first
   * failure, or the MD5 of the cropped picture when requested.
   */
  run(
    frame: ClientFrame,
    index: number,
    jobs: ClientJob[] = frame.jobs,
  ): { ok: true; md5?: string } | { ok: false; message: string; status: number } {
    const format = captureFormatFor(
      frame.width,
      frame.height,
      this.opts.pixFmt,
      this.opts.strideAlign,
    );
    const ptr = this.#buffer.ensure(format.planes[0].length);
    const mem: CaptureMemory = { planes: [{ ptr, length: format.planes[0].length }] };
    for (const cj of jobs) {
      const job: DecodeJob = {
        codec: "h264",
        ctrls: cj.ctrls,
        bitstream: cj.bitstream,
        hold: cj.hold,
        captureIndex: index % 4,
        timestamp: BigInt(index) * 1000n,
        format,
      };
      const r = this.#decoder.decode(job, mem);
      if (r.status !== 0) return { ok: false, message: r.message, status: r.status };
    }
    if (!this.opts.md5) return { ok: true };
    const bytes = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(ptr, format.planes[0].length),
    );
    return { ok: true, md5: pictureMd5(bytes, format, frame.crop) };
  }

  close(): void {
    this.#decoder.close();
    this.#buffer.free();
  }
}

export function decodeFile(
  av: Libav,
  data: Uint8Array,
  opts: FileDecodeOptions,
): FileDecodeResult {
  const frames = streamToFrames(data, opts);
  const runner = new FrameRunner(av, opts);
  const failed: FileDecodeResult["failed"] = [];
  const hashed: { period: number; poc: number; md5: string }[] = [];
  const t0 = performance.now();
  try {
    frames.forEach((frame, index) => {
      const r = runner.run(frame, index);
      if (!r.ok) failed.push({ index, message: r.message });
      else if (r.md5) hashed.push({ period: frame.period, poc: frame.poc, md5: r.md5 });
    });
  } finally {
    runner.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  hashed.sort((a, b) => a.period - b.period || a.poc - b.poc);
  return {
    frames: frames.length,
    failed,
    md5s: hashed.map((h) => h.md5),
    seconds,
    fps: frames.length / seconds,
  };
}
