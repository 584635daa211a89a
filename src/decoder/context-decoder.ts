/** The decoder of one V4L2 context, whatever its codec (src/codecs.ts makes them). */
import type { CaptureMemory, DecodeJob, JobResult } from "./job.ts";

export interface ContextDecoder {
  /** Decodes one job; never throws: a failure is a result with a negative errno. */
  decode(job: DecodeJob, mem: CaptureMemory | null): JobResult;
  /** Frees the libavcodec context and everything it holds. */
  close(): void;
}
