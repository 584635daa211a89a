/**
 * The control-device wire protocol (kmod/uapi/daedalus_v4l2.h, docs/protocol.md) as typed
 * values: ioctl numbers, struct layouts, and parsing/serialising of messages.
 * tests/unit/protocol-layout.test.ts checks every offset and number against the header.
 */

export const DAEDALUS_ABI_MAJOR = 1;
export const DAEDALUS_ABI_MINOR = 3;
export const abiVersion = (major: number, minor: number): number => (major << 16) | minor;
export const DAEDALUS_MAX_MSG_SIZE = 1 << 20;
export const DAEDALUS_MAX_PLANES = 3;
export const DAEDALUS_JOB_HOLD_CAPTURE = 1;

/** Wire codec ids (enum daedalus_codec); mpeg1 and later only on the stateful node (ABI 1.3). */
export const CODEC = {
  none: 0,
  h264: 1,
  hevc: 2,
  vp8: 3,
  vp9: 4,
  mpeg2: 5,
  av1: 6,
  mpeg1: 7,
  mpeg4: 8,
  h263: 9,
  vc1: 10,
  vc1l: 11,
} as const;
export type WireCodecName = keyof typeof CODEC;
export const codecBit = (codec: number): number => 1 << codec;
export function codecName(codec: number): WireCodecName | undefined {
  return (Object.keys(CODEC) as WireCodecName[]).find((k) => CODEC[k] === codec);
}

export const MSG_CTX_OPEN = 1;
export const MSG_CTX_CLOSE = 2;
export const MSG_DECODE = 3;
/** Stream messages (ABI 1.3; docs/protocol.md "Streams"). */
export const MSG_STREAM_START = 4;
export const MSG_STREAM_DATA = 5;
export const MSG_STREAM_CAPTURE = 6;
export const MSG_STREAM_DRAIN = 7;
export const MSG_STREAM_RESUME = 8;
export const MSG_STREAM_CAPTURE_RESET = 9;
export const MSG_STREAM_STOP = 10;
/** `struct daedalus_stream_picture` flags. */
export const PICTURE_FLAG = { last: 1, keyframe: 2, pframe: 4, bframe: 8 } as const;
export const DAEDALUS_STREAM_REASON_SIZE = 64;

export const LAYOUT = {
  hello: {
    size: 64,
    abi_version: 0,
    codecs: 4,
    kernel_abi_version: 8,
    kernel_codecs: 12,
    max_msg_size: 16,
    stream_codecs: 20,
    reserved: 24,
    driver_version: 32,
  },
  fetch: { size: 16, buf: 0, buf_size: 8, msg_size: 12 },
  hdr: { size: 16, type: 0, size_: 4, ctx_id: 8, cookie: 12 },
  plane: { size: 24, mmap_offset: 0, length: 8, bytesperline: 12, bytesused: 16, memory_id: 20 },
  job: {
    size: 168,
    hdr: 0,
    codec: 16,
    flags: 20,
    timestamp: 24,
    output_index: 32,
    capture_index: 36,
    output_flags: 40,
    width: 44,
    height: 48,
    pixelformat: 52,
    num_capture_planes: 56,
    reserved0: 60,
    output: 64,
    capture: 88,
    num_ctrls: 160,
    ctrls_size: 164,
  },
  ctrl: { size: 8, id: 0, size_: 4 },
  complete: {
    size: 32,
    cookie: 0,
    status: 4,
    num_planes: 8,
    reserved: 12,
    bytesused: 16,
    reserved2: 28,
  },
  streamMsg: { size: 24, hdr: 0, epoch: 16, reserved: 20 },
  streamStart: {
    size: 40,
    hdr: 0,
    epoch: 16,
    codec: 20,
    pixelformat: 24,
    width: 28,
    height: 32,
    reserved: 36,
  },
  streamData: {
    size: 64,
    hdr: 0,
    epoch: 16,
    index: 20,
    timestamp: 24,
    flags: 32,
    reserved: 36,
    data: 40,
  },
  streamCapture: {
    size: 112,
    hdr: 0,
    epoch: 16,
    index: 20,
    width: 24,
    height: 28,
    pixelformat: 32,
    num_planes: 36,
    planes: 40,
  },
  streamDataDone: { size: 16, cookie: 0, status: 4, reserved: 8 },
  streamPicture: {
    size: 40,
    cookie: 0,
    epoch: 4,
    status: 8,
    flags: 12,
    timestamp: 16,
    num_planes: 24,
    bytesused: 28,
  },
  streamFormat: {
    size: 80,
    ctx_id: 0,
    epoch: 4,
    width: 8,
    height: 12,
    visible_left: 16,
    visible_top: 20,
    visible_width: 24,
    visible_height: 28,
    bit_depth: 32,
    chroma_format: 36,
    min_buffers: 40,
    colorspace: 44,
    xfer_func: 48,
    ycbcr_enc: 52,
    quantization: 56,
    fits: 60,
    reserved: 64,
  },
  streamError: { size: 80, ctx_id: 0, epoch: 4, error: 8, reserved: 12, reason: 16 },
} as const;

