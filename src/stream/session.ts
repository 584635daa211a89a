/**
 * One stream of a stateful decoder (docs/stateful.md, "A session"): bytes in any chunking, each
 * chunk with the OUTPUT timestamp the client queued it with, through libavcodec's parser and
 * decoder (frame threads allowed) to pictures in display order, each carrying the timestamp of
 * the buffer that held its first byte. Pictures come from libavcodec's default allocator (no
 * get_buffer2 callback, so frame threads work) and are copied into CAPTURE memory by the
 * stateless path's PictureWriter, at the CAPTURE format's strides, when the caller writes them.
 * The session tells the stream's format before its first picture and whenever it changes, marks
 * the end of a drain, and drops everything on a flush (a seek).
 */
import type { Libav } from "../../ffi/libav.ts";
import { AVFrameView, AVPacketView } from "../../ffi/layout.ts";
import { cString } from "../../ffi/library.ts";
import { AVERROR_EAGAIN, AVERROR_EOF, avErrorString, pixFmtName } from "../../ffi/libavutil.ts";
import { EINVAL, EIO, ENOMEM, ENOTSUP } from "../../ffi/libc.ts";
import type { Codec } from "../codecs.ts";
import type { CaptureFormat, CaptureMemory } from "../decoder/job.ts";
import {
  type CodecPictures,
  type PictureFormat,
  PictureWriter,
} from "../decoder/picture-writer.ts";
import { StreamError } from "./error.ts";
import { type Framer, makeFramer, type ParsedFrame } from "./parser.ts";
import { OffsetTimestamps } from "./timestamps.ts";

/** How a session decodes. */
export interface StreamOptions {
  /** libavcodec's frame threads (thread_type frame): 1 by default. */
  threads?: number;
}

/** The stream's format, as the client learns it from a source change. */
export interface StreamFormat {
  /** The decoded (coded) picture size: what a CAPTURE buffer must hold. */
  coded: { width: number; height: number };
  /** The visible rectangle inside it. */
  visible: { left: number; top: number; width: number; height: number };
  /** Its samples, or undefined when no CAPTURE format holds them (the stream is refused). */
  picture: PictureFormat | undefined;
  /**
   * Why the stream is refused when `picture` is undefined: libav's name of its pictures' format
   * and what the codec's CAPTURE formats take (short: STREAM_ERROR's reason, dmesg).
   */
  refused?: string;
  /** The CAPTURE buffers the copy-out needs: the decoder's reorder depth + 2. */
  minBuffers: number;
}

/** A decoded picture waiting for a CAPTURE buffer (libavcodec's frame, referenced). */
export interface StreamPicture {
  /** The timestamp of the OUTPUT buffer that held its first byte. */
  timestamp: bigint;
  /**
   * That buffer's flags (V4L2_BUF_FLAG_*, as queue() got them): a decoder copies the frame
   * flags of a picture's OUTPUT buffer to its CAPTURE buffer (v4l2_m2m_buf_copy_metadata).
   */
  outputFlags: number;
  /**
   * libavcodec flagged it damaged (decode_error_flags), or a picture before it was and no key
   * frame came since.
   */
  error: boolean;
  /** Its frame: valid until the session writes or releases it. */
  frame: AVFrameView;
}

/** What a session yields, in order. */
export type StreamEvent =
  | { kind: "format"; format: StreamFormat }
  | { kind: "picture"; picture: StreamPicture }
  | { kind: "end" };

/**
 * Packets whose pictures have not come out yet, at most: far more than any decoder's delay
 * (reorder depth and frame threads), so only pictures never output are forgotten.
 */
const MAX_FLAGS_HELD = 256;

const ptrHolder = (p: Deno.PointerObject) =>
  new BigUint64Array([BigInt(Deno.UnsafePointer.value(p))]);

