// Many contexts at once against the service's context threads: 8 contexts of mixed codecs and
// sizes, random CTX_CLOSEs with a job in flight (the client reopens and starts its stream
// again), and the daemon replaced by a new one 40 % into the run. Every job must be completed
// exactly once, every picture that completes OK must be the one the single-threaded file
// decoder gives for that frame (which the matrix tests hold bit-exact against ffmpeg), and the
// new daemon must decode every context to the end. Then a decode thread frozen in a job.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { ETIMEDOUT } from "../../ffi/libc.ts";
import { CODECS } from "../../src/codecs.ts";
import type { ClientFrame } from "../../src/decoder/file-client.ts";
import { captureFormatFor, FrameRunner, pictureMd5 } from "../../src/decoder/file-decoder.ts";
import * as P from "../../src/service/protocol.ts";
import { DaedalusService } from "../../src/service/service.ts";
import { MemoryPort, portDescriptors, portMappedBytes, StreamClient } from "../lib/memory-port.ts";
import { asIvf, streamFile } from "../lib/streams.ts";
import { random } from "../lib/random.ts";

const GOP = 10;
const FRAMES = 40;

interface StressStream {
  name: string;
  codec: keyof typeof P.CODEC;
  file: () => Promise<string>;
}

const h264 = (size: string): StressStream => ({
  name: `h264 ${size}`,
  codec: "h264",
  file: () =>
    streamFile({
      name: `stress-h264-${size}`,
      codec: "h264",
      size,
      frames: FRAMES,
      args: ["-bf", "2", "-g", String(GOP), "-preset", "veryfast"],
    }),
});
const vpx = (codec: "vp8" | "vp9", size: string): StressStream => ({
  name: `${codec} ${size}`,
  codec,
  file: () =>
    streamFile({
      name: `stress-${codec}-${size}`,
      codec,
      encoder: "vpxenc",
      size,
      frames: FRAMES,
      args: ["--good", "--cpu-used=8", `--kf-max-dist=${GOP}`, "--auto-alt-ref=1"],
    }).then(asIvf),
});
const av1 = (size: string): StressStream => ({
  name: `av1 ${size}`,
  codec: "av1",
  file: () =>
    streamFile({
      name: `stress-av1-${size}`,
      codec: "av1",
      encoder: "libsvtav1",
      size,
      frames: FRAMES,
      args: ["-preset", "12", "-g", String(GOP)],
    }),
});

const STREAMS: StressStream[] = [
  h264("320x240"),
  h264("640x360"),
  h264("1280x720"),
  vpx("vp9", "320x240"),
  vpx("vp9", "640x360"),
  vpx("vp8", "320x240"),
  av1("320x240"),
  av1("640x360"),
];

/** Each decoded frame's MD5 from the file decoder, by decode index (undefined: no picture). */
function referenceMd5s(codec: keyof typeof P.CODEC, frames: ClientFrame[]): (string | undefined)[] {
  const runner = new FrameRunner(libav(), CODECS.find((c) => c.name === codec)!, {
    pixFmt: "nv12",
    md5: true,
  });
  try {
    return frames.map((f, i) => {
      if (f.jobs.length === 0) return undefined;
      const r = runner.run(f, i);
      assert.ok(r.ok, `reference decode of frame ${i}`);
      return r.md5;
    });
  } finally {
    runner.close();
  }
}

