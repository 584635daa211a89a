// Parsing and serialising control-device messages.
import assert from "node:assert/strict";
import * as P from "../../src/service/protocol.ts";

const JOB: P.WireJob = {
  ctxId: 7,
  cookie: 42,
  codec: P.CODEC.h264,
  flags: P.DAEDALUS_JOB_HOLD_CAPTURE,
  timestamp: 123456789012n,
  outputIndex: 1,
  captureIndex: 3,
  outputFlags: 0x100,
  width: 640,
  height: 368,
  pixelformat: 0x3231564e,
  output: { mmapOffset: 0x10000n, length: 1 << 20, bytesperline: 0, bytesused: 4217, memoryId: 7 },
  capture: [{ mmapOffset: 0x11000n, length: 353280, bytesperline: 640, bytesused: 0, memoryId: 9 }],
  ctrls: new Map([
    [0xa40902, new Uint8Array(1048).fill(1)],
    [0xa40903, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)],
    [0xa40900, Uint8Array.of(1, 0, 0, 0)],
    [0xa40999, Uint8Array.of(9, 9, 9)], // odd size: padded to 8 on the wire
  ]),
};

Deno.test("a DECODE message survives encode → parse unchanged", () => {
  const bytes = P.encodeJobMessage(JOB);
  assert.equal(bytes.length % 8, 0);
  const m = P.parseMessage(bytes);
  assert.equal(m.type, "decode");
  if (m.type === "decode") assert.deepEqual(m.job, JOB);
});

Deno.test("context messages parse", () => {
  assert.deepEqual(P.parseMessage(P.encodeCtxMessage(P.MSG_CTX_OPEN, 5)), {
    type: "ctx_open",
    ctxId: 5,
  });
  assert.deepEqual(P.parseMessage(P.encodeCtxMessage(P.MSG_CTX_CLOSE, 5)), {
    type: "ctx_close",
    ctxId: 5,
  });
  const unknown = P.encodeCtxMessage(99, 1);
  assert.equal(P.parseMessage(unknown).type, "unknown");
});

function mutate(f: (v: DataView, b: Uint8Array) => Uint8Array | void): Uint8Array {
  const b = P.encodeJobMessage(JOB);
  return f(new DataView(b.buffer), b) ?? b;
}

Deno.test("malformed messages are rejected", () => {
  const J = P.LAYOUT.job;
  const bad: [string, Uint8Array][] = [
    ["shorter than a header", new Uint8Array(8)],
    ["size field disagrees", mutate((v) => v.setUint32(4, 9999, true))],
    ["truncated job", mutate((_, b) => b.slice(0, 100))],
    ["zero CAPTURE planes", mutate((v) => v.setUint32(J.num_capture_planes, 0, true))],
    ["four CAPTURE planes", mutate((v) => v.setUint32(J.num_capture_planes, 4, true))],
    ["ctrls_size too big", mutate((v) => v.setUint32(J.ctrls_size, 1 << 20, true))],
    ["more controls than bytes", mutate((v) => v.setUint32(J.num_ctrls, 9, true))],
    ["fewer controls than bytes", mutate((v) => v.setUint32(J.num_ctrls, 1, true))],
    ["control payload past the end", mutate((v) => v.setUint32(J.size + 4, 1 << 16, true))],
  ];
  for (const [what, bytes] of bad) {
    assert.throws(() => P.parseMessage(bytes), P.ProtocolError, what);
  }
});

Deno.test("COMPLETE: success carries plane sizes, failure carries none", () => {
  const C = P.LAYOUT.complete;
  const ok = new DataView(
    P.encodeComplete({ cookie: 42, status: 0, numPlanes: 1, bytesused: [353280] }).buffer,
  );
  assert.equal(ok.getUint32(C.cookie, true), 42);
  assert.equal(ok.getInt32(C.status, true), 0);
  assert.equal(ok.getUint32(C.num_planes, true), 1);
  assert.equal(ok.getUint32(C.bytesused, true), 353280);
  const fail = new DataView(
    P.encodeComplete({ cookie: 43, status: -5, numPlanes: 1, bytesused: [] }).buffer,
  );
  assert.equal(fail.getInt32(C.status, true), -5);
  assert.equal(fail.getUint32(C.num_planes, true), 0);
  assert.equal(fail.getUint32(C.bytesused, true), 0);
  assert.throws(() => P.encodeComplete({ cookie: 1, status: 5, numPlanes: 1, bytesused: [] }));
  assert.throws(() => P.encodeComplete({ cookie: 1, status: 0, numPlanes: 4, bytesused: [] }));
});

