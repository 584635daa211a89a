// The libav offsets the FFI views use, checked against the installed headers.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { assertKeyFrame, assertRow, headerKeyFrame, headerOffsets } from "../lib/libav-layout.ts";

Deno.test("libav struct offsets match the installed headers", async () => {
  const c = await headerOffsets();
  const av = libav();
  assert.equal(av.set.avcodec, c.major, "the loaded libavcodec is the one the headers describe");
  assertRow(c);
  assertKeyFrame(await headerKeyFrame());
  // get_buffer2 is found at run time by scanning a context; the headers must agree.
  assert.equal(av.getBuffer2Offset, c["ctx.get_buffer2"]);
});
