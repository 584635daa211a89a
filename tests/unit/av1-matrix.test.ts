// Bit-exactness of AV1 through the daemon's decoding core: each stream turned into the requests
// GStreamer's v4l2slav1dec sends (controls + tile data, no OBU headers), the OBUs rebuilt from
// those, dav1d's pictures written to CAPTURE; every displayed frame equals ffmpeg's libdav1d
// decode of the stream itself (film grain applied, as both do by default).
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { AV1 } from "../../src/av1/codec.ts";
import {
  FG_FLAG,
  FRAME_FLAG,
  LR_FLAG,
  readFilmGrain,
  readFrame,
  readSequence,
  SEQ_FLAG,
  V4L2_CID_STATELESS_AV1_FILM_GRAIN,
  V4L2_CID_STATELESS_AV1_FRAME,
  V4L2_CID_STATELESS_AV1_SEQUENCE,
  writeFrame,
} from "../../src/av1/v4l2-av1.ts";
import { decodeFile } from "../../src/decoder/file-decoder.ts";
import { INTRA_ONLY_FRAME, SWITCH_FRAME } from "../../src/av1/parser.ts";
import { OBU_TILE_GROUP, splitObus } from "../../src/av1/obu.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import type { FileFrames } from "../../src/decoder/file-client.ts";
import { ffmpegFrameMd5s, frameSizes, streamFile } from "../lib/streams.ts";
import { decodeMd5s } from "../lib/decode.ts";
import { AV1_DEFAULTS, AV1_FEATURES, AV1_MATRIX, AV1_SIZES } from "../lib/av1-matrix.ts";

for (const recipe of [...AV1_MATRIX, ...AV1_FEATURES, ...AV1_DEFAULTS, ...AV1_SIZES]) {
  const formats = recipe.tenBit ? ["p010le"] as const : ["nv12", "yuv420p"] as const;
  for (const pixFmt of formats) {
    // dav1d's threads work inside one frame: the picture and its order must not change with them
    const threads = pixFmt === "nv12" ? 1 : 3;
    Deno.test(`bit-exact ${recipe.name} ${pixFmt}, ${threads} dav1d thread(s)`, async () => {
      const file = await streamFile(recipe);
      const expected = await ffmpegFrameMd5s(file, pixFmt, "libdav1d");
      const r = decodeMd5s(await Deno.readFile(file), pixFmt, { threads });
      assert.equal(r.codec, AV1);
      assert.deepEqual(r.failed, []);
      assert.ok(r.md5s.length >= recipe.frames, `${r.md5s.length} frames displayed`);
      assert.deepEqual(r.md5s, expected);
    });
  }
}

// Odd sizes really are odd in the streams (testsrc2 alone rounds 351x287 down to 350x286), 8-bit
// and 10-bit (P010).
Deno.test("the AV1 odd-size streams code odd widths and heights", async () => {
  const odd = AV1_MATRIX.filter((r) => r.name.includes("-odd-"));
  assert.deepEqual(odd.map((r) => r.tenBit === true), [false, true]);
  for (const r of odd) {
    const sizes = new Set(
      (await frameSizes(await streamFile(r))).map((s) => `${s.width}x${s.height}`),
    );
    assert.deepEqual([...sizes], ["351x287"], r.name);
  }
});

/** A stream of the matrix or the feature list, by name. */
const namedRecipe = (name: string) =>
  [...AV1_MATRIX, ...AV1_FEATURES, ...AV1_DEFAULTS].find((r) => r.name === name)!;

