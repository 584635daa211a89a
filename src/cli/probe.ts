/** `daedalusd probe`: which FFmpeg libraries the daemon would use, and what they decode. */
import { decoderNames, type Libav, versionString } from "../../ffi/libav.ts";
import { type Codec, CODECS } from "../codecs.ts";
import { dav1d } from "../../ffi/libdav1d.ts";

function dav1dVersion(): string | undefined {
  try {
    return dav1d().version;
  } catch {
    return undefined;
  }
}

export function probeReport(av: Libav): string {
  const decoders = new Set(decoderNames(av));
  const present = (c: Codec) =>
    c.decoder.library === "libavcodec" ? decoders.has(c.decoder.name) : dav1dVersion();
  const software = CODECS.flatMap((c) => c.decoder.library === "libavcodec" ? [c.decoder.name] : [])
    .filter((n) => decoders.has(n));
  return [
    `libavcodec  ${versionString(av.avcodec.avcodec_version())}  ${av.paths.avcodec}`,
    `libavutil   ${versionString(av.avutil.avutil_version())}  ${av.paths.avutil}`,
    `libswscale  ${versionString(av.swscale.swscale_version())}  ${av.paths.swscale}`,
    `AVCodecContext.get_buffer2 at offset ${av.getBuffer2Offset} (found at run time)`,
    `the codecs' libavcodec decoders present: ${software.join(" ")}`,
    `libdav1d    ${dav1dVersion() ?? "not found (install libdav1d6)"}`,
    `daemon decodes (declared to the module): ${
      CODECS.filter((c: Codec) => c.stateless && present(c)).map((c) => c.name).join(" ")
    }`,
    `streams (the stateful device): ${
      CODECS.filter((c: Codec) => c.stream && present(c)).map((c) => c.name).join(" ")
    }`,
    `all libavcodec decoders: ${decoders.size}`,
  ].join("\n");
}
