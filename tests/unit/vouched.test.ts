// No silent corruption: after a failed job, a COMPLETE the kernel refused (its watchdog was
// first), jobs the daemon never saw (the watchdog failed them while queued: a daemon stall) and a
// daemon restart, every picture up to the next key frame is either bit-exact or completes with an
// error, and every picture from the key frame on is bit-exact: for each codec, through the
// service and the memory-backed device double, as the module sends a context's jobs.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { EIO } from "../../ffi/libc.ts";
import { type Codec, CODECS } from "../../src/codecs.ts";
import { type ClientFrame, type ClientJob, frameTimestamp } from "../../src/decoder/file-client.ts";
import { captureFormatFor, pictureMd5 } from "../../src/decoder/file-decoder.ts";
import type { CaptureFormat, JobResult } from "../../src/decoder/job.ts";
import { VouchedPictures } from "../../src/decoder/vouched.ts";
import {
  FRAME_TYPE,
  frameReferences,
  readFrame,
  V4L2_CID_STATELESS_AV1_FRAME,
} from "../../src/av1/v4l2-av1.ts";
import {
  DECODE_PARAM_FLAG_IDR_PIC,
  readDecodeParams,
  V4L2_CID_STATELESS_H264_DECODE_PARAMS,
} from "../../src/h264/v4l2-h264.ts";
import * as P from "../../src/service/protocol.ts";
import { DaedalusService } from "../../src/service/service.ts";
import {
  readVp8Frame,
  V4L2_CID_STATELESS_VP8_FRAME,
  VP8_FRAME_FLAG_KEY_FRAME,
} from "../../src/vp8/v4l2-vp8.ts";
import {
  readVp9Frame,
  V4L2_CID_STATELESS_VP9_FRAME,
  VP9_FRAME_FLAG_KEY_FRAME,
} from "../../src/vp9/v4l2-vp9.ts";
import { MemoryPort, StreamClient } from "../lib/memory-port.ts";
import { asIvf, ffmpegFrameMd5s, streamFile } from "../lib/streams.ts";

/** A stream with a key frame every 12 frames, and what says that a request is a key frame. */
interface Stream {
  codec: Codec;
  frames: ClientFrame[];
  format: CaptureFormat;
  /** ffmpeg's MD5 of each displayed frame, by decode index. */
  expected: Map<number, string>;
  key: (job: ClientJob) => boolean;
  /** Where the trouble goes: the first inter frame from the 5th on that others refer to. */
  at: number;
}

const KEY_EVERY = 12;
const VPX_ARGS = ["--good", "--cpu-used=8", "--auto-alt-ref=1", "--lag-in-frames=8"];
const VPX_KEYS = [`--kf-min-dist=${KEY_EVERY}`, `--kf-max-dist=${KEY_EVERY}`];

const STREAMS: Record<string, () => Promise<Stream>> = {
  // B pyramids (memory management operations) and three references
  h264: async () =>
    load(
      await streamFile({
        name: "vouched-h264-320x240",
        codec: "h264",
        size: "320x240",
        frames: 30,
        args: ["-bf", "2", "-refs", "3", "-g", `${KEY_EVERY}`, "-keyint_min", `${KEY_EVERY}`],
      }),
      "h264",
      (j) =>
        (readDecodeParams(j.ctrls.get(V4L2_CID_STATELESS_H264_DECODE_PARAMS)!).flags &
          DECODE_PARAM_FLAG_IDR_PIC) !== 0,
      (frames, i) =>
        readDecodeParams(frames[i].jobs[0].ctrls.get(V4L2_CID_STATELESS_H264_DECODE_PARAMS)!)
          .nal_ref_idc > 0,
    ),
  // golden and hidden alternate references
  vp8: async () =>
    load(
      await streamFile({
        name: "vouched-vp8-320x240",
        codec: "vp8",
        encoder: "vpxenc",
        size: "320x240",
        frames: 30,
        args: [...VPX_ARGS, ...VPX_KEYS],
      }),
      "vp8",
      (j) =>
        (readVp8Frame(j.ctrls.get(V4L2_CID_STATELESS_VP8_FRAME)!).flags &
          VP8_FRAME_FLAG_KEY_FRAME) !== 0,
    ),
  vp9: async () =>
    load(
      await asIvf(
        await streamFile({
          name: "vouched-vp9-320x240",
          codec: "vp9",
          encoder: "vpxenc",
          size: "320x240",
          frames: 30,
          args: [...VPX_ARGS, ...VPX_KEYS],
        }),
      ),
      "vp9",
      (j) =>
        (readVp9Frame(j.ctrls.get(V4L2_CID_STATELESS_VP9_FRAME)!).flags &
          VP9_FRAME_FLAG_KEY_FRAME) !== 0,
    ),
  av1: async () =>
    load(
      await streamFile({
        name: "vouched-av1-320x240",
        codec: "av1",
        encoder: "libsvtav1",
        size: "320x240",
        frames: 30,
        args: ["-preset", "12", "-g", `${KEY_EVERY}`, "-svtav1-params", "irefresh-type=2"],
      }),
      "av1",
      (j) => readFrame(j.ctrls.get(V4L2_CID_STATELESS_AV1_FRAME)!).frameType === FRAME_TYPE.KEY,
      (frames, i) =>
        frames.slice(i + 1).some((f) =>
          f.jobs.length > 0 &&
          frameReferences(readFrame(f.jobs[0].ctrls.get(V4L2_CID_STATELESS_AV1_FRAME)!))
            .includes(frameTimestamp(i))
        ),
      "libdav1d",
    ),
};

