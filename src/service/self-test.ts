/**
 * Start-up warm-up and self-test: each codec decodes a known picture through the same core jobs
 * use.
 *
 * Clients give a request little time (GStreamer 1 s, libva 2 s, the kernel's watchdog 2 s), so
 * the first job must not pay for cold caches: the FFmpeg libraries are read once, so that their
 * code pages fault in from the page cache rather than from disk (or 9p, in the test VMs) while a
 * job waits.
 */
import type { Libav } from "../../ffi/libav.ts";
import { type Codec, CODECS } from "../codecs.ts";
import { streamSelfTest } from "../stream/self-test.ts";

/** Reads the libav libraries' files once (per process is enough). */
export function prefetchLibraries(av: Libav): void {
  const paths = [av.paths.avcodec, av.paths.avutil, av.paths.swscale];
  const chunk = new Uint8Array(1 << 20);
  for (const path of paths) {
    try {
      using f = Deno.openSync(path);
      while ((f.readSync(chunk) ?? 0) > 0) {
        // reading is the point
      }
    } catch {
      // a library that cannot be read here was still loaded: nothing to warm
    }
  }
}

/**
 * Every codec's self-tests, through the same decoders jobs and stream sessions use: a known
 * picture through its stateless decoder, its known streams through a stream session
 * (src/stream/self-test.ts). Throws at the first failure, naming the codec and the side.
 */
export function selfTest(av: Libav, codecs: readonly Codec[] = CODECS): void {
  for (const codec of codecs) {
    if (codec.stateless) {
      const decoder = codec.stateless.createDecoder(av);
      try {
        codec.stateless.selfTest(decoder);
      } catch (e) {
        throw new Error(`${codec.name}: ${(e as Error).message}`, { cause: e });
      } finally {
        decoder.close();
      }
    }
    if (codec.stream) {
      try {
        streamSelfTest(av, codec);
      } catch (e) {
        throw new Error(`${codec.name} stream: ${(e as Error).message}`, { cause: e });
      }
    }
  }
}