// _IOC(dir, type, nr, size) as in include/uapi/asm-generic/ioctl.h (x86, arm64, riscv).
const IOC_WRITE = 1, IOC_READ = 2;
const ioc = (dir: number, nr: number, size: number): bigint =>
  BigInt(((dir << 30) | (size << 16) | (0xda << 8) | nr) >>> 0);
export const DAEDALUS_IOC_VERSION = ioc(IOC_READ, 0, 4);
export const DAEDALUS_IOC_HELLO = ioc(IOC_READ | IOC_WRITE, 1, LAYOUT.hello.size);
export const DAEDALUS_IOC_FETCH = ioc(IOC_READ | IOC_WRITE, 2, LAYOUT.fetch.size);
export const DAEDALUS_IOC_COMPLETE = ioc(IOC_WRITE, 3, LAYOUT.complete.size);
/** Stream answers (ABI 1.3). */
export const DAEDALUS_IOC_STREAM_DATA_DONE = ioc(IOC_WRITE, 4, LAYOUT.streamDataDone.size);
export const DAEDALUS_IOC_STREAM_PICTURE = ioc(IOC_WRITE, 5, LAYOUT.streamPicture.size);
export const DAEDALUS_IOC_STREAM_FORMAT = ioc(IOC_READ | IOC_WRITE, 6, LAYOUT.streamFormat.size);
export const DAEDALUS_IOC_STREAM_ERROR = ioc(IOC_WRITE, 7, LAYOUT.streamError.size);

export class ProtocolError extends Error {
  override name = "ProtocolError";
}

export interface Hello {
  abiVersion: number;
  codecs: number;
  kernelAbiVersion: number;
  kernelCodecs: number;
  maxMsgSize: number;
  /** The module's stream codecs (ABI 1.3; 0 from an older module). */
  kernelStreamCodecs: number;
  driverVersion: string;
}

/**
 * HELLO's request. `streamCodecs` (ABI 1.3) must stay 0 for a module whose VERSION minor is
 * below 3: it refuses a nonzero reserved field (streamCodecsFor()).
 */
export function encodeHello(
  abi: number,
  codecs: number,
  streamCodecs = 0,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(LAYOUT.hello.size);
  const v = new DataView(out.buffer);
  v.setUint32(LAYOUT.hello.abi_version, abi, true);
  v.setUint32(LAYOUT.hello.codecs, codecs, true);
  v.setUint32(LAYOUT.hello.stream_codecs, streamCodecs, true);
  return out;
}

/** The stream codecs a daemon declares to a module of ABI `moduleVersion`: none before 1.3. */
export function streamCodecsFor(moduleVersion: number, daemonStreamCodecs: number): number {
  return (moduleVersion & 0xffff) >= 3 ? daemonStreamCodecs : 0;
}

export function decodeHello(bytes: Uint8Array): Hello {
  const v = new DataView(bytes.buffer, bytes.byteOffset, LAYOUT.hello.size);
  const name = bytes.subarray(LAYOUT.hello.driver_version, LAYOUT.hello.size);
  const nul = name.indexOf(0);
  return {
    abiVersion: v.getUint32(LAYOUT.hello.abi_version, true),
    codecs: v.getUint32(LAYOUT.hello.codecs, true),
    kernelAbiVersion: v.getUint32(LAYOUT.hello.kernel_abi_version, true),
    kernelCodecs: v.getUint32(LAYOUT.hello.kernel_codecs, true),
    maxMsgSize: v.getUint32(LAYOUT.hello.max_msg_size, true),
    kernelStreamCodecs: v.getUint32(LAYOUT.hello.stream_codecs, true),
    driverVersion: new TextDecoder().decode(nul >= 0 ? name.subarray(0, nul) : name),
  };
}

