// The TypeScript is formatted, lint-clean and type-checks: the same commands a developer runs.
import { fileURLToPath } from "node:url";
import { run, type VmTestSpec } from "./lib/harness.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));

async function deno(...args: string[]): Promise<void> {
  await run(Deno.execPath(), args, { cwd: repo });
}

Deno.test("deno fmt --check", () => deno("fmt", "--check"));
Deno.test("deno lint", () => deno("lint"));
Deno.test("deno check", () => deno("task", "-q", "check"));

/**
 * The default tier's guest boots, as the VM tests declare them (tests/lib/harness.ts vmTest): the
 * suite's cost is a count held here, not a time found out in CI. Raise it only with the time
 * table's figures in hand (README); the full tier (`./run test --full`) has no bound.
 */
const MAX_DEFAULT_BOOTS = 23;
Deno.test(`the default tier declares at most ${MAX_DEFAULT_BOOTS} guest boots`, async () => {
  const out = await run(Deno.execPath(), ["run", "--allow-all", "tests/vm/list-tests.ts"], {
    cwd: repo,
  });
  const declared = JSON.parse(out) as VmTestSpec[];
  const counted = declared.filter((t) => (t.tier ?? "default") === "default" && !t.gatedBy);
  const boots = counted.reduce((n, t) => n + t.boots, 0);
  console.log(`${counted.length} default-tier VM tests declare ${boots} guest boots`);
  if (counted.length === 0) throw new Error("no VM test declared: tests/vm/list-tests.ts broke");
  if (boots > MAX_DEFAULT_BOOTS) {
    throw new Error(`the default tier declares ${boots} guest boots, above ${MAX_DEFAULT_BOOTS}`);
  }
});
