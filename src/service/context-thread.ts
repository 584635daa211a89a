/**
 * The service thread's handle on one decode thread (context-worker.ts): contexts are assigned to
 * it, their jobs go in, results come back as promises, in order. A thread that dies fails its
 * pending jobs with -EIO, and only those: the service replaces it, and its contexts get a thread
 * again at their next job. A job that runs past the deadline fails with -ETIMEDOUT and retires
 * the thread (terminated, or abandoned where it is stuck inside a library call): the jobs queued
 * behind it go back to the service, which gives them other threads.
 */
import { getLogger } from "@logtape/logtape";
import { EIO, errno, ETIMEDOUT, libc, readSmallFile, SysError } from "../../ffi/libc.ts";
import type { JobResult } from "../decoder/job.ts";
import { CONTEXT_WORKER_NAME, type FromContext, type ToContext } from "./context-worker.ts";
import { newMappingTable, releaseMappings } from "./control-device.ts";
import type { StreamAnswer, StreamInput } from "./context-stream.ts";
import type { WireJob } from "./protocol.ts";

const log = getLogger(["daedalusd", "service"]);

/** How a decode thread is started. */
export interface ContextThreadStart {
  /** The module the worker runs: the daemon's entry (main.ts or its bundle). */
  entry: string | URL;
  /** The worker's "init" message, but for what the thread adds itself (busy cookie, mappings). */
  init: Omit<Extract<ToContext, { type: "init" }>, "type" | "busy" | "mappings">;
  /**
   * How long a job may run, in ms, from when the thread could start it (its predecessor's
   * result back, the thread warmed up): read at each job, so a new connection's value applies.
   */
  deadlineMs(): number;
  /**
   * A job ran past the deadline: it has failed, the thread is retired (it takes no more jobs),
   * and `queued` are the jobs (and stream messages) that were waiting behind it, not started,
   * for other threads.
   */
  onRetired(queued: Queued[]): void;
}

/** A job handed to a thread and not answered yet. */
export interface QueuedJob {
  /** The job as fetched from the module. */
  job: WireJob;
  /** The context's share of the thread budget, used when its decoder is made. */
  threads: number;
  /** Called with the job's result. */
  resolve: (r: JobResult) => void;
}

/** What a stream message gave: its answers, or why it could not be handled (its stream fails). */
export type StreamOutcome =
  | { answers: StreamAnswer[] }
  | { failed: { errno: number; message: string } };

/** A stream message handed to a thread and not answered yet. */
export interface QueuedStream {
  /** What names it while it is pending (negative: never a job's cookie). */
  key: number;
  /** Its context. */
  ctxId: number;
  /** The message. */
  input: StreamInput;
  /** The context's share of the thread budget: its session's frame threads. */
  threads: number;
  /** Called with its outcome. */
  resolve: (o: StreamOutcome) => void;
}

/** A job or a stream message handed to a thread. */
export type Queued = QueuedJob | QueuedStream;

/** The key a queued item is pending under: a job's cookie or a stream message's key. */
const keyOf = (q: Queued) => "job" in q ? q.job.cookie : q.key;

let threadCount = 0;

/** One decode thread (a worker running context-worker.ts) and the jobs handed to it. */
export class ContextThread {
  readonly #worker: Worker;
  /**
   * Jobs and stream messages not answered yet, in the order the thread takes them: the first
   * one is running.
   */
  readonly #pending = new Map<number, Queued>();
  readonly #ready: Promise<string | undefined>;
  readonly #start: ContextThreadStart;
  #detached: (() => void) | undefined;
  #dead = false;
  #warm = false;
  /**
   * What the thread is doing (it writes it; ToContext's "init"): the cookie of the job it is
   * decoding, jobs answered, stretches of work outside jobs, and whether it is in one.
   */
  readonly #busy = new Int32Array(new SharedArrayBuffer(16));
  /** The stretch outside a job the thread was in at the last deadline, if it was in one. */
  #outsideSeen: number | undefined;
  /** Its mappings of the control device (it lists them). */
  readonly #mappings = newMappingTable();
  #retired = false;
  /** The running job's deadline. */
  #deadline: ReturnType<typeof setTimeout> | undefined;
  /** Its OS thread and that thread's name (from its "ready"), to tell when it has ended. */
  #os: { tid: number; comm: string | undefined } | undefined;
  /** The thread's descriptor of the control device while attached (it closes it itself). */
  #fd = -1;
  /** The contexts assigned to this thread. */
  readonly contexts = new Set<number>();
  /** The worker's name: CONTEXT_WORKER_NAME and a number counted per process. */
  readonly name = `${CONTEXT_WORKER_NAME}-${++threadCount}`;

