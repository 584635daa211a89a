// The stream core (src/stream/session.ts): H.264 bytes in any chunking, each chunk with the
// timestamp a V4L2 client would queue it with, come out as pictures in display order, every one
// bit-exact against ffmpeg's own decode and carrying the timestamp of the chunk that held its
// first byte. The access units and, for each displayed frame, where its first byte lies in the
// file come from ffprobe (its demuxer's packets and its frames' pkt_pos), not from the session.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { type Codec, CODECS } from "../../src/codecs.ts";
import { H264 } from "../../src/h264/codec.ts";
import { VP8 } from "../../src/vp8/codec.ts";
import { VP9 } from "../../src/vp9/codec.ts";
import { StreamSession } from "../../src/stream/session.ts";
import { decodeStreamFile } from "../../src/stream/file.ts";
import { streamSelfTest } from "../../src/stream/self-test.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { VP8_MATRIX, VP9_MATRIX } from "../lib/vpx-matrix.ts";
import { paffStream } from "../lib/paff.ts";
import {
  ffmpegFrameMd5s,
  frameSizes,
  type H264Recipe,
  type PackedFormat,
  probeFrames,
  streamFile,
} from "../lib/streams.ts";
import {
  assertDecoded,
  checkSeek,
  collect,
  decode,
  emptyOutput,
  expectedTimestamps,
  fixedChunks,
  randomChunks,
  reference,
  unitChunks,
} from "../lib/stream-check.ts";

const NAMES = [
  "main-cabac-bpyramid-640x360", // B-pyramid, 3 B-frames
  "slices4-1280x720", // four slices a picture
  "mbaff-tff-720x576", // MBAFF
  "crop-odd-chroma-350x286", // cropped, odd chroma width
];
const RECIPES = NAMES.map((n) => MATRIX.find((r) => r.name === n)!);

for (const recipe of RECIPES) {
  Deno.test(`stream ${recipe.name}: whole access units, random chunks, 1 and 4 frame threads`, async () => {
    const file = await streamFile(recipe);
    const ref = await reference(file);
    const whole = unitChunks(ref.data, ref.us);
    assertDecoded(
      decode(whole, 1),
      ref.md5s,
      expectedTimestamps(whole, ref.positions),
      "access units, 1 thread",
    );
    const chunks = randomChunks(ref.data, 25);
    const expected = expectedTimestamps(chunks, ref.positions);
    const one = decode(chunks, 1);
    assertDecoded(one, ref.md5s, expected, `${chunks.length} random chunks, 1 thread`);
    const four = decode(chunks, 4);
    assertDecoded(four, ref.md5s, expected, `${chunks.length} random chunks, 4 threads`);
    const [w, h] = recipe.size.split("x").map(Number);
    assert.deepEqual(one.formats[0].visible, { left: 0, top: 0, width: w, height: h });
    assert.deepEqual(four.formats, one.formats, "4 threads report the format 1 thread does");
    // Frame threads hold a packet each before the first picture comes out: 3 more held back.
    assert.equal(four.beforeDrain, one.beforeDrain - 3, "4 frame threads at work");
  });
}

Deno.test("stream: one-byte chunks, I420 at 64-byte strides, the visible rectangle", async () => {
  const recipe = MATRIX.find((r) => r.name === "crop-odd-chroma-350x286")!;
  const file = await streamFile(recipe);
  const ref = await reference(file, "yuv420p");
  const chunks = fixedChunks(ref.data, 1);
  const out = decode(chunks, 2, "yuv420p");
  assertDecoded(out, ref.md5s, expectedTimestamps(chunks, ref.positions), "1-byte chunks");
  assert.deepEqual(out.formats[0].coded, { width: 352, height: 288 });
  assert.deepEqual(out.formats[0].visible, { left: 0, top: 0, width: 350, height: 286 });
  assert.deepEqual(out.formats[0].picture, { bitDepth: 8, chroma: "4:2:0" });
});

Deno.test("stream: H.264 High 10 with B-frames to P010, whole access units and 7-byte chunks, 1 and 4 frame threads", async () => {
  const recipe: H264Recipe = {
    name: "high10-bframes-352x288",
    codec: "h264",
    size: "352x288",
    frames: 16,
    args: ["-pix_fmt", "yuv420p10le", "-profile:v", "high10", "-bf", "2"],
  };
  const file = await streamFile(recipe);
  const [{ pix_fmt }] = await probeFrames(file, ["pix_fmt"]);
  assert.equal(pix_fmt, "yuv420p10le");
  const ref = await reference(file, "p010le");
  for (const chunks of [unitChunks(ref.data, ref.us), fixedChunks(ref.data, 7)]) {
    const expected = expectedTimestamps(chunks, ref.positions);
    for (const threads of [1, 4]) {
      const out = decode(chunks, threads, "p010le");
      assertDecoded(out, ref.md5s, expected, `${chunks.length} chunks, ${threads} threads`);
      assert.deepEqual(out.formats[0].picture, { bitDepth: 10, chroma: "4:2:0" });
    }
  }
});

