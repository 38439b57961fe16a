#!/bin/sh
# Let crun run on a hybrid cgroup host (v1 controllers under /sys/fs/cgroup/<name>, cgroup2 at
# /sys/fs/cgroup/unified). crun refuses such a host while cgroup2 still owns controllers ("cgroups in
# hybrid mode not supported, drop all controllers from cgroupv2"). A controller that no v1 hierarchy
# has claimed stays with cgroup2 (on our machines only hugetlb); mounting a new v1 hierarchy for it at
# /sys/fs/cgroup/<name> moves it there and leaves cgroup2 without controllers.
#
# Safe to run repeatedly. It only creates and mounts; it never unmounts, remounts or moves anything that
# exists. On a pure cgroup v2 host (or one without /sys/fs/cgroup/unified) it does nothing. runc and
# rsrun do not need it.
set -eu
unified=/sys/fs/cgroup/unified
[ -d "$unified" ] || exit 0
[ -r "$unified/cgroup.controllers" ] || exit 0
controllers=$(cat "$unified/cgroup.controllers")
[ -n "$controllers" ] || exit 0
for c in $controllers; do
  target=/sys/fs/cgroup/$c
  if [ -e "$target" ]; then
    echo "cgroup-hybrid-for-crun: $target exists but $c is still a cgroup2 controller; leaving it" >&2
    continue
  fi
  mkdir "$target"
  mount -t cgroup -o "$c" cgroup "$target"
  echo "cgroup-hybrid-for-crun: mounted a v1 hierarchy for $c at $target"
done
left=$(cat "$unified/cgroup.controllers")
if [ -n "$left" ]; then
  echo "cgroup-hybrid-for-crun: cgroup2 still has controllers ($left); crun will refuse to run" >&2
  exit 1
fi