export interface WirePlane {
  mmapOffset: bigint;
  length: number;
  bytesperline: number;
  bytesused: number;
  /**
   * The buffer memory's id (ABI 1.2): a mapping made for an earlier job with the same nonzero
   * id may be used again. 0: unknown (an ABI 1.1 module), map for this job only.
   */
  memoryId: number;
}

export interface WireJob {
  ctxId: number;
  cookie: number;
  codec: number;
  flags: number;
  timestamp: bigint;
  outputIndex: number;
  captureIndex: number;
  outputFlags: number;
  width: number;
  height: number;
  pixelformat: number;
  output: WirePlane;
  capture: WirePlane[];
  ctrls: Map<number, Uint8Array>;
}

export type Message =
  | { type: "ctx_open"; ctxId: number }
  | { type: "ctx_close"; ctxId: number }
  | { type: "decode"; job: WireJob }
  | { type: "stream"; msg: StreamMessage }
  | { type: "unknown"; msgType: number; ctxId: number; cookie: number };

const pad8 = (n: number) => (n + 7) & ~7;

function readPlane(v: DataView, off: number): WirePlane {
  const P = LAYOUT.plane;
  return {
    mmapOffset: v.getBigUint64(off + P.mmap_offset, true),
    length: v.getUint32(off + P.length, true),
    bytesperline: v.getUint32(off + P.bytesperline, true),
    bytesused: v.getUint32(off + P.bytesused, true),
    memoryId: v.getUint32(off + P.memory_id, true),
  };
}

function writePlane(v: DataView, off: number, p: WirePlane): void {
  const P = LAYOUT.plane;
  v.setBigUint64(off + P.mmap_offset, p.mmapOffset, true);
  v.setUint32(off + P.length, p.length, true);
  v.setUint32(off + P.bytesperline, p.bytesperline, true);
  v.setUint32(off + P.bytesused, p.bytesused, true);
  v.setUint32(off + P.memory_id, p.memoryId, true);
}

