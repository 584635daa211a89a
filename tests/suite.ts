/**
 * `deno task test` (what `./run test` and CI run): the whole suite through `deno test`, in phases,
 * then a time table of every test (name, kernel, seconds, guest boots declared and taken), slowest
 * first, and the totals.
 *
 * The phases: the unit tier (tests/unit/) runs once, in a network namespace of its own and without
 * the VM cache (it needs neither: whatever downloads belongs under tests/vm/), its files in
 * parallel; beside it the other host-side files (formatting, lint, types, the package, the module's
 * builds), in parallel too; then the VM tests, one guest at a time (each is sized for the whole
 * machine: a client waits at most 1 s for a request under GStreamer).
 *
 * `--full` runs the full tier too (DAEDALUS_FULL=1: the whole client x mode x kernel matrices);
 * other arguments go to each deno test; paths replace the phases with one deno test of them.
 */
import type { VmTestTime } from "./lib/harness.ts";
import { concatBytes } from "../src/decoder/bytes.ts";

const args = [...Deno.args];
const full = args.includes("--full");
const rest = args.filter((a) => a !== "--full");
const hasPath = rest.some((a) => !a.startsWith("-") && exists(a));
const work = await Deno.makeTempDir({ prefix: "daedalus-suite-" });
const times = `${work}/vm-times.jsonl`;

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** One deno test run of the suite. */
interface Phase {
  /** What it runs, for the closing lines. */
  name: string;
  /** deno test's arguments after `test --allow-all --no-prompt`. */
  args: string[];
  /** A command and its arguments that run deno under them (env, unshare). */
  wrap?: string[];
  /** Prints its output when it ends rather than as it comes (it runs beside another phase). */
  buffered?: boolean;
}

/** What a phase left: its exit status, deno test's closing counts and its JUnit report. */
interface PhaseResult {
  phase: Phase;
  code: number;
  seconds: number;
  counts?: { passed: number; failed: number; ignored: number };
  junit: string;
}

const vmDir = new URL("./vm/", import.meta.url);
const vmFiles = [...Deno.readDirSync(vmDir)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".test.ts") && n !== "build.test.ts")
  .sort()
  .map((n) => `tests/vm/${n}`);
// A path that is not there, so that a unit test reaching for the VM cache fails.
const noVmCache = `${work}/no-vm-cache`;
const groups: Phase[][] = hasPath ? [[{ name: "the given paths", args: rest }]] : [
  [
    {
      name: "unit tier (no network, no VM cache)",
      wrap: ["env", `DAEDALUS_VM_CACHE=${noVmCache}`, "unshare", "--net"],
      args: ["--cached-only", "--parallel", ...rest, "tests/unit/"],
    },
    {
      name: "host checks (static, package, module builds)",
      args: [
        "--parallel",
        ...rest,
        "tests/static.test.ts",
        "tests/dist.test.ts",
        "tests/vm/build.test.ts",
      ],
      buffered: true,
    },
  ],
  [{ name: "VM tests (one guest at a time)", args: [...rest, ...vmFiles] }],
];

/** A terminal's colour codes, which deno test writes unless NO_COLOR is set. */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

