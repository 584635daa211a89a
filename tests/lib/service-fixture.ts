/**
 * The service tests' shared set-up (tests/unit/service.test.ts and service-retire.test.ts): their
 * H.264 stream, as jobs, and a service on an in-memory control device.
 */
import { libav } from "../../ffi/libav.ts";
import { captureFormatFor } from "../../src/decoder/file-decoder.ts";
import { streamToFrames } from "../../src/h264/client.ts";
import { DaedalusService, type ServiceOptions } from "../../src/service/service.ts";
import { MemoryPort } from "./memory-port.ts";
import { ffmpegFrameMd5s, type H264Recipe, streamFile } from "./streams.ts";

/** The service tests' stream: 640x360, B-frames, three slices a picture. */
export const RECIPE: H264Recipe = {
  name: "service-slices3-640x360",
  codec: "h264",
  size: "640x360",
  frames: 12,
  args: ["-bf", "2", "-x264-params", "slices=3"],
};

/** RECIPE's stream as `mode` jobs: its frames, their CAPTURE format (NV12) and ffmpeg's MD5s. */
export async function recipeStream(mode: "frame" | "slice" = "frame") {
  const file = await streamFile(RECIPE);
  const frames = streamToFrames(
    await Deno.readFile(file),
    mode === "frame" ? { mode, startCode: "annexb" } : { mode, startCode: "none" },
  );
  const format = captureFormatFor(frames[0].width, frames[0].height, "nv12");
  return { frames, format, expected: await ffmpegFrameMd5s(file, "nv12") };
}

/**
 * `body` with a service (no summaries, and `options`) on an in-memory control device; both shut
 * down after it, whatever happens.
 */
export async function withService(
  options: ServiceOptions,
  body: (service: DaedalusService, port: MemoryPort) => Promise<void>,
): Promise<void> {
  const service = new DaedalusService(libav(), { summaryInterval: 0, ...options });
  const port = new MemoryPort();
  try {
    await body(service, port);
  } finally {
    await service.shutdown();
    port.close();
  }
}
