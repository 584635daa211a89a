/**
 * Compiles and runs a small C program against the installed headers, so struct layouts used
 * by the TypeScript views can be compared with what the C compiler says.
 */

/** Compiles `source` with gcc (extra `flags`), runs it, returns its stdout parsed as JSON. */
export async function runC<T>(source: string, flags: string[] = []): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "daedalus-cc-" });
  try {
    await Deno.writeTextFile(`${dir}/t.c`, source);
    const cc = await new Deno.Command("gcc", {
      args: ["-std=gnu11", "-Wall", "-Werror", "-o", `${dir}/t`, `${dir}/t.c`, ...flags],
      stderr: "piped",
    }).output();
    if (!cc.success) throw new Error(`gcc failed:\n${new TextDecoder().decode(cc.stderr)}`);
    const run = await new Deno.Command(`${dir}/t`, { stdout: "piped" }).output();
    if (!run.success) throw new Error("C program failed");
    return JSON.parse(new TextDecoder().decode(run.stdout)) as T;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `"name": offsetof(type, member)` JSON entries for printf. */
export function offsetsProgram(includes: string[], entries: [string, string][]): string {
  const lines = entries.map(([key, expr], i) =>
    `  printf("%s\\"${key}\\": %ld", ${i === 0 ? '""' : '","'}, (long)(${expr}));`
  );
  return [
    "#include <stdio.h>",
    "#include <stddef.h>",
    ...includes.map((h) => `#include <${h}>`),
    "int main(void) {",
    '  printf("{");',
    ...lines,
    '  printf("}\\n");',
    "  return 0;",
    "}",
  ].join("\n");
}
