/**
 * AV1 for one V4L2 context: each request's controls and tiles rebuilt into OBUs
 * (header-writer.ts), decoded by dav1d (dav1d.ts), the picture written into its CAPTURE buffer,
 * with film grain applied when the request's FILM_GRAIN control says so.
 */
import { EINVAL, EIO } from "../../ffi/libc.ts";
import type { Libav } from "../../ffi/libav.ts";
import type { ContextDecoder } from "../decoder/context-decoder.ts";
import { requireCtrl } from "../decoder/frame-decoder.ts";
import {
  type CaptureMemory,
  type DecodeJob,
  failedJob,
  JobError,
  type JobResult,
} from "../decoder/job.ts";
import {
  captureLayout,
  checkPictureFits,
  type Chroma,
  CHROMA_FORMATS,
  type CodecPictures,
  type PictureFormat,
  PictureWriter,
} from "../decoder/picture-writer.ts";
import { concatBytes, sameBytes } from "../decoder/bytes.ts";
import { Dav1dDecoder } from "./dav1d.ts";
import {
  Av1HeaderWriter,
  rebuildSequence,
  type RebuiltSequence,
  type SlotPlan,
  tileGroupObu,
} from "./header-writer.ts";
import {
  type Av1FilmGrainCtrl,
  type Av1FrameCtrl,
  FG_FLAG,
  frameReferences,
  readFilmGrain,
  readFrame,
  readSequence,
  readTileGroupEntries,
  SEQ_FLAG,
  V4L2_CID_STATELESS_AV1_FILM_GRAIN,
  V4L2_CID_STATELESS_AV1_FRAME,
  V4L2_CID_STATELESS_AV1_SEQUENCE,
  V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY,
} from "./v4l2-av1.ts";

/** The chroma format of a sequence header's frames, from its SEQUENCE control's flags. */
function sequenceChroma(flags: number): Chroma {
  if (flags & SEQ_FLAG.MONO_CHROME) return "4:0:0";
  const x = (flags & SEQ_FLAG.SUBSAMPLING_X) !== 0;
  const y = (flags & SEQ_FLAG.SUBSAMPLING_Y) !== 0;
  return x && y ? "4:2:0" : x ? "4:2:2" : "4:4:4";
}

