#!/bin/bash
# Runs a command (vmrun.sh) with VM_HOSTROOT set to a view of the host root in which the given paths do
# not exist, in a private mount namespace: an overlay of / whose upper layer has a whiteout for each.
# The guest then boots as on a host that never had them (a fresh machine has no /lib/modules at all).
# usage: hide-host-paths.sh <path>... -- <command> [args...]
set -euo pipefail
hide=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do hide+=("$(realpath -m "$1")"); shift; done
[ "${1:-}" = -- ] && [ $# -ge 2 ] || { echo "usage: $0 <path>... -- <command> [args...]" >&2; exit 2; }
shift
exec unshare --mount --propagation private bash -euo pipefail -c '
  view=$(mktemp -d); mount -t tmpfs hide-host-paths "$view"
  mkdir "$view"/{upper,work,root}
  for p in "${@:2:$1}"; do mkdir -p "$view/upper$(dirname "$p")"; [ -e "$view/upper$p" ] || mknod "$view/upper$p" c 0 0; done
  mount -t overlay hide-host-paths -o lowerdir=/,upperdir="$view/upper",workdir="$view/work" "$view/root"
  for p in "${@:2:$1}"; do [ ! -e "$view/root$p" ] || { echo "hide-host-paths: $p still visible" >&2; exit 2; }; done
  shift $(($1 + 1))
  rc=0; VM_HOSTROOT=$view/root "$@" || rc=$?
  umount -R "$view"; rmdir "$view"
  exit $rc
' hide-host-paths "${#hide[@]}" "${hide[@]}" "$@"
