/**
 * Checks of a stream session (src/stream/session.ts) against ffmpeg's own decode, for every
 * codec's stream tests: a stream's access units and where each displayed frame's first byte
 * lies (ffprobe's packets and frames' pkt_pos, not the session's), chunkings as a client queues
 * them, the timestamps the pictures must carry, a session run over chunks, a seek.
 */
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import type { Codec } from "../../src/codecs.ts";
import { H264 } from "../../src/h264/codec.ts";
import { type StreamFormat, StreamSession } from "../../src/stream/session.ts";
import { OffsetTimestamps } from "../../src/stream/timestamps.ts";
import { takeEvents, type Taken } from "../../src/stream/file.ts";
import { ffmpegFrameMd5s, type PackedFormat } from "./streams.ts";
import { random } from "./random.ts";

/** One access unit as ffprobe's demuxer splits the file: byte offset, length, key frame. */
export interface Unit {
  /** Its byte offset in the file (an IVF frame's: its 12-byte header's). */
  pos: number;
  /** Where its bytes start (past a container's frame header). */
  data?: number;
  /** Its length in bytes. */
  size: number;
  /** ffprobe flags it a key frame (the parser's guess for a raw stream). */
  key: boolean;
}

const IVF_FRAME_HEADER = 12;

/** A chunk as the client queues it. */
export interface Chunk {
  /** Its bytes. */
  bytes: Uint8Array;
  /** The OUTPUT timestamp it is queued with. */
  timestamp: bigint;
}

/** What a session gave: each picture's MD5 (visible rectangle) and timestamp, in order. */
export interface Output {
  /** Each picture's MD5. */
  md5s: string[];
  /** Each picture's timestamp. */
  timestamps: bigint[];
  /** How many came flagged damaged. */
  errors: number;
  /** Each picture's error flag. */
  flags: boolean[];
  /** The formats told, in order. */
  formats: StreamFormat[];
  /** The drains that ended. */
  ends: number;
  /** Pictures out before the drain. */
  beforeDrain: number;
}

