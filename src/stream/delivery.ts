/**
 * A stream session's protocol-facing rules (docs/stateful.md, "A session"), kernel-independent:
 * the client's OUTPUT buffers (STREAM_DATA) and CAPTURE buffers (STREAM_CAPTURE) come in, and
 * answers go out through a StreamSink, in the order the client must see them.
 *
 * - **Format first.** A format event is told (and charged for) before any picture of it, once
 *   every earlier picture is out; one that does not fit takes back the CAPTURE buffers held. A
 *   sink may answer later (formatAnswered()): nothing is delivered until it has.
 * - **LAST hold-back.** A picture is written only once the event after it is known, so that the
 *   drain's last picture carries LAST; when the end comes with no picture before it, an empty
 *   CAPTURE buffer carries LAST.
 * - **Back-pressure.** With more than `2 + threads` pictures waiting and no CAPTURE buffer, no
 *   STREAM_DATA is consumed (or answered): the client's OUTPUT queue fills and it waits in poll,
 *   and the daemon's memory stays bounded. A drain waits behind the data queued before it.
 * - **Failure.** Anything the session cannot do (a picture no CAPTURE format holds, decoder
 *   memory over budget, a decoder that fails) ends the stream with one error; nothing after it
 *   is answered.
 */
import { EIO, ENOMEM, ENOTSUP } from "../../ffi/libc.ts";
import type { Libav } from "../../ffi/libav.ts";
import type { Codec } from "../codecs.ts";
import { type CaptureFormat, type CaptureMemory, JobError } from "../decoder/job.ts";
import { StreamError } from "./error.ts";
import { type StreamFormat, type StreamPicture, StreamSession } from "./session.ts";

/** The V4L2_BUF_FLAG_* frame flags an OUTPUT buffer may carry (STREAM_DATA's `flags`). */
export const V4L2_BUF_FLAG = { keyframe: 0x08, pframe: 0x10, bframe: 0x20 } as const;

/**
 * The OUTPUT buffer flags a picture's CAPTURE buffer takes (V4L2_BUF_FLAG_KEYFRAME, PFRAME,
 * BFRAME): a decoder copies them as the client set them (v4l2_m2m_buf_copy_metadata, which
 * v4l2-compliance checks), not from the picture's type.
 */
export const FRAME_FLAGS = V4L2_BUF_FLAG.keyframe | V4L2_BUF_FLAG.pframe | V4L2_BUF_FLAG.bframe;

/** A CAPTURE buffer the client queued (STREAM_CAPTURE), held until a picture goes into it. */
export interface CaptureSlot {
  /** What the answer (STREAM_PICTURE) names it by. */
  cookie: number;
  /** Its format: size, pixel format, planes' strides and lengths. */
  format: CaptureFormat;
  /** Its planes' memory, mapped when a picture is written into it. */
  memory(): CaptureMemory;
}

/** An OUTPUT buffer the client queued (STREAM_DATA), held until its bytes are consumed. */
export interface DataSlot {
  /** What the answer (STREAM_DATA_DONE) names it by. */
  cookie: number;
  /** The timestamp the client queued it with. */
  timestamp: bigint;
  /** The V4L2_BUF_FLAG_* it was queued with (0 when none are known). */
  flags?: number;
  /** Its bytes, mapped when they are consumed (valid until it is answered). */
  bytes(): Uint8Array;
}

/** A CAPTURE buffer's answer. */
export interface PictureOut {
  /** 0, or a negative errno: the buffer returns flagged ERROR (a damaged or unwritable picture). */
  status: number;
  /** The OUTPUT timestamp of the picture's first byte (0 for an empty LAST buffer). */
  timestamp: bigint;
  /** The drain's last buffer. */
  last: boolean;
  /** The frame flags (FRAME_FLAGS) of the OUTPUT buffer its timestamp is from. */
  frameFlags: number;
  /** Bytes written per CAPTURE plane: none for an empty LAST buffer, all 0 for a failed write. */
  bytesused: number[];
  /** Why it failed, when it did. */
  message?: string;
}

