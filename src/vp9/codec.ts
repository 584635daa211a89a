/** VP9's entry in the daemon's codec table (src/codecs.ts). */
import type { Codec } from "../codecs.ts";
import type { CodecPictures } from "../decoder/picture-writer.ts";
import { requireCtrl, WholeFrameDecoder } from "../decoder/frame-decoder.ts";
import { ivfFrames, ivfInput } from "../decoder/ivf.ts";
import { vp9KnownStreams, vp9SelfTest } from "./self-test.ts";
import {
  readVp9Frame,
  V4L2_CID_STATELESS_VP9_FRAME,
  VP9_FRAME_FLAG_INTRA_ONLY,
  VP9_FRAME_FLAG_KEY_FRAME,
  VP9_FRAME_FLAG_SHOW_FRAME,
} from "./v4l2-vp9.ts";
import { vp9FileFrames } from "./file-client.ts";

/** kmod/daedalus-vp9.c: profiles 0 and 2 (8 and 10 bits, 4:2:0). */
const PICTURES: CodecPictures = { bitDepths: [8, 10], chroma: ["4:2:0"] };

/** VP9: its decoder, file input, and its stateless and stream sides. */
export const VP9: Codec = {
  name: "vp9",
  decoder: { library: "libavcodec", name: "vp9" },
  // its 8 reference slots and the picture being decoded, and one more
  decoderPictures: 10,
  file: ivfInput("VP90", { Matroska: ["V_VP9"], MP4: ["vp09"] }),
  stateless: {
    pictures: PICTURES,
    createDecoder: (av, opts) =>
      new WholeFrameDecoder(
        av,
        "vp9",
        (job) => {
          const f = readVp9Frame(requireCtrl(job, V4L2_CID_STATELESS_VP9_FRAME, "VP9_FRAME"));
          const keyFrame = (f.flags & (VP9_FRAME_FLAG_KEY_FRAME | VP9_FRAME_FLAG_INTRA_ONLY)) !==
            0;
          return {
            width: f.width,
            height: f.height,
            keyFrame,
            hidden: (f.flags & VP9_FRAME_FLAG_SHOW_FRAME) === 0,
            refs: keyFrame ? [] : f.refs ?? [],
          };
        },
        PICTURES,
        opts?.threads,
      ),
    selfTest: vp9SelfTest,
    frames: (data) => vp9FileFrames(ivfFrames(data)),
  },
  stream: { framing: "frame", pictures: PICTURES, knownStreams: vp9KnownStreams },
};