Deno.test("stream: PAFF field pairs, one picture a pair with its first field's timestamp", async () => {
  const file = await Deno.makeTempFile({ suffix: ".h264" });
  try {
    await Deno.writeFile(file, paffStream(8));
    const ref = await reference(file);
    assert.equal(ref.md5s.length, 8);
    assert.equal(ref.us.length, 16, "ffprobe's demuxer gives one packet a field");
    for (const chunks of [unitChunks(ref.data, ref.us), randomChunks(ref.data, 3, 40)]) {
      const expected = expectedTimestamps(chunks, ref.positions);
      assertDecoded(decode(chunks, 1), ref.md5s, expected, `PAFF, ${chunks.length} chunks`);
    }
  } finally {
    await Deno.remove(file);
    for (const suffix of [".nv12.ref.md5"]) await Deno.remove(file + suffix).catch(() => {});
  }
});

Deno.test("stream: a flush mid-stream, then from a key frame, is bit-exact after it", async () => {
  const recipe = MATRIX.find((r) => r.name === "weighted-fade-640x360")!;
  const ref = await reference(await streamFile(recipe));
  const keys = ref.us.flatMap((u, i) => u.key ? [i] : []);
  // IDRs at units 0 and 1 (the fade from black) and 11 (-g 10)
  assert.ok(keys.length >= 2 && keys.at(-1)! >= 8, `key frames at ${keys}`);
  const key = keys.at(-1)!;
  for (const threads of [1, 4]) {
    // Seek forward (from inside the first GOP) and back (to the same key frame, after it).
    for (const stop of [key - 3, key + 4]) {
      assert.ok(checkSeek(ref, H264, key, stop, threads) > 0, "the flush drops waiting pictures");
    }
  }
});

Deno.test("stream: drain delivers the last picture, then the session takes a new stream", async () => {
  const recipe = MATRIX.find((r) => r.name === "main-cabac-bpyramid-640x360")!;
  const ref = await reference(await streamFile(recipe));
  const s = new StreamSession(libav(), H264, { threads: 2 });
  const out = emptyOutput();
  try {
    for (const c of unitChunks(ref.data, ref.us)) s.queue(c.bytes, c.timestamp);
    collect(s, out, "nv12");
    const held = ref.md5s.length - out.md5s.length;
    assert.ok(held > 0, "the decoder holds pictures until the drain");
    s.drain();
    collect(s, out, "nv12");
    assert.deepEqual(out.md5s, ref.md5s, "every picture, the last included");
    assert.equal(out.ends, 1);
    // The same stream again after the drain: all of it again, no new format.
    for (const c of unitChunks(ref.data, ref.us)) s.queue(c.bytes, c.timestamp);
    s.drain();
    collect(s, out, "nv12");
    assert.deepEqual(out.md5s, [...ref.md5s, ...ref.md5s]);
    assert.equal(out.ends, 2);
    assert.equal(out.formats.length, 1);
    // A drain with nothing queued: only the end.
    s.drain();
    collect(s, out, "nv12");
    assert.equal(out.md5s.length, 2 * ref.md5s.length);
    assert.equal(out.ends, 3);
  } finally {
    s.close();
  }
});

/** The sizes a stream's pictures change through, in order (ffprobe's frames). */
async function sizeRuns(file: string): Promise<{ width: number; height: number }[]> {
  const runs: { width: number; height: number }[] = [];
  for (const f of await frameSizes(file)) {
    const last = runs.at(-1);
    if (!last || last.width !== f.width || last.height !== f.height) runs.push(f);
  }
  return runs;
}

const VPX = [
  { recipe: VP8_MATRIX.find((r) => r.name === "vp8-altref-640x360")!, codec: VP8 },
  { recipe: VP8_MATRIX.find((r) => r.name === "vp8-odd-351x287")!, codec: VP8 },
  { recipe: VP9_MATRIX.find((r) => r.name === "vp9-altref-640x360")!, codec: VP9 },
  { recipe: VP9_MATRIX.find((r) => r.name === "vp9-profile2-10bit-odd-351x287")!, codec: VP9 },
  { recipe: VP9_MATRIX.find((r) => r.name === "vp9-dynamic-resize-640x360")!, codec: VP9 },
];

