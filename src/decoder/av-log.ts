/**
 * libav's log, routed into the daemon's log and used as an error signal. The H.264 decoder
 * conceals much damage without an error code (even with err_detect=explode a slice that ends
 * early is not an error), but it logs it: at AV_LOG_ERROR, or as error resilience's
 * "concealing …" note at AV_LOG_INFO. While a packet is decoded, those messages are collected so
 * the job can fail with them.
 *
 * Decoding runs with threads=1, so the callback is only ever called on the JS thread, inside
 * avcodec_send_packet/receive_frame. A va_list can be read once: each message is formatted once
 * (av_log_format_line), then collected and/or logged.
 */
import { getLogger } from "@logtape/logtape";
import type { Libav } from "../../ffi/libav.ts";
import { AV_LOG_ERROR } from "../../ffi/libavutil.ts";

const LOG_CALLBACK = {
  parameters: ["pointer", "i32", "pointer", "pointer"],
  result: "void",
} as const satisfies Deno.UnsafeCallbackDefinition;

const AV_LOG_WARNING = 24;
const log = getLogger(["daedalusd", "libav"]);

let callback: Deno.UnsafeCallback<typeof LOG_CALLBACK> | undefined;
let forwardLevel = -8; // AV_LOG_QUIET
let collecting: string[] | undefined;

/** The most verbose libav log level passed on to the daemon's log (AV_LOG_QUIET by default). */
export function setAvLogLevel(level: number): void {
  forwardLevel = level;
}

/** Installs the callback (once per process). */
export function installAvLog(av: Libav): void {
  if (callback) return;
  const line = new Uint8Array(1024);
  const prefix = new Int32Array(1);
  callback = new Deno.UnsafeCallback(LOG_CALLBACK, (avcl, level, fmt, vl) => {
    try {
      if (fmt === null) return;
      const collect = collecting !== undefined &&
        (level <= AV_LOG_ERROR || Deno.UnsafePointerView.getCString(fmt).startsWith("concealing"));
      if (!collect && level > forwardLevel) return;
      prefix[0] = 1;
      av.avutil.av_log_format_line(avcl, level, fmt, vl, line, line.length, prefix);
      const nul = line.indexOf(0);
      const text = new TextDecoder().decode(line.subarray(0, nul < 0 ? line.length : nul)).trim();
      if (collect) collecting!.push(text.replace(/^\[[^\]]*\]\s*/, ""));
      if (level <= forwardLevel) {
        if (level <= AV_LOG_ERROR) log.error(text);
        else if (level <= AV_LOG_WARNING) log.warn(text);
        else log.debug(text);
      }
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
