#!/bin/sh
# Fuzz rsrun's parsers with libFuzzer (cargo-fuzz, on the nightly toolchain), one target at a time.
#
#   bench/fuzz.sh [SECONDS] [TARGET...]     default: 60 seconds each, every target in fuzz/Cargo.toml
#   RUNS=10000000 bench/fuzz.sh 3600 spec   stop a target after RUNS executions (or SECONDS)
#
# Prints one line per target: executions, exec/s, coverage (cov = edges, ft = features), seconds,
# crashes (crash/leak/timeout/oom inputs found; each is kept under $FUZZ_WORK/artifacts/TARGET/).
# Exit status 1 if any target found one. docs/fuzzing.md says what each target checks.
#
# Builds with `cargo +nightly fuzz build -a -s $SANITIZER` (release, debug assertions on: overflow
# checks too). SANITIZER is address (AddressSanitizer, the default) or none: without ASan the
# targets run 2-4x faster (Rust's bounds and overflow checks stay on), which is how the 10^7-execution
# runs of docs/fuzzing.md were made; each sanitizer builds in its own fuzz/target/SANITIZER/.
# The targets in NOCMP (devices, seccomp_compile) come from a second build with
# --no-trace-compares in fuzz/target/SANITIZER-nocmp: their inputs are decoded through tables (a byte picks a
# name, an action, an operator), so comparison tracing has no input bytes to solve, while its
# callbacks on every comparison of the oracle (an interpreter run ~1,000 times per input) cost
# 60% of each execution. devices reads 64 bytes at most and runs with -max_len=64.
# Installs cargo-fuzz with `cargo install` when it is missing (the only network use). Fuzzers run
# at nice 19, one process (-jobs=1 -workers=1), with -rss_limit_mb=$RSS_MB (default 2048) and a
# 10 s per-input timeout. Corpora grow in $FUZZ_WORK (default ${TMPDIR:-/tmp}/rsrun-fuzz), outside
# the repository, seeded from fuzz/seeds/TARGET/ and, for the JSON targets, tests/fixtures and
# ../shared/fixtures/configs when present. fuzz/TARGET.dict is passed as -dict when it exists.
set -eu
cd "$(dirname "$0")/.."
REPO=$PWD
SECS=${1:-60}
[ $# -gt 0 ] && shift
WORK=${FUZZ_WORK:-${TMPDIR:-/tmp}/rsrun-fuzz}
RSS_MB=${RSS_MB:-2048}

[ -x "$HOME/.cargo/bin/cargo" ] && PATH=$HOME/.cargo/bin:$PATH
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz.sh: no nightly toolchain (cargo +nightly); libFuzzer's instrumentation needs one" >&2
  exit 2
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked >&2
fi

cd "$REPO/fuzz"
targets=${*:-$(cargo fuzz list)}
NOCMP=${NOCMP-devices seccomp_compile}
nocmp() { case " $NOCMP " in *" $1 "*) return 0 ;; esac; return 1; }
# One build of every target per mode: building them one by one recompiles rsrun each time.
need_cmp=0 need_nocmp=0
for t in $targets; do if nocmp "$t"; then need_nocmp=1; else need_cmp=1; fi; done
SANITIZER=${SANITIZER:-address}
case $SANITIZER in address | none) ;; *) echo "fuzz.sh: SANITIZER must be address or none" >&2; exit 2 ;; esac
cmpdir=$REPO/fuzz/target/$SANITIZER
nocmpdir=$REPO/fuzz/target/$SANITIZER-nocmp
[ $need_cmp = 1 ] && cargo +nightly fuzz build -a -s "$SANITIZER" --target-dir "$cmpdir" >&2
[ $need_nocmp = 1 ] && cargo +nightly fuzz build -a -s "$SANITIZER" --no-trace-compares --target-dir "$nocmpdir" >&2

printf '%-16s %12s %8s %6s %7s %6s %7s\n' target executions exec/s cov ft secs crashes
found=0
for t in $targets; do
  corpus=$WORK/corpus/$t
  art=$WORK/artifacts/$t
  logdir=$WORK/logs/$t
  mkdir -p "$corpus" "$art" "$logdir"
  seeds=""
  [ -d "$REPO/fuzz/seeds/$t" ] && seeds="$REPO/fuzz/seeds/$t"
  case $t in
    json | spec)
      for f in "$REPO"/tests/fixtures/*.json "$REPO"/tests/fixtures/configs/*.json \
        "$REPO"/../shared/fixtures/configs/*.json; do
        [ -f "$f" ] && cp "$f" "$corpus/"
      done ;;
  esac
  dict=""
  [ -f "$REPO/fuzz/$t.dict" ] && dict="-dict=$REPO/fuzz/$t.dict"
  runs=""
  [ -n "${RUNS:-}" ] && runs="-runs=$RUNS"
  bin=$cmpdir/x86_64-unknown-linux-gnu/release/$t
  nocmp "$t" && bin=$nocmpdir/x86_64-unknown-linux-gnu/release/$t
  maxlen=""
  [ "$t" = devices ] && maxlen="-max_len=64"
  before=$(ls "$art" | wc -l)
  start=$(date +%s)
  # -jobs=1 runs the fuzzer in a child whose output goes to fuzz-0.log in the current directory.
  # shellcheck disable=SC2086
  (cd "$logdir" && nice -n 19 "$bin" -jobs=1 -workers=1 -max_total_time="$SECS" $runs $maxlen \
    -rss_limit_mb="$RSS_MB" -timeout=10 -print_final_stats=1 -artifact_prefix="$art/" $dict \
    "$corpus" $seeds >"$logdir/run.log" 2>&1) || true
  secs=$(($(date +%s) - start))
  log=$logdir/fuzz-0.log
  [ -f "$log" ] || log=$logdir/run.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n1 || true)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  crashes=$(($(ls "$art" | wc -l) - before))
  [ "$crashes" -gt 0 ] && found=1
  printf '%-16s %12s %8s %6s %7s %6s %7s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$secs" "$crashes"
done
exit $found