Deno.test("service: 8 contexts at once, random CTX_CLOSEs with a job in flight, the daemon replaced mid-run", async () => {
  const seed = Number(Deno.env.get("STRESS_SEED") ?? Date.now() % 100000);
  console.log(`seed ${seed} (STRESS_SEED=${seed} replays it)`);
  const rand = random(seed);
  const streams = await Promise.all(STREAMS.map(async (s) => {
    const entry = CODECS.find((c) => c.name === s.codec)!;
    const frames = entry.stateless!.frames(await Deno.readFile(await s.file()), {
      mode: "frame",
      startCode: "annexb",
    });
    assert.ok(frames.every((f) => f.width === frames[0].width && f.height === frames[0].height));
    return { ...s, frames, reference: referenceMd5s(s.codec, frames) };
  }));
  const totalJobs = streams.reduce((n, s) => n + s.frames.filter((f) => f.jobs.length).length, 0);

  const port = new MemoryPort();
  let service = new DaedalusService(libav(), { summaryInterval: 0, threads: 2 });
  let restart: Promise<void> | undefined;
  let restarted = false;
  let sent = 0;
  let nextCtx = 0;
  const sentCookies = new Set<number>();
  const stats = { right: 0, failed: 0, closes: 0, afterRestart: 0, replays: 0 };

  /** One job: sent (after a restart, to the new daemon), its COMPLETE awaited. */
  async function job(client: StreamClient, frame: ClientFrame, index: number, closeAfter = false) {
    if (restart) await restart;
    sent++;
    if (!restarted && sent >= totalJobs * 0.4) {
      const old = service;
      service = new DaedalusService(libav(), { summaryInterval: 0, threads: 2 });
      restart = old.shutdown().then(() => {
        restart = undefined;
      });
      restarted = true;
    }
    const cookie = port.nextCookie();
    sentCookies.add(cookie);
    const target = service;
    target.handleMessage(port, client.jobMessage(frame.jobs[0], index, cookie));
    if (closeAfter) target.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, client.ctxId));
    return await port.completion(cookie);
  }

  await Promise.all(streams.map(async (s) => {
    const format = captureFormatFor(s.frames[0].width, s.frames[0].height, "nv12");
    const open = () => {
      const client = new StreamClient(port, ++nextCtx, P.CODEC[s.codec], format);
      service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, client.ctxId));
      return client;
    };
    let client = open();
    /**
     * The context started its stream on the daemon decoding it now: no job may fail. A stream
     * caught mid-way by the new daemon fails until its decoder recovers at a keyframe (how
     * soon depends on the codec's reference structure; past the last keyframe, never); its
     * client then plays it once more from the start, and all of that must decode.
     */
    let clean = true;
    let daemonSeen = service;
    for (let index = 0; index < s.frames.length; index++) {
      const frame = s.frames[index];
      if (frame.jobs.length === 0) continue;
      const close = rand() < 0.02;
      const c = await job(client, frame, index, close);
      if (daemonSeen !== service) {
        daemonSeen = service;
        clean = false; // mid-stream on a daemon that has not seen this stream's keyframe
      }
      if (close) {
        stats.closes++;
        client = open();
        index = -1; // the client starts its stream again
        clean = true;
        continue;
      }
      if (c.status === 0) {
        const md5 = pictureMd5(client.capture[index % 4][0].bytes, format, frame.crop);
        assert.equal(md5, s.reference[index], `${s.name}: frame ${index} is the right picture`);
        stats.right++;
        if (!clean) stats.afterRestart++;
      } else {
        stats.failed++;
        assert.ok(!clean, `${s.name}: frame ${index} failed (${c.status}) on a clean stream`);
      }
      if (index === s.frames.length - 1 && !clean) {
        stats.replays++;
        index = -1;
        clean = true;
      }
    }
  }));
  if (restart) await restart;
  await service.settle();
  const cookies = port.completions.map((c) => c.cookie);
  assert.equal(cookies.length, sentCookies.size, "every job completed exactly once");
  assert.deepEqual(new Set(cookies), sentCookies);
  assert.ok(restarted, "the daemon was replaced");
  console.log(
    `${sentCookies.size} jobs: ${stats.right} right pictures (${stats.afterRestart} by the new ` +
      `daemon mid-stream), ${stats.failed} failed while recovering, ${stats.closes} ` +
      `CTX_CLOSEs with a job in flight, ${stats.replays} streams played again after the restart`,
  );
  await service.shutdown();
  port.close();
});

/** True when an H.264 frame's bitstream (Annex-B) holds an IDR slice. */
function isIdr(frame: ClientFrame): boolean {
  const b = frame.jobs[0].bitstream;
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1 && (b[i + 3] & 0x1f) === 5) return true;
  }
  return false;
}

/** True when a VP8 frame is a key frame (its frame tag's bit 0 is clear). */
const isVp8Key = (frame: ClientFrame) => (frame.jobs[0].bitstream[0] & 1) === 0;

