/** AV1's entry in the daemon's codec table (src/codecs.ts). */
import type { Codec } from "../codecs.ts";
import type { CodecPictures } from "../decoder/picture-writer.ts";
import { ivfFrames, ivfInput } from "../decoder/ivf.ts";
import { Av1Decoder } from "./decoder.ts";
import { av1FileFrames } from "./file-client.ts";
import { av1SelfTest } from "./self-test.ts";

/** kmod/daedalus-av1.c: the Main profile (8 and 10 bits, monochrome or 4:2:0). */
const PICTURES: CodecPictures = { bitDepths: [8, 10], chroma: ["4:0:0", "4:2:0"] };

/** AV1: its decoder, file input and stateless side (no stateful AV1 format in the uAPI). */
export const AV1: Codec = {
  name: "av1",
  decoder: { library: "libdav1d" },
  // dav1d (max_frame_delay 1, so one frame in flight) keeps its 8 reference slots, and at most
  // two more pictures at once: the frame being decoded and its super-resolution upscale, or the
  // decoded frame (when it refreshes no slot) and its film-grain copy (dav1d_apply_grain). Its
  // picture pool keeps freed buffers for reuse, never more than were in use at once.
  decoderPictures: 10,
  file: ivfInput("AV01", { Matroska: ["V_AV1"], MP4: ["av01"] }),
  stateless: {
    pictures: PICTURES,
    createDecoder: (av, opts) => new Av1Decoder(av, PICTURES, opts?.threads ?? 1),
    selfTest: av1SelfTest,
    frames: (data) => av1FileFrames(ivfFrames(data)),
  },
};
