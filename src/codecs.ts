/**
 * The codecs the daemon decodes, one entry each: the daemon's mirror of the kernel's
 * daedalus_codecs[] (kmod/daedalus-core.c) and, for the stateful device, its stream codecs
 * (docs/stateful.md). An entry has a stateless part (jobs from the stateless device), a stream
 * part (sessions of the stateful device), or both. Each codec lives in its own folder (src/h264/,
 * src/hevc/, src/vp8/, src/vp9/, src/av1/, src/mpeg1/, src/mpeg2/, src/mpeg4/, src/h263/) and
 * exports its entry; nothing outside that folder and this table names a codec.
 */
import type { Libav } from "../ffi/libav.ts";
import type { ContextDecoder } from "./decoder/context-decoder.ts";
import type { FileFrames, FileInput } from "./decoder/file-client.ts";
import type { CodecPictures } from "./decoder/picture-writer.ts";
import { containerCodecIds, unreadContainer } from "./decoder/container.ts";
import { AV1 } from "./av1/codec.ts";
import { H263 } from "./h263/codec.ts";
import { H264 } from "./h264/codec.ts";
import { HEVC } from "./hevc/codec.ts";
import { MPEG1 } from "./mpeg1/codec.ts";
import { MPEG2 } from "./mpeg2/codec.ts";
import { MPEG4 } from "./mpeg4/codec.ts";
import { VP8 } from "./vp8/codec.ts";
import { VP9 } from "./vp9/codec.ts";
import { CODEC, codecBit, codecName, type WireCodecName } from "./service/protocol.ts";

/** How a context's decoder may run. */
export interface DecoderOptions {
  /**
   * Threads the decoder may use inside one picture (tiles, rows, post-filters): never across
   * pictures, so each job's picture is done when its decode call returns. 1 by default. dav1d
   * (AV1) threads tiles and post-filters; libavcodec threads slices (H.264 slices, VP9 tile
   * columns; not VP8's partitions, see src/vp8/codec.ts), never frames.
   */
  threads?: number;
}

/** A tiny stream of a known value: what a stream session of its codec must decode it to. */
export interface KnownStream {
  /** The buffers a client would queue. */
  buffers: Uint8Array[];
  /** Its one picture's size. */
  width: number;
  /** Its height. */
  height: number;
  /** Bits per sample: 8 goes to NV12, 10 to P010. */
  bitDepth: 8 | 10;
  /** Every sample's bytes as the CAPTURE format stores them (one byte, or two for P010). */
  sample: readonly number[];
}

/**
 * A codec's side on the stateful device (docs/stateful.md): how a stream's bytes become the
 * decoder's packets, and the pictures its sessions write (src/stream/session.ts).
 */
export interface StreamCodec {
  /**
   * "bytestream": any chunking, split into frames by libavcodec's parser of the codec;
   * "frame": one frame per OUTPUT buffer.
   */
  readonly framing: "bytestream" | "frame";
  /** The bit depths and chroma formats its sessions write to CAPTURE. */
  readonly pictures: CodecPictures;
  /** Its self-test's streams (src/stream/self-test.ts), one session each. */
  knownStreams(): KnownStream[];
}

/** A codec's side on the stateless device: jobs, each a picture, from the request API. */
export interface StatelessCodec {
  /** The bit depths and chroma formats it decodes (the kernel's descriptor says the same). */
  readonly pictures: CodecPictures;
  /** A decoder for one V4L2 context. */
  createDecoder(av: Libav, opts?: DecoderOptions): ContextDecoder;
  /** Decodes a known picture with `decoder` at start-up; throws unless it comes back right. */
  selfTest(decoder: ContextDecoder): void;
  /** Its files (Codec.file) turned into jobs as a V4L2 client would (`daedalusd decode`). */
  readonly frames: FileFrames;
}

