/**
 * `deno task test` (what `./run test` and CI run): the whole suite through `deno test`, then a
 * time table of every test (name, kernel, seconds, guest boots declared and taken), slowest
 * first, and the totals. `--full` runs the full tier too (DAEDALUS_FULL=1: the whole client x
 * mode x kernel matrices); other arguments go to deno test (paths replace `tests/`).
 */
import type { VmTestTime } from "./lib/harness.ts";

const args = [...Deno.args];
const full = args.includes("--full");
const rest = args.filter((a) => a !== "--full");
const hasPath = rest.some((a) => !a.startsWith("-") && exists(a));
const times = await Deno.makeTempFile({ prefix: "daedalus-times-", suffix: ".jsonl" });

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const start = performance.now();
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", "--no-prompt", ...rest, ...(hasPath ? [] : ["tests/"])],
  env: { DAEDALUS_TIMES: times, ...(full ? { DAEDALUS_FULL: "1" } : {}) },
  stdout: "piped",
  stderr: "inherit",
}).spawn();

// deno test's own lines pass through as they come; its per-test lines are kept for the table, each
// with when it came (a file's time runs from its "running N tests from" line to the next one's).
const lines: { text: string; at: number }[] = [];
let partial = "";
const dec = new TextDecoder();
for await (const chunk of child.stdout) {
  await Deno.stdout.write(chunk);
  const text = partial + dec.decode(chunk, { stream: true });
  const all = text.split("\n");
  partial = all.pop()!;
  const at = performance.now();
  lines.push(...all.map((text) => ({ text, at })));
}
lines.push({ text: partial, at: performance.now() });
const { code } = await child.status;
const wall = (performance.now() - start) / 1000;

/** "1m3s", "850ms", "2s", "1h2m3s", "83µs" in seconds. */
function seconds(d: string): number {
  let s = 0;
  for (const [, n, unit] of d.matchAll(/([\d.]+)(h|ms|µs|m|s)/g)) {
    s += Number(n) *
      ({ h: 3600, m: 60, s: 1, ms: 1e-3, "µs": 1e-6 } as Record<string, number>)[unit];
  }
  return s;
}

interface Row {
  name: string;
  file: string;
  result: string;
  seconds: number;
  vm?: VmTestTime;
}
const vm = new Map<string, VmTestTime>();
for (const l of (await Deno.readTextFile(times)).split("\n").filter(Boolean)) {
  const t = JSON.parse(l) as VmTestTime;
  vm.set(t.name, t);
}
await Deno.remove(times);
const rows: Row[] = [];
const files: { file: string; seconds: number }[] = [];
let file = "";
for (const { text: l, at } of lines) {
  const from = l.match(/^running \d+ tests? from (.*)$/);
  if (from) {
    file = from[1].replace(/^\.\//, "");
    files.push({ file, seconds: -at / 1000 });
  } else if (/^(ok|FAILED) \| \d+ passed/.test(l) && files.length) {
    files.at(-1)!.seconds += at / 1000;
  }
  if (from && files.length > 1) files.at(-2)!.seconds += at / 1000;
  // Top-level tests only (steps are indented).
  const m = l.match(/^(\S.*) \.\.\. (ok|FAILED|ignored) \((.+)\)$/);
  if (m && m[2] !== "ignored") {
    rows.push({ name: m[1], file, result: m[2], seconds: seconds(m[3]), vm: vm.get(m[1]) });
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
console.log("\nseconds  test file (from its first line to the next file's)");
for (const f of files.sort((a, b) => b.seconds - a.seconds)) {
  console.log(`${fmt(f.seconds).padStart(7)}  ${f.file}`);
}
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
Deno.exit(code);
