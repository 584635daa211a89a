/** A context thread that dies at its first job (an exception outside any job's handling). */
import { libc } from "../../../ffi/libc.ts";

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<{ type: string; fd?: number }>) => void;
  postMessage(m: unknown): void;
};
let fd = -1;
scope.onmessage = (e) => {
  if (e.data.type === "init") {
    fd = e.data.fd!;
    scope.postMessage({ type: "ready" });
  }
  if (e.data.type === "job") throw new Error("this context thread dies");
  if (e.data.type === "close") {
    libc().close(fd);
    scope.postMessage({ type: "closed" });
  }
};
