/** What fails a stream session. */

/** A stream session's failure: the errno the stream ends with, and why (its `cause` kept). */
export class StreamError extends Error {
  /** Always "StreamError". */
  override name = "StreamError";
  /** `errno`: positive; the stream fails with -errno. */
  constructor(readonly errno: number, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
