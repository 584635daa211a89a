/** The libav struct offsets the FFI views use, as the C compiler sees them in a set of headers. */
import assert from "node:assert/strict";
import { LAYOUTS } from "../../ffi/layout.ts";
import { offsetsProgram, runC } from "./cc.ts";

/** The offsets the views use, as C expressions. */
export const OFFSETS: [string, string][] = [
  ["major", "LIBAVCODEC_VERSION_MAJOR"],
  ["frame.data", "offsetof(AVFrame, data)"],
  ["frame.linesize", "offsetof(AVFrame, linesize)"],
  ["frame.width", "offsetof(AVFrame, width)"],
  ["frame.height", "offsetof(AVFrame, height)"],
  ["frame.format", "offsetof(AVFrame, format)"],
  ["frame.pts", "offsetof(AVFrame, pts)"],
  ["frame.decodeErrorFlags", "offsetof(AVFrame, decode_error_flags)"],
  ["frame.cropTop", "offsetof(AVFrame, crop_top)"],
  ["frame.pictType", "offsetof(AVFrame, pict_type)"],
  ["packet.pts", "offsetof(AVPacket, pts)"],
  ["packet.dts", "offsetof(AVPacket, dts)"],
  ["packet.data", "offsetof(AVPacket, data)"],
  ["packet.size", "offsetof(AVPacket, size)"],
  ["codec.name", "offsetof(AVCodec, name)"],
  ["codec.id", "offsetof(AVCodec, id)"],
  ["parser.frameOffset", "offsetof(AVCodecParserContext, frame_offset)"],
  ["ctx.get_buffer2", "offsetof(AVCodecContext, get_buffer2)"],
];

/** What the C compiler says of OFFSETS with the given include flags. */
export function headerOffsets(flags: string[] = []): Promise<Record<string, number>> {
  return runC(offsetsProgram(["libavcodec/avcodec.h", "libavutil/frame.h"], OFFSETS), flags);
}

/**
 * Where the compiler puts AVFrame's key-frame mark with the given include flags: key_frame before
 * lavc 62, flags' AV_FRAME_FLAG_KEY after (LibavLayout.frame.keyFrame).
 */
export function headerKeyFrame(
  flags: string[] = [],
): Promise<{ major: number; offset: number; mask: number }> {
  return runC(
    [
      "#include <stdio.h>",
      "#include <stddef.h>",
      "#include <libavcodec/avcodec.h>",
      '#pragma GCC diagnostic ignored "-Wdeprecated-declarations"',
      "int main(void) {",
      "#if LIBAVCODEC_VERSION_MAJOR < 62",
      '  printf("{\\"major\\": %d, \\"offset\\": %ld, \\"mask\\": -1}", LIBAVCODEC_VERSION_MAJOR,',
      "         (long)offsetof(AVFrame, key_frame));",
      "#else",
      '  printf("{\\"major\\": %d, \\"offset\\": %ld, \\"mask\\": %d}", LIBAVCODEC_VERSION_MAJOR,',
      "         (long)offsetof(AVFrame, flags), AV_FRAME_FLAG_KEY);",
      "#endif",
      "  return 0;",
      "}",
    ].join("\n"),
    flags,
  );
}

/** Compares a major's AVFrame key-frame mark in LAYOUTS with the compiler's. */
export function assertKeyFrame(c: { major: number; offset: number; mask: number }): void {
  assert.deepEqual(
    LAYOUTS[c.major]?.frame.keyFrame,
    { offset: c.offset, mask: c.mask },
    `lavc ${c.major} key frame`,
  );
}

/** Compares a major's row of LAYOUTS with the compiler's offsets. */
export function assertRow(c: Record<string, number>): void {
  const layout = LAYOUTS[c.major];
  assert.ok(layout, `no layout row for libavcodec ${c.major}`);
  for (const [key, value] of Object.entries(c)) {
    if (key === "major" || key === "ctx.get_buffer2") continue;
    const [group, field] = key.split(".") as [keyof typeof layout, string];
    assert.equal((layout[group] as Record<string, number>)[field], value, `lavc ${c.major} ${key}`);
  }
}
