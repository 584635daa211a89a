/**
 * One libavcodec decoder context that returns each packet's picture at once, in decode order.
 *
 * libavcodec outputs in display order with a reorder delay; a stateless V4L2 request needs its
 * own picture now. The picture is caught where libavcodec allocates it: get_buffer2 is replaced
 * by a callback that calls the default allocator and records the frame. With threads=1 the
 * callback runs synchronously inside avcodec_send_packet, and when send_packet returns the
 * recorded frame holds the packet's complete picture. receive_frame is drained after every
 * packet (its output is not needed) or send_packet would start refusing packets.
 */
import { cString } from "../../ffi/library.ts";
import type { Libav } from "../../ffi/libav.ts";
import { AVFrameView, AVPacketView, FF_DECODE_ERRORS } from "../../ffi/layout.ts";
import { AVERROR_EAGAIN, AVERROR_EOF, avErrorString } from "../../ffi/libavutil.ts";
import { EINVAL, EIO, ENOMEM } from "../../ffi/libc.ts";
import { JobError } from "./job.ts";

const PADDING = 64; // AV_INPUT_BUFFER_PADDING_SIZE

const GET_BUFFER2 = {
  parameters: ["pointer", "pointer", "i32"],
  result: "i32",
} as const satisfies Deno.UnsafeCallbackDefinition;

export class AvDecoder {
  #ctx: Deno.PointerObject | null = null;
  #packet: Deno.PointerObject;
  #packetView: AVPacketView;
  #drain: Deno.PointerObject;
  /** Our reference to the last captured picture (keeps its buffer alive across fields). */
  #held: Deno.PointerObject;
  #hasPicture = false;
  #recorded: Deno.PointerValue = null;
  /** libavcodec's frame of the current picture (the last one get_buffer2 gave out). */
  #picture: Deno.PointerValue = null;
  #callbackError: unknown;
  #callback: Deno.UnsafeCallback<typeof GET_BUFFER2>;
  #buf: Deno.PointerObject | null = null;
  #bufSize = 0;

