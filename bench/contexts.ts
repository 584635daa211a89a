/**
 * The service with several contexts at once, through the memory-backed device double (no
 * kernel): jobs go through the same message handling, context threads and COMPLETE as the
 * daemon's. All figures are ratios within one run, or sizes:
 *
 * - throughput of two contexts decoding the same clip at once against one alone;
 * - a 360p context's per-job latency (message → COMPLETE) alone, and beside a 1080p context;
 *   and the same two decodes in two bare workers (bench/decode-worker.ts), without the service:
 *   what the machine itself makes two decodes cost each other;
 * - what a context costs: a new context's first job against its later ones, and
 *   the resident memory each additional context adds.
 */
import { libav } from "../ffi/libav.ts";
import { CODECS } from "../src/codecs.ts";
import type { ClientFrame } from "../src/decoder/file-client.ts";
import { captureFormatFor } from "../src/decoder/file-decoder.ts";
import * as P from "../src/service/protocol.ts";
import { DaedalusService } from "../src/service/service.ts";
import { MemoryPort, playStream, StreamClient } from "../tests/lib/memory-port.ts";
import { streamFile } from "../tests/lib/streams.ts";

const clipFile = (name: string, size: string, frames: number) =>
  streamFile({ name, codec: "h264", size, frames, args: ["-bf", "3", "-preset", "fast"] });
const clip = async (name: string, size: string, frames: number) =>
  CODECS.find((c) => c.name === "h264")!.stateless!.frames(
    await Deno.readFile(await clipFile(name, size, frames)),
    { mode: "frame", startCode: "annexb" },
  );

/** Per-frame decode times of `file` in a bare worker (bench/decode-worker.ts). */
function bareDecode(file: string, loops: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("./decode-worker.ts", import.meta.url), { type: "module" });
    w.onmessage = (e: MessageEvent<number[]>) => {
      w.terminate();
      resolve(e.data);
    };
    w.onerror = (e) => {
      e.preventDefault();
      w.terminate();
      reject(new Error(e.message));
    };
    w.postMessage({ file, loops });
  });
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** Plays each stream on its own new context at once; returns the seconds and the latencies. */
async function together(
  service: DaedalusService,
  port: MemoryPort,
  streams: ClientFrame[][],
  firstCtx: number,
): Promise<{ seconds: number; latencies: number[][] }> {
  const clients = streams.map((frames, i) => {
    const format = captureFormatFor(frames[0].width, frames[0].height, "nv12");
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, firstCtx + i));
    return new StreamClient(port, firstCtx + i, P.CODEC.h264, format);
  });
  // Let the contexts' threads warm up (the spare did; a second one starts with the first job).
  await playStream(service, clients[0], streams[0].slice(0, 1), false);
  for (const c of clients.slice(1)) await playStream(service, c, streams[0].slice(0, 1), false);
  const t0 = performance.now();
  const played = await Promise.all(
    clients.map((c, i) => playStream(service, c, streams[i], false)),
  );
  const seconds = (performance.now() - t0) / 1000;
  for (const [i, p] of played.entries()) {
    if (p.failed.length > 0) throw new Error(`context ${firstCtx + i}: ${p.failed.length} failed`);
  }
  for (const c of clients) {
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_CLOSE, c.ctxId));
  }
  return { seconds, latencies: played.map((p) => p.latencies) };
}