/** ffprobe's `entries` of `file` (its packets or its frames), as JSON objects. */
export async function ffprobe(file: string, entries: string): Promise<Record<string, string>[]> {
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
export async function units(file: string, length: number, raw = true): Promise<Unit[]> {
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
export async function displayedPositions(file: string): Promise<number[]> {
  return (await ffprobe(file, "frame=pkt_pos")).map((f) => Number(f.pkt_pos));
}

/** The timestamp of chunk `i` (from `base`, 33 apart). */
export const stamp = (i: number, base = 1000): bigint => BigInt(base + 33 * i);

/** Whole access units, one a chunk. */
export function unitChunks(data: Uint8Array, us: Unit[], base = 1000): Chunk[] {
  return us.map((u, i) => ({
    bytes: data.subarray(u.data ?? u.pos, (u.data ?? u.pos) + u.size),
    timestamp: stamp(i, base),
  }));
}

/** Random lengths from 1 byte to `max` (small ones often), from a fixed seed. */
export function randomChunks(data: Uint8Array, seed: number, max = 6000): Chunk[] {
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
export function fixedChunks(data: Uint8Array, size: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let off = 0; off < data.length; off += size) {
    chunks.push({ bytes: data.subarray(off, off + size), timestamp: stamp(chunks.length) });
  }
  return chunks;
}

/** The timestamps the pictures must carry: each frame's first byte's chunk, display order. */
export function expectedTimestamps(chunks: Chunk[], positions: number[]): bigint[] {
  const table = new OffsetTimestamps();
  for (const c of chunks) table.add(c.bytes.length, c.timestamp);
  // Looked up in order of position (the table forgets what lies behind a lookup).
  const sorted = [...positions].sort((a, b) => a - b);
  const at = new Map(sorted.map((p) => [p, table.at(p)!.timestamp]));
  return positions.map((p) => at.get(p)!);
}

/** Takes every waiting event of `s` into `out`, each picture written and hashed (takeEvents). */
export function collect(s: StreamSession, out: Output, pix: PackedFormat): void {
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

/** Nothing taken yet. */
export const emptyOutput = (): Output => ({
  md5s: [],
  timestamps: [],
  errors: 0,
  flags: [],
  formats: [],
  ends: 0,
  beforeDrain: 0,
});

/** `chunks` through a session of `codec`, then a drain. */
export function decode(
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

/** A stream file and what ffmpeg and ffprobe make of it. */
export interface Reference {
  /** Its bytes. */
  data: Uint8Array;
  /** Its access units (units()). */
  us: Unit[];
  /** Where each displayed frame's first byte lies, display order. */
  positions: number[];
  /** ffmpeg's MD5 of each displayed picture, in `pix`. */
  md5s: string[];
}

/** The stream, its access units and display positions, and ffmpeg's MD5s of it. */
export async function reference(
  file: string,
  pix: PackedFormat = "nv12",
  raw = true,
): Promise<Reference> {
  const data = await Deno.readFile(file);
  const us = await units(file, data.length, raw);
  const positions = await displayedPositions(file);
  const md5s = await ffmpegFrameMd5s(file, pix);
  assert.equal(positions.length, md5s.length, "ffprobe and ffmpeg show the same pictures");
  return { data, us, positions, md5s };
}

/**
 * Asserts `out` is every picture of `md5s` bit-exact, with `timestamps`, none flagged, one end,
 * `formats` formats told.
 */
export function assertDecoded(
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

/**
 * A seek in `ref`'s stream (decoded by `codec` with `threads`): the session is fed whole units
 * up to `stop` (the last two units' pictures left waiting), flushed, then fed from unit `key`
 * (a key frame) on with new timestamps and drained. The pictures before the flush are ffmpeg's
 * first ones, those after it ffmpeg's from the key frame's picture on (display order), each
 * with the timestamp of its first byte's new chunk. Returns how many pictures the flush dropped
 * (none when the decoder still held them: frame threads hold a packet each).
 */
export function checkSeek(
  ref: Reference,
  codec: Codec,
  key: number,
  stop: number,
  threads: number,
  pix: PackedFormat = "nv12",
): number {
  const keyPicture = ref.positions.indexOf(ref.us[key].pos);
  assert.ok(keyPicture > 0, `unit ${key}'s picture shown after the first`);
  const s = new StreamSession(libav(), codec, { threads });
  const before = emptyOutput();
  const after = emptyOutput();
  const resumed = unitChunks(ref.data, ref.us.slice(key), 90000);
  let dropped = 0;
  try {
    const start = unitChunks(ref.data, ref.us.slice(0, stop));
    for (const c of start.slice(0, -2)) {
      s.queue(c.bytes, c.timestamp);
      collect(s, before, pix);
    }
    // The last two units' pictures are left waiting.
    for (const c of start.slice(-2)) s.queue(c.bytes, c.timestamp);
    dropped = s.waiting;
    s.flush();
    assert.equal(s.waiting, 0);
    assert.equal(s.take(), undefined, "a flush drops every waiting picture");
    // The format stands across a seek: no new one unless it changes.
    after.formats.push(...before.formats);
    for (const c of resumed) {
      s.queue(c.bytes, c.timestamp);
      collect(s, after, pix);
    }
    s.drain();
    collect(s, after, pix);
  } finally {
    s.close();
  }
  const what =
    `${codec.name}, ${threads} threads, flush after ${stop} units, resume at unit ${key}`;
  assert.deepEqual(before.md5s, ref.md5s.slice(0, before.md5s.length), `${what}: before`);
  // Pictures after the key frame in display order all come from it and after (closed GOP).
  const rest = ref.positions.slice(keyPicture);
  const table = new OffsetTimestamps();
  for (const c of resumed) table.add(c.bytes.length, c.timestamp);
  const base = ref.us[key].pos;
  const sorted = [...rest].sort((a, b) => a - b);
  const at = new Map(sorted.map((p) => [p, table.at(p - base)!.timestamp]));
  assert.deepEqual(after.md5s, ref.md5s.slice(keyPicture), `${what}: after`);
  assert.deepEqual(after.timestamps, rest.map((p) => at.get(p)!), `${what}: timestamps`);
  assert.equal(after.ends, 1);
  return dropped;
}
