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
import { type StreamFormat, StreamSession } from "../../src/stream/session.ts";
import { OffsetTimestamps } from "../../src/stream/timestamps.ts";
import { decodeStreamFile, takeEvents, type Taken } from "../../src/stream/file.ts";
import { streamSelfTest } from "../../src/stream/self-test.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { VP8_MATRIX, VP9_MATRIX } from "../lib/vpx-matrix.ts";
import { paffStream } from "../lib/paff.ts";
import { ffmpegFrameMd5s, frameSizes, type PackedFormat, streamFile } from "../lib/streams.ts";
import { random } from "../lib/random.ts";

/** One access unit as ffprobe's demuxer splits the file: byte offset, length, key frame. */
interface Unit {
  pos: number;
  /** Where its bytes start (past a container's frame header). */
  data?: number;
  size: number;
  key: boolean;
}

const IVF_FRAME_HEADER = 12;

/** A chunk as the client queues it. */
interface Chunk {
  bytes: Uint8Array;
  timestamp: bigint;
}

/** What a session gave: each picture's MD5 (visible rectangle) and timestamp, in order. */
interface Output {
  md5s: string[];
  timestamps: bigint[];
  errors: number;
  /** Each picture's error flag. */
  flags: boolean[];
  formats: StreamFormat[];
  ends: number;
  /** Pictures out before the drain. */
  beforeDrain: number;
}