/** Parses one message FETCH returned; anything malformed is a ProtocolError. */
export function parseMessage(bytes: Uint8Array): Message {
  if (bytes.length < LAYOUT.hdr.size) throw new ProtocolError(`message of ${bytes.length} bytes`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = v.getUint32(LAYOUT.hdr.type, true);
  const size = v.getUint32(LAYOUT.hdr.size_, true);
  const ctxId = v.getUint32(LAYOUT.hdr.ctx_id, true);
  const cookie = v.getUint32(LAYOUT.hdr.cookie, true);
  if (size !== bytes.length) {
    throw new ProtocolError(`header says ${size} bytes, message has ${bytes.length}`);
  }
  if (type === MSG_CTX_OPEN) return { type: "ctx_open", ctxId };
  if (type === MSG_CTX_CLOSE) return { type: "ctx_close", ctxId };
  const kind = STREAM_KINDS.find((k) => STREAM_MSG_TYPES[k] === type);
  if (kind) return { type: "stream", msg: parseStreamMessage(kind, v, ctxId, cookie) };
  if (type !== MSG_DECODE) return { type: "unknown", msgType: type, ctxId, cookie };

  const J = LAYOUT.job;
  if (size < J.size) throw new ProtocolError(`DECODE message of ${size} bytes`);
  const numPlanes = v.getUint32(J.num_capture_planes, true);
  if (numPlanes < 1 || numPlanes > DAEDALUS_MAX_PLANES) {
    throw new ProtocolError(`${numPlanes} CAPTURE planes`);
  }
  const numCtrls = v.getUint32(J.num_ctrls, true);
  const ctrlsSize = v.getUint32(J.ctrls_size, true);
  if (J.size + ctrlsSize !== size) {
    throw new ProtocolError(`ctrls_size ${ctrlsSize} does not fill a ${size}-byte message`);
  }
  const ctrls = new Map<number, Uint8Array>();
  let off = J.size;
  for (let i = 0; i < numCtrls; i++) {
    if (off + LAYOUT.ctrl.size > size) throw new ProtocolError(`control ${i} past the message`);
    const id = v.getUint32(off + LAYOUT.ctrl.id, true);
    const len = v.getUint32(off + LAYOUT.ctrl.size_, true);
    const start = off + LAYOUT.ctrl.size;
    if (start + len > size) {
      throw new ProtocolError(`control 0x${id.toString(16)} past the message`);
    }
    ctrls.set(id, bytes.slice(start, start + len));
    off = start + pad8(len);
  }
  if (off !== size) throw new ProtocolError(`${size - off} bytes after ${numCtrls} controls`);
  const capture: WirePlane[] = [];
  for (let i = 0; i < numPlanes; i++) capture.push(readPlane(v, J.capture + i * LAYOUT.plane.size));
  return {
    type: "decode",
    job: {
      ctxId,
      cookie,
      codec: v.getUint32(J.codec, true),
      flags: v.getUint32(J.flags, true),
      timestamp: v.getBigUint64(J.timestamp, true),
      outputIndex: v.getUint32(J.output_index, true),
      captureIndex: v.getUint32(J.capture_index, true),
      outputFlags: v.getUint32(J.output_flags, true),
      width: v.getUint32(J.width, true),
      height: v.getUint32(J.height, true),
      pixelformat: v.getUint32(J.pixelformat, true),
      output: readPlane(v, J.output),
      capture,
      ctrls,
    },
  };
}

/** Serialises a DECODE message as the kernel does (for tests and test backends). */
export function encodeJobMessage(job: WireJob): Uint8Array<ArrayBuffer> {
  const J = LAYOUT.job;
  let ctrlsSize = 0;
  for (const payload of job.ctrls.values()) ctrlsSize += LAYOUT.ctrl.size + pad8(payload.length);
  const out = new Uint8Array(J.size + ctrlsSize);
  const v = new DataView(out.buffer);
  v.setUint32(LAYOUT.hdr.type, MSG_DECODE, true);
  v.setUint32(LAYOUT.hdr.size_, out.length, true);
  v.setUint32(LAYOUT.hdr.ctx_id, job.ctxId, true);
  v.setUint32(LAYOUT.hdr.cookie, job.cookie, true);
  v.setUint32(J.codec, job.codec, true);
  v.setUint32(J.flags, job.flags, true);
  v.setBigUint64(J.timestamp, job.timestamp, true);
  v.setUint32(J.output_index, job.outputIndex, true);
  v.setUint32(J.capture_index, job.captureIndex, true);
  v.setUint32(J.output_flags, job.outputFlags, true);
  v.setUint32(J.width, job.width, true);
  v.setUint32(J.height, job.height, true);
  v.setUint32(J.pixelformat, job.pixelformat, true);
  v.setUint32(J.num_capture_planes, job.capture.length, true);
  writePlane(v, J.output, job.output);
  job.capture.forEach((p, i) => writePlane(v, J.capture + i * LAYOUT.plane.size, p));
  v.setUint32(J.num_ctrls, job.ctrls.size, true);
  v.setUint32(J.ctrls_size, ctrlsSize, true);
  let off = J.size;
  for (const [id, payload] of job.ctrls) {
    v.setUint32(off + LAYOUT.ctrl.id, id, true);
    v.setUint32(off + LAYOUT.ctrl.size_, payload.length, true);
    out.set(payload, off + LAYOUT.ctrl.size);
    off += LAYOUT.ctrl.size + pad8(payload.length);
  }
  return out;
}

/** A context message as the kernel sends it (for tests). */
export function encodeCtxMessage(type: number, ctxId: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(LAYOUT.hdr.size);
  const v = new DataView(out.buffer);
  v.setUint32(LAYOUT.hdr.type, type, true);
  v.setUint32(LAYOUT.hdr.size_, out.length, true);
  v.setUint32(LAYOUT.hdr.ctx_id, ctxId, true);
  return out;
}

export interface Complete {
  cookie: number;
  /** 0 or a negative errno. */
  status: number;
  /** The job's CAPTURE plane count (sent when status is 0). */
  numPlanes: number;
  /** Per plane; zeros for a held slice. */
  bytesused: number[];
}

export function encodeComplete(c: Complete): Uint8Array<ArrayBuffer> {
  const C = LAYOUT.complete;
  if (c.numPlanes > DAEDALUS_MAX_PLANES || c.bytesused.length > c.numPlanes) {
    throw new ProtocolError(`${c.numPlanes} planes, ${c.bytesused.length} sizes`);
  }
  if (c.status > 0) throw new ProtocolError(`status ${c.status} is not 0 or a negative errno`);
  const out = new Uint8Array(C.size);
  const v = new DataView(out.buffer);
  v.setUint32(C.cookie, c.cookie, true);
  v.setInt32(C.status, c.status, true);
  v.setUint32(C.num_planes, c.status === 0 ? c.numPlanes : 0, true);
  if (c.status === 0) c.bytesused.forEach((b, i) => v.setUint32(C.bytesused + 4 * i, b, true));
  return out;
}

/*
 * Streams (ABI 1.3, docs/protocol.md "Streams"): each struct is read and written through its
 * field table (member → C type) and its LAYOUT offsets, by one reader and one writer.
 */

/** A struct member's C type: __u32, __s32, __u64, a daedalus_plane, the planes or bytesused arrays, the reason. */
export type FieldKind = "u32" | "s32" | "u64" | "plane" | "planes" | "u32s" | "reason";
/** The value a member of C type `K` reads as. */
export type FieldValue<K extends FieldKind> = K extends "u64" ? bigint
  : K extends "plane" ? WirePlane
  : K extends "planes" ? WirePlane[]
  : K extends "u32s" ? number[]
  : K extends "reason" ? string
  : number;
/** A struct's members (past any message header) and their C types. */
export type FieldTable = Readonly<Record<string, FieldKind>>;
/** The values of a field table's members, by member name. */
export type StructValues<F extends FieldTable> = { -readonly [K in keyof F]: FieldValue<F[K]> };

/** The stream structs' members (past the message header), as the uAPI header declares them. */
export const STREAM_FIELDS = {
  streamMsg: { epoch: "u32" },
  streamStart: { epoch: "u32", codec: "u32", pixelformat: "u32", width: "u32", height: "u32" },
  streamData: { epoch: "u32", index: "u32", timestamp: "u64", flags: "u32", data: "plane" },
  streamCapture: {
    epoch: "u32",
    index: "u32",
    width: "u32",
    height: "u32",
    pixelformat: "u32",
    num_planes: "u32",
    planes: "planes",
  },
  streamDataDone: { cookie: "u32", status: "s32" },
  streamPicture: {
    cookie: "u32",
    epoch: "u32",
    status: "s32",
    flags: "u32",
    timestamp: "u64",
    num_planes: "u32",
    bytesused: "u32s",
  },
  streamFormat: {
    ctx_id: "u32",
    epoch: "u32",
    width: "u32",
    height: "u32",
    visible_left: "u32",
    visible_top: "u32",
    visible_width: "u32",
    visible_height: "u32",
    bit_depth: "u32",
    chroma_format: "u32",
    min_buffers: "u32",
    colorspace: "u32",
    xfer_func: "u32",
    ycbcr_enc: "u32",
    quantization: "u32",
    fits: "u32",
  },
  streamError: { ctx_id: "u32", epoch: "u32", error: "s32", reason: "reason" },
} as const satisfies Record<string, FieldTable>;

/** The stream structs STREAM_FIELDS describes. */
export type StreamStruct = keyof typeof STREAM_FIELDS;
/** The values of stream struct `S`. */
export type StreamStructValues<S extends StreamStruct> = StructValues<(typeof STREAM_FIELDS)[S]>;

/** Reads struct `name`'s members from `v` at `base`. */
export function readStruct<S extends StreamStruct>(
  name: S,
  v: DataView,
  base = 0,
): StreamStructValues<S> {
  const offsets = LAYOUT[name] as Record<string, number>;
  const out: Record<string, unknown> = {};
  for (const [field, kind] of Object.entries(STREAM_FIELDS[name]) as [string, FieldKind][]) {
    const off = base + offsets[field];
    const planes = () =>
      Array.from(
        { length: DAEDALUS_MAX_PLANES },
        (_, i) => readPlane(v, off + i * LAYOUT.plane.size),
      );
    out[field] = kind === "u32"
      ? v.getUint32(off, true)
      : kind === "s32"
      ? v.getInt32(off, true)
      : kind === "u64"
      ? v.getBigUint64(off, true)
      : kind === "plane"
      ? readPlane(v, off)
      : kind === "planes"
      ? planes()
      : kind === "u32s"
      ? Array.from({ length: DAEDALUS_MAX_PLANES }, (_, i) => v.getUint32(off + 4 * i, true))
      : readReason(new Uint8Array(v.buffer, v.byteOffset + off, DAEDALUS_STREAM_REASON_SIZE));
  }
  return out as StreamStructValues<S>;
}

/** Writes struct `name`'s members into `v` at `base`; arrays may be shorter than the struct's. */
export function writeStruct<S extends StreamStruct>(
  name: S,
  v: DataView,
  values: StreamStructValues<S>,
  base = 0,
): void {
  const offsets = LAYOUT[name] as Record<string, number>;
  const all = values as Record<string, unknown>;
  for (const [field, kind] of Object.entries(STREAM_FIELDS[name]) as [string, FieldKind][]) {
    const off = base + offsets[field];
    const value = all[field];
    if (kind === "u32") v.setUint32(off, value as number, true);
    else if (kind === "s32") v.setInt32(off, value as number, true);
    else if (kind === "u64") v.setBigUint64(off, value as bigint, true);
    else if (kind === "plane") writePlane(v, off, value as WirePlane);
    else if (kind === "planes") {
      (value as WirePlane[]).forEach((p, i) => writePlane(v, off + i * LAYOUT.plane.size, p));
    } else if (kind === "u32s") {
      (value as number[]).forEach((n, i) => v.setUint32(off + 4 * i, n, true));
    } else {
      const bytes = new TextEncoder().encode(value as string);
      const room = new Uint8Array(v.buffer, v.byteOffset + off, DAEDALUS_STREAM_REASON_SIZE);
      room.fill(0);
      room.set(bytes.subarray(0, DAEDALUS_STREAM_REASON_SIZE - 1));
    }
  }
}

function readReason(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? bytes.subarray(0, nul) : bytes);
}

