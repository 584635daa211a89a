#!/bin/sh
# apt-get against other Debian suites or architectures without touching /etc/apt: its own lists and
# archives under the VM cache, the mirror taken from this machine's apt sources. For update/download only.
# usage: private-apt.sh NAME "SUITE[ SUITE...]" [ARCH] -- apt-get-args...
set -eu
CACHE=${DAEDALUS_VM_CACHE:-/var/cache/daedalus-v4l2-vm}
NAME=$1 SUITES=$2; shift 2
ARCH=$(dpkg --print-architecture)
if [ "${1:-}" != "--" ]; then ARCH=$1; shift; fi
[ "${1:-}" = "--" ] && shift
D=$CACHE/apt-$NAME
MAIN=$("$(dirname "$0")/mirror.sh") SEC=$("$(dirname "$0")/mirror.sh" security)
[ -n "$MAIN" ] || { echo "private-apt: no Debian mirror found in the apt sources" >&2; exit 2; }
mkdir -p "$D/lists/partial" "$D/archives/partial"
: > "$D/sources.list"
for s in $SUITES; do
  case $s in *-security) u=${SEC:-$MAIN};; *) u=$MAIN;; esac
  echo "deb [arch=$ARCH signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $u $s main" >> "$D/sources.list"
done
exec apt-get -o Dir::Etc::sourcelist="$D/sources.list" -o Dir::Etc::sourceparts=/dev/null \
  -o Dir::State::Lists="$D/lists" -o Dir::Cache::Archives="$D/archives" \
  -o Dir::Cache::pkgcache="$D/pkgcache.bin" -o Dir::Cache::srcpkgcache="$D/srcpkgcache.bin" \
  -o APT::Architecture="$ARCH" -o APT::Architectures::="$ARCH" -o Dir::State::status=/dev/null \
  -o APT::Sandbox::User=root "$@"
