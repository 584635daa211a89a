// The TypeScript is formatted, lint-clean and type-checks: the same commands a developer runs.
import { fileURLToPath } from "node:url";
import { run } from "./vm/harness.ts";

const repo = fileURLToPath(new URL("../", import.meta.url));

async function deno(...args: string[]): Promise<void> {
  await run(Deno.execPath(), args, { cwd: repo });
}

Deno.test("deno fmt --check", () => deno("fmt", "--check"));
Deno.test("deno lint", () => deno("lint"));
Deno.test("deno check", () => deno("task", "-q", "check"));
