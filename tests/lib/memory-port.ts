/**
 * A memory-backed double of the control device for the service: job buffers live in a memfd,
 * which the context threads map at each job's offsets exactly as they map the device, and
 * COMPLETE is recorded. Streams are played through it as a V4L2 client would queue them.
 */
import { cString } from "../../ffi/library.ts";
import { ENOENT, errno, libc, SysError } from "../../ffi/libc.ts";
import { type ClientFrame, type ClientJob, frameTimestamp } from "../../src/decoder/file-client.ts";
import { pictureMd5 } from "../../src/decoder/file-decoder.ts";
import type { CaptureFormat } from "../../src/decoder/job.ts";
import { mapFd, type Mapping } from "../../src/service/control-device.ts";
import * as P from "../../src/service/protocol.ts";
import type { DaedalusService, JobPort } from "../../src/service/service.ts";

const PAGE = 4096;
const MEMFD_NAME = "daedalus-test-port";

/**
 * How many descriptors of `port`'s memfd this process holds: the port's own, and one per decode
 * thread attached to it. Each port's memfd has a name of its own: deno test runs test files in
 * parallel in one process, and their ports' descriptors are not this test's.
 */
export function portDescriptors(port: MemoryPort): number {
  return [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
    try {
      return Deno.readLinkSync(`/proc/self/fd/${e.name}`).includes(port.name);
    } catch {
      return false;
    }
  }).length;
}

/** A buffer in the memfd: where a job names it, and the test's own view of it. */
export interface PortBuffer {
  offset: bigint;
  length: number;
  bytes: Uint8Array;
  /** Its memory's id, as the module names it in jobs (ABI 1.2). */
  memoryId: number;
}

/** Bytes of `port`'s memfd mapped in this process now: the port's own and the decode threads'. */
export function portMappedBytes(port: MemoryPort): number {
  return Deno.readTextFileSync("/proc/self/maps").split("\n")
    .filter((l) => l.includes(port.name))
    .reduce((n, l) => {
      const [start, end] = l.split(" ")[0].split("-").map((x) => parseInt(x, 16));
      return n + end - start;
    }, 0);
}

export class MemoryPort implements JobPort {
  /** Its memfd's name, this port's alone. */
  readonly name = `${MEMFD_NAME}-${crypto.randomUUID()}`;
  readonly fd: number;
  readonly completions: P.Complete[] = [];
  readonly #waiters = new Map<number, (c: P.Complete) => void>();
  readonly #maps: Mapping[] = [];
  #size = 0n;
  #cookie = 0;
  #memoryId = 0;

  constructor() {
    this.fd = libc().memfd_create(cString(this.name), 0);
    if (this.fd < 0) throw new SysError("memfd_create", errno());
  }

