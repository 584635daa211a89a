/**
 * Prints every VM test's declaration (name, kernel, guest boots, tier) as JSON, without running
 * any: run with `deno run`, under which Deno.test registers nothing. tests/static.test.ts sums the
 * default tier's boots from it.
 */
import { fileURLToPath } from "node:url";
import { DECLARED } from "../lib/harness.ts";

const here = fileURLToPath(new URL(".", import.meta.url));
const files = [...Deno.readDirSync(here)].map((e) => e.name).filter((n) => n.endsWith(".test.ts"))
  .sort();
for (const f of files) await import(new URL(f, import.meta.url).href);
console.log(JSON.stringify(DECLARED));
