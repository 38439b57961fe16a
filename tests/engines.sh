#!/bin/bash
# rsrun behind real engines: podman, docker (dockerd started by tools/engines.sh) and containerd's
# ctr, on this machine (root, no registry, no systemd, hybrid cgroups). tools/test.sh runs this when
# present; it installs podman and docker.io the first time (~70 s of apt) and tears the daemons down
# at the end. Set SKIP_ENGINES=1 to skip it.
set -euo pipefail
[ -z "${SKIP_ENGINES:-}" ] || { echo "engines: skipped (SKIP_ENGINES)"; exit 0; }
cd "$(dirname "$0")/.."
rt=$PWD/target/release/rsrun
E=tools/engines.sh
trap '$E teardown' EXIT
fail=0
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "engines: $1 ok"; else echo "engines: $1 FAILED: want [$2] got [$3]"; fail=1; fi
}
contains() { # contains NAME NEEDLE TEXT
  case $3 in *"$2"*) echo "engines: $1 ok" ;; *) echo "engines: $1 FAILED: [$2] not in [$3]"; fail=1 ;; esac
}

$E smoke "$rt"

# Resources and security settings arrive in the container.
out=$($E docker run --rm --runtime=rsrun --network none -m 64m --pids-limit 50 localhost/bb \
  sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max' 2>&1 || true)
check "docker -m 64m --pids-limit 50" "$(printf '67108864\n50')" "$out"
out=$($E podman run --rm --runtime rsrun localhost/bb sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status' 2>&1 || true)
check "podman seccomp" "$(printf 'NoNewPrivs:\t0\nSeccomp:\t2')" "$out"
out=$($E docker run --rm --runtime=rsrun --network none localhost/bb sh -c 'unshare -U true 2>&1; echo rc=$?' 2>&1 || true)
contains "docker seccomp denies unshare" "rc=1" "$out"
out=$($E docker run --rm --runtime=rsrun --network none localhost/bb sh -c 'exit 3' 2>&1; echo "rc=$?") || true
contains "docker exit status" "rc=3" "$out"

# The engines show the user rsrun's error (the last "level":"error" line of --log).
out=$($E docker run --rm --runtime=rsrun --network none localhost/bb /nonexistent 2>&1 || true)
contains "docker shows the error" 'exec: "/nonexistent"' "$out"
out=$($E podman run --rm --runtime rsrun localhost/bb /nonexistent 2>&1 || true)
contains "podman shows the error" 'exec: "/nonexistent"' "$out"

# Detached containers: stop and remove through the engine (kill, delete --force).
id=$($E docker run -d --runtime=rsrun --network none localhost/bb sleep 1000)
$E docker stop -t 1 "$id" >/dev/null
$E docker rm "$id" >/dev/null && echo "engines: docker stop + rm ok"
exit $fail
