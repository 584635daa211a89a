/**
 * AV1 from an IVF file as GStreamer's v4l2slav1dec queues it: one request per frame, its OUTPUT
 * buffer the frame's OBU payloads (no OBU headers: the frame header's bits and the tile data of
 * an OBU_FRAME, or its tile groups), TILE_GROUP_ENTRY pointing at each tile in that buffer, the
 * headers parsed into SEQUENCE, FRAME and FILM_GRAIN with every value resolved, and
 * show_existing_frame turned into a repeat of an earlier frame (no request).
 */
import type { ClientFrame } from "../decoder/file-client.ts";
import { codedSize, frameTimestamp } from "../decoder/file-client.ts";
import { concatBytes } from "../decoder/bytes.ts";
import type { IvfFrame } from "../decoder/ivf.ts";
import {
  OBU_FRAME,
  OBU_FRAME_HEADER,
  OBU_SEQUENCE_HEADER,
  OBU_TILE_GROUP,
  splitObus,
} from "./obu.ts";
import {
  type Av1Frame,
  Av1HeaderParser,
  type Av1Sequence,
  type FilmGrain,
  parseSequenceHeader,
  parseTileGroup,
} from "./parser.ts";
import {
  type Av1FrameCtrl,
  FG_FLAG,
  FRAME_FLAG,
  GM_FLAG,
  LF_FLAG,
  LR_FLAG,
  QUANT_FLAG,
  SEG_FLAG,
  SEQ_FLAG,
  TILE_INFO_FLAG_UNIFORM_TILE_SPACING,
  type TileGroupEntry,
  V4L2_CID_STATELESS_AV1_FILM_GRAIN,
  V4L2_CID_STATELESS_AV1_FRAME,
  V4L2_CID_STATELESS_AV1_SEQUENCE,
  V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
  writeFilmGrain,
  writeFrame,
  writeSequence,
  writeTileGroupEntries,
} from "./v4l2-av1.ts";

const bit = (on: boolean, flag: number) => (on ? flag : 0);
const pad = (xs: number[], n: number) => [...xs, ...new Array(Math.max(0, n - xs.length)).fill(0)];

/** The SEQUENCE control payload of a parsed sequence header. */
export function sequenceCtrl(s: Av1Sequence): Uint8Array<ArrayBuffer> {
  return writeSequence({
    flags: bit(s.stillPicture, SEQ_FLAG.STILL_PICTURE) |
      bit(s.use128x128Superblock, SEQ_FLAG.USE_128X128_SUPERBLOCK) |
      bit(s.enableFilterIntra, SEQ_FLAG.ENABLE_FILTER_INTRA) |
      bit(s.enableIntraEdgeFilter, SEQ_FLAG.ENABLE_INTRA_EDGE_FILTER) |
      bit(s.enableInterintraCompound, SEQ_FLAG.ENABLE_INTERINTRA_COMPOUND) |
      bit(s.enableMaskedCompound, SEQ_FLAG.ENABLE_MASKED_COMPOUND) |
      bit(s.enableWarpedMotion, SEQ_FLAG.ENABLE_WARPED_MOTION) |
      bit(s.enableDualFilter, SEQ_FLAG.ENABLE_DUAL_FILTER) |
      bit(s.enableOrderHint, SEQ_FLAG.ENABLE_ORDER_HINT) |
      bit(s.enableJntComp, SEQ_FLAG.ENABLE_JNT_COMP) |
      bit(s.enableRefFrameMvs, SEQ_FLAG.ENABLE_REF_FRAME_MVS) |
      bit(s.enableSuperres, SEQ_FLAG.ENABLE_SUPERRES) |
      bit(s.enableCdef, SEQ_FLAG.ENABLE_CDEF) |
      bit(s.enableRestoration, SEQ_FLAG.ENABLE_RESTORATION) |
      bit(s.monoChrome, SEQ_FLAG.MONO_CHROME) |
      bit(s.colorRange, SEQ_FLAG.COLOR_RANGE) |
      bit(s.subsamplingX === 1, SEQ_FLAG.SUBSAMPLING_X) |
      bit(s.subsamplingY === 1, SEQ_FLAG.SUBSAMPLING_Y) |
      bit(s.filmGrainParamsPresent, SEQ_FLAG.FILM_GRAIN_PARAMS_PRESENT) |
      bit(s.separateUvDeltaQ, SEQ_FLAG.SEPARATE_UV_DELTA_Q),
    seqProfile: s.profile,
    orderHintBits: s.orderHintBits,
    bitDepth: s.bitDepth,
    maxFrameWidthMinus1: s.maxFrameWidthMinus1,
    maxFrameHeightMinus1: s.maxFrameHeightMinus1,
  });
}

