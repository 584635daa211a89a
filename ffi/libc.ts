/**
 * libc: the system calls the service loop needs (the control device is driven by ioctls),
 * errno, and dlopen/dlsym to find libavcodec's default get_buffer2 at run time.
 */
import { cString, findLibrary, openLibrary } from "./library.ts";

/** The libc functions the daemon calls, as Deno.dlopen takes them. */
export const symbols = {
  // int open(const char *path, int flags, ...);
  open: { parameters: ["buffer", "i32"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t count);
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int close(int fd);
  close: { parameters: ["i32"], result: "i32" },
  // int dup(int oldfd);  (each context thread owns its descriptor of the control device)
  dup: { parameters: ["i32"], result: "i32" },
  // int memfd_create(const char *name, unsigned int flags);  (the tests' device double)
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  // int ftruncate(int fd, off_t length);
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  // int ioctl(int fd, unsigned long request, ...);  (always called with a pointer argument)
  ioctl: { parameters: ["i32", "u64", "pointer"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout);  (blocks: runs off the JS thread)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  // void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset);
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  // int munmap(void *addr, size_t length);
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  // int *__errno_location(void);
  __errno_location: { parameters: [], result: "pointer" },
  // char *strerror(int errnum);
  strerror: { parameters: ["i32"], result: "pointer" },
  // void *dlopen(const char *filename, int flags);
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  // void *dlsym(void *handle, const char *symbol);
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
  // int dlclose(void *handle);
  dlclose: { parameters: ["pointer"], result: "i32" },
  // long sysconf(int name);
  sysconf: { parameters: ["i32"], result: "i64" },
  // int stat(const char *path, struct stat *buf);  (glibc 2.33+ exports it)
  stat: { parameters: ["buffer", "buffer"], result: "i32" },
  // int nanosleep(const struct timespec *req, struct timespec *rem);  (blocks the calling thread:
  // the DAEDALUSD_TEST_FREEZE hook's decode thread stuck inside a library call)
  nanosleep: { parameters: ["buffer", "pointer"], result: "i32" },
  // pid_t gettid(void);  (glibc 2.30+: a decode thread's OS thread, /proc/self/task/<tid>)
  gettid: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** open(2) flag: read only. */
export const O_RDONLY = 0o0;
/** open(2) flag: read and write. */
export const O_RDWR = 0o2;
/** open(2) flag: non-blocking I/O. */
export const O_NONBLOCK = 0o4000;
/** open(2) flag: close on exec. */
export const O_CLOEXEC = 0o2000000;
/** mmap(2) protection: readable. */
export const PROT_READ = 1;
/** mmap(2) protection: writable. */
export const PROT_WRITE = 2;
/** mmap(2) flag: a shared mapping. */
export const MAP_SHARED = 1;
/** mmap(2) flag: a private copy-on-write mapping. */
export const MAP_PRIVATE = 2;
/** mmap(2) flag: at exactly the address given, replacing what was mapped there. */
export const MAP_FIXED = 0x10;
/** mmap(2) flag: memory backed by no file (zero-filled). */
export const MAP_ANONYMOUS = 0x20;
/** poll(2) event: data to read. */
export const POLLIN = 0x1;
/** poll(2) event: an error condition. */
export const POLLERR = 0x8;
/** poll(2) event: hang-up. */
export const POLLHUP = 0x10;
/** poll(2) event: the descriptor is not open. */
export const POLLNVAL = 0x20;
/** dlopen(3) flag: resolve every symbol at once. */
export const RTLD_NOW = 2;
/** dlopen(3) flag: only a library already loaded (NULL otherwise). */
export const RTLD_NOLOAD = 4;
/** errno: interrupted system call. */
export const EINTR = 4;
/** errno: try again (nothing ready on a non-blocking descriptor). */
export const EAGAIN = 11;
/** errno: no space left. */
export const ENOSPC = 28;
/** errno: no such file or directory. */
export const ENOENT = 2;
/** errno: no such device. */
export const ENODEV = 19;
/** errno: invalid argument. */
export const EINVAL = 22;
/** errno: out of memory. */
export const ENOMEM = 12;
/** errno: I/O error. */
export const EIO = 5;
/** errno: device or resource busy. */
export const EBUSY = 16;
/** errno: protocol error. */
export const EPROTO = 71;
/** errno: operation not supported. */
export const ENOTSUP = 95;
/** errno: timed out. */
export const ETIMEDOUT = 110;

/** libc's symbols as Deno binds them. */
export type LibC = Deno.DynamicLibrary<typeof symbols>["symbols"];
let loaded: LibC | undefined;

/** libc's symbols, loaded on first use (DAEDALUS_LIBC overrides the path). */
export function libc(): LibC {
  if (!loaded) {
    loaded = openLibrary(
      "the C library",
      findLibrary(["libc.so.6"]),
      "DAEDALUS_LIBC",
      "libc6",
      symbols,
    ).lib.symbols;
  }
  return loaded;
}

/**
 * struct stat's fields read here, per architecture (the kernel's generic layout on aarch64,
 * x86_64's own; glibc passes them through). tests/unit/libc-stat.test.ts checks them against
 * Deno's stat.
 */
const STAT_LAYOUT = {
  x86_64: { size: 144, mode: 24, rdev: 40 },
  aarch64: { size: 128, mode: 16, rdev: 32 },
} as const;

/*
 * Deno 2 serves /dev (beyond a few nodes), /sys and /proc only to a process with every permission
 * (--allow-all, nothing denied). The daemon runs with less (dist/daemon-files.sh), so what it needs
 * of those trees (the control device's number, the module's sysfs attributes) it reads through libc.
 */

/** A path's mode and device number (st_rdev), or undefined when it cannot be stat'ed. */
export function statPath(path: string): { mode: number; rdev: bigint } | undefined {
  const layout = STAT_LAYOUT[Deno.build.arch];
  const buf = new Uint8Array(layout.size);
  if (libc().stat(cString(path), buf) !== 0) return undefined;
  const v = new DataView(buf.buffer);
  return { mode: v.getUint32(layout.mode, true), rdev: v.getBigUint64(layout.rdev, true) };
}

/** A small file's contents (a sysfs attribute), or undefined when it cannot be read. */
export function readSmallFile(path: string, max = 4096): string | undefined {
  const fd = libc().open(cString(path), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return undefined;
  try {
    const buf = new Uint8Array(max);
    const n = Number(libc().read(fd, buf, BigInt(max)));
    return n < 0 ? undefined : new TextDecoder().decode(buf.subarray(0, n));
  } finally {
    libc().close(fd);
  }
}

/** The calling thread's errno (read right after the failing call). */
export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32(0);
}

/** strerror(3): the message for an errno, or "errno N" when libc gives none. */
export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(p);
}

/** An error from a failed system call, carrying errno. */
export class SysError extends Error {
  /** Always "SysError". */
  override name = "SysError";
  /** `call` failed with `errno`; the message names both and strerror(errno). */
  constructor(readonly call: string, readonly errno: number) {
    super(`${call}: ${strerror(errno)} (errno ${errno})`);
  }
}
