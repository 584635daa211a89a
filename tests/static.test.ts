// The TypeScript is formatted, lint-clean and type-checks: the same commands a developer runs.
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../", import.meta.url));

async function deno(...args: string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: repo,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (out.code !== 0) {
    const dec = new TextDecoder();
    throw new Error(`deno ${args.join(" ")}:\n${dec.decode(out.stdout)}${dec.decode(out.stderr)}`);
  }
}

Deno.test("deno fmt --check", () => deno("fmt", "--check"));
Deno.test("deno lint", () => deno("lint"));
Deno.test("deno check", () => deno("task", "-q", "check"));
