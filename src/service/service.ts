/**
 * The service loop: connects to the control device, takes jobs, decodes them, completes them.
 *
 * Every job is completed, with a negative errno when anything about it is wrong; nothing a job
 * carries can stop the loop. When the device goes away (module unloaded or reloaded) the
 * decoders are freed and the loop waits for it to come back. SIGTERM/SIGINT end it cleanly.
 */
import { getLogger } from "@logtape/logtape";
import type { Libav } from "../../ffi/libav.ts";
import { EBUSY, EINVAL, EIO, ENOENT, ENOTSUP, EPROTO, SysError } from "../../ffi/libc.ts";
import { type Codec, codecByWireId, CODECS, DAEMON_CODECS } from "../codecs.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import {
  type CaptureMemory,
  type DecodeJob,
  type JobResult,
  pixelFormatName,
} from "../decoder/job.ts";
import { captureLayout } from "../decoder/picture-writer.ts";
import { ControlDevice, DEFAULT_DEVICE, type Mapping } from "./control-device.ts";
import { selfTest } from "./self-test.ts";
import {
  abiVersion,
  CODEC,
  codecBit,
  codecName,
  DAEDALUS_ABI_MAJOR,
  DAEDALUS_ABI_MINOR,
  DAEDALUS_JOB_HOLD_CAPTURE,
  MSG_DECODE,
  parseMessage,
  ProtocolError,
  type WireJob,
} from "./protocol.ts";

const log = getLogger(["daedalusd", "service"]);
const jobLog = getLogger(["daedalusd", "job"]);

export interface ServiceOptions {
  device?: string;
  /** Seconds between summary lines at info level (0: none). */
  summaryInterval?: number;
  /** Poll timeout: how quickly a stop request or a vanished device is noticed. */
  pollMs?: number;
  /**
   * Put each picture's FNV-1a hash into its -v line. Off by default: the hash reads the whole
   * picture on the service's thread, which costs about as much as the copy into CAPTURE memory.
   */
  hashPictures?: boolean;
  /** Threads one context's decoder may use inside a picture (DecoderOptions.threads). */
  threads?: number;
}

interface Counters {
  jobs: number;
  ok: number;
  held: number;
  failed: number;
}

export class DaedalusService {
  /** Each context's decoder and the codec it decodes (a context may switch codec). */
  readonly #decoders = new Map<number, { codec: Codec; decoder: ContextDecoder }>();
  /**
   * DAEDALUSD_DUMP_JOBS=<dir>: every job's controls and bitstream written there as it arrives
   * (<ctx>-<cookie>.json), to see exactly what a client sent. A debugging aid: it costs a write
   * per job.
   */
  readonly #dumpDir = Deno.env.get("DAEDALUSD_DUMP_JOBS");

  #dump(ctxId: number, cookie: number, job: DecodeJob): void {
    const b64 = (u: Uint8Array) => btoa(Array.from(u, (c) => String.fromCharCode(c)).join(""));
    const record = {
      codec: job.codec,
      timestamp: String(job.timestamp),
      captureIndex: job.captureIndex,
      format: job.format,
      ctrls: Object.fromEntries([...job.ctrls].map(([id, p]) => [id, b64(p)])),
      bitstream: b64(job.bitstream),
    };
    Deno.mkdirSync(this.#dumpDir!, { recursive: true });
    Deno.writeTextFileSync(`${this.#dumpDir}/${ctxId}-${cookie}.json`, JSON.stringify(record));
  }
  readonly #counters: Counters = { jobs: 0, ok: 0, held: 0, failed: 0 };
  #stopping = false;
  #wake: (() => void) | undefined;

  constructor(private readonly av: Libav, private readonly opts: ServiceOptions = {}) {}

