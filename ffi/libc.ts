/**
 * libc: the system calls the service loop needs (the control device is driven by ioctls),
 * errno, and dlopen/dlsym to find libavcodec's default get_buffer2 at run time.
 */
import { findLibrary, openLibrary } from "./library.ts";

const symbols = {
  // int open(const char *path, int flags, ...);
  open: { parameters: ["buffer", "i32"], result: "i32" },
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
} as const satisfies Deno.ForeignLibraryInterface;

export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 1;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const RTLD_NOW = 2;
export const RTLD_NOLOAD = 4;
export const EINTR = 4;
export const EAGAIN = 11;
export const ENOSPC = 28;
export const ENOENT = 2;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOMEM = 12;
export const EIO = 5;
export const EBUSY = 16;
export const EPROTO = 71;
export const ENOTSUP = 95;

type LibC = Deno.DynamicLibrary<typeof symbols>["symbols"];
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

/** The calling thread's errno (read right after the failing call). */
export function errno(): number {
  const p = libc().__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32(0);
}

export function strerror(code: number): string {
  const p = libc().strerror(code);
  return p === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(p);
}

/** An error from a failed system call, carrying errno. */
export class SysError extends Error {
  override name = "SysError";
  constructor(readonly call: string, readonly errno: number) {
    super(`${call}: ${strerror(errno)} (errno ${errno})`);
  }
}
