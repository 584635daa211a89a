/**
 * An AV1 header parser (spec 5.5 sequence_header_obu, 5.9 uncompressed_header, 5.11.1 tile
 * group header), as a V4L2 client parses a stream before it fills the stateless controls: the
 * file client (`daedalusd decode`, the tests) uses it. It keeps what later frames inherit from
 * their references (sizes, order hints, loop filter deltas, segmentation, global motion, film
 * grain), resolving every value to its effective one, as GStreamer's parser does.
 */
import { BitReader } from "../decoder/bits.ts";

export const KEY_FRAME = 0;
export const INTER_FRAME = 1;
export const INTRA_ONLY_FRAME = 2;
export const SWITCH_FRAME = 3;

const NUM_REF_FRAMES = 8;
const REFS_PER_FRAME = 7;
const PRIMARY_REF_NONE = 7;
const SELECT = 2;
const MAX_SEGMENTS = 8;
const SEG_LVL_MAX = 8;
const SEG_LVL_REF_FRAME = 5;
const SEGMENTATION_FEATURE_BITS = [8, 6, 6, 6, 6, 3, 0, 0];
const SEGMENTATION_FEATURE_SIGNED = [1, 1, 1, 1, 1, 0, 0, 0];
const SEGMENTATION_FEATURE_MAX = [255, 63, 63, 63, 63, 7, 0, 0];
const WARPEDMODEL_PREC_BITS = 16;
const GM_ABS_TRANS_ONLY_BITS = 9;
const GM_TRANS_ONLY_PREC_BITS = 3;
const GM_ABS_TRANS_BITS = 12;
const GM_TRANS_PREC_BITS = 6;
const GM_ABS_ALPHA_BITS = 12;
const GM_ALPHA_PREC_BITS = 15;
export const IDENTITY = 0;
export const TRANSLATION = 1;
export const ROTZOOM = 2;
export const AFFINE = 3;
const SUPERRES_NUM = 8;
const SUPERRES_DENOM_MIN = 9;
const SUPERRES_DENOM_BITS = 3;
const MAX_TILE_WIDTH = 4096;
const MAX_TILE_AREA = 4096 * 2304;
const MAX_TILE_ROWS = 64;
const MAX_TILE_COLS = 64;

export interface Av1Sequence {
  profile: number;
  stillPicture: boolean;
  reducedStillPictureHeader: boolean;
  timingInfoPresent: boolean;
  decoderModelInfoPresent: boolean;
  equalPictureInterval: boolean;
  bufferRemovalTimeLengthMinus1: number;
  framePresentationTimeLengthMinus1: number;
  operatingPointIdc: number[];
  decoderModelPresentForOp: boolean[];
  frameWidthBitsMinus1: number;
  frameHeightBitsMinus1: number;
  maxFrameWidthMinus1: number;
  maxFrameHeightMinus1: number;
  frameIdNumbersPresent: boolean;
  deltaFrameIdLengthMinus2: number;
  additionalFrameIdLengthMinus1: number;
  use128x128Superblock: boolean;
  enableFilterIntra: boolean;
  enableIntraEdgeFilter: boolean;
  enableInterintraCompound: boolean;
  enableMaskedCompound: boolean;
  enableWarpedMotion: boolean;
  enableDualFilter: boolean;
  enableOrderHint: boolean;
  enableJntComp: boolean;
  enableRefFrameMvs: boolean;
  seqForceScreenContentTools: number;
  seqForceIntegerMv: number;
  orderHintBits: number;
  enableSuperres: boolean;
  enableCdef: boolean;
  enableRestoration: boolean;
  bitDepth: number;
  monoChrome: boolean;
  colorRange: boolean;
  subsamplingX: number;
  subsamplingY: number;
  separateUvDeltaQ: boolean;
  filmGrainParamsPresent: boolean;
}

function uvlc(r: BitReader): number {
  let zeros = 0;
  while (!r.flag()) {
    if (++zeros >= 32) return 2 ** 32 - 1;
  }
  return r.u(zeros) + 2 ** zeros - 1;
}

