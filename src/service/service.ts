/**
 * The service loop: connects to the control device, takes jobs, decodes them, completes them.
 *
 * Every job is completed, with a negative errno when anything about it is wrong; nothing a job
 * carries can stop the loop. When the device goes away (module unloaded or reloaded) the
 * context threads are ended and the loop waits for it to come back. SIGTERM/SIGINT end it
 * cleanly: jobs in flight are completed first.
 */
import { getLogger } from "@logtape/logtape";
import type { Libav } from "../../ffi/libav.ts";
import { EBUSY, EINVAL, EIO, ENOENT, ENOMEM, ENOTSUP, EPROTO, SysError } from "../../ffi/libc.ts";
import { codecByWireId, CODECS, DAEMON_CODECS, DAEMON_STREAM_CODECS } from "../codecs.ts";
import type { JobResult } from "../decoder/job.ts";
import { VouchedPictures } from "../decoder/vouched.ts";
import { ControlDevice, DEFAULT_DEVICE, moduleParameter } from "./control-device.ts";
import { ContextThread, type Queued, type StreamOutcome } from "./context-thread.ts";
import type { StreamAnswer, StreamInput } from "./context-stream.ts";
import {
  decoderBytes,
  DecoderMemory,
  DEFAULT_DECODER_PICTURES,
  defaultDecoderBudget,
  pictureBytes,
  streamDecoderBytes,
} from "./decoder-memory.ts";
import { prefetchLibraries } from "./self-test.ts";
import {
  abiVersion,
  CODEC,
  codecBit,
  codecName,
  type Complete,
  DAEDALUS_ABI_MAJOR,
  DAEDALUS_ABI_MINOR,
  DAEDALUS_JOB_HOLD_CAPTURE,
  MSG_DECODE,
  parseMessage,
  streamCodecsFor,
  type StreamDataDone,
  type StreamErrorArg,
  type StreamFormatArg,
  type StreamMessage,
  type StreamPicture,
  type WireCodecName,
  type WireJob,
} from "./protocol.ts";

const log = getLogger(["daedalusd", "service"]);
const jobLog = getLogger(["daedalusd", "job"]);

/** How DaedalusService runs; every field is optional. */
export interface ServiceOptions {
  /** The control device's path (DEFAULT_DEVICE). */
  device?: string;
  /** Seconds between summary lines at info level (0: none). */
  summaryInterval?: number;
  /** Poll timeout: how quickly a stop request or a vanished device is noticed. */
  pollMs?: number;
  /**
   * Put each picture's FNV-1a hash into its -v line. Off by default: the hash reads the whole
   * picture, which costs about as much as the copy into CAPTURE memory (on the context's own
   * thread, after COMPLETE).
   */
  hashPictures?: boolean;
  /**
   * The thread budget: threads all contexts' decoders may use inside pictures together. Each
   * context gets an equal share when its decoder is made (DecoderOptions.threads), at least 1.
   */
  threads?: number;
  /** The module context threads run (context-worker.ts; the daemon passes its own entry). */
  workerEntry?: string | URL;
  /**
   * How long a job may run on its thread, in ms, before it fails and its thread is retired. By
   * default three quarters of the module's watchdog (its job_timeout_ms, read at each
   * connection; 2000 when it cannot be read).
   */
  jobDeadlineMs?: number;
  /**
   * Retired decode threads that may be stuck at once (their OS threads not ended: still inside
   * the call their job was in) before the daemon ends itself (run() returns EXIT_RESTART, and
   * systemd starts it again): 4 by default. A retired thread that came back does not count.
   */
  maxRetiredThreads?: number;
  /**
   * A test hook (DAEDALUSD_TEST_FREEZE=<codec>[:<jobs>]): the first `jobs` jobs (or STREAM_DATA
   * messages) of `codec` block their decode thread inside a libc call for `ms` (for good by
   * default), as a decoder slow or stuck in a library would.
   */
  testFreeze?: { codec: WireCodecName; jobs: number; ms?: number };
  /**
   * The budget of all contexts' decoder state, in bytes (decoder-memory.ts): by default a
   * quarter of RAM, at most half of the unit's MemoryMax.
   */
  decoderMemory?: number;
}

