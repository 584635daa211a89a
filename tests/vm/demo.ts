/**
 * The demo (`./run demo`): boots a Debian kernel in a VM, loads the module, starts the daemon,
 * decodes a clip through GStreamer's v4l2slh264dec, checks it bit-exact against ffmpeg, times it
 * against `ffmpeg -threads 1` on the same clip in the same guest, and saves a decoded frame as
 * a PNG on the host.
 */
import { assertBitExact, type Clip, decodeInGuest } from "../lib/e2e.ts";
import { assertGuestOk, REPO } from "../lib/harness.ts";
import { type H264Recipe, streamFile } from "../lib/streams.ts";

const CLIP: H264Recipe = {
  name: "demo-cabac-bpyramid-1280x720",
  codec: "h264",
  size: "1280x720",
  frames: 50,
  args: ["-profile:v", "high", "-bf", "3", "-x264-params", "b-pyramid=normal"],
};
const KERNEL = "6.12";

const step = (s: string) => console.log(`demo: ${s}`);

step(
  `preparing (kernel ${KERNEL}, module, daemon bundle, a ${CLIP.size} clip of ${CLIP.frames} frames)`,
);
const clip: Clip = {
  id: "demo",
  file: await streamFile(CLIP),
  codec: "h264",
  container: "h264",
  format: "NV12",
};
step("booting the VM: module loaded, daedalusd started, GStreamer decoding through the device");
const r = await decodeInGuest(KERNEL, ["job_timeout_ms=30000"], [clip], { ffmpeg: true });
for (const line of r.guest.log.split("\n")) if (/^(ok|FAIL):/.test(line)) step(`guest ${line}`);
assertGuestOk(r.guest);
const gst = r.clients.get("demo");
const ffmpeg = r.ffmpeg.get("demo");
if (gst?.status !== 0 || ffmpeg?.status !== 0) {
  throw new Error(
    `decoding failed: gst ${gst?.status}, ffmpeg ${ffmpeg?.status} (${r.guest.runDir})`,
  );
}
await assertBitExact(r.guest.runDir, clip);
step(`bit-exact: all ${CLIP.frames} frames equal ffmpeg's own decode`);

const jobs = (r.daemonLog.match(/REQ_DECODE/g) ?? []).length;
step(`daemon: ${jobs} jobs (warm-up included); a sample of its -v lines:`);
for (const l of r.daemonLog.split("\n").filter((l) => /REQ_DECODE|decoder: OK/.test(l)).slice(-2)) {
  console.log(`    ${l}`);
}
const fps = CLIP.frames / gst.seconds;
const ffFps = CLIP.frames / ffmpeg.seconds;
step(
  `v4l2slh264dec through the device: ${fps.toFixed(1)} fps; ffmpeg -threads 1: ${
    ffFps.toFixed(1)
  } fps; ` +
    `ratio ${(fps / ffFps).toFixed(2)}`,
);
step(
  "(both timed in the same TCG-emulated guest, process start-up included: compare the ratio, not the fps)",
);
step(`slowest request: ${r.slowestRequestMs ?? "?"} ms (GStreamer waits at most 1000 ms for one)`);

const [w, h] = CLIP.size.split("x");
const png = `${REPO}/demo-output/frame-25.png`;
await Deno.mkdir(`${REPO}/demo-output`, { recursive: true });
const out = await new Deno.Command("ffmpeg", {
  args: [
    ...["-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "nv12", "-s", `${w}x${h}`],
    ...["-i", `${r.guest.runDir}/demo.yuv`, "-vf", "select=eq(n\\,25)", "-frames:v", "1", png],
  ],
}).output();
if (!out.success) throw new Error("could not write the PNG");
step(`frame 25, as decoded through the device: ${png}`);