Deno.test("service: a decode thread frozen inside a library call is retired at the deadline; the contexts that shared it move and recover at their next key frame, new contexts never land on it", async () => {
  const byName = (name: string) => STREAMS.find((s) => s.name === name)!;
  const load = async (s: StressStream) => {
    const entry = CODECS.find((c) => c.name === s.codec)!;
    const frames = entry.stateless!.frames(await Deno.readFile(await s.file()), {
      mode: "frame",
      startCode: "annexb",
    });
    return { ...s, frames, reference: referenceMd5s(s.codec, frames) };
  };
  const [h264s, vp9s, vp8s] = await Promise.all(
    ["h264 320x240", "vp9 320x240", "vp8 320x240"].map((n) => load(byName(n))),
  );
  const port = new MemoryPort();
  // The first VP8 job blocks its thread in nanosleep for good (the DAEDALUSD_TEST_FREEZE hook).
  const service = new DaedalusService(libav(), {
    summaryInterval: 0,
    threads: 2,
    jobDeadlineMs: 10_000, // no real decode reaches it: the frozen one is past it for good
    testFreeze: { codec: "vp8", jobs: 1 },
  });
  /** A context playing a stream from decode step `start` on: each job's status, pictures checked. */
  const context = (ctxId: number, s: typeof h264s, start = 0) => {
    const format = captureFormatFor(s.frames[0].width, s.frames[0].height, "nv12");
    const client = new StreamClient(port, ctxId, P.CODEC[s.codec], format);
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, ctxId));
    const statuses = new Map<number, number>();
    const threads: (string | undefined)[] = [];
    return {
      s,
      ctxId,
      start,
      statuses,
      threads,
      /** Sends decode step `step`'s job, if the context has one then; resolves at its COMPLETE. */
      async step(step: number): Promise<void> {
        const index = step - start;
        const frame = s.frames[index];
        if (!frame || frame.jobs.length === 0) return;
        const cookie = port.nextCookie();
        service.handleMessage(port, client.jobMessage(frame.jobs[0], index, cookie));
        threads[index] = service.threadOf(ctxId);
        const c = await port.completion(cookie);
        statuses.set(index, c.status);
        if (c.status !== 0) return;
        const md5 = pictureMd5(client.capture[index % 4][0].bytes, format, frame.crop);
        assert.equal(md5, s.reference[index], `ctx ${ctxId}: frame ${index} is the right picture`);
      },
    };
  };
  try {
    // Assigned at their first jobs to the thread with the fewest contexts: 1 and 3 on the first
    // thread, 2 and then 4 (VP8, from step 3 on) on the second, where 4's first job freezes it.
    const shared = [
      context(1, h264s),
      context(2, h264s),
      context(3, vp9s),
      context(4, vp8s, 3),
    ];
    const steps = Math.max(...shared.map((c) => c.start + c.s.frames.length));
    let initialFds = 0;
    for (let step = 0; step < steps; step++) {
      if (step === 1) initialFds = portDescriptors(port); // the pool's threads attached
      // all contexts' jobs of a step at once, as clients run side by side
      await Promise.all(shared.map((c) => c.step(step)));
    }
    const [a, b, c, d] = shared;
    const stuck = d.threads[0]!;
    assert.equal(b.threads[0], stuck, "context 2 shared the thread that froze");
    assert.notEqual(a.threads[0], stuck);
    assert.equal(service.retiredThreads, 1);
    // The retired thread's descriptor stays open while connected (closing any of the daemon's
    // descriptors would disconnect it), its replacement has its own.
    assert.equal(portDescriptors(port), initialFds + 1);

    // The frozen job failed at the deadline; contexts 1 and 3 (on the other thread) never noticed.
    assert.equal(d.statuses.get(0), -ETIMEDOUT);
    for (const ctx of [a, c]) {
      assert.deepEqual([...ctx.statuses.values()].filter((s) => s !== 0), [], `ctx ${ctx.ctxId}`);
    }
    /**
     * A context that moved at frame `moved`: before it, and from its first key frame at or
     * after it, every picture decoded (and was the right one, checked as it came); between the
     * two each one failed or was the right picture, and none was missed.
     */
    const recovered = (ctx: typeof a, moved: number, key: (f: ClientFrame) => boolean) => {
      const recovery = ctx.s.frames.findIndex((f, i) => i >= moved && f.jobs.length && key(f));
      assert.ok(recovery > moved, `ctx ${ctx.ctxId} moved before a key frame (${recovery})`);
      const failedBetween = [];
      for (const [i, status] of ctx.statuses) {
        if (i >= moved && i < recovery) {
          if (status !== 0) failedBetween.push(i);
        } else if (i !== 0 || ctx !== d) {
          assert.equal(status, 0, `ctx ${ctx.ctxId}: frame ${i}`);
        }
      }
      assert.ok(failedBetween.length > 0, `ctx ${ctx.ctxId}: its new decoder lacked references`);
      return { moved, recovery, failed: failedBetween.length };
    };
    // context 2's first job on another thread (a new decoder)
    const bMoved = b.threads.findIndex((t) => t !== undefined && t !== stuck);
    const bFigures = recovered(b, bMoved, isIdr);
    const dFigures = recovered(d, 1, isVp8Key);
    assert.ok(b.threads.slice(bMoved).every((t) => t !== stuck));
    assert.ok(d.threads.slice(1).every((t) => t !== stuck));

    // The replacement, once warm, takes the next new context: the fewest contexts.
    assert.deepEqual(await service.warmUp(), []);
    const e = context(5, h264s);
    for (let step = 0; step < e.s.frames.length; step++) await e.step(step);
    const before = new Set([a, b, c, d].flatMap((x) => x.threads));
    assert.ok(!before.has(e.threads[0]), `ctx 5 decodes on the replacement (${e.threads[0]})`);
    assert.deepEqual([...e.statuses.values()].filter((s) => s !== 0), [], "ctx 5 all decoded");

    await service.closeContexts();
    assert.equal(
      portDescriptors(port),
      initialFds - 2,
      "every thread's descriptor closed at the end",
    );
    // The retired thread never unmapped its buffers: they were replaced for it.
    assert.equal(portMappedBytes(port), port.size, "no buffer mapped but by the port itself");
    const sent = [a, b, c, d, e].reduce((n, x) => n + x.statuses.size, 0);
    assert.equal(port.completions.length, sent, "every job completed exactly once");
    assert.equal(new Set(port.completions.map((x) => x.cookie)).size, sent);
    console.log(
      `${sent} jobs; thread retired: 1; ctx 2 moved at frame ${bFigures.moved}, ` +
        `${bFigures.failed} failed until its IDR at ${bFigures.recovery}; ctx 4 (VP8) ` +
        `${dFigures.failed} failed after the frozen one until its key frame at ` +
        `${dFigures.recovery}; ctx 5: ${e.statuses.size} pictures on the replacement`,
    );
  } finally {
    await service.shutdown();
    port.close();
  }
});
