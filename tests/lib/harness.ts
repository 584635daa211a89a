/**
 * The VM test harness: prepares kernels (tests/vm/prepare.sh), builds the module for them
 * (build-kmod.sh), boots a kernel under qemu and runs one guest script (vmrun.sh), then judges
 * the guest's dmesg and taint. Every VM is bounded by a timeout; a boot that never reaches the
 * guest (no VMT-START, no VMT-FAIL) is retried once, a failing test never. A failure of the
 * guest's own infrastructure (VMT-FAIL: a mount, a module, a tool) is reported by name.
 */
import { fileURLToPath } from "node:url";

export type Kernel = "6.1" | "6.12";
export const KERNELS: readonly Kernel[] = ["6.1", "6.12"];

const HERE = fileURLToPath(new URL("../vm/", import.meta.url));
export const REPO = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
export const CACHE = Deno.env.get("DAEDALUS_VM_CACHE") ?? "/var/cache/daedalus-v4l2-vm";

/** dmesg lines that fail any VM test. */
const DMESG_PROBLEMS =
  /WARNING:|BUG:|Oops|general protection|list_add corruption|list_del corruption|blocked for more than|Kernel panic|UBSAN|KASAN|refcount_t:/;
/** Taint flags a test may leave: O (out-of-tree module, 1<<12) and E (unsigned module, 1<<13). */
const ALLOWED_TAINT = (1 << 12) | (1 << 13);

