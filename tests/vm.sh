#!/bin/bash
# The pure cgroup v2 half of the tests, in a throw-away VM (tests/vm/vm-test.sh: Debian 12's
# kernel 6.1 under qemu, no KVM; qemu and the kernel are fetched once with apt-get download into
# VM_WORK, ~90 MB). tools/test.sh runs this when present; SKIP_VM=1 skips it.
#   1. tests/vm/run-cgroup-tests.sh: the cgroup library's host tests (tests/cgroups_host.rs), v2 files
#   2. tests/vm/run-verb-tests.sh: real containers of the static binary next to crun: pause/resume,
#      update, ps, events, OOM, the eBPF device filter, kill --all, delete --force, and the captured
#      docker/podman/containerd configs, and (tests/vm/rootless-guest.sh) a rootless rsrun run by a
#      user made in the VM, in a cgroup2 subtree delegated to it: its limits hold, as with crun
#   3. tests/vm/run-systemd-tests.sh: the systemd cgroup driver (--systemd-cgroup) next to crun's,
#      in the same VM booted with systemd as PID 1 (VM_INIT=systemd; systemd and dbus-daemon are
#      fetched once with apt-get download)
#   4. tests/vm/run-cri-systemd-tests.sh: containerd's CRI with SystemdCgroup = true (tools/cri.sh
#      setup --systemd-cgroup) in that systemd VM, the rsrun handler and the runc handler: pod,
#      container, exec, stats, update, stop and remove; each a cri-containerd-<id>.scope unit in the
#      pod's kubepods slice, nothing left afterwards (~5 min; "skipped: why" without containerd)
set -euo pipefail
[ -z "${SKIP_VM:-}" ] || { echo "vm: skipped (SKIP_VM)"; exit 0; }
cd "$(dirname "$0")/.."
export VM_WORK=${VM_WORK:-/tmp/rsrun-vm-work}
tests/vm/run-cgroup-tests.sh
tests/vm/run-verb-tests.sh
tests/vm/run-systemd-tests.sh
tests/vm/run-cri-systemd-tests.sh