const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(0);
/** The charge of an 8-bit 3840x2160 H.264 context, for the log. */
const FOUR_K_H264 = DEFAULT_DECODER_PICTURES * pictureBytes(3840, 2160, 1);

/** The exit code of a daemon that ended itself to start afresh (EX_TEMPFAIL). */
export const EXIT_RESTART = 75;

/** The module's watchdog when its parameter cannot be read (its default). */
const DEFAULT_WATCHDOG_MS = 2000;

/** The daemon's deadline for a job: three quarters of the module's watchdog, at least 100 ms. */
export function jobDeadlineFor(watchdogMs: number): number {
  return Math.max(100, Math.floor(watchdogMs * 3 / 4));
}

interface Counters {
  jobs: number;
  ok: number;
  held: number;
  failed: number;
}

/**
 * Contexts decode on a pool of decode threads (context-thread.ts), one per CPU of the thread
 * budget, started and warmed up once: the service thread polls the control device, fetches
 * messages and hands each context's jobs to its thread, which decodes them in order; the service
 * thread completes each job as its result comes back. A context goes to the thread with the
 * fewest contexts at its first job, so up to one context per thread never waits for another's
 * pictures; a decoder that fails fails only its own job.
 */
export class DaedalusService {
  /** The decode threads (started at the first use, replaced when one dies). */
  #pool: ContextThread[] = [];
  /**
   * Threads that died or were retired during this connection: their descriptors are closed
   * when it ends. Closing one sooner would not end it (since the module's f72d5d7), but a
   * retired thread may still run and use its descriptor's number, which a file opened meanwhile
   * would get (ContextThread#die).
   */
  #departed: ContextThread[] = [];
  /** Each context's thread, from its first job to its CTX_CLOSE. */
  readonly #threads = new Map<number, ContextThread>();
  /** The port the threads are attached to. */
  #attached: JobPort | undefined;
  /** Per context, the pictures the daemon vouches for (src/decoder/vouched.ts). */
  readonly #vouched = new Map<number, VouchedPictures>();
  /** Jobs whose result has not been completed yet. */
  readonly #inFlight = new Set<Promise<void>>();
  readonly #dumpDir = Deno.env.get("DAEDALUSD_DUMP_JOBS");
  readonly #counters: Counters = { jobs: 0, ok: 0, held: 0, failed: 0 };
  /** A job's deadline on its thread (ms). */
  #deadlineMs: number;
  /** Threads retired for a job past its deadline (terminated, or abandoned in a library call). */
  #retired = 0;
  /** Retired threads that were still stuck when last looked at. */
  #stuck: ContextThread[] = [];
  /** Jobs the test hook still freezes. */
  #freezes: number;
  #exitCode = 0;
  readonly #decoderMemory: DecoderMemory;
  #stopping = false;
  #wake: (() => void) | undefined;
  /** Per context with a stream: its epoch now and its session's frame threads (fixed at START). */
  readonly #streams = new Map<
    number,
    { epoch: number; threads: number; failed: boolean; codec: number }
  >();
  /** The last key given to a stream message (counting down: never a job's cookie). */
  #streamKey = 0;

  /** A service decoding with `av` (libavcodec's bindings); run() starts it. */
  constructor(private readonly av: Libav, private readonly opts: ServiceOptions = {}) {
    this.#deadlineMs = opts.jobDeadlineMs ?? jobDeadlineFor(DEFAULT_WATCHDOG_MS);
    this.#freezes = opts.testFreeze?.jobs ?? 0;
    this.#decoderMemory = new DecoderMemory(opts.decoderMemory ?? defaultDecoderBudget());
  }