  stop(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  /** Runs until stop(); returns the process exit code. */
  async run(): Promise<number> {
    const path = this.opts.device ?? DEFAULT_DEVICE;
    const t0 = performance.now();
    try {
      selfTest(this.av);
    } catch (e) {
      log.fatal(`decoder self-test failed: ${(e as Error).message}`);
      return 1;
    }
    log.info(
      `self-test: decoded a known picture of each codec in ${
        (performance.now() - t0).toFixed(0)
      } ms`,
    );
    let waitingLogged = false;
    const summary = (this.opts.summaryInterval ?? 60) > 0
      ? setInterval(() => this.#summary(), (this.opts.summaryInterval ?? 60) * 1000)
      : undefined;
    try {
      while (!this.#stopping) {
        let dev: ControlDevice;
        try {
          dev = ControlDevice.open(path);
        } catch (e) {
          if (!waitingLogged) {
            log.info(`waiting for ${path} (${(e as Error).message}): is daedalus_v4l2 loaded?`);
            waitingLogged = true;
          }
          await this.#sleep(1000);
          continue;
        }
        waitingLogged = false;
        try {
          if (!this.#handshake(dev)) {
            await this.#sleep(5000);
            continue;
          }
          await this.#serve(dev);
        } catch (e) {
          log.warn(`connection lost: ${(e as Error).message}`);
        } finally {
          this.#closeAll();
          dev.close();
        }
        if (!this.#stopping) {
          log.info(`disconnected from ${path}; waiting for it to come back`);
          await this.#sleep(1000);
        }
      }
    } finally {
      if (summary !== undefined) clearInterval(summary);
      this.#summary();
      log.info("stopped");
    }
    return 0;
  }

  #handshake(dev: ControlDevice): boolean {
    const version = dev.version();
    const major = version >>> 16;
    if (major !== DAEDALUS_ABI_MAJOR) {
      log.error(
        `${dev.path} speaks ABI ${major}.${version & 0xffff}, this daemon ` +
          `${DAEDALUS_ABI_MAJOR}.${DAEDALUS_ABI_MINOR}: install matching versions`,
      );
      return false;
    }
    try {
      const hello = dev.hello(abiVersion(DAEDALUS_ABI_MAJOR, DAEDALUS_ABI_MINOR), DAEMON_CODECS);
      const codecs = Object.entries(CODEC).filter(([, c]) => hello.kernelCodecs & codecBit(c))
        .map(([n]) => n);
      log.info(
        `connected to ${dev.path}: module ${hello.driverVersion}, ABI ` +
          `${hello.kernelAbiVersion >>> 16}.${hello.kernelAbiVersion & 0xffff}, ` +
          `module codecs [${codecs.join(" ")}], daemon codecs [${
            CODECS.map((c) => c.name).join(" ")
          }]`,
      );
      return true;
    } catch (e) {
      if (e instanceof SysError && e.errno === EBUSY) {
        log.error(`another daemon is connected to ${dev.path}; retrying`);
        return false;
      }
      if (e instanceof SysError && e.errno === EPROTO) {
        log.error(`${dev.path} refused ABI ${DAEDALUS_ABI_MAJOR}.${DAEDALUS_ABI_MINOR}`);
        return false;
      }
      throw e;
    }
  }

  async #serve(dev: ControlDevice): Promise<void> {
    const pollMs = this.opts.pollMs ?? 500;
    while (!this.#stopping) {
      const r = await dev.poll(pollMs);
      if (r === "gone") return;
      if (r === "timeout") {
        if (!dev.stillPresent()) return;
        continue;
      }
      for (let msg = dev.fetch(); msg; msg = dev.fetch()) {
        this.handleMessage(dev, msg);
        if (this.#stopping) break;
      }
    }
  }

  /** Handles one fetched message; a DECODE is always completed. */
  handleMessage(dev: JobPort, bytes: Uint8Array): void {
    let m;
    try {
      m = parseMessage(bytes);
    } catch (e) {
      log.error(`malformed message: ${(e as Error).message}`);
      // Complete it if it names a job, so the client does not wait for the watchdog.
      if (bytes.length >= 16) {
        const v = new DataView(bytes.buffer, bytes.byteOffset, 16);
        if (v.getUint32(0, true) === MSG_DECODE) {
          this.#counters.jobs++;
          this.#counters.failed++;
          this.#completeFailed(dev, v.getUint32(12, true), -EINVAL);
        }
      }
      return;
    }
    switch (m.type) {
      case "ctx_open":
        log.debug(`CTX_OPEN ctx=${m.ctxId}`);
        return;
      case "ctx_close":
        log.debug(`CTX_CLOSE ctx=${m.ctxId}`);
        this.#decoders.get(m.ctxId)?.decoder.close();
        this.#decoders.delete(m.ctxId);
        return;
      case "unknown":
        log.warn(`ignoring message type ${m.msgType} (ctx=${m.ctxId})`);
        return;
      case "decode":
        this.#decode(dev, m.job);
    }
  }

  #decode(dev: JobPort, w: WireJob): void {
    this.#counters.jobs++;
    const codec = codecByWireId(w.codec);
    const name = codecName(w.codec) ?? `codec#${w.codec}`;
    const hold = (w.flags & DAEDALUS_JOB_HOLD_CAPTURE) !== 0;
    jobLog.debug(
      `REQ_DECODE cookie=${w.cookie} codec=${name} bitstream=${w.output.bytesused} bytes ` +
        `capture=${w.width}x${w.height} ${w.capture.length} planes` + (hold ? " hold" : ""),
    );
    const t0 = performance.now();
    const maps: Mapping[] = [];
    try {
      const r = this.#decodeAndComplete(dev, w, codec, name, hold, maps);
      // Logged after COMPLETE: the client does not wait for the line (nor for a hash).
      if (r.status === 0 && !r.held && jobLog.isEnabledFor("debug")) {
        const ms = (performance.now() - t0).toFixed(1);
        jobLog.debug(`${this.#describePicture(w, maps.slice(1), r)} ms=${ms}`);
      }
    } finally {
      for (const m of maps) m.unmap();
    }
  }