export function parseSequenceHeader(payload: Uint8Array): Av1Sequence {
  const r = new BitReader(payload);
  const profile = r.u(3);
  const stillPicture = r.flag();
  const reduced = r.flag();
  let timingInfoPresent = false;
  let decoderModelInfoPresent = false;
  let equalPictureInterval = false;
  let bufferDelayLengthMinus1 = 0;
  let bufferRemovalTimeLengthMinus1 = 0;
  let framePresentationTimeLengthMinus1 = 0;
  const operatingPointIdc: number[] = [];
  const decoderModelPresentForOp: boolean[] = [];
  if (reduced) {
    operatingPointIdc.push(0);
    decoderModelPresentForOp.push(false);
    r.u(5); // seq_level_idx[0]
  } else {
    timingInfoPresent = r.flag();
    if (timingInfoPresent) {
      r.u(32);
      r.u(32);
      equalPictureInterval = r.flag();
      if (equalPictureInterval) uvlc(r);
      decoderModelInfoPresent = r.flag();
      if (decoderModelInfoPresent) {
        bufferDelayLengthMinus1 = r.u(5);
        r.u(32);
        bufferRemovalTimeLengthMinus1 = r.u(5);
        framePresentationTimeLengthMinus1 = r.u(5);
      }
    }
    const initialDisplayDelayPresent = r.flag();
    const count = r.u(5) + 1;
    for (let i = 0; i < count; i++) {
      operatingPointIdc.push(r.u(12));
      const level = r.u(5);
      if (level > 7) r.u(1);
      let present = false;
      if (decoderModelInfoPresent) {
        present = r.flag();
        if (present) {
          r.u(bufferDelayLengthMinus1 + 1);
          r.u(bufferDelayLengthMinus1 + 1);
          r.u(1);
        }
      }
      decoderModelPresentForOp.push(present);
      if (initialDisplayDelayPresent && r.flag()) r.u(4);
    }
  }
  const frameWidthBitsMinus1 = r.u(4);
  const frameHeightBitsMinus1 = r.u(4);
  const maxFrameWidthMinus1 = r.u(frameWidthBitsMinus1 + 1);
  const maxFrameHeightMinus1 = r.u(frameHeightBitsMinus1 + 1);
  const frameIdNumbersPresent = reduced ? false : r.flag();
  let deltaFrameIdLengthMinus2 = 0;
  let additionalFrameIdLengthMinus1 = 0;
  if (frameIdNumbersPresent) {
    deltaFrameIdLengthMinus2 = r.u(4);
    additionalFrameIdLengthMinus1 = r.u(3);
  }
  const use128x128Superblock = r.flag();
  const enableFilterIntra = r.flag();
  const enableIntraEdgeFilter = r.flag();
  let enableInterintraCompound = false, enableMaskedCompound = false, enableWarpedMotion = false;
  let enableDualFilter = false, enableOrderHint = false, enableJntComp = false;
  let enableRefFrameMvs = false, seqForceScreenContentTools = SELECT, seqForceIntegerMv = SELECT;
  let orderHintBits = 0;
  if (!reduced) {
    enableInterintraCompound = r.flag();
    enableMaskedCompound = r.flag();
    enableWarpedMotion = r.flag();
    enableDualFilter = r.flag();
    enableOrderHint = r.flag();
    if (enableOrderHint) {
      enableJntComp = r.flag();
      enableRefFrameMvs = r.flag();
    }
    seqForceScreenContentTools = r.flag() ? SELECT : r.u(1);
    if (seqForceScreenContentTools > 0) seqForceIntegerMv = r.flag() ? SELECT : r.u(1);
    if (enableOrderHint) orderHintBits = r.u(3) + 1;
  }
  const enableSuperres = r.flag();
  const enableCdef = r.flag();
  const enableRestoration = r.flag();
  // color_config()
  const highBitdepth = r.flag();
  let bitDepth = highBitdepth ? 10 : 8;
  if (profile === 2 && highBitdepth) bitDepth = r.flag() ? 12 : 10;
  const monoChrome = profile === 1 ? false : r.flag();
  let cp = 2, tc = 2, mc = 2;
  if (r.flag()) {
    cp = r.u(8);
    tc = r.u(8);
    mc = r.u(8);
  }
  let colorRange = false;
  let subsamplingX = 1, subsamplingY = 1;
  let separateUvDeltaQ = false;
  if (monoChrome) {
    colorRange = r.flag();
  } else {
    if (cp === 1 && tc === 13 && mc === 0) {
      colorRange = true;
      subsamplingX = subsamplingY = 0;
    } else {
      colorRange = r.flag();
      if (profile === 0) {
        subsamplingX = subsamplingY = 1;
      } else if (profile === 1) {
        subsamplingX = subsamplingY = 0;
      } else if (bitDepth === 12) {
        subsamplingX = r.u(1);
        subsamplingY = subsamplingX ? r.u(1) : 0;
      } else {
        subsamplingX = 1;
        subsamplingY = 0;
      }
      if (subsamplingX && subsamplingY) r.u(2); // chroma_sample_position
    }
    separateUvDeltaQ = r.flag();
  }
  const filmGrainParamsPresent = r.flag();
  return {
    profile,
    stillPicture,
    reducedStillPictureHeader: reduced,
    timingInfoPresent,
    decoderModelInfoPresent,
    equalPictureInterval,
    bufferRemovalTimeLengthMinus1,
    framePresentationTimeLengthMinus1,
    operatingPointIdc,
    decoderModelPresentForOp,
    frameWidthBitsMinus1,
    frameHeightBitsMinus1,
    maxFrameWidthMinus1,
    maxFrameHeightMinus1,
    frameIdNumbersPresent,
    deltaFrameIdLengthMinus2,
    additionalFrameIdLengthMinus1,
    use128x128Superblock,
    enableFilterIntra,
    enableIntraEdgeFilter,
    enableInterintraCompound,
    enableMaskedCompound,
    enableWarpedMotion,
    enableDualFilter,
    enableOrderHint,
    enableJntComp,
    enableRefFrameMvs,
    seqForceScreenContentTools,
    seqForceIntegerMv,
    orderHintBits,
    enableSuperres,
    enableCdef,
    enableRestoration,
    bitDepth,
    monoChrome,
    colorRange,
    subsamplingX,
    subsamplingY,
    separateUvDeltaQ,
    filmGrainParamsPresent,
  };
}

export interface FilmGrain {
  applyGrain: boolean;
  grainSeed: number;
  updateGrain: boolean;
  filmGrainParamsRefIdx: number;
  pointYValue: number[];
  pointYScaling: number[];
  chromaScalingFromLuma: boolean;
  pointCbValue: number[];
  pointCbScaling: number[];
  pointCrValue: number[];
  pointCrScaling: number[];
  grainScalingMinus8: number;
  arCoeffLag: number;
  arCoeffsY: number[];
  arCoeffsCb: number[];
  arCoeffsCr: number[];
  arCoeffShiftMinus6: number;
  grainScaleShift: number;
  cbMult: number;
  cbLumaMult: number;
  cbOffset: number;
  crMult: number;
  crLumaMult: number;
  crOffset: number;
  overlapFlag: boolean;
  clipToRestrictedRange: boolean;
}

export interface Av1Frame {
  showExistingFrame: boolean;
  frameToShowMapIdx: number;
  frameType: number;
  showFrame: boolean;
  showableFrame: boolean;
  errorResilientMode: boolean;
  disableCdfUpdate: boolean;
  allowScreenContentTools: boolean;
  forceIntegerMv: boolean;
  currentFrameId: number;
  frameSizeOverride: boolean;
  orderHint: number;
  primaryRefFrame: number;
  bufferRemovalTimePresent: boolean;
  bufferRemovalTime: number[];
  refreshFrameFlags: number;
  refOrderHint: number[];
  allowIntrabc: boolean;
  frameRefsShortSignaling: boolean;
  refFrameIdx: number[];
  allowHighPrecisionMv: boolean;
  isMotionModeSwitchable: boolean;
  useRefFrameMvs: boolean;
  interpolationFilter: number;
  frameWidth: number;
  frameHeight: number;
  upscaledWidth: number;
  renderWidth: number;
  renderHeight: number;
  useSuperres: boolean;
  superresDenom: number;
  disableFrameEndUpdateCdf: boolean;
  tile: {
    uniform: boolean;
    cols: number;
    rows: number;
    colsLog2: number;
    rowsLog2: number;
    miColStarts: number[];
    miRowStarts: number[];
    widthInSbsMinus1: number[];
    heightInSbsMinus1: number[];
    contextUpdateTileId: number;
    tileSizeBytes: number;
  };
  quant: {
    baseQIdx: number;
    deltaQYDc: number;
    deltaQUDc: number;
    deltaQUAc: number;
    deltaQVDc: number;
    deltaQVAc: number;
    diffUvDelta: boolean;
    usingQmatrix: boolean;
    qmY: number;
    qmU: number;
    qmV: number;
    deltaQPresent: boolean;
    deltaQRes: number;
  };
  seg: {
    enabled: boolean;
    updateMap: boolean;
    temporalUpdate: boolean;
    updateData: boolean;
    featureEnabled: number[];
    featureData: number[][];
    segIdPreSkip: boolean;
    lastActiveSegId: number;
  };
  deltaLfPresent: boolean;
  deltaLfRes: number;
  deltaLfMulti: boolean;
  codedLossless: boolean;
  allLossless: boolean;
  lf: {
    level: number[];
    sharpness: number;
    deltaEnabled: boolean;
    deltaUpdate: boolean;
    refDeltas: number[];
    modeDeltas: number[];
  };
  cdef: {
    dampingMinus3: number;
    bits: number;
    yPri: number[];
    ySec: number[];
    uvPri: number[];
    uvSec: number[];
  };
  lr: { type: number[]; sizeLog2: number[]; unitShift: number; uvShift: number };
  txMode: number;
  referenceSelect: boolean;
  skipModePresent: boolean;
  skipModeFrame: [number, number];
  allowWarpedMotion: boolean;
  reducedTxSet: boolean;
  gm: { type: number[]; params: number[][] };
  filmGrain: FilmGrain;
  /** OrderHints[LAST..ALTREF] (index 0 unused). */
  orderHints: number[];
  /** Bits of the uncompressed header (before byte alignment). */
  headerBits: number;
}