/** The FRAME control GStreamer fills from its parser's frame header. */
export function frameCtrl(f: Av1Frame, slotTs: bigint[]): Av1FrameCtrl {
  const t = f.tile;
  const q = f.quant;
  return {
    tile: {
      flags: bit(t.uniform, TILE_INFO_FLAG_UNIFORM_TILE_SPACING),
      contextUpdateTileId: t.contextUpdateTileId,
      cols: t.cols,
      rows: t.rows,
      miColStarts: t.miColStarts,
      miRowStarts: t.miRowStarts,
      widthInSbsMinus1: t.widthInSbsMinus1,
      heightInSbsMinus1: t.heightInSbsMinus1,
      tileSizeBytes: t.tileSizeBytes,
    },
    quant: {
      flags: bit(q.diffUvDelta, QUANT_FLAG.DIFF_UV_DELTA) |
        bit(q.usingQmatrix, QUANT_FLAG.USING_QMATRIX) |
        bit(q.deltaQPresent, QUANT_FLAG.DELTA_Q_PRESENT),
      baseQIdx: q.baseQIdx,
      deltaQYDc: q.deltaQYDc,
      deltaQUDc: q.deltaQUDc,
      deltaQUAc: q.deltaQUAc,
      deltaQVDc: q.deltaQVDc,
      deltaQVAc: q.deltaQVAc,
      qmY: q.qmY,
      qmU: q.qmU,
      qmV: q.qmV,
      deltaQRes: q.deltaQRes,
    },
    superresDenom: f.useSuperres ? f.superresDenom : 8,
    seg: {
      flags: bit(f.seg.enabled, SEG_FLAG.ENABLED) | bit(f.seg.updateMap, SEG_FLAG.UPDATE_MAP) |
        bit(f.seg.temporalUpdate, SEG_FLAG.TEMPORAL_UPDATE) |
        bit(f.seg.updateData, SEG_FLAG.UPDATE_DATA) |
        bit(f.seg.segIdPreSkip, SEG_FLAG.SEG_ID_PRE_SKIP),
      lastActiveSegId: f.seg.lastActiveSegId,
      featureEnabled: f.seg.featureEnabled,
      featureData: f.seg.featureData,
    },
    lf: {
      flags: bit(f.lf.deltaEnabled, LF_FLAG.DELTA_ENABLED) |
        bit(f.lf.deltaUpdate, LF_FLAG.DELTA_UPDATE) |
        bit(f.deltaLfPresent, LF_FLAG.DELTA_LF_PRESENT) |
        bit(f.deltaLfMulti, LF_FLAG.DELTA_LF_MULTI),
      level: f.lf.level,
      sharpness: f.lf.sharpness,
      refDeltas: f.lf.refDeltas,
      modeDeltas: f.lf.modeDeltas,
      deltaLfRes: f.deltaLfRes,
    },
    cdef: {
      dampingMinus3: f.cdef.dampingMinus3,
      bits: f.cdef.bits,
      yPri: pad(f.cdef.yPri, 8),
      // as GStreamer sends them: the spec's adjusted value, a coded 3 as 4
      ySec: pad(f.cdef.ySec.map((v) => (v === 3 ? 4 : v)), 8),
      uvPri: pad(f.cdef.uvPri, 8),
      uvSec: pad(f.cdef.uvSec.map((v) => (v === 3 ? 4 : v)), 8),
    },
    skipModeFrame: f.skipModeFrame,
    primaryRefFrame: f.primaryRefFrame,
    lr: {
      flags: bit(f.lr.type.some((x) => x !== 0), LR_FLAG.USES_LR) |
        bit(f.lr.type.slice(1).some((x) => x !== 0), LR_FLAG.USES_CHROMA_LR),
      unitShift: f.lr.unitShift,
      uvShift: f.lr.uvShift,
      type: f.lr.type,
      size: f.lr.sizeLog2.map((s) => 1 << s),
    },
    gm: {
      flags: f.gm.type.map((ty) =>
        bit(ty !== 0, GM_FLAG.IS_GLOBAL) | bit(ty === 2, GM_FLAG.IS_ROT_ZOOM) |
        bit(ty === 1, GM_FLAG.IS_TRANSLATION)
      ),
      type: f.gm.type,
      params: f.gm.params,
      invalid: 0,
    },
    flags: bit(f.showFrame, FRAME_FLAG.SHOW_FRAME) |
      bit(f.showableFrame, FRAME_FLAG.SHOWABLE_FRAME) |
      bit(f.errorResilientMode, FRAME_FLAG.ERROR_RESILIENT_MODE) |
      bit(f.disableCdfUpdate, FRAME_FLAG.DISABLE_CDF_UPDATE) |
      bit(f.allowScreenContentTools, FRAME_FLAG.ALLOW_SCREEN_CONTENT_TOOLS) |
      bit(f.forceIntegerMv, FRAME_FLAG.FORCE_INTEGER_MV) |
      bit(f.allowIntrabc, FRAME_FLAG.ALLOW_INTRABC) |
      bit(f.useSuperres, FRAME_FLAG.USE_SUPERRES) |
      bit(f.allowHighPrecisionMv, FRAME_FLAG.ALLOW_HIGH_PRECISION_MV) |
      bit(f.isMotionModeSwitchable, FRAME_FLAG.IS_MOTION_MODE_SWITCHABLE) |
      bit(f.useRefFrameMvs, FRAME_FLAG.USE_REF_FRAME_MVS) |
      bit(f.disableFrameEndUpdateCdf, FRAME_FLAG.DISABLE_FRAME_END_UPDATE_CDF) |
      bit(f.allowWarpedMotion, FRAME_FLAG.ALLOW_WARPED_MOTION) |
      bit(f.referenceSelect, FRAME_FLAG.REFERENCE_SELECT) |
      bit(f.reducedTxSet, FRAME_FLAG.REDUCED_TX_SET) |
      bit(f.skipModeFrame[0] > 0, FRAME_FLAG.SKIP_MODE_ALLOWED) |
      bit(f.skipModePresent, FRAME_FLAG.SKIP_MODE_PRESENT) |
      bit(f.frameSizeOverride, FRAME_FLAG.FRAME_SIZE_OVERRIDE) |
      bit(f.bufferRemovalTimePresent, FRAME_FLAG.BUFFER_REMOVAL_TIME_PRESENT) |
      bit(f.frameRefsShortSignaling, FRAME_FLAG.FRAME_REFS_SHORT_SIGNALING),
    frameType: f.frameType,
    orderHint: f.orderHint,
    upscaledWidth: f.upscaledWidth,
    interpolationFilter: f.interpolationFilter,
    txMode: f.txMode,
    frameWidthMinus1: f.frameWidth - 1,
    frameHeightMinus1: f.frameHeight - 1,
    renderWidthMinus1: f.renderWidth - 1,
    renderHeightMinus1: f.renderHeight - 1,
    currentFrameId: f.currentFrameId,
    orderHints: f.orderHints,
    referenceFrameTs: slotTs,
    refFrameIdx: f.refFrameIdx,
    refreshFrameFlags: f.refreshFrameFlags,
  };
}

