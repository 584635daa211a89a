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
    driverVersion: "0.1.0",
  });
});