/** What a reference slot holds, for the frames that inherit from it. */
interface RefSlot {
  frameId: number;
  upscaledWidth: number;
  frameWidth: number;
  frameHeight: number;
  renderWidth: number;
  renderHeight: number;
  miCols: number;
  miRows: number;
  frameType: number;
  orderHint: number;
  gmParams: number[][];
  lfRefDeltas: number[];
  lfModeDeltas: number[];
  featureEnabled: number[];
  featureData: number[][];
  filmGrain: FilmGrain;
  bitDepth: number;
  subsamplingX: number;
  subsamplingY: number;
}

const DEFAULT_REF_DELTAS = [1, 0, 0, 0, -1, 0, -1, -1];
const identityParams = () =>
  Array.from(
    { length: NUM_REF_FRAMES },
    () => [0, 0, 1 << WARPEDMODEL_PREC_BITS, 0, 0, 1 << WARPEDMODEL_PREC_BITS],
  );
const noGrain = (): FilmGrain => ({
  applyGrain: false,
  grainSeed: 0,
  updateGrain: false,
  filmGrainParamsRefIdx: 0,
  pointYValue: [],
  pointYScaling: [],
  chromaScalingFromLuma: false,
  pointCbValue: [],
  pointCbScaling: [],
  pointCrValue: [],
  pointCrScaling: [],
  grainScalingMinus8: 0,
  arCoeffLag: 0,
  arCoeffsY: [],
  arCoeffsCb: [],
  arCoeffsCr: [],
  arCoeffShiftMinus6: 0,
  grainScaleShift: 0,
  cbMult: 0,
  cbLumaMult: 0,
  cbOffset: 0,
  crMult: 0,
  crLumaMult: 0,
  crOffset: 0,
  overlapFlag: false,
  clipToRestrictedRange: false,
});

function su(r: BitReader, n: number): number {
  const v = r.u(n);
  const signMask = 1 << (n - 1);
  return v & signMask ? v - 2 * signMask : v;
}

function ns(r: BitReader, n: number): number {
  let w = 0;
  for (let x = n; x !== 0; x >>= 1) w++;
  const m = (1 << w) - n;
  const v = r.u(w - 1);
  if (v < m) return v;
  return (v << 1) - m + r.u(1);
}

function deltaQ(r: BitReader): number {
  return r.flag() ? su(r, 7) : 0;
}

const tileLog2 = (blk: number, target: number) => {
  let k = 0;
  while ((blk << k) < target) k++;
  return k;
};

/** Keeps the reference state between frames; parses each frame header against it. */
export class Av1HeaderParser {
  seq: Av1Sequence | undefined;
  readonly #refs: (RefSlot | undefined)[] = new Array(NUM_REF_FRAMES).fill(undefined);
  #tuStartRefsValid = false;

  setSequence(seq: Av1Sequence): void {
    this.seq = seq;
  }

  /** The slot state a show_existing_frame of a key frame reloads (7.21), for the client's DPB. */
  refSlot(i: number): RefSlot | undefined {
    return this.#refs[i];
  }

