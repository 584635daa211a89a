/**
 * Decodes a stream file (each codec's file client says which: raw Annex-B H.264, IVF VP8/VP9)
 * through the daemon's decoding core, acting as the V4L2 client and the kernel would: jobs from
 * the codec's file client, CAPTURE buffers in memory. `daedalusd decode`, the tests and the
 * benchmark all use it.
 */
import { createHash } from "node:crypto";
import type { Libav } from "../../ffi/libav.ts";
import { type Codec, codecForFile, statelessOf } from "../codecs.ts";
import type { ContextDecoder } from "./context-decoder.ts";
import {
  type ClientFrame,
  type ClientJob,
  type ClientOptions,
  frameTimestamp,
} from "./file-client.ts";
import {
  type CaptureFormat,
  type CaptureMemory,
  type DecodeJob,
  V4L2_PIX_FMT_NV12,
  V4L2_PIX_FMT_P010,
  V4L2_PIX_FMT_YUV420,
} from "./job.ts";
import { captureLayout } from "./picture-writer.ts";

/** The CAPTURE format of 8-bit pictures (10-bit ones always go to P010, as the kernel does). */
export type PixFmtName = "nv12" | "yuv420p";

/** How decodeFile() runs: the client's modes and the CAPTURE format it picks. */
export interface FileDecodeOptions extends ClientOptions {
  /** The CAPTURE format of 8-bit pictures. */
  pixFmt: PixFmtName;
  /** Compute per-frame MD5s of the cropped picture (as ffmpeg's framemd5). */
  md5: boolean;
  /** CAPTURE bytesperline is the width rounded up to this (1 = tight). */
  strideAlign?: number;
  /** The stream's codec; by default the one whose file client takes the data. */
  codec?: Codec;
  /** Threads the decoder may use inside a picture (DecoderOptions.threads). */
  threads?: number;
}

/** What decodeFile() did. */
export interface FileDecodeResult {
  /** The codec it decoded as. */
  codec: Codec;
  /** Frames the file client made (shown again ones included). */
  frames: number;
  /** The frames whose decode failed, by index, and why. */
  failed: { index: number; message: string }[];
  /** MD5 per displayed frame in display order (when requested). */
  md5s: string[];
  /** Wall time of the decode loop. */
  seconds: number;
  /** frames / seconds. */
  fps: number;
}

/** A single-plane CAPTURE format for `width` x `height` pictures: P010 past 8 bits, else `pixFmt`. */
export function captureFormatFor(
  width: number,
  height: number,
  pixFmt: PixFmtName,
  strideAlign = 1,
  bitDepth = 8,
): CaptureFormat {
  const bytesPerSample = bitDepth > 8 ? 2 : 1;
  const bpl = Math.ceil(width * bytesPerSample / strideAlign) * strideAlign;
  const pixelformat = bitDepth > 8
    ? V4L2_PIX_FMT_P010
    : pixFmt === "nv12"
    ? V4L2_PIX_FMT_NV12
    : V4L2_PIX_FMT_YUV420;
  return {
    width,
    height,
    pixelformat,
    planes: [{ bytesperline: bpl, length: bpl * height + 2 * (bpl / 2) * Math.ceil(height / 2) }],
  };
}

/** MD5 of the display window of a picture in CAPTURE memory, packed as ffmpeg packs rawvideo. */
export function pictureMd5(
  bytes: Uint8Array,
  format: CaptureFormat,
  crop: ClientFrame["crop"],
): string {
  const { layout, interleaved, bytesPerSample: bps } = captureLayout(format);
  const w = format.width - crop.left - crop.right;
  const h = format.height - crop.top - crop.bottom;
  const hash = createHash("md5");
  layout.forEach((p, i) => {
    const luma = i === 0;
    const samples = luma ? w : interleaved ? 2 * Math.ceil(w / 2) : Math.ceil(w / 2);
    const x = luma ? crop.left : interleaved ? crop.left : crop.left / 2;
    const y0 = luma ? crop.top : crop.top / 2;
    const rows = luma ? h : Math.ceil(h / 2);
    for (let y = y0; y < y0 + rows; y++) {
      const start = p.offset + y * p.stride + x * bps;
      hash.update(bytes.subarray(start, start + samples * bps));
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
  #lastSize = 0;

  /** A decoder of `codec` and a CAPTURE buffer for its pictures. */
  constructor(
    av: Libav,
    private readonly codec: Codec,
    private readonly opts: Omit<FileDecodeOptions, "mode" | "startCode" | "codec">,
  ) {
    this.#decoder = statelessOf(codec).createDecoder(av, { threads: opts.threads });
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
      frame.bitDepth,
    );
    const ptr = this.#buffer.ensure(format.planes[0].length);
    this.#lastSize = format.planes[0].length;
    const mem: CaptureMemory = { planes: [{ ptr, length: format.planes[0].length }] };
    for (const cj of jobs) {
      const job: DecodeJob = {
        codec: this.codec.name,
        ctrls: cj.ctrls,
        bitstream: cj.bitstream,
        hold: cj.hold,
        captureIndex: index % 4,
        timestamp: frameTimestamp(index),
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

  /** A copy of the CAPTURE buffer as the last run left it (for the tests). */
  lastCapture(): Uint8Array {
    if (!this.#buffer.ptr) return new Uint8Array();
    return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(this.#buffer.ptr, this.#lastSize))
      .slice();
  }

  /** Closes the decoder and frees the CAPTURE buffer. */
  close(): void {
    this.#decoder.close();
    this.#buffer.free();
  }
}

/** The codec `opts` names, or the file's own (codecForFile); throws when it has none. */
export function fileCodec(data: Uint8Array, codec?: Codec): Codec {
  return codec ?? codecForFile(data);
}

/** Decodes a stream file frame by frame as a V4L2 client would, with MD5s when asked. */
export function decodeFile(
  av: Libav,
  data: Uint8Array,
  opts: FileDecodeOptions,
): FileDecodeResult {
  const codec = fileCodec(data, opts.codec);
  const frames = statelessOf(codec).frames(data, opts);
  const runner = new FrameRunner(av, codec, opts);
  const failed: FileDecodeResult["failed"] = [];
  const md5ByIndex = new Map<number, string>();
  const hashed: { period: number; poc: number; md5: string }[] = [];
  const t0 = performance.now();
  try {
    frames.forEach((frame, index) => {
      if (frame.repeatOf !== undefined) {
        // shown again: the client displays the earlier frame's CAPTURE buffer, no job
        const md5 = md5ByIndex.get(frame.repeatOf);
        if (md5) hashed.push({ period: frame.period, poc: frame.poc, md5 });
        return;
      }
      const r = runner.run(frame, index);
      if (!r.ok) failed.push({ index, message: r.message });
      else if (r.md5) {
        md5ByIndex.set(index, r.md5);
        if (!frame.hidden) hashed.push({ period: frame.period, poc: frame.poc, md5: r.md5 });
      }
    });
  } finally {
    runner.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  hashed.sort((a, b) => a.period - b.period || a.poc - b.poc);
  return {
    codec,
    frames: frames.length,
    failed,
    md5s: hashed.map((h) => h.md5),
    seconds,
    fps: frames.length / seconds,
  };
}
