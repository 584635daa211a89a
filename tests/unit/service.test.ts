// The service loop's job handling, with a test double for the control device (plain memory
// instead of mmap): every job is completed, pictures are bit-exact, bad jobs fail alone.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { EINVAL, ENOMEM, ENOTSUP } from "../../ffi/libc.ts";
import { captureFormatFor, pictureMd5 } from "../../src/decoder/file-decoder.ts";
import * as P from "../../src/service/protocol.ts";
import { ContextJobs } from "../../src/service/context-jobs.ts";
import { decoderBytes } from "../../src/service/decoder-memory.ts";
import { DaedalusService } from "../../src/service/service.ts";
import { MemoryPort, playStream, StreamClient } from "../lib/memory-port.ts";
import { recipeStream, withService } from "../lib/service-fixture.ts";
import { CODECS } from "../../src/codecs.ts";
import type { ClientFrame } from "../../src/decoder/file-client.ts";
import type { CaptureFormat } from "../../src/decoder/job.ts";
import { asIvf, ffmpegFrameMd5s, streamFile } from "../lib/streams.ts";

/**
 * A job message whose first CAPTURE plane is new memory (another memory id) at an offset off a
 * page: mmap refuses it.
 */
function unmappable(message: Uint8Array): Uint8Array {
  const v = new DataView(message.buffer, message.byteOffset);
  const plane = P.LAYOUT.job.capture;
  v.setBigUint64(plane + P.LAYOUT.plane.mmap_offset, v.getBigUint64(plane, true) + 1n, true);
  v.setUint32(plane + P.LAYOUT.plane.memory_id, 0xffffffff, true);
  return message;
}

Deno.test("service: slice-based jobs with held CAPTURE buffers decode bit-exact; bad jobs fail alone", async () => {
  const { frames, format, expected } = await recipeStream("slice");
  await withService({}, async (service, port) => {
    const client = new StreamClient(port, 1, P.CODEC.h264, format);
    const hevc = new StreamClient(port, 2, P.CODEC.hevc, format, 1);
    const other = new StreamClient(port, 3, P.CODEC.h264, format, 1);
    const vp9 = new StreamClient(port, 4, P.CODEC.vp9, format, 1);
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 1));
    const got: { period: number; poc: number; md5: string }[] = [];
    let jobs = 0;
    for (const [index, frame] of frames.entries()) {
      for (const cj of frame.jobs) {
        const c = await client.decode(service, cj, index);
        jobs++;
        assert.equal(c.status, 0, `frame ${index}`);
        assert.equal(c.numPlanes, 1);
        assert.equal(c.bytesused[0], cj.hold ? 0 : format.planes[0].length);
      }
      got.push({
        period: frame.period,
        poc: frame.poc,
        md5: pictureMd5(client.capture[index % 4][0].bytes, format, frame.crop),
      });
      if (index !== 4) continue;
      // Interleaved trouble on other contexts must not disturb context 1.
      assert.equal((await hevc.decode(service, frame.jobs[0], 0)).status, -ENOTSUP);
      // a VP9 job carrying H.264's controls
      assert.equal((await vp9.decode(service, frame.jobs[0], 0)).status, -EINVAL);
      const garbage = { ...frame.jobs[0], ctrls: new Map([[1, new Uint8Array(3)]]) };
      assert.equal((await other.decode(service, garbage, 0)).status, -EINVAL);
      const malformed = other.jobMessage(frame.jobs[0], 0);
      const cookie = new DataView(malformed.buffer).getUint32(P.LAYOUT.hdr.cookie, true);
      new DataView(malformed.buffer).setUint32(P.LAYOUT.job.num_capture_planes, 9, true);
      service.handleMessage(port, malformed);
      assert.deepEqual(await port.completion(cookie), {
        cookie,
        status: -EINVAL,
        numPlanes: 0,
        bytesused: [],
      });
      // A CAPTURE buffer that cannot be mapped fails the picture's last job.
      const statuses: number[] = [];
      for (const [i, cj] of frames[0].jobs.entries()) {
        const last = i === frames[0].jobs.length - 1;
        const message = other.jobMessage(cj, 0);
        const c = new DataView(message.buffer).getUint32(P.LAYOUT.hdr.cookie, true);
        service.handleMessage(port, last ? unmappable(message) : message);
        statuses.push((await port.completion(c)).status);
      }
      assert.ok(statuses.slice(0, -1).every((s) => s === 0) && statuses.at(-1)! < 0);
    }
    assert.ok(jobs > frames.length, "several slices per picture were sent");
    got.sort((a, b) => a.period - b.period || a.poc - b.poc);
    assert.deepEqual(got.map((g) => g.md5), expected);
    assert.equal(service.contexts, 4); // every context that sent jobs
    for (const ctx of [1, 2, 3, 4]) {
      service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, ctx));
    }
    assert.equal(service.contexts, 0);
    assert.equal(service.counters.failed, 5);
  });
});

