/** Byte-array helpers every codec uses. */

/** `parts` joined into one array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** True when `a` holds exactly the bytes of `b`. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The bytes a string of hex digits spells (two a byte; whitespace ignored). */
export function hexBytes(hex: string): Uint8Array<ArrayBuffer> {
  const digits = hex.replace(/\s+/g, "");
  if (!/^([0-9a-f]{2})*$/i.test(digits)) throw new Error(`not hex bytes: ${hex.slice(0, 40)}`);
  return new Uint8Array(digits.length / 2).map((_, i) =>
    parseInt(digits.slice(2 * i, 2 * i + 2), 16)
  );
}

/**
 * Where `data`'s first start code (00 00 01) is when only zero bytes come before it (the byte
 * after it is the first unit's), else -1: how the raw streams of the start-code codecs (H.264,
 * HEVC, MPEG-1/2/4) begin.
 */
export function leadingStartCode(data: Uint8Array): number {
  let i = 0;
  while (i < data.length && data[i] === 0) i++;
  return i >= 2 && data[i] === 1 && i + 1 < data.length ? i + 1 : -1;
}

/** The value of the next start code (00 00 01 xx) at or after `from`, and where its value is. */
export function nextStartCode(
  data: Uint8Array,
  from: number,
): { value: number; at: number } | undefined {
  for (let i = from; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      return { value: data[i + 3], at: i + 3 };
    }
  }
  return undefined;
}
