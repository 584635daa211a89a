/**
 * The thread a V4L2 context decodes on: a Deno worker with its own libavcodec/dav1d state and
 * its own descriptor of the control device. The service thread sends it the context's jobs in
 * the order the module sent them; it answers each with the job's result (the service thread
 * completes the job), then writes the job's -v line, off the job's path.
 *
 * The daemon starts its workers from its own entry module (main.ts, or the bundle made of it),
 * so that a bundled daemon stays one file; this module starts the worker's loop when it is
 * loaded in a context thread (and main.ts then does nothing else). Tests start this module.
 */
import type { LogLevel } from "@logtape/logtape";
import { libav } from "../../ffi/libav.ts";
import { libc } from "../../ffi/libc.ts";
import { setAvLogLevel } from "../decoder/av-log.ts";
import { setupLogging } from "../log.ts";
import { selfTest } from "./self-test.ts";
import { ContextJobs, type ContextJobsOptions } from "./context-jobs.ts";
import type { JobResult } from "../decoder/job.ts";
import type { WireJob } from "./protocol.ts";

/** Workers of this name prefix are context threads. */
export const CONTEXT_WORKER_NAME = "daedalusd-context";

/** Service thread → context thread. */
export type ToContext =
  | {
    type: "init";
    /** This thread's own descriptor (a dup): it closes it when the context closes. */
    fd: number;
    logLevel: LogLevel;
    avLogLevel: number;
    jobs: ContextJobsOptions;
  }
  | { type: "job"; job: WireJob; threads: number }
  | { type: "close" };

/** Context thread → service thread. */
export type FromContext =
  | { type: "ready" }
  | { type: "done"; cookie: number; result: JobResult }
  | { type: "closed" };

/** True inside a context thread. */
export function isContextWorker(): boolean {
  const name = (globalThis as { name?: unknown }).name;
  return typeof name === "string" && name.startsWith(CONTEXT_WORKER_NAME);
}

/** The context thread's message loop. */
function runContextWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((e: MessageEvent<ToContext>) => void) | null;
    postMessage(m: FromContext): void;
    close(): void;
  };
  let jobs: ContextJobs | undefined;
  let fd = -1;
  scope.onmessage = (e) => {
    const m = e.data;
    switch (m.type) {
      case "init": {
        setupLogging(m.logLevel);
        const av = libav();
        setAvLogLevel(av, m.avLogLevel);
        fd = m.fd;
        // The self-test's pictures warm this thread up (libav's tables, the JIT) before the
        // context's first job arrives.
        selfTest(av, false);
        jobs = new ContextJobs(av, fd, m.jobs);
        scope.postMessage({ type: "ready" });
        return;
      }
      case "job": {
        const outcome = jobs!.decode(m.job, m.threads);
        scope.postMessage({ type: "done", cookie: m.job.cookie, result: outcome.result });
        outcome.finish();
        return;
      }
      case "close":
        jobs?.close();
        if (fd >= 0) libc().close(fd);
        fd = -1;
        scope.postMessage({ type: "closed" });
        scope.close();
    }
  };
}

if (isContextWorker()) runContextWorker();
