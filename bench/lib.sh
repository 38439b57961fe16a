# Shared by the bench scripts (sourced). Sets BENCH (bench/), REPO, OUT (bench/out), BUNDLE.
set -eu
BENCH=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$BENCH")
OUT=$BENCH/out
BUNDLE=$OUT/bundle

[ "$(id -u)" = 0 ] || { echo "$(basename "$0"): run as root (containers need it)" >&2; exit 1; }
mkdir -p "$OUT"

# The bench bundle: busybox, `crun spec` config (tools/config-default.json) with terminal false and
# args ["/bin/true"]. Made once; delete bench/out/bundle to remake it.
bench_bundle() {
  if [ ! -f "$BUNDLE/config.json" ]; then
    rm -rf "$BUNDLE"
    "$REPO/tools/mkbundle.sh" "$BUNDLE"
  fi
}

# bench/out/rss, the peak-RSS launcher (also the no-shell driver for hyperfine and strace).
bench_launcher() {
  if [ ! -x "$OUT/rss" ] || [ "$BENCH/rss.c" -nt "$OUT/rss" ]; then
    "$BENCH/build.sh"
  fi
}

# Absolute path of a runtime given as a name in PATH or a path.
runtime_path() {
  case "$1" in
    */*) [ -x "$1" ] || { echo "no executable $1" >&2; exit 1; }; (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")") ;;
    *) command -v "$1" || { echo "$1 not found in PATH" >&2; exit 1; } ;;
  esac
}

# A private --root per runtime label, emptied first.
runtime_root() {
  r=$OUT/root-$1
  rm -rf "$r"
  mkdir -p "$r"
  echo "$r"
}

# crun needs the hybrid-cgroup fix on hybrid hosts; harmless elsewhere.
"$REPO/tools/cgroup-hybrid-for-crun.sh" >/dev/null

# Runtimes to measure: the arguments, or crun and runc.
default_runtimes() {
  if [ $# -gt 0 ]; then echo "$@"; else echo crun runc; fi
}

# The floor's cgroup arguments for directories named NAME: "CGROUP2_DIR V1_DIR..." (or "- V1_DIR...")
# for every cgroup hierarchy of this host, as rsrun uses them (the cgroup2 mount for
# CLONE_INTO_CGROUP, each v1 mount joined by the child).
floor_dirs() {
  fv2=- fv1=
  while read -r mp fstype; do
    case $fstype in
      cgroup2) fv2=$mp/$1 ;;
      cgroup) fv1="$fv1 $mp/$1" ;;
    esac
  done <<EOT
$(awk '{ for (i = 7; $i != "-"; i++); print $5, $(i + 1) }' /proc/self/mountinfo | awk '$2 ~ /^cgroup2?$/' | sort -u)
EOT
  echo "$fv2$fv1"
}
