#!/bin/sh
# Build the bench helpers into bench/out/ (gitignored): rss, the peak-RSS launcher (no libc, static).
set -eu
cd "$(dirname "$0")"
mkdir -p out
gcc -static -O2 -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables \
  -no-pie -Wall -Wextra -o out/rss rss.c
# floor: the kernel-only lifecycle (bench/floor.sh).
gcc -static -O2 -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables \
  -no-pie -Wall -Wextra -o out/floor floor.c