/** The FILM_GRAIN control payload of a frame header's parsed film grain parameters. */
export function filmGrainCtrl(g: FilmGrain): Uint8Array<ArrayBuffer> {
  return writeFilmGrain({
    flags: bit(g.applyGrain, FG_FLAG.APPLY_GRAIN) | bit(g.updateGrain, FG_FLAG.UPDATE_GRAIN) |
      bit(g.chromaScalingFromLuma, FG_FLAG.CHROMA_SCALING_FROM_LUMA) |
      bit(g.overlapFlag, FG_FLAG.OVERLAP) |
      bit(g.clipToRestrictedRange, FG_FLAG.CLIP_TO_RESTRICTED_RANGE),
    grainSeed: g.grainSeed,
    filmGrainParamsRefIdx: g.filmGrainParamsRefIdx,
    pointYValue: g.pointYValue,
    pointYScaling: g.pointYScaling,
    pointCbValue: g.pointCbValue,
    pointCbScaling: g.pointCbScaling,
    pointCrValue: g.pointCrValue,
    pointCrScaling: g.pointCrScaling,
    grainScalingMinus8: g.grainScalingMinus8,
    arCoeffLag: g.arCoeffLag,
    arCoeffsYPlus128: g.arCoeffsY,
    arCoeffsCbPlus128: g.arCoeffsCb,
    arCoeffsCrPlus128: g.arCoeffsCr,
    arCoeffShiftMinus6: g.arCoeffShiftMinus6,
    grainScaleShift: g.grainScaleShift,
    cbMult: g.cbMult,
    cbLumaMult: g.cbLumaMult,
    cbOffset: g.cbOffset,
    crMult: g.crMult,
    crLumaMult: g.crLumaMult,
    crOffset: g.crOffset,
  });
}