  #decodeAndComplete(
    dev: JobPort,
    w: WireJob,
    codec: Codec | undefined,
    name: string,
    hold: boolean,
    maps: Mapping[],
  ): JobResult {
    let result: JobResult;
    try {
      result = codec
        ? this.#decodeMapped(dev, w, codec, hold, maps)
        : { status: -ENOTSUP, held: false, bytesused: [], message: `${name} not supported` };
    } catch (e) {
      const errno = e instanceof SysError ? e.errno : e instanceof ProtocolError ? EINVAL : EIO;
      result = { status: -errno, held: false, bytesused: [], message: (e as Error).message };
    }
    if (result.status === 0) {
      if (result.held) this.#counters.held++;
      else this.#counters.ok++;
    } else {
      this.#counters.failed++;
      jobLog.warn(
        `decoder: FAILED cookie=${w.cookie} ctx=${w.ctxId} status=${result.status}: ${result.message}`,
      );
    }
    try {
      dev.complete({
        cookie: w.cookie,
        status: result.status,
        numPlanes: w.capture.length,
        bytesused: result.status === 0 && !result.held ? result.bytesused : w.capture.map(() => 0),
      });
    } catch (e) {
      if (e instanceof SysError && e.errno === ENOENT) {
        log.warn(`job ${w.cookie} was already finished by the kernel (watchdog)`);
      } else {
        throw e;
      }
    }
    return result;
  }

  #decodeMapped(
    dev: JobPort,
    w: WireJob,
    codec: Codec,
    hold: boolean,
    maps: Mapping[],
  ): JobResult {
    if (w.output.bytesused > w.output.length) {
      throw new ProtocolError(`bitstream ${w.output.bytesused} > buffer ${w.output.length}`);
    }
    let entry = this.#decoders.get(w.ctxId);
    if (entry?.codec !== codec) {
      // A new context, or one whose client set another OUTPUT format (S_FMT between streams).
      entry?.decoder.close();
      entry = { codec, decoder: codec.createDecoder(this.av, { threads: this.opts.threads }) };
      this.#decoders.set(w.ctxId, entry);
    }
    const decoder = entry.decoder;
    const out = dev.map(w.output.mmapOffset, w.output.length, false);
    maps.push(out);
    let mem: CaptureMemory | null = null;
    if (!hold) {
      mem = { planes: [] };
      for (const p of w.capture) {
        const m = dev.map(p.mmapOffset, p.length, true);
        maps.push(m);
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
      format: {
        width: w.width,
        height: w.height,
        pixelformat: w.pixelformat,
        planes: w.capture.map((p) => ({ bytesperline: p.bytesperline, length: p.length })),
      },
    };
    if (this.#dumpDir) this.#dump(w.ctxId, w.cookie, job);
    return decoder.decode(job, mem);
  }

  #describePicture(w: WireJob, planes: Mapping[], r: JobResult): string {
    const format = {
      width: w.width,
      height: w.height,
      pixelformat: w.pixelformat,
      planes: w.capture.map((p) => ({ bytesperline: p.bytesperline, length: p.length })),
    };
    const { layout } = captureLayout(format);
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
      `chroma=${chroma}`;
  }

  #completeFailed(dev: JobPort, cookie: number, status: number): void {
    try {
      dev.complete({ cookie, status, numPlanes: 0, bytesused: [] });
    } catch (e) {
      log.warn(`could not fail job ${cookie}: ${(e as Error).message}`);
    }
  }

  #closeAll(): void {
    for (const { decoder } of this.#decoders.values()) decoder.close();
    this.#decoders.clear();
  }

  #summary(): void {
    const c = this.#counters;
    log.info(
      `summary: ${c.jobs} jobs, ${c.ok} pictures, ${c.held} held slices, ${c.failed} failed, ` +
        `${this.#decoders.size} contexts`,
    );
  }

  get contexts(): number {
    return this.#decoders.size;
  }

  get counters(): Readonly<Counters> {
    return this.#counters;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** What handleMessage needs of the device (a test double implements it with plain memory). */
export interface JobPort {
  map(offset: bigint, length: number, writable: boolean): Mapping;
  complete(c: Parameters<ControlDevice["complete"]>[0]): void;
}