  /** Starts the worker and sends it "init"; `ready` tells when it has warmed up. */
  constructor(start: ContextThreadStart) {
    this.#start = start;
    this.#worker = new Worker(start.entry, { type: "module", name: this.name });
    let ready!: (error: string | undefined) => void;
    this.#ready = new Promise((r) => ready = r);
    this.#worker.onmessage = (e: MessageEvent<FromContext>) => {
      const m = e.data;
      // A retired thread's late answers (it came back after all) are not wanted any more.
      if (this.#dead) return;
      if (m.type === "ready") {
        this.#warm = m.error === undefined;
        if (m.tid !== undefined) this.#os = { tid: m.tid, comm: taskComm(m.tid) };
        ready(m.error);
        this.#armDeadline();
      } else if (m.type === "done" || m.type === "stream-done") {
        const key = m.type === "done" ? m.cookie : m.key;
        const pending = this.#pending.get(key);
        this.#pending.delete(key);
        this.#outsideSeen = undefined;
        this.#armDeadline();
        if (pending && "job" in pending && m.type === "done") pending.resolve(m.result);
        else if (pending && !("job" in pending) && m.type === "stream-done") {
          pending.resolve({ answers: m.answers });
        }
      } else if (m.type === "detached") {
        this.#fd = -1; // the thread closed it
        this.#detached?.();
      }
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      log.error(`${this.name} died: ${e.message}`);
      this.#die(`decode thread died: ${e.message}`);
      ready(`died: ${e.message}`);
    };
    this.#post({ type: "init", ...start.init, busy: this.#busy, mappings: this.#mappings });
  }

  /** Resolves when the thread has warmed up: undefined, or what failed. */
  get ready(): Promise<string | undefined> {
    return this.#ready;
  }

  /** Neither died nor ended (retired or terminated). */
  get alive(): boolean {
    return !this.#dead;
  }

  /** Warmed up (its self-test passed) and alive: it starts a job at once. */
  get warm(): boolean {
    return this.#warm && !this.#dead;
  }

