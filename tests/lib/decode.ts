/** The daemon's decoding core over a whole stream, as the bit-exactness tests run it. */
import { libav } from "../../ffi/libav.ts";
import {
  decodeFile,
  type FileDecodeOptions,
  type FileDecodeResult,
} from "../../src/decoder/file-decoder.ts";
import type { PackedFormat } from "./streams.ts";

/**
 * `data` through the file clients of `daedalusd decode` (frame-based, Annex-B unless `opts` say
 * otherwise), each displayed picture hashed in `format`, the layout of ffmpegFrameMd5s(file,
 * `format`): P010 is asked for as NV12 (10-bit pictures go to P010 then); padded strides (64) for
 * I420, tight ones for NV12, so both layouts get exercised.
 */
export function decodeMd5s(
  data: Uint8Array,
  format: PackedFormat,
  opts: Partial<Omit<FileDecodeOptions, "pixFmt" | "md5" | "strideAlign">> = {},
): FileDecodeResult {
  return decodeFile(libav(), data, {
    mode: "frame",
    startCode: "annexb",
    ...opts,
    pixFmt: format === "p010le" ? "nv12" : format,
    md5: true,
    strideAlign: format === "yuv420p" ? 64 : 1,
  });
}
