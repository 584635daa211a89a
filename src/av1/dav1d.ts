/**
 * One dav1d decoder context set up for stateless decoding: a frame delay of 1 (threads, if any,
 * inside one frame only) and invisible frames output, so that each coded frame's picture comes
 * out right after the data that codes it, in decode order (docs/av1.md). Film grain is never applied by the decoder
 * itself: the caller applies it (or not) as the request's FILM_GRAIN control says.
 */
import { type Dav1d, dav1d, DAV1D_EAGAIN, DAV1D_LAYOUT as L } from "../../ffi/libdav1d.ts";
import { EINVAL, EIO, ENOMEM } from "../../ffi/libc.ts";
import { JobError } from "../decoder/job.ts";

/** A decoded picture: dav1d's reference-counted buffer, read-only; unref() when done. */
export class Dav1dPicture {
  readonly buf = new Uint8Array(L.pictureBuffer);
  readonly #view = new DataView(this.buf.buffer);
  constructor(private readonly lib: Dav1d) {}

  get width(): number {
    return this.#view.getInt32(L.picture.p_w, true);
  }
  get height(): number {
    return this.#view.getInt32(L.picture.p_h, true);
  }
  get layout(): number {
    return this.#view.getInt32(L.picture.p_layout, true);
  }
  get bitDepth(): number {
    return this.#view.getInt32(L.picture.p_bpc, true);
  }
  get timestamp(): bigint {
    return this.#view.getBigInt64(L.picture.m_timestamp, true);
  }
  /** Plane `i`'s first byte (Y, Cb, Cr). */
  plane(i: number): Deno.PointerValue {
    return Deno.UnsafePointer.create(this.#view.getBigUint64(L.picture.data + 8 * i, true));
  }
  /** Line stride in bytes of plane `i` (Cb and Cr share one). */
  stride(i: number): number {
    return Number(this.#view.getBigInt64(L.picture.stride + 8 * Math.min(i, 1), true));
  }
  get empty(): boolean {
    return this.#view.getBigUint64(L.picture.data, true) === 0n;
  }
  unref(): void {
    if (!this.empty) this.lib.dav1d_picture_unref(this.buf);
  }
}

export class Dav1dDecoder {
  readonly #lib: Dav1d;
  #ctx: Deno.PointerValue = null;
  readonly #data = new Uint8Array(L.data.size);

  /**
   * `threads`: dav1d's worker threads. With a frame delay of 1 they work inside one frame only
   * (tiles, superblock rows, loop filter/CDEF/restoration), and dav1d_get_picture still returns
   * that frame before the next is sent, so decode order and bit-exactness are kept.
   */
  constructor(private readonly threads = 1) {
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new RangeError(`dav1d threads must be 1..256, not ${threads}`);
    }
    this.#lib = dav1d().symbols;
  }

  open(): void {
    this.close();
    const s = new Uint8Array(L.settings.size);
    this.#lib.dav1d_default_settings(s);
    const v = new DataView(s.buffer);
    v.setInt32(L.settings.n_threads, this.threads, true);
    v.setInt32(L.settings.max_frame_delay, 1, true);
    v.setInt32(L.settings.apply_grain, 0, true);
    v.setInt32(L.settings.all_layers, 0, true);
    v.setInt32(L.settings.output_invisible_frames, 1, true);
    v.setBigUint64(L.settings.logger_callback, 0n, true); // its va_list callback: quiet
    const out = new BigUint64Array(1);
    const r = this.#lib.dav1d_open(new Uint8Array(out.buffer), s);
    if (r < 0) throw new JobError(ENOMEM, `dav1d_open: ${r}`);
    this.#ctx = Deno.UnsafePointer.create(out[0]);
  }

  get isOpen(): boolean {
    return this.#ctx !== null;
  }

  /**
   * Sends `bytes` (whole OBUs) and returns the pictures it completes, in decode order. An error
   * flushes the decoder (dav1d can otherwise refuse every later temporal unit): the caller
   * sends the sequence header again before the next frame.
   */
  decode(bytes: Uint8Array, timestamp: bigint): Dav1dPicture[] {
    if (!this.#ctx) this.open();
    const ctx = this.#ctx!;
    const lib = this.#lib;
    const dst = lib.dav1d_data_create(this.#data, BigInt(bytes.length));
    if (!dst) throw new JobError(ENOMEM, "dav1d_data_create failed");
    new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(dst, bytes.length)).set(bytes);
    new DataView(this.#data.buffer).setBigInt64(L.data.m_timestamp, timestamp, true);
    const pictures: Dav1dPicture[] = [];
    const drain = () => {
      for (;;) {
        const pic = new Dav1dPicture(lib);
        const g = lib.dav1d_get_picture(ctx, pic.buf);
        if (g === DAV1D_EAGAIN) return;
        if (g < 0) throw new JobError(EIO, `dav1d: ${g}`);
        pictures.push(pic);
      }
    };
    try {
      for (;;) {
        const r = lib.dav1d_send_data(ctx, this.#data);
        if (r === 0) break;
        if (r !== DAV1D_EAGAIN) {
          lib.dav1d_data_unref(this.#data);
          throw new JobError(r === -22 ? EINVAL : EIO, `dav1d_send_data: ${r}`);
        }
        drain(); // a picture is pending: take it, then the data goes in
      }
      drain();
    } catch (e) {
      for (const p of pictures) p.unref();
      lib.dav1d_flush(ctx);
      throw e;
    }
    return pictures;
  }

  /** `pic` with its film grain applied, as a new picture (dav1d_apply_grain). */
  applyGrain(pic: Dav1dPicture): Dav1dPicture {
    if (!this.#ctx) throw new JobError(EINVAL, "dav1d is not open");
    const out = new Dav1dPicture(this.#lib);
    const r = this.#lib.dav1d_apply_grain(this.#ctx, out.buf, pic.buf);
    if (r < 0) throw new JobError(EIO, `dav1d_apply_grain: ${r}`);
    return out;
  }

  /** Drops every reference and pending picture (a new stream, or after an error). */
  flush(): void {
    if (this.#ctx) this.#lib.dav1d_flush(this.#ctx);
  }

  close(): void {
    if (!this.#ctx) return;
    const holder = new BigUint64Array([BigInt(Deno.UnsafePointer.value(this.#ctx))]);
    this.#lib.dav1d_close(new Uint8Array(holder.buffer));
    this.#ctx = null;
  }
}