/** The stream messages' types (enum daedalus_msg_type) by kind. */
export const STREAM_MSG_TYPES = {
  start: MSG_STREAM_START,
  data: MSG_STREAM_DATA,
  capture: MSG_STREAM_CAPTURE,
  drain: MSG_STREAM_DRAIN,
  resume: MSG_STREAM_RESUME,
  capture_reset: MSG_STREAM_CAPTURE_RESET,
  stop: MSG_STREAM_STOP,
} as const;
const STREAM_KINDS = Object.keys(STREAM_MSG_TYPES) as StreamKind[];
/** A stream message's kind. */
export type StreamKind = keyof typeof STREAM_MSG_TYPES;
/** The struct of stream message kind `K`. */
export type StructOf<K extends StreamKind> = K extends "start" ? "streamStart"
  : K extends "data" ? "streamData"
  : K extends "capture" ? "streamCapture"
  : "streamMsg";
const structOf = (kind: StreamKind): StreamStruct =>
  kind === "start"
    ? "streamStart"
    : kind === "data"
    ? "streamData"
    : kind === "capture"
    ? "streamCapture"
    : "streamMsg";

/** One stream message: its kind, context and cookie, then its struct's members. */
export type StreamMessage = {
  [K in StreamKind]: { kind: K; ctxId: number; cookie: number } & StreamStructValues<StructOf<K>>;
}[StreamKind];

