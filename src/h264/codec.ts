/** H.264's entry in the daemon's codec table (src/codecs.ts). */
import type { Codec } from "../codecs.ts";
import type { CodecPictures } from "../decoder/picture-writer.ts";
import { annexBInput, streamToFrames } from "./client.ts";
import { H264Decoder } from "./decoder.ts";
import { h264KnownStreams, h264SelfTest } from "./self-test.ts";

/** kmod/daedalus-h264.c: 8 bits, monochrome (libavcodec writes it as 4:2:0) or 4:2:0. */
const PICTURES: CodecPictures = { bitDepths: [8], chroma: ["4:0:0", "4:2:0"] };

/**
 * A stream's pictures: High 10's 10-bit 4:2:0 too, to P010 (the stateful node takes the stream
 * whole; the stateless node's controls have no 10-bit H.264).
 */
const STREAM_PICTURES: CodecPictures = { bitDepths: [8, 10], chroma: ["4:0:0", "4:2:0"] };

/** H.264: its decoder, file input, and its stateless and stream sides. */
export const H264: Codec = {
  name: "h264",
  decoder: { library: "libavcodec", name: "h264" },
  file: annexBInput,
  stateless: {
    pictures: PICTURES,
    createDecoder: (av, opts) => new H264Decoder(av, PICTURES, opts?.threads),
    selfTest: h264SelfTest,
    frames: streamToFrames,
  },
  stream: { framing: "bytestream", pictures: STREAM_PICTURES, knownStreams: h264KnownStreams },
};