  /** Parses a frame header OBU payload (or an OBU_FRAME's first part). */
  parseFrameHeader(payload: Uint8Array, temporalId = 0, spatialId = 0): Av1Frame {
    const seq = this.seq;
    if (!seq) throw new RangeError("AV1 frame header before any sequence header");
    const r = new BitReader(payload);
    const idLen = seq.frameIdNumbersPresent
      ? seq.additionalFrameIdLengthMinus1 + seq.deltaFrameIdLengthMinus2 + 3
      : 0;
    const allFrames = (1 << NUM_REF_FRAMES) - 1;
    const f = {
      showExistingFrame: false,
      frameToShowMapIdx: 0,
      frameType: KEY_FRAME,
      showFrame: true,
      showableFrame: false,
      errorResilientMode: false,
      disableCdfUpdate: false,
      allowScreenContentTools: false,
      forceIntegerMv: false,
      currentFrameId: 0,
      frameSizeOverride: false,
      orderHint: 0,
      primaryRefFrame: PRIMARY_REF_NONE,
      bufferRemovalTimePresent: false,
      bufferRemovalTime: [] as number[],
      refreshFrameFlags: 0,
      refOrderHint: new Array(NUM_REF_FRAMES).fill(0),
      allowIntrabc: false,
      frameRefsShortSignaling: false,
      refFrameIdx: new Array(REFS_PER_FRAME).fill(-1),
      allowHighPrecisionMv: false,
      isMotionModeSwitchable: false,
      useRefFrameMvs: false,
      interpolationFilter: 0,
      frameWidth: 0,
      frameHeight: 0,
      upscaledWidth: 0,
      renderWidth: 0,
      renderHeight: 0,
      useSuperres: false,
      superresDenom: SUPERRES_NUM,
      disableFrameEndUpdateCdf: true,
    } as Partial<Av1Frame> & Record<string, unknown>;
    void temporalId;
    void spatialId;
    if (seq.reducedStillPictureHeader) {
      f.frameType = KEY_FRAME;
      f.showFrame = true;
      f.showableFrame = false;
    } else {
      f.showExistingFrame = r.flag();
      if (f.showExistingFrame) {
        f.frameToShowMapIdx = r.u(3);
        if (seq.decoderModelInfoPresent && !seq.equalPictureInterval) {
          r.u(seq.framePresentationTimeLengthMinus1 + 1);
        }
        if (seq.frameIdNumbersPresent) r.u(idLen);
        const ref = this.#refs[f.frameToShowMapIdx!];
        if (!ref) throw new RangeError(`show_existing_frame of empty slot ${f.frameToShowMapIdx}`);
        f.frameType = ref.frameType;
        if (f.frameType === KEY_FRAME) {
          f.refreshFrameFlags = allFrames;
          // 7.21: a shown key frame reloads into every slot
          for (let i = 0; i < NUM_REF_FRAMES; i++) this.#refs[i] = { ...ref };
        }
        f.headerBits = r.pos;
        return f as Av1Frame;
      }
      f.frameType = r.u(2);
      f.showFrame = r.flag();
      if (
        f.showFrame && seq.decoderModelInfoPresent && !seq.equalPictureInterval
      ) r.u(seq.framePresentationTimeLengthMinus1 + 1);
      f.showableFrame = f.showFrame ? f.frameType !== KEY_FRAME : r.flag();
      f.errorResilientMode = f.frameType === SWITCH_FRAME ||
          (f.frameType === KEY_FRAME && f.showFrame)
        ? true
        : r.flag();
    }
    const frameIsIntra = f.frameType === INTRA_ONLY_FRAME || f.frameType === KEY_FRAME;
    if (f.frameType === KEY_FRAME && f.showFrame) {
      for (let i = 0; i < NUM_REF_FRAMES; i++) this.#refs[i] = undefined; // RefValid = 0
    }
    f.disableCdfUpdate = r.flag();
    f.allowScreenContentTools = seq.seqForceScreenContentTools === SELECT
      ? r.flag()
      : seq.seqForceScreenContentTools === 1;
    if (f.allowScreenContentTools) {
      f.forceIntegerMv = seq.seqForceIntegerMv === SELECT ? r.flag() : seq.seqForceIntegerMv === 1;
    }
    if (frameIsIntra) f.forceIntegerMv = true;
    if (seq.frameIdNumbersPresent) f.currentFrameId = r.u(idLen);
    f.frameSizeOverride = f.frameType === SWITCH_FRAME
      ? true
      : seq.reducedStillPictureHeader
      ? false
      : r.flag();
    f.orderHint = r.u(seq.orderHintBits);
    f.primaryRefFrame = frameIsIntra || f.errorResilientMode ? PRIMARY_REF_NONE : r.u(3);
    if (seq.decoderModelInfoPresent) {
      f.bufferRemovalTimePresent = r.flag();
      if (f.bufferRemovalTimePresent) {
        for (let op = 0; op < seq.operatingPointIdc.length; op++) {
          if (!seq.decoderModelPresentForOp[op]) continue;
          const idc = seq.operatingPointIdc[op];
          const inT = (idc >> temporalId) & 1;
          const inS = (idc >> (spatialId + 8)) & 1;
          const v = idc === 0 || (inT && inS) ? r.u(seq.bufferRemovalTimeLengthMinus1 + 1) : 0;
          f.bufferRemovalTime!.push(v);
        }
      }
    }
    f.refreshFrameFlags = f.frameType === SWITCH_FRAME ||
        (f.frameType === KEY_FRAME && f.showFrame)
      ? allFrames
      : r.u(8);
    if (!frameIsIntra || f.refreshFrameFlags !== allFrames) {
      if (f.errorResilientMode && seq.enableOrderHint) {
        for (let i = 0; i < NUM_REF_FRAMES; i++) {
          const hint = r.u(seq.orderHintBits);
          f.refOrderHint![i] = hint;
          const ref = this.#refs[i];
          if (!ref || ref.orderHint !== hint) this.#refs[i] = undefined;
        }
      }
    }
    for (let i = 0; i < NUM_REF_FRAMES; i++) {
      if (!(f.errorResilientMode && seq.enableOrderHint)) {
        f.refOrderHint![i] = this.#refs[i]?.orderHint ?? 0;
      }
    }
    const frameSize = () => {
      if (f.frameSizeOverride) {
        f.frameWidth = r.u(seq.frameWidthBitsMinus1 + 1) + 1;
        f.frameHeight = r.u(seq.frameHeightBitsMinus1 + 1) + 1;
      } else {
        f.frameWidth = seq.maxFrameWidthMinus1 + 1;
        f.frameHeight = seq.maxFrameHeightMinus1 + 1;
      }
      superresParams();
    };
    const superresParams = () => {
      f.useSuperres = seq.enableSuperres ? r.flag() : false;
      f.superresDenom = f.useSuperres
        ? r.u(SUPERRES_DENOM_BITS) + SUPERRES_DENOM_MIN
        : SUPERRES_NUM;
      f.upscaledWidth = f.frameWidth!;
      f.frameWidth = Math.floor(
        (f.upscaledWidth * SUPERRES_NUM + f.superresDenom / 2) / f.superresDenom,
      );
    };
    const renderSize = () => {
      if (r.flag()) {
        f.renderWidth = r.u(16) + 1;
        f.renderHeight = r.u(16) + 1;
      } else {
        f.renderWidth = f.upscaledWidth;
        f.renderHeight = f.frameHeight;
      }
    };
    if (f.frameType === KEY_FRAME) {
      frameSize();
      renderSize();
      if (f.allowScreenContentTools && f.upscaledWidth === f.frameWidth) f.allowIntrabc = r.flag();
    } else {
      if (f.frameType === INTRA_ONLY_FRAME) {
        frameSize();
        renderSize();
        if (f.allowScreenContentTools && f.upscaledWidth === f.frameWidth) {
          f.allowIntrabc = r.flag();
        }
      } else {
        f.frameRefsShortSignaling = seq.enableOrderHint ? r.flag() : false;
        if (f.frameRefsShortSignaling) {
          r.u(3); // last_frame_idx
          r.u(3); // gold_frame_idx
          throw new RangeError("frame_refs_short_signaling is not supported by this parser");
        }
        for (let i = 0; i < REFS_PER_FRAME; i++) {
          f.refFrameIdx![i] = r.u(3);
          if (seq.frameIdNumbersPresent) r.u(seq.deltaFrameIdLengthMinus2 + 2);
        }
        if (f.frameSizeOverride && !f.errorResilientMode) {
          let found = false;
          for (let i = 0; i < REFS_PER_FRAME && !found; i++) {
            if (r.flag()) {
              const ref = this.#refs[f.refFrameIdx![i]];
              if (!ref) throw new RangeError("frame size from an empty reference");
              f.upscaledWidth = ref.upscaledWidth;
              f.frameWidth = f.upscaledWidth;
              f.frameHeight = ref.frameHeight;
              f.renderWidth = ref.renderWidth;
              f.renderHeight = ref.renderHeight;
              found = true;
            }
          }
          if (!found) {
            frameSize();
            renderSize();
          } else {
            superresParams();
          }
        } else {
          frameSize();
          renderSize();
        }
        f.allowHighPrecisionMv = f.forceIntegerMv ? false : r.flag();
        // read_interpolation_filter()
        f.interpolationFilter = r.flag() ? 4 : r.u(2);
        f.isMotionModeSwitchable = r.flag();
        f.useRefFrameMvs = f.errorResilientMode || !seq.enableRefFrameMvs ? false : r.flag();
      }
    }
    const miCols = 2 * ((f.frameWidth! + 7) >> 3);
    const miRows = 2 * ((f.frameHeight! + 7) >> 3);
    f.disableFrameEndUpdateCdf = seq.reducedStillPictureHeader || f.disableCdfUpdate
      ? true
      : r.flag();
    // the primary reference's state: what this frame inherits (load_previous)
    const prev = f.primaryRefFrame === PRIMARY_REF_NONE
      ? undefined
      : this.#refs[f.refFrameIdx![f.primaryRefFrame!]];
    f.tile = this.#tileInfo(r, seq, miCols, miRows);
    f.quant = this.#quantization(r, seq);
    f.seg = this.#segmentation(r, f.primaryRefFrame!, prev);
    let deltaQPresent = false, deltaQRes = 0;
    if (f.quant.baseQIdx > 0) deltaQPresent = r.flag();
    if (deltaQPresent) deltaQRes = r.u(2);
    f.quant.deltaQPresent = deltaQPresent;
    f.quant.deltaQRes = deltaQRes;
    f.deltaLfPresent = false;
    f.deltaLfRes = 0;
    f.deltaLfMulti = false;
    if (deltaQPresent) {
      if (!f.allowIntrabc) f.deltaLfPresent = r.flag();
      if (f.deltaLfPresent) {
        f.deltaLfRes = r.u(2);
        f.deltaLfMulti = r.flag();
      }
    }
    let codedLossless = true;
    for (let segId = 0; segId < MAX_SEGMENTS; segId++) {
      let q = f.quant.baseQIdx;
      if (f.seg.enabled && (f.seg.featureEnabled[segId] & 1)) {
        q = Math.max(0, Math.min(255, q + f.seg.featureData[segId][0]));
      }
      const lossless = q === 0 && f.quant.deltaQYDc === 0 && f.quant.deltaQUAc === 0 &&
        f.quant.deltaQUDc === 0 && f.quant.deltaQVAc === 0 && f.quant.deltaQVDc === 0;
      if (!lossless) codedLossless = false;
    }
    f.codedLossless = codedLossless;
    f.allLossless = codedLossless && f.frameWidth === f.upscaledWidth;
    f.lf = this.#loopFilter(r, seq, f as Av1Frame, prev);
    f.cdef = this.#cdef(r, seq, f as Av1Frame);
    f.lr = this.#lrParams(r, seq, f as Av1Frame);
    // read_tx_mode()
    f.txMode = codedLossless ? 0 : r.flag() ? 2 : 1;
    f.referenceSelect = frameIsIntra ? false : r.flag();
    // skip_mode_params()
    f.orderHints = new Array(8).fill(0);
    for (let i = 0; i < REFS_PER_FRAME && !frameIsIntra; i++) {
      f.orderHints[i + 1] = this.#refs[f.refFrameIdx![i]]?.orderHint ?? 0;
    }
    f.skipModeFrame = [0, 0];
    let skipModeAllowed = false;
    if (!frameIsIntra && f.referenceSelect && seq.enableOrderHint) {
      const bits = seq.orderHintBits;
      const diff = (a: number, b: number) => {
        const m = 1 << (bits - 1);
        let d = a - b;
        d = (d & (m - 1)) - (d & m);
        return d;
      };
      let forwardIdx = -1, backwardIdx = -1, forwardHint = 0, backwardHint = 0;
      for (let i = 0; i < REFS_PER_FRAME; i++) {
        const refHint = this.#refs[f.refFrameIdx![i]]?.orderHint ?? 0;
        if (diff(refHint, f.orderHint!) < 0) {
          if (forwardIdx < 0 || diff(refHint, forwardHint) > 0) {
            forwardIdx = i;
            forwardHint = refHint;
          }
        } else if (diff(refHint, f.orderHint!) > 0) {
          if (backwardIdx < 0 || diff(refHint, backwardHint) < 0) {
            backwardIdx = i;
            backwardHint = refHint;
          }
        }
      }
      if (forwardIdx < 0) {
        skipModeAllowed = false;
      } else if (backwardIdx >= 0) {
        skipModeAllowed = true;
        f.skipModeFrame = [
          1 + Math.min(forwardIdx, backwardIdx),
          1 + Math.max(forwardIdx, backwardIdx),
        ];
      } else {
        let secondIdx = -1, secondHint = 0;
        for (let i = 0; i < REFS_PER_FRAME; i++) {
          const refHint = this.#refs[f.refFrameIdx![i]]?.orderHint ?? 0;
          if (diff(refHint, forwardHint) < 0) {
            if (secondIdx < 0 || diff(refHint, secondHint) > 0) {
              secondIdx = i;
              secondHint = refHint;
            }
          }
        }
        if (secondIdx >= 0) {
          skipModeAllowed = true;
          f.skipModeFrame = [
            1 + Math.min(forwardIdx, secondIdx),
            1 + Math.max(forwardIdx, secondIdx),
          ];
        }
      }
    }
    f.skipModePresent = skipModeAllowed ? r.flag() : false;
    if (!skipModeAllowed) f.skipModeFrame = [0, 0];
    f.allowWarpedMotion = frameIsIntra || f.errorResilientMode || !seq.enableWarpedMotion
      ? false
      : r.flag();
    f.reducedTxSet = r.flag();
    f.gm = this.#globalMotion(r, f as Av1Frame, frameIsIntra, prev);
    f.filmGrain = this.#filmGrain(r, seq, f as Av1Frame);
    f.headerBits = r.pos;
    const frame = f as Av1Frame;
    this.#update(frame, seq, miCols, miRows);
    return frame;
  }

