/**
 * A stream's byte offset → OUTPUT timestamp table: each buffer the client queued covers a run of
 * the stream's bytes, and a frame takes the timestamp of the buffer holding its first byte (the
 * parser's frame_offset), and its flags. Unlike the parser's own 4-entry window (AV_PARSER_PTS_NB), a frame
 * spread over any number of buffers, or many frames in one buffer, get the right one.
 */

/** One queued buffer: where its bytes start in the stream, its timestamp and its flags. */
export interface Entry {
  offset: number;
  timestamp: bigint;
  /** The V4L2_BUF_FLAG_* bits its pictures take (the kernel passes them as the client set them). */
  flags: number;
}

/** The offsets and timestamps of the buffers of one stream, from offset 0. */
export class OffsetTimestamps {
  #entries: Entry[] = [];
  #first = 0;
  #end = 0;

  /** The stream's length so far: where the next buffer's bytes start. */
  get end(): number {
    return this.#end;
  }

  /**
   * Records a buffer of `length` bytes (the next in the stream) queued with `timestamp` and
   * `flags`.
   */
  add(length: number, timestamp: bigint, flags = 0): void {
    if (length <= 0) return;
    this.#entries.push({ offset: this.#end, timestamp, flags });
    this.#end += length;
  }

  /**
   * The buffer holding stream byte `offset`, or undefined when no buffer did. Frames come in
   * stream order: the buffers before that one are forgotten.
   */
  at(offset: number): Entry | undefined {
    const e = this.#entries;
    let i = this.#first;
    if (i >= e.length || offset < e[i].offset || offset >= this.#end) return undefined;
    while (i + 1 < e.length && e[i + 1].offset <= offset) i++;
    this.#first = i;
    if (i > 64 && i * 2 > e.length) {
      this.#entries = e.slice(i);
      this.#first = 0;
    }
    return e[i];
  }

  /** Forgets every buffer: the next one starts the stream at offset 0 again. */
  clear(): void {
    this.#entries = [];
    this.#first = 0;
    this.#end = 0;
  }
}