Deno.test("HELLO: request and reply", () => {
  const req = P.encodeHello(P.abiVersion(1, 0), 1 << P.CODEC.h264);
  const v = new DataView(req.buffer);
  assert.equal(v.getUint32(0, true), 0x10000);
  assert.equal(v.getUint32(4, true), 2);
  // the kernel fills in its half
  v.setUint32(P.LAYOUT.hello.kernel_abi_version, 0x10000, true);
  v.setUint32(P.LAYOUT.hello.kernel_codecs, 2, true);
  v.setUint32(P.LAYOUT.hello.max_msg_size, 65536, true);
  req.set(new TextEncoder().encode("0.1.0\0"), P.LAYOUT.hello.driver_version);
  assert.deepEqual(P.decodeHello(req), {
    abiVersion: 0x10000,
    codecs: 2,
    kernelAbiVersion: 0x10000,
    kernelCodecs: 2,
    maxMsgSize: 65536,
    kernelStreamCodecs: 0,
    driverVersion: "0.1.0",
  });
});

Deno.test("HELLO: stream_codecs declared only to a module of ABI 1.3 or later", () => {
  const streams = (1 << P.CODEC.h264) | (1 << P.CODEC.vp9);
  assert.equal(P.streamCodecsFor(P.abiVersion(1, 2), streams), 0, "a 1.2 module refuses it");
  assert.equal(P.streamCodecsFor(P.abiVersion(1, 3), streams), streams);
  assert.equal(P.streamCodecsFor(P.abiVersion(1, 4), streams), streams);
  const req = P.encodeHello(P.abiVersion(1, 3), 2, streams);
  const v = new DataView(req.buffer);
  assert.equal(v.getUint32(P.LAYOUT.hello.stream_codecs, true), streams);
  assert.deepEqual([...req.subarray(P.LAYOUT.hello.reserved, P.LAYOUT.hello.driver_version)], [
    ...new Uint8Array(8),
  ]);
  // a 1.2 request leaves the field zero, as before
  const old = P.encodeHello(P.abiVersion(1, 2), 2);
  assert.equal(new DataView(old.buffer).getUint32(P.LAYOUT.hello.stream_codecs, true), 0);
  v.setUint32(P.LAYOUT.hello.stream_codecs, 1 << P.CODEC.h264, true); // the module's answer
  assert.equal(P.decodeHello(req).kernelStreamCodecs, 1 << P.CODEC.h264);
});

const PLANE: P.WirePlane = {
  mmapOffset: 0x4000n,
  length: 1 << 20,
  bytesperline: 0,
  bytesused: 1777,
  memoryId: 3,
};

const STREAM_MESSAGES: P.StreamMessage[] = [
  {
    kind: "start",
    ctxId: 4,
    cookie: 0,
    epoch: 2,
    codec: P.CODEC.h264,
    pixelformat: 0x34363248,
    width: 640,
    height: 360,
  },
  {
    kind: "data",
    ctxId: 4,
    cookie: 17,
    epoch: 2,
    index: 3,
    timestamp: 0x1_0000_0001n,
    flags: 0x4000,
    data: PLANE,
  },
  {
    kind: "capture",
    ctxId: 4,
    cookie: 18,
    epoch: 2,
    index: 1,
    width: 640,
    height: 368,
    pixelformat: 0x3231564e,
    num_planes: 2,
    planes: [{ ...PLANE, bytesperline: 640 }, { ...PLANE, mmapOffset: 0x8000n, memoryId: 4 }],
  },
  ...(["drain", "resume", "capture_reset", "stop"] as const).map((kind) => ({
    kind,
    ctxId: 4,
    cookie: 0,
    epoch: 2,
  })),
];

Deno.test("stream messages survive encode → parse unchanged, at their structs' sizes and types", () => {
  const types = [4, 5, 6, 7, 8, 9, 10];
  for (const [i, msg] of STREAM_MESSAGES.entries()) {
    const bytes = P.encodeStreamMessage(msg);
    const v = new DataView(bytes.buffer);
    assert.equal(v.getUint32(P.LAYOUT.hdr.type, true), types[i], msg.kind);
    assert.equal(v.getUint32(P.LAYOUT.hdr.size_, true), bytes.length);
    assert.deepEqual(P.parseMessage(bytes), { type: "stream", msg }, msg.kind);
  }
  // The header's sizes: every stream struct's own.
  const size = (kind: P.StreamKind) =>
    P.encodeStreamMessage(STREAM_MESSAGES.find((m) => m.kind === kind)!).length;
  assert.deepEqual(
    [size("start"), size("data"), size("capture"), size("drain")],
    [
      P.LAYOUT.streamStart.size,
      P.LAYOUT.streamData.size,
      P.LAYOUT.streamCapture.size,
      P.LAYOUT.streamMsg.size,
    ],
  );
});

