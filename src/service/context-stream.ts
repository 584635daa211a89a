/**
 * One V4L2 context's stream on its decode thread (docs/stateful.md "Daemon"): the stream
 * messages of the stateful node, in the order the module sent them, through a StreamDelivery;
 * its buffers mapped from the control device as a context's job buffers are. Each message gives
 * the answers it made (in order), which the service thread sends with the stream ioctls: it is
 * the one writer, as it is for COMPLETE. A format's answer (STREAM_FORMAT's `fits`, or a charge
 * refused) comes back as a message of its own ("fits").
 */
import type { Libav } from "../../ffi/libav.ts";
import { EINVAL, EIO, ENOTSUP } from "../../ffi/libc.ts";
import { type Codec, codecByWireId } from "../codecs.ts";
import type { PictureOut, StreamSink } from "../stream/delivery.ts";
import { StreamDelivery, V4L2_BUF_FLAG } from "../stream/delivery.ts";
import { StreamError } from "../stream/error.ts";
import type { StreamFormat } from "../stream/session.ts";
import { CHROMA_FORMATS } from "../decoder/picture-writer.ts";
import { BufferMappings } from "./context-jobs.ts";
import {
  codecName,
  DAEDALUS_STREAM_REASON_SIZE,
  PICTURE_FLAG,
  type StreamDataDone,
  type StreamErrorArg,
  type StreamFormatArg,
  type StreamMessage,
  type StreamPicture,
} from "./protocol.ts";

/** The service thread's answer to a format the stream told: it fits, or the stream fails. */
export interface StreamFits {
  /** Always "fits". */
  kind: "fits";
  /** The context. */
  ctxId: number;
  /** The epoch of the format it answers (an older one's answer is dropped). */
  epoch: number;
  /** STREAM_FORMAT's `fits`. */
  fits: boolean;
  /** The format cannot be taken (decoder memory, the kernel's refusal): the stream fails. */
  refused?: { errno: number; reason: string };
}

/** What a decode thread is given for a context's stream. */
export type StreamInput = StreamMessage | StreamFits;

/** One answer to send, in order: the ioctl and its argument. */
export type StreamAnswer =
  | { kind: "data_done"; arg: StreamDataDone }
  | { kind: "picture"; arg: StreamPicture }
  /** `format`: what the service thread charges the context's decoder memory for. */
  | { kind: "format"; arg: StreamFormatArg; format: StreamFormat; codec: string }
  | { kind: "error"; arg: StreamErrorArg };

/** A context's stream: its delivery (made at its first STREAM_START) and its buffer mappings. */
export class ContextStream {
  readonly #mappings: BufferMappings;
  #delivery: StreamDelivery | undefined;
  #codec: Codec | undefined;
  #epoch = 0;
  #answers: StreamAnswer[] = [];

  /**
   * The stream of context `ctxId`, decoded with `av`.
   * @param fd a descriptor of the control device (or its double) to map its buffers from
   */
  constructor(private readonly av: Libav, fd: number, readonly ctxId: number) {
    this.#mappings = new BufferMappings(fd);
  }

