/** Bit-level reading and writing of H.264 RBSPs, with exp-Golomb codes and emulation prevention. */

/** Writes an RBSP MSB-first; `nal()` wraps it into a NAL unit with emulation prevention. */
export class BitWriter {
  #bytes: number[] = [];
  #cur = 0;
  #n = 0;

  u(bits: number, value: number): void {
    if (bits > 32 || value < 0 || (bits < 32 && value >= 2 ** bits)) {
      throw new RangeError(`u(${bits}) cannot hold ${value}`);
    }
    for (let i = bits - 1; i >= 0; i--) this.#bit(Math.floor(value / 2 ** i) & 1);
  }

  flag(value: boolean | number): void {
    this.#bit(value ? 1 : 0);
  }

  /** ue(v): unsigned exp-Golomb. */
  ue(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xfffffffe) {
      throw new RangeError(`ue(v) cannot hold ${value}`);
    }
    const v = value + 1;
    const len = Math.floor(Math.log2(v));
    for (let i = 0; i < len; i++) this.#bit(0);
    this.u(len + 1, v);
  }

  /** se(v): signed exp-Golomb. */
  se(value: number): void {
    this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits() */
  trailing(): void {
    this.#bit(1);
    while (this.#n !== 0) this.#bit(0);
  }

  get bitLength(): number {
    return this.#bytes.length * 8 + this.#n;
  }

  rbsp(): Uint8Array<ArrayBuffer> {
    if (this.#n !== 0) throw new Error("RBSP not byte-aligned: call trailing() first");
    return Uint8Array.from(this.#bytes);
  }

  /** The NAL unit (header byte + escaped RBSP), without a start code. */
  nal(nalRefIdc: number, nalUnitType: number): Uint8Array<ArrayBuffer> {
    return escapeRbsp((nalRefIdc << 5) | nalUnitType, this.rbsp());
  }

  #bit(b: number): void {
    this.#cur = (this.#cur << 1) | b;
    if (++this.#n === 8) {
      this.#bytes.push(this.#cur);
      this.#cur = 0;
      this.#n = 0;
    }
  }
}

/** Inserts emulation_prevention_three_byte where 00 00 would precede 00..03. */
export function escapeRbsp(header: number, rbsp: Uint8Array): Uint8Array<ArrayBuffer> {
  const out: number[] = [header];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

/**
 * Removes emulation prevention bytes from a NAL payload. `removedAt` lists, for each removed
 * byte, its position in the escaped input (to map RBSP bit positions back to NAL positions).
 */
export function unescapeNal(nal: Uint8Array): { rbsp: Uint8Array; removedAt: number[] } {
  const out = new Uint8Array(nal.length);
  const removedAt: number[] = [];
  let n = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      removedAt.push(i);
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return { rbsp: out.subarray(0, n), removedAt };
}
