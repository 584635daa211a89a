// The stream-only codecs (HEVC, MPEG-1, MPEG-2, MPEG-4 Part 2 with XviD, H.263) through the
// stream core (src/stream/session.ts), each stream made by Debian's encoders
// (tests/lib/stream-matrix.ts): bit-exact against ffmpeg's own decode (P010 packed by
// tests/lib/streams.ts, not libswscale) in chunkings of 1, 7, 4096 bytes and whole frames, every
// picture carrying the timestamp of the chunk that held its first byte through B-frame
// reordering (ffprobe's frames' pkt_pos), all out only at the drain; through the delivery to a
// client double, LAST on the last picture alone, and a mid-stream resolution change with a format
// at each size; a seek to a key frame bit-exact after it; 4:2:2 streams refused with their reason
// before any picture; and each raw
// file recognised as its codec by `daedalusd decode --stream`, the containers it does not read
// refused saying so.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { ENOTSUP } from "../../ffi/libc.ts";
import { type Codec, codecForFile, CODECS } from "../../src/codecs.ts";
import { type PictureOut, StreamDelivery, type StreamSink } from "../../src/stream/delivery.ts";
import { decodeStreamFile } from "../../src/stream/file.ts";
import { StreamSession } from "../../src/stream/session.ts";
import {
  assertDecoded,
  checkSeek,
  decode,
  expectedTimestamps,
  fixedChunks,
  randomChunks,
  type Reference,
  reference,
  unitChunks,
} from "../lib/stream-check.ts";
import { REFUSED_STREAMS, RESIZED, STREAM_MATRIX } from "../lib/stream-matrix.ts";
import { Client, data, deliver } from "../lib/stream-client.ts";
import { concatBytes } from "../../src/decoder/bytes.ts";
import {
  CACHE_DIR,
  cached,
  ffmpegFrameMd5s,
  type FfmpegRecipe,
  frameSizes,
  type H264Recipe,
  type PackedFormat,
  probeFrames,
  remuxed,
  streamFile,
} from "../lib/streams.ts";

/** x264's stream with an access unit delimiter before each picture. */
const H264_AUD: H264Recipe = {
  name: "h264-aud-176x144",
  codec: "h264",
  size: "176x144",
  frames: 3,
  args: ["-bsf:v", "h264_metadata=aud=insert"],
};

const codecOf = (r: FfmpegRecipe): Codec => CODECS.find((c) => c.name === r.codec)!;
const tenBit = (r: FfmpegRecipe) => r.pixFmt === "yuv420p10le";
/** libavcodec decodes these with frame threads (the others ignore threads > 1). */
const FRAME_THREADS = ["hevc", "mpeg4"];

