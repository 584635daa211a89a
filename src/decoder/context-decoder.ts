/** The decoder of one V4L2 context, whatever its codec. */
import type { Libav } from "../../ffi/libav.ts";
import type { CaptureMemory, CodecName, DecodeJob, JobResult } from "./job.ts";
import { H264Decoder } from "./h264-decoder.ts";

export interface ContextDecoder {
  /** Decodes one job; never throws: a failure is a result with a negative errno. */
  decode(job: DecodeJob, mem: CaptureMemory | null): JobResult;
  /** Frees the libavcodec context and everything it holds. */
  close(): void;
}

export const SUPPORTED_CODECS: readonly CodecName[] = ["h264"];

export function createDecoder(av: Libav, codec: CodecName): ContextDecoder {
  switch (codec) {
    case "h264":
      return new H264Decoder(av);
  }
}
