/**
 * Offsets of the few libav struct fields that have no accessor function and no AVOption.
 *
 * Everything else is reached through av_opt_* by name or found at run time (get_buffer2), so
 * this table is all that must follow FFmpeg's ABI. tests/unit/ffi-layout.test.ts compiles a C
 * program against the installed headers, and against trixie's and sid's, and checks their rows.
 */
export interface LibavLayout {
  /** AVFrame's fields. */
  frame: {
    data: number; // uint8_t *data[8]
    linesize: number; // int linesize[8]
    width: number;
    height: number;
    format: number;
    pts: number; // int64_t
    decodeErrorFlags: number; // int decode_error_flags (FF_DECODE_ERROR_*)
    cropTop: number; // size_t crop_top, then crop_bottom, crop_left, crop_right
    /**
     * Where the key-frame mark is: int key_frame (mask -1) before lavc 62, which removed it;
     * then int flags' AV_FRAME_FLAG_KEY (lavc 59 and FFmpeg 6.0 have no such flag).
     */
    keyFrame: { offset: number; mask: number };
    pictType: number; // enum AVPictureType pict_type
  };
  /** AVPacket's fields. */
  packet: {
    pts: number; // int64_t
    dts: number; // int64_t
    data: number; // uint8_t *
    size: number; // int
  };
  /** AVCodec's fields. */
  codec: {
    name: number; // const char *
    id: number; // enum AVCodecID
  };
  /** AVCodecParserContext's fields. */
  parser: {
    frameOffset: number; // int64_t AVCodecParserContext.frame_offset
  };
}

/**
 * The fields at the head of AVFrame, AVPacket and AVCodec kept their offsets from lavc 59 to 63
 * (checked against the headers of 59.37, 61.19 and 63), as did AVCodecParserContext's head;
 * decode_error_flags and the crop fields, further down AVFrame, move as deprecated fields are
 * removed. New majors get a row once their headers are checked.
 */
function layout(
  decodeErrorFlags: number,
  cropTop: number,
  keyFrame: { offset: number; mask: number },
  pictType: number,
): LibavLayout {
  return {
    frame: {
      data: 0,
      linesize: 64,
      width: 104,
      height: 108,
      format: 116,
      pts: 136,
      decodeErrorFlags,
      cropTop,
      keyFrame,
      pictType,
    },
    packet: { pts: 8, dts: 16, data: 24, size: 32 },
    codec: { name: 0, id: 20 },
    parser: { frameOffset: 16 },
  };
}

/** AVFrame.key_frame, at the same offset in lavc 59 to 61. */
const KEY_FRAME_INT = { offset: 120, mask: -1 };

/** The layout of each supported libavcodec major. */
export const LAYOUTS: Readonly<Record<number, LibavLayout>> = {
  59: layout(376, 408, KEY_FRAME_INT, 124),
  60: layout(376, 408, KEY_FRAME_INT, 124),
  61: layout(344, 368, KEY_FRAME_INT, 124),
  // key_frame removed: pict_type moved up into its place
  62: layout(320, 344, { offset: 276, mask: 2 }, 120),
  63: layout(320, 344, { offset: 276, mask: 2 }, 120),
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
  /** A view of the frame at `ptr`, laid out as `layout` says. */
  constructor(readonly ptr: Deno.PointerObject, readonly layout: LibavLayout) {
    this.#v = new Deno.UnsafePointerView(ptr);
  }
  /** data[plane]: the plane's first byte. */
  data(plane: number): Deno.PointerValue {
    return Deno.UnsafePointer.create(this.#v.getBigUint64(this.layout.frame.data + 8 * plane));
  }
  /** linesize[plane]: bytes from one of the plane's rows to the next. */
  linesize(plane: number): number {
    return this.#v.getInt32(this.layout.frame.linesize + 4 * plane);
  }
  /** Its width in pixels (the coded width unless libavcodec applied the crop). */
  get width(): number {
    return this.#v.getInt32(this.layout.frame.width);
  }
  /** Its height in pixels. */
  get height(): number {
    return this.#v.getInt32(this.layout.frame.height);
  }
  /** Its libav pixel format (enum AVPixelFormat). */
  get format(): number {
    return this.#v.getInt32(this.layout.frame.format);
  }
  /** Its presentation timestamp: the pts of the packet that started it. */
  get pts(): bigint {
    return this.#v.getBigInt64(this.layout.frame.pts);
  }
  /** libavcodec marked it a key frame (an IDR or recovery point; a VP8/VP9 key frame). */
  get keyFrame(): boolean {
    const { offset, mask } = this.layout.frame.keyFrame;
    return (this.#v.getInt32(offset) & mask) !== 0;
  }
  /** Its picture type (enum AVPictureType: AV_PICTURE_TYPE_I 1, P 2, B 3, S 4, SI 5, SP 6, BI 7). */
  get pictType(): number {
    return this.#v.getInt32(this.layout.frame.pictType);
  }
  /** FF_DECODE_ERROR_* bits (FF_DECODE_ERRORS): the damage libavcodec concealed. */
  get decodeErrorFlags(): number {
    return this.#v.getInt32(this.layout.frame.decodeErrorFlags);
  }
  /**
   * The picture's crop (crop_top, crop_bottom, crop_left, crop_right): what lies outside its
   * visible rectangle when the decoder was told not to apply it (apply_cropping=0).
   */
  get crop(): { top: number; bottom: number; left: number; right: number } {
    const at = (i: number) => Number(this.#v.getBigUint64(this.layout.frame.cropTop + 8 * i));
    return { top: at(0), bottom: at(1), left: at(2), right: at(3) };
  }
}

/** A typed view of an AVPacket this process allocated (fields are written, not only read). */
export class AVPacketView {
  readonly #v: DataView;
  /** A view of the packet at `ptr`, laid out as `layout` says. */
  constructor(readonly ptr: Deno.PointerObject, readonly layout: LibavLayout) {
    this.#v = new DataView(Deno.UnsafePointerView.getArrayBuffer(ptr, 64));
  }
  /** Its presentation timestamp. */
  set pts(value: bigint) {
    this.#v.setBigInt64(this.layout.packet.pts, value, true);
  }
  /** Its decoding timestamp. */
  set dts(value: bigint) {
    this.#v.setBigInt64(this.layout.packet.dts, value, true);
  }
  /** Its bytes (not reference-counted: libavcodec copies them when it keeps them). */
  set data(p: Deno.PointerValue) {
    this.#v.setBigUint64(this.layout.packet.data, BigInt(Deno.UnsafePointer.value(p)), true);
  }
  /** Its length in bytes. */
  set size(n: number) {
    this.#v.setInt32(this.layout.packet.size, n, true);
  }
}
