/**
 * Start-up warm-up and self-test: decodes syntheticIdr() through the same core jobs use.
 *
 * Clients give a request little time (GStreamer 1 s, libva 2 s, the kernel's watchdog 2 s), so
 * the first job must not pay for cold caches: the FFmpeg libraries are read once, so that their
 * code pages fault in from the page cache rather than from disk (or 9p, in the test VMs) while a
 * job waits.
 */
import type { Libav } from "../../ffi/libav.ts";
import { createDecoder } from "../decoder/context-decoder.ts";
import { V4L2_PIX_FMT_NV12 } from "../decoder/job.ts";
import { START_CODE } from "../h264/annexb.ts";
import { syntheticIdr } from "../h264/synthetic.ts";
import {
  DECODE_MODE_FRAME_BASED,
  START_CODE_ANNEX_B,
  V4L2_CID_STATELESS_H264_DECODE_MODE,
  V4L2_CID_STATELESS_H264_PPS,
  V4L2_CID_STATELESS_H264_SPS,
  V4L2_CID_STATELESS_H264_START_CODE,
  writePps,
  writeSps,
} from "../h264/v4l2-h264.ts";

const s32 = (v: number) => new Uint8Array(Int32Array.of(v).buffer);

function prefetch(paths: readonly string[]): void {
  const chunk = new Uint8Array(1 << 20);
  for (const path of paths) {
    try {
      using f = Deno.openSync(path);
      while ((f.readSync(chunk) ?? 0) > 0) {
        // reading is the point
      }
    } catch {
      // a library that cannot be read here was still loaded: nothing to warm
    }
  }
}

/** Decodes a 16x16 picture of a known value; throws unless every byte comes back right. */
export function selfTest(av: Libav): void {
  prefetch([av.paths.avcodec, av.paths.avutil, av.paths.swscale]);
  const SAMPLE = 0x5a;
  const { sps, pps, slice } = syntheticIdr(SAMPLE);
  const bitstream = new Uint8Array(START_CODE.length + slice.length);
  bitstream.set(START_CODE);
  bitstream.set(slice, START_CODE.length);
  const size = 16 * 16 * 3 / 2;
  const capture = new Uint8Array(size);
  const decoder = createDecoder(av, "h264");
  try {
    const r = decoder.decode({
      codec: "h264",
      ctrls: new Map([
        [V4L2_CID_STATELESS_H264_SPS, writeSps(sps)],
        [V4L2_CID_STATELESS_H264_PPS, writePps(pps)],
        [V4L2_CID_STATELESS_H264_DECODE_MODE, s32(DECODE_MODE_FRAME_BASED)],
        [V4L2_CID_STATELESS_H264_START_CODE, s32(START_CODE_ANNEX_B)],
      ]),
      bitstream,
      hold: false,
      captureIndex: 0,
      timestamp: 0n,
      format: {
        width: 16,
        height: 16,
        pixelformat: V4L2_PIX_FMT_NV12,
        planes: [{ bytesperline: 16, length: size }],
      },
    }, { planes: [{ ptr: Deno.UnsafePointer.of(capture)!, length: size }] });
    if (r.status !== 0) throw new Error(`self-test decode failed: ${r.message}`);
    const wrong = capture.findIndex((b) => b !== SAMPLE);
    if (wrong >= 0) throw new Error(`self-test picture wrong at byte ${wrong}: ${capture[wrong]}`);
  } finally {
    decoder.close();
  }
}
