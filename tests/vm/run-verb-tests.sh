#!/bin/bash
# tests/vm/run-verb-tests.sh [SECTION]
# The cgroup verbs (pause/resume, update, ps, events, OOM, device filter, kill --all, delete --force
# of a paused container) on pure cgroup v2: boots the throw-away VM of tests/vm/vm-test.sh once and
# runs tests/vm/verbs-guest.sh inside it against the static release binary, with crun 1.8.1 (and
# jq) copied in as the reference. SECTION (pause, update, ps, oom, devices, kill, crash, fixtures,
# rootless) runs only that part; "rootless" is tests/vm/rootless-guest.sh: a rootless rsrun in a
# delegated cgroup subtree, run as its user by util-linux setpriv (copied in too). Prints one
# ok/FAIL line per check, then the boot and run times.
# Env: VM_WORK: where qemu and the kernel are unpacked (~90 MB, fetched once with apt-get download;
#      default /tmp/rsrun-vm-work). Do not share one VM_WORK between runs at the same time: each run
#      rebuilds its initramfs there.
# Exit status: the number of failed checks (124: VM timed out, 125: no result).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
(cd "$repo" && cargo build --release -q)
bin=$repo/target/release/rsrun
readelf -l "$bin" | grep -q INTERP && { echo "$bin is not static"; exit 2; }
t=$(mktemp -d /tmp/rsrun-verbs-vm.XXXXXX)
trap 'rm -rf "$t"' EXIT
cp "$bin" "$t/rsrun"
cp "$repo/tools/config-default.json" "$t/config.json"
# vm-test.sh runs TESTDIR/run.sh: the guest script with the section argument baked in.
{ echo '#!/bin/sh'; echo "exec sh /mnt/verbs-guest.sh ${1:-}"; } > "$t/run.sh"
cp "$here/verbs-guest.sh" "$here/rootless-guest.sh" "$t/"
cp -r "$repo/tests/fixtures/configs" "$t/fixtures"
chmod +x "$t/run.sh"
start=$(date +%s.%N)
set +e
VM_BINARIES="/usr/bin/crun $(command -v jq) /usr/bin/setpriv ${VM_BINARIES:-}" "$here/vm-test.sh" "${VM_WORK:-/tmp/rsrun-vm-work}" "$t"
rc=$?
set -e
echo "run-verb-tests: VM exit $rc after $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s (boot + run, host clock)"
exit $rc
