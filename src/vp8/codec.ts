/** VP8's entry in the daemon's codec table (src/codecs.ts). */
import type { Codec } from "../codecs.ts";
import type { CodecPictures } from "../decoder/picture-writer.ts";
import { requireCtrl, WholeFrameDecoder } from "../decoder/frame-decoder.ts";
import { ivfFrames, ivfInput } from "../decoder/ivf.ts";
import { vp8KnownStreams, vp8SelfTest } from "./self-test.ts";
import {
  readVp8Frame,
  V4L2_CID_STATELESS_VP8_FRAME,
  VP8_FRAME_FLAG_KEY_FRAME,
  VP8_FRAME_FLAG_SHOW_FRAME,
} from "./v4l2-vp8.ts";
import { vp8FileFrames } from "./file-client.ts";

/** kmod/daedalus-vp8.c: 8-bit 4:2:0 only, as VP8 has. */
const PICTURES: CodecPictures = { bitDepths: [8], chroma: ["4:2:0"] };

/** VP8: its decoder, file input, and its stateless and stream sides. */
export const VP8: Codec = {
  name: "vp8",
  decoder: { library: "libavcodec", name: "vp8" },
  // libavcodec's VP8 frames: last, golden, altref, the one decoded and one being released
  decoderPictures: 5,
  file: ivfInput("VP80", { Matroska: ["V_VP8"], MP4: ["vp08"] }),
  stateless: {
    pictures: PICTURES,
    // One thread: libavcodec's VP8 partition threads gave pictures a few bytes off (chroma,
    // near the bottom) under emulation, a race the host's timing never showed.
    createDecoder: (av) =>
      new WholeFrameDecoder(av, "vp8", (job) => {
        const f = readVp8Frame(requireCtrl(job, V4L2_CID_STATELESS_VP8_FRAME, "VP8_FRAME"));
        const keyFrame = (f.flags & VP8_FRAME_FLAG_KEY_FRAME) !== 0;
        return {
          width: f.width,
          height: f.height,
          keyFrame,
          hidden: (f.flags & VP8_FRAME_FLAG_SHOW_FRAME) === 0,
          refs: keyFrame ? [] : f.refs ?? [],
        };
      }, PICTURES),
    selfTest: vp8SelfTest,
    frames: (data) => vp8FileFrames(ivfFrames(data)),
  },
  stream: { framing: "frame", pictures: PICTURES, knownStreams: vp8KnownStreams },
};
