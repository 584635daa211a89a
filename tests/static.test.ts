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

// The unit tests need neither the network nor the VM cache: whatever downloads belongs under tests/vm/.
Deno.test("unit tests pass without network and without the VM cache", async () => {
  const missing = await Deno.makeTempDir({ prefix: "daedalus-no-vm-cache-" });
  await Deno.remove(missing);
  await run("env", [
    `DAEDALUS_VM_CACHE=${missing}`,
    "unshare",
    "--net",
    Deno.execPath(),
    "test",
    "--allow-all",
    "--no-prompt",
    "--cached-only",
    "tests/unit/",
  ], { cwd: repo });
});