/** The frames of an AV1 IVF file, in decode order. */
export function av1FileFrames(packets: IvfFrame[]): ClientFrame[] {
  const parser = new Av1HeaderParser();
  const out: ClientFrame[] = [];
  let seqBytes: Uint8Array | undefined;
  /** Per slot, the client frame it holds (for repeats and reference timestamps). */
  const slots: number[] = new Array(8).fill(-1);
  // the file decoder's timestamps; an empty slot 0
  const ts = (index: number) => (index < 0 ? 0n : frameTimestamp(index));
  for (const packet of packets) {
    let frame: Av1Frame | undefined;
    let payload: Uint8Array[] = [];
    let entries: TileGroupEntry[] = [];
    let length = 0;
    /** A tile group's payload (from `start` in an OBU_FRAME) appended to the OUTPUT buffer. */
    const addTiles = (obuPayload: Uint8Array, start: number, f: Av1Frame) => {
      for (const t of parseTileGroup(obuPayload, start, f)) {
        entries.push({ ...t, offset: t.offset + length });
      }
      payload.push(obuPayload);
      length += obuPayload.length;
    };
    const finish = () => {
      if (!frame || !parser.seq) return;
      const f = frame;
      const seq = parser.seq;
      const index = out.length;
      const buffer = concatBytes(payload);
      const ctrls = new Map<number, Uint8Array>([
        [V4L2_CID_STATELESS_AV1_FRAME, writeFrame(frameCtrl(f, slots.map(ts)))],
        [V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, writeTileGroupEntries(entries)],
        [V4L2_CID_STATELESS_AV1_FILM_GRAIN, filmGrainCtrl(f.filmGrain)],
      ]);
      if (seqBytes) ctrls.set(V4L2_CID_STATELESS_AV1_SEQUENCE, seqBytes);
      out.push({
        jobs: [{ ctrls, bitstream: buffer, hold: false }],
        ...codedSize(f.upscaledWidth, f.frameHeight, 16),
        bitDepth: seq.bitDepth,
        period: 0,
        poc: index,
        hidden: !f.showFrame,
      });
      for (let i = 0; i < 8; i++) if (f.refreshFrameFlags & (1 << i)) slots[i] = index;
      frame = undefined;
      payload = [];
      entries = [];
      length = 0;
    };
    for (const obu of splitObus(packet.data)) {
      if (obu.type === OBU_SEQUENCE_HEADER) {
        parser.setSequence(parseSequenceHeader(obu.payload));
        seqBytes = sequenceCtrl(parser.seq!);
      } else if (obu.type === OBU_FRAME_HEADER || obu.type === OBU_FRAME) {
        finish();
        const f = parser.parseFrameHeader(obu.payload, obu.temporalId, obu.spatialId);
        if (f.showExistingFrame) {
          const shown = slots[f.frameToShowMapIdx];
          if (shown < 0) throw new RangeError("show_existing_frame of an empty slot");
          const prior = out[shown];
          out.push({ ...prior, jobs: [], poc: out.length, hidden: false, repeatOf: shown });
          if (f.frameType === 0) slots.fill(shown); // a shown key frame refreshes every slot
          continue;
        }
        frame = f;
        if (obu.type === OBU_FRAME) addTiles(obu.payload, (f.headerBits + 7) >> 3, f);
      } else if (obu.type === OBU_TILE_GROUP && frame) {
        addTiles(obu.payload, 0, frame);
      }
    }
    finish();
  }
  return out;
}
