/**
 * An MSB-first bit reader: fixed-width fields (every codec's headers), exp-Golomb codes (H.264,
 * HEVC) and the RBSP trailing-bits test.
 */

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