/** Where a delivery's answers go: the kernel's ioctls, or a test's record. */
export interface StreamSink {
  /** An OUTPUT buffer's bytes are all consumed: 0, or a negative errno (its ERROR flag). */
  dataDone(cookie: number, status: number): void;
  /**
   * Charges the session's decoder memory for pictures of `format` (docs/stateful.md "Threads and
   * memory"); returns why it cannot be, or undefined.
   */
  charge(format: StreamFormat): string | undefined;
  /**
   * Tells the stream's format (STREAM_FORMAT); returns whether the CAPTURE setup fits it, or
   * undefined when the answer comes later (StreamDelivery.formatAnswered()). When it does not
   * fit, the kernel has taken back every CAPTURE buffer the daemon held.
   */
  format(format: StreamFormat): boolean | undefined;
  /** A CAPTURE buffer's answer (STREAM_PICTURE). */
  picture(cookie: number, picture: PictureOut): void;
  /** The stream failed (STREAM_ERROR): `errno` positive. Nothing follows it. */
  error(errno: number, reason: string): void;
}

/** What the delivery waits to consume, in the order the client queued it. */
type Input = { kind: "data"; data: DataSlot } | { kind: "drain" };

/** One stream's session between the client's buffers and a sink. */
export class StreamDelivery {
  readonly #session: StreamSession;
  readonly #sink: StreamSink;
  /** The back-pressure bound: pictures that may wait with no CAPTURE buffer to go to. */
  readonly waitingBound: number;
  #captures: CaptureSlot[] = [];
  #input: Input[] = [];
  #failed = false;
  #closed = false;
  /** A format was told and its answer has not come. */
  #awaiting = false;

  /** A session of `codec` with `threads` frame threads, answering through `sink`. */
  constructor(av: Libav, codec: Codec, sink: StreamSink, opts: { threads?: number } = {}) {
    const threads = Math.max(1, Math.floor(opts.threads ?? 1));
    this.#session = new StreamSession(av, codec, { threads });
    this.#sink = sink;
    this.waitingBound = 2 + threads;
  }

  /** The stream failed: it takes nothing more. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Decoded pictures waiting for a CAPTURE buffer (or for the event after them). */
  get waiting(): number {
    return this.#session.waiting;
  }

  /** OUTPUT buffers (and drains) held back, not consumed yet. */
  get heldInput(): number {
    return this.#input.length;
  }

  /** CAPTURE buffers held, empty. */
  get captures(): number {
    return this.#captures.length;
  }

