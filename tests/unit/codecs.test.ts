// The codec table (src/codecs.ts): each entry has a stateless part, a stream part, or both
// (docs/stateful.md "Where it goes"), and the masks HELLO declares come from which parts the
// entries have; a file is recognised by the codec whatever parts it has, and each file path
// refuses a codec without its part.
import assert from "node:assert/strict";
import { libav } from "../../ffi/libav.ts";
import { CODECS, DAEMON_CODECS, DAEMON_STREAM_CODECS, statelessOf } from "../../src/codecs.ts";
import { decodeFile } from "../../src/decoder/file-decoder.ts";
import { AV1 } from "../../src/av1/codec.ts";
import { VP9 } from "../../src/vp9/codec.ts";
import { CODEC, codecBit, type WireCodecName } from "../../src/service/protocol.ts";
import { decodeStreamFile } from "../../src/stream/file.ts";
import { selfTest } from "../../src/service/self-test.ts";
import { streamFile } from "../lib/streams.ts";
import { VP9_MATRIX } from "../lib/vpx-matrix.ts";

const mask = (names: WireCodecName[]) => names.reduce((m, n) => m | codecBit(CODEC[n]), 0);

Deno.test("codec table: H.264, VP8, VP9 have both parts, AV1 only the stateless one, HEVC, MPEG-1/2/4 and H.263 only the stream one, VC-1 neither; the masks say so", () => {
  const parts = CODECS.map((c) => [c.name, !!c.stateless, !!c.stream]);
  assert.deepEqual(parts, [
    ["hevc", false, true],
    ["mpeg2", false, true],
    ["mpeg1", false, true],
    ["mpeg4", false, true],
    ["h263", false, true],
    ["h264", true, true],
    ["vp8", true, true],
    ["vp9", true, true],
    ["av1", true, false],
  ]);
  assert.equal(DAEMON_CODECS, mask(["h264", "vp8", "vp9", "av1"]));
  assert.equal(
    DAEMON_STREAM_CODECS,
    mask(["h264", "hevc", "vp8", "vp9", "mpeg1", "mpeg2", "mpeg4", "h263"]),
  );
  assert.throws(() => statelessOf({ ...VP9, stateless: undefined }), /vp9 has no stateless/);
});

Deno.test("codec table: a file path refuses a codec without its part, the file still recognised", async () => {
  const file = await streamFile(VP9_MATRIX.find((r) => r.name === "vp9-plain-352x288")!);
  const data = await Deno.readFile(file);
  const opts = { mode: "frame", startCode: "annexb", pixFmt: "nv12", md5: false } as const;
  const streamOnly = { ...VP9, stateless: undefined };
  assert.throws(() => decodeFile(libav(), data, { ...opts, codec: streamOnly }), /no stateless/);
  assert.throws(
    () => decodeStreamFile(libav(), data, { pixFmt: "nv12", md5: false, codec: AV1 }),
    /av1 has no stream decoder/,
  );
  // Recognition is the codec's, not its stateless part's: a stream session finds VP9 by it.
  const r = decodeStreamFile(libav(), data, { pixFmt: "nv12", md5: false });
  assert.equal(r.codec.name, "vp9");
  assert.equal(r.pictures.length, VP9_MATRIX.find((x) => x.name === "vp9-plain-352x288")!.frames);
});

Deno.test("start-up self-test: each codec's stateless and stream sides; a wrong stream value fails it, naming the side", () => {
  selfTest(libav());
  const h264 = CODECS.find((c) => c.name === "h264")!;
  const stream = h264.stream!;
  const wrong = {
    ...h264,
    stream: {
      ...stream,
      knownStreams: () =>
        stream.knownStreams().map((k) => ({ ...k, sample: k.sample.map((b) => b ^ 1) })),
    },
  };
  assert.throws(() => selfTest(libav(), [wrong]), /^Error: h264 stream: .*picture wrong at byte 0/);
  // The stateless side alone still passes: the failure is the stream side's.
  selfTest(libav(), [{ ...wrong, stream: undefined }]);
});
