/** AV1's entry in the daemon's codec table (src/codecs.ts). */
import type { Codec } from "../codecs.ts";
import { ivfClient } from "../decoder/ivf.ts";
import { Av1Decoder } from "./decoder.ts";
import { av1FileFrames } from "./file-client.ts";
import { av1SelfTest } from "./self-test.ts";

export const AV1: Codec = {
  name: "av1",
  decoder: { library: "libdav1d" },
  createDecoder: (av, opts) => new Av1Decoder(av, opts?.threads ?? 1),
  selfTest: av1SelfTest,
  fileClient: ivfClient("AV01", { Matroska: ["V_AV1"], MP4: ["av01"] }, av1FileFrames),
};
