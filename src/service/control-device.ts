/** The daemon's end of /dev/daedalus-v4l2: ioctls, poll and mmap through libc. */
import { cString } from "../../ffi/library.ts";
import {
  EAGAIN,
  EINTR,
  ENOSPC,
  errno,
  libc,
  MAP_ANONYMOUS,
  MAP_FIXED,
  MAP_PRIVATE,
  MAP_SHARED,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  PROT_READ,
  PROT_WRITE,
  readSmallFile,
  statPath,
  SysError,
} from "../../ffi/libc.ts";
import {
  type Complete,
  DAEDALUS_IOC_COMPLETE,
  DAEDALUS_IOC_FETCH,
  DAEDALUS_IOC_HELLO,
  DAEDALUS_IOC_STREAM_DATA_DONE,
  DAEDALUS_IOC_STREAM_ERROR,
  DAEDALUS_IOC_STREAM_FORMAT,
  DAEDALUS_IOC_STREAM_PICTURE,
  DAEDALUS_IOC_VERSION,
  DAEDALUS_MAX_MSG_SIZE,
  decodeHello,
  encodeComplete,
  encodeHello,
  encodeStreamArg,
  type Hello,
  LAYOUT,
  readStruct,
  type StreamDataDone,
  type StreamErrorArg,
  type StreamFormatArg,
  type StreamPicture,
} from "./protocol.ts";

/** The control device's path. */
export const DEFAULT_DEVICE = "/dev/daedalus-v4l2";

/** The module's parameters in sysfs. */
const MODULE_PARAMETERS = "/sys/module/daedalus_v4l2/parameters";

/**
 * A module parameter's value as a whole number (job_timeout_ms: the kernel's watchdog, which
 * root may change while the module is loaded), or undefined when it cannot be read.
 */
export function moduleParameter(name: string, dir = MODULE_PARAMETERS): number | undefined {
  const text = readSmallFile(`${dir}/${name}`)?.trim();
  const n = Number(text);
  return text && Number.isSafeInteger(n) ? n : undefined;
}

/** What poll() saw: a message, nothing in time, or the device gone (POLLERR, POLLHUP, POLLNVAL). */
export type PollResult = "readable" | "timeout" | "gone";

/** One job buffer mapped into the daemon. */
export interface Mapping {
  /** Where it is mapped. */
  readonly ptr: Deno.PointerObject;
  /** Its length in bytes. */
  readonly length: number;
  /** The mapping as bytes. */
  readonly bytes: Uint8Array;
  /** Unmaps it. */
  unmap(): void;
}

/**
 * A decode thread's mappings, listed for the service thread: (address, length) pairs, address 0
 * for a free slot; the first pair is the table's state (nonzero: released, nothing more is
 * listed). A thread that dies or is retired, perhaps stuck inside a library call, never unmaps
 * them, and each would keep its buffer's memory (charged to the client) alive: the service
 * thread replaces them with anonymous memory (releaseMappings), so the device's memory is let go
 * and a late write from a stuck thread lands in memory nobody uses.
 *
 * A terminated worker may still run for a while (terminate() takes effect when it next runs
 * JavaScript), so either side may be first to a slot: each claims it by swapping its address
 * for 0 (Atomics.compareExchange), and only the one that got it unmaps or replaces it. Else the
 * service thread could replace memory the worker had just unmapped and another mapping had got.
 */
export type MappingTable = BigInt64Array<SharedArrayBuffer>;

/** Mappings a table lists, its state included (a context keeps one per buffer slot; more go unlisted). */
const MAPPING_SLOTS = 1024;

/** A new, empty table of mappings. */
export function newMappingTable(): MappingTable {
  return new BigInt64Array(new SharedArrayBuffer(MAPPING_SLOTS * 16));
}

/** This thread's table (a decode thread's, set by listMappingsIn). */
let listed: MappingTable | undefined;

/** In a decode thread: list its mappings in `table` from now on. */
export function listMappingsIn(table: MappingTable): void {
  listed = table;
}