let index = 0;
async function runPhase(phase: Phase): Promise<PhaseResult> {
  const junit = `${work}/junit-${index++}.xml`;
  const denoArgs = ["test", "--allow-all", "--no-prompt", `--junit-path=${junit}`, ...phase.args];
  const [cmd, ...pre] = [...(phase.wrap ?? []), Deno.execPath(), ...denoArgs];
  const start = performance.now();
  const child = new Deno.Command(cmd, {
    args: [...pre],
    env: {
      DAEDALUS_TIMES: times,
      DENO_JOBS: Deno.env.get("DENO_JOBS") ?? "2",
      ...(full ? { DAEDALUS_FULL: "1" } : {}),
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kept: Uint8Array[] = [];
  const pass = async (stream: ReadableStream<Uint8Array>, out: typeof Deno.stdout) => {
    for await (const chunk of stream) {
      if (out === Deno.stdout) kept.push(chunk);
      if (!phase.buffered || out !== Deno.stdout) await out.write(chunk);
    }
  };
  await Promise.all([pass(child.stdout, Deno.stdout), pass(child.stderr, Deno.stderr)]);
  const { code } = await child.status;
  const seconds = (performance.now() - start) / 1000;
  const text = new TextDecoder().decode(concatBytes(kept)).replace(ANSI, "");
  if (phase.buffered) await Deno.stdout.write(concatBytes(kept));
  // The output's closing line, "ok | 12 passed (3 steps) | 0 failed | 2 ignored (1m2s)", is
  // searched in what was kept, or else counted from the report.
  const m = text.match(/^(?:ok|FAILED) \| (\d+) passed.*?\| (\d+) failed(?: \| (\d+) ignored)?/m);
  const counts = m
    ? { passed: Number(m[1]), failed: Number(m[2]), ignored: Number(m[3] ?? 0) }
    : undefined;
  return { phase, code, seconds, counts, junit };
}

const start = performance.now();
const results: PhaseResult[] = [];
for (const group of groups) {
  if (group.length > 1) {
    console.log(
      `suite: ${group.map((p) => p.name).join(" and, beside it, ")} (that one's output at its end)`,
    );
  } else console.log(`suite: ${group[0].name}`);
  results.push(...await Promise.all(group.map(runPhase)));
}
const wall = (performance.now() - start) / 1000;

/** XML's five entities, as the JUnit report writes them. */
function unescapeXml(s: string): string {
  return s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) =>
      ({ lt: "<", gt: ">", quot: '"', apos: "'", amp: "&" } as Record<string, string>)[e],
  );
}

interface Row {
  name: string;
  file: string;
  result: string;
  seconds: number;
  vm?: VmTestTime;
}
const vm = new Map<string, VmTestTime>();
for (const l of (await readOr(times)).split("\n").filter(Boolean)) {
  const t = JSON.parse(l) as VmTestTime;
  vm.set(t.name, t);
}
const rows: Row[] = [];
// deno's report names the file that called Deno.test (a VM test's: the harness, so the harness's
// record names its own); top-level tests only: deno names a step "<test> > <step>".
const testsuite = /<testsuite name="([^"]*)"[^>]*>([\s\S]*?)<\/testsuite>/g;
const testcase = /<testcase name="([^"]*)"[^>]* time="([\d.]+)"[^>]*>([\s\S]*?)<\/testcase>/g;
for (const r of results) {
  for (const [, file, cases] of (await readOr(r.junit)).matchAll(testsuite)) {
    for (const [, n, time, body] of cases.matchAll(testcase)) {
      const name = unescapeXml(n);
      if (name.includes(" > ") || /<skipped/.test(body)) continue;
      rows.push({
        name,
        file: vm.get(name)?.file ?? unescapeXml(file).replace(/^\.\//, ""),
        result: /<(failure|error)/.test(body) ? "FAILED" : "ok",
        seconds: Number(time),
        vm: vm.get(name),
      });
    }
  }
}
await Deno.remove(work, { recursive: true });

async function readOr(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return "";
  }
}

rows.sort((a, b) => b.seconds - a.seconds);
const fmt = (s: number) => s >= 10 ? s.toFixed(0) : s.toFixed(1);
console.log(`\ntime table (${full ? "full" : "default"} tier), slowest first:`);
console.log("seconds  kernel  boots  result  test");
for (const r of rows) {
  const boots = r.vm ? `${r.vm.boots + r.vm.retries}/${r.vm.declaredBoots}` : "-";
  console.log(
    `${fmt(r.seconds).padStart(7)}  ${(r.vm?.kernel ?? "-").padEnd(6)}  ${boots.padStart(5)}  ` +
      `${r.result.padEnd(6)}  ${r.name} [${r.file}]`,
  );
}
const perFile = new Map<string, number>();
for (const r of rows) perFile.set(r.file, (perFile.get(r.file) ?? 0) + r.seconds);
console.log("\nseconds  test file (its tests' seconds summed)");
for (const [file, s] of [...perFile].sort((a, b) => b[1] - a[1])) {
  console.log(`${fmt(s).padStart(7)}  ${file}`);
}
console.log("\nseconds  phase (wall)");
for (const r of results) console.log(`${fmt(r.seconds).padStart(7)}  ${r.phase.name}`);
const inTests = rows.reduce((n, r) => n + r.seconds, 0);
const vmRows = rows.filter((r) => r.vm);
const boots = vmRows.reduce((n, r) => n + r.vm!.boots + r.vm!.retries, 0);
const declared = vmRows.reduce((n, r) => n + r.vm!.declaredBoots, 0);
const retries = vmRows.reduce((n, r) => n + r.vm!.retries, 0);
console.log(
  `total: ${rows.length} tests, ${fmt(inTests)} s in tests, ${fmt(wall)} s wall; ` +
    `${vmRows.length} VM tests, guest boots ${boots} taken / ${declared} declared` +
    ` (${retries} retried)`,
);
const code = results.find((r) => r.code !== 0)?.code ?? 0;
const sum = (k: "passed" | "failed" | "ignored") =>
  results.reduce((n, r) => n + (r.counts?.[k] ?? 0), 0);
// One closing line for every phase, in deno test's own form (.ci/run reads the last such line).
const uncounted = results.filter((r) => !r.counts).map((r) => r.phase.name);
if (uncounted.length) console.log(`suite: no closing counts from ${uncounted.join(", ")}`);
console.log(
  `\n${code === 0 ? "ok" : "FAILED"} | ${sum("passed")} passed | ${sum("failed")} failed | ` +
    `${sum("ignored")} ignored (${fmt(wall)} s, ${results.length} phases)`,
);
Deno.exit(code);
