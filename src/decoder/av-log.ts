/**
 * libav's own log: left to libav's default C callback (stderr, which the journal keeps), only
 * its level is chosen here.
 *
 * A JS log callback (av_log_set_callback) would be process-wide: with a decoder in every context
 * worker, libav on one worker's thread would call into the isolate that installed it, which
 * queues the call on that isolate's loop and blocks the decoding thread meanwhile. Damage is
 * read from each picture's decode_error_flags instead of from log messages (AvDecoder).
 */
import type { Libav } from "../../ffi/libav.ts";

/** The most verbose libav log level printed (libav() starts at AV_LOG_QUIET). */
export function setAvLogLevel(av: Libav, level: number): void {
  av.avutil.av_log_set_level(level);
}