/** `reference`: what says frame `i` is referred to (VP8, VP9: every one). */
async function load(
  file: string,
  name: string,
  key: (job: ClientJob) => boolean,
  reference: (frames: ClientFrame[], i: number) => boolean = () => true,
  decoder?: string,
): Promise<Stream> {
  const codec = CODECS.find((c) => c.name === name)!;
  const frames = codec.stateless!.frames(await Deno.readFile(file), {
    mode: "frame",
    startCode: "annexb",
  });
  const md5s = await ffmpegFrameMd5s(file, "nv12", decoder);
  const shown = [...frames.keys()].filter((i) => !frames[i].hidden)
    .sort((a, b) => frames[a].period - frames[b].period || frames[a].poc - frames[b].poc);
  assert.equal(shown.length, md5s.length);
  // a frame shown again (no job) is its decoded frame's picture
  const expected = new Map<number, string>();
  shown.forEach((i, k) => {
    const decoded = frames[i].repeatOf ?? i;
    if (!expected.has(decoded)) expected.set(decoded, md5s[k]);
  });
  return {
    codec,
    frames,
    format: captureFormatFor(frames[0].width, frames[0].height, "nv12"),
    expected,
    key,
    at: frames.findIndex((f, i) =>
      i >= 4 && f.jobs.length > 0 && !key(f.jobs[0]) && reference(frames, i)
    ),
  };
}

type Trouble = "failed" | "refused" | "unseen" | "restart";

/** Per decode index, what the client got. */
type Outcome = "exact" | "wrong" | "flagged" | "hidden" | "lost";

/**
 * Plays `s` through the service, one job at a time as the module sends them, with `trouble` at
 * frame `at`: its job fails (its controls lost), its COMPLETE is refused with ENOENT, it and the
 * next frame never reach the daemon, or the daemon is replaced by a new one before it.
 */
async function play(s: Stream, trouble: Trouble, at: number): Promise<Outcome[]> {
  const options = { summaryInterval: 0 };
  let service = new DaedalusService(libav(), options);
  const port = new MemoryPort();
  const client = new StreamClient(port, 1, P.CODEC[s.codec.name], s.format);
  const out: Outcome[] = [];
  try {
    for (const [i, frame] of s.frames.entries()) {
      if (trouble === "unseen" && (i === at || i === at + 1)) {
        out.push("lost");
        continue;
      }
      if (trouble === "restart" && i === at) {
        await service.shutdown();
        service = new DaedalusService(libav(), options);
      }
      let ok = true;
      for (const job of frame.jobs) {
        const cookie = port.nextCookie();
        const sent = trouble === "failed" && i === at ? { ...job, ctrls: new Map() } : job;
        if (trouble === "refused" && i === at) port.refuse.add(cookie);
        service.handleMessage(port, client.jobMessage(sent, i, cookie));
        const c = await port.completion(cookie);
        if (c.status !== 0 || port.refuse.has(cookie)) ok = false;
      }
      const expected = s.expected.get(i);
      if (frame.jobs.length === 0) out.push("hidden"); // shown again: no job
      else if (!ok) out.push("flagged");
      else if (expected === undefined) out.push("hidden");
      else {
        const md5 = pictureMd5(client.capture[i % 4][0].bytes, s.format, frame.crop);
        out.push(md5 === expected ? "exact" : "wrong");
      }
    }
  } finally {
    await service.shutdown();
    port.close();
  }
  return out;
}

