// The service's stream path (docs/stateful.md "Daemon", docs/protocol.md "Streams") over the
// control-device double: stream messages go to the context's decode thread, a session per
// context answers through the stream ioctls, from the service thread. Pictures bit-exact against
// ffmpeg's own decode; timestamps those of the session (checked against ffprobe in
// stream-session.test.ts) for the same chunking.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { ENOMEM, ENOTSUP, ETIMEDOUT } from "../../ffi/libc.ts";
import { H264 } from "../../src/h264/codec.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import * as P from "../../src/service/protocol.ts";
import type { DaedalusService } from "../../src/service/service.ts";
import { decodeStreamFile } from "../../src/stream/file.ts";
import { withService } from "../lib/service-fixture.ts";
import { StatefulClient } from "../lib/stream-port.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { VP9_MATRIX } from "../lib/vpx-matrix.ts";
import { REFUSED_STREAMS, STREAM_MATRIX } from "../lib/stream-matrix.ts";
import { ffmpegFrameMd5s, streamFile } from "../lib/streams.ts";

const BPYRAMID = MATRIX.find((r) => r.name === "main-cabac-bpyramid-640x360")!;
/** An odd chunk size: access units cut anywhere, several in a chunk too. */
const CHUNK = 1777;

function chunks(data: Uint8Array, size = CHUNK): Uint8Array[] {
  return Array.from(
    { length: Math.ceil(data.length / size) },
    (_, i) => data.subarray(i * size, (i + 1) * size),
  );
}

const stampOf = (epoch: number, i: number) => BigInt(epoch * 1_000_000 + i * 1000);

/**
 * The V4L2 buffer flags chunk `i` is queued with: frame flags (KEYFRAME 0x08, PFRAME 0x10, BFRAME
 * 0x20) in turn, TIMECODE (0x400, not a frame flag) on some.
 */
const flagsOf = (i: number) => [0x08, 0x10 | 0x400, 0x20, 0][i % 4];

/** Every chunk through `client`, each once an OUTPUT buffer is free (flagsOf its index). */
async function feed(client: StatefulClient, parts: Uint8Array[]): Promise<void> {
  for (const [i, c] of parts.entries()) {
    await client.data(c, stampOf(client.epoch, i), undefined, flagsOf(i));
  }
}

/** Waits until the service and the client have nothing more to do (no timing involved). */
async function quiesce(service: DaedalusService, client: StatefulClient): Promise<void> {
  for (let before = "";;) {
    await service.settle();
    await new Promise((r) => setTimeout(r, 0));
    const now = `${client.sent}/${client.answered}/${client.pictures.length}`;
    if (now === before) return;
    before = now;
  }
}

Deno.test("service streams: a whole H.264 stream in odd chunks, bit-exact with its timestamps, the last picture alone LAST", async () => {
  const file = await streamFile(BPYRAMID);
  const data = await Deno.readFile(file);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  const session = decodeStreamFile(libav(), data, {
    pixFmt: "nv12",
    md5: false,
    chunk: CHUNK,
    codec: H264,
  });
  await withService({ threads: 2 }, async (service, port) => {
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 5));
    const client = new StatefulClient(service, port, 5, P.CODEC.h264);
    client.start(640, 360);
    const parts = chunks(data);
    await feed(client, parts);
    await client.drain();
    await quiesce(service, client);
    assert.deepEqual(client.errors, []);
    const shown = client.shown();
    assert.deepEqual(shown.map((p) => p.md5), expected, "bit-exact");
    assert.deepEqual(
      shown.map((p) => p.timestamp),
      session.pictures.map((p) => stampOf(1, Number(p.timestamp))),
      "each picture with its first byte's OUTPUT timestamp",
    );
    assert.deepEqual(
      client.pictures.map((p) => (p.flags & P.PICTURE_FLAG.last) !== 0),
      expected.map((_, i) => i === expected.length - 1),
    );
    assert.ok(client.pictures.every((p) => p.status === 0 && p.epoch === 1));
    // Each picture's frame flags are its OUTPUT buffer's (the one its timestamp is from), as a
    // decoder copies them (v4l2-compliance checks it), not its picture type.
    const { keyframe, pframe, bframe } = P.PICTURE_FLAG;
    const wire: Record<number, number> = { 0x08: keyframe, 0x10: pframe, 0x20: bframe };
    assert.deepEqual(
      shown.map((p) => p.flags & (keyframe | pframe | bframe)),
      shown.map((p) => wire[flagsOf((Number(p.timestamp) % 1_000_000) / 1000) & 0x38] ?? 0),
    );
    assert.equal(client.answered, parts.length, "every OUTPUT buffer answered");
    assert.equal(client.formats.length, 1);
    const f = client.formats[0];
    assert.deepEqual(
      [f.width, f.height, f.visible_width, f.visible_height, f.bit_depth, f.chroma_format],
      [640, 368, 640, 360, 8, 1],
    );
    assert.deepEqual(client.fits, [false], "the client set CAPTURE up at the format");
    assert.ok(service.decoderMemory.used > 0, "the session is charged");
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, 5));
    assert.equal(service.decoderMemory.used, 0, "and released at CTX_CLOSE");
  });
});