function parseStreamMessage(
  kind: StreamKind,
  v: DataView,
  ctxId: number,
  cookie: number,
): StreamMessage {
  const struct = structOf(kind);
  if (v.byteLength !== LAYOUT[struct].size) {
    throw new ProtocolError(`${kind} stream message of ${v.byteLength} bytes`);
  }
  const m = { kind, ctxId, cookie, ...readStruct(struct, v) } as StreamMessage;
  if (m.kind === "capture") {
    const n = m.num_planes;
    if (n < 1 || n > DAEDALUS_MAX_PLANES) throw new ProtocolError(`${n} CAPTURE planes`);
    m.planes = m.planes.slice(0, n);
  }
  return m;
}

/** Serialises a stream message as the kernel does (for tests and test backends). */
export function encodeStreamMessage(m: StreamMessage): Uint8Array<ArrayBuffer> {
  const struct = structOf(m.kind);
  const out = new Uint8Array(LAYOUT[struct].size);
  const v = new DataView(out.buffer);
  v.setUint32(LAYOUT.hdr.type, STREAM_MSG_TYPES[m.kind], true);
  v.setUint32(LAYOUT.hdr.size_, out.length, true);
  v.setUint32(LAYOUT.hdr.ctx_id, m.ctxId, true);
  v.setUint32(LAYOUT.hdr.cookie, m.cookie, true);
  writeStruct(struct, v, m as unknown as StreamStructValues<typeof struct>);
  return out;
}