/** Runs a command to completion; its exit status, stdout and stderr, without throwing. */
export async function sh(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
) {
  const out = await new Deno.Command(cmd, { args, ...opts, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Runs a command to completion; returns its stdout, or throws with its output if it fails. */
export async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await sh(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

const once = new Map<string, Promise<string>>();
function memo(key: string, f: () => Promise<string>): Promise<string> {
  let p = once.get(key);
  if (!p) {
    p = f();
    once.set(key, p);
  }
  return p;
}

/** Runs prepare.sh for a target (6.1, 6.12, arm64, tools, libav-headers) once per test process. */
export function prepare(target: Kernel | "arm64" | "tools" | "libav-headers"): Promise<string> {
  return memo(`prepare:${target}`, async () => {
    await run("bash", [`${HERE}prepare.sh`, target]);
    return target;
  });
}

/** Builds the module for a kernel (warning-free or it throws); returns the build directory. */
export function buildKmod(kernel: Kernel | "arm64"): Promise<string> {
  return memo(`kmod:${kernel}`, async () => {
    await prepare(kernel === "arm64" ? "arm64" : kernel);
    return (await run("bash", [`${HERE}build-kmod.sh`, kernel])).trim();
  });
}

/** The 6.12 kernel's V4L2 uAPI headers for user space (uapi-headers.sh): the directory for -I. */
export function uapiHeaders(): Promise<string> {
  return memo("uapi-6.12", async () => {
    await prepare("6.12");
    return (await run("bash", [`${HERE}uapi-headers.sh`])).trim();
  });
}

/**
 * tests/kmod/<name>.c with its parts <name>-*.c (test backend, test client and its codecs),
 * compiled once per test process, against the 6.12 uAPI headers (bookworm's are 6.1's: no AV1);
 * the programs run on 6.1 too, where the module offers no AV1.
 */
export function testProgram(name: string): Promise<string> {
  return memo(`cc:${name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `daedalus-${name}-` });
    const sources = [...Deno.readDirSync(`${REPO}/tests/kmod`)].map((e) => e.name)
      .filter((f) => f === `${name}.c` || f.startsWith(`${name}-`) && f.endsWith(".c")).sort()
      .map((f) => `${REPO}/tests/kmod/${f}`);
    await run("cc", [
      ...["-O2", "-Wall", "-Wextra", "-Werror", `-I${REPO}/kmod/uapi`, `-I${await uapiHeaders()}`],
      ...["-o", `${dir}/${name}`, ...sources],
    ]);
    return `${dir}/${name}`;
  });
}

export interface GuestOptions {
  /** Arguments for the guest script. */
  args?: string[];
  /** Extra environment for the guest script. */
  env?: Record<string, string>;
  /** Seconds before the VM is killed (default 300). */
  timeoutS?: number;
  /** Files to place in the run directory before boot (name -> host path), e.g. test binaries. */
  files?: Record<string, string>;
  /** The guest's CPUs (default 2). */
  cpus?: number;
  /** Host paths the guest must not see: it boots from a view of the host root without them. */
  hideHostPaths?: string[];
  /** Extra environment for vmrun.sh (VM_MODS, ...). */
  vmEnv?: Record<string, string>;
}

export interface GuestResult {
  /** The guest script's exit status (vmrun.sh's: 123 infrastructure, 124 timeout, 125 no report). */
  status: number;
  /** What the guest script printed. */
  log: string;
  /** The run's directory on the host: the script's DAEDALUS_RESULTS. */
  runDir: string;
  dmesg: string;
  /** dmesg lines and taint flags that fail a test. */
  problems: string[];
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Run directories kept for reading after a test; older ones go (decoded clips fill disks). */
const KEEP_RUNS = 40;
/** The seeds of the daemon's compiled code kept (guest/lib.sh start_daemon), about 4 MB each. */
const KEEP_CODE_CACHES = 10;

let pruned: Promise<void> | undefined;
/** Once per test process, before its first boot. */
function pruneRuns(): Promise<void> {
  pruned ??= pruneOldRuns();
  return pruned;
}

async function pruneOldRuns(): Promise<void> {
  await pruneDir(`${CACHE}/runs`, KEEP_RUNS, true);
  // the guests' seeds of the daemon's compiled code, one file per bundle (guest/lib.sh start_daemon)
  await pruneDir(`${CACHE}/deno-code-cache`, KEEP_CODE_CACHES, false);
}

/** Removes the entries of `dir` (directories or files) past its `keep` newest, if over a day old. */
async function pruneDir(dir: string, keep: number, directories: boolean): Promise<void> {
  const entries: { path: string; mtime: number }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory !== directories) continue;
      const path = `${dir}/${e.name}`;
      const st = await Deno.stat(path).catch(() => null);
      if (st?.mtime) entries.push({ path, mtime: st.mtime.getTime() });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  // A day's grace: another test process (another clone) may still be using a recent one.
  const old = Date.now() - 24 * 3600 * 1000;
  entries.sort((a, b) => b.mtime - a.mtime);
  for (const r of entries.slice(keep).filter((r) => r.mtime < old)) {
    await Deno.remove(r.path, { recursive: true }).catch(() => {});
  }
}

async function bootOnce(
  kernel: Kernel,
  script: string,
  opts: GuestOptions,
  kmodDir: string,
): Promise<{ vm: number; runDir: string; stderr: string }> {
  await Deno.mkdir(`${CACHE}/runs`, { recursive: true });
  await pruneRuns();
  const runDir = await Deno.makeTempDir({ dir: `${CACHE}/runs`, prefix: `${kernel}-` });
  // The guest loads its own copy, taken under the build lock: another test process may rebuild
  // the module meanwhile.
  await run("flock", [`${kmodDir}.lock`, "cp", `${kmodDir}/daedalus_v4l2.ko`, runDir]);
  for (const [name, src] of Object.entries(opts.files ?? {})) {
    await Deno.copyFile(src, `${runDir}/${name}`);
    await Deno.chmod(`${runDir}/${name}`, 0o755);
  }
  const env: Record<string, string> = {
    DAEDALUS_KERNEL: kernel,
    DAEDALUS_KMOD_DIR: runDir,
    DAEDALUS_MEDIA_DIR: `${CACHE}/build/media-${kernel}`,
    DAEDALUS_RESULTS: runDir,
    DAEDALUS_REPO: REPO,
    DAEDALUS_CACHE: CACHE,
    V4L2_COMPLIANCE: `${HERE}v4l2-compliance.sh`,
    GST_REGISTRY: `${CACHE}/gst-registry-${kernel}.bin`,
    ...opts.env,
  };
  const exports = Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`).join("\n");
  const argv = [script, ...(opts.args ?? [])].map(shellQuote).join(" ");
  await Deno.writeTextFile(
    `${runDir}/run.sh`,
    `#!/bin/sh\n${exports}\n${argv}\necho $? > ${shellQuote(runDir)}/rc\n`,
  );
  await Deno.chmod(`${runDir}/run.sh`, 0o755);
  const vmrun = [`${HERE}vmrun.sh`, kernel, runDir];
  const hidden = opts.hideHostPaths ?? [];
  const r = await sh(
    "bash",
    hidden.length ? [`${HERE}hide-host-paths.sh`, ...hidden, "--", "bash", ...vmrun] : vmrun,
    {
      env: {
        VM_TIMEOUT: String(opts.timeoutS ?? 300),
        VM_SMP: String(opts.cpus ?? 2),
        ...opts.vmEnv,
      },
    },
  );
  return { vm: r.code, runDir, stderr: r.stderr };
}

async function readOr(path: string, fallback: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return fallback;
  }
}

/** Boots `kernel` and runs `script` (a path on the host, visible in the guest) as its only job. */
export async function runGuest(
  kernel: Kernel,
  script: string,
  opts: GuestOptions = {},
): Promise<GuestResult> {
  const [kmodDir] = await Promise.all([buildKmod(kernel), prepare("tools")]);
  if (counting) counting.boots++;
  let boot = await bootOnce(kernel, script, opts, kmodDir);
  let consoleLog = await readOr(`${boot.runDir}/console.log`, "");
  if (!consoleLog.includes("VMT-START") && boot.vm !== 123) {
    // About 1 boot in 100 hangs or dies before the guest starts under TCG: retry those once. A
    // guest that started and then failed, hung or panicked is a test failure, never retried.
    if (counting) counting.retries++;
    boot = await bootOnce(kernel, script, opts, kmodDir);
    consoleLog = await readOr(`${boot.runDir}/console.log`, "");
  }
  const dmesg = await readOr(`${boot.runDir}/dmesg.txt`, "");
  const tainted = Number((await readOr(`${boot.runDir}/tainted`, "0")).trim());
  // An oops panics the guest before it can save dmesg: its console has the report then.
  const problems = (dmesg || consoleLog).split("\n").filter((l) => DMESG_PROBLEMS.test(l));
  if (tainted & ~ALLOWED_TAINT) {
    problems.push(`kernel taint ${tainted} beyond out-of-tree/unsigned`);
  }
  if (boot.vm === 123) problems.push(boot.stderr.trim());
  else if (boot.vm === 124) problems.push(`the VM timed out after ${opts.timeoutS ?? 300} s`);
  else if (!consoleLog.includes("VMT-END")) {
    problems.push("the guest died before reporting (panic?)");
  }
  if (!dmesg && boot.vm !== 123) {
    problems.push("the guest saved no dmesg; console tail:");
    problems.push(...consoleLog.split("\n").slice(-40));
  }
  return {
    status: boot.vm,
    log: await readOr(`${boot.runDir}/guest.log`, ""),
    runDir: boot.runDir,
    dmesg,
    problems,
  };
}

/** Throws unless the guest script passed and the kernel stayed clean. */
export function assertGuestOk(r: GuestResult): void {
  if (r.status === 0 && r.problems.length === 0) return;
  throw new Error(
    `guest status ${r.status}, ${r.problems.length} kernel problem(s) (run dir ${r.runDir})\n` +
      `--- kernel problems\n${r.problems.join("\n")}\n--- guest log (tail)\n` +
      r.log.split("\n").slice(-60).join("\n"),
  );
}

/** Deno.test options for VM tests: the harness's subprocesses outlive single assertions. */
export const VM_TEST = { sanitizeOps: false, sanitizeResources: false } as const;

/**
 * The suite's tiers: `default` is what `./run test` (and CI) runs; `full` adds the whole matrices
 * (`./run test --full`, which sets DAEDALUS_FULL=1).
 */
export type Tier = "default" | "full";

/** True when the full tier runs (`./run test --full` or DAEDALUS_FULL=1). */
export const FULL = Deno.env.get("DAEDALUS_FULL") === "1";

/** What a VM test says of itself before it runs: its guest boots are part of its declaration. */
export interface VmTestSpec {
  /** The test's name, as deno test prints it. */
  name: string;
  /** The kernel it boots (a test that boots both is two tests). */
  kernel: Kernel;
  /** Guest boots a passing run takes (the harness's one retry of a boot that never started aside). */
  boots: number;
  /** The tier that runs it (default: the default tier). */
  tier?: Tier;
  /**
   * Why it is not run, when an environment flag of its own gates it (the booted systems, the soak):
   * such a test counts in no tier's boots.
   */
  gatedBy?: string;
}

/** One line of the time table a VM test appends to $DAEDALUS_TIMES (tests/suite.ts prints it). */
export interface VmTestTime {
  name: string;
  /** The test file that declared it, from the repository's root (deno test names the harness). */
  file?: string;
  kernel: Kernel;
  declaredBoots: number;
  boots: number;
  retries: number;
  seconds: number;
}

/** Every VM test declared in this process, in declaration order (tests/vm/list-tests.ts reads it). */
export const DECLARED: VmTestSpec[] = [];

/** Boots of the running VM test: runGuest counts into it. */
let counting: { boots: number; retries: number } | undefined;

/** The `*.test.ts` file that called vmTest(), from the repository's root (its call stack). */
function declaringFile(): string | undefined {
  const url = new Error().stack?.match(/file:\/\/[^\s)]*?\.test\.ts/)?.[0];
  return url ? fileURLToPath(url).slice(REPO.length + 1) : undefined;
}

/**
 * Declares a VM test: registers it with deno test in its tier (ignored outside it), counts the
 * guest boots it takes (more than declared fails it), and appends its time to $DAEDALUS_TIMES.
 */
export function vmTest(
  spec: VmTestSpec & { fn?: () => Promise<void> },
  fn: () => Promise<void> = spec.fn!,
): void {
  DECLARED.push(spec);
  const tier = spec.tier ?? "default";
  const file = declaringFile();
  Deno.test({
    name: spec.name,
    ...VM_TEST,
    ignore: (tier === "full" && !FULL) || (spec.gatedBy !== undefined &&
      Deno.env.get(spec.gatedBy) !== "1"),
    fn: async () => {
      const count = counting = { boots: 0, retries: 0 };
      const start = performance.now();
      try {
        await fn();
      } finally {
        counting = undefined;
        const times = Deno.env.get("DAEDALUS_TIMES");
        const row: VmTestTime = {
          name: spec.name,
          file,
          kernel: spec.kernel,
          declaredBoots: spec.boots,
          boots: count.boots,
          retries: count.retries,
          seconds: (performance.now() - start) / 1000,
        };
        if (times) await Deno.writeTextFile(times, JSON.stringify(row) + "\n", { append: true });
      }
      if (count.boots > spec.boots) {
        throw new Error(`${count.boots} guest boots, ${spec.boots} declared: declare them`);
      }
    },
  });
}
