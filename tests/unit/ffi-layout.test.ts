// The libav offsets the FFI views use, checked against the installed headers.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { LAYOUTS } from "../../ffi/layout.ts";
import { offsetsProgram, runC } from "./helpers/cc.ts";

Deno.test("libav struct offsets match the installed headers", async () => {
  const c = await runC<Record<string, number>>(
    offsetsProgram(["libavcodec/avcodec.h", "libavutil/frame.h"], [
      ["major", "LIBAVCODEC_VERSION_MAJOR"],
      ["frame.data", "offsetof(AVFrame, data)"],
      ["frame.linesize", "offsetof(AVFrame, linesize)"],
      ["frame.width", "offsetof(AVFrame, width)"],
      ["frame.height", "offsetof(AVFrame, height)"],
      ["frame.format", "offsetof(AVFrame, format)"],
      ["frame.pts", "offsetof(AVFrame, pts)"],
      ["packet.pts", "offsetof(AVPacket, pts)"],
      ["packet.dts", "offsetof(AVPacket, dts)"],
      ["packet.data", "offsetof(AVPacket, data)"],
      ["packet.size", "offsetof(AVPacket, size)"],
      ["codec.name", "offsetof(AVCodec, name)"],
      ["codec.id", "offsetof(AVCodec, id)"],
      ["ctx.get_buffer2", "offsetof(AVCodecContext, get_buffer2)"],
    ]),
  );
  const av = libav();
  assert.equal(av.set.avcodec, c.major, "the loaded libavcodec is the one the headers describe");
  const layout = LAYOUTS[c.major];
  assert.ok(layout, `no layout row for libavcodec ${c.major}`);
  for (const [key, value] of Object.entries(c)) {
    if (key === "major" || key === "ctx.get_buffer2") continue;
    const [group, field] = key.split(".") as [keyof typeof layout, string];
    assert.equal((layout[group] as Record<string, number>)[field], value, key);
  }
  // get_buffer2 is found at run time by scanning a context; the headers must agree.
  assert.equal(av.getBuffer2Offset, c["ctx.get_buffer2"]);
});
