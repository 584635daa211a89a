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
 * flags, entry count, then the entry's size and type); an 'mp4v' entry, which MPEG-1, MPEG-2 and
 * MPEG-4 Part 2 video all have, with its objectTypeIndication as RFC 6381 writes it ("mp4v.20":
 * MPEG-4 Visual, "mp4v.60" to "mp4v.65": MPEG-2, "mp4v.6a": MPEG-1) when its 'esds' says.
 */
function mp4SampleEntries(data: Uint8Array): string[] {
  return [...find(data, "stsd")].filter((i) => i + 20 <= data.length)
    .map((i) => {
      const type = ascii(data, i + 16, 4);
      const end = i - 4 + new DataView(data.buffer, data.byteOffset).getUint32(i - 4);
      const oti = type === "mp4v" ? esdsObjectType(data, i + 20, end) : undefined;
      return oti === undefined ? type : `${type}.${oti.toString(16).padStart(2, "0")}`;
    }).filter((t) => /^[a-zA-Z0-9 ]{4}(\.[0-9a-f]{2})?$/.test(t));
}

/** MPEG-4 descriptor tags (ISO/IEC 14496-1 7.2.2.1). */
const ES_DESCRIPTOR = 0x03;
const DECODER_CONFIG_DESCRIPTOR = 0x04;

/**
 * The objectTypeIndication of the first 'esds' box between `from` and `to`: its ES_Descriptor's
 * DecoderConfigDescriptor's first byte (ISO/IEC 14496-1 7.2.6.5-6), or undefined.
 */
function esdsObjectType(data: Uint8Array, from: number, to: number): number | undefined {
  const at = find(data.subarray(from, Math.min(to, data.length)), "esds").next().value;
  if (at === undefined) return undefined;
  let i = from + at + 8; // past 'esds', version and flags
  /** A descriptor's tag and where its body starts, its size's 1 to 4 bytes read past. */
  const descriptor = (tag: number): boolean => {
    if (data[i++] !== tag) return false;
    for (let n = 0; n < 4 && i < data.length && (data[i++] & 0x80) !== 0; n++);
    return i < data.length;
  };
  if (!descriptor(ES_DESCRIPTOR)) return undefined;
  const flags = data[i + 2];
  i += 3; // ES_ID, flags
  if (flags & 0x80) i += 2; // dependsOn_ES_ID
  if (flags & 0x40) i += 1 + data[i]; // URL
  if (flags & 0x20) i += 2; // OCR_ES_Id
  return descriptor(DECODER_CONFIG_DESCRIPTOR) ? data[i] : undefined;
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
