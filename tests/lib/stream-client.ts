/**
 * A stateful V4L2 client double for a stream delivery (src/stream/delivery.ts), as the sink the
 * service's kernel side would be: its CAPTURE buffers, the answers it got in order, each picture's
 * MD5 of its visible rectangle.
 */
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import type { Codec } from "../../src/codecs.ts";
import { captureFormatFor, pictureMd5 } from "../../src/decoder/file-decoder.ts";
import type { CaptureFormat } from "../../src/decoder/job.ts";
import { type PictureOut, StreamDelivery, type StreamSink } from "../../src/stream/delivery.ts";
import type { StreamFormat } from "../../src/stream/session.ts";

/** One answer the client got, in order. */
export type Answer =
  | { kind: "done"; cookie: number; status: number }
  | { kind: "format"; format: StreamFormat }
  | { kind: "picture"; out: PictureOut; md5?: string }
  | { kind: "error"; errno: number; reason: string };

/**
 * A stateful client: `buffers` CAPTURE buffers of the stream's size, set up at a format that
 * does not fit them (as a compliant client does at a source change), each queued again once
 * its picture is taken; data handed in chunk by chunk.
 */
export class Client implements StreamSink {
  /** What it got, in order. */
  readonly answers: Answer[] = [];
  /** The delivery it feeds (set by deliver()). */
  delivery!: StreamDelivery;
  #format: CaptureFormat | undefined;
  #told: StreamFormat | undefined;
  #buffers = new Map<number, Uint8Array>();
  #cookie = 0;
  /** Buffers to queue once the delivery's call returns (a sink must not call it back). */
  #toQueue = 0;
  /** Whether the client queues CAPTURE buffers at all (false: it is paused). */
  queueing = true;
  /** The CAPTURE buffers the delivery held at each format that did not fit a setup. */
  readonly heldAtChange: number[] = [];
  /** Why the next charge is refused, if it is. */
  charges: (format: StreamFormat) => string | undefined = () => undefined;

  /** A client that sets up `buffers` CAPTURE buffers at each format. */
  constructor(readonly buffers: number) {}

  /** STREAM_DATA_DONE. */
  dataDone(cookie: number, status: number): void {
    this.answers.push({ kind: "done", cookie, status });
  }

  /** The decoder-memory charge: `charges`' answer. */
  charge(format: StreamFormat): string | undefined {
    return this.charges(format);
  }

  /** STREAM_FORMAT: fits when its setup holds the size and minBuffers, else set up again. */
  format(format: StreamFormat): boolean {
    this.answers.push({ kind: "format", format });
    this.#told = format;
    const f = this.#format;
    const fits = f !== undefined && f.width === format.coded.width &&
      f.height === format.coded.height && this.buffers >= format.minBuffers;
    if (!fits) {
      if (f) this.heldAtChange.push(this.delivery.captures);
      // Its CAPTURE setup again: the buffers the delivery held are gone, new ones follow.
      // tight rows, but 64-byte ones where a tight row cannot hold an odd width's last CbCr pair
      this.#format = captureFormatFor(
        format.coded.width,
        format.coded.height,
        "nv12",
        format.coded.width % 2 === 1 ? 64 : 1,
        format.picture?.bitDepth,
      );
      this.#buffers.clear();
      this.#toQueue = this.buffers;
    }
    return fits;
  }

  /** STREAM_PICTURE into buffer `cookie`: recorded with its visible rectangle's MD5. */
  picture(cookie: number, out: PictureOut): void {
    const bytes = this.#buffers.get(cookie);
    assert.ok(bytes, `picture in buffer ${cookie}, which the client queued`);
    this.#buffers.delete(cookie);
    const v = this.#told!.visible;
    const crop = {
      left: v.left,
      top: v.top,
      right: this.#told!.coded.width - v.left - v.width,
      bottom: this.#told!.coded.height - v.top - v.height,
    };
    const written = out.status === 0 && out.bytesused.length > 0;
    const md5 = written ? pictureMd5(bytes, this.#format!, crop) : undefined;
    this.answers.push({ kind: "picture", out, md5 });
    this.#toQueue++;
  }

  /** STREAM_ERROR. */
  error(errno: number, reason: string): void {
    this.answers.push({ kind: "error", errno, reason });
  }

  /** The kernel took back the CAPTURE buffers the delivery held (a stop): the client's again. */
  reclaim(): void {
    this.#toQueue += this.#buffers.size;
    this.#buffers.clear();
  }

  /** Queues the CAPTURE buffers it has free, until the delivery wants no more. */
  settle(): void {
    while (this.queueing && this.#toQueue > 0 && this.#format) {
      this.#toQueue--;
      const format = this.#format;
      const bytes = new Uint8Array(format.planes[0].length);
      const cookie = ++this.#cookie;
      this.#buffers.set(cookie, bytes);
      this.delivery.capture({
        cookie,
        format,
        memory: () => ({ planes: [{ ptr: Deno.UnsafePointer.of(bytes)!, length: bytes.length }] }),
      });
    }
  }

  /** The pictures it got, in order. */
  pictures(): Extract<Answer, { kind: "picture" }>[] {
    return this.answers.filter((a) => a.kind === "picture");
  }
}

/** A delivery of `codec` answering `client`. */
export function deliver(client: Client, codec: Codec, threads: number): StreamDelivery {
  client.delivery = new StreamDelivery(libav(), codec, client, { threads });
  return client.delivery;
}

let dataCookie = 1000;

/**
 * Hands `chunk` in as STREAM_DATA (timestamp `ts`, V4L2 buffer `flags`), then lets the client
 * queue its buffers.
 */
export function data(client: Client, chunk: Uint8Array, ts: bigint, flags = 0): number {
  const cookie = ++dataCookie;
  client.delivery.data({ cookie, timestamp: ts, flags, bytes: () => chunk });
  client.settle();
  return cookie;
}