  /** STREAM_DATA: the next OUTPUT buffer. */
  data(data: DataSlot): void {
    if (this.#failed) return;
    this.#input.push({ kind: "data", data });
    this.#run();
  }

  /** STREAM_CAPTURE: a CAPTURE buffer to write a picture into. */
  capture(slot: CaptureSlot): void {
    if (this.#failed) return;
    this.#captures.push(slot);
    this.#run();
  }

  /** STREAM_DRAIN: the data before it decoded, then every picture out, the last flagged LAST. */
  drain(): void {
    if (this.#failed) return;
    this.#input.push({ kind: "drain" });
    this.#run();
  }

  /**
   * The answer to a format the sink told without answering (StreamSink.format()): whether the
   * CAPTURE setup fits it (if not, every CAPTURE buffer held, those received since included, is
   * the kernel's again). Delivery goes on.
   */
  formatAnswered(fits: boolean): void {
    if (!this.#awaiting || this.#failed) return;
    this.#awaiting = false;
    if (!fits) this.#captures = [];
    this.#run();
  }

  /** Ends the stream from outside (a deadline passed, a format refused): one error, as #fail. */
  refuse(errno: number, reason: string): void {
    this.#fail(errno, reason);
  }

  /**
   * A new epoch after a stop (STREAM_START again): the stream starts afresh, its format told again
   * before its first picture.
   */
  restart(): void {
    this.stop();
    this.#session.retellFormat();
  }

  /** STREAM_CAPTURE_RESET: the CAPTURE buffers held are the kernel's again; pictures stay. */
  captureReset(): void {
    this.#captures = [];
  }

  /**
   * STREAM_STOP (a seek): the data not consumed, a pending drain, every waiting picture and the
   * CAPTURE buffers held are dropped (the kernel has taken those buffers back; it sends the
   * CAPTURE buffers again in the next epoch).
   */
  stop(): void {
    this.#input = [];
    this.#captures = [];
    this.#awaiting = false;
    this.#session.flush();
  }

  /**
   * STREAM_RESUME: the client ended a drain (DEC_CMD_START, or CAPTURE stopped and started
   * again). A drain not delivered yet ends here: a drain still queued behind data is dropped, and
   * an end not yet given out with it; the pictures before it come out as the stream goes on, with
   * no LAST (the kernel takes LAST only in a drain).
   */
  resume(): void {
    if (this.#failed) return;
    this.#input = this.#input.filter((i) => i.kind !== "drain");
    this.#session.dropEnd();
    this.#run();
  }

  /** Frees the session; nothing more is answered. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failed = true;
    this.#input = [];
    this.#captures = [];
    this.#session.close();
  }

  /** Back-pressure: too many pictures wait and no CAPTURE buffer will take one. */
  get #pressed(): boolean {
    return this.#captures.length === 0 && this.#session.waiting > this.waitingBound;
  }

  #run(): void {
    try {
      for (;;) {
        this.#deliver();
        if (this.#failed || this.#input.length === 0 || this.#pressed) return;
        const input = this.#input.shift()!;
        if (input.kind === "drain") this.#session.drain();
        else this.#consume(input.data);
      }
    } catch (e) {
      this.#fail(
        e instanceof StreamError ? e.errno : EIO,
        e instanceof Error ? e.message : String(e),
      );
    }
  }

  #consume(data: DataSlot): void {
    const bytes = data.bytes();
    this.#session.queue(bytes, data.timestamp, data.flags ?? 0);
    this.#sink.dataDone(data.cookie, 0);
  }

  /** Answers every event it can now: formats, pictures with a CAPTURE buffer, the end. */
  #deliver(): void {
    for (let e = this.#session.peek(); e && !this.#failed; e = this.#session.peek()) {
      if (this.#awaiting) return;
      if (e.kind === "format") {
        this.#tellFormat(e.format);
        continue;
      }
      // A picture waits for the event after it (is it the last?); either waits for a buffer.
      const next = e.kind === "picture" ? this.#session.peek(1) : undefined;
      if (e.kind === "picture" && !next) return;
      const slot = this.#captures.shift();
      if (!slot) return;
      this.#session.take();
      if (e.kind === "end") {
        this.#sink.picture(slot.cookie, {
          status: 0,
          timestamp: 0n,
          last: true,
          frameFlags: 0,
          bytesused: [],
        });
        continue;
      }
      const last = next!.kind === "end";
      if (last) this.#session.take();
      this.#sink.picture(slot.cookie, this.#write(e.picture, slot, last));
    }
  }

  #tellFormat(format: StreamFormat): void {
    if (!format.picture) {
      const { width, height } = format.coded;
      throw new StreamError(
        ENOTSUP,
        format.refused ?? `a ${width}x${height} picture no CAPTURE format holds`,
      );
    }
    const refused = this.#sink.charge(format);
    if (refused) throw new StreamError(ENOMEM, refused);
    this.#session.take();
    const fits = this.#sink.format(format);
    if (fits === undefined) this.#awaiting = true;
    else if (!fits) this.#captures = [];
  }

  #write(picture: StreamPicture, slot: CaptureSlot, last: boolean): PictureOut {
    const frameFlags = picture.outputFlags & FRAME_FLAGS;
    const out = { timestamp: picture.timestamp, last, frameFlags };
    const flagged = picture.error;
    try {
      const bytesused = this.#session.write(picture, slot.format, slot.memory());
      if (!flagged) return { ...out, status: 0, bytesused };
      return { ...out, status: -EIO, bytesused, message: "libavcodec flagged it damaged" };
    } catch (e) {
      // The format cannot hold it, or its memory could not be mapped: this picture alone fails.
      return {
        ...out,
        status: -(e instanceof JobError ? e.errno : EIO),
        bytesused: slot.format.planes.map(() => 0),
        message: (e as Error).message,
      };
    }
  }

  #fail(errno: number, reason: string): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#input = [];
    this.#captures = [];
    this.#session.flush();
    this.#sink.error(errno, reason);
  }
}
