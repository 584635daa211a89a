/**
 * What a stream file's container says its codec is: IVF's fourcc, the CodecID of a Matroska
 * (WebM) track, the sample entries of an MP4's tracks. `daedalusd decode` believes these before
 * it looks inside the stream: a VP9 frame may well hold bytes that read as an H.264 SPS.
 */
import type { ContainerName } from "./file-client.ts";
import { ivfFourcc } from "./ivf.ts";

/** A container and the codec ids it gives its tracks, first track first. */
export interface ContainerCodecIds {
  /** The container format. */
  container: ContainerName;
  /** Its tracks' codec ids (IVF's fourcc, Matroska's CodecID, MP4's sample entry types). */
  codecIds: string[];
}

const EBML_MAGIC = [0x1a, 0x45, 0xdf, 0xa3];
/** Matroska's CodecID element (0x86), whose size is one byte long (0x80 | size). */
const MATROSKA_CODEC_ID = 0x86;

const ascii = (data: Uint8Array, from: number, n: number) =>
  String.fromCharCode(...data.subarray(from, from + n));

/** Every `tag` (4 ASCII bytes) in `data`, by offset. */
function* find(data: Uint8Array, tag: string): Generator<number> {
  const t = [...tag].map((c) => c.charCodeAt(0));
  for (let i = data.indexOf(t[0]); i >= 0 && i + 4 <= data.length; i = data.indexOf(t[0], i + 1)) {
    if (data[i + 1] === t[1] && data[i + 2] === t[2] && data[i + 3] === t[3]) yield i;
  }
}

/** The video CodecIDs ("V_...") of a Matroska file's tracks. */
function matroskaCodecIds(data: Uint8Array): string[] {
  const ids: string[] = [];
  for (
    let i = data.indexOf(MATROSKA_CODEC_ID);
    i >= 0;
    i = data.indexOf(MATROSKA_CODEC_ID, i + 1)
  ) {
    const size = data[i + 1] & 0x7f;
    if ((data[i + 1] & 0x80) === 0 || size < 3 || i + 2 + size > data.length) continue;
    const id = ascii(data, i + 2, size).replace(/\0+$/, "");
    if (/^V_[A-Z0-9/._]+$/.test(id)) ids.push(id);
  }
  return ids;
}

/**
 * The first sample entry's type of every 'stsd' box of an MP4 file (box header, version and
 * flags, entry count, then the entry's size and type).
 */
function mp4SampleEntries(data: Uint8Array): string[] {
  return [...find(data, "stsd")].filter((i) => i + 20 <= data.length)
    .map((i) => ascii(data, i + 16, 4)).filter((t) => /^[a-zA-Z0-9 ]{4}$/.test(t));
}

/** The container of `data` and its codec ids, or undefined when it is in none of them. */
export function containerCodecIds(data: Uint8Array): ContainerCodecIds | undefined {
  const fourcc = ivfFourcc(data);
  if (fourcc !== undefined) return { container: "IVF", codecIds: [fourcc] };
  if (EBML_MAGIC.every((b, i) => data[i] === b)) {
    return { container: "Matroska", codecIds: matroskaCodecIds(data) };
  }
  if (data.length >= 8 && ascii(data, 4, 4) === "ftyp") {
    return { container: "MP4", codecIds: mp4SampleEntries(data) };
  }
  return undefined;
}

/** An MPEG program stream's pack start code, and an MPEG transport stream's sync byte and packet size. */
const PACK_START = [0x00, 0x00, 0x01, 0xba];
const TS_SYNC = 0x47;
const TS_PACKET = 188;

/**
 * The name of a container `daedalusd decode` recognises but reads no codec from (their video is
 * taken out first): an MPEG program stream (.mpg, .vob) or transport stream (.ts); undefined for
 * anything else.
 */
export function unreadContainer(data: Uint8Array): string | undefined {
  if (PACK_START.every((b, i) => data[i] === b)) return "an MPEG program stream";
  if (data.length >= 2 * TS_PACKET && [0, 1, 2].every((k) => data[k * TS_PACKET] === TS_SYNC)) {
    return "an MPEG transport stream";
  }
  return undefined;
}