// The features the matrix claims are in its streams, as the requests carry them.
Deno.test("the AV1 matrix has hidden frames, intra-only and switch frames, tile groups, global motion, loop restoration, monochrome, superres, frames of several sizes, intra block copy, error-resilient frames, film grain", async () => {
  const requests = async (name: string) => {
    const r = namedRecipe(name);
    const frames = AV1.stateless!.frames(await Deno.readFile(await streamFile(r)), {
      mode: "frame",
      startCode: "annexb",
    });
    return frames.filter((f) => f.jobs.length).map((f) => ({
      frame: readFrame(f.jobs[0].ctrls.get(V4L2_CID_STATELESS_AV1_FRAME)!),
      grain: readFilmGrain(f.jobs[0].ctrls.get(V4L2_CID_STATELESS_AV1_FILM_GRAIN)!),
      sequence: readSequence(f.jobs[0].ctrls.get(V4L2_CID_STATELESS_AV1_SEQUENCE)!),
      hidden: f.hidden,
    }));
  };
  const any = async (name: string, test: (x: Awaited<ReturnType<typeof requests>>[0]) => boolean) =>
    assert.ok((await requests(name)).some(test), name);
  await any("av1-aom-altref-tiles-352x288", (x) => x.hidden);
  await any("av1-aom-superres-352x288", (x) => (x.frame.flags & FRAME_FLAG.USE_SUPERRES) !== 0);
  const sizes = new Set(
    (await requests("av1-aom-resize-random-352x288")).map((x) =>
      `${x.frame.upscaledWidth}x${x.frame.frameHeightMinus1 + 1}`
    ),
  );
  assert.ok(sizes.size > 1, `sizes ${[...sizes]}`);
  await any(
    "av1-aom-screen-intrabc-352x288",
    (x) => (x.frame.flags & FRAME_FLAG.ALLOW_INTRABC) !== 0,
  );
  await any(
    "av1-aom-error-resilient-352x288",
    (x) => x.frame.frameType !== 0 && (x.frame.flags & FRAME_FLAG.ERROR_RESILIENT_MODE) !== 0,
  );
  await any("av1-svt-intra-only-352x288", (x) => x.frame.frameType === INTRA_ONLY_FRAME);
  await any("av1-rav1e-switch-352x288", (x) => x.frame.frameType === SWITCH_FRAME);
  const tileGroups = ivfFrames(
    await Deno.readFile(
      await streamFile(namedRecipe("av1-aom-tile-groups-352x288")),
    ),
  ).map((p) => splitObus(p.data).filter((o) => o.type === OBU_TILE_GROUP).length);
  assert.ok(tileGroups.some((n) => n > 1), `tile group OBUs per temporal unit: ${tileGroups}`);
  await any("av1-aom-global-motion-352x288", (x) => x.frame.gm.type.some((t) => t !== 0));
  for (const name of ["av1-aom-global-motion-352x288", "av1-rav1e-restoration-352x288"]) {
    await any(name, (x) => (x.frame.lr.flags & LR_FLAG.USES_LR) !== 0);
  }
  for (const name of ["av1-aom-monochrome-352x288", "av1-aom-monochrome-10bit-352x288"]) {
    await any(name, (x) => (x.sequence.flags & SEQ_FLAG.MONO_CHROME) !== 0);
  }
  for (const name of ["av1-aom-film-grain-352x288", "av1-svt-film-grain-352x288"]) {
    await any(name, (x) => (x.grain.flags & FG_FLAG.APPLY_GRAIN) !== 0);
  }
});

// What the encoders' defaults bring that the matrix above did not: libaom's pyramids keep eight
// distinct pictures alive and refresh a slot the frame itself predicts from.
Deno.test("libaom's defaults refresh a slot the frame predicts from while eight pictures are alive", async () => {
  for (const name of ["av1-aom-defaults-352x288", "av1-aomenc-good-352x288"]) {
    const frames = AV1.stateless!.frames(
      await Deno.readFile(await streamFile(namedRecipe(name))),
      { mode: "frame", startCode: "annexb" },
    );
    const deep = frames.filter((f) => f.jobs.length).map((f) =>
      readFrame(f.jobs[0].ctrls.get(V4L2_CID_STATELESS_AV1_FRAME)!)
    ).filter((f) =>
      f.frameType === 1 && new Set(f.referenceFrameTs).size === 8 &&
      f.refFrameIdx.some((i) => f.refreshFrameFlags & (1 << i))
    );
    assert.ok(deep.length > 0, name);
  }
});

// libva-v4l2_request guesses refresh_frame_flags when a surface is read before the next frame
// arrives (0xFF for intra frames, otherwise every slot the frame does not predict from): the
// daemon finds references by their timestamps and stores pictures in its own slots, so its
// pictures do not depend on the guess; where the guess hides which picture a frame replaced
// (libaom's defaults), the frame is stored at the next request (docs/av1.md).
for (
  const name of [
    "av1-svt-640x360",
    "av1-rav1e-tiles4-640x360",
    "av1-aom-altref-tiles-352x288",
    "av1-svt-intra-only-352x288",
    "av1-aom-defaults-352x288",
    "av1-aomenc-good-352x288",
    "av1-aomenc-rt-352x288",
    "av1-svt-defaults-352x288",
    "av1-rav1e-defaults-352x288",
  ]
) {
  Deno.test(`bit-exact ${name} with libva's guessed refresh_frame_flags`, async () => {
    const file = await streamFile(namedRecipe(name));
    const expected = await ffmpegFrameMd5s(file, "nv12", "libdav1d");
    const data = await Deno.readFile(file);
    const guessing = {
      ...AV1.stateless!,
      frames: (d: Uint8Array, o: Parameters<FileFrames>[1]) =>
        AV1.stateless!.frames(d, o).map((f) => {
          if (!f.jobs.length) return f;
          const ctrls = new Map(f.jobs[0].ctrls);
          const fr = readFrame(ctrls.get(V4L2_CID_STATELESS_AV1_FRAME)!);
          const intra = fr.frameType === 0 || fr.frameType === 2;
          const referenced = fr.refFrameIdx.reduce((m, i) => (i >= 0 ? m | (1 << i) : m), 0);
          fr.refreshFrameFlags = intra ? 0xff : ~referenced & 0xff;
          ctrls.set(V4L2_CID_STATELESS_AV1_FRAME, writeFrame(fr));
          return { ...f, jobs: [{ ...f.jobs[0], ctrls }] };
        }),
    };
    const r = decodeFile(libav(), data, {
      codec: { ...AV1, stateless: guessing },
      mode: "frame",
      startCode: "annexb",
      pixFmt: "nv12",
      md5: true,
    });
    assert.deepEqual(r.failed, []);
    assert.deepEqual(r.md5s, expected);
  });
}