  /**
   * Blocks the calling thread until this thread has answered `jobs` jobs in all (for a test
   * that stalls the service thread until a job's result is on its way).
   */
  waitAnswered(jobs: number): void {
    for (let n = Atomics.load(this.#busy, 1); n < jobs; n = Atomics.load(this.#busy, 1)) {
      Atomics.wait(this.#busy, 1, n);
    }
  }

  /** Retired for a job past its deadline. */
  get retired(): boolean {
    return this.#retired;
  }

  /**
   * Retired and still stuck: its OS thread has not ended. A terminated worker's thread ends
   * when it would run JavaScript again (a slow library call that came back, a loop in
   * JavaScript): from then on it holds nothing. One whose thread is unknown (a test double's)
   * counts as stuck.
   */
  get stuck(): boolean {
    if (!this.#retired) return false;
    if (!this.#os) return true;
    const comm = taskComm(this.#os.tid);
    return comm !== undefined && comm === this.#os.comm;
  }

  /** Holds a descriptor of the control device (attach() until detach() or its end). */
  get attached(): boolean {
    return this.#fd >= 0;
  }

  /** Gives the thread its own descriptor (a dup of `fd`) for a connection's jobs. */
  attach(fd: number): void {
    const own = libc().dup(fd);
    if (own < 0) throw new SysError("dup", errno());
    this.#fd = own;
    this.#post({ type: "attach", fd: own });
  }

  /**
   * Decodes `job` on this thread; resolves with its result (never rejects). `freezeMs`: the test
   * hook (DAEDALUSD_TEST_FREEZE), the job blocks its thread that long first (Infinity: for good).
   */
  submit(job: WireJob, threads: number, freezeMs = 0): Promise<JobResult> {
    if (this.#dead) return Promise.resolve(died("decode thread is gone"));
    this.contexts.add(job.ctxId);
    return new Promise((resolve) => {
      this.#pending.set(job.cookie, { job, threads, resolve });
      this.#post({ type: "job", job, threads, freezeMs });
      if (this.#pending.size === 1) this.#armDeadline();
    });
  }

  /**
   * Hands a context's stream message to this thread (after the jobs and messages before it);
   * resolves with its answers, or why it failed (never rejects). `key`: a negative number that
   * names it while it is pending. `freezeMs`: the test hook, as for submit().
   */
  submitStream(
    key: number,
    ctxId: number,
    input: StreamInput,
    threads: number,
    freezeMs = 0,
  ): Promise<StreamOutcome> {
    if (this.#dead) {
      return Promise.resolve({ failed: { errno: EIO, message: "decode thread is gone" } });
    }
    this.contexts.add(ctxId);
    return new Promise((resolve) => {
      this.#pending.set(key, { key, ctxId, input, threads, resolve });
      this.#post({ type: "stream", key, ctxId, input, threads, freezeMs });
      if (this.#pending.size === 1) this.#armDeadline();
    });
  }

  /** CTX_CLOSE: the context's decoder and mappings are freed after its pending job. */
  closeContext(ctxId: number): void {
    this.contexts.delete(ctxId);
    if (!this.#dead) this.#post({ type: "close", ctxId });
  }

  /**
   * Ends the connection's part of the thread once its pending jobs are done: every context
   * freed, its descriptor closed. A thread still busy after `timeoutMs` (a decoder that never
   * returns) is abandoned: its jobs are failed and it is terminated. A thread that died or was
   * retired has its descriptor closed for it now.
   */
  detach(timeoutMs = 10_000): Promise<void> {
    this.contexts.clear();
    if (this.#dead) this.#closeDescriptor();
    if (this.#dead || this.#fd < 0) return Promise.resolve();
    const detached = new Promise<void>((r) => this.#detached = r);
    this.#post({ type: "detach" });
    const timer = setTimeout(() => {
      log.warn(`${this.name} did not finish its jobs in time; abandoning it`);
      this.#die("decode thread abandoned");
      this.#closeDescriptor();
    }, timeoutMs);
    return detached.finally(() => clearTimeout(timer));
  }

  /** Ends the thread (after detach()). */
  terminate(): void {
    this.#die("decode thread ended");
    this.#closeDescriptor();
  }

  #post(m: ToContext): void {
    this.#worker.postMessage(m);
  }

  /**
   * The first pending job runs from now (the thread is warm and its predecessor answered): it
   * gets the deadline from now. Before the thread is warm nothing runs (its self-test does).
   */
  #armDeadline(): void {
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    if (this.#dead || !this.#warm || this.#pending.size === 0) return;
    const ms = this.#start.deadlineMs();
    this.#deadline = setTimeout(() => this.#overran(ms), ms);
  }

  /**
   * The running job is past its deadline: it fails, and the thread is retired. Unless the
   * thread is not in that job any more (this thread was late, after a stall of the whole
   * process: its result is on its way), when the deadline starts again. A thread that has not
   * started the job because it is stuck outside one (a context's close, a job's finish: the
   * same stretch of such work at two deadlines in a row) is retired too, and every pending job
   * goes to other threads, none failed.
   */
  #overran(ms: number): void {
    const [running, ...queued] = this.#pending.values();
    if (Atomics.load(this.#busy, 0) !== (keyOf(running) | 0)) {
      const stretch = Atomics.load(this.#busy, 3) !== 0 ? Atomics.load(this.#busy, 2) : undefined;
      if (stretch === undefined || stretch !== this.#outsideSeen) {
        this.#outsideSeen = stretch;
        this.#armDeadline();
        return;
      }
      this.#pending.clear();
      log.error(
        `${this.name}: stuck outside a job for over ${ms} ms: the thread is retired ` +
          `(${queued.length + 1} pending jobs go to other threads)`,
      );
      this.#retired = true;
      this.#die("decode thread retired");
      this.#start.onRetired([running, ...queued]);
      return;
    }
    this.#pending.clear();
    const what = "job" in running
      ? `job ${running.job.cookie} (ctx ${running.job.ctxId})`
      : `stream message ${running.input.kind} (ctx ${running.ctxId})`;
    log.error(
      `${this.name}: ${what} still running after ${ms} ms: it fails, ` +
        `and the thread is retired (${queued.length} queued jobs go to other threads)`,
    );
    this.#retired = true;
    this.#die("decode thread retired");
    const message = `still running after ${ms} ms`;
    if ("job" in running) {
      running.resolve({ status: -ETIMEDOUT, held: false, bytesused: [], message });
    } else running.resolve({ failed: { errno: ETIMEDOUT, message } });
    this.#start.onRetired(queued);
  }

  /**
   * Ends the thread: its pending jobs fail, the worker is terminated. A worker stuck inside a
   * library call cannot be interrupted (terminate() takes effect when the call returns, if
   * ever): it is abandoned, and runs no JavaScript again. Its buffer mappings are replaced with
   * anonymous memory (control-device.ts's MappingTable). Its descriptor (a dup) stays open until
   * the connection ends (detach()). Closing it now would not disconnect the daemon: the module's
   * flush disconnects only when the closed descriptor was the last one of the connected file in
   * the process that said HELLO (or that process exits), and the service's own remains open. It
   * is kept because the thread may still run (a library call, then JavaScript until terminate()
   * takes effect), and the worker's calls on its descriptor's number (mmap() of job buffers)
   * would, once it is closed, reach whatever file got that number next (a replacement's dup, at
   * once).
   */
  #die(why: string): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#deadline);
    this.#deadline = undefined;
    for (const q of this.#pending.values()) {
      if ("job" in q) q.resolve(died(why));
      else q.resolve({ failed: { errno: EIO, message: why } });
    }
    this.#pending.clear();
    this.#worker.terminate();
    const { released, failed } = releaseMappings(this.#mappings);
    if (released > 0) log.warn(`${this.name}: ${released} buffer mappings released for it`);
    if (failed > 0) log.error(`${this.name}: ${failed} buffer mappings could not be replaced`);
    this.#detached?.();
  }

  /**
   * Closes the descriptor of a thread that will not (a terminated worker runs no more
   * JavaScript): left open, it would keep the daemon connected in the module's eyes after the
   * connection ended, and a reconnect would get EBUSY.
   */
  #closeDescriptor(): void {
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
  }
}

/**
 * The name of this process's OS thread `tid`, undefined once it has ended (read through libc:
 * the daemon has no permission for /proc). With the tid it tells a thread from a later one
 * that got the same tid.
 */
function taskComm(tid: number): string | undefined {
  return readSmallFile(`/proc/self/task/${tid}/comm`);
}

function died(why: string): JobResult {
  return { status: -EIO, held: false, bytesused: [], message: why };
}
