/**
 * IVF, libvpx's plain container for VP8, VP9 and AV1: a 32-byte file header ("DKIF", the
 * codec's fourcc, the size), then per frame a 12-byte header (size, timestamp) and its data.
 */
import type { FileInput } from "./file-client.ts";

const FILE_HEADER = 32;
const FRAME_HEADER = 12;

/** One frame of an IVF file. */
export interface IvfFrame {
  /** The frame's bytes. */
  data: Uint8Array;
  /** Its header's timestamp. */
  pts: bigint;
}

/** The fourcc in an IVF file's header, or undefined when `data` is no IVF file. */
export function ivfFourcc(data: Uint8Array): string | undefined {
  if (data.length < FILE_HEADER) return undefined;
  const text = (from: number) => String.fromCharCode(...data.subarray(from, from + 4));
  return text(0) === "DKIF" ? text(8) : undefined;
}

/** The frames of an IVF file; throws on a truncated one. */
export function ivfFrames(data: Uint8Array): IvfFrame[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerSize = v.getUint16(6, true);
  const frames: IvfFrame[] = [];
  for (let off = Math.max(headerSize, FILE_HEADER); off < data.length;) {
    if (off + FRAME_HEADER > data.length) throw new RangeError(`IVF frame header at ${off} cut`);
    const size = v.getUint32(off, true);
    const start = off + FRAME_HEADER;
    if (start + size > data.length) throw new RangeError(`IVF frame at ${off} cut`);
    frames.push({ data: data.subarray(start, start + size), pts: v.getBigUint64(off + 4, true) });
    off = start + size;
  }
  return frames;
}

/**
 * The file input of a codec whose files are IVF of `fourcc` (its other containers call it
 * `codecIds`).
 */
export function ivfInput(
  fourcc: string,
  codecIds: { Matroska: string[]; MP4: string[] },
): FileInput {
  return {
    input: `IVF (${fourcc})`,
    container: "IVF",
    codecIds: { IVF: [fourcc], ...codecIds },
    accepts: (data) => ivfFourcc(data) === fourcc,
  };
}
