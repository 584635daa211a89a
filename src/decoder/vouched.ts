/**
 * No silent corruption: which pictures of one context the daemon can vouch for, and the verdict
 * on each decoded picture whose references include one it cannot.
 *
 * A picture is vouched for when the daemon decoded it itself, without error, from references it
 * vouched for, and delivered it (the kernel took its COMPLETE). It is not when its job failed,
 * when the kernel refused its COMPLETE (ENOENT: the watchdog had already failed the job, so the
 * client got V4L2_BUF_FLAG_ERROR for it), when the daemon never saw its job (the watchdog failed
 * it while still queued, during a stall; or before a restart), or when the decoder was made
 * again since. libavcodec conceals a missing reference without a word (a frame_num gap in H.264
 * is filled with copies of the previous reference; VP8 and VP9 predict from whatever their slot
 * holds), so a picture predicted from one of those is wrong: it completes with an error instead,
 * and is not vouched for either. A picture predicted from none (key frame, IDR, intra-only) needs
 * nothing, so the stream recovers there. Each codec's decoder names a picture's references
 * (JobResult.refs) from its controls; this is the one place that judges them.
 */
import { EIO } from "../../ffi/libc.ts";
import type { JobResult } from "./job.ts";

/** Timestamps remembered per context, least recently used forgotten first. */
export const VOUCHED_LIMIT = 256;

/** One context's vouched-for pictures (by timestamp) and the verdict on each decoded one. */
export class VouchedPictures {
  /** Vouched timestamps in least recently used order (a Set keeps insertion order). */
  readonly #ok = new Set<bigint>();
  /**
   * The last job that failed, was refused or was flagged, until a picture of its timestamp is
   * vouched for: the rest of a held picture's slices fail, and so does a picture naming its own
   * timestamp as a reference (the frames of a VP9 superframe share their request's timestamp).
   */
  #broken: { timestamp: bigint; held: boolean } | undefined;

  /**
   * The result a job completes with: `r`, or an error when `r` is a picture with a reference not
   * vouched for. `hold`: the job is a slice of a picture more jobs complete (HOLD_CAPTURE).
   * Called in each context's job order, before the job's COMPLETE.
   */
  judge(timestamp: bigint, hold: boolean, r: JobResult): JobResult {
    if (r.reset) this.#ok.clear();
    if (this.#broken?.timestamp !== timestamp) this.#broken = undefined;
    if (r.status !== 0) {
      this.#forget(timestamp, hold);
      return r;
    }
    if (r.held) return r;
    const refs = r.refs ?? [];
    const missing = refs.find((t) => t !== timestamp && !this.#ok.has(t));
    const broken = this.#broken !== undefined && (this.#broken.held || refs.includes(timestamp));
    if (broken || missing !== undefined) {
      const why = missing !== undefined
        ? `reference ${missing} was not decoded and delivered here`
        : `an earlier job of timestamp ${timestamp} failed`;
      this.#forget(timestamp, false);
      return { ...r, status: -EIO, bytesused: [], message: `damaged picture: ${why}` };
    }
    this.#broken = undefined;
    for (const t of [...refs, timestamp]) {
      this.#ok.delete(t); // to the end: the most recently used
      this.#ok.add(t);
    }
    while (this.#ok.size > VOUCHED_LIMIT) this.#ok.delete(this.#ok.values().next().value!);
    return r;
  }

  /**
   * The kernel refused the job's COMPLETE (ENOENT: its watchdog, or the client stopping, was
   * first): the client got V4L2_BUF_FLAG_ERROR for it, whatever the daemon decoded.
   */
  refused(timestamp: bigint, hold: boolean): void {
    this.#forget(timestamp, hold);
  }

  /** `held`: the job was a slice of a picture whose later slices fail too. */
  #forget(timestamp: bigint, held: boolean): void {
    this.#ok.delete(timestamp);
    this.#broken = { timestamp, held };
  }
}
