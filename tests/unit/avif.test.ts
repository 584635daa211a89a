// The test-side AVIF extractor (tests/lib/avif.ts) on what the vectors do not have: an image
// sequence's track. ffmpeg 5.1 writes no AVIF, but its MP4 has the same moov/trak/stbl boxes
// and av01 sample entry: the samples must be the IVF's temporal units, less the temporal
// delimiters ISOBMFF leaves out, the first with its sequence header.
import assert from "node:assert/strict";
import { OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER, splitObus } from "../../src/av1/obu.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import { avifPayload } from "../lib/avif.ts";
import { AV1_MATRIX } from "../lib/av1-matrix.ts";
import { remuxed, streamFile } from "../lib/streams.ts";

Deno.test("the AVIF extractor reads a track's samples: an MP4's, as the IVF's temporal units", async () => {
  // hidden alternate references: temporal units of several frames
  const ivf = await streamFile(
    AV1_MATRIX.find((r) => r.name === "av1-aom-altref-tiles-352x288")!,
  );
  const payload = avifPayload(await Deno.readFile(await remuxed(ivf, "mp4")));
  assert.equal(payload.kind, "sequence");
  assert.equal(`${payload.width}x${payload.height}`, "352x288");
  const units = ivfFrames(await Deno.readFile(ivf)).map((f) => f.data);
  assert.equal(payload.temporalUnits.length, units.length);
  payload.temporalUnits.forEach((u, i) => {
    const want = splitObus(units[i]).filter((o) => o.type !== OBU_TEMPORAL_DELIMITER);
    const got = splitObus(u);
    assert.deepEqual(got.map((o) => o.type), want.map((o) => o.type), `temporal unit ${i}`);
    got.forEach((o, k) => assert.deepEqual(o.payload, want[k].payload, `unit ${i} OBU ${k}`));
  });
  assert.ok(splitObus(payload.temporalUnits[0]).some((o) => o.type === OBU_SEQUENCE_HEADER));
});
