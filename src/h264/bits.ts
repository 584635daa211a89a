/** H.264 RBSPs as NAL units: emulation prevention, and the writer that makes NAL units. */
import { BitWriter } from "../decoder/bits.ts";

/** Writes an RBSP MSB-first; `nal()` wraps it into a NAL unit with emulation prevention. */
export class NalWriter extends BitWriter {
  /** The NAL unit (header byte + escaped RBSP), without a start code. */
  nal(nalRefIdc: number, nalUnitType: number): Uint8Array<ArrayBuffer> {
    return escapeRbsp((nalRefIdc << 5) | nalUnitType, this.rbsp());
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