  /** Asks run() to return: wakes a pending sleep; the serving loop sees it at its next poll. */
  stop(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  /** Runs until stop(); returns the process exit code. */
  async run(): Promise<number> {
    try {
      return await this.#run();
    } finally {
      await this.shutdown();
    }
  }

  async #run(): Promise<number> {
    const path = this.opts.device ?? DEFAULT_DEVICE;
    const t0 = performance.now();
    prefetchLibraries(this.av);
    const failures = await this.warmUp();
    if (failures.length > 0) {
      log.fatal(`decoder self-test failed: ${failures[0]}`);
      return 1;
    }
    log.info(
      `self-test: ${this.#pool.length} decode threads decoded a known picture and stream of each codec in ${
        (performance.now() - t0).toFixed(0)
      } ms`,
    );
    log.info(
      `decoder memory budget: ${mib(this.#decoderMemory.budget)} MiB ` +
        `(an 8-bit 4K H.264 context: ${mib(FOUR_K_H264)} MiB)`,
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
          await this.closeContexts();
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
    return this.#exitCode;
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
    if (this.opts.jobDeadlineMs === undefined) {
      const watchdog = moduleParameter("job_timeout_ms") ?? DEFAULT_WATCHDOG_MS;
      this.#deadlineMs = jobDeadlineFor(watchdog);
      log.info(`job deadline ${this.#deadlineMs} ms (the module's watchdog: ${watchdog} ms)`);
    }
    try {
      const hello = dev.hello(
        abiVersion(DAEDALUS_ABI_MAJOR, DAEDALUS_ABI_MINOR),
        DAEMON_CODECS,
        streamCodecsFor(version, DAEMON_STREAM_CODECS),
      );
      const codecs = Object.entries(CODEC).filter(([, c]) => hello.kernelCodecs & codecBit(c))
        .map(([n]) => n);
      log.info(
        `connected to ${dev.path}: module ${hello.driverVersion}, ABI ` +
          `${hello.kernelAbiVersion >>> 16}.${hello.kernelAbiVersion & 0xffff}, ` +
          `module codecs [${codecs.join(" ")}], daemon codecs [${
            CODECS.filter((c) => c.stateless).map((c) => c.name).join(" ")
          }], stream codecs [${
            Object.entries(CODEC).filter(([, c]) => hello.kernelStreamCodecs & codecBit(c))
              .map(([n]) => n).join(" ")
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

  /**
   * Handles one fetched message; a DECODE is always completed, once its context's thread has
   * decoded it (settle() waits for that).
   */
  handleMessage(port: JobPort, bytes: Uint8Array): void {
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
          this.#completeFailed(port, v.getUint32(12, true), -EINVAL);
        }
      }
      return;
    }
    switch (m.type) {
      case "ctx_open":
        // Nothing to do yet: many contexts (format probes) never send a job.
        log.debug(`CTX_OPEN ctx=${m.ctxId}`);
        return;
      case "ctx_close":
        log.debug(`CTX_CLOSE ctx=${m.ctxId}`);
        this.#threads.get(m.ctxId)?.closeContext(m.ctxId);
        this.#threads.delete(m.ctxId);
        this.#decoderMemory.release(m.ctxId);
        this.#vouched.delete(m.ctxId);
        this.#streams.delete(m.ctxId);
        return;
      case "unknown":
        log.warn(`ignoring message type ${m.msgType} (ctx=${m.ctxId})`);
        return;
      case "decode":
        this.#dispatch(port, m.job);
        return;
      case "stream":
        this.#streamDispatch(port, m.msg);
    }
  }

  /**
   * Starts the decode threads (or replaces retired ones) and resolves when each has warmed up:
   * what failed, nothing when all passed their self-test.
   */
  async warmUp(): Promise<string[]> {
    const results = await Promise.all(this.#startPool().map((t) => t.ready));
    return results.filter((e) => e !== undefined);
  }

  /** Resolves when every job handed to a context thread so far has been completed. */
  async settle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /**
   * Ends the connection's part of every decode thread once its jobs are completed: every
   * context's decoder and mappings freed, the threads' descriptors closed. The threads stay,
   * warm, for the next connection.
   */
  async closeContexts(): Promise<void> {
    this.#threads.clear();
    this.#streams.clear();
    this.#decoderMemory.clear();
    this.#vouched.clear();
    this.#attached = undefined;
    const threads = [...this.#pool, ...this.#departed];
    this.#departed = [];
    await Promise.all(threads.map((t) => t.detach()));
    await this.settle();
  }

  /** closeContexts(), then ends the decode threads. */
  async shutdown(): Promise<void> {
    await this.closeContexts();
    for (const t of this.#pool) t.terminate();
    this.#pool = [];
  }

  /** The decode threads, started (and dead or retired ones replaced) if needed. */
  #startPool(): ContextThread[] {
    const size = Math.max(1, this.opts.threads ?? 1);
    this.#departed.push(...this.#pool.filter((t) => !t.alive));
    this.#pool = this.#pool.filter((t) => t.alive);
    while (this.#pool.length < size) {
      const thread: ContextThread = new ContextThread({
        entry: this.opts.workerEntry ?? new URL("./context-worker.ts", import.meta.url),
        init: {
          logLevel: jobLog.isEnabledFor("debug") ? "debug" : "info",
          avLogLevel: this.av.avutil.av_log_get_level(),
          jobs: { hashPictures: this.opts.hashPictures, dumpDir: this.#dumpDir },
        },
        deadlineMs: () => this.#deadlineMs,
        onRetired: (queued) => this.#retire(thread, queued),
      });
      if (this.#attached) thread.attach(this.#attached.fd);
      this.#pool.push(thread);
    }
    return this.#pool;
  }

  /**
   * A thread was retired for a job past its deadline: a replacement starts at once (warming up
   * on its self-test as the pool's threads did), its contexts get other threads at their next
   * job (with a new decoder: their pictures fail until a key frame), and the jobs that were
   * queued behind the stuck one go to those threads now. Past maxRetiredThreads the daemon
   * ends itself to start afresh when more retired threads than maxRetiredThreads are stuck at
   * once: each may hold its memory (and a core, if it spins inside a library). A retired thread
   * whose call came back has ended (terminate()) and holds nothing: a slow picture now and then
   * never adds up to a restart.
   */
  #retire(thread: ContextThread, queued: Queued[]): void {
    this.#retired++;
    const stuck = this.stuckThreads + 1;
    this.#stuck.push(thread);
    const bound = this.opts.maxRetiredThreads ?? 4;
    if (stuck > bound) {
      log.error(
        `${stuck} retired decode threads still stuck (bound ${bound}): restarting the daemon`,
      );
      this.#exitCode = EXIT_RESTART;
      this.stop();
    }
    const before = new Set(this.#pool);
    for (const t of this.#startPool()) {
      if (before.has(t)) continue;
      t.ready.then((error) => {
        if (error === undefined) return;
        log.fatal(`replacement decode thread failed its self-test: ${error}`);
        this.#exitCode = 1;
        this.stop();
      });
    }
    const port = this.#attached;
    for (const q of queued) {
      if (!("job" in q)) {
        // Its session was the retired thread's: the stream fails (one STREAM_ERROR).
        q.resolve({ failed: { errno: EIO, message: "its decode thread was retired" } });
        continue;
      }
      if (!port) {
        q.resolve({ status: -EINVAL, held: false, bytesused: [], message: "no connection" });
        continue;
      }
      this.#threadFor(port, q.job.ctxId).submit(q.job, q.threads).then(q.resolve);
    }
  }

  /**
   * The context's thread: at its first job (or when its thread was retired or died), the
   * warmed-up thread with the fewest contexts (one still warming up only when none is warm).
   */
  #threadFor(port: JobPort, ctxId: number): ContextThread {
    if (this.#attached !== port) {
      if (this.#attached) throw new Error("the decode threads serve another device");
      this.#attached = port;
      for (const t of this.#startPool()) if (!t.attached) t.attach(port.fd);
    }
    let thread = this.#threads.get(ctxId);
    if (thread?.alive) return thread;
    const load = (t: ContextThread) => (t.warm ? 0 : 1 << 20) + t.contexts.size;
    thread = this.#startPool().reduce((a, b) => (load(b) < load(a) ? b : a));
    this.#threads.set(ctxId, thread);
    return thread;
  }

  /** A context's share of the thread budget, counting the contexts open now. */
  #threadShare(): number {
    const budget = this.opts.threads ?? 1;
    return Math.max(1, Math.floor(budget / Math.max(1, this.#threads.size)));
  }

  #dispatch(port: JobPort, w: WireJob): void {
    this.#counters.jobs++;
    // The line is built only when it is written: this runs for every job.
    if (jobLog.isEnabledFor("debug")) {
      const name = codecName(w.codec) ?? `codec#${w.codec}`;
      const hold = (w.flags & DAEDALUS_JOB_HOLD_CAPTURE) !== 0;
      jobLog.debug(
        `REQ_DECODE cookie=${w.cookie} codec=${name} bitstream=${w.output.bytesused} bytes ` +
          `capture=${w.width}x${w.height} ${w.capture.length} planes ctx=${w.ctxId}` +
          (hold ? " hold" : ""),
      );
    }
    const codec = codecByWireId(w.codec);
    const refused = codec && this.#decoderMemory.charge(w.ctxId, decoderBytes(codec, w));
    if (refused) {
      const message = `a ${w.width}x${w.height} ${codec.name} context: ${refused}`;
      this.#complete(port, w, { status: -ENOMEM, held: false, bytesused: [], message });
      return;
    }
    const thread = this.#threadFor(port, w.ctxId);
    const freeze = this.#freezes > 0 && codecName(w.codec) === this.opts.testFreeze?.codec;
    if (freeze) {
      this.#freezes--;
      log.warn(`test hook: job ${w.cookie} (ctx ${w.ctxId}) freezes ${thread.name}`);
    }
    const freezeMs = freeze ? this.opts.testFreeze?.ms ?? Infinity : 0;
    const done = thread.submit(w, this.#threadShare(), freezeMs)
      .then((result) => this.#complete(port, w, result));
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done));
  }

  /**
   * A stream message (docs/stateful.md "Daemon"): to its context's thread, in order, where its
   * session lives from its STREAM_START; its answers come back and are sent here, in order.
   */
  #streamDispatch(port: JobPort, msg: StreamMessage): void {
    if (msg.kind === "start") {
      const known = this.#streams.get(msg.ctxId);
      // Its frame threads: the context's share at its first START, fixed for the session.
      const threads = known?.threads ?? this.#threadShare();
      this.#streams.set(msg.ctxId, { epoch: msg.epoch, threads, failed: false, codec: msg.codec });
    }
    this.#streamSubmit(port, msg.ctxId, msg);
  }

  #streamSubmit(port: JobPort, ctxId: number, input: StreamInput): void {
    const stream = this.#streams.get(ctxId);
    // Before any START (or after a CTX_CLOSE) there is no stream to take it: the kernel sends
    // none then.
    if (!stream) {
      log.debug(`stream message ${input.kind} for ctx ${ctxId}, which started no stream`);
      return;
    }
    const thread = this.#threadFor(port, ctxId);
    const freeze = input.kind === "data" && this.#freezes > 0 &&
      codecName(stream.codec) === this.opts.testFreeze?.codec;
    if (freeze) {
      this.#freezes--;
      log.warn(`test hook: stream data ${input.cookie} (ctx ${ctxId}) freezes ${thread.name}`);
    }
    const freezeMs = freeze ? this.opts.testFreeze?.ms ?? Infinity : 0;
    const done = thread.submitStream(--this.#streamKey, ctxId, input, stream.threads, freezeMs)
      .then((outcome) => this.#streamAnswered(port, ctxId, outcome));
    this.#inFlight.add(done);
    done.finally(() => this.#inFlight.delete(done));
  }

  #streamAnswered(port: JobPort, ctxId: number, outcome: StreamOutcome): void {
    const stream = this.#streams.get(ctxId);
    if (!stream) return; // closed meanwhile: the kernel dropped its stream
    if ("failed" in outcome) {
      if (stream.failed) return;
      stream.failed = true;
      const { errno, message } = outcome.failed;
      this.#streamSend(port, ctxId, {
        kind: "error",
        arg: { ctx_id: ctxId, epoch: stream.epoch, error: -errno, reason: message.slice(0, 63) },
      });
      return;
    }
    for (const a of outcome.answers) this.#streamSend(port, ctxId, a);
  }