/**
 * Lists a mapping at `addr` in a free slot of `table`: the slot's index, or -1 when the table is
 * full or released.
 */
export function listMapping(table: MappingTable, addr: bigint, length: number): number {
  for (let i = 2; i < table.length; i += 2) {
    if (Atomics.load(table, 0) !== 0n) return -1;
    if (Atomics.load(table, i) !== 0n) continue;
    // Its length before its address: whoever sees the address sees its length.
    Atomics.store(table, i + 1, BigInt(length));
    if (Atomics.compareExchange(table, i, 0n, addr) === 0n) return i;
  }
  return -1;
}

/**
 * The mapping's own thread takes `addr` out of its slot before unmapping it: true when it got
 * it (it unmaps it), false when the service thread did (it replaced the memory: hands off).
 */
export function unlistMapping(table: MappingTable, slot: number, addr: bigint): boolean {
  return Atomics.compareExchange(table, slot, addr, 0n) === addr;
}

/** Replaces `length` bytes at `addr` with private anonymous memory; false when mmap failed. */
function replaceWithAnonymous(addr: bigint, length: bigint): boolean {
  const p = libc().mmap(
    Deno.UnsafePointer.create(addr),
    BigInt.asUintN(64, length),
    PROT_READ | PROT_WRITE,
    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
    -1,
    0n,
  );
  return p !== null && BigInt(Deno.UnsafePointer.value(p)) === addr; // else MAP_FAILED
}

/**
 * Replaces every mapping `table` lists with anonymous memory at the same address (`replace`:
 * a test's double), claiming each slot first, and closes the table to new mappings; for a
 * thread that runs no JavaScript any more, or soon will not. Returns how many mappings were
 * replaced, and how many could not be (mmap failed: the memory stays mapped).
 */
export function releaseMappings(
  table: MappingTable,
  replace: (addr: bigint, length: bigint) => boolean = replaceWithAnonymous,
): { released: number; failed: number } {
  // Closed first: the thread lists nothing more, so a slot it frees is never reused under us.
  Atomics.store(table, 0, 1n);
  let released = 0;
  let failed = 0;
  for (let i = 2; i < table.length; i += 2) {
    const addr = Atomics.load(table, i);
    if (addr === 0n) continue;
    const length = Atomics.load(table, i + 1);
    if (Atomics.compareExchange(table, i, addr, 0n) !== addr) continue; // the thread unmapped it
    if (replace(addr, length)) released++;
    else failed++;
  }
  return { released, failed };
}

/** An mmap of the control device; `bytes` is detached before the memory is unmapped. */
class DeviceMapping implements Mapping {
  #bytes: Uint8Array<ArrayBuffer> | undefined;
  /** Its slot in this thread's table, or -1. */
  readonly #slot: number;

  constructor(readonly ptr: Deno.PointerObject, readonly length: number) {
    this.#slot = listed ? listMapping(listed, BigInt(Deno.UnsafePointer.value(ptr)), length) : -1;
  }

  get bytes(): Uint8Array {
    this.#bytes ??= new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(this.ptr, this.length));
    return this.#bytes;
  }