/** A context's AV1 decoder: OBUs rebuilt from each request, decoded by dav1d. */
export class Av1Decoder implements ContextDecoder {
  readonly #dav1d: Dav1dDecoder;
  readonly #headers = new Av1HeaderWriter();
  readonly #writer: PictureWriter;
  /**
   * The SEQUENCE control persists across requests (GStreamer sends it when it changes); the
   * sequence header is rebuilt only when its bytes change.
   */
  #sequenceCtrl: Uint8Array | undefined;
  #seq: RebuiltSequence | undefined;
  /** dav1d has our sequence header (false after a flush). */
  #seqSent = false;
  /** A frame decoded but not stored yet (SlotPlan.deferred): stored at the next request. */
  #deferred: {
    frame: Av1FrameCtrl;
    plan: SlotPlan;
    grain?: Av1FilmGrainCtrl;
    tiles: Uint8Array;
    timestamp: bigint;
  } | undefined;

  /** The pictures the sequence header says its frames are. */
  #seqPictures: PictureFormat | undefined;

  /**
   * `pictures`: the bit depths and chroma formats it may write (others fail their job);
   * `threads`: dav1d's threads inside one frame (tiles, rows, post-filters).
   */
  constructor(av: Libav, private readonly pictures: CodecPictures, threads = 1) {
    this.#dav1d = new Dav1dDecoder(threads);
    this.#writer = new PictureWriter(av, pictures);
  }

  /** Decodes the job's request into `mem`; a failure is returned, never thrown. */
  decode(job: DecodeJob, mem: CaptureMemory | null): JobResult {
    try {
      return this.#decode(job, mem);
    } catch (e) {
      // dav1d may refuse every later unit after an error: start again from the next key frame
      this.#dav1d.flush();
      this.#headers.reset();
      this.#seqSent = false;
      this.#deferred = undefined;
      return { ...failedJob(e), reset: true };
    }
  }

  #decode(job: DecodeJob, mem: CaptureMemory | null): JobResult {
    const seqCtrl = job.ctrls.get(V4L2_CID_STATELESS_AV1_SEQUENCE);
    if (seqCtrl && !sameBytes(this.#sequenceCtrl, seqCtrl)) {
      const ctrl = readSequence(seqCtrl);
      const seq = rebuildSequence(ctrl);
      // another sequence header: dav1d drops every reference, and so do our slots
      if (this.#seq && !sameBytes(seq.obu, this.#seq.obu)) {
        this.#headers.reset();
        this.#deferred = undefined;
      }
      if (!this.#seq || !sameBytes(seq.obu, this.#seq.obu)) this.#seqSent = false;
      this.#sequenceCtrl = seqCtrl.slice();
      this.#seq = seq;
      this.#seqPictures = { bitDepth: ctrl.bitDepth, chroma: sequenceChroma(ctrl.flags) };
    }
    const seq = this.#seq;
    if (!seq || !this.#seqPictures) throw new JobError(EINVAL, "no AV1_SEQUENCE control yet");
    // refused before dav1d sees a frame: every frame of such a sequence fails alike
    const { bitDepth, chroma } = this.#seqPictures;
    const capture = captureLayout(job.format);
    checkPictureFits(
      this.#seqPictures,
      this.pictures,
      job.format,
      () => `sequence ${bitDepth}-bit ${chroma}`,
      capture,
    );
    const frame = readFrame(requireCtrl(job, V4L2_CID_STATELESS_AV1_FRAME, "AV1_FRAME"));
    const entries = readTileGroupEntries(
      requireCtrl(job, V4L2_CID_STATELESS_AV1_TILE_GROUP_ENTRY, "AV1_TILE_GROUP_ENTRY"),
    );
    const grainCtrl = job.ctrls.get(V4L2_CID_STATELESS_AV1_FILM_GRAIN);
    const grain = grainCtrl ? readFilmGrain(grainCtrl) : undefined;
    if (job.hold) throw new JobError(EINVAL, "a frame cannot be split over requests");
    if (!mem) throw new JobError(EINVAL, "no CAPTURE memory for the picture");

    // the deferred frame first: this frame may predict from it
    if (this.#deferred) this.#storeDeferred(seq, frame);
    const parts: Uint8Array[] = [];
    if (!this.#seqSent) {
      this.#seqSent = true;
      parts.push(seq.obu);
    }
    const plan = this.#headers.plan(seq, frame, grain, job.format);
    const tiles = tileGroupObu(job.bitstream, entries, frame);
    parts.push(this.#headers.frameHeader(seq, frame, plan, grain), tiles);
    const pictures = this.#dav1d.decode(concatBytes(parts), job.timestamp);
    try {
      if (pictures.length !== 1) {
        throw new JobError(EIO, `dav1d returned ${pictures.length} pictures for one frame`);
      }
      let pic = pictures[0];
      const applyGrain = grain !== undefined && (grain.flags & FG_FLAG.APPLY_GRAIN) !== 0;
      if (applyGrain) {
        const grained = this.#dav1d.applyGrain(pic);
        pictures.push(grained);
        pic = grained;
      }
      const bytesused = this.#writer.writePlanes(
        {
          width: pic.width,
          height: pic.height,
          bitDepth: pic.bitDepth,
          chroma: CHROMA_FORMATS[pic.layout], // Dav1dPixelLayout
        },
        [pic.plane(0), pic.plane(1), pic.plane(2)],
        [pic.stride(0), pic.stride(1), pic.stride(1)],
        job.format,
        mem,
        capture,
      );
      this.#headers.commit(frame, plan, job.timestamp);
      if (plan.deferred) {
        this.#deferred = { frame, plan, grain, tiles, timestamp: job.timestamp };
      }
      return {
        status: 0,
        held: false,
        bytesused,
        refs: frameReferences(frame),
        message: `OK ${pic.width}x${pic.height} type ${frame.frameType}` +
          (frame.flags & 1 ? "" : " hidden") + (applyGrain ? " grain" : ""),
      };
    } finally {
      for (const p of pictures) p.unref();
    }
  }

  /**
   * Decodes the deferred frame again, into the slot `next`'s references show it needs (none
   * when the client did not keep it); its picture is already in its CAPTURE buffer. dav1d has
   * the sequence header (a flush or another sequence drops the deferred frame).
   */
  #storeDeferred(seq: RebuiltSequence, next: Av1FrameCtrl): void {
    const d = this.#deferred!;
    this.#deferred = undefined;
    const slot = this.#headers.placeDeferred(d.timestamp, next);
    if (slot === undefined) return;
    const plan: SlotPlan = { refFrameIdx: d.plan.refFrameIdx, refresh: 1 << slot };
    const header = this.#headers.frameHeader(seq, d.frame, plan, d.grain);
    const pictures = this.#dav1d.decode(concatBytes([header, d.tiles]), d.timestamp);
    for (const p of pictures) p.unref();
    if (pictures.length !== 1) {
      throw new JobError(EIO, `dav1d returned ${pictures.length} pictures storing a frame`);
    }
    this.#headers.commit(d.frame, plan, d.timestamp);
  }

  /** Frees the dav1d decoder and the picture writer. */
  close(): void {
    this.#dav1d.close();
    this.#writer.close();
  }
}
