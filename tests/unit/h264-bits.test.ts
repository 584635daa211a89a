// The exp-Golomb writer/reader, emulation prevention, and SPS/PPS rebuilt from V4L2 controls
// parsing back to the same controls.
import assert from "node:assert/strict";
import { BitReader } from "../../src/decoder/bits.ts";
import { escapeRbsp, NalWriter, unescapeNal } from "../../src/h264/bits.ts";
import { splitAnnexB } from "../../src/h264/annexb.ts";
import { buildPps, buildSps } from "../../src/h264/param-sets.ts";
import { type ParsedSps, parsePps, parseSps, resolveScaling } from "../../src/h264/parser.ts";
import { syntheticIdr } from "../../src/h264/synthetic.ts";
import { ffmpegFrameMd5s, streamFile } from "../lib/streams.ts";
import { MATRIX } from "../lib/h264-matrix.ts";
import { createHash } from "node:crypto";

Deno.test("ue/se/u round-trip, including 32-bit values", () => {
  const values = [0, 1, 2, 3, 7, 8, 254, 255, 256, 65535, 1 << 20, 0xfffffffe];
  const w = new NalWriter();
  for (const v of values) w.ue(v);
  for (const v of values) w.se(v > 0x7fffffff ? 0x7fffffff : v);
  for (const v of values) w.se(0 - (v > 0x7fffffff ? 0x7fffffff : v));
  w.u(32, 0xdeadbeef);
  w.trailing();
  const r = new BitReader(w.rbsp());
  for (const v of values) assert.equal(r.ue(), v);
  for (const v of values) assert.equal(r.se(), v > 0x7fffffff ? 0x7fffffff : v);
  for (const v of values) assert.equal(r.se(), 0 - (v > 0x7fffffff ? 0x7fffffff : v));
  assert.equal(r.u(32), 0xdeadbeef);
  assert.equal(r.moreRbspData(), false);
  assert.throws(() => w.ue(-1), RangeError);
  assert.throws(() => new NalWriter().u(4, 16), RangeError);
});

Deno.test("emulation prevention: no start code inside a NAL, and it round-trips", () => {
  let x = 1;
  for (let n = 0; n < 200; n++) {
    const rbsp = new Uint8Array(64).map(() => {
      x = (x * 1103515245 + 12345) >>> 0;
      return (x >>> 28) < 10 ? 0 : (x >>> 24) & 3; // mostly zeros and small values
    });
    const nal = escapeRbsp(0x67, rbsp);
    for (let i = 0; i + 2 < nal.length; i++) {
      const startLike = nal[i] === 0 && nal[i + 1] === 0 && nal[i + 2] <= 2;
      assert.ok(!startLike, `00 00 0${nal[i + 2]} at ${i}`);
    }
    assert.deepEqual(unescapeNal(nal).rbsp.subarray(1), rbsp);
  }
});

Deno.test("SPS/PPS rebuilt from V4L2 controls parse back to the same controls", async () => {
  for (const recipe of MATRIX) {
    const data = await Deno.readFile(await streamFile(recipe));
    const spsById = new Map<number, ParsedSps>();
    for (const nal of splitAnnexB(data)) {
      const type = nal[0] & 0x1f;
      if (type === 7) {
        const sps = parseSps(nal);
        spsById.set(sps.v4l2.seq_parameter_set_id, sps);
        assert.deepEqual(parseSps(buildSps(sps.v4l2)).v4l2, sps.v4l2, recipe.name);
      } else if (type === 8) {
        const pps = parsePps(nal, spsById);
        const sps = spsById.get(pps.v4l2.seq_parameter_set_id)!;
        const { matrix, ppsFlags } = resolveScaling(sps, pps);
        const v4l2 = { ...pps.v4l2, flags: ppsFlags };
        const again = parsePps(buildPps(v4l2, sps.v4l2, matrix), spsById);
        const resolved = resolveScaling({ ...sps, scaling: undefined }, again);
        assert.deepEqual({ ...again.v4l2, flags: resolved.ppsFlags }, v4l2, recipe.name);
        const used8x8 = pps.transform8x8 ? 2 : 0;
        assert.deepEqual(resolved.matrix.scaling_list_4x4, matrix.scaling_list_4x4);
        assert.deepEqual(
          resolved.matrix.scaling_list_8x8.slice(0, used8x8),
          matrix.scaling_list_8x8.slice(0, used8x8),
        );
      }
    }
  }
});

Deno.test("the self-test picture is valid H.264: ffmpeg decodes it to the expected samples", async () => {
  const { sps, pps, slice } = syntheticIdr(0x5a);
  const sc = Uint8Array.of(0, 0, 0, 1);
  const parts = [sc, buildSps(sps), sc, buildPps(pps, sps, undefined), sc, slice];
  const file = await Deno.makeTempFile({ suffix: ".h264" });
  try {
    await Deno.writeFile(file, new Uint8Array(parts.flatMap((p) => [...p])));
    const md5s = await ffmpegFrameMd5s(file, "yuv420p");
    const expected = createHash("md5").update(new Uint8Array(384).fill(0x5a)).digest("hex");
    assert.deepEqual(md5s, [expected]);
  } finally {
    await Deno.remove(file);
    await Deno.remove(`${file}.yuv420p.framemd5`).catch(() => {});
  }
});
