/** `daedalusd probe`: which FFmpeg libraries the daemon would use, and what they decode. */
import { decoderNames, type Libav, versionString } from "../../ffi/libav.ts";
import { CODECS } from "../codecs.ts";

export function probeReport(av: Libav): string {
  const decoders = new Set(decoderNames(av));
  const software = ["h264", "hevc", "vp8", "vp9", "mpeg2video", "av1", "libdav1d"]
    .filter((n) => decoders.has(n));
  return [
    `libavcodec  ${versionString(av.avcodec.avcodec_version())}  ${av.paths.avcodec}`,
    `libavutil   ${versionString(av.avutil.avutil_version())}  ${av.paths.avutil}`,
    `libswscale  ${versionString(av.swscale.swscale_version())}  ${av.paths.swscale}`,
    `AVCodecContext.get_buffer2 at offset ${av.getBuffer2Offset} (found at run time)`,
    `software decoders present: ${software.join(" ")}`,
    `daemon decodes (declared to the module): ${
      CODECS.filter((c) => decoders.has(c.libavDecoder)).map((c) => c.name).join(" ")
    }`,
    `all libavcodec decoders: ${decoders.size}`,
  ].join("\n");
}
