/** `daedalusd status`: what the module says about itself, from sysfs and /dev. */
import { readSmallFile, statPath } from "../../ffi/libc.ts";
import { DEFAULT_DEVICE } from "../service/control-device.ts";

export const SYSFS_DIR = "/sys/class/misc/daedalus-v4l2";
const ATTRS = [
  "abi_version",
  "codecs",
  "daemon_connected",
  "jobs_queued",
  "jobs_done",
  "jobs_failed",
  "jobs_timedout",
] as const;

export interface Status {
  modulePresent: boolean;
  device: { path: string; present: boolean; mode?: string };
  attrs: Partial<Record<(typeof ATTRS)[number], string>>;
}

// Through libc: Deno's own file APIs need --allow-all for /sys and /dev (ffi/libc.ts).
function exists(path: string): boolean {
  return statPath(path) !== undefined;
}

export function readStatus(device = DEFAULT_DEVICE, sysfs = SYSFS_DIR): Status {
  const attrs: Status["attrs"] = {};
  for (const a of ATTRS) {
    // an attribute absent: an older module, or none loaded
    const value = readSmallFile(`${sysfs}/${a}`)?.trim();
    if (value !== undefined) attrs[a] = value;
  }
  const st = statPath(device);
  const mode = st && (st.mode & 0o777).toString(8).padStart(4, "0");
  return {
    modulePresent: exists("/sys/module/daedalus_v4l2") || exists(sysfs),
    device: { path: device, present: mode !== undefined, mode },
    attrs,
  };
}

export function formatStatus(s: Status): string {
  const a = s.attrs;
  const lines = [
    `module:     ${s.modulePresent ? "loaded (daedalus_v4l2)" : "not loaded"}`,
    `device:     ${s.device.path} ${
      s.device.present ? `present (mode ${s.device.mode})` : "absent"
    }`,
  ];
  if (s.modulePresent) {
    lines.push(
      `ABI:        ${a.abi_version ?? "?"}`,
      `codecs:     ${a.codecs ?? "?"}`,
      `daemon:     ${a.daemon_connected === "1" ? "connected" : "not connected"}`,
      `jobs:       queued ${a.jobs_queued ?? "?"}, done ${a.jobs_done ?? "?"}, failed ${
        a.jobs_failed ?? "?"
      }, timed out ${a.jobs_timedout ?? "?"}`,
    );
  }
  return lines.join("\n");
}