async function ffprobe(file: string, entries: string): Promise<Record<string, string>[]> {
  const out = await new Deno.Command("ffprobe", {
    args: ["-v", "error", "-show_entries", entries, "-of", "json", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`ffprobe ${file}: ${new TextDecoder().decode(out.stderr)}`);
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  return json.packets ?? json.frames ?? [];
}

/**
 * ffprobe's access units of `file`: those of a raw stream must cover the file exactly; an IVF
 * file's (`raw` false) are its frames, whose pos is the 12-byte frame header's (the unit's pos
 * stays that, what ffprobe's frames give as pkt_pos; its bytes start after the header).
 */
async function units(file: string, length: number, raw = true): Promise<Unit[]> {
  const u = (await ffprobe(file, "packet=pos,size,flags")).map((p) => ({
    pos: Number(p.pos),
    size: Number(p.size),
    key: p.flags.startsWith("K"),
  }));
  if (!raw) {
    assert.ok(file.endsWith(".ivf"), `${file}: IVF`);
    return u.map((x) => ({ ...x, data: x.pos + IVF_FRAME_HEADER }));
  }
  u.forEach((x, i) => assert.equal(x.pos, i === 0 ? 0 : u[i - 1].pos + u[i - 1].size));
  assert.equal(u.at(-1)!.pos + u.at(-1)!.size, length, "ffprobe's packets cover the file");
  return u;
}

/** Where each displayed frame's first byte lies in `file`, in display order (ffprobe). */
async function displayedPositions(file: string): Promise<number[]> {
  return (await ffprobe(file, "frame=pkt_pos")).map((f) => Number(f.pkt_pos));
}

const stamp = (i: number, base = 1000) => BigInt(base + 33 * i);

/** Whole access units, one a chunk. */
function unitChunks(data: Uint8Array, us: Unit[], base = 1000): Chunk[] {
  return us.map((u, i) => ({
    bytes: data.subarray(u.data ?? u.pos, (u.data ?? u.pos) + u.size),
    timestamp: stamp(i, base),
  }));
}

/** Random lengths from 1 byte to `max` (small ones often), from a fixed seed. */
function randomChunks(data: Uint8Array, seed: number, max = 6000): Chunk[] {
  const next = random(seed);
  const chunks: Chunk[] = [];
  for (let off = 0; off < data.length;) {
    const r = next();
    const len = r < 0.3 ? 1 + Math.floor(next() * 16) : 1 + Math.floor(next() * max);
    const bytes = data.subarray(off, Math.min(off + len, data.length));
    chunks.push({ bytes, timestamp: stamp(chunks.length) });
    off += bytes.length;
  }
  return chunks;
}

/** Chunks of `size` bytes each (the last shorter). */
function fixedChunks(data: Uint8Array, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let off = 0; off < data.length; off += size) {
    chunks.push({ bytes: data.subarray(off, off + size), timestamp: stamp(chunks.length) });
  }
  return chunks;
}

/** The timestamps the pictures must carry: each frame's first byte's chunk, display order. */
function expectedTimestamps(chunks: Chunk[], positions: number[]): bigint[] {
  const table = new OffsetTimestamps();
  for (const c of chunks) table.add(c.bytes.length, c.timestamp);
  // Looked up in order of position (the table forgets what lies behind a lookup).
  const sorted = [...positions].sort((a, b) => a - b);
  const at = new Map(sorted.map((p) => [p, table.at(p)!]));
  return positions.map((p) => at.get(p)!);
}

/** Takes every waiting event of `s` into `out`, each picture written and hashed (takeEvents). */
function collect(s: StreamSession, out: Output, pix: PackedFormat): void {
  const taken: Taken = { pictures: [], formats: out.formats, ends: 0 };
  takeEvents(s, { pixFmt: pix === "p010le" ? "nv12" : pix, md5: true }, taken);
  for (const p of taken.pictures) {
    out.md5s.push(p.md5!);
    out.timestamps.push(p.timestamp);
    if (p.error) out.errors++;
    out.flags.push(p.error);
  }
  out.ends += taken.ends;
}

const emptyOutput = (): Output => ({
  md5s: [],
  timestamps: [],
  errors: 0,
  flags: [],
  formats: [],
  ends: 0,
  beforeDrain: 0,
});

/** `chunks` through a session of `codec`, then a drain. */
function decode(
  chunks: Chunk[],
  threads: number,
  pix: PackedFormat = "nv12",
  codec: Codec = H264,
): Output {
  const s = new StreamSession(libav(), codec, { threads });
  const out = emptyOutput();
  try {
    for (const c of chunks) {
      s.queue(c.bytes, c.timestamp);
      collect(s, out, pix);
    }
    out.beforeDrain = out.md5s.length;
    s.drain();
    collect(s, out, pix);
  } finally {
    s.close();
  }
  return out;
}

/** The stream, its access units and display positions, and ffmpeg's MD5s of it. */
async function reference(file: string, pix: PackedFormat = "nv12", raw = true) {
  const data = await Deno.readFile(file);
  const us = await units(file, data.length, raw);
  const positions = await displayedPositions(file);
  const md5s = await ffmpegFrameMd5s(file, pix);
  assert.equal(positions.length, md5s.length, "ffprobe and ffmpeg show the same pictures");
  return { data, us, positions, md5s };
}

function assertDecoded(
  out: Output,
  md5s: string[],
  timestamps: bigint[],
  what: string,
  formats = 1,
): void {
  assert.equal(out.md5s.length, md5s.length, `${what}: every picture out`);
  assert.deepEqual(out.md5s, md5s, `${what}: bit-exact`);
  assert.deepEqual(out.timestamps, timestamps, `${what}: timestamps in display order`);
  assert.equal(out.errors, 0, `${what}: no picture flagged`);
  assert.equal(out.ends, 1, `${what}: one end after the drain`);
  assert.equal(out.formats.length, formats, `${what}: formats`);
}

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
  const keyPicture = ref.positions.indexOf(ref.us[key].pos);
  assert.ok(keyPicture > 0);
  for (const threads of [1, 4]) {
    // Seek forward (from inside the first GOP) and back (to the same key frame, after it).
    for (const stop of [key - 3, key + 4]) {
      const s = new StreamSession(libav(), H264, { threads });
      const before = emptyOutput();
      const after = emptyOutput();
      try {
        const start = unitChunks(ref.data, ref.us.slice(0, stop));
        for (const c of start.slice(0, -2)) {
          s.queue(c.bytes, c.timestamp);
          collect(s, before, "nv12");
        }
        // The last two units' pictures are left waiting.
        for (const c of start.slice(-2)) s.queue(c.bytes, c.timestamp);
        assert.ok(s.waiting > 0, "pictures wait");
        s.flush();
        assert.equal(s.waiting, 0);
        assert.equal(s.take(), undefined, "a flush drops every waiting picture");
        // The format stands across a seek: no new one unless it changes.
        after.formats.push(...before.formats);
        const resumed = unitChunks(ref.data, ref.us.slice(key), 90000);
        for (const c of resumed) {
          s.queue(c.bytes, c.timestamp);
          collect(s, after, "nv12");
        }
        s.drain();
        collect(s, after, "nv12");
      } finally {
        s.close();
      }
      const what = `${threads} threads, flush after ${stop} units, resume at unit ${key}`;
      assert.deepEqual(before.md5s, ref.md5s.slice(0, before.md5s.length), `${what}: before`);
      // Pictures after the key frame in display order all come from it and after (closed GOP).
      const rest = ref.positions.slice(keyPicture);
      const resumed = unitChunks(ref.data, ref.us.slice(key), 90000);
      const table = new OffsetTimestamps();
      for (const c of resumed) table.add(c.bytes.length, c.timestamp);
      const base = ref.us[key].pos;
      const sorted = [...rest].sort((a, b) => a - b);
      const at = new Map(sorted.map((p) => [p, table.at(p - base)!]));
      assert.deepEqual(after.md5s, ref.md5s.slice(keyPicture), `${what}: after`);
      assert.deepEqual(after.timestamps, rest.map((p) => at.get(p)!), `${what}: timestamps`);
      assert.equal(after.ends, 1);
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
  assert.deepEqual(streamCodecs.map((c) => c.name), ["h264", "vp8", "vp9"]);
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