/** What one codec adds to the daemon. */
export interface Codec {
  /** Its name on the wire (protocol.ts's CODEC), in logs and on the command line. */
  readonly name: WireCodecName;
  /** The software decoder it uses: a libavcodec decoder, or dav1d directly (AV1). */
  readonly decoder: { library: "libavcodec"; name: string } | { library: "libdav1d" };
  /**
   * The most pictures its decoder keeps at once (references, the picture being decoded, output
   * delay): what a context is charged for against the daemon's decoder memory
   * (src/service/decoder-memory.ts; H.264's 18 when not given).
   */
  readonly decoderPictures?: number;
  /** The files `daedalusd decode` takes for it, and how it recognises them. */
  readonly file: FileInput;
  /** Its side on the stateless device, when it has one. */
  readonly stateless?: StatelessCodec;
  /** Its side on the stateful device, when it has one (its libavcodec decoder decodes it). */
  readonly stream?: StreamCodec;
}

/**
 * Every codec the daemon decodes. A raw stream is recognised by the first in this order whose
 * FileInput accepts it: the codecs that look at the stream's first unit come before H.264, which
 * looks for an SPS anywhere in its first 4 KiB (an MPEG-2 slice's start code 00 00 01 07 reads
 * as one).
 */
export const CODECS: readonly Codec[] = [HEVC, MPEG2, MPEG1, MPEG4, H263, H264, VP8, VP9, AV1];

/**
 * The codec of a stream file: the one its container names (IVF's fourcc, Matroska's CodecID, an
 * MP4 sample entry) when it is in one, else the one whose raw-stream client recognises its
 * contents. Throws, saying why, when that is no codec the daemon decodes or a container the
 * codec's file client does not read.
 */
export function codecForFile(data: Uint8Array): Codec {
  const found = containerCodecIds(data);
  if (!found) {
    const raw = CODECS.find((c) => c.file.container === "raw" && c.file.accepts(data));
    if (raw) return raw;
    const unread = unreadContainer(data);
    if (unread) {
      throw new Error(
        `${unread}: \`daedalusd decode\` reads ${
          CODECS.map((c) => c.file.input).join(", ")
        }; take the video out first (ffmpeg -i FILE -map 0:v:0 -c copy -f <format> OUT)`,
      );
    }
    throw new Error(
      `not a stream the daemon reads: expected ${CODECS.map((c) => c.file.input).join(", ")}`,
    );
  }
  const { container, codecIds } = found;
  const named = (id: string) => CODECS.find((c) => c.file.codecIds[container].includes(id));
  const id = codecIds.find(named);
  const codec = id === undefined ? undefined : named(id);
  if (!codec) {
    throw new Error(
      `${container} file of ${
        codecIds.join(", ") || "no codec id found"
      }: no codec the daemon decodes`,
    );
  }
  if (codec.file.container !== container) {
    throw new Error(
      `${container} file of ${codec.name} (${id}): \`daedalusd decode\` reads ` +
        `${codec.file.input}; remux it first (ffmpeg -i FILE -c copy ...)`,
    );
  }
  return codec;
}

/** `codec`'s stateless part; throws when it has none (a stream-only codec). */
export function statelessOf(codec: Codec): StatelessCodec {
  if (!codec.stateless) throw new Error(`${codec.name} has no stateless decoder`);
  return codec.stateless;
}

/** The entry for a wire codec id, if the daemon decodes it. */
export function codecByWireId(id: number): Codec | undefined {
  const name = codecName(id);
  return CODECS.find((c) => c.name === name);
}

/** The bit mask of `codecs`' wire ids. */
function codecMask(codecs: readonly Codec[]): number {
  return codecs.reduce((m, c) => m | codecBit(CODEC[c.name]), 0);
}

/** The codecs with a stateless part: the bit mask declared to the module in HELLO's `codecs`. */
export const DAEMON_CODECS: number = codecMask(CODECS.filter((c) => c.stateless));

/**
 * The codecs with a stream part: the bit mask declared in HELLO's `stream_codecs` (ABI 1.3,
 * docs/stateful.md), to a module that speaks it.
 */
export const DAEMON_STREAM_CODECS: number = codecMask(CODECS.filter((c) => c.stream));