  #update(f: Av1Frame, seq: Av1Sequence, miCols: number, miRows: number): void {
    for (let i = 0; i < NUM_REF_FRAMES; i++) {
      if (!(f.refreshFrameFlags & (1 << i))) continue;
      this.#refs[i] = {
        frameId: f.currentFrameId,
        upscaledWidth: f.upscaledWidth,
        frameWidth: f.frameWidth,
        frameHeight: f.frameHeight,
        renderWidth: f.renderWidth,
        renderHeight: f.renderHeight,
        miCols,
        miRows,
        frameType: f.frameType,
        orderHint: f.orderHint,
        gmParams: f.gm.params.map((p) => [...p]),
        lfRefDeltas: [...f.lf.refDeltas],
        lfModeDeltas: [...f.lf.modeDeltas],
        featureEnabled: [...f.seg.featureEnabled],
        featureData: f.seg.featureData.map((d) => [...d]),
        filmGrain: f.filmGrain,
        bitDepth: seq.bitDepth,
        subsamplingX: seq.subsamplingX,
        subsamplingY: seq.subsamplingY,
      };
    }
  }

  #tileInfo(r: BitReader, seq: Av1Sequence, miCols: number, miRows: number): Av1Frame["tile"] {
    const sb128 = seq.use128x128Superblock;
    const sbCols = sb128 ? (miCols + 31) >> 5 : (miCols + 15) >> 4;
    const sbRows = sb128 ? (miRows + 31) >> 5 : (miRows + 15) >> 4;
    const sbShift = sb128 ? 5 : 4;
    const sbSize = sbShift + 2;
    const maxTileWidthSb = MAX_TILE_WIDTH >> sbSize;
    let maxTileAreaSb = MAX_TILE_AREA >> (2 * sbSize);
    const minLog2TileCols = tileLog2(maxTileWidthSb, sbCols);
    const maxLog2TileCols = tileLog2(1, Math.min(sbCols, MAX_TILE_COLS));
    const maxLog2TileRows = tileLog2(1, Math.min(sbRows, MAX_TILE_ROWS));
    const minLog2Tiles = Math.max(minLog2TileCols, tileLog2(maxTileAreaSb, sbRows * sbCols));
    const miColStarts: number[] = [];
    const miRowStarts: number[] = [];
    const widthInSbsMinus1: number[] = [];
    const heightInSbsMinus1: number[] = [];
    const uniform = r.flag();
    let colsLog2 = 0, rowsLog2 = 0, cols = 0, rows = 0;
    if (uniform) {
      colsLog2 = minLog2TileCols;
      while (colsLog2 < maxLog2TileCols && r.flag()) colsLog2++;
      const tileWidthSb = (sbCols + (1 << colsLog2) - 1) >> colsLog2;
      let i = 0;
      for (let start = 0; start < sbCols; start += tileWidthSb) {
        miColStarts[i] = start << sbShift;
        widthInSbsMinus1[i] = Math.min(tileWidthSb, sbCols - start) - 1;
        i++;
      }
      miColStarts[i] = miCols;
      cols = i;
      const minLog2TileRows = Math.max(minLog2Tiles - colsLog2, 0);
      rowsLog2 = minLog2TileRows;
      while (rowsLog2 < maxLog2TileRows && r.flag()) rowsLog2++;
      const tileHeightSb = (sbRows + (1 << rowsLog2) - 1) >> rowsLog2;
      i = 0;
      for (let start = 0; start < sbRows; start += tileHeightSb) {
        miRowStarts[i] = start << sbShift;
        heightInSbsMinus1[i] = Math.min(tileHeightSb, sbRows - start) - 1;
        i++;
      }
      miRowStarts[i] = miRows;
      rows = i;
    } else {
      let widestTileSb = 0;
      let start = 0, i = 0;
      for (; start < sbCols; i++) {
        miColStarts[i] = start << sbShift;
        const maxWidth = Math.min(sbCols - start, maxTileWidthSb);
        const w = ns(r, maxWidth) + 1;
        widthInSbsMinus1[i] = w - 1;
        widestTileSb = Math.max(w, widestTileSb);
        start += w;
      }
      miColStarts[i] = miCols;
      cols = i;
      colsLog2 = tileLog2(1, cols);
      if (minLog2Tiles > 0) maxTileAreaSb = (sbRows * sbCols) >> (minLog2Tiles + 1);
      else maxTileAreaSb = sbRows * sbCols;
      const maxTileHeightSb = Math.max(Math.floor(maxTileAreaSb / widestTileSb), 1);
      start = 0;
      i = 0;
      for (; start < sbRows; i++) {
        miRowStarts[i] = start << sbShift;
        const maxHeight = Math.min(sbRows - start, maxTileHeightSb);
        const h = ns(r, maxHeight) + 1;
        heightInSbsMinus1[i] = h - 1;
        start += h;
      }
      miRowStarts[i] = miRows;
      rows = i;
      rowsLog2 = tileLog2(1, rows);
    }
    let contextUpdateTileId = 0, tileSizeBytes = 0;
    if (colsLog2 > 0 || rowsLog2 > 0) {
      contextUpdateTileId = r.u(rowsLog2 + colsLog2);
      tileSizeBytes = r.u(2) + 1;
    }
    return {
      uniform,
      cols,
      rows,
      colsLog2,
      rowsLog2,
      miColStarts,
      miRowStarts,
      widthInSbsMinus1,
      heightInSbsMinus1,
      contextUpdateTileId,
      tileSizeBytes,
    };
  }

  #quantization(r: BitReader, seq: Av1Sequence): Av1Frame["quant"] {
    const baseQIdx = r.u(8);
    const deltaQYDc = deltaQ(r);
    let deltaQUDc = 0, deltaQUAc = 0, deltaQVDc = 0, deltaQVAc = 0, diffUvDelta = false;
    if (!seq.monoChrome) {
      diffUvDelta = seq.separateUvDeltaQ ? r.flag() : false;
      deltaQUDc = deltaQ(r);
      deltaQUAc = deltaQ(r);
      if (diffUvDelta) {
        deltaQVDc = deltaQ(r);
        deltaQVAc = deltaQ(r);
      } else {
        deltaQVDc = deltaQUDc;
        deltaQVAc = deltaQUAc;
      }
    }
    const usingQmatrix = r.flag();
    let qmY = 0, qmU = 0, qmV = 0;
    if (usingQmatrix) {
      qmY = r.u(4);
      qmU = r.u(4);
      qmV = seq.separateUvDeltaQ ? r.u(4) : qmU;
    }
    return {
      baseQIdx,
      deltaQYDc,
      deltaQUDc,
      deltaQUAc,
      deltaQVDc,
      deltaQVAc,
      diffUvDelta,
      usingQmatrix,
      qmY,
      qmU,
      qmV,
      deltaQPresent: false,
      deltaQRes: 0,
    };
  }

  #segmentation(r: BitReader, primaryRefFrame: number, prev: RefSlot | undefined): Av1Frame["seg"] {
    const enabled = r.flag();
    let updateMap = false, temporalUpdate = false, updateData = false;
    let featureEnabled = new Array(MAX_SEGMENTS).fill(0);
    let featureData = Array.from({ length: MAX_SEGMENTS }, () => new Array(SEG_LVL_MAX).fill(0));
    if (enabled) {
      if (primaryRefFrame === PRIMARY_REF_NONE) {
        updateMap = true;
        temporalUpdate = false;
        updateData = true;
      } else {
        updateMap = r.flag();
        if (updateMap) temporalUpdate = r.flag();
        updateData = r.flag();
      }
      if (updateData) {
        for (let i = 0; i < MAX_SEGMENTS; i++) {
          for (let j = 0; j < SEG_LVL_MAX; j++) {
            let value = 0;
            if (r.flag()) {
              featureEnabled[i] |= 1 << j;
              const bits = SEGMENTATION_FEATURE_BITS[j];
              const limit = SEGMENTATION_FEATURE_MAX[j];
              if (SEGMENTATION_FEATURE_SIGNED[j]) {
                value = Math.max(-limit, Math.min(limit, su(r, 1 + bits)));
              } else {
                value = Math.min(limit, r.u(bits));
              }
            }
            featureData[i][j] = value;
          }
        }
      } else if (prev) {
        featureEnabled = [...prev.featureEnabled];
        featureData = prev.featureData.map((d) => [...d]);
      }
    }
    let segIdPreSkip = false, lastActiveSegId = 0;
    for (let i = 0; i < MAX_SEGMENTS; i++) {
      for (let j = 0; j < SEG_LVL_MAX; j++) {
        if (featureEnabled[i] & (1 << j)) {
          lastActiveSegId = i;
          if (j >= SEG_LVL_REF_FRAME) segIdPreSkip = true;
        }
      }
    }
    return {
      enabled,
      updateMap,
      temporalUpdate,
      updateData,
      featureEnabled,
      featureData,
      segIdPreSkip,
      lastActiveSegId,
    };
  }

  #loopFilter(r: BitReader, seq: Av1Sequence, f: Av1Frame, prev: RefSlot | undefined) {
    const lf = {
      level: [0, 0, 0, 0],
      sharpness: 0,
      deltaEnabled: false,
      deltaUpdate: false,
      refDeltas: prev ? [...prev.lfRefDeltas] : [...DEFAULT_REF_DELTAS],
      modeDeltas: prev ? [...prev.lfModeDeltas] : [0, 0],
    };
    if (f.codedLossless || f.allowIntrabc) {
      lf.refDeltas = [...DEFAULT_REF_DELTAS];
      lf.modeDeltas = [0, 0];
      return lf;
    }
    lf.level[0] = r.u(6);
    lf.level[1] = r.u(6);
    if (!seq.monoChrome && (lf.level[0] || lf.level[1])) {
      lf.level[2] = r.u(6);
      lf.level[3] = r.u(6);
    }
    lf.sharpness = r.u(3);
    lf.deltaEnabled = r.flag();
    if (lf.deltaEnabled) {
      lf.deltaUpdate = r.flag();
      if (lf.deltaUpdate) {
        for (let i = 0; i < 8; i++) if (r.flag()) lf.refDeltas[i] = su(r, 7);
        for (let i = 0; i < 2; i++) if (r.flag()) lf.modeDeltas[i] = su(r, 7);
      }
    }
    return lf;
  }

  #cdef(r: BitReader, seq: Av1Sequence, f: Av1Frame) {
    const c = { dampingMinus3: 0, bits: 0, yPri: [0], ySec: [0], uvPri: [0], uvSec: [0] };
    if (f.codedLossless || f.allowIntrabc || !seq.enableCdef) return c;
    c.dampingMinus3 = r.u(2);
    c.bits = r.u(2);
    c.yPri = [];
    c.ySec = [];
    c.uvPri = [];
    c.uvSec = [];
    for (let i = 0; i < 1 << c.bits; i++) {
      c.yPri.push(r.u(4));
      c.ySec.push(r.u(2)); // as coded (0..3); the spec adds 1 to a coded 3
      if (!seq.monoChrome) {
        c.uvPri.push(r.u(4));
        c.uvSec.push(r.u(2));
      } else {
        c.uvPri.push(0);
        c.uvSec.push(0);
      }
    }
    return c;
  }

  #lrParams(r: BitReader, seq: Av1Sequence, f: Av1Frame) {
    // lr_type as coded: 0 NONE, 1 SWITCHABLE, 2 WIENER, 3 SGRPROJ → FrameRestorationType
    const REMAP = [0, 3, 1, 2];
    const planes = seq.monoChrome ? 1 : 3;
    const lr = { type: [0, 0, 0], sizeLog2: [6, 6, 6], unitShift: 0, uvShift: 0 };
    if (f.allLossless || f.allowIntrabc || !seq.enableRestoration) return lr;
    let usesLr = false, usesChromaLr = false;
    for (let i = 0; i < planes; i++) {
      lr.type[i] = REMAP[r.u(2)];
      if (lr.type[i]) {
        usesLr = true;
        if (i > 0) usesChromaLr = true;
      }
    }
    if (usesLr) {
      if (seq.use128x128Superblock) {
        lr.unitShift = r.u(1) + 1;
      } else {
        lr.unitShift = r.u(1);
        if (lr.unitShift) lr.unitShift += r.u(1);
      }
      lr.sizeLog2[0] = 6 + lr.unitShift;
      lr.uvShift = seq.subsamplingX && seq.subsamplingY && usesChromaLr ? r.u(1) : 0;
      lr.sizeLog2[1] = lr.sizeLog2[0] - lr.uvShift;
      lr.sizeLog2[2] = lr.sizeLog2[0] - lr.uvShift;
    }
    return lr;
  }

  #globalMotion(r: BitReader, f: Av1Frame, frameIsIntra: boolean, prev: RefSlot | undefined) {
    const params = identityParams();
    const type = new Array(NUM_REF_FRAMES).fill(IDENTITY);
    if (frameIsIntra) return { type, params };
    const prevParams = prev ? prev.gmParams : identityParams();
    for (let ref = 1; ref <= 7; ref++) {
      let t = IDENTITY;
      if (r.flag()) {
        if (r.flag()) t = ROTZOOM;
        else t = r.flag() ? TRANSLATION : AFFINE;
      }
      type[ref] = t;
      if (t >= ROTZOOM) {
        params[ref][2] = this.#gmParam(r, f, t, ref, 2, prevParams);
        params[ref][3] = this.#gmParam(r, f, t, ref, 3, prevParams);
        if (t === AFFINE) {
          params[ref][4] = this.#gmParam(r, f, t, ref, 4, prevParams);
          params[ref][5] = this.#gmParam(r, f, t, ref, 5, prevParams);
        } else {
          params[ref][4] = -params[ref][3];
          params[ref][5] = params[ref][2];
        }
      }
      if (t >= TRANSLATION) {
        params[ref][0] = this.#gmParam(r, f, t, ref, 0, prevParams);
        params[ref][1] = this.#gmParam(r, f, t, ref, 1, prevParams);
      }
    }
    return { type, params };
  }

  #gmParam(
    r: BitReader,
    f: Av1Frame,
    type: number,
    ref: number,
    idx: number,
    prevParams: number[][],
  ): number {
    let absBits = GM_ABS_ALPHA_BITS;
    let precBits = GM_ALPHA_PREC_BITS;
    if (idx < 2) {
      if (type === TRANSLATION) {
        absBits = GM_ABS_TRANS_ONLY_BITS - (f.allowHighPrecisionMv ? 0 : 1);
        precBits = GM_TRANS_ONLY_PREC_BITS - (f.allowHighPrecisionMv ? 0 : 1);
      } else {
        absBits = GM_ABS_TRANS_BITS;
        precBits = GM_TRANS_PREC_BITS;
      }
    }
    const precDiff = WARPEDMODEL_PREC_BITS - precBits;
    const round = (idx % 3) === 2 ? 1 << WARPEDMODEL_PREC_BITS : 0;
    const sub = (idx % 3) === 2 ? 1 << precBits : 0;
    const mx = 1 << absBits;
    const rr = (prevParams[ref][idx] >> precDiff) - sub;
    return (decodeSignedSubexpWithRef(r, -mx, mx + 1, rr) << precDiff) + round;
  }

  #filmGrain(r: BitReader, seq: Av1Sequence, f: Av1Frame): FilmGrain {
    const g = noGrain();
    if (!seq.filmGrainParamsPresent || (!f.showFrame && !f.showableFrame)) return g;
    g.applyGrain = r.flag();
    if (!g.applyGrain) return g;
    g.grainSeed = r.u(16);
    g.updateGrain = f.frameType === INTER_FRAME ? r.flag() : true;
    if (!g.updateGrain) {
      g.filmGrainParamsRefIdx = r.u(3);
      const ref = this.#refs[g.filmGrainParamsRefIdx];
      if (!ref) throw new RangeError("film grain from an empty reference");
      return {
        ...ref.filmGrain,
        applyGrain: true,
        grainSeed: g.grainSeed,
        updateGrain: false,
        filmGrainParamsRefIdx: g.filmGrainParamsRefIdx,
      };
    }
    const numPosY = r.u(4);
    for (let i = 0; i < numPosY; i++) {
      g.pointYValue.push(r.u(8));
      g.pointYScaling.push(r.u(8));
    }
    g.chromaScalingFromLuma = seq.monoChrome ? false : r.flag();
    let numCb = 0, numCr = 0;
    if (
      !(seq.monoChrome || g.chromaScalingFromLuma ||
        (seq.subsamplingX === 1 && seq.subsamplingY === 1 && numPosY === 0))
    ) {
      numCb = r.u(4);
      for (let i = 0; i < numCb; i++) {
        g.pointCbValue.push(r.u(8));
        g.pointCbScaling.push(r.u(8));
      }
      numCr = r.u(4);
      for (let i = 0; i < numCr; i++) {
        g.pointCrValue.push(r.u(8));
        g.pointCrScaling.push(r.u(8));
      }
    }
    g.grainScalingMinus8 = r.u(2);
    g.arCoeffLag = r.u(2);
    const numPosLuma = 2 * g.arCoeffLag * (g.arCoeffLag + 1);
    const numPosChroma = numPosY ? numPosLuma + 1 : numPosLuma;
    if (numPosY) { for (let i = 0; i < numPosLuma; i++) g.arCoeffsY.push(r.u(8)); }
    if (g.chromaScalingFromLuma || numCb) {
      for (let i = 0; i < numPosChroma; i++) g.arCoeffsCb.push(r.u(8));
    }
    if (g.chromaScalingFromLuma || numCr) {
      for (let i = 0; i < numPosChroma; i++) g.arCoeffsCr.push(r.u(8));
    }
    g.arCoeffShiftMinus6 = r.u(2);
    g.grainScaleShift = r.u(2);
    if (numCb) {
      g.cbMult = r.u(8);
      g.cbLumaMult = r.u(8);
      g.cbOffset = r.u(9);
    }
    if (numCr) {
      g.crMult = r.u(8);
      g.crLumaMult = r.u(8);
      g.crOffset = r.u(9);
    }
    g.overlapFlag = r.flag();
    g.clipToRestrictedRange = r.flag();
    return g;
  }
}

