/**
 * libavcodec's log as an error signal. The H.264 decoder conceals much damage without an error
 * code (even with err_detect=explode a slice that ends early is not an error), but it logs it:
 * at AV_LOG_ERROR, or as error resilience's "concealing …" note. A log callback notes those messages while a packet is being
 * decoded, so the job can fail; it also forwards messages up to the chosen level to stderr.
 *
 * Decoding runs with threads=1, so the callback is only ever called on the JS thread, inside
 * avcodec_send_packet.
 */
import type { Libav } from "../../ffi/libav.ts";
import { AV_LOG_ERROR } from "../../ffi/libavutil.ts";

const LOG_CALLBACK = {
  parameters: ["pointer", "i32", "pointer", "pointer"],
  result: "void",
} as const satisfies Deno.UnsafeCallbackDefinition;

let callback: Deno.UnsafeCallback<typeof LOG_CALLBACK> | undefined;
let forwardLevel = -8; // AV_LOG_QUIET
let collecting: string[] | undefined;

/** The most verbose libav log level forwarded to stderr (AV_LOG_QUIET by default). */
export function setAvLogLevel(level: number): void {
  forwardLevel = level;
}

/** Installs the callback (once per process). */
export function installAvLog(av: Libav): void {
  if (callback) return;
  callback = new Deno.UnsafeCallback(LOG_CALLBACK, (avcl, lvl, fmt, vl) => {
    try {
      if (collecting && fmt !== null) {
        const text = Deno.UnsafePointerView.getCString(fmt).trim();
        // Error resilience reports the damage it hid at AV_LOG_INFO ("concealing %d DC...").
        if (lvl <= AV_LOG_ERROR || text.startsWith("concealing ")) collecting.push(text);
      }
      if (lvl <= forwardLevel) av.avutil.av_log_default_callback(avcl, lvl, fmt, vl);
    } catch {
      // never throw into C
    }
  });
  av.avutil.av_log_set_callback(callback.pointer);
}

/** Runs `fn`, returning the error-level messages libav logged meanwhile. */
export function collectAvErrors<T>(fn: () => T): { value: T; errors: string[] } {
  const outer = collecting;
  collecting = [];
  try {
    const value = fn();
    return { value, errors: collecting };
  } finally {
    collecting = outer;
  }
}