/** One stream through libavcodec's parser and decoder of a codec with a stream part. */
export class StreamSession {
  readonly #av: Libav;
  readonly #codec: Deno.PointerObject;
  readonly #ctx: Deno.PointerObject;
  readonly #packet: Deno.PointerObject;
  readonly #packetView: AVPacketView;
  readonly #writer: PictureWriter;
  readonly #timestamps = new OffsetTimestamps();
  /** Per packet timestamp in flight, its OUTPUT buffer's flags (insertion order: oldest first). */
  readonly #outputFlags = new Map<bigint, number>();
  readonly #framing: "bytestream" | "frame";
  readonly #pictures: CodecPictures;
  #parser: Framer;
  #events: StreamEvent[] = [];
  /** The format of the last picture decoded, and the last format take() gave out. */
  #format: StreamFormat | undefined;
  #told: StreamFormat | undefined;
  /** A damaged picture came out and no key frame since: pictures are flagged. */
  #damaged = false;
  #closed = false;

  /** A session of `codec` (its stream part and libavcodec decoder). */
  constructor(av: Libav, codec: Codec, opts: StreamOptions = {}) {
    const stream = codec.stream;
    if (!stream || codec.decoder.library !== "libavcodec") {
      throw new StreamError(EINVAL, `${codec.name} has no stream decoder`);
    }
    this.#av = av;
    this.#framing = stream.framing;
    this.#pictures = stream.pictures;
    const { avcodec, avutil } = av;
    const found = avcodec.avcodec_find_decoder_by_name(cString(codec.decoder.name));
    if (!found) throw new StreamError(EINVAL, `libavcodec has no ${codec.decoder.name} decoder`);
    this.#codec = found;
    const ctx = avcodec.avcodec_alloc_context3(found);
    if (!ctx) throw new StreamError(ENOMEM, "avcodec_alloc_context3 failed");
    this.#ctx = ctx;
    const packet = avcodec.av_packet_alloc();
    if (!packet) {
      avcodec.avcodec_free_context(ptrHolder(ctx));
      throw new StreamError(ENOMEM, "av_packet_alloc failed");
    }
    this.#packet = packet;
    this.#packetView = new AVPacketView(packet, av.layout);
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    avutil.av_opt_set_int(ctx, cString("threads"), BigInt(threads), 0);
    avutil.av_opt_set(ctx, cString("thread_type"), cString("frame"), 0);
    // The whole coded picture is written, its crop reported as the visible rectangle: the
    // stateless path writes the same (its frames come from get_buffer2, uncropped).
    avutil.av_opt_set_int(ctx, cString("apply_cropping"), 0n, 0);
    const r = avcodec.avcodec_open2(ctx, found, null);
    if (r < 0) {
      this.#freeCodec();
      throw new StreamError(EIO, `avcodec_open2: ${avErrorString(avutil, r)}`);
    }
    try {
      this.#parser = makeFramer(av, found, stream.framing);
    } catch (e) {
      this.#freeCodec();
      throw e;
    }
    this.#writer = new PictureWriter(av, stream.pictures);
  }

  /**
   * Takes the next `bytes` of the stream, queued by the client with `timestamp` and `flags`
   * (its V4L2_BUF_FLAG_*, which the pictures starting in it carry), and decodes every frame they
   * complete; the pictures that come out wait in take()'s queue.
   */
  queue(bytes: Uint8Array, timestamp: bigint, flags = 0): void {
    if (bytes.length === 0) return;
    this.#timestamps.add(bytes.length, timestamp, flags);
    this.#parser.parse(bytes, (f) => this.#decode(f));
  }

  /**
   * Ends the stream: the parser's last frame and every picture the decoder holds come out, then
   * an "end" event. The session then takes a new stream (from a key frame) as if just made.
   */
  drain(): void {
    this.#parser.parse(new Uint8Array(), (f) => this.#decode(f));
    this.#send(null);
    this.#events.push({ kind: "end" });
    this.#reset();
  }