Deno.test("service: a device that is not ours does not stop the daemon; stop() ends run()", async () => {
  const service = new DaedalusService(libav(), {
    device: "/dev/null",
    summaryInterval: 0,
    pollMs: 50,
  });
  const done = service.run();
  await new Promise((r) => setTimeout(r, 1500));
  service.stop();
  assert.equal(await done, 0);
  assert.equal(service.counters.jobs, 0);
});

Deno.test("service: an absent device is waited for; stop() ends the wait", async () => {
  const service = new DaedalusService(libav(), {
    device: "/nonexistent/daedalus",
    summaryInterval: 0,
  });
  const done = service.run();
  await new Promise((r) => setTimeout(r, 300));
  service.stop();
  assert.equal(await done, 0);
});

/** A context's stream: its file's frames, its CAPTURE format and ffmpeg's MD5s. */
async function contextStream(
  file: string,
  codec: keyof typeof P.CODEC,
  decoder?: string,
): Promise<{ codec: number; frames: ClientFrame[]; format: CaptureFormat; expected: string[] }> {
  const entry = CODECS.find((c) => c.name === codec)!;
  const frames = entry.stateless!.frames(await Deno.readFile(file), {
    mode: "frame",
    startCode: "annexb",
  });
  const format = captureFormatFor(frames[0].width, frames[0].height, "nv12");
  return {
    codec: P.CODEC[codec],
    frames,
    format,
    expected: await ffmpegFrameMd5s(file, "nv12", decoder),
  };
}

Deno.test("service: H.264, VP9 and AV1 contexts decode at once, each bit-exact, on their own threads", async () => {
  const streams = await Promise.all([
    streamFile({
      name: "service-h264-320x240",
      codec: "h264",
      size: "320x240",
      frames: 30,
      args: ["-bf", "2"],
    })
      .then((f) => contextStream(f, "h264")),
    asIvf(
      await streamFile({
        name: "service-vp9-320x240",
        codec: "vp9",
        encoder: "vpxenc",
        size: "320x240",
        frames: 30,
        args: ["--good", "--cpu-used=8", "--auto-alt-ref=1", "--lag-in-frames=8"],
      }),
    ).then((f) => contextStream(f, "vp9")),
    streamFile({
      name: "service-av1-320x240",
      codec: "av1",
      encoder: "libsvtav1",
      size: "320x240",
      frames: 30,
      args: ["-preset", "12"],
    }).then((f) => contextStream(f, "av1", "libdav1d")),
  ]);
  await withService({ threads: 2 }, async (service, port) => {
    const played = await Promise.all(streams.map((s, i) => {
      service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, i + 1));
      return playStream(service, new StreamClient(port, i + 1, s.codec, s.format), s.frames);
    }));
    played.forEach((p, i) => {
      assert.deepEqual(p.failed, [], `context ${i + 1}: no job failed`);
      assert.deepEqual(p.md5s, streams[i].expected, `context ${i + 1} bit-exact`);
    });
    assert.equal(service.contexts, 3);
    const jobs = streams.reduce((n, s) => n + s.frames.filter((f) => f.jobs.length).length, 0);
    assert.equal(port.completions.length, jobs, "every job completed once");
    assert.equal(new Set(port.completions.map((c) => c.cookie)).size, jobs);
  });
});

