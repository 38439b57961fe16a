#!/bin/sh
# The CI soak (tools/test.sh runs it after the build): bench/soak.sh with SOAK_CYCLES (default 500)
# cycles of the release binary: lifecycle, run and exec in turn, then the host checked for leftover
# fds, mounts, cgroups, state, processes and kernel memory (about 20 s here; bench/soak.sh says
# what it checks). The full soak is `bench/soak.sh` (10,000 cycles). SKIP_SOAK=1 skips it.
set -eu
[ -z "${SKIP_SOAK:-}" ] || { echo "soak: skipped (SKIP_SOAK)"; exit 0; }
cd "$(dirname "$0")/.."
[ -x target/release/rsrun ] || cargo build --release
PROGRESS=${PROGRESS:-250} exec bench/soak.sh "${SOAK_CYCLES:-500}" "$PWD/target/release/rsrun"
