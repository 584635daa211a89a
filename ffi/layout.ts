/**
 * Offsets of the few libav struct fields that have no accessor function and no AVOption.
 *
 * Everything else is reached through av_opt_* by name or found at run time (get_buffer2), so
 * this table is all that must follow FFmpeg's ABI. tests/unit/ffi-layout.test.ts compiles a C
 * program against the installed headers, and against trixie's and sid's, and checks their rows.
 */
export interface LibavLayout {
  frame: {
    data: number; // uint8_t *data[8]
    linesize: number; // int linesize[8]
    width: number;
    height: number;
    format: number;
    pts: number; // int64_t
    decodeErrorFlags: number; // int decode_error_flags (FF_DECODE_ERROR_*)
  };
  packet: {
    pts: number; // int64_t
    dts: number; // int64_t
    data: number; // uint8_t *
    size: number; // int
  };
  codec: {
    name: number; // const char *
    id: number; // enum AVCodecID
  };
}

/**
 * The fields at the head of AVFrame, AVPacket and AVCodec kept their offsets from lavc 59 to 63
 * (checked against the headers of 59.37, 61.19 and 63); decode_error_flags, further down AVFrame,
 * moves as deprecated fields are removed. New majors get a row once their headers are checked.
 */
function layout(decodeErrorFlags: number): LibavLayout {
  return {
    frame: {
      data: 0,
      linesize: 64,
      width: 104,
      height: 108,
      format: 116,
      pts: 136,
      decodeErrorFlags,
    },
    packet: { pts: 8, dts: 16, data: 24, size: 32 },
    codec: { name: 0, id: 20 },
  };
}

export const LAYOUTS: Readonly<Record<number, LibavLayout>> = {
  59: layout(376),
  60: layout(376),
  61: layout(344),
  62: layout(320),
  63: layout(320),
};

/** AVFrame.decode_error_flags: FF_DECODE_ERROR_* bit → what it means. */
export const FF_DECODE_ERRORS: readonly [number, string][] = [
  [1, "invalid bitstream"],
  [2, "missing reference"],
  [4, "concealment active"],
  [8, "slices missing"],
];

/** A typed view of an AVFrame owned by libavcodec. */
export class AVFrameView {
  readonly #v: Deno.UnsafePointerView;
  constructor(readonly ptr: Deno.PointerObject, readonly layout: LibavLayout) {
    this.#v = new Deno.UnsafePointerView(ptr);
  }
  data(plane: number): Deno.PointerValue {
    return Deno.UnsafePointer.create(this.#v.getBigUint64(this.layout.frame.data + 8 * plane));
  }
  linesize(plane: number): number {
    return this.#v.getInt32(this.layout.frame.linesize + 4 * plane);
  }
  get width(): number {
    return this.#v.getInt32(this.layout.frame.width);
  }
  get height(): number {
    return this.#v.getInt32(this.layout.frame.height);
  }
  get format(): number {
    return this.#v.getInt32(this.layout.frame.format);
  }
  get pts(): bigint {
    return this.#v.getBigInt64(this.layout.frame.pts);
  }
  get decodeErrorFlags(): number {
    return this.#v.getInt32(this.layout.frame.decodeErrorFlags);
  }
}

/** A typed view of an AVPacket this process allocated (fields are written, not only read). */
export class AVPacketView {
  readonly #v: DataView;
  constructor(readonly ptr: Deno.PointerObject, readonly layout: LibavLayout) {
    this.#v = new DataView(Deno.UnsafePointerView.getArrayBuffer(ptr, 64));
  }
  set pts(value: bigint) {
    this.#v.setBigInt64(this.layout.packet.pts, value, true);
  }
  set dts(value: bigint) {
    this.#v.setBigInt64(this.layout.packet.dts, value, true);
  }
  set data(p: Deno.PointerValue) {
    this.#v.setBigUint64(this.layout.packet.data, BigInt(Deno.UnsafePointer.value(p)), true);
  }
  set size(n: number) {
    this.#v.setInt32(this.layout.packet.size, n, true);
  }
}
