#!/bin/sh
# Optional suite (tools/test.sh step 7, skipped with SKIP_OPTIONAL=1): every fuzz target for a few
# seconds (FUZZ_SMOKE_SECS, default 3) from its committed seeds, through bench/fuzz.sh. It catches a
# target that no longer builds or a crash on the seeds' neighbourhood; the real runs (10^7
# executions per target) are bench/fuzz.sh's job, see docs/fuzzing.md. About 1.5 minutes with
# cargo-fuzz installed and the fuzz crate's dependencies built; the first run on a machine also
# installs cargo-fuzz (cargo install, a few minutes).
set -eu
cd "$(dirname "$0")/.."
[ -x "$HOME/.cargo/bin/cargo" ] && PATH=$HOME/.cargo/bin:$PATH
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "skipped: no nightly toolchain (cargo +nightly), which libFuzzer's instrumentation needs"
  exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/rsrun-fuzz-smoke.XXXXXX")
status=0
FUZZ_WORK=$work bench/fuzz.sh "${FUZZ_SMOKE_SECS:-3}" || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz smoke: failed (status $status); inputs kept in $work/artifacts" >&2
  exit "$status"
fi
rm -rf "$work"
echo "fuzz smoke: ok"
