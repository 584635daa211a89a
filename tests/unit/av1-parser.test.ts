// The AV1 header parser (the file client's, as GStreamer's parser is its client's) against
// dav1d's own parse of the same streams: every coded frame's type, sizes, order hint, refresh
// flags, primary reference and tiling agree, and every tile group's tiles end exactly at the end
// of their OBU (which needs the frame header's length to the bit).
import assert from "node:assert/strict";
import { Dav1dDecoder } from "../../src/av1/dav1d.ts";
import {
  OBU_FRAME,
  OBU_FRAME_HEADER,
  OBU_SEQUENCE_HEADER,
  OBU_TILE_GROUP,
  splitObus,
} from "../../src/av1/obu.ts";
import {
  type Av1Frame,
  Av1HeaderParser,
  parseSequenceHeader,
  parseTileGroup,
} from "../../src/av1/parser.ts";
import { ivfFrames } from "../../src/decoder/ivf.ts";
import { dav1d } from "../../ffi/libdav1d.ts";
import { streamFile } from "../lib/streams.ts";
import { AV1_MATRIX } from "../lib/av1-matrix.ts";

// Dav1dFrameHeader in dav1d 1.0 (bookworm's libdav1d6): the fields compared, read only here.
const FRAME_HDR = {
  frame_type: 232,
  width0: 236,
  width1: 240,
  height: 244,
  frame_offset: 248,
  show_frame: 276,
  primary_ref_frame: 304,
  refresh_frame_flags: 440,
  render_width: 444,
  render_height: 448,
  tile_cols: 540,
  tile_rows: 556,
};

for (const recipe of AV1_MATRIX) {
  Deno.test({
    name: `AV1 parser agrees with dav1d on ${recipe.name}`,
    ignore: !dav1d().version.startsWith("1.0."),
    fn: async () => {
      const parser = new Av1HeaderParser();
      const decoder = new Dav1dDecoder();
      let pictures = 0;
      try {
        for (
          const [n, tu] of ivfFrames(await Deno.readFile(await streamFile(recipe))).entries()
        ) {
          const headers: Av1Frame[] = [];
          let current: Av1Frame | undefined;
          for (const obu of splitObus(tu.data)) {
            if (obu.type === OBU_SEQUENCE_HEADER) {
              parser.setSequence(parseSequenceHeader(obu.payload));
            }
            if (obu.type === OBU_FRAME_HEADER || obu.type === OBU_FRAME) {
              current = parser.parseFrameHeader(obu.payload, obu.temporalId, obu.spatialId);
              headers.push(current);
            }
            if (obu.type === OBU_FRAME || obu.type === OBU_TILE_GROUP) {
              const start = obu.type === OBU_FRAME ? (current!.headerBits + 7) >> 3 : 0;
              const tiles = parseTileGroup(obu.payload, start, current!);
              const last = tiles.at(-1)!;
              assert.equal(last.offset + last.size, obu.payload.length, `TU ${n}: tiles end early`);
            }
          }
          for (const [i, pic] of decoder.decode(tu.data, BigInt(n)).entries()) {
            const f = headers[i];
            assert.ok(f, `TU ${n}: more pictures than frame headers`);
            const hv = new Deno.UnsafePointerView(
              Deno.UnsafePointer.create(new DataView(pic.buf.buffer).getBigUint64(8, true))!,
            );
            pic.unref();
            pictures++;
            if (f.showExistingFrame) continue;
            const got = Object.fromEntries(
              Object.entries(FRAME_HDR).map(([k, off]) => [k, hv.getInt32(off)]),
            );
            assert.deepEqual(got, {
              frame_type: f.frameType,
              width0: f.frameWidth,
              width1: f.upscaledWidth,
              height: f.frameHeight,
              frame_offset: f.orderHint,
              show_frame: f.showFrame ? 1 : 0,
              primary_ref_frame: f.primaryRefFrame,
              refresh_frame_flags: f.refreshFrameFlags,
              render_width: f.renderWidth,
              render_height: f.renderHeight,
              tile_cols: f.tile.cols,
              tile_rows: f.tile.rows,
            }, `TU ${n} frame ${i}`);
          }
        }
      } finally {
        decoder.close();
      }
      assert.ok(pictures >= recipe.frames, `${pictures} pictures`);
    },
  });
}