  unmap(): void {
    // A view left attached would fault on access once the memory is gone.
    if (this.#bytes) this.#bytes.buffer.transfer(0);
    this.#bytes = undefined;
    // Out of the table first: once unmapped, the address may be another thread's mapping. When
    // the service thread took it (this thread was retired), it replaced the memory: not ours.
    const addr = BigInt(Deno.UnsafePointer.value(this.ptr));
    if (listed && this.#slot >= 0 && !unlistMapping(listed, this.#slot, addr)) return;
    libc().munmap(this.ptr, BigInt(this.length));
  }
}

/**
 * Maps `length` bytes at `offset` of `fd`: a job buffer of the control device (or of the tests'
 * memory-backed double). Callable from any thread.
 */
export function mapFd(fd: number, offset: bigint, length: number, writable: boolean): Mapping {
  const prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  const p = libc().mmap(null, BigInt(length), prot, MAP_SHARED, fd, offset);
  const addr = p === null ? 0n : BigInt(Deno.UnsafePointer.value(p));
  if (p === null || addr === 0xffffffffffffffffn) { // MAP_FAILED
    throw new SysError(`mmap offset 0x${offset.toString(16)} length ${length}`, errno());
  }
  return new DeviceMapping(p, length);
}

/**
 * The message buffer starts small and grows on ENOSPC to fit the largest message seen: context
 * messages are 16 bytes, jobs a few KiB (an H.264 SPS control alone is over 1 KiB, so every
 * stream's first job takes the ENOSPC path and keeps it tested), HEVC's and AV1's up to 1 MiB.
 */
const INITIAL_MSG_BUFFER = 2048;

/** An open control device: the daemon's connection to the module. */
export class ControlDevice {
  #msg = new Uint8Array(0);
  readonly #fetch = new Uint8Array(LAYOUT.fetch.size);
  readonly #pollfd = new Uint8Array(8);
  /** The largest message the module says it sends (HELLO), until HELLO the protocol's. */
  #maxMsgSize = DAEDALUS_MAX_MSG_SIZE;

  private constructor(readonly fd: number, readonly path: string, readonly rdev: bigint) {
    this.#setBuffer(INITIAL_MSG_BUFFER);
    new DataView(this.#pollfd.buffer).setInt32(0, fd, true);
  }

  #setBuffer(size: number): void {
    this.#msg = new Uint8Array(size);
    const v = new DataView(this.#fetch.buffer);
    v.setBigUint64(
      LAYOUT.fetch.buf,
      BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#msg))),
      true,
    );
    v.setUint32(LAYOUT.fetch.buf_size, size, true);
  }

  /** The current size of the message buffer (it grows to fit the largest message seen). */
  get messageBufferSize(): number {
    return this.#msg.length;
  }

  /** Opens the control device at `path` (non-blocking, close-on-exec); throws a SysError. */
  static open(path = DEFAULT_DEVICE): ControlDevice {
    const rdev = statPath(path)?.rdev;
    if (rdev === undefined) throw new SysError(`stat ${path}`, errno());
    const fd = libc().open(cString(path), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw new SysError(`open ${path}`, errno());
    return new ControlDevice(fd, path, rdev);
  }

  #ioctl(name: string, request: bigint, arg: Uint8Array<ArrayBuffer>): void {
    for (;;) {
      if (libc().ioctl(this.fd, request, Deno.UnsafePointer.of(arg)) >= 0) return;
      const e = errno();
      if (e !== EINTR) throw new SysError(name, e);
    }
  }

  /** DAEDALUS_IOC_VERSION: the module's ABI version. */
  version(): number {
    const out = new Uint8Array(4);
    this.#ioctl("DAEDALUS_IOC_VERSION", DAEDALUS_IOC_VERSION, out);
    return new DataView(out.buffer).getUint32(0, true);
  }

  /** DAEDALUS_IOC_HELLO: connects the daemon, declaring its ABI and codecs; the module answers with its own. */
  hello(abi: number, codecs: number, streamCodecs = 0): Hello {
    const buf = encodeHello(abi, codecs, streamCodecs);
    this.#ioctl("DAEDALUS_IOC_HELLO", DAEDALUS_IOC_HELLO, buf);
    const hello = decodeHello(buf);
    // An ABI 1.0 module says 64 KiB; a later one may allow more than this daemon knows of.
    if (hello.maxMsgSize > 0) this.#maxMsgSize = hello.maxMsgSize;
    return hello;
  }

  /**
   * The next message, or undefined when none is pending. A message larger than the buffer
   * stays queued (ENOSPC, with the size it needs): the buffer grows to fit and fetches again.
   */
  fetch(): Uint8Array | undefined {
    for (;;) {
      try {
        this.#ioctl("DAEDALUS_IOC_FETCH", DAEDALUS_IOC_FETCH, this.#fetch);
        break;
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        if (e.errno === EAGAIN) return undefined;
        if (e.errno !== ENOSPC) throw e;
        const need = new DataView(this.#fetch.buffer).getUint32(LAYOUT.fetch.msg_size, true);
        if (need <= this.#msg.length || need > this.#maxMsgSize) {
          throw new SysError(
            `DAEDALUS_IOC_FETCH: a ${need}-byte message (buffer ${this.#msg.length}, ` +
              `module maximum ${this.#maxMsgSize})`,
            ENOSPC,
          );
        }
        this.#setBuffer(Math.min(this.#maxMsgSize, 2 ** Math.ceil(Math.log2(need))));
      }
    }
    const size = new DataView(this.#fetch.buffer).getUint32(LAYOUT.fetch.msg_size, true);
    return this.#msg.slice(0, Math.min(size, this.#msg.length));
  }

  /** DAEDALUS_IOC_COMPLETE: a job's result; throws a SysError (ENOENT: the job is gone). */
  complete(c: Complete): void {
    this.#ioctl("DAEDALUS_IOC_COMPLETE", DAEDALUS_IOC_COMPLETE, encodeComplete(c));
  }

  /** DAEDALUS_IOC_STREAM_DATA_DONE (ABI 1.3); throws a SysError (ENOENT: not in flight). */
  streamDataDone(a: StreamDataDone): void {
    const arg = encodeStreamArg("streamDataDone", a);
    this.#ioctl("DAEDALUS_IOC_STREAM_DATA_DONE", DAEDALUS_IOC_STREAM_DATA_DONE, arg);
  }

  /** DAEDALUS_IOC_STREAM_PICTURE (ABI 1.3); throws a SysError (ENOENT: not in flight). */
  streamPicture(a: StreamPicture): void {
    const arg = encodeStreamArg("streamPicture", a);
    this.#ioctl("DAEDALUS_IOC_STREAM_PICTURE", DAEDALUS_IOC_STREAM_PICTURE, arg);
  }

  /** DAEDALUS_IOC_STREAM_FORMAT (ABI 1.3): whether the CAPTURE setup fits; throws a SysError. */
  streamFormat(a: StreamFormatArg): boolean {
    const arg = encodeStreamArg("streamFormat", a);
    this.#ioctl("DAEDALUS_IOC_STREAM_FORMAT", DAEDALUS_IOC_STREAM_FORMAT, arg);
    return readStruct("streamFormat", new DataView(arg.buffer)).fits !== 0;
  }

  /** DAEDALUS_IOC_STREAM_ERROR (ABI 1.3); throws a SysError. */
  streamError(a: StreamErrorArg): void {
    this.#ioctl(
      "DAEDALUS_IOC_STREAM_ERROR",
      DAEDALUS_IOC_STREAM_ERROR,
      encodeStreamArg("streamError", a),
    );
  }

  /** Waits up to `timeoutMs` for a message, off the JS thread (signals stay responsive). */
  async poll(timeoutMs: number): Promise<PollResult> {
    const v = new DataView(this.#pollfd.buffer);
    v.setInt16(4, POLLIN, true);
    v.setInt16(6, 0, true);
    const n = await libc().poll(this.#pollfd, 1n, timeoutMs);
    if (n === 0) return "timeout";
    if (n < 0) return "timeout"; // EINTR; errno lives on the worker thread
    const revents = v.getInt16(6, true);
    if (revents & (POLLERR | POLLHUP | POLLNVAL)) return "gone";
    return revents & POLLIN ? "readable" : "timeout";
  }

  /** True while `path` still names the device this file was opened on. */
  stillPresent(): boolean {
    return statPath(this.path)?.rdev === this.rdev;
  }

  /** Closes the descriptor. */
  close(): void {
    libc().close(this.fd);
  }
}
