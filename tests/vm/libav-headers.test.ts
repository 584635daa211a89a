// The libav majors this machine does not run (trixie's 61, sid's 63), checked against those
// releases' own headers: the library set the loader tries and the layout row the views use. The
// headers are downloaded (tests/vm/prepare.sh libav-headers), so this is not a unit test.
import assert from "node:assert/strict";
import { LIBAV_SETS } from "../../ffi/libav-versions.ts";
import { offsetsProgram, runC } from "../lib/cc.ts";
import { assertKeyFrame, assertRow, headerKeyFrame, headerOffsets } from "../lib/libav-layout.ts";
import { CACHE, prepare } from "../lib/harness.ts";

/** Another Debian release's libav headers, extracted (not installed) by tests/vm/prepare.sh. */
async function releaseHeaders(suite: string): Promise<string> {
  await prepare("libav-headers");
  const arch = Deno.build.arch === "aarch64" ? "aarch64" : "x86_64";
  return `${CACHE}/libav-headers-${suite}/root/usr/include/${arch}-linux-gnu`;
}

for (const suite of ["trixie", "sid"]) {
  Deno.test(`libav sets and struct offsets match ${suite}'s headers`, async () => {
    const include = await releaseHeaders(suite);
    const c = await headerOffsets([`-I${include}`]);
    assertKeyFrame(await headerKeyFrame([`-I${include}`]));
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