  /** Sends one answer; a format is charged first, and its answer goes back to the session. */
  #streamSend(port: JobPort, ctxId: number, a: StreamAnswer): void {
    const call = <T>(what: string, send: () => T): T | undefined => {
      try {
        return send();
      } catch (e) {
        // ENOENT: an older epoch's or a buffer the kernel took back: nothing changed.
        const level = e instanceof SysError && e.errno === ENOENT ? "debug" : "warn";
        log[level](`ctx ${ctxId}: ${what} refused: ${(e as Error).message}`);
        return undefined;
      }
    };
    switch (a.kind) {
      case "data_done":
        call("STREAM_DATA_DONE", () => port.streamDataDone(a.arg));
        return;
      case "picture":
        call("STREAM_PICTURE", () => port.streamPicture(a.arg));
        return;
      case "error": {
        const s = this.#streams.get(ctxId);
        if (s) s.failed = true;
        jobLog.warn(`stream ctx=${ctxId} failed: ${a.arg.reason} (${a.arg.error})`);
        call("STREAM_ERROR", () => port.streamError(a.arg));
        return;
      }
      case "format": {
        const stream = this.#streams.get(ctxId)!;
        const codec = CODECS.find((c) => c.name === a.codec)!;
        const epoch = a.arg.epoch;
        const bytes = streamDecoderBytes(codec, a.format, stream.threads);
        const refused = this.#decoderMemory.charge(ctxId, bytes);
        const { width, height } = a.format.coded;
        if (refused) {
          const reason = `a ${width}x${height} ${codec.name} stream: over the memory budget`;
          log.warn(`ctx ${ctxId}: ${reason}: ${refused}`);
          this.#streamSubmit(port, ctxId, {
            kind: "fits",
            ctxId,
            epoch,
            fits: false,
            refused: { errno: ENOMEM, reason },
          });
          return;
        }
        let failure: string | undefined;
        const fits = call("STREAM_FORMAT", () => {
          try {
            return port.streamFormat(a.arg);
          } catch (e) {
            if (!(e instanceof SysError && e.errno === ENOENT)) failure = (e as Error).message;
            throw e;
          }
        });
        if (fits === undefined && !failure) return; // an older epoch: its session moved on
        this.#streamSubmit(port, ctxId, {
          kind: "fits",
          ctxId,
          epoch,
          fits: fits ?? false,
          refused: failure === undefined ? undefined : {
            errno: ENOTSUP,
            reason: `the module refused a ${width}x${height} format`,
          },
        });
      }
    }
  }

  #complete(port: JobPort, w: WireJob, decoded: JobResult): void {
    let vouched = this.#vouched.get(w.ctxId);
    if (!vouched) this.#vouched.set(w.ctxId, vouched = new VouchedPictures());
    const hold = (w.flags & DAEDALUS_JOB_HOLD_CAPTURE) !== 0;
    const result = vouched.judge(w.timestamp, hold, decoded);
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
      port.complete({
        cookie: w.cookie,
        status: result.status,
        numPlanes: w.capture.length,
        bytesused: result.status === 0 && !result.held ? result.bytesused : w.capture.map(() => 0),
      });
    } catch (e) {
      // The client got V4L2_BUF_FLAG_ERROR (or nothing) for it: nothing may refer to it.
      vouched.refused(w.timestamp, hold);
      if (e instanceof SysError && e.errno === ENOENT) {
        log.warn(`job ${w.cookie} was already finished by the kernel (watchdog or CTX_CLOSE)`);
      } else {
        log.warn(`could not complete job ${w.cookie}: ${(e as Error).message}`);
      }
    }
  }

  #completeFailed(port: JobPort, cookie: number, status: number): void {
    try {
      port.complete({ cookie, status, numPlanes: 0, bytesused: [] });
    } catch (e) {
      log.warn(`could not fail job ${cookie}: ${(e as Error).message}`);
    }
  }

  #summary(): void {
    const c = this.#counters;
    log.info(
      `summary: ${c.jobs} jobs, ${c.ok} pictures, ${c.held} held slices, ${c.failed} failed, ` +
        `${this.#threads.size} contexts, ${this.#retired} decode threads retired ` +
        `(${this.stuckThreads} still stuck), decoder ` +
        `memory ${mib(this.#decoderMemory.used)} of ${mib(this.#decoderMemory.budget)} MiB`,
    );
  }

  /** Contexts assigned to a decode thread now. */
  get contexts(): number {
    return this.#threads.size;
  }

  /** The name of the thread a context decodes on now, if it has one. */
  threadOf(ctxId: number): string | undefined {
    return this.#threads.get(ctxId)?.name;
  }

  /** The thread a context decodes on now, if it has one. */
  contextThread(ctxId: number): ContextThread | undefined {
    return this.#threads.get(ctxId);
  }

  /** Bytes of decoder state charged to the contexts now, and the budget. */
  get decoderMemory(): { used: number; budget: number } {
    return { used: this.#decoderMemory.used, budget: this.#decoderMemory.budget };
  }

  /** Decode threads retired so far for a job past its deadline. */
  get retiredThreads(): number {
    return this.#retired;
  }

  /** Retired decode threads still stuck now (their OS threads not ended). */
  get stuckThreads(): number {
    this.#stuck = this.#stuck.filter((t) => t.stuck);
    return this.#stuck.length;
  }

  /** What run() returns: EXIT_RESTART once more retired threads were stuck than the bound allows. */
  get exitCode(): number {
    return this.#exitCode;
  }

  /** Jobs handled since the service started: all, decoded, held, failed. */
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

/**
 * What handleMessage needs of the device: a descriptor the context threads map job and stream
 * buffers from, COMPLETE and the stream ioctls (a test double implements them with a memfd).
 * Each throws a SysError the kernel's way (ENOENT: a job, buffer or epoch it no longer has).
 */
export interface JobPort {
  /** The descriptor job buffers are mapped from. */
  readonly fd: number;
  /** Sends a job's COMPLETE. */
  complete(c: Complete): void;
  /** DAEDALUS_IOC_STREAM_DATA_DONE: an OUTPUT buffer's bytes are taken. */
  streamDataDone(a: StreamDataDone): void;
  /** DAEDALUS_IOC_STREAM_PICTURE: a CAPTURE buffer's picture (or an empty LAST). */
  streamPicture(a: StreamPicture): void;
  /** DAEDALUS_IOC_STREAM_FORMAT: the stream's format; returns whether the CAPTURE setup fits. */
  streamFormat(a: StreamFormatArg): boolean;
  /** DAEDALUS_IOC_STREAM_ERROR: the stream cannot go on. */
  streamError(a: StreamErrorArg): void;
}