  /**
   * A seek: every waiting picture is dropped and the parser and decoder forget the stream; the
   * next bytes start a stream again (libavcodec shows nothing before its next key frame).
   */
  flush(): void {
    for (const e of this.#events) if (e.kind === "picture") this.release(e.picture);
    this.#events = [];
    // A format dropped unseen is told again before the next picture that has it.
    this.#format = this.#told;
    this.#reset();
  }

  /**
   * A new epoch (the client started its OUTPUT queue again, after a seek): its first picture is
   * preceded by a format event even when the format did not change.
   */
  retellFormat(): void {
    this.#format = undefined;
    this.#told = undefined;
  }

  /**
   * Forgets the end of a drain not yet taken (the client ended the drain itself): the pictures
   * before it stay, and come out as the stream goes on.
   */
  dropEnd(): void {
    this.#events = this.#events.filter((e) => e.kind !== "end");
  }

  /** The pictures waiting in the queue (what back-pressure bounds). */
  get waiting(): number {
    return this.#events.reduce((n, e) => n + (e.kind === "picture" ? 1 : 0), 0);
  }

  /** The event `ahead` places after the next one (0: the next), without taking it. */
  peek(ahead = 0): StreamEvent | undefined {
    return this.#events[ahead];
  }

  /** The next event, oldest first, or undefined when none is waiting. */
  take(): StreamEvent | undefined {
    const e = this.#events.shift();
    if (e?.kind === "format") this.#told = e.format;
    return e;
  }

  /**
   * Writes `picture` into CAPTURE `mem` of `format` as the stateless path writes its pictures
   * (NV12, I420/YUV420M, P010 at the format's strides), then releases it; returns bytesused
   * per CAPTURE plane. Throws (a JobError from the writer) when the format cannot hold it.
   */
  write(picture: StreamPicture, format: CaptureFormat, mem: CaptureMemory): number[] {
    try {
      return this.#writer.write(picture.frame, format, mem);
    } finally {
      this.release(picture);
    }
  }

  /** Gives a picture's frame back to libavcodec without writing it. */
  release(picture: StreamPicture): void {
    this.#av.avutil.av_frame_free(ptrHolder(picture.frame.ptr));
  }

  /** Frees the decoder, the parser and every waiting picture. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.flush();
    this.#parser.close();
    this.#writer.close();
    this.#freeCodec();
  }

  #freeCodec(): void {
    const { avcodec } = this.#av;
    avcodec.av_packet_free(ptrHolder(this.#packet));
    avcodec.avcodec_free_context(ptrHolder(this.#ctx));
  }

  #reset(): void {
    this.#damaged = false;
    this.#av.avcodec.avcodec_flush_buffers(this.#ctx);
    this.#parser.close();
    this.#parser = makeFramer(this.#av, this.#codec, this.#framing);
    this.#timestamps.clear();
    this.#outputFlags.clear();
  }

  #decode(f: ParsedFrame): void {
    const buffer = this.#timestamps.at(f.offset);
    if (buffer === undefined) {
      throw new StreamError(EIO, `frame at stream offset ${f.offset}: no buffer held it`);
    }
    const timestamp = buffer.timestamp;
    // The packet's pts comes back on its picture (through reordering and frame threads); the
    // flags wait here for it, the oldest forgotten past a bound (a picture never output).
    this.#outputFlags.delete(timestamp);
    this.#outputFlags.set(timestamp, buffer.flags);
    if (this.#outputFlags.size > MAX_FLAGS_HELD) {
      this.#outputFlags.delete(this.#outputFlags.keys().next().value!);
    }
    // Not reference-counted: avcodec_send_packet copies the bytes (the parser's memory is
    // reused by its next call).
    this.#packetView.data = f.data;
    this.#packetView.size = f.size;
    this.#packetView.pts = timestamp;
    this.#packetView.dts = timestamp;
    try {
      this.#send(this.#packet);
    } finally {
      this.#packetView.data = null;
      this.#packetView.size = 0;
    }
  }

  /** Sends a packet (null: the end), then takes every picture the decoder has ready. */
  #send(packet: Deno.PointerObject | null): void {
    const { avcodec, avutil } = this.#av;
    for (;;) {
      const r = avcodec.avcodec_send_packet(this.#ctx, packet);
      if (r === AVERROR_EAGAIN) {
        // Its output is full: take it and send again (receive always makes progress).
        if (this.#receive() === 0) {
          throw new StreamError(EIO, "libavcodec refuses input and has no picture ready");
        }
        continue;
      }
      // A damaged packet is libavcodec's to conceal or drop: the stream goes on (its pictures
      // carry decode_error_flags); only the end must be accepted.
      if (r < 0 && packet === null) {
        throw new StreamError(EIO, `libavcodec at the end: ${avErrorString(avutil, r)}`);
      }
      break;
    }
    this.#receive();
  }

  /** Takes every picture the decoder has ready into the queue; returns how many. */
  #receive(): number {
    const { avcodec, avutil } = this.#av;
    let n = 0;
    for (;;) {
      const frame = avutil.av_frame_alloc();
      if (!frame) throw new StreamError(ENOMEM, "av_frame_alloc failed");
      const r = avcodec.avcodec_receive_frame(this.#ctx, frame);
      if (r < 0) {
        avutil.av_frame_free(ptrHolder(frame));
        if (r === AVERROR_EAGAIN || r === AVERROR_EOF) return n;
        throw new StreamError(EIO, `avcodec_receive_frame: ${avErrorString(avutil, r)}`);
      }
      n++;
      const view = new AVFrameView(frame, this.#av.layout);
      this.#noteFormat(view);
      // libavcodec flags the picture it concealed, not those predicted from it: every picture
      // is flagged until a key frame (a session does not see the references, vouched.ts does).
      if (view.decodeErrorFlags !== 0) this.#damaged = true;
      else if (view.keyFrame) this.#damaged = false;
      this.#events.push({
        kind: "picture",
        picture: {
          timestamp: view.pts,
          outputFlags: this.#outputFlags.get(view.pts) ?? 0,
          error: this.#damaged,
          frame: view,
        },
      });
    }
  }