for (const recipe of STREAM_MATRIX) {
  Deno.test(`stream ${recipe.name}: whole frames and 1-, 7-, 4096-byte chunks, bit-exact with their timestamps`, async () => {
    const file = await streamFile(recipe);
    const codec = codecOf(recipe);
    const pix: PackedFormat = tenBit(recipe) ? "p010le" : "nv12";
    const ref = await reference(file, pix);
    // libxvid codes 19 of its 20 pictures (6-byte N-VOPs, which code none, fill its gaps)
    const coded = recipe.encoder === "libxvid" ? recipe.frames - 1 : recipe.frames;
    assert.equal(ref.md5s.length, coded, "ffmpeg shows every coded picture");
    const types = (await probeFrames(file, ["pict_type"])).map((f) => f.pict_type);
    const bFrames = recipe.codec !== "h263";
    assert.equal(types.includes("B"), bFrames, `ffprobe's picture types: ${types.join("")}`);
    const whole = unitChunks(ref.data, ref.us);
    const chunkings = [
      { what: `${whole.length} whole frames`, chunks: whole },
      ...[1, 7, 4096].map((n) => ({ what: `${n}-byte chunks`, chunks: fixedChunks(ref.data, n) })),
    ];
    const [w, h] = recipe.size.split("x").map(Number);
    for (const { what, chunks } of chunkings) {
      const expected = expectedTimestamps(chunks, ref.positions);
      const out = decode(chunks, 1, pix, codec);
      assertDecoded(out, ref.md5s, expected, `${recipe.name}, ${what}`);
      assert.ok(out.beforeDrain < ref.md5s.length, `${what}: the last picture waits for the drain`);
      const f = out.formats[0];
      assert.deepEqual(f.visible, { left: 0, top: 0, width: w, height: h });
      assert.deepEqual(f.picture, { bitDepth: tenBit(recipe) ? 10 : 8, chroma: "4:2:0" });
    }
    // B-frames: the pictures' timestamps are not in the order the frames were queued.
    const wholeStamps = expectedTimestamps(whole, ref.positions);
    const sorted = [...wholeStamps].sort((a, b) => a < b ? -1 : a > b ? 1 : 0);
    assert.equal(wholeStamps.some((t, i) => t !== sorted[i]), bFrames, "reordered by B-frames");
    if (FRAME_THREADS.includes(recipe.codec)) {
      const four = decode(whole, 4, pix, codec);
      assertDecoded(four, ref.md5s, wholeStamps, `${recipe.name}, 4 frame threads`);
    }
  });

  Deno.test(`stream ${recipe.name}: a seek to a key frame is bit-exact after it`, async () => {
    const codec = codecOf(recipe);
    const pix: PackedFormat = tenBit(recipe) ? "p010le" : "nv12";
    const file = await streamFile(recipe);
    const ref = await reference(file, pix);
    const keys = await keyUnits(file, ref);
    // a key frame every 8 pictures: the second one, seeked to from before and after it
    assert.ok(keys.length >= 2 && keys[1] >= 6 && keys[1] + 4 <= ref.us.length, `keys ${keys}`);
    const threads = FRAME_THREADS.includes(recipe.codec) ? [1, 4] : [1];
    for (const t of threads) {
      const dropped = [keys[1] - 1, keys[1] + 4]
        .map((stop) => checkSeek(ref, codec, keys[1], stop, t, pix));
      assert.ok(dropped.some((n) => n > 0), `${t} threads: a flush drops waiting pictures`);
    }
  });
}

for (const recipe of STREAM_MATRIX) {
  Deno.test(`delivery ${recipe.name}: random chunks to a client with 4 CAPTURE buffers, bit-exact, LAST on the last picture alone`, async () => {
    const file = await streamFile(recipe);
    const bytes = await Deno.readFile(file);
    const expected = await ffmpegFrameMd5s(file, tenBit(recipe) ? "p010le" : "nv12");
    const client = new Client(4);
    const delivery = deliver(client, codecOf(recipe), 1);
    try {
      const chunks = randomChunks(bytes, 11);
      const cookies = chunks.map((c) => data(client, c.bytes, c.timestamp));
      delivery.drain();
      client.settle();
      const pics = client.pictures();
      assert.deepEqual(pics.map((p) => p.md5), expected, "bit-exact");
      assert.deepEqual(
        pics.map((p) => p.out.last),
        expected.map((_, i) => i === expected.length - 1),
        "LAST on the last picture alone",
      );
      const done = client.answers.flatMap((a) => a.kind === "done" ? [a.cookie] : []);
      assert.deepEqual(done, cookies, "every STREAM_DATA answered, in queue order");
      assert.equal(client.answers.filter((a) => a.kind === "format").length, 1);
      assert.equal(client.answers.filter((a) => a.kind === "error").length, 0);
    } finally {
      delivery.close();
    }
  });
}

for (const [first, second] of RESIZED) {
  Deno.test(`delivery ${first.codec}: a resolution change mid-stream (${first.size}, then ${second.size}), bit-exact, a format at each size`, async () => {
    const [a, b] = [await streamFile(first), await streamFile(second)];
    const name = `${CACHE_DIR}/${a.split("/").at(-1)}+${b.split("/").at(-1)}`;
    const file = await cached(name, async (tmp) => {
      await Deno.writeFile(tmp, concatBytes([await Deno.readFile(a), await Deno.readFile(b)]));
    });
    const bytes = await Deno.readFile(file);
    const expected = await ffmpegFrameMd5s(file, "nv12");
    const sizes = await frameSizes(file);
    const [w, h] = second.size.split("x").map(Number);
    assert.deepEqual(sizes.at(-1), { width: w, height: h }, "ffmpeg shows both sizes");
    const client = new Client(4);
    const delivery = deliver(client, codecOf(first), 1);
    try {
      for (const c of fixedChunks(bytes, 4096)) data(client, c.bytes, c.timestamp);
      delivery.drain();
      client.settle();
      const pics = client.pictures();
      assert.deepEqual(pics.map((p) => p.md5), expected, "bit-exact at both sizes");
      assert.equal(pics.at(-1)!.out.last, true);
      const formats = client.answers.flatMap((x) => x.kind === "format" ? [x.format] : []);
      assert.deepEqual(
        formats.map((f) => ({ width: f.visible.width, height: f.visible.height })),
        [sizes[0], sizes.at(-1)],
        "a format at each size",
      );
      assert.deepEqual(client.heldAtChange.length, 1, "the CAPTURE buffers set up again once");
    } finally {
      delivery.close();
    }
  });
}