  /** A new buffer of `length` bytes (page-aligned in the memfd). */
  buffer(length: number): PortBuffer {
    const offset = this.#size;
    const size = BigInt(Math.ceil(length / PAGE) * PAGE);
    this.#size += size;
    if (libc().ftruncate(this.fd, this.#size) < 0) throw new SysError("ftruncate", errno());
    const m = mapFd(this.fd, offset, Number(size), true);
    this.#maps.push(m);
    return { offset, length, bytes: m.bytes.subarray(0, length), memoryId: ++this.#memoryId };
  }

  /** Bytes of its buffers (each page-aligned), all of which it maps itself. */
  get size(): number {
    return Number(this.#size);
  }

  nextCookie(): number {
    return ++this.#cookie;
  }

  /** Cookies whose COMPLETE is refused with ENOENT, as the module's watchdog makes it. */
  readonly refuse = new Set<number>();

  complete(c: P.Complete): void {
    P.encodeComplete(c); // what the kernel would validate
    this.completions.push(c);
    if (this.refuse.has(c.cookie)) {
      this.#waiters.get(c.cookie)?.(c);
      this.#waiters.delete(c.cookie);
      throw new SysError("DAEDALUS_IOC_COMPLETE", ENOENT);
    }
    this.#waiters.get(c.cookie)?.(c);
    this.#waiters.delete(c.cookie);
  }

  /** The COMPLETE of `cookie`, when it comes (rejects after `limitMs`: a lost job). */
  completion(cookie: number, limitMs = 60_000): Promise<P.Complete> {
    const done = this.completions.find((c) => c.cookie === cookie);
    if (done) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(cookie);
        reject(new Error(`job ${cookie} was never completed`));
      }, limitMs);
      this.#waiters.set(cookie, (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  /** The stream answers the service sent (checked as the kernel checks them), in order. */
  readonly streamAnswers: StreamPortAnswer[] = [];
  /**
   * Who takes the stream answers, as the kernel's stateful node would (a test's client): it
   * says whether a format fits, and throws a SysError (ENOENT) for what it has no more.
   */
  streams: StreamPortHandler | undefined;

  streamDataDone(a: P.StreamDataDone): void {
    P.encodeStreamArg("streamDataDone", a);
    this.streamAnswers.push({ kind: "data_done", arg: a });
    this.streams?.dataDone(a);
  }

  streamPicture(a: P.StreamPicture): void {
    P.encodeStreamArg("streamPicture", a);
    this.streamAnswers.push({ kind: "picture", arg: a });
    this.streams?.picture(a);
  }

  streamFormat(a: P.StreamFormatArg): boolean {
    P.encodeStreamArg("streamFormat", a);
    this.streamAnswers.push({ kind: "format", arg: a });
    return this.streams?.format(a) ?? true;
  }

  streamError(a: P.StreamErrorArg): void {
    P.encodeStreamArg("streamError", a);
    this.streamAnswers.push({ kind: "error", arg: a });
    this.streams?.error(a);
  }

  close(): void {
    for (const m of this.#maps) m.unmap();
    libc().close(this.fd);
  }
}

/** A stream answer as the double recorded it. */
export type StreamPortAnswer =
  | { kind: "data_done"; arg: P.StreamDataDone }
  | { kind: "picture"; arg: P.StreamPicture }
  | { kind: "format"; arg: P.StreamFormatArg }
  | { kind: "error"; arg: P.StreamErrorArg };

/** What takes a MemoryPort's stream answers (the kernel's part; tests/lib/stream-port.ts). */
export interface StreamPortHandler {
  /** STREAM_DATA_DONE. */
  dataDone(a: P.StreamDataDone): void;
  /** STREAM_PICTURE. */
  picture(a: P.StreamPicture): void;
  /** STREAM_FORMAT: whether the CAPTURE setup fits. */
  format(a: P.StreamFormatArg): boolean;
  /** STREAM_ERROR. */
  error(a: P.StreamErrorArg): void;
}

/** A context's buffers in the port: one OUTPUT buffer, `captures` CAPTURE buffers. */
export class StreamClient {
  readonly output: PortBuffer;
  /** Per CAPTURE buffer, its planes (each its own mmap offset, as the module gives them). */
  readonly capture: PortBuffer[][];

  constructor(
    readonly port: MemoryPort,
    readonly ctxId: number,
    readonly codec: number,
    readonly format: CaptureFormat,
    captures = 4,
    outputSize = 1 << 20,
  ) {
    this.output = port.buffer(outputSize);
    this.capture = Array.from(
      { length: captures },
      () => format.planes.map((p) => port.buffer(p.length)),
    );
  }

  /**
   * The message of one job of the stream's frame `frame` (its bitstream copied in): CAPTURE
   * buffer frame % buffers, the timestamp the file clients' references name it by.
   */
  jobMessage(job: ClientJob, frame: number, cookie = this.port.nextCookie()): Uint8Array {
    this.output.bytes.set(job.bitstream);
    const index = frame % this.capture.length;
    return P.encodeJobMessage({
      ctxId: this.ctxId,
      cookie,
      codec: this.codec,
      flags: job.hold ? P.DAEDALUS_JOB_HOLD_CAPTURE : 0,
      timestamp: frameTimestamp(frame),
      outputIndex: 0,
      captureIndex: index,
      outputFlags: 0,
      width: this.format.width,
      height: this.format.height,
      pixelformat: this.format.pixelformat,
      output: {
        mmapOffset: this.output.offset,
        length: this.output.length,
        bytesperline: 0,
        bytesused: job.bitstream.length,
        memoryId: this.output.memoryId,
      },
      capture: this.format.planes.map((p, i) => ({
        mmapOffset: this.capture[index][i].offset,
        length: p.length,
        bytesperline: p.bytesperline,
        bytesused: 0,
        memoryId: this.capture[index][i].memoryId,
      })),
      ctrls: job.ctrls,
    });
  }

  /**
   * Sends one job and waits for its COMPLETE, as a client waits for its request (the module
   * sends a context's next job only after the previous one completed).
   */
  async decode(service: DaedalusService, job: ClientJob, frame: number): Promise<P.Complete> {
    const cookie = this.port.nextCookie();
    service.handleMessage(this.port, this.jobMessage(job, frame, cookie));
    return await this.port.completion(cookie);
  }
}

/** What playing a stream through the service gave: display-order MD5s, failed frame indexes. */
export interface Played {
  md5s: string[];
  failed: number[];
  /** Per job: milliseconds from its message to its COMPLETE. */
  latencies: number[];
}

/**
 * Plays `frames` (one fixed size) through `service` on `client`'s context, one job at a time as
 * the module sends them, and hashes each displayed picture's display window as ffmpeg's
 * framemd5 does.
 */
export async function playStream(
  service: DaedalusService,
  client: StreamClient,
  frames: readonly ClientFrame[],
  hash = true,
): Promise<Played> {
  const shown: { period: number; poc: number; md5: string }[] = [];
  const md5ByIndex = new Map<number, string>();
  const failed: number[] = [];
  const latencies: number[] = [];
  const buffers = client.capture.length;
  for (const [index, frame] of frames.entries()) {
    if (frame.repeatOf !== undefined) {
      const md5 = md5ByIndex.get(frame.repeatOf);
      if (md5) shown.push({ period: frame.period, poc: frame.poc, md5 });
      continue;
    }
    let ok = true;
    for (const job of frame.jobs) {
      const t0 = performance.now();
      const c = await client.decode(service, job, index);
      latencies.push(performance.now() - t0);
      if (c.status !== 0) ok = false;
    }
    if (!ok) {
      failed.push(index);
      continue;
    }
    if (!hash) continue;
    const md5 = pictureMd5(client.capture[index % buffers][0].bytes, client.format, frame.crop);
    md5ByIndex.set(index, md5);
    if (!frame.hidden) shown.push({ period: frame.period, poc: frame.poc, md5 });
  }
  shown.sort((a, b) => a.period - b.period || a.poc - b.poc);
  return { md5s: shown.map((s) => s.md5), failed, latencies };
}
