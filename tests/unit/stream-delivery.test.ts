// A stream session's protocol-facing rules (src/stream/delivery.ts) with a client double for
// the sink: the drain's last picture carries LAST (an empty CAPTURE buffer when no picture is
// left), no STREAM_DATA is consumed while more than 2 + threads pictures wait with no CAPTURE
// buffer, a format that does not fit takes back the CAPTURE buffers held, a decoder-memory
// charge over budget ends the stream. Pictures bit-exact against ffmpeg's own decode; the
// timestamps are the plain session's (checked against ffprobe in stream-session.test.ts).
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { ENOMEM } from "../../ffi/libc.ts";
import type { Codec } from "../../src/codecs.ts";
import { H264 } from "../../src/h264/codec.ts";
import { VP9 } from "../../src/vp9/codec.ts";
import {
  DecoderMemory,
  pictureBytes,
  streamDecoderBytes,
} from "../../src/service/decoder-memory.ts";
import { decodeStreamFile } from "../../src/stream/file.ts";
import type { StreamDelivery } from "../../src/stream/delivery.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import { Client, data, deliver } from "../lib/stream-client.ts";
import { V4L2_BUF_FLAG } from "../../src/stream/delivery.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { VP9_MATRIX } from "../lib/vpx-matrix.ts";
import { random } from "../lib/random.ts";
import { ffmpegFrameMd5s, streamFile } from "../lib/streams.ts";

/** Random chunk lengths from 1 byte to 6000 (small ones often), from a fixed seed. */
function randomChunks(data: Uint8Array, seed: number): Uint8Array[] {
  const next = random(seed);
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < data.length;) {
    const len = next() < 0.3 ? 1 + Math.floor(next() * 16) : 1 + Math.floor(next() * 6000);
    chunks.push(data.subarray(off, Math.min(off + len, data.length)));
    off += chunks.at(-1)!.length;
  }
  return chunks;
}

const BPYRAMID = MATRIX.find((r) => r.name === "main-cabac-bpyramid-640x360")!;

/** The B-pyramid stream: its file, its bytes and ffmpeg's MD5 of each of its pictures. */
async function bpyramid(): Promise<{ file: string; bytes: Uint8Array; expected: string[] }> {
  const file = await streamFile(BPYRAMID);
  return { file, bytes: await Deno.readFile(file), expected: await ffmpegFrameMd5s(file, "nv12") };
}

/**
 * Runs `fn` with `codec` (default H.264) delivered at `threads` frame threads to a client double
 * holding `captures` CAPTURE buffers (`prepare` sets it up first); the delivery closed after.
 */
async function withDelivery(
  captures: number,
  threads: number,
  fn: (client: Client, delivery: StreamDelivery) => void | Promise<void>,
  { codec = H264, prepare }: { codec?: Codec; prepare?: (client: Client) => void } = {},
): Promise<void> {
  const client = new Client(captures);
  prepare?.(client);
  const delivery = deliver(client, codec, threads);
  try {
    await fn(client, delivery);
  } finally {
    delivery.close();
  }
}

/** The plain session's timestamps for `chunks` (chunk i stamped 1000 + i), display order. */
function sessionTimestamps(file: Uint8Array, chunks: Uint8Array[], codec: Codec): bigint[] {
  // decodeStreamFile stamps buffer i with i: the same chunking, shifted by 1000.
  const size = chunks[0].length;
  if (chunks.some((c, i) => i < chunks.length - 1 && c.length !== size)) {
    throw new Error("sessionTimestamps takes fixed-size chunks");
  }
  const r = decodeStreamFile(libav(), file, { pixFmt: "nv12", md5: false, chunk: size, codec });
  return r.pictures.map((p) => p.timestamp + 1000n);
}

Deno.test("delivery: a whole H.264 stream in random chunks, 3 CAPTURE buffers: bit-exact, the last picture alone LAST, every buffer answered in order", async () => {
  const { bytes, expected } = await bpyramid();
  for (const threads of [1, 3]) {
    await withDelivery(3, threads, (client, delivery) => {
      const chunks = randomChunks(bytes, 7);
      const cookies = chunks.map((c, i) => data(client, c, 1000n + BigInt(i)));
      delivery.drain();
      client.settle();
      const pics = client.pictures();
      assert.deepEqual(pics.map((p) => p.md5), expected, `${threads} threads: bit-exact`);
      assert.deepEqual(
        pics.map((p) => p.out.last),
        expected.map((_, i) => i === expected.length - 1),
      );
      assert.ok(pics.every((p) => p.out.status === 0 && p.out.bytesused.length === 1));
      const done = client.answers.flatMap((a) => a.kind === "done" ? [a.cookie] : []);
      assert.deepEqual(done, cookies, "every STREAM_DATA answered, in queue order");
      assert.equal(client.answers.filter((a) => a.kind === "format").length, 1);
      assert.equal(
        client.answers[client.answers.findIndex((a) => a.kind !== "done")].kind,
        "format",
      );
      assert.equal(delivery.waiting, 0);
      assert.equal(delivery.captures, 3, "its buffers wait for the next stream");
    });
  }
});

