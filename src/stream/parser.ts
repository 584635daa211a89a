/**
 * How a stream's bytes become the decoder's packets (StreamCodec.framing): libavcodec's bitstream
 * parser of the codec (av_parser_init/av_parser_parse2/av_parser_close) splits bytes queued in any
 * chunking into frames; a frame codec's buffers are its frames as they are. Either way each frame
 * comes with its stream offset, and the bytes sit in padded memory (AV_INPUT_BUFFER_PADDING_SIZE).
 */
import type { Libav } from "../../ffi/libav.ts";
import { EIO, ENOMEM } from "../../ffi/libc.ts";
import { StreamError } from "./error.ts";

const PADDING = 64; // AV_INPUT_BUFFER_PADDING_SIZE
/** AV_NOPTS_VALUE: the parser's own timestamps are not used (OffsetTimestamps is). */
const NOPTS = -0x8000000000000000n;

/** One frame the parser found: its bytes (valid until the next call) and stream offset. */
export interface ParsedFrame {
  /** Its first byte, in the parser's or the input's memory. */
  data: Deno.PointerObject;
  /** Its length in bytes. */
  size: number;
  /** The stream byte offset of its first byte (AVCodecParserContext.frame_offset). */
  offset: number;
}

/** Splits a stream into frames: parse() the next bytes, close() when done. */
export interface Framer {
  /**
   * Takes the next `bytes` of the stream (empty: the stream ends, a parser's last frame comes
   * out) and calls `frame` for each complete frame, in stream order.
   */
  parse(bytes: Uint8Array, frame: (f: ParsedFrame) => void): void;
  /** Frees it; it cannot be used afterwards. */
  close(): void;
}

/** A copy of the input in libav memory with zeroed padding after it, reused between calls. */
class PaddedInput {
  #ptr: Deno.PointerObject | null = null;
  #size = 0;

  constructor(private readonly av: Libav) {}

  /** `bytes` copied into the buffer (grown when needed), padding zeroed. */
  copy(bytes: Uint8Array): Deno.PointerObject {
    if (!this.#ptr || this.#size < bytes.length) {
      if (this.#ptr) this.av.avutil.av_free(this.#ptr);
      const want = Math.max(bytes.length, this.#size * 2, 65536);
      this.#ptr = this.av.avutil.av_malloc(BigInt(want + PADDING));
      this.#size = this.#ptr ? want : 0;
      if (!this.#ptr) throw new StreamError(ENOMEM, `av_malloc(${want}) failed`);
    }
    const buf = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(this.#ptr, bytes.length + PADDING),
    );
    buf.set(bytes);
    buf.fill(0, bytes.length);
    return this.#ptr;
  }

  free(): void {
    if (this.#ptr) this.av.avutil.av_free(this.#ptr);
    this.#ptr = null;
    this.#size = 0;
  }
}

/** A frame codec's framing: each buffer the client queues is one frame. */
export class WholeFrames implements Framer {
  readonly #input: PaddedInput;
  #offset = 0;

  /** Frames for the decoder from `av`'s memory. */
  constructor(av: Libav) {
    this.#input = new PaddedInput(av);
  }

  /** Calls `frame` with `bytes` as one frame (none when empty). */
  parse(bytes: Uint8Array, frame: (f: ParsedFrame) => void): void {
    if (bytes.length === 0) return;
    const offset = this.#offset;
    this.#offset += bytes.length;
    frame({ data: this.#input.copy(bytes), size: bytes.length, offset });
  }

  /** Frees its memory. */
  close(): void {
    this.#input.free();
  }
}

/** The framing `framing` names, for a stream of `codec` (the decoder's AVCodec). */
export function makeFramer(
  av: Libav,
  codec: Deno.PointerObject,
  framing: "bytestream" | "frame",
): Framer {
  return framing === "frame" ? new WholeFrames(av) : new StreamParser(av, codec);
}

/** A parser for one stream of the codec with libavcodec id `codecId`. */
export class StreamParser implements Framer {
  #parser: Deno.PointerObject;
  /** The codec context the parser reads and fills (never opened, never the decoder's). */
  readonly #ctx: Deno.PointerObject;
  readonly #out = new BigUint64Array(1);
  readonly #outSize = new Int32Array(1);
  readonly #input: PaddedInput;

  /** `codec`: the AVCodec of the stream's decoder, whose id names the parser. */
  constructor(private readonly av: Libav, codec: Deno.PointerObject) {
    const id = new Deno.UnsafePointerView(codec).getInt32(av.layout.codec.id);
    const ctx = av.avcodec.avcodec_alloc_context3(codec);
    if (!ctx) throw new StreamError(ENOMEM, "avcodec_alloc_context3 failed");
    this.#ctx = ctx;
    const parser = av.avcodec.av_parser_init(id);
    if (!parser) {
      this.#freeContext();
      throw new StreamError(ENOMEM, `av_parser_init(${id}) failed (no parser for the codec?)`);
    }
    this.#parser = parser;
    this.codecId = id;
    this.#input = new PaddedInput(av);
  }

  /** The libavcodec codec id the parser serves. */
  readonly codecId: number;

  /**
   * Parses `bytes` (the next of the stream; empty: the stream ends, the last frame comes out)
   * and calls `frame` for each complete frame, in stream order.
   */
  parse(bytes: Uint8Array, frame: (f: ParsedFrame) => void): void {
    const { avcodec } = this.av;
    const end = bytes.length === 0;
    let input: Deno.PointerObject | null = null;
    // The parser may read past the end (padding) and may return frames inside the input.
    if (!end) input = this.#input.copy(bytes);
    let off = 0;
    do {
      const at = input === null ? null : Deno.UnsafePointer.offset(input, off);
      const used = avcodec.av_parser_parse2(
        this.#parser,
        this.#ctx,
        this.#out,
        this.#outSize,
        at,
        bytes.length - off,
        NOPTS,
        NOPTS,
        0n,
      );
      off += Math.max(used, 0);
      const size = this.#outSize[0];
      const data = Deno.UnsafePointer.create(this.#out[0]);
      if (size > 0 && data !== null) {
        const offset = Number(
          new Deno.UnsafePointerView(this.#parser).getBigInt64(this.av.layout.parser.frameOffset),
        );
        frame({ data, size, offset });
      }
      if (end) break;
      if (used <= 0 && size <= 0) {
        throw new StreamError(EIO, `av_parser_parse2 took none of ${bytes.length - off} bytes`);
      }
    } while (off < bytes.length);
  }

  #freeContext(): void {
    const holder = new BigUint64Array([BigInt(Deno.UnsafePointer.value(this.#ctx))]);
    this.av.avcodec.avcodec_free_context(holder);
  }

  /** Frees the parser; it cannot be used afterwards. */
  close(): void {
    this.av.avcodec.av_parser_close(this.#parser);
    this.#freeContext();
    this.#input.free();
  }
}