function decodeSignedSubexpWithRef(r: BitReader, low: number, high: number, ref: number): number {
  const x = decodeUnsignedSubexpWithRef(r, high - low, ref - low);
  return x + low;
}

function decodeUnsignedSubexpWithRef(r: BitReader, mx: number, ref: number): number {
  const v = decodeSubexp(r, mx);
  if ((ref << 1) <= mx) return inverseRecenter(ref, v);
  return mx - 1 - inverseRecenter(mx - 1 - ref, v);
}

function decodeSubexp(r: BitReader, numSyms: number): number {
  let i = 0, mk = 0;
  const k = 3;
  for (;;) {
    const b2 = i ? k + i - 1 : k;
    const a = 1 << b2;
    if (numSyms <= mk + 3 * a) return ns(r, numSyms - mk) + mk;
    if (!r.flag()) return r.u(b2) + mk;
    i++;
    mk += a;
  }
}

function inverseRecenter(r: number, v: number): number {
  if (v > 2 * r) return v;
  if (v & 1) return r - ((v + 1) >> 1);
  return r + (v >> 1);
}

/** One tile of a tile group: where its data is in the payload, and its place in the frame. */
export interface TileEntry {
  offset: number;
  size: number;
  row: number;
  col: number;
}

/**
 * The tiles of a tile group OBU payload (5.11.1), or of an OBU_FRAME's payload from `start` (the
 * byte after the frame header).
 */
export function parseTileGroup(payload: Uint8Array, start: number, f: Av1Frame): TileEntry[] {
  const { cols, rows, colsLog2, rowsLog2, tileSizeBytes } = f.tile;
  const numTiles = cols * rows;
  const r = new BitReader(payload.subarray(start));
  let tgStart = 0, tgEnd = numTiles - 1;
  if (numTiles > 1 && r.flag()) {
    const bits = colsLog2 + rowsLog2;
    tgStart = r.u(bits);
    tgEnd = r.u(bits);
  }
  let at = start + ((r.pos + 7) >> 3);
  const out: TileEntry[] = [];
  for (let t = tgStart; t <= tgEnd; t++) {
    let size: number;
    if (t === tgEnd) {
      size = payload.length - at;
    } else {
      size = 0;
      for (let b = 0; b < tileSizeBytes; b++) size |= payload[at + b] << (8 * b);
      size += 1;
      at += tileSizeBytes;
    }
    if (size <= 0 || at + size > payload.length) {
      throw new RangeError(`tile ${t} runs past its OBU`);
    }
    out.push({ offset: at, size, row: Math.floor(t / cols), col: t % cols });
    at += size;
  }
  return out;
}