Deno.test("delivery: timestamps pass through as the session gives them; each picture carries the frame flags of the OUTPUT buffer its timestamp is from, as a decoder copies them", async () => {
  const { bytes } = await bpyramid();
  const size = 777;
  const chunks = Array.from(
    { length: Math.ceil(bytes.length / size) },
    (_, i) => bytes.subarray(i * size, (i + 1) * size),
  );
  const { keyframe, pframe, bframe } = V4L2_BUF_FLAG;
  // Flags the client set on each buffer: frame flags (copied) and others (not: 0x400 TIMECODE is
  // not a frame flag, and 0x1 MAPPED is the kernel's own).
  const FLAGS = [keyframe, pframe | 0x400, bframe, 0, keyframe | bframe | 0x1];
  const flagsOf = (i: number) => FLAGS[i % FLAGS.length];
  await withDelivery(4, 2, (client, delivery) => {
    chunks.forEach((c, i) => data(client, c, 1000n + BigInt(i), flagsOf(i)));
    delivery.drain();
    client.settle();
    const pics = client.pictures();
    const timestamps = sessionTimestamps(bytes, chunks, H264);
    assert.deepEqual(pics.map((p) => p.out.timestamp), timestamps);
    assert.deepEqual(
      pics.map((p) => p.out.frameFlags),
      timestamps.map((t) => flagsOf(Number(t - 1000n)) & (keyframe | pframe | bframe)),
    );
    assert.ok(new Set(pics.map((p) => p.out.frameFlags)).size >= 3, "several flags seen");
  });
});

Deno.test("delivery: LAST waits for a CAPTURE buffer; a drain with no picture left returns an empty buffer flagged LAST; the next stream decodes again", async () => {
  const { bytes, expected } = await bpyramid();
  await withDelivery(2, 1, (client, delivery) => {
    data(client, bytes, 1n);
    // The client stops queueing: the drain's pictures wait, the last one with them.
    client.queueing = false;
    delivery.drain();
    const before = client.pictures().length;
    assert.ok(before < expected.length, `${before} of ${expected.length} out before the buffers`);
    assert.ok(client.pictures().every((p) => !p.out.last));
    client.queueing = true;
    client.settle();
    assert.deepEqual(client.pictures().map((p) => p.md5), expected);
    assert.equal(client.pictures().at(-1)!.out.last, true);
    // A second drain, nothing queued: an empty buffer carries LAST.
    delivery.drain();
    client.settle();
    const empty = client.pictures().at(-1)!.out;
    assert.deepEqual(empty, {
      status: 0,
      timestamp: 0n,
      last: true,
      frameFlags: 0,
      bytesused: [],
    });
    assert.equal(client.pictures().length, expected.length + 1);
    // The same stream again: every picture again, no new format (it did not change).
    data(client, bytes, 2n);
    delivery.drain();
    client.settle();
    const again = client.pictures().slice(expected.length + 1);
    assert.deepEqual(again.map((p) => p.md5), expected);
    assert.deepEqual(
      again.map((p) => p.out.last),
      expected.map((_, i) => i === expected.length - 1),
    );
    assert.equal(client.answers.filter((a) => a.kind === "format").length, 1);
  });
});

Deno.test("delivery: back-pressure, no STREAM_DATA consumed while more than 2 + threads pictures wait with no CAPTURE buffer", async () => {
  const { bytes, expected } = await bpyramid();
  for (const threads of [1, 2]) {
    const prepare = (client: Client) => client.queueing = false;
    await withDelivery(2, threads, (client, delivery) => {
      const chunks = randomChunks(bytes, 11);
      const answered = () => client.answers.filter((a) => a.kind === "done").length;
      assert.equal(delivery.waitingBound, 2 + threads);
      for (const [i, c] of chunks.entries()) {
        const [waited, done] = [delivery.waiting, answered()];
        data(client, c, BigInt(i));
        // A chunk is consumed only while at most the bound waits (it may complete several
        // pictures); once past the bound, nothing more.
        if (answered() > done) assert.ok(waited <= delivery.waitingBound, `chunk ${i}: ${waited}`);
        else assert.ok(delivery.waiting > delivery.waitingBound, `chunk ${i} held for no reason`);
      }
      const done = answered();
      assert.ok(done < chunks.length, `${done} of ${chunks.length} consumed`);
      assert.equal(delivery.heldInput, chunks.length - done, "the rest held, unanswered");
      assert.ok(delivery.waiting > delivery.waitingBound);
      assert.equal(client.pictures().length, 0);
      // Buffers come: everything goes on, bit-exact.
      client.queueing = true;
      client.settle();
      delivery.drain();
      client.settle();
      assert.equal(client.answers.filter((a) => a.kind === "done").length, chunks.length);
      assert.deepEqual(client.pictures().map((p) => p.md5), expected);
      assert.equal(client.pictures().at(-1)!.out.last, true);
    }, { prepare });
  }
});

