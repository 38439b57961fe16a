#!/bin/sh
# Size on disk of each runtime binary, and of the binary plus the shared libraries it loads (what a
# dynamic runtime really brings), and whether it is static.
#
#   bench/size.sh [RUNTIME...]        default: crun runc, plus target/release/rsrun if built
set -eu
BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$BENCH")
if [ $# -eq 0 ]; then
  set -- crun runc
  [ -x "$REPO/target/release/rsrun" ] && set -- "$@" "$REPO/target/release/rsrun"
fi

kb() { echo $(( ($1 + 1023) / 1024 )); }

printf '%-10s %10s %16s  %s\n' runtime "size KB" "with libs KB" linkage
for rt in "$@"; do
  case "$rt" in */*) bin=$rt ;; *) bin=$(command -v "$rt") ;; esac
  size=$(stat -L -c %s "$bin")
  total=$size
  if readelf -lW "$bin" 2>/dev/null | grep -q INTERP; then
    linkage=dynamic
    # ldd lines: "libfoo.so.1 => /path (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)".
    for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
      total=$((total + $(stat -L -c %s "$lib")))
    done
  else
    linkage=static
  fi
  printf '%-10s %10s %16s  %s\n' "$(basename "$bin")" "$(kb "$size")" "$(kb "$total")" "$linkage"
done
