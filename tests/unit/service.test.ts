// The service loop's job handling, with a test double for the control device (plain memory
// instead of mmap): every job is completed, pictures are bit-exact, bad jobs fail alone.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { EINVAL, ENOTSUP } from "../../ffi/libc.ts";
import { captureFormatFor, pictureMd5 } from "../../src/decoder/file-decoder.ts";
import { streamToFrames } from "../../src/h264/client.ts";
import type { Mapping } from "../../src/service/control-device.ts";
import * as P from "../../src/service/protocol.ts";
import { DaedalusService, type JobPort } from "../../src/service/service.ts";
import { ffmpegFrameMd5s, streamFile, type StreamRecipe } from "./helpers/streams.ts";

class FakePort implements JobPort {
  readonly buffers = new Map<bigint, Uint8Array<ArrayBuffer>>();
  readonly completions: P.Complete[] = [];
  map(offset: bigint, length: number): Mapping {
    const buf = this.buffers.get(offset);
    if (!buf || length > buf.length) throw new Error(`no buffer at 0x${offset.toString(16)}`);
    return {
      ptr: Deno.UnsafePointer.of(buf)!,
      length,
      bytes: buf.subarray(0, length),
      unmap() {},
    };
  }
  complete(c: P.Complete): void {
    P.encodeComplete(c); // what the kernel would validate
    this.completions.push(c);
  }
}

const RECIPE: StreamRecipe = {
  name: "service-slices3-640x360",
  size: "640x360",
  frames: 12,
  x264: ["-bf", "2", "-x264-params", "slices=3"],
};

Deno.test("service: slice-based jobs with held CAPTURE buffers decode bit-exact; bad jobs fail alone", async () => {
  const file = await streamFile(RECIPE);
  const expected = await ffmpegFrameMd5s(file, "nv12");
  const frames = streamToFrames(await Deno.readFile(file), { mode: "slice", startCode: "none" });
  const service = new DaedalusService(libav(), { summaryInterval: 0 });
  const port = new FakePort();
  const format = captureFormatFor(frames[0].width, frames[0].height, "nv12");
  const captureOffset = (i: number) => BigInt(0x1000000 * (i + 1));
  for (let i = 0; i < 4; i++) {
    port.buffers.set(captureOffset(i), new Uint8Array(format.planes[0].length));
  }
  const OUTPUT = 0x100n;
  port.buffers.set(OUTPUT, new Uint8Array(1 << 20));
  let cookie = 0;
  const send = (ctxId: number, codec: number, cj: (typeof frames)[0]["jobs"][0], index: number) => {
    port.buffers.get(OUTPUT)!.set(cj.bitstream);
    service.handleMessage(
      port,
      P.encodeJobMessage({
        ctxId,
        cookie: ++cookie,
        codec,
        flags: cj.hold ? P.DAEDALUS_JOB_HOLD_CAPTURE : 0,
        timestamp: BigInt(index) * 1000n,
        outputIndex: 0,
        captureIndex: index % 4,
        outputFlags: 0,
        width: format.width,
        height: format.height,
        pixelformat: format.pixelformat,
        output: {
          mmapOffset: OUTPUT,
          length: 1 << 20,
          bytesperline: 0,
          bytesused: cj.bitstream.length,
        },
        capture: [{
          mmapOffset: captureOffset(index % 4),
          length: format.planes[0].length,
          bytesperline: format.planes[0].bytesperline,
          bytesused: 0,
        }],
        ctrls: cj.ctrls,
      }),
    );
    return port.completions.at(-1)!;
  };

  service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 1));
  const got: { period: number; poc: number; md5: string }[] = [];
  let jobs = 0;
  frames.forEach((frame, index) => {
    for (const cj of frame.jobs) {
      const c = send(1, P.CODEC.h264, cj, index);
      jobs++;
      assert.equal(c.cookie, cookie);
      assert.equal(c.status, 0, `frame ${index}`);
      assert.equal(c.numPlanes, 1);
      assert.equal(c.bytesused[0], cj.hold ? 0 : format.planes[0].length);
    }
    got.push({
      period: frame.period,
      poc: frame.poc,
      md5: pictureMd5(port.buffers.get(captureOffset(index % 4))!, format, frame.crop),
    });
    if (index === 4) {
      // Interleaved trouble on other contexts must not disturb context 1.
      assert.equal(send(2, P.CODEC.hevc, frame.jobs[0], 0).status, -ENOTSUP);
      // a VP9 job carrying H.264's controls
      assert.equal(send(4, P.CODEC.vp9, frame.jobs[0], 0).status, -EINVAL);
      const garbage = { ...frame.jobs[0], ctrls: new Map([[1, new Uint8Array(3)]]) };
      assert.equal(send(3, P.CODEC.h264, garbage, 0).status, -EINVAL);
      const malformed = P.encodeJobMessage({
        ctxId: 3,
        cookie: ++cookie,
        codec: 1,
        flags: 0,
        timestamp: 0n,
        outputIndex: 0,
        captureIndex: 0,
        outputFlags: 0,
        width: 16,
        height: 16,
        pixelformat: 0,
        output: { mmapOffset: OUTPUT, length: 16, bytesperline: 0, bytesused: 16 },
        capture: [{ mmapOffset: 0n, length: 0, bytesperline: 0, bytesused: 0 }],
        ctrls: new Map(),
      });
      new DataView(malformed.buffer).setUint32(P.LAYOUT.job.num_capture_planes, 9, true);
      service.handleMessage(port, malformed);
      assert.deepEqual(port.completions.at(-1), {
        cookie,
        status: -EINVAL,
        numPlanes: 0,
        bytesused: [],
      });
      // A CAPTURE buffer that cannot be mapped fails the picture's last job.
      const saved = port.buffers.get(captureOffset(0))!;
      port.buffers.delete(captureOffset(0));
      const statuses = frames[0].jobs.map((cj) => send(3, P.CODEC.h264, cj, 0).status);
      port.buffers.set(captureOffset(0), saved);
      assert.ok(statuses.slice(0, -1).every((s) => s === 0) && statuses.at(-1)! < 0);
    }
  });
  assert.ok(jobs > frames.length, "several slices per picture were sent");
  got.sort((a, b) => a.period - b.period || a.poc - b.poc);
  assert.deepEqual(got.map((g) => g.md5), expected);
  assert.equal(service.contexts, 3); // contexts 1, 3 (H.264) and 4 (VP9) have decoders
  service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, 1));
  service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, 3));
  service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, 4));
  assert.equal(service.contexts, 0);
  assert.equal(service.counters.failed, 5);
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
