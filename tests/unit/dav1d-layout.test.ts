// The dav1d offsets the AV1 decoder's FFI views use, checked against the installed headers
// (libdav1d-dev), and the library's own version against them.
import assert from "node:assert/strict";
import { dav1d, DAV1D_LAYOUT } from "../../ffi/libdav1d.ts";
import { offsetsProgram, runC } from "../lib/cc.ts";

Deno.test("dav1d struct offsets match the installed headers", async () => {
  const L = DAV1D_LAYOUT;
  const entries: [string, string][] = [
    ["settings.size", "sizeof(Dav1dSettings)"],
    ["settings.n_threads", "offsetof(Dav1dSettings, n_threads)"],
    ["settings.max_frame_delay", "offsetof(Dav1dSettings, max_frame_delay)"],
    ["settings.apply_grain", "offsetof(Dav1dSettings, apply_grain)"],
    ["settings.operating_point", "offsetof(Dav1dSettings, operating_point)"],
    ["settings.all_layers", "offsetof(Dav1dSettings, all_layers)"],
    ["settings.frame_size_limit", "offsetof(Dav1dSettings, frame_size_limit)"],
    ["settings.logger_callback", "offsetof(Dav1dSettings, logger.callback)"],
    ["settings.strict_std_compliance", "offsetof(Dav1dSettings, strict_std_compliance)"],
    ["settings.output_invisible_frames", "offsetof(Dav1dSettings, output_invisible_frames)"],
    ["data.size", "sizeof(Dav1dData)"],
    ["data.data", "offsetof(Dav1dData, data)"],
    ["data.sz", "offsetof(Dav1dData, sz)"],
    ["data.m_timestamp", "offsetof(Dav1dData, m.timestamp)"],
    ["picture.data", "offsetof(Dav1dPicture, data)"],
    ["picture.stride", "offsetof(Dav1dPicture, stride)"],
    ["picture.p_w", "offsetof(Dav1dPicture, p.w)"],
    ["picture.p_h", "offsetof(Dav1dPicture, p.h)"],
    ["picture.p_layout", "offsetof(Dav1dPicture, p.layout)"],
    ["picture.p_bpc", "offsetof(Dav1dPicture, p.bpc)"],
    ["picture.m_timestamp", "offsetof(Dav1dPicture, m.timestamp)"],
    ["pictureFits", "sizeof(Dav1dPicture) <= " + L.pictureBuffer],
    ["major", "DAV1D_API_VERSION_MAJOR"],
    ["minor", "DAV1D_API_VERSION_MINOR"],
  ];
  const c = await runC<Record<string, number>>(offsetsProgram(["dav1d/dav1d.h"], entries));
  const { pictureFits, major, minor, ...offsets } = c;
  const expected: Record<string, number> = {};
  for (const [group, fields] of Object.entries(L)) {
    if (typeof fields !== "object") continue;
    for (const [f, v] of Object.entries(fields)) expected[`${group}.${f}`] = v;
  }
  assert.deepEqual(offsets, expected);
  assert.equal(pictureFits, 1);
  // The library loaded is the one the headers describe (dav1d_version is "1.0.0" for API 6.6).
  assert.ok(dav1d().version.length > 0, dav1d().version);
  assert.ok(major >= 6, `dav1d API ${major}.${minor}`);
});
