/**
 * A stateful V4L2 client and the kernel's stateful node, played over a MemoryPort for the
 * service (tests/unit/service-stream.test.ts): STREAM_START, OUTPUT buffers in the memfd sent as
 * STREAM_DATA (a buffer is the client's again at its STREAM_DATA_DONE), a CAPTURE setup made at a
 * format that does not fit it (a compliant client's source change), each CAPTURE buffer queued
 * again once its picture is taken, STREAM_DRAIN, STREAM_STOP. What the node would refuse (an old
 * epoch, a buffer it took back) is refused with ENOENT.
 */
import { ENOENT, SysError } from "../../ffi/libc.ts";
import { captureFormatFor, pictureMd5 } from "../../src/decoder/file-decoder.ts";
import type { CaptureFormat } from "../../src/decoder/job.ts";
import * as P from "../../src/service/protocol.ts";
import type { DaedalusService } from "../../src/service/service.ts";
import type { MemoryPort, PortBuffer, StreamPortHandler } from "./memory-port.ts";

/** A picture the client dequeued. */
export interface ClientPicture {
  epoch: number;
  status: number;
  flags: number;
  timestamp: bigint;
  /** Empty LAST buffer (no plane). */
  empty: boolean;
  /** MD5 of its visible rectangle (as ffmpeg's framemd5), when it carries a picture. */
  md5?: string;
}

const fourcc = (s: string) => [...s].reduce((v, c, i) => v | (c.charCodeAt(0) << (8 * i)), 0);

/** One context of the stateful node with its client. */
export class StatefulClient implements StreamPortHandler {
  epoch = 0;
  readonly pictures: ClientPicture[] = [];
  readonly formats: P.StreamFormatArg[] = [];
  readonly errors: P.StreamErrorArg[] = [];
  /** STREAM_DATA sent and answered. */
  sent = 0;
  answered = 0;
  /** Whether the client queues CAPTURE buffers (false: paused, e.g. not reading its output). */
  queueCaptures = true;
  /** The fits of each format, in order. */
  readonly fits: boolean[] = [];
  readonly #outputs: PortBuffer[];
  readonly #freeOutputs: number[];
  #outputWaiters: (() => void)[] = [];
  /** STREAM_DATA in flight: cookie → OUTPUT buffer. */
  readonly #dataInFlight = new Map<number, number>();
  #setup: { format: CaptureFormat; buffers: PortBuffer[]; told: P.StreamFormatArg } | undefined;
  /** CAPTURE buffers the daemon holds: cookie → buffer index. */
  readonly #captureInFlight = new Map<number, number>();
  /** CAPTURE buffers the client holds, to queue. */
  #freeCaptures: number[] = [];
  #lastWaiters: (() => void)[] = [];