Deno.test("delivery: a format that does not fit takes back the CAPTURE buffers held; pictures before it all out first (VP9 resizing)", async () => {
  const recipe = VP9_MATRIX.find((r) => r.name === "vp9-dynamic-resize-640x360")!;
  const file = await streamFile(recipe);
  const frames = ivfFrames(await Deno.readFile(file));
  const expected = await ffmpegFrameMd5s(file, "nv12");
  await withDelivery(4, 2, (client, delivery) => {
    frames.forEach((f, i) => data(client, f.data, BigInt(i)));
    delivery.drain();
    client.settle();
    const formats = client.answers.filter((a) => a.kind === "format");
    assert.ok(formats.length >= 2, `${formats.length} formats`);
    assert.deepEqual(client.pictures().map((p) => p.md5), expected, "bit-exact across sizes");
    // Each picture went to a buffer of the format told last before it (else its MD5 differs),
    // and every buffer held at a change was dropped: none answered twice or after the change.
    assert.ok(client.heldAtChange.some((n) => n > 0), `held ${client.heldAtChange}`);
    const answered = client.pictures().length;
    assert.equal(answered, expected.length);
    assert.equal(client.pictures().filter((p) => p.out.last).length, 1);
  }, { codec: VP9 });
});

Deno.test("delivery: a decoder-memory charge over budget ends the stream with ENOMEM, nothing answered after it", async () => {
  const { bytes } = await bpyramid();
  const threads = 2;
  const charged = pictureBytes(640, 368, 1) * (18 + threads + 2 + threads);
  const memory = new DecoderMemory(charged * 2 - 1);
  assert.equal(memory.charge(1, charged), undefined, "another context's share");
  const prepare = (client: Client) =>
    client.charges = (format) => {
      assert.equal(streamDecoderBytes(H264, format, threads), charged);
      return memory.charge(2, streamDecoderBytes(H264, format, threads));
    };
  await withDelivery(3, threads, (client, delivery) => {
    const chunks = randomChunks(bytes, 3);
    chunks.forEach((c, i) => data(client, c, BigInt(i)));
    delivery.drain();
    client.settle();
    const errors = client.answers.filter((a) => a.kind === "error");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].errno, ENOMEM);
    assert.match(errors[0].reason, /past its budget/);
    assert.equal(client.answers.at(-1)!.kind, "error", "nothing after the error");
    assert.equal(client.answers.filter((a) => a.kind !== "done" && a.kind !== "error").length, 0);
    assert.ok(delivery.failed);
    assert.equal(memory.used, charged, "the refused charge left nothing");
  }, { prepare });
});

Deno.test("delivery: a resume ends a drain not delivered yet: its pictures come later with no LAST, the next drain's last has it", async () => {
  const { bytes, expected } = await bpyramid();
  await withDelivery(2, 1, (client, delivery) => {
    data(client, bytes, 1n);
    client.queueing = false;
    delivery.drain();
    const out = client.pictures().length;
    assert.ok(out < expected.length);
    // The client stops and starts CAPTURE: the node ends the drain (STOPPED), then RESUME.
    delivery.captureReset();
    delivery.resume();
    client.queueing = true;
    client.settle();
    // All but the last picture out (it waits for the event after it), none LAST.
    assert.equal(client.pictures().length, expected.length - 1);
    assert.ok(client.pictures().every((p) => !p.out.last));
    delivery.drain();
    client.settle();
    assert.deepEqual(client.pictures().map((p) => p.md5), expected);
    assert.equal(client.pictures().at(-1)!.out.last, true, "the next drain ends with LAST");
  });
});

Deno.test("delivery: a stop (seek) drops the held data, the waiting pictures and the CAPTURE buffers held", async () => {
  const { bytes, expected } = await bpyramid();
  await withDelivery(2, 1, (client, delivery) => {
    const parts = randomChunks(bytes, 5);
    const half = parts.length >> 1;
    parts.slice(0, half).forEach((c, i) => data(client, c, BigInt(i)));
    const before = client.pictures().length;
    assert.ok(before > 0 && delivery.captures > 0, `${before} out, ${delivery.captures} held`);
    assert.deepEqual(client.pictures().map((p) => p.md5), expected.slice(0, before));
    // The client stops queueing CAPTURE buffers: data is held back behind the pictures.
    client.queueing = false;
    parts.slice(half).forEach((c, i) => data(client, c, BigInt(half + i)));
    assert.ok(delivery.heldInput > 0 && delivery.waiting > 0);
    client.queueing = true;
    client.settle(); // some buffers go to the delivery again
    client.queueing = false;
    const answers = client.answers.length;
    delivery.stop();
    client.reclaim();
    assert.deepEqual([delivery.heldInput, delivery.waiting, delivery.captures], [0, 0, 0]);
    assert.equal(client.answers.length, answers, "nothing answered for what was dropped");
    // From the start again (a key frame), the buffers queued again: bit-exact, none of them
    // a buffer the kernel took back (the client refuses those).
    client.queueing = true;
    const out = client.pictures().length;
    data(client, bytes, 99n);
    delivery.drain();
    client.settle();
    assert.deepEqual(client.pictures().slice(out).map((p) => p.md5), expected);
  });
});
