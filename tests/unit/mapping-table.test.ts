// A decode thread's table of mappings (control-device.ts): the service thread and a retired
// thread that still runs both claim a slot before touching its memory, and only one gets it.
import assert from "node:assert/strict";
import { cString } from "../../ffi/library.ts";
import { errno, libc, SysError } from "../../ffi/libc.ts";
import {
  listMapping,
  mapFd,
  newMappingTable,
  releaseMappings,
  unlistMapping,
} from "../../src/service/control-device.ts";

const A = 0x7f00_0000_0000n;
const B = 0x7f00_0001_0000n;

Deno.test("mapping table: a slot the worker unmaps while the service releases is handled by one of them only", () => {
  const table = newMappingTable();
  const slot = listMapping(table, A, 4096);
  const other = listMapping(table, B, 8192);
  assert.ok(slot >= 0 && other >= 0 && slot !== other);
  let workerUnmapped = 0;
  const replaced: bigint[] = [];
  const result = releaseMappings(table, (addr, length) => {
    // The terminated worker still runs: it unmaps its other mapping in the service's window,
    // and then this one (whose slot the service holds now).
    if (unlistMapping(table, other, B)) workerUnmapped++;
    if (unlistMapping(table, slot, A)) workerUnmapped++;
    replaced.push(addr);
    assert.equal(length, addr === A ? 4096n : 8192n);
    return true;
  });
  // A: the service's; B: the worker's. Nothing both unmapped by the worker and replaced.
  assert.deepEqual(replaced, [A]);
  assert.equal(workerUnmapped, 1);
  assert.deepEqual(result, { released: 1, failed: 0 });
});

Deno.test("mapping table: a released table lists nothing more; a failed replacement is counted", () => {
  const table = newMappingTable();
  listMapping(table, A, 4096);
  assert.deepEqual(releaseMappings(table, () => false), { released: 0, failed: 1 });
  assert.equal(listMapping(table, B, 4096), -1, "no new slot in a released table");
  assert.deepEqual(releaseMappings(table, () => true), { released: 0, failed: 0 });
});

Deno.test("mapping table: a listed mapping of a memfd is replaced by anonymous memory at its address", () => {
  const fd = libc().memfd_create(cString("mapping-table-test"), 0);
  if (fd < 0) throw new SysError("memfd_create", errno());
  try {
    assert.equal(libc().ftruncate(fd, 4096n), 0);
    const table = newMappingTable();
    const mine = mapFd(fd, 0n, 4096, true);
    const addr = BigInt(Deno.UnsafePointer.value(mine.ptr));
    mine.bytes.fill(0xa5);
    const slot = listMapping(table, addr, 4096);
    assert.deepEqual(releaseMappings(table), { released: 1, failed: 0 });
    assert.equal(unlistMapping(table, slot, addr), false, "the worker keeps its hands off");
    const after = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(mine.ptr, 4096));
    assert.ok(after.every((b) => b === 0), "anonymous memory at the address");
    const file = mapFd(fd, 0n, 4096, false);
    assert.ok(file.bytes.every((b) => b === 0xa5), "the memfd's memory kept its bytes");
    file.unmap();
    libc().munmap(mine.ptr, 4096n);
  } finally {
    libc().close(fd);
  }
});