  constructor(
    readonly service: DaedalusService,
    readonly port: MemoryPort,
    readonly ctxId: number,
    readonly codec: number,
    readonly opts: { outputs?: number; captures?: number; outputSize?: number } = {},
  ) {
    this.#outputs = Array.from(
      { length: opts.outputs ?? 4 },
      () => port.buffer(opts.outputSize ?? 1 << 20),
    );
    this.#freeOutputs = this.#outputs.map((_, i) => i);
    port.streams = this;
  }

  #send(m: P.StreamMessage): void {
    this.service.handleMessage(this.port, P.encodeStreamMessage(m));
  }

  #hdr() {
    return { ctxId: this.ctxId, cookie: 0, epoch: this.epoch };
  }

  /**
   * STREAMON(OUTPUT): a new epoch; the CAPTURE buffers the node took back at a stop go to the
   * daemon again (its CAPTURE setup stays).
   */
  start(width = 0, height = 0): void {
    this.epoch++;
    this.#send({
      kind: "start",
      ...this.#hdr(),
      codec: this.codec,
      pixelformat: fourcc(P.codecName(this.codec) === "h264" ? "H264" : "VP90"),
      width,
      height,
    });
    this.queueFreeCaptures();
  }

  /**
   * Queues `bytes` in the next free OUTPUT buffer with `timestamp` and V4L2 buffer `flags`,
   * waiting for one (rejects after `limitMs` without one: the daemon stopped taking data for
   * good).
   */
  async data(bytes: Uint8Array, timestamp: bigint, limitMs = 60_000, flags = 0): Promise<void> {
    while (this.#freeOutputs.length === 0) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no OUTPUT buffer back in ${limitMs} ms`)),
          limitMs,
        );
        this.#outputWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const index = this.#freeOutputs.shift()!;
    const out = this.#outputs[index];
    out.bytes.set(bytes);
    const cookie = this.port.nextCookie();
    this.#dataInFlight.set(cookie, index);
    this.sent++;
    this.#send({
      kind: "data",
      ...this.#hdr(),
      cookie,
      index,
      timestamp,
      flags,
      data: {
        mmapOffset: out.offset,
        length: out.length,
        bytesperline: 0,
        bytesused: bytes.length,
        memoryId: out.memoryId,
      },
    });
  }

  /** V4L2_DEC_CMD_STOP; resolves at the buffer flagged LAST (rejects after `limitMs`: none came). */
  drain(limitMs = 60_000): Promise<void> {
    const last = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no buffer flagged LAST")), limitMs);
      this.#lastWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.#send({ kind: "drain", ...this.#hdr() });
    return last;
  }

  /**
   * STREAMOFF(OUTPUT), a seek: every OUTPUT buffer is the client's again, and the node takes back
   * the CAPTURE buffers the daemon held (the daemon forgets them at STREAM_STOP).
   */
  stop(): void {
    this.#send({ kind: "stop", ...this.#hdr() });
    for (const index of this.#dataInFlight.values()) this.#freeOutputs.push(index);
    this.#dataInFlight.clear();
    this.#freeCaptures.push(...this.#captureInFlight.values());
    this.#captureInFlight.clear();
    this.#wakeOutputs();
  }

  /** Queues every CAPTURE buffer the client holds (when it queues at all). */
  queueFreeCaptures(): void {
    if (!this.queueCaptures || !this.#setup) return;
    const { format, buffers } = this.#setup;
    for (const index of this.#freeCaptures.splice(0)) {
      const cookie = this.port.nextCookie();
      this.#captureInFlight.set(cookie, index);
      this.#send({
        kind: "capture",
        ...this.#hdr(),
        cookie,
        index,
        width: format.width,
        height: format.height,
        pixelformat: format.pixelformat,
        num_planes: 1,
        planes: [{
          mmapOffset: buffers[index].offset,
          length: buffers[index].length,
          bytesperline: format.planes[0].bytesperline,
          bytesused: 0,
          memoryId: buffers[index].memoryId,
        }],
      });
    }
  }

  #wakeOutputs(): void {
    for (const w of this.#outputWaiters.splice(0)) w();
  }

  dataDone(a: P.StreamDataDone): void {
    const index = this.#dataInFlight.get(a.cookie);
    if (index === undefined) throw new SysError("DAEDALUS_IOC_STREAM_DATA_DONE", ENOENT);
    this.#dataInFlight.delete(a.cookie);
    this.answered++;
    if (a.status !== 0) throw new Error(`OUTPUT buffer ${index} failed: ${a.status}`);
    this.#freeOutputs.push(index);
    this.#wakeOutputs();
  }

  picture(a: P.StreamPicture): void {
    const index = this.#captureInFlight.get(a.cookie);
    if (a.epoch !== this.epoch || index === undefined) {
      throw new SysError("DAEDALUS_IOC_STREAM_PICTURE", ENOENT);
    }
    this.#captureInFlight.delete(a.cookie);
    const { format, buffers, told } = this.#setup!;
    const empty = a.num_planes === 0;
    const crop = {
      left: told.visible_left,
      top: told.visible_top,
      right: told.width - told.visible_left - told.visible_width,
      bottom: told.height - told.visible_top - told.visible_height,
    };
    this.pictures.push({
      epoch: a.epoch,
      status: a.status,
      flags: a.flags,
      timestamp: a.timestamp,
      empty,
      md5: empty || a.status !== 0 ? undefined : pictureMd5(buffers[index].bytes, format, crop),
    });
    this.#freeCaptures.push(index);
    // Queued again once the ioctl returns, as a client does after DQBUF.
    queueMicrotask(() => this.queueFreeCaptures());
    if (a.flags & P.PICTURE_FLAG.last) { for (const w of this.#lastWaiters.splice(0)) w(); }
  }

  format(a: P.StreamFormatArg): boolean {
    if (a.epoch !== this.epoch || a.ctx_id !== this.ctxId) {
      throw new SysError("DAEDALUS_IOC_STREAM_FORMAT", ENOENT);
    }
    this.formats.push(a);
    const s = this.#setup;
    const fits = s !== undefined && s.told.width === a.width && s.told.height === a.height &&
      s.told.bit_depth === a.bit_depth && s.buffers.length >= a.min_buffers &&
      s.told.visible_width === a.visible_width && s.told.visible_height === a.visible_height;
    this.fits.push(fits);
    if (fits) {
      s!.told = a;
      return true;
    }
    // The node takes back the CAPTURE buffers the daemon held; the client sets CAPTURE up again.
    this.#captureInFlight.clear();
    const count = Math.max(this.opts.captures ?? 3, a.min_buffers);
    const format = captureFormatFor(a.width, a.height, "nv12", 64, a.bit_depth);
    this.#setup = {
      format,
      buffers: Array.from({ length: count }, () => this.port.buffer(format.planes[0].length)),
      told: a,
    };
    this.#freeCaptures = this.#setup.buffers.map((_, i) => i);
    queueMicrotask(() => this.queueFreeCaptures());
    return false;
  }

  error(a: P.StreamErrorArg): void {
    this.errors.push(a);
    for (const w of this.#lastWaiters.splice(0)) w();
  }

  /** The pictures with a picture in them (not the empty LAST), of `epoch` if given. */
  shown(epoch?: number): ClientPicture[] {
    return this.pictures.filter((p) => !p.empty && (epoch === undefined || p.epoch === epoch));
  }
}