Deno.test("service streams: HEVC Main 10 to P010 bit-exact with a 10-bit format; a 4:2:2 MPEG-2 stream refused with its reason before any picture", async () => {
  const main10 = STREAM_MATRIX.find((r) => r.name === "hevc-main10-crop-350x286")!;
  const file = await streamFile(main10);
  const data = await Deno.readFile(file);
  const refused = await Deno.readFile(await streamFile(REFUSED_STREAMS[1]));
  assert.equal(REFUSED_STREAMS[1].pixFmt, "yuv422p");
  await withService({ threads: 2 }, async (service, port) => {
    const hevc = new StatefulClient(service, port, 7, P.CODEC.hevc);
    hevc.start();
    await feed(hevc, chunks(data));
    await hevc.drain();
    await quiesce(service, hevc);
    assert.deepEqual(hevc.errors, []);
    assert.deepEqual(hevc.shown().map((p) => p.md5), await ffmpegFrameMd5s(file, "p010le"));
    const f = hevc.formats[0];
    assert.deepEqual(
      [f.width, f.height, f.visible_width, f.visible_height, f.bit_depth, f.chroma_format],
      [352, 288, 350, 286, 10, 1],
    );
    const mpeg2 = new StatefulClient(service, port, 8, P.CODEC.mpeg2);
    mpeg2.start();
    await feed(mpeg2, chunks(refused));
    await quiesce(service, mpeg2);
    assert.equal(mpeg2.errors.length, 1);
    assert.equal(mpeg2.errors[0].error, -ENOTSUP);
    assert.equal(mpeg2.errors[0].reason, "yuv422p pictures: CAPTURE takes 8-bit 4:2:0");
    assert.deepEqual([mpeg2.formats.length, mpeg2.pictures.length], [0, 0]);
  });
});

Deno.test("service streams: a seek (STOP, then a new epoch from the start) decodes bit-exact again, its format told again", async () => {
  const file = await streamFile(BPYRAMID);
  const data = await Deno.readFile(file);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  await withService({ threads: 1 }, async (service, port) => {
    const client = new StatefulClient(service, port, 6, P.CODEC.h264);
    client.start();
    const parts = chunks(data);
    await feed(client, parts.slice(0, Math.floor(parts.length / 2)));
    await quiesce(service, client);
    const before = client.shown(1);
    assert.ok(before.length > 0, "pictures out before the seek");
    assert.deepEqual(before.map((p) => p.md5), expected.slice(0, before.length));
    client.stop();
    client.start();
    await feed(client, parts);
    await client.drain();
    await quiesce(service, client);
    assert.deepEqual(client.errors, []);
    assert.equal(client.shown(1).length, before.length, "nothing of epoch 1 after its stop");
    assert.deepEqual(client.shown(2).map((p) => p.md5), expected, "epoch 2 bit-exact");
    assert.equal(client.formats.length, 2, "a format in each epoch");
    assert.deepEqual(client.fits, [false, true], "the second fits the CAPTURE setup kept");
  });
});

Deno.test("service streams: VP9 changing size mid-stream, a format that does not fit each time, bit-exact", async () => {
  const recipe = VP9_MATRIX.find((r) => r.name === "vp9-dynamic-resize-640x360")!;
  const file = await streamFile(recipe);
  const frames = ivfFrames(await Deno.readFile(file)).map((f) => f.data);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  await withService({ threads: 2 }, async (service, port) => {
    const client = new StatefulClient(service, port, 7, P.CODEC.vp9);
    client.start();
    await feed(client, frames);
    await client.drain();
    await quiesce(service, client);
    assert.deepEqual(client.errors, []);
    assert.ok(client.formats.length >= 2, `${client.formats.length} formats`);
    assert.ok(client.fits.every((f) => !f), "each size change sets CAPTURE up again");
    assert.deepEqual(client.shown().map((p) => p.md5), expected);
    assert.equal(client.pictures.filter((p) => p.flags & P.PICTURE_FLAG.last).length, 1);
  });
});

Deno.test("service streams: back-pressure, a client queueing no CAPTURE buffer gets no more OUTPUT buffers back; then everything, bit-exact", async () => {
  const file = await streamFile(BPYRAMID);
  const data = await Deno.readFile(file);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  await withService({ threads: 1 }, async (service, port) => {
    const client = new StatefulClient(service, port, 8, P.CODEC.h264, { outputs: 6 });
    client.queueCaptures = false;
    client.start();
    const parts = chunks(data, 700);
    const fed = feed(client, parts);
    await quiesce(service, client);
    assert.equal(client.pictures.length, 0);
    assert.ok(client.answered < parts.length, `${client.answered} of ${parts.length} answered`);
    assert.equal(client.sent - client.answered, 6, "every OUTPUT buffer held by the daemon");
    client.queueCaptures = true;
    client.queueFreeCaptures();
    await fed;
    await client.drain();
    await quiesce(service, client);
    assert.equal(client.answered, parts.length);
    assert.deepEqual(client.shown().map((p) => p.md5), expected);
  });
});

