/**
 * Drives a stream session from a file as a stateful V4L2 client would (`daedalusd decode
 * --stream`, the tests, the bench): a raw stream's bytes in chunks of a given size, or an IVF
 * file's frames one a buffer, each chunk with its own timestamp; every picture written into a
 * CAPTURE buffer of the format the session announced, and hashed as ffmpeg's framemd5 does.
 */
import type { Libav } from "../../ffi/libav.ts";
import type { Codec } from "../codecs.ts";
import {
  captureFormatFor,
  fileCodec,
  pictureMd5,
  type PixFmtName,
} from "../decoder/file-decoder.ts";
import { ivfFrames } from "../decoder/ivf.ts";
import { EINVAL } from "../../ffi/libc.ts";
import { StreamError } from "./error.ts";
import { type StreamFormat, StreamSession } from "./session.ts";

/** How the pictures a session gives are written and checked. */
export interface CaptureOptions {
  /** The CAPTURE format of 8-bit pictures (10-bit ones go to P010). */
  pixFmt: PixFmtName;
  /** Hash each picture's visible rectangle. */
  md5: boolean;
  /**
   * CAPTURE bytesperline is the width rounded up to this (1 = tight); 64 when a tight row
   * cannot hold an odd width's last CbCr pair.
   */
  strideAlign?: number;
}

/** One picture out of a session. */
export interface TakenPicture {
  /** The timestamp it carried. */
  timestamp: bigint;
  /** It came flagged damaged. */
  error: boolean;
  /** The MD5 of its visible rectangle, when asked for. */
  md5?: string;
}

/** What a session has given so far, in order of kind. */
export interface Taken {
  /** Its pictures, in display order. */
  pictures: TakenPicture[];
  /** The formats it announced, in order. */
  formats: StreamFormat[];
  /** The drains that ended. */
  ends: number;
}

/** An empty record of what a session gives. */
export function emptyTaken(): Taken {
  return { pictures: [], formats: [], ends: 0 };
}

/**
 * Takes every waiting event of `session` into `into`, writing each picture into a CAPTURE buffer
 * of the last format announced (before it, in `into` or earlier). Throws when a picture comes
 * before any format or cannot be written.
 */
export function takeEvents(session: StreamSession, opts: CaptureOptions, into: Taken): void {
  for (let e = session.take(); e; e = session.take()) {
    if (e.kind === "format") {
      into.formats.push(e.format);
      continue;
    }
    if (e.kind === "end") {
      into.ends++;
      continue;
    }
    const f = into.formats.at(-1);
    if (!f) {
      session.release(e.picture);
      throw new StreamError(EINVAL, "a picture came before any format");
    }
    const { coded, visible } = f;
    const align = opts.pixFmt === "yuv420p" || coded.width % 2 === 1 ? 64 : opts.strideAlign ?? 1;
    const format = captureFormatFor(
      coded.width,
      coded.height,
      opts.pixFmt,
      align,
      f.picture?.bitDepth,
    );
    const buf = new Uint8Array(format.planes[0].length);
    const mem = { planes: [{ ptr: Deno.UnsafePointer.of(buf)!, length: buf.length }] };
    const { timestamp, error } = e.picture;
    session.write(e.picture, format, mem);
    into.pictures.push({
      timestamp,
      error,
      md5: opts.md5
        ? pictureMd5(buf, format, {
          left: visible.left,
          top: visible.top,
          right: coded.width - visible.left - visible.width,
          bottom: coded.height - visible.top - visible.height,
        })
        : undefined,
    });
  }
}

/** How decodeStreamFile() runs. */
export interface StreamFileOptions extends CaptureOptions {
  /** The stream's codec; by default the one the file is (fileCodec). */
  codec?: Codec;
  /** A raw stream's chunk size in bytes (IVF files go a frame a buffer). 4096 by default. */
  chunk?: number;
  /** Frame threads (StreamOptions.threads). */
  threads?: number;
}

/** What decodeStreamFile() did. */
export interface StreamFileResult extends Taken {
  /** The codec it decoded as. */
  codec: Codec;
  /** The buffers queued. */
  buffers: number;
  /** Wall time of the decode. */
  seconds: number;
  /** Pictures a second. */
  fps: number;
}

/** `data` through a session of its codec, buffer by buffer, then a drain. */
export function decodeStreamFile(
  av: Libav,
  data: Uint8Array,
  opts: StreamFileOptions,
): StreamFileResult {
  const codec = fileCodec(data, opts.codec);
  if (!codec.stream) throw new StreamError(EINVAL, `${codec.name} has no stream decoder`);
  const chunk = opts.chunk ?? 4096;
  if (!(chunk >= 1)) throw new StreamError(EINVAL, `chunk size ${chunk}: at least 1 byte`);
  const buffers: Uint8Array[] = codec.file.container === "IVF"
    ? ivfFrames(data).map((f) => f.data)
    : Array.from(
      { length: Math.ceil(data.length / chunk) },
      (_, i) => data.subarray(i * chunk, (i + 1) * chunk),
    );
  const taken = emptyTaken();
  const start = performance.now();
  const session = new StreamSession(av, codec, { threads: opts.threads });
  try {
    buffers.forEach((b, i) => {
      session.queue(b, BigInt(i));
      takeEvents(session, opts, taken);
    });
    session.drain();
    takeEvents(session, opts, taken);
  } finally {
    session.close();
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    ...taken,
    codec,
    buffers: buffers.length,
    seconds,
    fps: taken.pictures.length / seconds,
  };
}
