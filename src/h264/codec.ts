/** H.264's entry in the daemon's codec table (src/codecs.ts). */
import type { Codec } from "../codecs.ts";
import { annexBClient } from "./client.ts";
import { H264Decoder } from "./decoder.ts";
import { h264SelfTest } from "./self-test.ts";

export const H264: Codec = {
  name: "h264",
  decoder: { library: "libavcodec", name: "h264" },
  createDecoder: (av, opts) => new H264Decoder(av, opts?.threads),
  selfTest: h264SelfTest,
  fileClient: annexBClient,
};
