/**
 * A real decode thread (context-worker.ts) whose first CTX_CLOSE blocks inside a library call
 * for good, in ContextJobs.close(), as a decoder whose teardown never returns would.
 */
import { libc } from "../../../ffi/libc.ts";
import { ContextJobs } from "../../../src/service/context-jobs.ts";
import "../../../src/service/context-worker.ts";

ContextJobs.prototype.close = function (): void {
  const forever = new BigInt64Array([1n << 40n, 0n]); // struct timespec: about 35,000 years
  for (;;) libc().nanosleep(forever, null);
};