/** The units of ffmpeg's key frames in `ref` (ffprobe's frames' key_frame and pkt_pos). */
async function keyUnits(file: string, ref: Reference): Promise<number[]> {
  // its packets' key flags are the parsers' guesses: every H.263 packet, XviD's N-VOPs
  const keyAt = new Set(
    (await probeFrames(file, ["key_frame", "pkt_pos"])).filter((f) => Number(f.key_frame) === 1)
      .map((f) => Number(f.pkt_pos)),
  );
  return ref.us.flatMap((u, i) => keyAt.has(u.pos) ? [i] : []);
}

// HEVC is not here: libavcodec's HEVC decoder conceals nothing and flags nothing, so a damaged
// slice that still parses comes out unflagged (docs/stateful.md, risks).
for (const recipe of STREAM_MATRIX.filter((r) => r.codec !== "hevc")) {
  Deno.test(`stream ${recipe.name}: a damaged frame: every wrong picture flagged, until the next key frame, bit-exact from it`, async () => {
    const file = await streamFile(recipe);
    const ref = await reference(file);
    const keys = await keyUnits(file, ref);
    // A predicted frame of the first GOP, its second half overwritten (0xff makes no start code).
    const u = ref.us[3];
    assert.ok(keys[1] > 3 && u.size > 200, `unit 3 of ${u.size} bytes, key frames at ${keys}`);
    const damaged = ref.data.slice();
    damaged.fill(0xff, u.pos + (u.size >> 1), u.pos + u.size - 4);
    const out = decode(unitChunks(damaged, ref.us), 1, "nv12", codecOf(recipe));
    assert.equal(out.md5s.length, ref.md5s.length, "every picture out");
    const wrong = out.md5s.flatMap((m, i) => m !== ref.md5s[i] ? [i] : []);
    assert.ok(wrong.length > 0, "the damage shows");
    assert.deepEqual(wrong.filter((i) => !out.flags[i]), [], "no wrong picture unflagged");
    const keyPicture = ref.positions.indexOf(ref.us[keys[1]].pos);
    assert.ok(out.flags.slice(keyPicture).every((f) => !f), "none flagged from the key frame on");
    assert.deepEqual(out.md5s.slice(keyPicture), ref.md5s.slice(keyPicture));
  });
}

/** A client double that records what a delivery tells it, CAPTURE buffers never needed. */
class Recorder implements StreamSink {
  readonly calls: string[] = [];
  errors: { errno: number; reason: string }[] = [];
  dataDone(): void {
    this.calls.push("done");
  }
  charge(): string | undefined {
    return undefined;
  }
  format(): boolean {
    this.calls.push("format");
    return false;
  }
  picture(_cookie: number, _out: PictureOut): void {
    this.calls.push("picture");
  }
  error(errno: number, reason: string): void {
    this.calls.push("error");
    this.errors.push({ errno, reason });
  }
}

