/**
 * libavcodec's bitstream parser of one codec (av_parser_init/av_parser_parse2/av_parser_close):
 * splits bytes queued in any chunking into the codec's frames, each with its stream offset.
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

/** A parser for one stream of the codec with libavcodec id `codecId`. */
export class StreamParser {
  #parser: Deno.PointerObject;
  /** The codec context the parser reads and fills (never opened, never the decoder's). */
  readonly #ctx: Deno.PointerObject;
  readonly #out = new BigUint64Array(1);
  readonly #outSize = new Int32Array(1);
  #input: Deno.PointerObject | null = null;
  #inputSize = 0;

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
    if (!end) {
      // The parser may read past the end (padding) and may return frames inside the input.
      input = this.#ensureInput(bytes.length);
      const buf = new Uint8Array(
        Deno.UnsafePointerView.getArrayBuffer(input, bytes.length + PADDING),
      );
      buf.set(bytes);
      buf.fill(0, bytes.length);
    }
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

  #ensureInput(size: number): Deno.PointerObject {
    if (this.#input && this.#inputSize >= size) return this.#input;
    if (this.#input) this.av.avutil.av_free(this.#input);
    const want = Math.max(size, this.#inputSize * 2, 65536);
    this.#input = this.av.avutil.av_malloc(BigInt(want + PADDING));
    this.#inputSize = this.#input ? want : 0;
    if (!this.#input) throw new StreamError(ENOMEM, `av_malloc(${want}) failed`);
    return this.#input;
  }

  #freeContext(): void {
    const holder = new BigUint64Array([BigInt(Deno.UnsafePointer.value(this.#ctx))]);
    this.av.avcodec.avcodec_free_context(holder);
  }

  /** Frees the parser; it cannot be used afterwards. */
  close(): void {
    this.av.avcodec.av_parser_close(this.#parser);
    this.#freeContext();
    if (this.#input) this.av.avutil.av_free(this.#input);
    this.#input = null;
  }
}
