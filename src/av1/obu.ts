/**
 * AV1 OBUs (open bitstream units, spec 5.3): their headers and sizes, read from a temporal unit
 * and written back around payloads the daemon builds.
 */

export const OBU_SEQUENCE_HEADER = 1;
export const OBU_TEMPORAL_DELIMITER = 2;
export const OBU_FRAME_HEADER = 3;
export const OBU_TILE_GROUP = 4;
export const OBU_METADATA = 5;
export const OBU_FRAME = 6;
export const OBU_REDUNDANT_FRAME_HEADER = 7;
export const OBU_PADDING = 15;

export interface Obu {
  type: number;
  temporalId: number;
  spatialId: number;
  /** The payload, after the header and size field. */
  payload: Uint8Array;
}

/** leb128() (4.10.5): the value and the bytes it took. */
export function readLeb128(data: Uint8Array, at: number): { value: number; length: number } {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (at + i >= data.length) throw new RangeError("leb128 runs past the data");
    const b = data[at + i];
    value += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return { value, length: i + 1 };
  }
  throw new RangeError("leb128 longer than 8 bytes");
}

export function writeLeb128(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return new Uint8Array(out);
}

/** The OBUs of a temporal unit (low-overhead format: every OBU has its size field). */
export function splitObus(data: Uint8Array): Obu[] {
  const out: Obu[] = [];
  for (let at = 0; at < data.length;) {
    const h = data[at];
    if (h & 0x80) throw new RangeError("OBU forbidden bit set");
    const type = (h >> 3) & 15;
    const hasExtension = (h & 4) !== 0;
    const hasSize = (h & 2) !== 0;
    let p = at + 1;
    let temporalId = 0;
    let spatialId = 0;
    if (hasExtension) {
      temporalId = data[p] >> 5;
      spatialId = (data[p] >> 3) & 3;
      p++;
    }
    let size = data.length - p;
    if (hasSize) {
      const leb = readLeb128(data, p);
      size = leb.value;
      p += leb.length;
    }
    if (p + size > data.length) throw new RangeError(`OBU of ${size} bytes runs past the data`);
    out.push({ type, temporalId, spatialId, payload: data.subarray(p, p + size) });
    at = p + size;
  }
  return out;
}

/** An OBU with a size field and no extension, around `payload`. */
export function writeObu(type: number, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const size = writeLeb128(payload.length);
  const out = new Uint8Array(1 + size.length + payload.length);
  out[0] = (type << 3) | 2;
  out.set(size, 1);
  out.set(payload, 1 + size.length);
  return out;
}
