/**
 * Loading shared libraries for the daemon's FFI bindings.
 *
 * Every library is looked up by absolute path (a scoped `--allow-ffi=<path>` only works with
 * one), can be overridden by an environment variable, and fails with a message that names the
 * Debian package to install.
 */

/** Directories where Debian (multiarch) and other distributions keep shared libraries. */
export function libraryDirs(): string[] {
  const triplet = Deno.build.arch === "aarch64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [`/usr/lib/${triplet}`, `/lib/${triplet}`, "/usr/lib64", "/usr/lib", "/lib64", "/lib"];
}

/** The first of `fileNames` that exists in a library directory, as an absolute path. */
export function findLibrary(fileNames: readonly string[]): string | undefined {
  for (const name of fileNames) {
    for (const dir of libraryDirs()) {
      const path = `${dir}/${name}`;
      try {
        if (Deno.statSync(path).isFile) return path;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

export class LibraryLoadError extends Error {
  override name = "LibraryLoadError";
}

/**
 * dlopen `path` (or the path in env `envVar`) with `symbols`; a failure says what to install.
 */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(
  what: string,
  path: string | undefined,
  envVar: string,
  installHint: string,
  symbols: S,
): { lib: Deno.DynamicLibrary<S>; path: string } {
  const chosen = Deno.env.get(envVar) || path;
  if (!chosen) {
    throw new LibraryLoadError(
      `${what} not found in ${libraryDirs().join(", ")}: install ${installHint}, ` +
        `or set ${envVar} to its path`,
    );
  }
  try {
    return { lib: Deno.dlopen(chosen, symbols), path: chosen };
  } catch (e) {
    throw new LibraryLoadError(
      `cannot load ${what} from ${chosen}: ${(e as Error).message}; install ${installHint}, ` +
        `or set ${envVar} to a compatible library`,
    );
  }
}

/** A NUL-terminated C string for an FFI `buffer` argument. */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Reads a NUL-terminated C string, or undefined for NULL. */
export function readCString(p: Deno.PointerValue): string | undefined {
  return p === null ? undefined : Deno.UnsafePointerView.getCString(p);
}
