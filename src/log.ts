/**
 * Logging for a daemon under systemd: one plain line per record on stderr. Under journald
 * (JOURNAL_STREAM set) each line starts with a syslog priority prefix ("<6>"), which journald
 * turns into the record's priority; on a terminal, with a level word instead.
 */
import { configureSync, type LogLevel, type LogRecord } from "@logtape/logtape";

const SYSLOG: Record<LogLevel, number> = {
  trace: 7,
  debug: 7,
  info: 6,
  warning: 4,
  error: 3,
  fatal: 2,
};
const WORD: Record<LogLevel, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO",
  warning: "WARN",
  error: "ERROR",
  fatal: "FATAL",
};

function render(record: LogRecord): string {
  return record.message.map((part) => typeof part === "string" ? part : String(part)).join("");
}

export function setupLogging(level: LogLevel): void {
  const journald = Deno.env.get("JOURNAL_STREAM") !== undefined;
  const encoder = new TextEncoder();
  configureSync({
    reset: true,
    sinks: {
      stderr: (record: LogRecord) => {
        const prefix = journald ? `<${SYSLOG[record.level]}>` : `${WORD[record.level]} `;
        const line = `${prefix}${record.category.slice(1).join(".") || "daedalusd"}: ${
          render(record)
        }\n`;
        Deno.stderr.writeSync(encoder.encode(line));
      },
    },
    loggers: [
      { category: ["daedalusd"], lowestLevel: level, sinks: ["stderr"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["stderr"] },
    ],
  });
}