  /** Handles one message; returns the answers it made, in order. Never throws. */
  handle(m: StreamInput, threads: number): StreamAnswer[] {
    this.#answers = [];
    try {
      this.#handle(m, threads);
    } catch (e) {
      const errno = e instanceof StreamError ? e.errno : EIO;
      if (this.#delivery) this.#delivery.refuse(errno, (e as Error).message);
      else this.#error(errno, (e as Error).message);
    } finally {
      this.#mappings.endJob();
    }
    return this.#answers;
  }

  /** Frees the session and unmaps the stream's buffers. */
  close(): void {
    this.#delivery?.close();
    this.#delivery = undefined;
    this.#mappings.close();
  }

  #handle(m: StreamInput, threads: number): void {
    if (m.kind === "start") return this.#start(m, threads);
    // What belongs to an older epoch (or to no stream) is the kernel's no more.
    const d = this.#delivery;
    if (!d || m.epoch !== this.#epoch) return;
    switch (m.kind) {
      case "fits":
        if (m.refused) d.refuse(m.refused.errno, m.refused.reason);
        else d.formatAnswered(m.fits);
        return;
      case "data": {
        const { data } = m;
        if (data.bytesused > data.length) {
          this.#answers.push({
            kind: "data_done",
            arg: { cookie: m.cookie, status: -EINVAL },
          });
          return;
        }
        const slot = `out${m.index}`;
        return d.data({
          cookie: m.cookie,
          timestamp: m.timestamp,
          flags: m.flags,
          bytes: () => this.#mappings.map(slot, data, false).bytes.subarray(0, data.bytesused),
        });
      }
      case "capture":
        return d.capture({
          cookie: m.cookie,
          format: {
            width: m.width,
            height: m.height,
            pixelformat: m.pixelformat,
            planes: m.planes.map((p) => ({ bytesperline: p.bytesperline, length: p.length })),
          },
          memory: () => ({
            planes: m.planes.map((p, i) => ({
              ptr: this.#mappings.map(`cap${m.index}.${i}`, p, true).ptr,
              length: p.length,
            })),
          }),
        });
      case "drain":
        return d.drain();
      case "capture_reset":
        return d.captureReset();
      case "stop":
        return d.stop();
      case "resume":
        return d.resume();
    }
  }

  #start(m: Extract<StreamMessage, { kind: "start" }>, threads: number): void {
    this.#epoch = m.epoch;
    const codec = codecByWireId(m.codec);
    if (this.#delivery && codec === this.#codec && !this.#delivery.failed) {
      this.#delivery.restart();
      return;
    }
    this.#delivery?.close();
    this.#delivery = undefined;
    if (!codec?.stream) {
      const name = codecName(m.codec) ?? `codec#${m.codec}`;
      throw new StreamError(ENOTSUP, `${name}: no stream decoder in this daemon`);
    }
    this.#codec = codec;
    this.#delivery = new StreamDelivery(this.av, codec, this.#sink(codec), { threads });
  }

  #sink(codec: Codec): StreamSink {
    return {
      dataDone: (cookie, status) =>
        this.#answers.push({ kind: "data_done", arg: { cookie, status } }),
      // The service thread charges the decoder memory when it gets the format (it keeps the
      // budget of all contexts).
      charge: () => undefined,
      format: (format) => {
        this.#answers.push({
          kind: "format",
          arg: formatArg(this.ctxId, this.#epoch, format),
          format,
          codec: codec.name,
        });
        return undefined; // answered by a "fits" message
      },
      picture: (cookie, out) =>
        this.#answers.push({ kind: "picture", arg: this.#picture(cookie, out) }),
      error: (errno, reason) => this.#error(errno, reason),
    };
  }

  #picture(cookie: number, out: PictureOut): StreamPicture {
    const f = out.frameFlags;
    const flags = (out.last ? PICTURE_FLAG.last : 0) |
      (f & V4L2_BUF_FLAG.keyframe ? PICTURE_FLAG.keyframe : 0) |
      (f & V4L2_BUF_FLAG.pframe ? PICTURE_FLAG.pframe : 0) |
      (f & V4L2_BUF_FLAG.bframe ? PICTURE_FLAG.bframe : 0);
    // A failed picture carries no planes: the kernel returns its buffer flagged ERROR, empty.
    const planes = out.status === 0 ? out.bytesused : [];
    return {
      cookie,
      epoch: this.#epoch,
      status: out.status,
      flags,
      timestamp: out.timestamp,
      num_planes: planes.length,
      bytesused: planes,
    };
  }

  #error(errno: number, reason: string): void {
    // The reason's bytes fit the struct's field with its NUL.
    let text = reason;
    while (new TextEncoder().encode(text).length >= DAEDALUS_STREAM_REASON_SIZE) {
      text = text.slice(0, -1);
    }
    this.#answers.push({
      kind: "error",
      arg: { ctx_id: this.ctxId, epoch: this.#epoch, error: -errno, reason: text },
    });
  }
}

/** STREAM_FORMAT's argument for `format` (the session writes only formats it has a picture for). */
function formatArg(ctxId: number, epoch: number, format: StreamFormat): StreamFormatArg {
  const picture = format.picture!;
  return {
    ctx_id: ctxId,
    epoch,
    width: format.coded.width,
    height: format.coded.height,
    visible_left: format.visible.left,
    visible_top: format.visible.top,
    visible_width: format.visible.width,
    visible_height: format.visible.height,
    bit_depth: picture.bitDepth,
    // the uAPI's numbering is CHROMA_FORMATS' order: 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4
    chroma_format: CHROMA_FORMATS.indexOf(picture.chroma),
    min_buffers: format.minBuffers,
    colorspace: 0,
    xfer_func: 0,
    ycbcr_enc: 0,
    quantization: 0,
    fits: 0,
  };
}
