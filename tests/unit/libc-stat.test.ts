// ffi/libc.ts's struct stat layout for this architecture, against Deno's own stat.
import assert from "node:assert/strict";
import { readSmallFile, statPath } from "../../ffi/libc.ts";

Deno.test("libc stat: a device node's number and mode, as Deno reads them", () => {
  for (const path of ["/dev/null", "/dev/zero", "/etc/passwd"]) {
    const deno = Deno.statSync(path);
    const ours = statPath(path);
    assert.ok(ours, path);
    assert.equal(ours.rdev, BigInt(deno.rdev ?? 0), path);
    assert.equal(ours.mode, deno.mode, path);
  }
  assert.equal(statPath("/nonexistent/daedalus"), undefined);
});

Deno.test("libc read: a small file whole, or undefined", () => {
  assert.equal(readSmallFile("/etc/passwd"), Deno.readTextFileSync("/etc/passwd").slice(0, 4096));
  assert.equal(readSmallFile("/nonexistent/daedalus"), undefined);
});