/** The contexts rows of `deno task bench` (BENCH_ONLY=contexts). */
export async function benchContexts(runs: number): Promise<void> {
  const hd = await clip("bench-1080p", "1920x1080", 240);
  const sd = await clip("bench-360p", "640x360", 900);
  const service = new DaedalusService(libav(), {
    summaryInterval: 0,
    threads: navigator.hardwareConcurrency,
  });
  const port = new MemoryPort();
  let ctx = 0;
  const throughput: number[] = [];
  const alone: number[] = [];
  const beside: number[] = [];
  for (let run = 0; run < runs; run++) {
    const one = await together(service, port, [hd], ctx += 10);
    const two = await together(service, port, [hd, hd], ctx += 10);
    throughput.push((2 * one.seconds) / two.seconds);
    const sdAlone = await together(service, port, [sd], ctx += 10);
    // The 1080p clip runs beside the 360p one for all of its jobs (the 360p clip is shorter).
    const sdBeside = await together(service, port, [sd, [...hd, ...hd, ...hd, ...hd]], ctx += 10);
    alone.push(...sdAlone.latencies[0]);
    beside.push(...sdBeside.latencies[0]);
  }
  const median = (xs: number[]) => percentile(xs, 0.5);
  console.log(
    `contexts: 2 x 1080p at once ${median(throughput).toFixed(2)}x the throughput of one ` +
      `(median of ${runs}; ${navigator.hardwareConcurrency} CPUs)`,
  );
  const p50 = median(beside) / median(alone);
  const p99 = percentile(beside, 0.99) / percentile(alone, 0.99);
  console.log(
    `contexts: 360p per-job latency alone p50 ${median(alone).toFixed(2)} ms p99 ` +
      `${percentile(alone, 0.99).toFixed(2)} ms; beside a 1080p context p50 ` +
      `${median(beside).toFixed(2)} ms p99 ${percentile(beside, 0.99).toFixed(2)} ms: ` +
      `${p50.toFixed(2)}x / ${p99.toFixed(2)}x`,
  );
  const bareAlone: number[] = [];
  const bareBeside: number[] = [];
  const sdFile = await clipFile("bench-360p", "640x360", 900);
  const hdFile = await clipFile("bench-1080p", "1920x1080", 240);
  for (let run = 0; run < runs; run++) {
    bareAlone.push(...await bareDecode(sdFile, 1));
    const [sdBeside] = await Promise.all([bareDecode(sdFile, 1), bareDecode(hdFile, 4)]);
    bareBeside.push(...sdBeside);
  }
  console.log(
    `contexts: the same 360p decode in a bare worker (no service) alone p50 ` +
      `${median(bareAlone).toFixed(2)} ms p99 ${percentile(bareAlone, 0.99).toFixed(2)} ms; ` +
      `beside a 1080p one p50 ${median(bareBeside).toFixed(2)} ms p99 ` +
      `${percentile(bareBeside, 0.99).toFixed(2)} ms: ` +
      `${(median(bareBeside) / median(bareAlone)).toFixed(2)}x / ` +
      `${(percentile(bareBeside, 0.99) / percentile(bareAlone, 0.99)).toFixed(2)}x`,
  );
  await startCosts(service, port, sd, ctx += 10);
  await service.shutdown();
  port.close();
}

/** A new context's first job; resident memory per context and per decode thread. */
async function startCosts(
  service: DaedalusService,
  port: MemoryPort,
  sd: ClientFrame[],
  firstCtx: number,
): Promise<void> {
  const format = captureFormatFor(sd[0].width, sd[0].height, "nv12");
  const first = async (ctxId: number) => {
    service.handleMessage(port, P.encodeCtxMessage(P.MSG_CTX_OPEN, ctxId));
    const client = new StreamClient(port, ctxId, P.CODEC.h264, format);
    return (await playStream(service, client, sd.slice(0, 1), false)).latencies[0];
  };
  const firstJobs: number[] = [];
  for (let i = 0; i < 5; i++) firstJobs.push(await first(firstCtx + i));
  const later = (await playStream(
    service,
    new StreamClient(port, firstCtx, P.CODEC.h264, format),
    sd.slice(0, 30),
    false,
  )).latencies;
  console.log(
    `contexts: a new context's first 360p job (its decoder opened) ${
      percentile(firstJobs, 0.5).toFixed(1)
    } ms, its later jobs ${percentile(later, 0.5).toFixed(1)} ms (medians)`,
  );
  const contexts = 8;
  const rss0 = Deno.memoryUsage().rss;
  for (let i = 0; i < contexts; i++) await first(firstCtx + 100 + i);
  const perContext = (Deno.memoryUsage().rss - rss0) / contexts;
  const threads = navigator.hardwareConcurrency;
  const rss1 = Deno.memoryUsage().rss;
  const more = new DaedalusService(libav(), { summaryInterval: 0, threads });
  const morePort = new MemoryPort();
  await playStream(
    more,
    new StreamClient(morePort, 1, P.CODEC.h264, format),
    sd.slice(0, 1),
    false,
  );
  const perThread = (Deno.memoryUsage().rss - rss1) / threads;
  await more.shutdown();
  morePort.close();
  console.log(
    `contexts: ${(perContext / 2 ** 20).toFixed(1)} MiB resident per additional 360p context ` +
      `(${contexts} contexts, each with its decoder and one decoded picture); ` +
      `${(perThread / 2 ** 20).toFixed(1)} MiB per decode thread (its isolate, libav state)`,
  );
}
