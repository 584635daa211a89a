/**
 * Start-up self-tests: each codec decodes a tiny picture of one known value through the decoder
 * jobs use (its controls, libavcodec, the capture, the CAPTURE write), which also warms that path
 * up so that the first real job is not the slow one.
 */
import type { WireCodecName } from "../service/protocol.ts";
import type { ContextDecoder } from "./context-decoder.ts";
import { captureLayout } from "./picture-writer.ts";

export interface KnownPicture {
  codec: WireCodecName;
  ctrls: Map<number, Uint8Array>;
  bitstream: Uint8Array;
  width: number;
  height: number;
  /** The CAPTURE format, tightly packed in one plane. */
  pixelformat: number;
  /** Every sample's bytes as the CAPTURE format stores them (one byte, or two for P010). */
  sample: readonly number[];
}

/** Decodes `pic` with `decoder`; throws unless every byte of the picture comes back right. */
export function checkKnownPicture(decoder: ContextDecoder, pic: KnownPicture): void {
  const bytesperline = pic.width * pic.sample.length;
  const planes = [{ bytesperline, length: bytesperline * pic.height * 3 / 2 }];
  const format = { width: pic.width, height: pic.height, pixelformat: pic.pixelformat, planes };
  const { layout } = captureLayout(format);
  const size = layout.reduce((n, p) => Math.max(n, p.offset + p.stride * p.rows), 0);
  const capture = new Uint8Array(size);
  const r = decoder.decode({
    codec: pic.codec,
    ctrls: pic.ctrls,
    bitstream: pic.bitstream,
    hold: false,
    captureIndex: 0,
    timestamp: 0n,
    format,
  }, { planes: [{ ptr: Deno.UnsafePointer.of(capture)!, length: size }] });
  if (r.status !== 0) throw new Error(`self-test decode failed: ${r.message}`);
  const n = pic.sample.length;
  const wrong = capture.findIndex((b, i) => b !== pic.sample[i % n]);
  if (wrong >= 0) throw new Error(`self-test picture wrong at byte ${wrong}: ${capture[wrong]}`);
}