for (const recipe of REFUSED_STREAMS) {
  Deno.test(`stream ${recipe.name}: refused with its reason before any picture`, async () => {
    const file = await streamFile(recipe);
    const codec = codecOf(recipe);
    const data = await Deno.readFile(file);
    const [{ pix_fmt }] = await probeFrames(file, ["pix_fmt"]);
    assert.equal(pix_fmt, recipe.pixFmt, "ffprobe decodes the stream as the recipe's format");
    const reason = `${recipe.pixFmt} pictures: CAPTURE takes ${
      codec.stream!.pictures.bitDepths.join("/")
    }-bit 4:2:0`;
    // The session: its first event is the format, with no CAPTURE format and the reason.
    const s = new StreamSession(libav(), codec);
    try {
      for (const c of fixedChunks(data, 4096)) s.queue(c.bytes, c.timestamp);
      s.drain();
      const first = s.take();
      assert.equal(first?.kind, "format");
      assert.ok(first?.kind === "format");
      assert.equal(first.format.picture, undefined);
      assert.equal(first.format.refused, reason);
    } finally {
      s.close();
    }
    // Through the delivery (the service's path): one ENOTSUP with the reason, nothing told
    // before it, the reason short enough for STREAM_ERROR's 64 bytes.
    const sink = new Recorder();
    const d = new StreamDelivery(libav(), codec, sink, { threads: 1 });
    try {
      d.data({ cookie: 1, timestamp: 1n, bytes: () => data });
      d.drain();
    } finally {
      d.close();
    }
    assert.deepEqual(sink.calls.filter((c) => c !== "done"), ["error"]);
    assert.deepEqual(sink.errors, [{ errno: ENOTSUP, reason }]);
    assert.ok(new TextEncoder().encode(reason).length < 64, reason);
  });
}

Deno.test("stream files: each raw stream is its codec's, decoded bit-exact, H.264 beginning as MPEG-4 headers do still H.264; MPEG-PS and MP4s of these codecs refused naming what is read", async () => {
  for (const recipe of STREAM_MATRIX) {
    const file = await streamFile(recipe);
    const data = await Deno.readFile(file);
    assert.equal(codecForFile(data).name, recipe.codec, `${recipe.name}: recognised`);
    if (tenBit(recipe) || recipe.encoder === "libxvid") continue;
    const r = decodeStreamFile(libav(), data, { pixFmt: "nv12", md5: true, chunk: 4096 });
    assert.deepEqual(r.pictures.map((p) => p.md5), await ffmpegFrameMd5s(file, "nv12"));
  }
  // H.264 beginning with what an MPEG-4 header's start code reads as: an access unit delimiter
  // (00 00 01 09, a video object's), parameter sets of nal_ref_idc 1 (00 00 01 27, a layer's)
  const aud = await Deno.readFile(await streamFile(H264_AUD));
  assert.deepEqual([...aud.subarray(0, 5)], [0, 0, 0, 1, 0x09], "x264's stream after an AUD");
  const refIdc1 = aud.slice();
  for (const [nal, to] of [[0x67, 0x27], [0x68, 0x28]]) refIdc1[refIdc1.indexOf(nal)] = to;
  for (const data of [aud, refIdc1, refIdc1.subarray(6)]) {
    assert.equal(codecForFile(data).name, "h264", `begins ${[...data.subarray(0, 12)]}`);
  }
  const mpeg2 = STREAM_MATRIX.find((r) => r.codec === "mpeg2")!;
  const ps = await Deno.readFile(await streamFile(mpeg2, "mpg"));
  assert.throws(
    () => codecForFile(ps),
    /^Error: an MPEG program stream: `daedalusd decode` reads .*raw MPEG-2 video \(\.m2v\).*take the video out first/,
  );
  // In MP4 all three MPEG videos are 'mp4v' entries; the esds's objectTypeIndication tells them
  for (
    const [name, id] of [
      ["mpeg4-bframes-odd-351x287", "mp4v.20"],
      ["xvid-bframes-352x288", "mp4v.20"],
      ["mpeg2-odd-351x287", "mp4v.61"],
      ["mpeg1-bframes-odd-351x287", "mp4v.6a"],
    ]
  ) {
    const r = STREAM_MATRIX.find((x) => x.name === name)!;
    const mp4 = await Deno.readFile(await remuxed(await streamFile(r), "mp4"));
    assert.throws(
      () => codecForFile(mp4),
      new RegExp(`^Error: MP4 file of ${r.codec} \\(${id.replace(".", "\\.")}\\): \`daedalusd`),
    );
  }
  const hevcMp4 = await Deno.readFile(await remuxed(await streamFile(STREAM_MATRIX[0]), "mp4"));
  assert.throws(
    () => codecForFile(hevcMp4),
    /^Error: MP4 file of hevc \((hev1|hvc1)\): `daedalusd decode` reads raw Annex-B HEVC/,
  );
});