  /**
   * @param threads libavcodec's slice threads (H.264 slices, VP9 tile columns, VP8 partitions):
   *   they work inside one packet and get_buffer2 stays on the calling thread, so decode order
   *   and the capture are unchanged
   */
  constructor(
    private readonly av: Libav,
    readonly codecName: string,
    private readonly threads = 1,
  ) {
    const packet = av.avcodec.av_packet_alloc();
    const drain = av.avutil.av_frame_alloc();
    const held = av.avutil.av_frame_alloc();
    if (!packet || !drain || !held) throw new JobError(ENOMEM, "out of memory");
    this.#packet = packet;
    this.#packetView = new AVPacketView(packet, av.layout);
    this.#drain = drain;
    this.#held = held;
    this.#callback = new Deno.UnsafeCallback(GET_BUFFER2, (ctx, frame, flags) => {
      // An exception escaping here would return 0 without a buffer: libavcodec aborts.
      try {
        const r = this.av.avcodec.avcodec_default_get_buffer2(ctx, frame, flags);
        if (r >= 0) this.#recorded = frame;
        return r;
      } catch (e) {
        this.#callbackError = e;
        return -ENOMEM;
      }
    });
  }

  get isOpen(): boolean {
    return this.#ctx !== null;
  }

  open(): void {
    this.closeContext();
    const { avcodec, avutil } = this.av;
    const codec = avcodec.avcodec_find_decoder_by_name(cString(this.codecName));
    if (!codec) throw new JobError(EINVAL, `libavcodec has no ${this.codecName} decoder`);
    const ctx = avcodec.avcodec_alloc_context3(codec);
    if (!ctx) throw new JobError(ENOMEM, "avcodec_alloc_context3 failed");
    this.#ctx = ctx;
    // Frame threading would capture wrong pictures and call back from foreign threads: slice
    // threads only (libavcodec calls get_buffer2 on this thread before it starts them).
    avutil.av_opt_set_int(ctx, cString("threads"), BigInt(this.threads), 0);
    avutil.av_opt_set(ctx, cString("thread_type"), cString("slice"), 0);
    // A damaged slice fails its job (the client sees V4L2_BUF_FLAG_ERROR) instead of being
    // silently concealed.
    avutil.av_opt_set(ctx, cString("err_detect"), cString("+explode"), 0);
    new DataView(Deno.UnsafePointerView.getArrayBuffer(ctx, 8, this.av.getBuffer2Offset))
      .setBigUint64(0, BigInt(Deno.UnsafePointer.value(this.#callback.pointer)), true);
    const r = avcodec.avcodec_open2(ctx, codec, null);
    if (r < 0) {
      this.closeContext();
      throw new JobError(EIO, `avcodec_open2: ${avErrorString(avutil, r)}`);
    }
  }

  /**
   * Decodes one packet (a picture, or one field of a pair) and returns its picture, or the
   * held picture when the packet allocated none (the second field of a pair).
   */
  decode(parts: readonly Uint8Array[], pts: bigint, mayReusePicture: boolean): AVFrameView {
    if (!this.#ctx) this.open();
    const ctx = this.#ctx!;
    const { avcodec, avutil } = this.av;
    let size = 0;
    for (const p of parts) size += p.length;
    this.#ensureBuffer(size);
    // The packet is assembled straight in libavcodec's (padded) input buffer: one copy.
    const buf = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(this.#buf!, size + PADDING),
    );
    let off = 0;
    for (const p of parts) {
      buf.set(p, off);
      off += p.length;
    }
    buf.fill(0, size);
    this.#packetView.data = this.#buf;
    this.#packetView.size = size;
    this.#packetView.pts = pts;
    this.#packetView.dts = pts;
    this.#recorded = null;
    this.#callbackError = undefined;
    const r = avcodec.avcodec_send_packet(ctx, this.#packet);
    this.#drainFrames();
    this.#packetView.data = null;
    this.#packetView.size = 0;
    if (this.#callbackError !== undefined) {
      throw new JobError(ENOMEM, `get_buffer2 failed: ${String(this.#callbackError)}`);
    }
    if (r < 0) {
      this.dropPicture();
      throw new JobError(EIO, `libavcodec: ${avErrorString(avutil, r)}`);
    }
    // libavcodec conceals much damage without an error code (even with err_detect=explode a
    // slice that ends early is not an error); the picture's decode_error_flags say so. Error
    // resilience runs when the field ends, inside send_packet, so they are final here.
    // A second field allocates nothing: its damage lands on the frame its first field got
    // (libavcodec's own AVFrame of that DPB slot, which lives as long as the context).
    if (this.#recorded !== null) this.#picture = this.#recorded;
    const damage = this.#picture !== null
      ? this.#damage(new AVFrameView(this.#picture, this.av.layout).decodeErrorFlags)
      : "";
    if (damage) {
      this.dropPicture();
      throw new JobError(EIO, `libavcodec: damaged picture (${damage})`);
    }
    if (this.#recorded !== null) {
      avutil.av_frame_unref(this.#held);
      if (avutil.av_frame_ref(this.#held, this.#recorded) < 0) {
        this.#hasPicture = false;
        throw new JobError(ENOMEM, "av_frame_ref failed");
      }
      this.#hasPicture = true;
      this.#recorded = null;
    } else if (!this.#hasPicture || !mayReusePicture) {
      this.dropPicture();
      throw new JobError(EIO, "the bitstream produced no picture");
    }
    return new AVFrameView(this.#held, this.av.layout);
  }

  #damage(flags: number): string {
    return FF_DECODE_ERRORS.filter(([bit]) => flags & bit).map(([, what]) => what).join(", ");
  }

  /** Forgets the held picture (a new picture starts; a lone field must not reuse it). */
  dropPicture(): void {
    this.av.avutil.av_frame_unref(this.#held);
    this.#hasPicture = false;
  }

  #drainFrames(): void {
    for (;;) {
      const r = this.av.avcodec.avcodec_receive_frame(this.#ctx!, this.#drain);
      if (r === AVERROR_EAGAIN || r === AVERROR_EOF || r < 0) break;
      this.av.avutil.av_frame_unref(this.#drain);
    }
  }

  #ensureBuffer(size: number): void {
    if (this.#buf && this.#bufSize >= size) return;
    if (this.#buf) this.av.avutil.av_free(this.#buf);
    const want = Math.max(size, this.#bufSize * 2, 65536);
    this.#buf = this.av.avutil.av_malloc(BigInt(want + PADDING));
    if (!this.#buf) {
      this.#bufSize = 0;
      throw new JobError(ENOMEM, `av_malloc(${want}) failed`);
    }
    this.#bufSize = want;
  }

  closeContext(): void {
    this.dropPicture();
    this.#picture = null;
    if (this.#ctx) {
      const holder = new BigUint64Array([BigInt(Deno.UnsafePointer.value(this.#ctx))]);
      this.av.avcodec.avcodec_free_context(holder);
      this.#ctx = null;
    }
  }

  /** Frees everything; the decoder cannot be used afterwards. */
  close(): void {
    this.closeContext();
    const { avutil, avcodec } = this.av;
    const ptrHolder = (p: Deno.PointerObject) =>
      new BigUint64Array([BigInt(Deno.UnsafePointer.value(p))]);
    avutil.av_frame_free(ptrHolder(this.#held));
    avutil.av_frame_free(ptrHolder(this.#drain));
    avcodec.av_packet_free(ptrHolder(this.#packet));
    if (this.#buf) avutil.av_free(this.#buf);
    this.#buf = null;
    this.#callback.close();
  }
}