for (const name of Object.keys(STREAMS)) {
  for (const trouble of ["failed", "refused", "unseen", "restart"] as Trouble[]) {
    Deno.test(`vouched (${name}): ${trouble} mid-stream → bit-exact or flagged until the key frame, bit-exact after`, async () => {
      const s = await STREAMS[name]();
      const at = s.at;
      const last = trouble === "unseen" ? at + 1 : at;
      const key = s.frames.findIndex((f, i) => i > last && f.jobs.length > 0 && s.key(f.jobs[0]));
      assert.ok(at > 0 && key > last + 1, `a key frame after frame ${last}, not right after it`);
      const got = await play(s, trouble, at);
      const count = (from: number, to: number, what: Outcome) =>
        got.slice(from, to).filter((o) => o === what).length;
      console.log(
        `${name} ${trouble} at ${at}: frames ${last + 1}..${key - 1}: ` +
          `${count(last + 1, key, "exact")} bit-exact, ${count(last + 1, key, "flagged")} ` +
          `flagged, ${count(last + 1, key, "wrong")} wrong; from the key frame ${key}: ` +
          `${count(key, got.length, "exact")} bit-exact, ${count(key, got.length, "wrong")} wrong`,
      );
      assert.ok(got.slice(0, at).every((o) => o === "exact" || o === "hidden"), got.join(" "));
      if (trouble === "failed" || trouble === "refused") assert.equal(got[at], "flagged");
      const between = got.slice(last + 1, key);
      assert.ok(!between.includes("wrong"), `silent corruption before the key frame: ${got}`);
      // later pictures are predicted from the troubled one: they are not vouched for either
      assert.ok(between.includes("flagged"), `${got}`);
      assert.ok(got.slice(key).every((o) => o === "exact" || o === "hidden"), `${got}`);
      assert.ok(got.slice(key).includes("exact"));
    });
  }
}

/** A decoded picture's result with these references. */
function picture(refs: bigint[]): JobResult {
  return { status: 0, held: false, bytesused: [1], refs, message: "OK" };
}

const FAILED: JobResult = { status: -EIO, held: false, bytesused: [], message: "failed" };

Deno.test("vouched: a picture naming its own timestamp fails when an earlier job of it failed (a VP9 superframe's frames share one)", () => {
  const v = new VouchedPictures();
  assert.equal(v.judge(1000n, false, picture([])).status, 0);
  // the superframe at 2000: its hidden frame fails, the shown one predicts from it
  assert.equal(v.judge(2000n, false, FAILED).status, -EIO);
  assert.equal(v.judge(2000n, false, picture([1000n, 1000n, 2000n])).status, -EIO);
  assert.equal(v.judge(3000n, false, picture([2000n, 1000n, 2000n])).status, -EIO);
  // both frames decoded: the shown one is vouched for
  assert.equal(v.judge(4000n, false, picture([])).status, 0);
  assert.equal(v.judge(5000n, false, picture([4000n])).status, 0);
  assert.equal(v.judge(5000n, false, picture([4000n, 5000n])).status, 0);
});

Deno.test("vouched: a client giving every request timestamp 0 recovers at the key frame after a failure", () => {
  const v = new VouchedPictures();
  assert.equal(v.judge(0n, false, picture([])).status, 0);
  assert.equal(v.judge(0n, false, picture([0n])).status, 0);
  assert.equal(v.judge(0n, false, FAILED).status, -EIO);
  assert.equal(v.judge(0n, false, picture([0n])).status, -EIO);
  assert.equal(v.judge(0n, false, picture([0n])).status, -EIO);
  assert.equal(v.judge(0n, false, picture([])).status, 0);
  assert.equal(v.judge(0n, false, picture([0n])).status, 0);
});

Deno.test("vouched: a held slice that failed or was refused fails the rest of its picture", () => {
  const v = new VouchedPictures();
  const held: JobResult = { status: 0, held: true, bytesused: [], message: "held" };
  assert.equal(v.judge(1000n, false, picture([])).status, 0);
  assert.equal(v.judge(2000n, true, held).status, 0);
  v.refused(2000n, true);
  assert.equal(v.judge(2000n, false, picture([1000n])).status, -EIO);
  assert.equal(v.judge(3000n, true, FAILED).status, -EIO);
  assert.equal(v.judge(3000n, false, picture([1000n])).status, -EIO);
  assert.equal(v.judge(4000n, false, picture([1000n])).status, 0);
});
