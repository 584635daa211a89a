/**
 * The Debian package's Depends for the libraries the daemon opens through FFI, made from the same
 * tables the daemon loads them by (ffi/), so that a libav or dav1d major added there reaches the
 * package without being written twice. dpkg-shlibdeps cannot see these: nothing links them.
 *
 * usage: deno run dist/depends.ts      prints one comma-separated Depends fragment
 */
import { LIBAV_SETS } from "../ffi/libav-versions.ts";
import { DAV1D_SONAMES } from "../ffi/libdav1d.ts";

/**
 * The package that ships a soname, by Debian policy 8.1: `libfoo.so.N` is in `libfooN`, and a
 * name ending in a digit takes a hyphen (`libfoo2.so.3` is in `libfoo2-3`).
 */
export function sonamePackage(soname: string): string {
  const m = /^lib(.+)\.so\.(\d+)$/.exec(soname);
  if (!m) throw new Error(`not a versioned soname: ${soname}`);
  const [, name, major] = m;
  return `lib${name}${/\d$/.test(name) ? "-" : ""}${major}`;
}

/** Depends alternatives, newest first, for each library the daemon opens. */
export function ffiDepends(): string[] {
  const alternatives = (sonames: string[]) => sonames.map(sonamePackage).join(" | ");
  return [
    alternatives(LIBAV_SETS.map((s) => `libavcodec.so.${s.avcodec}`)),
    alternatives(LIBAV_SETS.map((s) => `libavutil.so.${s.avutil}`)),
    alternatives(LIBAV_SETS.map((s) => `libswscale.so.${s.swscale}`)),
    alternatives([...DAV1D_SONAMES]),
  ];
}

if (import.meta.main) console.log(ffiDepends().join(", "));
