#!/bin/bash
# tests/vm/run-cgroup-tests.sh [--count] [TEST-BINARY-ARGS...]
# Runs the cgroup library's host tests (tests/cgroups_host.rs) as root inside a throw-away VM with
# pure cgroup v2 (tests/vm/vm-test.sh: Debian 12's kernel 6.1, busybox initramfs, no systemd), the
# other half of what this machine's hybrid v1 hierarchy can show. The tests are mode-agnostic: they
# read back the v2 files there. Arguments go to the test binary (a name filter, --exact, ...).
#
# The integration test binary links glibc dynamically: it goes into the VM through the shared TESTDIR
# (/mnt inside), so a checkout anywhere works (vm-test.sh's stage one skips /tmp), and vm-test.sh
# copies its ldd libraries into the initramfs (VM_BINARIES; add e.g. /usr/bin/crun as a reference).
# --count: afterwards, count the library's syscalls for create and delete inside the VM as well
# (tests/vm/count-cgroup-syscalls.sh under strace, which then comes along into the VM).
# Env: VM_WORK: where qemu and the kernel are unpacked once (~90 MB; default /tmp/rsrun-vm-work).
# Exit status: the test binary's (124: VM timed out, 125: no result).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=$(cd "$repo" && cargo test --no-run --test cgroups_host --message-format=json 2>/dev/null |
      grep -o '"executable":"[^"]*cgroups_host[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bin" ] || { echo "could not build the cgroups_host test binary"; exit 2; }
count=""
if [ "${1:-}" = --count ]; then count=1; shift; fi
t=$(mktemp -d /tmp/rsrun-cgroup-vm.XXXXXX)
trap 'rm -rf "$t"' EXIT
args=""
for a in "$@"; do args="$args '$a'"; done
cat > "$t/run.sh" <<RUN
#!/bin/sh
# Inside the VM (cwd /mnt). Report how long the boot took, then run the tests.
echo "VM up after \$(cut -d' ' -f1 /proc/uptime) s; cgroup2 controllers: \$(cat /sys/fs/cgroup/cgroup.controllers)"
# A block device for the blockIO tests (the VM has none otherwise).
dd if=/dev/zero of=/tmp/disk bs=1M count=4 2>/dev/null && losetup /dev/loop0 /tmp/disk
cd /tmp && /mnt/cgroups_host --test-threads=2 $args
rc=\$?
[ -n "$count" ] && sh /mnt/count-cgroup-syscalls.sh /mnt/cgroups_host
echo "tests done at \$(cut -d' ' -f1 /proc/uptime) s (uptime)"
exit \$rc
RUN
chmod +x "$t/run.sh"
cp "$here/count-cgroup-syscalls.sh" "$t/"
cp "$bin" "$t/cgroups_host"
extra=""
[ -n "$count" ] && extra=$(command -v strace)
start=$(date +%s.%N)
set +e
VM_MODULES="drivers/block/loop ${VM_MODULES:-}" VM_BINARIES="$bin $extra ${VM_BINARIES:-}" "$here/vm-test.sh" "${VM_WORK:-/tmp/rsrun-vm-work}" "$t"
rc=$?
set -e
echo "run-cgroup-tests: VM exit $rc after $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
exit $rc
