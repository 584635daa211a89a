/**
 * The service thread's handle on one decode thread (context-worker.ts): contexts are assigned to
 * it, their jobs go in, results come back as promises, in order. A thread that dies fails its
 * pending jobs with -EIO, and only those: the service replaces it, and its contexts get a thread
 * again at their next job.
 */
import { getLogger } from "@logtape/logtape";
import { EIO, errno, libc, SysError } from "../../ffi/libc.ts";
import type { JobResult } from "../decoder/job.ts";
import { CONTEXT_WORKER_NAME, type FromContext, type ToContext } from "./context-worker.ts";
import type { WireJob } from "./protocol.ts";

const log = getLogger(["daedalusd", "service"]);

/** How a decode thread is started. */
export interface ContextThreadStart {
  /** The module the worker runs: the daemon's entry (main.ts or its bundle). */
  entry: string | URL;
  init: Omit<Extract<ToContext, { type: "init" }>, "type">;
}

let threadCount = 0;

export class ContextThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (r: JobResult) => void>();
  readonly #ready: Promise<string | undefined>;
  #detached: (() => void) | undefined;
  #dead = false;
  /** The thread's descriptor of the control device while attached (it closes it itself). */
  #fd = -1;
  /** The contexts assigned to this thread. */
  readonly contexts = new Set<number>();
  readonly name = `${CONTEXT_WORKER_NAME}-${++threadCount}`;

  constructor(start: ContextThreadStart) {
    this.#worker = new Worker(start.entry, { type: "module", name: this.name });
    let ready!: (error: string | undefined) => void;
    this.#ready = new Promise((r) => ready = r);
    this.#worker.onmessage = (e: MessageEvent<FromContext>) => {
      const m = e.data;
      if (m.type === "ready") {
        ready(m.error);
      } else if (m.type === "done") {
        const resolve = this.#pending.get(m.cookie);
        this.#pending.delete(m.cookie);
        resolve?.(m.result);
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
    this.#post({ type: "init", ...start.init });
  }

  /** Resolves when the thread has warmed up: undefined, or what failed. */
  get ready(): Promise<string | undefined> {
    return this.#ready;
  }

  get alive(): boolean {
    return !this.#dead;
  }

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

  /** Decodes `job` on this thread; resolves with its result (never rejects). */
  submit(job: WireJob, threads: number): Promise<JobResult> {
    if (this.#dead) return Promise.resolve(died("decode thread is gone"));
    this.contexts.add(job.ctxId);
    return new Promise((resolve) => {
      this.#pending.set(job.cookie, resolve);
      this.#post({ type: "job", job, threads });
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
   * returns) is abandoned: its jobs are failed and it is terminated.
   */
  detach(timeoutMs = 10_000): Promise<void> {
    this.contexts.clear();
    if (this.#dead || this.#fd < 0) return Promise.resolve();
    const detached = new Promise<void>((r) => this.#detached = r);
    this.#post({ type: "detach" });
    const timer = setTimeout(() => {
      log.warn(`${this.name} did not finish its jobs in time; abandoning it`);
      this.#die("decode thread abandoned");
    }, timeoutMs);
    return detached.finally(() => clearTimeout(timer));
  }

  /** Ends the thread (after detach()). */
  terminate(): void {
    this.#die("decode thread ended");
  }

  #post(m: ToContext): void {
    this.#worker.postMessage(m);
  }

  #die(why: string): void {
    if (this.#dead) return;
    this.#dead = true;
    for (const resolve of this.#pending.values()) resolve(died(why));
    this.#pending.clear();
    this.#worker.terminate();
    // A thread that died or was abandoned never closes its descriptor, and an open descriptor
    // keeps the daemon connected in the module's eyes: a terminated worker runs no more
    // JavaScript, so it is closed here.
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
    this.#detached?.();
  }
}

function died(why: string): JobResult {
  return { status: -EIO, held: false, bytesused: [], message: why };
}
