#!/bin/sh
# Runs a program of a tree prepare.sh extracted from another Debian suite (<dir>/root) through that
# suite's own loader and libraries, never the host's. usage: extracted-exec.sh <dir> <program> ARGS...
D=$1 P=$2; shift 2
L=$D/root/usr/lib/x86_64-linux-gnu
[ -x "$D/root/$P" ] || { echo "$D/root/$P missing: run tests/vm/prepare.sh tools" >&2; exit 2; }
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" "$D/root/$P" "$@"
