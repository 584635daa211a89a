# Shared by the VM harness scripts (sourced, not run).
# The cache lives outside the repository so that clones share it and a guest sees it: it must not be under
# /tmp, /run, /var/tmp or /root, which are tmpfs in the guest.
CACHE=${DAEDALUS_VM_CACHE:-/var/cache/daedalus-v4l2-vm}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

die() { echo "vm: $*" >&2; exit 2; }

# Kernel tag (6.1, 6.12) -> files prepared for it, as written by prepare.sh.
kernel_dir() { echo "$CACHE/k$1"; }
kernel_ver() { cat "$CACHE/k$1/KVER" 2>/dev/null || die "kernel $1 is not prepared: run tests/vm/prepare.sh $1"; }
kernel_kdir() { cat "$CACHE/k$1/KDIR" 2>/dev/null || die "kernel $1 is not prepared: run tests/vm/prepare.sh $1"; }

# The Debian mirror of this machine's apt sources.
debian_mirror() { local m; m=$("$HERE/mirror.sh"); [ -n "$m" ] || die "no Debian mirror found in the apt sources"; echo "$m"; }

# apt-get download into the shared .deb cache, once.
fetch_debs() {
  mkdir -p "$CACHE/debs"
  local p
  for p in "$@"; do
    compgen -G "$CACHE/debs/${p}_*.deb" >/dev/null || (cd "$CACHE/debs" && apt-get -o APT::Sandbox::User=root download -q "$p" >/dev/null) ||
      die "apt-get download $p failed (run apt-get update?)"
  done
}
