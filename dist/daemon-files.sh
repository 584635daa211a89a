#!/usr/bin/env bash
# The daemon as both install paths ship it (build-deb.sh, build-dropin.sh): the `deno bundle` of
# main.ts (npm dependencies inlined) and the pinned Deno's runtime for the target, from its npm package
# (@deno/linux-<arch>-glibc), so it builds offline; and the `deno run` flags both run it with.
# usage: dist/daemon-files.sh <arm64|amd64> <dir>     writes <dir>/daedalusd.js, <dir>/deno, <dir>/deno-flags
set -euo pipefail
cd "$(dirname "$0")/.."
ARCH=$1 OUT=$2
export PATH=$PWD/tools/node_modules/.bin:$PATH
DENO_VERSION=$(node -p 'require("./tools/package-lock.json").packages["node_modules/deno"].version')
mkdir -p "$OUT"
deno bundle --quiet -o "$OUT/daedalusd.js" main.ts
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
tgz=$(cd "$T" && npm pack --silent "@deno/linux-${ARCH/amd64/x64}-glibc@$DENO_VERSION" 2>/dev/null | tail -n1)
tar -xzf "$T/$tgz" -C "$T" package/deno && mv "$T/package/deno" "$OUT/deno" && chmod 755 "$OUT/deno"
# FFI is the daemon's whole job and reaches whatever native code can, so Deno's permissions bound only
# the JavaScript: no network, no subprocesses, no system information, no remote or npm imports. (FFI
# cannot be scoped to the system's library directories: Deno's pointer APIs need it unscoped.) The
# service's sandbox (daedalus-v4l2.service) is what bounds the process.
echo "--no-prompt --no-config --no-remote --no-npm --allow-ffi --allow-read --allow-write --allow-env" > "$OUT/deno-flags"