Deno.test("service streams: a codec with no stream decoder and a format over the memory budget end the stream with STREAM_ERROR", async () => {
  const file = await streamFile(BPYRAMID);
  const data = await Deno.readFile(file);
  await withService({ threads: 1, decoderMemory: 1 << 20 }, async (service, port) => {
    // VC-1: no Debian encoder makes a stream to verify it by, so the daemon has no stream part
    const vc1 = new StatefulClient(service, port, 9, P.CODEC.vc1);
    vc1.start();
    await vc1.data(data.subarray(0, 500), 0n);
    await quiesce(service, vc1);
    assert.equal(vc1.errors.length, 1);
    assert.equal(vc1.errors[0].error, -ENOTSUP);
    assert.match(vc1.errors[0].reason, /^vc1: no stream decoder/);
    assert.equal(vc1.answered, 0, "no data taken for it");

    const h264 = new StatefulClient(service, port, 10, P.CODEC.h264);
    h264.start();
    const parts = chunks(data);
    const fed = feed(h264, parts.slice(0, 20));
    await quiesce(service, h264);
    assert.equal(h264.errors.length, 1);
    assert.equal(h264.errors[0].error, -ENOMEM);
    assert.match(h264.errors[0].reason, /640x368 h264 stream: over the memory budget/);
    assert.equal(h264.formats.length, 0, "the format was never told");
    assert.equal(h264.pictures.length, 0);
    assert.equal(service.decoderMemory.used, 0);
    void fed;
  });
});

Deno.test("service streams: a STREAM_DATA past the deadline fails its stream with ETIMEDOUT and retires the thread; the next stream decodes", async () => {
  const file = await streamFile(BPYRAMID);
  const data = await Deno.readFile(file);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  const options = {
    threads: 1,
    jobDeadlineMs: 1000,
    testFreeze: { codec: "h264" as const, jobs: 1, ms: 2500 },
  };
  await withService(options, async (service, port) => {
    const frozen = new StatefulClient(service, port, 11, P.CODEC.h264);
    frozen.start();
    await frozen.data(data.subarray(0, CHUNK), 0n);
    await quiesce(service, frozen);
    assert.deepEqual(frozen.errors.map((e) => e.error), [-ETIMEDOUT]);
    assert.match(frozen.errors[0].reason, /still running after 1000 ms/);
    assert.equal(service.retiredThreads, 1);
    // Its later messages find no session on the new thread: they change nothing.
    await frozen.data(data.subarray(CHUNK, 2 * CHUNK), 1n);
    await quiesce(service, frozen);
    assert.equal(frozen.errors.length, 1);

    const next = new StatefulClient(service, port, 12, P.CODEC.h264);
    next.start();
    await feed(next, chunks(data));
    await next.drain();
    await quiesce(service, next);
    assert.deepEqual(next.errors, []);
    assert.deepEqual(next.shown().map((p) => p.md5), expected);
  });
});

/** ffprobe's packets of a raw stream: byte position, size, key frame. */
async function packets(file: string): Promise<{ pos: number; size: number; key: boolean }[]> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_entries", "packet=pos,size,flags", "-of", "json", file],
    stdout: "piped",
  }).output();
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  return json.packets.map((p: Record<string, string>) => ({
    pos: Number(p.pos),
    size: Number(p.size),
    key: p.flags.startsWith("K"),
  }));
}

Deno.test("service streams: a damaged access unit's pictures return failed and empty until the key frame, bit-exact after it", async () => {
  const recipe = MATRIX.find((r) => r.name === "weighted-fade-640x360")!;
  const file = await streamFile(recipe);
  const data = await Deno.readFile(file);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  const units = await packets(file);
  const key = units.findLastIndex((u) => u.key);
  assert.ok(key > 3 && !units[3].key && units[3].size > 200);
  // The second half of a P picture of the first GOP overwritten (0xff makes no start code).
  const damaged = data.slice();
  damaged.fill(0xff, units[3].pos + (units[3].size >> 1), units[3].pos + units[3].size - 4);
  await withService({ threads: 1 }, async (service, port) => {
    const client = new StatefulClient(service, port, 13, P.CODEC.h264);
    client.start();
    await feed(client, chunks(damaged));
    await client.drain();
    await quiesce(service, client);
    assert.deepEqual(client.errors, []);
    const pics = client.pictures;
    assert.equal(pics.length, expected.length, "every picture answered, the damaged ones too");
    const failed = pics.flatMap((p, i) => p.status < 0 ? [i] : []);
    assert.ok(failed.length > 0, "the damaged picture fails");
    assert.ok(failed.every((i) => pics[i].empty), "failed pictures carry no planes");
    const tail = expected.length - failed.at(-1)! - 1;
    assert.ok(tail > 0);
    assert.deepEqual(pics.slice(-tail).map((p) => p.md5), expected.slice(-tail), "after it");
  });
});
