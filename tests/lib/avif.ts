/**
 * The AV1 payload of an AVIF file (ISO/IEC 23008-12 HEIF with the AV1 image format's items),
 * as the IVF/OBU stream a V4L2 client gets: ffmpeg 5.1 and GStreamer do not demux AVIF.
 *
 * - A still: the primary item (pitm) of type av01, its extents (iloc, in the file or in idat)
 *   concatenated into one temporal unit.
 * - A grid (primary item of type grid): its tiles, the av01 items its dimg reference names, in
 *   that order, one temporal unit each (placing them on the canvas is the viewer's job).
 * - An image sequence (a moov with a picture or video track, not an auxiliary one such as
 *   alpha): the track's samples, one temporal unit each (stsz, stsc, stco/co64). The vectors
 *   here have none; tests/unit/avif.test.ts reads an MP4 ffmpeg writes, the same boxes.
 *
 * The av1C's configOBUs (a sequence header) go in front of a temporal unit that lacks one.
 * Alpha and other auxiliary items are not the picture and are left out.
 */
import { concatBytes } from "../../src/decoder/bytes.ts";
import { OBU_SEQUENCE_HEADER, splitObus } from "../../src/av1/obu.ts";

/** One ISOBMFF box: its type and its content after the header. */
interface Box {
  type: string;
  /** The content, after the size/type header (and not after a FullBox's version/flags). */
  body: Uint8Array;
  /** The box's first byte in the file (for iloc's file offsets nothing else needs). */
  start: number;
}

const fourcc = (d: Uint8Array, at: number) => String.fromCharCode(...d.subarray(at, at + 4));

