/**
 * The decoder of a codec whose OUTPUT buffer holds one whole coded frame (VP8, VP9): libavcodec
 * parses the frame's own headers, so the bitstream goes in as it is. The request's controls are
 * what the client parsed from the same frame: the decoded picture must agree with them (size,
 * bit depth), or the job fails rather than hand the client a picture it did not describe.
 */
import type { Libav } from "../../ffi/libav.ts";
import { EINVAL } from "../../ffi/libc.ts";
import { AvDecoder } from "./av-decoder.ts";
import type { ContextDecoder } from "./context-decoder.ts";
import { type CaptureMemory, type DecodeJob, failedJob, JobError, type JobResult } from "./job.ts";
import { type CodecPictures, PictureWriter } from "./picture-writer.ts";

/** What a job's controls say about its frame. */
export interface FrameHeader {
  /** The coded size; 0 when the controls do not say (a VP8 inter frame may leave it out). */
  width: number;
  /** The coded height; 0 when the controls do not say. */
  height: number;
  /** A key frame (predicted from no other). */
  keyFrame: boolean;
  /** Decoded but never displayed (an alternate reference). */
  hidden: boolean;
  /** The timestamps of the frames it is predicted from (none for a key or intra-only frame). */
  refs: readonly bigint[];
}

/** Reads a job's frame header from its controls; throws a JobError when one is missing. */
export type FrameHeaderReader = (job: DecodeJob) => FrameHeader;

/** The payload of control `id` in `job`, or a JobError naming it. */
export function requireCtrl(job: DecodeJob, id: number, name: string): Uint8Array {
  const payload = job.ctrls.get(id);
  if (!payload) throw new JobError(EINVAL, `request lacks the ${name} control`);
  return payload;
}

/** A context's decoder for VP8 or VP9: one job decodes one whole frame with libavcodec. */
export class WholeFrameDecoder implements ContextDecoder {
  readonly #dec: AvDecoder;
  readonly #writer: PictureWriter;

  /** libavcodec's decoder `libavDecoder`; `readHeader` reads each job's controls. */
  constructor(
    av: Libav,
    libavDecoder: string,
    private readonly readHeader: FrameHeaderReader,
    pictures: CodecPictures,
    threads = 1,
  ) {
    this.#dec = new AvDecoder(av, libavDecoder, threads);
    this.#writer = new PictureWriter(av, pictures);
  }

  /** Decodes the job's frame into `mem`; a failure (never thrown) when it disagrees with its controls. */
  decode(job: DecodeJob, mem: CaptureMemory | null): JobResult {
    try {
      const header = this.readHeader(job);
      if (job.hold) throw new JobError(EINVAL, "a frame cannot be split over requests");
      if (job.bitstream.length === 0) throw new JobError(EINVAL, "empty OUTPUT buffer");
      if (!mem) throw new JobError(EINVAL, "no CAPTURE memory for the picture");
      const frame = this.#dec.decode([job.bitstream], job.timestamp, false);
      if (
        header.width && (frame.width !== header.width || frame.height !== header.height)
      ) {
        throw new JobError(
          EINVAL,
          `the frame codes ${frame.width}x${frame.height}, its control says ` +
            `${header.width}x${header.height}`,
        );
      }
      const bytesused = this.#writer.write(frame, job.format, mem);
      const kind = header.keyFrame ? "key" : "inter";
      return {
        status: 0,
        held: false,
        bytesused,
        refs: header.refs,
        message: `OK ${frame.width}x${frame.height} ${kind}${header.hidden ? " hidden" : ""}`,
      };
    } catch (e) {
      return failedJob(e);
    }
  }

  /** Frees the libavcodec decoder and the picture writer. */
  close(): void {
    this.#dec.close();
    this.#writer.close();
  }
}
