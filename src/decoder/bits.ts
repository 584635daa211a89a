/**
 * MSB-first bit reading and writing: fixed-width fields (every codec's headers), exp-Golomb codes
 * (H.264, HEVC), RBSP trailing bits.
 */

/** Writes MSB-first: fixed-width fields, exp-Golomb codes, trailing bits (an RBSP, an OBU). */
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

  /** The bytes written; throws unless byte-aligned (trailing() first). */
  rbsp(): Uint8Array<ArrayBuffer> {
    if (this.#n !== 0) throw new Error("not byte-aligned: call trailing() first");
    return Uint8Array.from(this.#bytes);
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

export class BitstreamError extends Error {
  override name = "BitstreamError";
}

/** Reads MSB-first (an RBSP, a VP9 or AV1 header); reading past the end throws BitstreamError. */
export class BitReader {
  #pos = 0;
  constructor(readonly data: Uint8Array) {}

  get pos(): number {
    return this.#pos;
  }

  get bitsLeft(): number {
    return this.data.length * 8 - this.#pos;
  }

  bit(): number {
    if (this.#pos >= this.data.length * 8) {
      throw new BitstreamError("read past the end of the data");
    }
    const b = (this.data[this.#pos >> 3] >> (7 - (this.#pos & 7))) & 1;
    this.#pos++;
    return b;
  }

  flag(): boolean {
    return this.bit() === 1;
  }

  u(bits: number): number {
    let v = 0;
    for (let i = 0; i < bits; i++) v = v * 2 + this.bit();
    return v;
  }

  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new BitstreamError("exp-Golomb code longer than 32 bits");
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k === 0 ? 0 : k & 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** more_rbsp_data(): anything but the trailing stop bit and zero padding left. */
  moreRbspData(): boolean {
    let last = this.data.length - 1;
    while (last >= 0 && this.data[last] === 0) last--;
    if (last < 0) return false;
    const stopBit = last * 8 + (7 - Math.log2(this.data[last] & -this.data[last]));
    return this.#pos < stopBit;
  }
}
