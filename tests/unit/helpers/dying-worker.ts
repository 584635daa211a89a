/** A decode thread that dies at its first job (an exception outside any job's handling). */
import { libc } from "../../../ffi/libc.ts";

const scope = globalThis as unknown as {
  onmessage: (e: MessageEvent<{ type: string; fd?: number }>) => void;
  postMessage(m: unknown): void;
};
let fd = -1;
scope.onmessage = (e) => {
  if (e.data.type === "init") scope.postMessage({ type: "ready" });
  if (e.data.type === "attach") fd = e.data.fd!;
  if (e.data.type === "job") throw new Error("this decode thread dies");
  if (e.data.type === "detach") {
    if (fd >= 0) libc().close(fd);
    fd = -1;
    scope.postMessage({ type: "detached" });
  }
};