/** STREAM_DATA_DONE's argument. */
export type StreamDataDone = StreamStructValues<"streamDataDone">;
/** STREAM_PICTURE's argument (`bytesused`: one per plane written, none for an empty buffer). */
export type StreamPicture = StreamStructValues<"streamPicture">;
/** STREAM_FORMAT's argument (`fits` is the kernel's answer). */
export type StreamFormatArg = StreamStructValues<"streamFormat">;
/** STREAM_ERROR's argument (`error` a negative errno, `reason` at most 63 bytes). */
export type StreamErrorArg = StreamStructValues<"streamError">;

/** A stream ioctl's argument bytes, checked as the kernel checks them. */
export function encodeStreamArg<
  S extends "streamDataDone" | "streamPicture" | "streamFormat" | "streamError",
>(
  name: S,
  values: StreamStructValues<S>,
): Uint8Array<ArrayBuffer> {
  const all = values as Record<string, unknown>;
  const status = (all.status ?? all.error) as number | undefined;
  if (status !== undefined && status > 0) {
    throw new ProtocolError(`${name}: status ${status} is not 0 or a negative errno`);
  }
  if (name === "streamError" && (values as StreamErrorArg).error >= 0) {
    throw new ProtocolError("a stream error's errno must be negative");
  }
  if (name === "streamFormat") {
    const f = values as StreamFormatArg;
    const inside = f.visible_width > 0 && f.visible_height > 0 &&
      f.visible_left + f.visible_width <= f.width && f.visible_top + f.visible_height <= f.height;
    if (!inside || f.bit_depth < 8 || f.bit_depth > 16 || f.chroma_format > 3) {
      throw new ProtocolError(
        `format ${f.width}x${f.height}, visible ${f.visible_width}x${f.visible_height}` +
          `+${f.visible_left}+${f.visible_top}, ${f.bit_depth} bits, chroma ${f.chroma_format}`,
      );
    }
    if (f.min_buffers < 1 || f.min_buffers > 32) {
      throw new ProtocolError(`min_buffers ${f.min_buffers}: 1 to 32 (the node's bound)`);
    }
  }
  if (name === "streamPicture") {
    const p = values as StreamPicture;
    if (p.num_planes > DAEDALUS_MAX_PLANES || p.bytesused.length !== p.num_planes) {
      throw new ProtocolError(`${p.num_planes} planes, ${p.bytesused.length} sizes`);
    }
    const known = PICTURE_FLAG.last | PICTURE_FLAG.keyframe | PICTURE_FLAG.pframe |
      PICTURE_FLAG.bframe;
    if (p.flags & ~known) throw new ProtocolError(`picture flags 0x${p.flags.toString(16)}`);
    // A failed picture has no planes; an empty one is a LAST or a failure.
    if (p.status !== 0 && p.num_planes !== 0) {
      throw new ProtocolError(`a failed picture (${p.status}) with ${p.num_planes} planes`);
    }
    if (p.num_planes === 0 && p.status === 0 && !(p.flags & PICTURE_FLAG.last)) {
      throw new ProtocolError("an empty picture that is neither LAST nor failed");
    }
  }
  const out = new Uint8Array(LAYOUT[name].size);
  writeStruct(name, new DataView(out.buffer), values);
  return out;
}
