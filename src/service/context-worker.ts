/**
 * A decode thread: a Deno worker with its own libavcodec/dav1d state that decodes the V4L2
 * contexts the service thread assigns to it, each context's jobs in the order the module sent
 * them. It answers each job with its result (the service thread completes the job), then writes
 * the job's -v line, off the job's path. It warms up once (the self-test's pictures) when the
 * daemon starts, and lives as long as the daemon: a context's first job never waits for a thread
 * to start. While connected it holds its own descriptor of the control device (a dup).
 *
 * The daemon starts its workers from its own entry module (main.ts, or the bundle made of it),
 * so that a bundled daemon stays one file; this module starts the worker's loop when it is
 * loaded in a decode thread (and main.ts then does nothing else). Tests start this module.
 */
import type { LogLevel } from "@logtape/logtape";
import { libav } from "../../ffi/libav.ts";
import { libc } from "../../ffi/libc.ts";
import { setAvLogLevel } from "../decoder/av-log.ts";
import type { JobResult } from "../decoder/job.ts";
import { setupLogging } from "../log.ts";
import { ContextJobs, type ContextJobsOptions } from "./context-jobs.ts";
import { ContextStream, type StreamAnswer, type StreamInput } from "./context-stream.ts";
import type { WireJob } from "./protocol.ts";
import { selfTest } from "./self-test.ts";
import { listMappingsIn, type MappingTable } from "./control-device.ts";

/** Workers of this name prefix are decode threads. */
export const CONTEXT_WORKER_NAME = "daedalusd-context";

/** Service thread → decode thread. */
export type ToContext =
  | {
    type: "init";
    logLevel: LogLevel;
    avLogLevel: number;
    jobs: ContextJobsOptions;
    /**
     * Shared with the service thread: [0] the cookie of the job the thread is decoding, 0
     * between jobs (so that a deadline is never taken for a job whose result is on its way);
     * [1] how many jobs it has answered (Atomics.notify()d: a test stalls on it); [3] nonzero
     * while it works outside a job (a job's finish, a context's close), [2] how many times it
     * began such work (so the service thread tells one long stretch from two).
     */
    busy: Int32Array<SharedArrayBuffer>;
    /** Shared with the service thread: the thread's mappings of the control device. */
    mappings: MappingTable;
  }
  /** A connection: the thread's own descriptor of the control device (it closes it). */
  | { type: "attach"; fd: number }
  /**
   * `freezeMs`: the DAEDALUSD_TEST_FREEZE hook, this job blocks the thread inside a library call
   * for that long first (Infinity: for good).
   */
  | { type: "job"; job: WireJob; threads: number; freezeMs?: number }
  /** A context's stream message (its key names it in the answer and in `busy`). */
  | {
    type: "stream";
    key: number;
    ctxId: number;
    input: StreamInput;
    threads: number;
    freezeMs?: number;
  }
  /** CTX_CLOSE: the context's decoder and mappings are freed. */
  | { type: "close"; ctxId: number }
  /** The connection ends: every context freed, the descriptor closed. */
  | { type: "detach" };

/** Decode thread → service thread. */
export type FromContext =
  /**
   * Warmed up; `error`: its self-test failed (the daemon cannot decode). `tid`: its OS thread,
   * which ends when the worker runs JavaScript again after terminate() (threadAlive()).
   */
  | { type: "ready"; error?: string; tid?: number }
  | { type: "done"; cookie: number; result: JobResult }
  | { type: "stream-done"; key: number; answers: StreamAnswer[] }
  | { type: "detached" };

/** True inside a decode thread. */
export function isContextWorker(): boolean {
  const name = (globalThis as { name?: unknown }).name;
  return typeof name === "string" && name.startsWith(CONTEXT_WORKER_NAME);
}

/**
 * The DAEDALUSD_TEST_FREEZE hook: blocks this thread inside a library call (libc's nanosleep) for
 * `ms` (Infinity: for good), as a decoder slow or stuck in libavcodec or dav1d would, where
 * terminate() cannot interrupt it.
 */
function freeze(ms: number): void {
  if (ms === Infinity) {
    const forever = new BigInt64Array([1n << 40n, 0n]); // struct timespec: about 35,000 years
    for (;;) libc().nanosleep(forever, null);
  }
  const ns = BigInt(Math.round(ms * 1e6));
  libc().nanosleep(new BigInt64Array([ns / 1_000_000_000n, ns % 1_000_000_000n]), null);
}

/** The decode thread's message loop. */
function runContextWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToContext>) => void) | null;
    postMessage(m: FromContext): void;
  };
  let options: ContextJobsOptions = {};
  let fd = -1;
  let busy = new Int32Array(new SharedArrayBuffer(16));
  const contexts = new Map<number, ContextJobs>();
  const streams = new Map<number, ContextStream>();
  /** Runs work outside a job marked in `busy` (a thread stuck there is retired too). */
  const outside = (work: () => void) => {
    Atomics.add(busy, 2, 1);
    Atomics.store(busy, 3, 1);
    try {
      work();
    } finally {
      Atomics.store(busy, 3, 0);
    }
  };
  const detach = () => {
    for (const jobs of contexts.values()) outside(() => jobs.close());
    contexts.clear();
    for (const stream of streams.values()) outside(() => stream.close());
    streams.clear();
    if (fd >= 0) libc().close(fd);
    fd = -1;
  };
  scope.onmessage = (e) => {
    const m = e.data;
    switch (m.type) {
      case "init": {
        setupLogging(m.logLevel);
        options = m.jobs;
        busy = m.busy;
        listMappingsIn(m.mappings);
        try {
          const av = libav();
          setAvLogLevel(av, m.avLogLevel);
          // Warms the thread up too (libav's tables, the JIT) before any job arrives.
          selfTest(av);
          scope.postMessage({ type: "ready", tid: libc().gettid() });
        } catch (err) {
          scope.postMessage({ type: "ready", error: (err as Error).message });
        }
        return;
      }
      case "attach":
        detach();
        fd = m.fd;
        return;
      case "job": {
        Atomics.store(busy, 0, m.job.cookie);
        if (m.freezeMs) freeze(m.freezeMs);
        let jobs = contexts.get(m.job.ctxId);
        if (!jobs) {
          jobs = new ContextJobs(libav(), fd, options);
          contexts.set(m.job.ctxId, jobs);
        }
        const outcome = jobs.decode(m.job, m.threads);
        Atomics.store(busy, 0, 0);
        Atomics.add(busy, 1, 1);
        Atomics.notify(busy, 1);
        scope.postMessage({ type: "done", cookie: m.job.cookie, result: outcome.result });
        outside(() => outcome.finish());
        return;
      }
      case "stream": {
        Atomics.store(busy, 0, m.key);
        if (m.freezeMs) freeze(m.freezeMs);
        let stream = streams.get(m.ctxId);
        if (!stream) {
          stream = new ContextStream(libav(), fd, m.ctxId);
          streams.set(m.ctxId, stream);
        }
        const answers = stream.handle(m.input, m.threads);
        Atomics.store(busy, 0, 0);
        Atomics.add(busy, 1, 1);
        Atomics.notify(busy, 1);
        scope.postMessage({ type: "stream-done", key: m.key, answers });
        return;
      }
      case "close":
        outside(() => contexts.get(m.ctxId)?.close());
        contexts.delete(m.ctxId);
        outside(() => streams.get(m.ctxId)?.close());
        streams.delete(m.ctxId);
        return;
      case "detach":
        detach();
        scope.postMessage({ type: "detached" });
    }
  };
}

if (isContextWorker()) runContextWorker();
