/**
 * One V4L2 context's jobs: its decoder, its job buffers mapped from the control device, the
 * picture decoded into CAPTURE memory. Each context runs this on its own thread
 * (context-worker.ts), so nothing here is shared with another context.
 */
import { getLogger } from "@logtape/logtape";
import type { Libav } from "../../ffi/libav.ts";
import { EINVAL, EIO, ENOTSUP, SysError } from "../../ffi/libc.ts";
import { type Codec, codecByWireId, type StatelessCodec } from "../codecs.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import {
  type CaptureFormat,
  type CaptureMemory,
  type DecodeJob,
  type JobResult,
  pixelFormatName,
} from "../decoder/job.ts";
import { captureLayout } from "../decoder/picture-writer.ts";
import { mapFd, type Mapping } from "./control-device.ts";
import {
  codecName,
  DAEDALUS_JOB_HOLD_CAPTURE,
  ProtocolError,
  type WireJob,
  type WirePlane,
} from "./protocol.ts";

const jobLog = getLogger(["daedalusd", "job"]);

/** How a context's jobs are run (the same for every context of a daemon). */
export interface ContextJobsOptions {
  /** Put each picture's FNV-1a hash into its -v line (a pass over the picture). */
  hashPictures?: boolean;
  /**
   * DAEDALUSD_DUMP_JOBS=<dir>: every job's controls and bitstream written there as it arrives
   * (<ctx>-<cookie>.json), to see exactly what a client sent. A debugging aid: a write per job.
   */
  dumpDir?: string;
}

/** A decoded job: its result, then (for the -v line, after COMPLETE) a look at its picture. */
export interface ContextJobOutcome {
  /** The job's result, for its COMPLETE. */
  result: JobResult;
  /** Logs the job's -v line (when debug is on) and releases its mappings. Call once. */
  finish(): void;
}

/**
 * The context's mappings of its buffers, kept from job to job. The module names each buffer's
 * memory (memory_id, ABI 1.2): while a buffer slot's id stays the same its mapping is used
 * again; a new id (the client reallocated or imported other memory) replaces it. Without an id
 * (an older module) a mapping lasts one job. A kept mapping also keeps its memory alive (vb2 and
 * dma-buf count the mapping), so a late write never lands in freed memory; it is unmapped when
 * its slot gets other memory or the context closes.
 */
export class BufferMappings {
  readonly #kept = new Map<string, { memoryId: number; length: number; mapping: Mapping }>();
  /** Mappings made for the current job only. */
  readonly #temporary: Mapping[] = [];
  /** How many mappings were made and how many reused (for the -v line and the tests). */
  made = 0;
  /** Mappings used again. */
  reused = 0;

  /** Mappings of buffers of the control device (or its double) `fd`. */
  constructor(private readonly fd: number) {}

  /** A mapping of plane `p` of the buffer in `slot` ("out0", "cap3.1"). */
  map(slot: string, p: WirePlane, writable: boolean): Mapping {
    const id = p.memoryId;
    const kept = this.#kept.get(slot);
    if (id !== 0 && kept?.memoryId === id && kept.length === p.length) {
      this.reused++;
      return kept.mapping;
    }
    if (kept) {
      kept.mapping.unmap();
      this.#kept.delete(slot);
    }
    const mapping = mapFd(this.fd, p.mmapOffset, p.length, writable);
    this.made++;
    if (id === 0) this.#temporary.push(mapping);
    else this.#kept.set(slot, { memoryId: id, length: p.length, mapping });
    return mapping;
  }