for (const { recipe, codec } of VPX) {
  Deno.test(`stream ${recipe.name}: a frame a buffer, 1 and 4 frame threads`, async () => {
    const file = await streamFile(recipe);
    const pix: PackedFormat = recipe.name.includes("10bit") ? "p010le" : "nv12";
    const ref = await reference(file, pix, false);
    const chunks = unitChunks(ref.data, ref.us);
    // Each picture comes from one buffer: the one that starts where ffprobe's frame does.
    const byPos = new Map(ref.us.map((u, i) => [u.pos, chunks[i].timestamp]));
    const expected = ref.positions.map((p) => byPos.get(p)!);
    const runs = await sizeRuns(file);
    if (recipe.name.includes("resize")) assert.ok(runs.length >= 2, `sizes ${runs.length}`);
    for (const threads of [1, 4]) {
      const out = decode(chunks, threads, pix, codec);
      assertDecoded(out, ref.md5s, expected, `${threads} threads`, runs.length);
      assert.deepEqual(out.formats.map((f) => f.coded), runs, "a format at each new size");
      assert.deepEqual(
        out.formats.map((f) => f.visible),
        runs.map((r) => ({ left: 0, top: 0, ...r })),
      );
      const depth = pix === "p010le" ? 10 : 8;
      assert.ok(out.formats.every((f) => f.picture?.bitDepth === depth));
    }
  });
}

Deno.test("stream: a damaged access unit flags its picture and those after it until the next key frame, which is bit-exact", async () => {
  const recipe = MATRIX.find((r) => r.name === "weighted-fade-640x360")!;
  const ref = await reference(await streamFile(recipe));
  const keys = ref.us.flatMap((u, i) => u.key ? [i] : []);
  const key = keys.at(-1)!;
  assert.ok(key > 3, `key frames at ${keys}`);
  const keyPicture = ref.positions.indexOf(ref.us[key].pos);
  // A P picture of the first GOP, its second half overwritten (0xff never makes a start code).
  const damaged = ref.data.slice();
  const u = ref.us[3];
  assert.ok(!u.key && u.size > 200, `unit 3: ${u.size} bytes`);
  damaged.fill(0xff, u.pos + (u.size >> 1), u.pos + u.size - 4);
  const out = decode(unitChunks(damaged, ref.us), 1);
  const tail = ref.md5s.length - keyPicture;
  // Flagged from the damaged picture on (in display order) until the key frame's picture.
  const first = out.flags.indexOf(true);
  assert.ok(first >= 0, "the damaged picture is flagged");
  assert.deepEqual(
    out.flags,
    out.flags.map((_, i) => i >= first && i < out.flags.length - tail),
    `flagged from picture ${first} until the key frame`,
  );
  assert.equal(out.ends, 1);
  assert.deepEqual(
    out.md5s.slice(-tail),
    ref.md5s.slice(keyPicture),
    "bit-exact from the key frame",
  );
  const chunks = unitChunks(ref.data, ref.us);
  assert.deepEqual(
    out.timestamps.slice(-tail),
    expectedTimestamps(chunks, ref.positions).slice(keyPicture),
  );
});

Deno.test("stream files: a raw H.264 stream in 4096-byte chunks and a VP9 IVF a frame a buffer", async () => {
  for (
    const [recipe, chunk] of [
      [MATRIX.find((r) => r.name === "main-cabac-bpyramid-640x360")!, 4096],
      [VP9_MATRIX.find((r) => r.name === "vp9-altref-640x360")!, undefined],
    ] as const
  ) {
    const file = await streamFile(recipe);
    const data = await Deno.readFile(file);
    const r = decodeStreamFile(libav(), data, { pixFmt: "nv12", md5: true, chunk, threads: 2 });
    assert.equal(r.codec.name, recipe.codec);
    assert.equal(r.buffers, chunk ? Math.ceil(data.length / chunk) : recipe.frames);
    assert.deepEqual(r.pictures.map((p) => p.md5), await ffmpegFrameMd5s(file, "nv12"));
    assert.equal(r.ends, 1);
  }
});

Deno.test("stream self-tests: every stream codec's known streams decode right, a wrong value is caught", () => {
  const streamCodecs = CODECS.filter((c) => c.stream);
  assert.deepEqual(
    streamCodecs.map((c) => c.name),
    ["hevc", "mpeg2", "mpeg1", "mpeg4", "h263", "h264", "vp8", "vp9"],
  );
  for (const codec of streamCodecs) {
    streamSelfTest(libav(), codec);
    // The same streams expecting another value: refused.
    const stream = codec.stream!;
    const wrong: Codec = {
      ...codec,
      stream: {
        ...stream,
        knownStreams: () =>
          stream.knownStreams().map((k) => ({ ...k, sample: k.sample.map((b) => b ^ 1) })),
      },
    };
    assert.throws(() => streamSelfTest(libav(), wrong), /picture wrong at byte 0/);
  }
});
