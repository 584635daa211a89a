/**
 * The service thread's handle on one context thread (context-worker.ts): jobs go in, results
 * come back as promises, in order. A thread that dies fails its pending jobs with -EIO, and only
 * those: the service gives the context a new thread at its next job.
 */
import { getLogger } from "@logtape/logtape";
import { EIO, errno, libc, SysError } from "../../ffi/libc.ts";
import type { JobResult } from "../decoder/job.ts";
import { CONTEXT_WORKER_NAME, type FromContext, type ToContext } from "./context-worker.ts";
import type { WireJob } from "./protocol.ts";

const log = getLogger(["daedalusd", "service"]);

/** What a context thread is started with (its descriptor is dup'ed from `fd`). */
export interface ContextThreadStart {
  /** The module the worker runs: the daemon's entry (main.ts or its bundle). */
  entry: string | URL;
  /** The control device's descriptor (or its double's). */
  fd: number;
  init: Omit<Extract<ToContext, { type: "init" }>, "type" | "fd">;
}

let threadCount = 0;

export class ContextThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (r: JobResult) => void>();
  readonly #ready: Promise<void>;
  #closed: (() => void) | undefined;
  #dead = false;
  /** The thread's own descriptor, until the thread closes it (or it is closed for the thread). */
  #fd: number;
  /** Milliseconds from start to ready (libav loaded, warmed up). */
  startMs = 0;

  constructor(start: ContextThreadStart) {
    const fd = libc().dup(start.fd);
    if (fd < 0) throw new SysError("dup", errno());
    this.#fd = fd;
    const t0 = performance.now();
    this.#worker = new Worker(start.entry, {
      type: "module",
      name: `${CONTEXT_WORKER_NAME}-${++threadCount}`,
    });
    let ready!: () => void;
    this.#ready = new Promise((r) => ready = r);
    this.#worker.onmessage = (e: MessageEvent<FromContext>) => {
      const m = e.data;
      if (m.type === "ready") {
        this.startMs = performance.now() - t0;
        ready();
      } else if (m.type === "done") {
        const resolve = this.#pending.get(m.cookie);
        this.#pending.delete(m.cookie);
        resolve?.(m.result);
      } else if (m.type === "closed") {
        this.#fd = -1; // the thread closed it
        this.#finish();
      }
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      log.error(`a context thread died: ${e.message}`);
      this.#die(`context thread died: ${e.message}`);
      ready();
    };
    this.#post({ type: "init", fd, ...start.init });
  }

  /** Resolves when the thread has loaded its libraries and decoded its warm-up pictures. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /** Jobs sent and not answered yet. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Decodes `job` on this thread; resolves with its result (never rejects). */
  submit(job: WireJob, threads: number): Promise<JobResult> {
    if (this.#dead) return Promise.resolve(died("context thread is gone"));
    return new Promise((resolve) => {
      this.#pending.set(job.cookie, resolve);
      this.#post({ type: "job", job, threads });
    });
  }

  /**
   * Frees the context's decoder and descriptor once its pending jobs are done, and ends the
   * thread. A thread still busy after `timeoutMs` (a decoder that never returns) is abandoned
   * to terminate(): its jobs are failed, its descriptor stays open.
   */
  close(timeoutMs = 10_000): Promise<void> {
    if (this.#dead) return Promise.resolve();
    const closed = new Promise<void>((r) => this.#closed = r);
    this.#post({ type: "close" });
    const timer = setTimeout(() => {
      log.warn("a context thread did not close in time; abandoning it");
      this.#die("context thread abandoned");
    }, timeoutMs);
    return closed.finally(() => clearTimeout(timer));
  }

  #post(m: ToContext): void {
    this.#worker.postMessage(m);
  }

  #die(why: string): void {
    if (this.#dead) return;
    for (const resolve of this.#pending.values()) resolve(died(why));
    this.#pending.clear();
    this.#finish();
  }

  #finish(): void {
    this.#dead = true;
    this.#worker.terminate();
    // A thread that died or was abandoned never closes its descriptor, and an open descriptor
    // keeps the daemon connected in the module's eyes: a terminated worker runs no more
    // JavaScript, so it is closed here.
    if (this.#fd >= 0) libc().close(this.#fd);
    this.#fd = -1;
    this.#closed?.();
  }
}

function died(why: string): JobResult {
  return { status: -EIO, held: false, bytesused: [], message: why };
}
