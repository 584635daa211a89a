/**
 * Runs damaged AV1 streams (bad-input-av1.ts) in a worker, so that a damage which freezes the
 * decoder fails its test at a deadline instead of hanging the suite. Message in:
 * `{ file, bad, indices }` (indices into OUT_OF_RANGE); out: one
 * `{ index, outcomes }` per damage, then `{ done: true }`.
 */
import { OUT_OF_RANGE, runWithDamage } from "./bad-input-av1.ts";

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<{ file: string; bad: number; indices: number[] }>) => void;
  postMessage(m: unknown): void;
};
scope.onmessage = async (e) => {
  const data = await Deno.readFile(e.data.file);
  for (const index of e.data.indices) {
    const outcomes = runWithDamage(data, e.data.bad, OUT_OF_RANGE[index].damage);
    scope.postMessage({ index, outcomes });
  }
  scope.postMessage({ done: true });
};