  /** Queues a format event before `frame` when it is the first or differs from the last. */
  #noteFormat(frame: AVFrameView): void {
    const crop = frame.crop;
    const picture = this.#pictureFormat(frame.format);
    const format: StreamFormat = {
      coded: { width: frame.width, height: frame.height },
      visible: {
        left: crop.left,
        top: crop.top,
        width: frame.width - crop.left - crop.right,
        height: frame.height - crop.top - crop.bottom,
      },
      picture,
      minBuffers: this.#reorderDepth() + 2,
    };
    if (!picture) format.refused = this.#refusal(frame.format);
    const was = this.#format;
    if (
      was && was.coded.width === format.coded.width && was.coded.height === format.coded.height &&
      was.visible.left === format.visible.left && was.visible.top === format.visible.top &&
      was.visible.width === format.visible.width &&
      was.visible.height === format.visible.height &&
      was.picture?.bitDepth === picture?.bitDepth && was.picture?.chroma === picture?.chroma
    ) {
      return;
    }
    this.#format = format;
    this.#events.push({ kind: "format", format });
  }

  /** A picture of libav format `avFormat`, if its codec's CAPTURE formats hold it. */
  #pictureFormat(avFormat: number): PictureFormat | undefined {
    const p = this.#writer.pictureFormat(avFormat);
    const { bitDepths, chroma } = this.#pictures;
    return p && bitDepths.includes(p.bitDepth) && chroma.includes(p.chroma) ? p : undefined;
  }

  /** Why pictures of `avFormat` are refused, e.g. "yuv422p10le pictures: CAPTURE takes 8/10-bit 4:2:0". */
  #refusal(avFormat: number): string {
    const { bitDepths, chroma } = this.#pictures;
    return `${pixFmtName(this.#av.avutil, avFormat)} pictures: CAPTURE takes ` +
      `${bitDepths.join("/")}-bit ${chroma.filter((c) => c !== "4:0:0").join("/")}`;
  }

  /** AVCodecContext.has_b_frames: the pictures libavcodec holds back to reorder them. */
  #reorderDepth(): number {
    const out = new BigInt64Array(1);
    const r = this.#av.avutil.av_opt_get_int(this.#ctx, cString("has_b_frames"), 0, out);
    if (r < 0) {
      throw new StreamError(ENOTSUP, `has_b_frames: ${avErrorString(this.#av.avutil, r)}`);
    }
    return Number(out[0]);
  }
}
