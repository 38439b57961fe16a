#!/bin/sh
# Prepare a fresh Debian 12 machine (as root) to build, test and benchmark rsrun, then run a first
# container with it.
#
#   tools/setup.sh           everything below (as root)
#   tools/setup.sh --deps    only the packages (and Rust if missing); tools/test.sh uses this
#   tools/setup.sh --fuzz    also cargo-fuzz, for bench/fuzz.sh (which installs it by itself when
#                            missing); needs the nightly toolchain the machine ships
#
# 1. apt packages: the reference runtimes (crun, runc), busybox-static for test bundles, strace and
#    hyperfine for benches, jq for config edits, python3 + python3-seccomp, headers and a C toolchain
#    (g++ too: libFuzzer, built by the fuzz targets' libfuzzer-sys, is C++); tmux (tests/engines.sh
#    drives `-it` sessions through a real pty with it); for tests/cri.sh (tools/cri.sh): containerd
#    with its CRI plugin, the CNI plugins, iproute2, and Debian's python3-grpcio, python3-protobuf,
#    protobuf-compiler, python3-yaml for the CRI client; for tests/rootless.sh (rootless rsrun and
#    rootless podman): uidmap (newuidmap/newgidmap), passwd (useradd), slirp4netns and
#    fuse-overlayfs (rootless podman's helpers).
# 2. Rust: assumed installed (stable >= 1.88, with clippy; developed on 1.95). If no cargo is found,
#    rustup installs RUST_TOOLCHAIN (default 1.95.0, minimal profile + clippy) for root.
# 3. tools/cgroup-hybrid-for-crun.sh (crun on hybrid cgroup hosts; a no-op elsewhere).
# 4. cargo build --release.
# 5. Demo: a busybox bundle run with `target/release/rsrun run`.
set -eu
cd "$(dirname "$0")/.."
REPO=$PWD

PACKAGES="crun runc busybox-static strace hyperfine jq python3 python3-seccomp linux-libc-dev gcc make
  libc6-dev binutils git procps util-linux g++ tmux
  containerd containernetworking-plugins iproute2 python3-grpcio python3-protobuf protobuf-compiler
  python3-yaml uidmap passwd slirp4netns fuse-overlayfs"

say() { printf '\n==> %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root" >&2; exit 1; }

say "apt packages"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $PACKAGES
# The engines tests/engines.sh drives, installed as tools/engines.sh would (podman with its
# recommended helpers, docker.io without).
apt-get -o DPkg::Lock::Timeout=600 install -y podman
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends docker.io

# Find cargo: PATH, root's rustup, or (when run through sudo) the invoking user's rustup.
find_cargo() {
  command -v cargo && return 0
  for d in "$HOME/.cargo/bin" /root/.cargo/bin ${SUDO_USER:+$(getent passwd "$SUDO_USER" | cut -d: -f6)/.cargo/bin}; do
    [ -x "$d/cargo" ] && { echo "$d/cargo"; return 0; }
  done
  return 1
}

say "Rust toolchain"
if cargo=$(find_cargo); then
  PATH=$(dirname "$cargo"):$PATH
  echo "using $cargo ($(cargo --version))"
else
  toolchain=${RUST_TOOLCHAIN:-1.95.0}
  echo "no cargo found: installing rustup with Rust $toolchain"
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends curl ca-certificates
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs |
    sh -s -- -y --profile minimal --default-toolchain "$toolchain" --component clippy
  PATH=$HOME/.cargo/bin:$PATH
fi
if ! cargo clippy --version >/dev/null 2>&1; then
  command -v rustup >/dev/null && rustup component add clippy
fi

if [ "${1:-}" = --fuzz ]; then
  say "cargo-fuzz (bench/fuzz.sh)"
  cargo +nightly --version || { echo "setup.sh: no nightly toolchain for cargo-fuzz" >&2; exit 1; }
  cargo fuzz --version 2>/dev/null || cargo install cargo-fuzz --locked
  exit 0
fi
[ "${1:-}" = --deps ] && exit 0

say "cgroups: let crun run on a hybrid host"
tools/cgroup-hybrid-for-crun.sh

say "cargo build --release"
cargo build --release

say "demo: a busybox container run by target/release/rsrun"
demo=/tmp/rsrun-demo
id=rsrun-demo-$$
rm -rf "$demo"
tools/mkbundle.sh "$demo/bundle"
jq '.process.args = ["sh", "-c", "echo \"Hello from a busybox container run by rsrun: hostname $(hostname), pid $$, uid $(id -u)\""]' \
  "$demo/bundle/config.json" > "$demo/config.json" && mv "$demo/config.json" "$demo/bundle/config.json"
mkdir -p "$demo/root"
echo "\$ target/release/rsrun --root $demo/root run --bundle $demo/bundle $id"
set +e
"$REPO/target/release/rsrun" --root "$demo/root" run --bundle "$demo/bundle" "$id" > "$demo/out" 2>&1
status=$?
set -e
cat "$demo/out"
"$REPO/target/release/rsrun" --root "$demo/root" delete --force "$id" >/dev/null 2>&1 || true
ok=0
[ $status = 0 ] && grep -q '^Hello from a busybox container run by rsrun: hostname crun, pid 1, uid 0$' "$demo/out" && ok=1
# Remove the demo directory unless something is still mounted inside it.
if awk -v d="$demo" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
  echo "setup.sh: something is still mounted under $demo; not removing it" >&2
else
  rm -rf "$demo"
fi
if [ $ok = 1 ]; then
  say "rsrun works. Next: tools/test.sh (as root)"
else
  echo
  echo "setup.sh: the demo container did not print the expected line (exit status $status)." >&2
  exit 1
fi