  /** Unmaps the current job's (or stream message's) one-job mappings. */
  endJob(): void {
    for (const m of this.#temporary.splice(0)) m.unmap();
  }

  /** Unmaps every mapping. */
  close(): void {
    this.endJob();
    for (const { mapping } of this.#kept.values()) mapping.unmap();
    this.#kept.clear();
  }
}

/** One context's jobs on its decode thread: its decoder (made at the first job) and its buffer mappings. */
export class ContextJobs {
  #entry: { codec: Codec; decoder: ContextDecoder } | undefined;
  /** A decoder was made since the last result: it holds no picture decoded before. */
  #reset = false;
  readonly #mappings: BufferMappings;

  /**
   * Jobs decoded with `av`.
   * @param fd a descriptor of the control device (or its double) to map job buffers from
   */
  constructor(
    private readonly av: Libav,
    fd: number,
    private readonly opts: ContextJobsOptions = {},
  ) {
    this.#mappings = new BufferMappings(fd);
  }

  /** Mappings made and reused so far. */
  get mappingStats(): { made: number; reused: number } {
    return { made: this.#mappings.made, reused: this.#mappings.reused };
  }

  /**
   * Decodes one job; never throws. `threads` is the context's share of the thread budget, used
   * when its decoder is created.
   */
  decode(w: WireJob, threads: number): ContextJobOutcome {
    const t0 = performance.now();
    const captures: Mapping[] = [];
    const codec = codecByWireId(w.codec);
    const name = codecName(w.codec) ?? `codec#${w.codec}`;
    let result: JobResult;
    try {
      result = codec?.stateless
        ? this.#decodeMapped(w, codec, codec.stateless, threads, captures)
        : { status: -ENOTSUP, held: false, bytesused: [], message: `${name} not supported` };
    } catch (e) {
      const errno = e instanceof SysError ? e.errno : e instanceof ProtocolError ? EINVAL : EIO;
      result = { status: -errno, held: false, bytesused: [], message: (e as Error).message };
    }
    if (this.#reset) {
      result = { ...result, reset: true }; // src/decoder/vouched.ts
      this.#reset = false;
    }
    const finish = () => {
      try {
        if (result.status === 0 && !result.held && jobLog.isEnabledFor("debug")) {
          const ms = (performance.now() - t0).toFixed(1);
          jobLog.debug(`${this.#describePicture(w, captures, result)} ms=${ms}`);
        }
      } finally {
        this.#mappings.endJob();
      }
    };
    return { result, finish };
  }

  /** The codec this context decodes now, if it has decoded anything. */
  get codec(): Codec | undefined {
    return this.#entry?.codec;
  }

  /** Closes the decoder and unmaps the context's buffers. */
  close(): void {
    this.#entry?.decoder.close();
    this.#entry = undefined;
    this.#mappings.close();
  }

  #decodeMapped(
    w: WireJob,
    codec: Codec,
    stateless: StatelessCodec,
    threads: number,
    captures: Mapping[],
  ): JobResult {
    if (w.output.bytesused > w.output.length) {
      throw new ProtocolError(`bitstream ${w.output.bytesused} > buffer ${w.output.length}`);
    }
    if (this.#entry?.codec !== codec) {
      // A new context, or one whose client set another OUTPUT format (S_FMT between streams).
      this.#entry?.decoder.close();
      this.#entry = undefined;
      this.#entry = { codec, decoder: stateless.createDecoder(this.av, { threads }) };
      this.#reset = true;
    }
    const hold = (w.flags & DAEDALUS_JOB_HOLD_CAPTURE) !== 0;
    const out = this.#mappings.map(`out${w.outputIndex}`, w.output, false);
    let mem: CaptureMemory | null = null;
    if (!hold) {
      mem = { planes: [] };
      for (const [i, p] of w.capture.entries()) {
        const m = this.#mappings.map(`cap${w.captureIndex}.${i}`, p, true);
        captures.push(m);
        mem.planes.push({ ptr: m.ptr, length: p.length });
      }
    }
    const job: DecodeJob = {
      codec: codec.name,
      ctrls: w.ctrls,
      bitstream: out.bytes.subarray(0, w.output.bytesused),
      hold,
      captureIndex: w.captureIndex,
      timestamp: w.timestamp,
      format: captureFormat(w),
    };
    if (this.opts.dumpDir) this.#dump(w, job);
    return this.#entry.decoder.decode(job, mem);
  }

  #dump(w: WireJob, job: DecodeJob): void {
    const b64 = (u: Uint8Array) => btoa(Array.from(u, (c) => String.fromCharCode(c)).join(""));
    const record = {
      codec: job.codec,
      timestamp: String(job.timestamp),
      captureIndex: job.captureIndex,
      format: job.format,
      ctrls: Object.fromEntries([...job.ctrls].map(([id, p]) => [id, b64(p)])),
      bitstream: b64(job.bitstream),
    };
    Deno.mkdirSync(this.opts.dumpDir!, { recursive: true });
    Deno.writeTextFileSync(
      `${this.opts.dumpDir}/${w.ctxId}-${w.cookie}.json`,
      JSON.stringify(record),
    );
  }

  #describePicture(w: WireJob, planes: Mapping[], r: JobResult): string {
    const { layout } = captureLayout(captureFormat(w));
    const luma = layout[0].stride * layout[0].rows;
    let chroma = 0;
    let h = 0x811c9dc5;
    layout.forEach((p, i) => {
      const size = p.stride * p.rows;
      if (i > 0) chroma += size;
      if (!this.opts.hashPictures) return;
      const bytes = planes[p.memPlane].bytes.subarray(p.offset, p.offset + size);
      for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k], 0x01000193);
    });
    const hash = this.opts.hashPictures
      ? ` fnv1a=0x${(h >>> 0).toString(16).padStart(8, "0")}`
      : "";
    return `decoder: ${r.message} fmt=${pixelFormatName(w.pixelformat)}${hash} luma=${luma} ` +
      `chroma=${chroma} ctx=${w.ctxId}`;
  }
}

function captureFormat(w: WireJob): CaptureFormat {
  return {
    width: w.width,
    height: w.height,
    pixelformat: w.pixelformat,
    planes: w.capture.map((p) => ({ bytesperline: p.bytesperline, length: p.length })),
  };
}
