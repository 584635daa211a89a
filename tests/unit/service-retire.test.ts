// The daemon's own deadline and what it does with decode threads past it (issue 22): a thread that
// dies, freezes inside a library call or sticks outside a job is retired and replaced, its jobs and
// contexts move; past a bound of threads still stuck the daemon ends itself to start afresh; a stall
// of the whole daemon retires none whose job was done. Apart from service.test.ts because their
// deadlines make them slow (10 s deadlines no real decode reaches): the unit tier's files run in
// parallel.
import assert from "node:assert/strict";
import { EIO, ETIMEDOUT } from "../../ffi/libc.ts";
import { pictureMd5 } from "../../src/decoder/file-decoder.ts";
import * as P from "../../src/service/protocol.ts";
import { EXIT_RESTART, type ServiceOptions } from "../../src/service/service.ts";
import { portDescriptors, StreamClient } from "../lib/memory-port.ts";
import { recipeStream, withService } from "../lib/service-fixture.ts";

Deno.test("service: a decode thread that dies fails its job with -EIO; its descriptor is closed when the connection ends, not before", async () => {
  const { frames, format } = await recipeStream();
  const workerEntry = new URL("./helpers/dying-worker.ts", import.meta.url);
  await withService({ workerEntry }, async (service, port) => {
    const client = new StreamClient(port, 1, P.CODEC.h264, format, 1);
    const before = portDescriptors(port);
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 1));
    assert.equal((await client.decode(service, frames[0].jobs[0], 0)).status, -EIO);
    // Closing any of the daemon's descriptors of the control device would disconnect it.
    assert.equal(portDescriptors(port), before + 1, "the dead thread's descriptor stays open");
    // The next job gets a new thread, which dies the same way.
    assert.equal((await client.decode(service, frames[1].jobs[0], 1)).status, -EIO);
    assert.equal(portDescriptors(port), before + 2);
    await service.closeContexts();
    assert.equal(portDescriptors(port), before, "both closed at the connection's end");
  });
});

Deno.test("service: past the bound of retired decode threads the daemon ends itself to start afresh", async () => {
  const { frames, format } = await recipeStream();
  // One thread; the first two H.264 jobs freeze theirs: the thread, then its replacement.
  const options: ServiceOptions = {
    threads: 1,
    jobDeadlineMs: 10_000, // no real decode reaches it: the frozen ones are past it for good
    maxRetiredThreads: 1,
    testFreeze: { codec: "h264", jobs: 2 },
  };
  await withService(options, async (service, port) => {
    const client = new StreamClient(port, 1, P.CODEC.h264, format, 1);
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 1));
    assert.equal((await client.decode(service, frames[0].jobs[0], 0)).status, -ETIMEDOUT);
    assert.deepEqual([service.retiredThreads, service.exitCode], [1, 0], "within the bound");
    assert.equal((await client.decode(service, frames[0].jobs[0], 0)).status, -ETIMEDOUT);
    assert.deepEqual([service.retiredThreads, service.exitCode], [2, EXIT_RESTART]);
    // Until the loop has stopped, the replacement still decodes.
    assert.equal((await client.decode(service, frames[0].jobs[0], 0)).status, 0);
  });
});

Deno.test("service: retired decode threads whose slow call came back do not count towards the bound: more slow jobs than it allows, one at a time, never end the daemon", async () => {
  const { frames, format } = await recipeStream();
  // One thread; the first three H.264 jobs block theirs in nanosleep for 3 s, far past the
  // deadline, then come back (a slow picture, not a stuck decoder).
  const options: ServiceOptions = {
    threads: 1,
    jobDeadlineMs: 200,
    maxRetiredThreads: 1,
    testFreeze: { codec: "h264", jobs: 3, ms: 3000 },
  };
  await withService(options, async (service, port) => {
    const client = new StreamClient(port, 1, P.CODEC.h264, format, 1);
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 1));
    for (let slow = 1; slow <= 3; slow++) {
      assert.equal((await client.decode(service, frames[0].jobs[0], 0)).status, -ETIMEDOUT);
      assert.equal(service.retiredThreads, slow);
      assert.equal(service.exitCode, 0, `slow job ${slow}: the daemon goes on`);
      // The retired thread's call comes back and its OS thread ends (terminate()).
      while (service.stuckThreads > 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual([service.retiredThreads, service.stuckThreads, service.exitCode], [3, 0, 0]);
  });
});

Deno.test("service: a decode thread stuck outside a job (in a context's close) is retired; the job waiting behind it decodes on another thread", async () => {
  const { frames, format, expected } = await recipeStream();
  const options: ServiceOptions = {
    threads: 1,
    jobDeadlineMs: 10_000, // no real decode reaches it
    workerEntry: new URL("./helpers/stuck-close-worker.ts", import.meta.url),
  };
  await withService(options, async (service, port) => {
    const first = new StreamClient(port, 1, P.CODEC.h264, format, 1);
    const second = new StreamClient(port, 2, P.CODEC.h264, format, 1);
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 1));
    assert.equal((await first.decode(service, frames[0].jobs[0], 0)).status, 0);
    const stuck = service.threadOf(1);
    // Its CTX_CLOSE blocks the thread for good; context 2's first job is queued behind it.
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, 1));
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, 2));
    const cookie = port.nextCookie();
    service.handleMessage(port, second.jobMessage(frames[0].jobs[0], 0, cookie));
    assert.equal(service.threadOf(2), stuck);
    // Before the fix it waited for good: the failure is reported instead (far past 2 deadlines).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const never = new Promise<"stuck">((r) => timer = setTimeout(() => r("stuck"), 60_000));
    const c = await Promise.race([port.completion(cookie), never]);
    clearTimeout(timer);
    assert.notEqual(c, "stuck", "the job behind the stuck close was never completed");
    assert.equal((c as P.Complete).status, 0, "it decoded, on another thread");
    assert.equal(pictureMd5(second.capture[0][0].bytes, format, frames[0].crop), expected[0]);
    assert.equal(service.retiredThreads, 1);
  });
});

Deno.test("service: a stall of the whole daemon past the deadline retires no thread whose job was done", async () => {
  const { frames, format } = await recipeStream();
  const options: ServiceOptions = {
    threads: 1,
    jobDeadlineMs: 300,
    // The first job is slow (a decoder's creation on a busy machine): 700 ms in nanosleep.
    testFreeze: { codec: "h264", jobs: 1, ms: 700 },
  };
  await withService(options, async (service, port) => {
    const client = new StreamClient(port, 1, P.CODEC.h264, format, 1);
    assert.deepEqual(await service.warmUp(), []);
    for (const [index, frame] of frames.slice(0, 4).entries()) {
      const cookie = port.nextCookie();
      service.handleMessage(port, client.jobMessage(frame.jobs[0], index, cookie));
      // The service thread stalls (as under SIGSTOP) past the deadline, while the job decodes,
      // and until its result is on its way (the one thread's index+1-th answer).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
      service.contextThread(1)!.waitAnswered(index + 1);
      assert.equal((await port.completion(cookie)).status, 0, `frame ${index}`);
    }
    assert.equal(service.retiredThreads, 0);
  });
});
