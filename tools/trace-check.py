#!/usr/bin/env python3
"""Checks an rsrun trace file (docs/trace.md), optionally against `strace -f -o FILE` of the same run.

    tools/trace-check.py TRACE [STRACE]

Prints one line per process (pid, name, syscalls the trace counted, syscalls of the tracing itself,
and strace's count of that process's rsrun part) and the totals, and exits 1 with the reason if the
file is not valid trace-event JSON (an array whose closing bracket may be missing), an event lacks
a field, durations are negative, a phase is not nested in its process's root event, or (with
STRACE) a process's count differs from strace's by more than TOLERANCE (default 2) syscalls.
"""
import json, os, re, sys
from collections import defaultdict


def load(path):
    text = open(path).read()
    if not text.startswith("[\n"):
        sys.exit(f"{path}: does not start with '[\\n'")
    body = text.rstrip()
    if body.endswith(","):
        body = body[:-1]
    if not body.endswith("]"):
        body += "]"
    return json.loads(body)


def check(events):
    names, roots, phases = {}, defaultdict(list), defaultdict(list)
    for e in events:
        for k in ("name", "ph", "pid", "tid"):
            if k not in e:
                sys.exit(f"event without {k}: {e}")
        if e["ph"] == "M":
            if e["name"] != "process_name" or not e["args"].get("name"):
                sys.exit(f"bad metadata event: {e}")
            names[e["pid"]] = e["args"]["name"]
        elif e["ph"] == "X":
            if e["dur"] < 0 or e["ts"] <= 0:
                sys.exit(f"bad ts/dur: {e}")
            a = e["args"]
            if "ns" not in a or "syscalls" not in a:
                sys.exit(f"args without ns/syscalls: {e}")
            if abs(a["ns"] / 1000 - e["dur"]) > 0.001:
                sys.exit(f"dur and ns disagree: {e}")
            (roots if e["name"] == names.get(e["pid"]) else phases)[e["pid"]].append(e)
        else:
            sys.exit(f"unexpected ph: {e}")
    for pid, ps in phases.items():
        if not roots[pid]:
            continue  # killed before its end (a container init that `delete -f` killed in exec wait)
        for p in ps:
            if not any(r["ts"] <= p["ts"] and p["ts"] + p["dur"] <= r["ts"] + r["dur"] + 0.001 for r in roots[pid]):
                sys.exit(f"phase outside its process's root event: {p}")
    return names, roots, phases


def strace_counts(path, rsrun_exe_re=re.compile(r'^(\d+) +execve(at)?\((?:"[^"]*rsrun"|\d+, "")')):
    """Syscalls per pid of rsrun's own part: from its execve of rsrun (a launcher's child does
    things before) and, for a process that execs something else (the container init), up to and
    including that execve."""
    lines = defaultdict(list)
    for line in open(path):
        m = re.match(r"^(\d+) +(<\.\.\. )?(\w+)", line)
        if not m or m.group(2) or line.startswith(f"{m.group(1)} +++") or line.startswith(f"{m.group(1)} ---"):
            continue
        lines[int(m.group(1))].append(line)
    counts = {}
    for pid, ls in lines.items():
        first = next((i for i, l in enumerate(ls) if rsrun_exe_re.match(l)), None)
        start = 0 if first is None else first
        n = 0
        for l in ls[start:]:
            n += 1
            if re.match(r"^\d+ +execve\(", l) and not rsrun_exe_re.match(l):
                break  # the container's process: not rsrun any more
        counts[pid] = (n, first is not None)
    return counts


NEEDED = {
    "rsrun create": ["sealed copy", "config", "validation", "state dir", "cgroups", "exec fifo", "clone3",
                     "wait for init", "state write"],
    "container init": ["namespaces", "rootfs", "mounts", "pivot_root", "masks", "process setup", "exec wait"],
    "rsrun start": ["state load", "exec fifo"],
    "rsrun delete": ["state load", "cgroups remove", "state remove"],
}


def lifecycle(names, roots, phases):
    """One create, init, start and delete: each with its phases, in the order a lifecycle runs."""
    pid = {}
    for p, n in names.items():
        if n in pid:
            sys.exit(f"two processes named {n}")
        pid[n] = p
    for n, want in NEEDED.items():
        if n not in pid:
            sys.exit(f"no process {n}")
        have = {e["name"] for e in phases[pid[n]]}
        missing = [w for w in want if w not in have]
        if missing:
            sys.exit(f"{n}: no phase {missing}")

    def ph(n, name):
        return next(e for e in phases[pid[n]] if e["name"] == name)

    def end(e):
        return e["ts"] + e["dur"]

    init_root = min(roots[pid["container init"]], key=lambda e: e["ts"])
    clone = ph("rsrun create", "clone3")
    # The child may first run after clone3 has returned in the parent (on a busy machine it is
    # scheduled later): it begins after clone3 began and before create ends.
    create_root = max(roots[pid["rsrun create"]], key=lambda e: e["ts"])
    if not clone["ts"] <= init_root["ts"] <= end(create_root):
        sys.exit(f"the init does not begin between create's clone3 and create's end: {clone} {init_root}")
    if end(ph("container init", "exec wait")) < ph("rsrun start", "exec fifo")["ts"]:
        sys.exit("the init's exec wait ended before start opened the fifo")
    if min(r["ts"] for r in roots[pid["rsrun delete"]]) < end(init_root):
        sys.exit("delete began before the init ended")
    create_roots = sorted(roots[pid["rsrun create"]], key=lambda e: e["ts"])
    if len(create_roots) != 2 or end(create_roots[0]) > create_roots[1]["ts"]:
        sys.exit(f"create: want two images one after the other (the sealed re-exec): {create_roots}")
    print("lifecycle order: ok")


def main():
    events = load(sys.argv[1])
    names, roots, phases = check(events)
    tol = int(os.environ.get("TOLERANCE", "2"))
    st = strace_counts(sys.argv[2]) if len(sys.argv) > 2 else {}
    total_trace = total_strace = 0
    bad, rootless = [], []
    for pid in sorted(set(roots) | set(phases)):
        if not roots[pid]:
            print(f"{pid:>8} {names.get(pid, '?'):<16} no root event: killed before its end")
            if os.environ.get("REQUIRE_ROOTS"):
                rootless.append(pid)
            continue
        counted = sum(r["args"]["syscalls"] or 0 for r in roots[pid])
        own = sum(r["args"].get("trace", 0) for r in roots[pid])
        total_trace += counted
        line = f"{pid:>8} {names[pid]:<16} syscalls {counted:>4}  tracing {own:>3}"
        if st:
            s, _ = st.get(pid, (0, False))
            total_strace += s
            line += f"  strace {s:>4}  diff {s - counted - own:+d}"
            if abs(s - counted - own) > tol:
                bad.append(pid)
        print(line)
    print(f"total syscalls counted by the trace: {total_trace}" + (f"; strace (rsrun's processes): {total_strace}, of which tracing {sum(sum(r['args'].get('trace', 0) for r in rs) for rs in roots.values())}" if st else ""))
    if os.environ.get("LIFECYCLE"):
        lifecycle(names, roots, phases)
    if rootless:
        sys.exit(f"processes without a root event (REQUIRE_ROOTS): {rootless}")
    if bad:
        sys.exit(f"processes whose count differs from strace's by more than {tol}: {bad}")


if __name__ == "__main__":
    main()
