/**
 * The daemon's bound on its own memory per context: each context that decodes is charged for
 * the pictures its decoder may keep at the job's size, and a job that would take the daemon's
 * decoder state past its budget fails with -ENOMEM (that context alone; the others decode on).
 * So one user opening many 4K contexts cannot push the daemon into its unit's MemoryMax.
 */
import { libc, readSmallFile } from "../../ffi/libc.ts";
import type { Codec } from "../codecs.ts";
import { V4L2_PIX_FMT_P010 } from "../decoder/job.ts";
import type { StreamFormat } from "../stream/session.ts";
import type { WireJob } from "./protocol.ts";

/**
 * Pictures a decoder keeps when its codec does not say (Codec.decoderPictures): H.264's most,
 * 16 references, the picture being decoded and one more for libavcodec's output delay.
 */
export const DEFAULT_DECODER_PICTURES = 18;

const MIB = 1 << 20;
const _SC_PAGESIZE = 30;
const _SC_PHYS_PAGES = 85;

/** `n` rounded up to a multiple of 64 (libavcodec and dav1d pad their pictures' planes). */
const align64 = (n: number) => Math.ceil(n / 64) * 64;

/**
 * Bytes a decoder holds per pixel of each picture it keeps besides the samples: motion vectors
 * and block data (libavcodec's H.264 keeps about half a byte per pixel per picture), and its
 * share of the context's own tables. Measured at 1920x1080 (peak RSS over 40 frames, one
 * context): H.264 with 16 references 80 MiB against 90 charged, VP9 20 against 50, VP8 20
 * against 25, AV1 38 against 50 (docs/daemon.md).
 */
const SIDE_BYTES_PER_PIXEL = 1;

/**
 * What a context's decoder may hold for `w`'s picture size: its codec's pictures, each 4:2:0 at
 * the CAPTURE format's sample size (2 bytes for P010) with its side data, padded.
 */
export function decoderBytes(codec: Codec, w: WireJob): number {
  const sample = w.pixelformat === V4L2_PIX_FMT_P010 ? 2 : 1;
  return pictureBytes(w.width, w.height, sample) *
    (codec.decoderPictures ?? DEFAULT_DECODER_PICTURES);
}

/**
 * What a stream session's decoder may hold at `format`'s (parsed) size, with `threads` frame
 * threads (docs/stateful.md "Threads and memory"): its codec's pictures, a picture in flight per
 * frame thread, and the pictures that may wait for CAPTURE buffers (the back-pressure bound,
 * 2 + threads: src/stream/delivery.ts).
 */
export function streamDecoderBytes(codec: Codec, format: StreamFormat, threads: number): number {
  const sample = (format.picture?.bitDepth ?? 8) > 8 ? 2 : 1;
  const pictures = (codec.decoderPictures ?? DEFAULT_DECODER_PICTURES) + threads + 2 + threads;
  return pictureBytes(format.coded.width, format.coded.height, sample) * pictures;
}

/** One kept picture of `width`x`height` with `sample`-byte samples, side data included. */
export function pictureBytes(width: number, height: number, sample: 1 | 2): number {
  return align64(width) * align64(height) * (sample * 3 / 2 + SIDE_BYTES_PER_PIXEL);
}

/** The memory limit of the daemon's own cgroup (a unit's MemoryMax), if it has one. */
function cgroupMemoryMax(): number | undefined {
  const line = readSmallFile("/proc/self/cgroup")?.split("\n").find((l) => l.startsWith("0::"));
  if (!line) return undefined;
  const max = Number(readSmallFile(`/sys/fs/cgroup${line.slice(3)}/memory.max`)?.trim());
  return Number.isSafeInteger(max) && max > 0 ? max : undefined; // "max": no limit
}

/**
 * The default budget: a quarter of RAM (as the module's mem_limit_mb bounds its buffers), and
 * at most half of the unit's MemoryMax, the other half left to the runtime, the decode threads
 * (about 17 MiB each), libav's per-context tables and the pictures being written.
 */
export function defaultDecoderBudget(): number {
  const ram = Number(libc().sysconf(_SC_PHYS_PAGES)) * Number(libc().sysconf(_SC_PAGESIZE));
  const unit = cgroupMemoryMax();
  return Math.floor(Math.min(ram / 4, unit === undefined ? Infinity : unit / 2));
}

/** The contexts' charges against the budget (bytes). */
export class DecoderMemory {
  readonly #charges = new Map<number, number>();
  #used = 0;

  /** `budget`: the bytes all contexts' decoders may be charged together. */
  constructor(readonly budget: number) {}

  /** Bytes charged to all contexts now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Charges context `ctxId` for a decoder of `bytes` (instead of its earlier charge). Returns
   * undefined, or why it cannot be (nothing changes then: its decoder stays as it was).
   */
  charge(ctxId: number, bytes: number): string | undefined {
    const before = this.#charges.get(ctxId) ?? 0;
    if (bytes > before && this.#used - before + bytes > this.budget) {
      return `its decoder (${(bytes / MIB).toFixed(0)} MiB) would take the daemon's decoder ` +
        `memory past its budget (${(this.#used / MIB).toFixed(0)} of ` +
        `${(this.budget / MIB).toFixed(0)} MiB in use)`;
    }
    this.#charges.set(ctxId, bytes);
    this.#used += bytes - before;
    return undefined;
  }

  /** CTX_CLOSE: the context's decoder is freed. */
  release(ctxId: number): void {
    this.#used -= this.#charges.get(ctxId) ?? 0;
    this.#charges.delete(ctxId);
  }

  /** The connection ended: every context's decoder is freed. */
  clear(): void {
    this.#charges.clear();
    this.#used = 0;
  }
}
