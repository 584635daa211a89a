/**
 * A stream file as a V4L2 client would turn it into jobs: the codec-neutral shapes the file
 * decoder (`daedalusd decode`, the tests, the benchmark) runs. Each codec's table entry
 * (src/codecs.ts) says how its files are recognised (FileInput), and its stateless part how a
 * client turns one into frames.
 */
/** One request: its controls and its OUTPUT buffer's bytes. */
export interface ClientJob {
  /** The request's control payloads by control id. */
  ctrls: Map<number, Uint8Array>;
  /** The OUTPUT buffer's bytes. */
  bitstream: Uint8Array;
  /** More requests for the same CAPTURE buffer follow (V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF). */
  hold: boolean;
}

/** One picture: the jobs that decode it into one CAPTURE buffer. */
export interface ClientFrame {
  /** Its requests, in order. */
  jobs: ClientJob[];
  /** Coded size (the CAPTURE format) and the display window inside it. */
  width: number;
  /** Coded height. */
  height: number;
  /** The display window: pixels cropped off each side. */
  crop: { left: number; right: number; top: number; bottom: number };
  /** 8, or 10 (the picture goes to P010). */
  bitDepth: number;
  /** Display order: by period (e.g. H.264's IDR periods), then order count. */
  period: number;
  /** Order count within its period. */
  poc: number;
  /** Decoded for reference only (VP8/VP9 alternate references): never displayed. */
  hidden: boolean;
  /**
   * No job: the client displays an earlier frame again (VP9's show_existing_frame), the one at
   * this index.
   */
  repeatOf?: number;
}

/** The V4L2 modes a client picked where a codec offers several (H.264's menus); others ignore them. */
export interface ClientOptions {
  /** H.264's DECODE_MODE: a request per picture, or one per slice. */
  mode: "frame" | "slice";
  /** H.264's START_CODE: slices with Annex B start codes, or without. */
  startCode: "annexb" | "none";
}

/** The containers `daedalusd decode` recognises (src/decoder/container.ts); it reads IVF. */
export type ContainerName = "IVF" | "Matroska" | "MP4";

/**
 * What a codec's file input is and how it is recognised: `daedalusd decode` finds a file's codec
 * by it, for jobs and for streams alike.
 */
export interface FileInput {
  /** The input `daedalusd decode` takes, for its help and its errors. */
  readonly input: string;
  /** The container it reads, or "raw": an elementary stream, recognised by its contents. */
  readonly container: ContainerName | "raw";
  /** The ids containers give this codec: IVF's fourcc, Matroska's CodecID, MP4 sample entries. */
  readonly codecIds: Readonly<Record<ContainerName, readonly string[]>>;
  /** True when `data` is this codec's input. */
  accepts(data: Uint8Array): boolean;
}

/** How a client turns a codec's file (its FileInput) into frames in decode order. */
export type FileFrames = (data: Uint8Array, opts: ClientOptions) => ClientFrame[];

/**
 * The timestamp a client gives frame `index` (decode order) of a stream, as the file decoder and
 * the tests queue it, and as the references in the controls name it: unique, and never 0 (libva
 * names an empty reference slot 0).
 */
export function frameTimestamp(index: number): bigint {
  return BigInt(index + 1) * 1000n;
}

/**
 * The coded size of a `width`x`height` picture in `block` units (its CAPTURE format) and the
 * crop to the picture inside it.
 */
export function codedSize(
  width: number,
  height: number,
  block: number,
): Pick<ClientFrame, "width" | "height" | "crop"> {
  const w = Math.ceil(width / block) * block;
  const h = Math.ceil(height / block) * block;
  return { width: w, height: h, crop: { left: 0, right: w - width, top: 0, bottom: h - height } };
}
