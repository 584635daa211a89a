// The libav offsets the FFI views use, checked against the installed headers.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { LAYOUTS } from "../../ffi/layout.ts";
import { LIBAV_SETS } from "../../ffi/libav-versions.ts";
import { offsetsProgram, runC } from "./helpers/cc.ts";
import { CACHE, prepare } from "../vm/harness.ts";

const OFFSETS: [string, string][] = [
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
];

/** What the C compiler says of OFFSETS with the given include flags. */
function headerOffsets(flags: string[] = []): Promise<Record<string, number>> {
  return runC(offsetsProgram(["libavcodec/avcodec.h", "libavutil/frame.h"], OFFSETS), flags);
}

/** Compares a major's row of LAYOUTS with the compiler's offsets. */
function assertRow(c: Record<string, number>): void {
  const layout = LAYOUTS[c.major];
  assert.ok(layout, `no layout row for libavcodec ${c.major}`);
  for (const [key, value] of Object.entries(c)) {
    if (key === "major" || key === "ctx.get_buffer2") continue;
    const [group, field] = key.split(".") as [keyof typeof layout, string];
    assert.equal((layout[group] as Record<string, number>)[field], value, `lavc ${c.major} ${key}`);
  }
}

Deno.test("libav struct offsets match the installed headers", async () => {
  const c = await headerOffsets();
  const av = libav();
  assert.equal(av.set.avcodec, c.major, "the loaded libavcodec is the one the headers describe");
  assertRow(c);
  // get_buffer2 is found at run time by scanning a context; the headers must agree.
  assert.equal(av.getBuffer2Offset, c["ctx.get_buffer2"]);
});

/** Another Debian release's libav headers, extracted (not installed) by tests/vm/prepare.sh. */
async function releaseHeaders(suite: string): Promise<string> {
  await prepare("libav-headers");
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return `${CACHE}/libav-headers-${suite}/root/usr/include/${arch}-linux-gnu`;
}

// The majors this machine does not run, checked against those releases' own headers: the
// library set the loader tries and the layout row the views use.
for (const suite of ["trixie", "sid"]) {
  Deno.test(`libav sets and struct offsets match ${suite}'s headers`, async () => {
    const include = await releaseHeaders(suite);
    const c = await headerOffsets([`-I${include}`]);
    const majors = await runC<{ avutil: number; swscale: number }>(
      offsetsProgram(["libavutil/version.h", "libswscale/version_major.h"], [
        ["avutil", "LIBAVUTIL_VERSION_MAJOR"],
        ["swscale", "LIBSWSCALE_VERSION_MAJOR"],
      ]),
      [`-I${include}`],
    );
    assert.ok(
      LIBAV_SETS.some((s) =>
        s.avcodec === c.major && s.avutil === majors.avutil && s.swscale === majors.swscale
      ),
      `${suite}: libavcodec ${c.major}, libavutil ${majors.avutil}, libswscale ${majors.swscale} is not a known set`,
    );
    assertRow(c);
  });
}