/** The boxes in `d` (the content of a container box, or the file), each at its place. */
function boxes(d: Uint8Array, base = 0): Box[] {
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const out: Box[] = [];
  for (let at = 0; at + 8 <= d.length;) {
    let size = v.getUint32(at);
    const type = fourcc(d, at + 4);
    let header = 8;
    if (size === 1) {
      size = Number(v.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) size = d.length - at;
    if (size < header || at + size > d.length) {
      throw new RangeError(`box ${type} at ${base + at}: size ${size} runs past its container`);
    }
    out.push({ type, body: d.subarray(at + header, at + size), start: base + at });
    at += size;
  }
  return out;
}

function child(parent: Uint8Array, type: string, fullBox = false): Uint8Array | undefined {
  const b = boxes(parent).find((x) => x.type === type)?.body;
  return b && fullBox ? b.subarray(4) : b;
}

function need(parent: Uint8Array, type: string, fullBox = false): Uint8Array {
  const b = child(parent, type, fullBox);
  if (!b) throw new RangeError(`no ${type} box`);
  return b;
}

/** A big-endian reader over a box's content. */
class Reader {
  readonly #v: DataView;
  at = 0;
  constructor(readonly d: Uint8Array) {
    this.#v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  }
  u8(): number {
    return this.#v.getUint8(this.at++);
  }
  u16(): number {
    const x = this.#v.getUint16(this.at);
    this.at += 2;
    return x;
  }
  u32(): number {
    const x = this.#v.getUint32(this.at);
    this.at += 4;
    return x;
  }
  /** An unsigned integer of `bytes` bytes (0, 4 or 8, as iloc's sizes). */
  uint(bytes: number): number {
    if (bytes === 0) return 0;
    if (bytes === 4) return this.u32();
    if (bytes === 8) {
      const x = this.#v.getBigUint64(this.at);
      this.at += 8;
      return Number(x);
    }
    throw new RangeError(`iloc field of ${bytes} bytes`);
  }
  cstring(): string {
    const end = this.d.indexOf(0, this.at);
    const s = new TextDecoder().decode(this.d.subarray(this.at, end));
    this.at = end + 1;
    return s;
  }
}

interface ItemLocation {
  constructionMethod: number;
  baseOffset: number;
  extents: { offset: number; length: number }[];
}

/** iloc (HEIF 8.11.3): each item's extents. */
function parseIloc(body: Uint8Array): Map<number, ItemLocation> {
  const version = body[0];
  const r = new Reader(body.subarray(4));
  const sizes = r.u16();
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 15;
  const baseOffsetSize = (sizes >> 4) & 15;
  const indexSize = version === 1 || version === 2 ? sizes & 15 : 0;
  const count = version < 2 ? r.u16() : r.u32();
  const out = new Map<number, ItemLocation>();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? r.u16() : r.u32();
    const constructionMethod = version === 1 || version === 2 ? r.u16() & 15 : 0;
    r.u16(); // data_reference_index: 0, this file
    const baseOffset = r.uint(baseOffsetSize);
    const extents = [];
    for (let n = r.u16(); n > 0; n--) {
      r.uint(indexSize);
      extents.push({ offset: r.uint(offsetSize), length: r.uint(lengthSize) });
    }
    out.set(id, { constructionMethod, baseOffset, extents });
  }
  return out;
}

/** iinf's infe entries (versions 2 and 3): item id → item type. */
function parseIinf(body: Uint8Array): Map<number, string> {
  const version = body[0];
  const r = new Reader(body.subarray(4));
  const count = version === 0 ? r.u16() : r.u32();
  const infes = boxes(body.subarray(4 + r.at)).filter((b) => b.type === "infe");
  if (infes.length !== count) throw new RangeError(`iinf: ${infes.length} of ${count} entries`);
  const out = new Map<number, string>();
  for (const infe of infes) {
    const v = infe.body[0];
    if (v < 2) throw new RangeError(`infe version ${v}`);
    const e = new Reader(infe.body.subarray(4));
    const id = v === 2 ? e.u16() : e.u32();
    e.u16(); // protection index
    out.set(id, fourcc(infe.body, 4 + e.at));
  }
  return out;
}

/** iref (version 0 or 1): references of `type` from item `from`, in order. */
function references(meta: Uint8Array, type: string, from: number): number[] {
  const iref = child(meta, "iref");
  if (!iref) return [];
  const wide = iref[0] === 1;
  for (const ref of boxes(iref.subarray(4))) {
    const r = new Reader(ref.body);
    const id = wide ? r.u32() : r.u16();
    const ids: number[] = [];
    for (let n = r.u16(); n > 0; n--) ids.push(wide ? r.u32() : r.u16());
    if (ref.type === type && id === from) return ids;
  }
  return [];
}

/** The properties (ipco's boxes, ipma's associations) of item `id`, by type. */
function itemProperties(meta: Uint8Array, id: number): Map<string, Uint8Array> {
  const iprp = need(meta, "iprp");
  const props = boxes(need(iprp, "ipco"));
  const out = new Map<string, Uint8Array>();
  for (const ipma of boxes(iprp).filter((b) => b.type === "ipma")) {
    const version = ipma.body[0];
    const bigIndex = (ipma.body[3] & 1) === 1;
    const r = new Reader(ipma.body.subarray(4));
    for (let n = r.u32(); n > 0; n--) {
      const item = version < 1 ? r.u16() : r.u32();
      for (let k = r.u8(); k > 0; k--) {
        const index = (bigIndex ? r.u16() & 0x7fff : r.u8() & 0x7f) - 1; // 1-based, 0: none
        if (item === id && index >= 0) out.set(props[index].type, props[index].body);
      }
    }
  }
  return out;
}

/** av1C (AV1-ISOBMFF 2.3.3): the configOBUs after its four fixed bytes. */
function configObus(av1C: Uint8Array): Uint8Array {
  if ((av1C[0] & 0x7f) !== 1) throw new RangeError("av1C: not version 1");
  return av1C.subarray(4);
}

/** A temporal unit with a sequence header: `tu`, or the av1C's configOBUs before it. */
function withSequenceHeader(tu: Uint8Array, config: Uint8Array): Uint8Array {
  if (splitObus(tu).some((o) => o.type === OBU_SEQUENCE_HEADER)) return tu;
  if (!splitObus(config).some((o) => o.type === OBU_SEQUENCE_HEADER)) {
    throw new RangeError("neither the temporal unit nor the av1C has a sequence header");
  }
  return concatBytes([config, tu]);
}

export interface AvifPayload {
  kind: "still" | "grid" | "sequence";
  /** Temporal units in decode order (low-overhead OBUs, each with its size field). */
  temporalUnits: Uint8Array[];
  /** The picture's size the container declares: the item's ispe (a grid's tiles'), tkhd's. */
  width: number;
  height: number;
  /** A grid's layout (its item's data: ImageGrid, HEIF 6.6.2.3.2). */
  grid?: { rows: number; columns: number; width: number; height: number };
  /** The property boxes of the item (a grid's first tile) besides av1C/ispe, e.g. a1lx, lsel. */
  properties: string[];
}

/** ImageGrid: rows, columns and the canvas size. */
function parseGrid(data: Uint8Array): NonNullable<AvifPayload["grid"]> {
  const r = new Reader(data);
  r.u8(); // version
  const wide = (r.u8() & 1) === 1;
  const rows = r.u8() + 1;
  const columns = r.u8() + 1;
  const [width, height] = wide ? [r.u32(), r.u32()] : [r.u16(), r.u16()];
  return { rows, columns, width, height };
}

function itemData(file: Uint8Array, meta: Uint8Array, loc: ItemLocation): Uint8Array {
  const source = loc.constructionMethod === 1 ? need(meta, "idat") : file;
  if (loc.constructionMethod > 1) {
    throw new RangeError(`iloc construction_method ${loc.constructionMethod}`);
  }
  return concatBytes(loc.extents.map((e) => {
    const from = loc.baseOffset + e.offset;
    // a length of 0 is the rest of the source
    const to = e.length === 0 ? source.length : from + e.length;
    if (to > source.length) throw new RangeError(`item extent ${from}+${e.length} past the data`);
    return source.subarray(from, to);
  }));
}

/** The still (or grid) of an AVIF file's meta box. */
function stillPayload(file: Uint8Array, metaBody: Uint8Array): AvifPayload {
  const meta = metaBody.subarray(4);
  const pitm = new Reader(need(meta, "pitm"));
  pitm.at = 4;
  const primary = pitm.d[0] === 0 ? pitm.u16() : pitm.u32();
  const types = parseIinf(need(meta, "iinf"));
  const locations = parseIloc(need(meta, "iloc"));
  const ispe = (id: number) => {
    const p = itemProperties(meta, id).get("ispe");
    if (!p) throw new RangeError(`item ${id} has no ispe`);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    return { width: v.getUint32(4), height: v.getUint32(8) };
  };
  const location = (id: number) => {
    const loc = locations.get(id);
    if (!loc) throw new RangeError(`item ${id} has no iloc entry`);
    return loc;
  };
  const unit = (id: number) => {
    if (types.get(id) !== "av01") throw new RangeError(`item ${id} is ${types.get(id)}, not av01`);
    const av1C = itemProperties(meta, id).get("av1C");
    if (!av1C) throw new RangeError(`item ${id} has no av1C`);
    return withSequenceHeader(itemData(file, meta, location(id)), configObus(av1C));
  };
  const grid = types.get(primary) === "grid";
  const tiles = grid ? references(meta, "dimg", primary) : [primary];
  if (!tiles.length) throw new RangeError(`grid item ${primary} names no tiles`);
  const props = [...itemProperties(meta, tiles[0]).keys()];
  return {
    kind: grid ? "grid" : "still",
    temporalUnits: tiles.map(unit),
    ...ispe(tiles[0]),
    grid: grid ? parseGrid(itemData(file, meta, location(primary))) : undefined,
    properties: props.filter((p) => p !== "av1C" && p !== "ispe"),
  };
}

/** The samples of the picture track of an AVIF image sequence's moov. */
function sequencePayload(file: Uint8Array, moov: Uint8Array): AvifPayload {
  const tracks = boxes(moov).filter((b) => b.type === "trak").map((b) => b.body);
  const picture = tracks.find((t) => {
    const handler = fourcc(need(need(t, "mdia"), "hdlr", true), 4);
    const auxiliary = child(t, "tref") && boxes(child(t, "tref")!).some((b) => b.type === "auxl");
    return (handler === "pict" || handler === "vide") && !auxiliary;
  });
  if (!picture) throw new RangeError("no picture track in the moov");
  const stbl = need(need(need(picture, "mdia"), "minf"), "stbl");
  const entry = boxes(need(stbl, "stsd", true).subarray(4))[0];
  if (entry?.type !== "av01") throw new RangeError(`sample entry ${entry?.type}, not av01`);
  // VisualSampleEntry: 78 bytes, then its boxes (av1C among them)
  const av1C = need(entry.body.subarray(78), "av1C");
  const stsz = new Reader(need(stbl, "stsz", true));
  const fixed = stsz.u32();
  const sizes = Array.from({ length: stsz.u32() }, () => fixed || stsz.u32());
  const stsc = new Reader(need(stbl, "stsc", true));
  const runs = Array.from(
    { length: stsc.u32() },
    () => ({ first: stsc.u32(), perChunk: stsc.u32(), desc: stsc.u32() }),
  );
  const co64 = child(stbl, "co64", true);
  const stco = new Reader(co64 ?? need(stbl, "stco", true));
  const offsets = Array.from({ length: stco.u32() }, () => stco.uint(co64 ? 8 : 4));
  const units: Uint8Array[] = [];
  let sample = 0;
  offsets.forEach((chunkOffset, c) => {
    const run = runs.findLast((x) => x.first <= c + 1);
    if (!run) throw new RangeError(`stsc does not cover chunk ${c + 1}`);
    let at = chunkOffset;
    for (let k = 0; k < run.perChunk && sample < sizes.length; k++, sample++) {
      if (at + sizes[sample] > file.length) throw new RangeError(`sample ${sample} past the file`);
      units.push(file.subarray(at, at + sizes[sample]));
      at += sizes[sample];
    }
  });
  if (units.length !== sizes.length) {
    throw new RangeError(`${units.length} of ${sizes.length} samples in the chunks`);
  }
  const tkhd = need(picture, "tkhd");
  const tv = new DataView(tkhd.buffer, tkhd.byteOffset, tkhd.byteLength);
  const sizeAt = tkhd.length - 8; // width and height, 16.16, end the tkhd
  const config = configObus(av1C);
  return {
    kind: "sequence",
    temporalUnits: units.map((u, i) => (i === 0 ? withSequenceHeader(u, config) : u)),
    width: tv.getUint32(sizeAt) >>> 16,
    height: tv.getUint32(sizeAt + 4) >>> 16,
    properties: [],
  };
}

/**
 * The AV1 payload of an AVIF file: its image sequence's track when its brand says it has one
 * (avis), else its primary item; the track of a plain MP4 (no meta box) too.
 */
export function avifPayload(file: Uint8Array): AvifPayload {
  const top = boxes(file);
  const ftyp = top.find((b) => b.type === "ftyp");
  if (!ftyp) throw new RangeError("no ftyp: not an AVIF file");
  const brands = [fourcc(ftyp.body, 0)];
  for (let at = 8; at + 4 <= ftyp.body.length; at += 4) brands.push(fourcc(ftyp.body, at));
  const moov = top.find((b) => b.type === "moov");
  const meta = top.find((b) => b.type === "meta");
  if (moov && (brands.includes("avis") || !meta)) return sequencePayload(file, moov.body);
  if (!meta) throw new RangeError("no meta box");
  return stillPayload(file, meta.body);
}

/** An IVF file (AV01) of `units`, one frame each, as aomenc writes it. */
export function av1Ivf(units: Uint8Array[], width: number, height: number): Uint8Array {
  const header = new Uint8Array(32);
  const h = new DataView(header.buffer);
  header.set(new TextEncoder().encode("DKIFxxxxAV01"), 0);
  h.setUint16(4, 0, true); // version
  h.setUint16(6, 32, true); // header size
  h.setUint16(12, width, true);
  h.setUint16(14, height, true);
  h.setUint32(16, 25, true); // time base: 1/25 s
  h.setUint32(20, 1, true);
  h.setUint32(24, units.length, true);
  const parts: Uint8Array[] = [header];
  units.forEach((u, i) => {
    const f = new Uint8Array(12);
    const v = new DataView(f.buffer);
    v.setUint32(0, u.length, true);
    v.setBigUint64(4, BigInt(i), true);
    parts.push(f, u);
  });
  return concatBytes(parts);
}
