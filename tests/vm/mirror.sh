#!/bin/sh
# The Debian mirror this machine's apt sources use (deb822 or one-line), or with "security" its
# security mirror (empty when there is none).
# usage: mirror.sh [security]
srcs() { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; }
if [ "${1:-}" = security ]; then
  srcs | awk '/^URIs:/ && $2 ~ /security/ {print $2; exit} /^deb / && /security/ {for(i=2;i<=NF;i++) if ($i ~ /^http/) {print $i; exit}}' | head -n1
else
  srcs | awk '/^URIs:/ && $2 !~ /security/ {print $2; exit} /^deb / && $0 !~ /security/ {for(i=2;i<=NF;i++) if ($i ~ /^http/) {print $i; exit}}' | head -n1
fi
