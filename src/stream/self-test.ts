/**
 * The stream side's start-up self-test: each of a codec's known streams (StreamCodec.knownStreams)
 * through a fresh session, drained, must give one picture whose every CAPTURE byte is the known
 * value. Not run at start-up yet: the service does not serve streams yet.
 */
import type { Libav } from "../../ffi/libav.ts";
import { EINVAL, EIO } from "../../ffi/libc.ts";
import type { Codec } from "../codecs.ts";
import { captureFormatFor } from "../decoder/file-decoder.ts";
import { StreamError } from "./error.ts";
import { StreamSession } from "./session.ts";

/** Decodes `codec`'s known streams; throws, saying what came back wrong, unless all are right. */
export function streamSelfTest(av: Libav, codec: Codec): void {
  if (!codec.stream) throw new StreamError(EINVAL, `${codec.name} has no stream decoder`);
  for (const known of codec.stream.knownStreams()) {
    const session = new StreamSession(av, codec);
    const what = `${codec.name} ${known.bitDepth}-bit self-test stream`;
    try {
      known.buffers.forEach((b, i) => session.queue(b, BigInt(i)));
      session.drain();
      const format = captureFormatFor(known.width, known.height, "nv12", 1, known.bitDepth);
      const capture = new Uint8Array(format.planes[0].length);
      let pictures = 0;
      for (let e = session.take(); e; e = session.take()) {
        if (e.kind !== "picture") continue;
        pictures++;
        const mem = { planes: [{ ptr: Deno.UnsafePointer.of(capture)!, length: capture.length }] };
        if (e.picture.error) {
          session.release(e.picture);
          throw new StreamError(EIO, `${what}: its picture came flagged damaged`);
        }
        session.write(e.picture, format, mem);
      }
      if (pictures !== 1) throw new StreamError(EIO, `${what}: ${pictures} pictures, not 1`);
      const n = known.sample.length;
      const wrong = capture.findIndex((b, i) => b !== known.sample[i % n]);
      if (wrong >= 0) {
        throw new StreamError(EIO, `${what}: picture wrong at byte ${wrong}: ${capture[wrong]}`);
      }
    } finally {
      session.close();
    }
  }
}