Deno.test("context jobs: a buffer's mapping is kept while its memory id stays, replaced when it changes, per job without one", async () => {
  const { frames, format } = await recipeStream();
  const port = new MemoryPort();
  const client = new StreamClient(port, 1, P.CODEC.h264, format, 2);
  const jobs = new ContextJobs(libav(), port.fd);
  const decode = (index: number, patch?: (m: Uint8Array) => void) => {
    const message = client.jobMessage(frames[index].jobs[0], index);
    patch?.(message);
    const parsed = P.parseMessage(message);
    assert.equal(parsed.type, "decode");
    const outcome = jobs.decode((parsed as { job: P.WireJob }).job, 1);
    outcome.finish();
    assert.equal(outcome.result.status, 0, `frame ${index}: ${outcome.result.message}`);
    return pictureMd5(client.capture[index % 2][0].bytes, format, frames[index].crop);
  };
  try {
    const expected = frames.map((_, i) => decode(i)); // 12 jobs over 1 OUTPUT, 2 CAPTURE buffers
    assert.deepEqual(jobs.mappingStats, { made: 3, reused: 21 });
    // CAPTURE buffer 0 gets new memory (the client reallocated): mapped anew, and written.
    client.capture[0][0] = port.buffer(client.capture[0][0].length);
    assert.equal(decode(0), expected[0]);
    assert.equal(decode(1), expected[1]);
    assert.equal(decode(2), expected[2]);
    assert.deepEqual(jobs.mappingStats, { made: 4, reused: 26 });
    // Without memory ids (an ABI 1.1 module) a job maps its buffers for itself alone.
    const noIds = (m: Uint8Array) => {
      const v = new DataView(m.buffer, m.byteOffset);
      v.setUint32(P.LAYOUT.job.output + P.LAYOUT.plane.memory_id, 0, true);
      v.setUint32(P.LAYOUT.job.capture + P.LAYOUT.plane.memory_id, 0, true);
    };
    assert.equal(decode(3, noIds), expected[3]);
    assert.equal(decode(4, noIds), expected[4]);
    assert.deepEqual(jobs.mappingStats, { made: 8, reused: 26 });
  } finally {
    jobs.close();
    port.close();
  }
});

Deno.test("service: the contexts' decoder memory is bounded: a context whose decoder would pass the budget fails its job with -ENOMEM, the others decode on", async () => {
  const { frames, format, expected } = await recipeStream();
  const port = new MemoryPort();
  const clients = [1, 2, 3].map((ctx) => new StreamClient(port, ctx, P.CODEC.h264, format));
  const job = P.parseMessage(clients[0].jobMessage(frames[0].jobs[0], 0)) as { job: P.WireJob };
  const perContext = decoderBytes(CODECS.find((c) => c.name === "h264")!, job.job);
  // room for two of these contexts, not three
  const service = new DaedalusService(libav(), {
    summaryInterval: 0,
    threads: 2,
    decoderMemory: perContext * 2.5,
  });
  try {
    for (const c of clients) {
      service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, c.ctxId));
    }
    const [one, two, three] = await Promise.all(
      clients.map((c) => playStream(service, c, frames)),
    );
    const refused = port.completions.filter((c) => c.status === -ENOMEM).length;
    assert.deepEqual([one.md5s, two.md5s], [expected, expected], "contexts 1 and 2 bit-exact");
    assert.equal(three.failed.length, frames.length, "every job of context 3 refused");
    assert.equal(refused, frames.length);
    assert.deepEqual(service.decoderMemory, { used: perContext * 2, budget: perContext * 2.5 });
    // Context 1 closes: its decoder's memory is context 3's now.
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, 1));
    assert.deepEqual((await playStream(service, clients[2], frames)).md5s, expected);
    assert.equal(service.decoderMemory.used, perContext * 2);
    console.log(
      `${(perContext / (1 << 20)).toFixed(1)} MiB per ${format.width}x${format.height} H.264 ` +
        `context, budget 2.5 of them: ${refused} jobs of the third refused`,
    );
  } finally {
    await service.shutdown();
    port.close();
  }
});