Deno.test("malformed stream messages are rejected", () => {
  const capture = P.encodeStreamMessage(STREAM_MESSAGES[2]);
  const zero = capture.slice();
  new DataView(zero.buffer).setUint32(P.LAYOUT.streamCapture.num_planes, 0, true);
  const four = capture.slice();
  new DataView(four.buffer).setUint32(P.LAYOUT.streamCapture.num_planes, 4, true);
  const short = P.encodeStreamMessage(STREAM_MESSAGES[1]).slice(0, P.LAYOUT.streamMsg.size);
  new DataView(short.buffer).setUint32(P.LAYOUT.hdr.size_, short.length, true);
  for (const [what, bytes] of [["no planes", zero], ["4 planes", four], ["short DATA", short]]) {
    assert.throws(() => P.parseMessage(bytes as Uint8Array), P.ProtocolError, what as string);
  }
});

Deno.test("stream ioctl arguments: written at the header's offsets, checked as the kernel checks them", () => {
  const picture: P.StreamPicture = {
    cookie: 18,
    epoch: 2,
    status: 0,
    flags: P.PICTURE_FLAG.last | P.PICTURE_FLAG.keyframe,
    timestamp: 0x1_0000_0001n,
    num_planes: 2,
    bytesused: [235520, 117760],
  };
  const bytes = P.encodeStreamArg("streamPicture", picture);
  assert.equal(bytes.length, P.LAYOUT.streamPicture.size);
  const v = new DataView(bytes.buffer);
  assert.equal(v.getUint32(P.LAYOUT.streamPicture.flags, true), 3);
  assert.equal(v.getBigUint64(P.LAYOUT.streamPicture.timestamp, true), 0x1_0000_0001n);
  assert.equal(v.getUint32(P.LAYOUT.streamPicture.bytesused + 4, true), 117760);
  assert.equal(v.getUint32(P.LAYOUT.streamPicture.bytesused + 8, true), 0);
  assert.deepEqual(P.readStruct("streamPicture", v), {
    ...picture,
    bytesused: [235520, 117760, 0],
  });
  assert.throws(() => P.encodeStreamArg("streamPicture", { ...picture, status: 5 }));
  assert.throws(() => P.encodeStreamArg("streamPicture", { ...picture, num_planes: 1 }));
  // As daedalus-stream.c checks it: a failed picture has no planes, an empty one is LAST or
  // failed, no unknown flag.
  const empty = { ...picture, num_planes: 0, bytesused: [] };
  assert.throws(() => P.encodeStreamArg("streamPicture", { ...picture, status: -5 }), /failed/);
  assert.throws(() => P.encodeStreamArg("streamPicture", { ...empty, flags: 0 }), /empty/);
  assert.throws(() => P.encodeStreamArg("streamPicture", { ...picture, flags: 16 }), /flags/);
  P.encodeStreamArg("streamPicture", { ...empty, status: -5, flags: 0 });
  P.encodeStreamArg("streamPicture", { ...empty, flags: P.PICTURE_FLAG.last });
  assert.throws(() => P.encodeStreamArg("streamDataDone", { cookie: 1, status: 22 }));
  assert.throws(
    () => P.encodeStreamArg("streamError", { ctx_id: 4, epoch: 2, error: 0, reason: "" }),
    /negative/,
  );
  const format: P.StreamFormatArg = {
    ctx_id: 4,
    epoch: 2,
    width: 640,
    height: 368,
    visible_left: 0,
    visible_top: 0,
    visible_width: 640,
    visible_height: 360,
    bit_depth: 8,
    chroma_format: 1,
    min_buffers: 4,
    colorspace: 0,
    xfer_func: 0,
    ycbcr_enc: 0,
    quantization: 0,
    fits: 0,
  };
  P.encodeStreamArg("streamFormat", format);
  for (
    const bad of [
      { visible_height: 369 },
      { visible_top: 9 },
      { bit_depth: 7 },
      { min_buffers: 0 },
      { min_buffers: 33 },
    ]
  ) {
    assert.throws(() => P.encodeStreamArg("streamFormat", { ...format, ...bad }), P.ProtocolError);
  }
  const reason = "x".repeat(100);
  const error = P.encodeStreamArg("streamError", { ctx_id: 4, epoch: 2, error: -12, reason });
  const e = P.readStruct("streamError", new DataView(error.buffer));
  assert.equal(e.error, -12);
  assert.equal(e.reason, "x".repeat(P.DAEDALUS_STREAM_REASON_SIZE - 1), "cut to fit its NUL");
});
