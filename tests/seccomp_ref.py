#!/usr/bin/python3
"""Reference side of the seccomp differential tests: libseccomp (python3-seccomp) driven the way runc
1.1 drives it, so tests/seccomp_diff.rs can compare our compiler's decisions with runc's.

  seccomp_ref.py convert CONFIG.json   print CONFIG's linux.seccomp in the line format below
  seccomp_ref.py resolve < NAMES       print `NAME X86_64 X86 X32` as libseccomp numbers them (- unknown)
  seccomp_ref.py bpf < PROFILES        build each filter like runc, print its program and runc's
                                       -ENOSYS stub parameters; profiles and answers end with `---`

Line format (one item per line, `-` = absent errno):
  default ACTION ERRNO | arch SCMP_ARCH_X | rule ACTION ERRNO NAME... | arg INDEX OP VALUE VALUE_TWO
(`arg` lines belong to the rule above them.)

Output of `bpf`: `stub AUDIT_ARCH X32MODE MAX` lines (runc's patchbpf: nr > MAX on that arch/mode
returns ERRNO(ENOSYS) before the libseccomp filter runs; X32MODE is -, x86_64 or x32), then
programs, each a `prog WHICH` line and `insn CODE JT JF K` lines (see bpf()).
"""
import json
import os
import struct
import sys

import seccomp as S

ARCHES = {
    "SCMP_ARCH_X86_64": S.Arch.X86_64,
    "SCMP_ARCH_X86": S.Arch.X86,
    "SCMP_ARCH_X32": S.Arch.X32,
}
OPS = {"SCMP_CMP_NE": S.NE, "SCMP_CMP_LT": S.LT, "SCMP_CMP_LE": S.LE, "SCMP_CMP_EQ": S.EQ,
       "SCMP_CMP_GE": S.GE, "SCMP_CMP_GT": S.GT, "SCMP_CMP_MASKED_EQ": S.MASKED_EQ}
EPERM, ENOSYS = 1, 38


def action(name, errno):
    """runc's getAction: ERRNO/TRACE default to EPERM; errnoRet is an int16 to libseccomp-golang."""
    e = EPERM if errno is None else errno & 0xFFFF
    return {
        "SCMP_ACT_KILL": S.KILL, "SCMP_ACT_KILL_THREAD": S.KILL,
        "SCMP_ACT_KILL_PROCESS": S.KILL_PROCESS, "SCMP_ACT_TRAP": S.TRAP,
        "SCMP_ACT_ERRNO": S.ERRNO(e), "SCMP_ACT_TRACE": S.TRACE(e), "SCMP_ACT_ALLOW": S.ALLOW,
        "SCMP_ACT_LOG": S.LOG, "SCMP_ACT_NOTIFY": S.NOTIFY,
    }[name]


def convert(path):
    sc = json.load(open(path))["linux"]["seccomp"]
    errno = sc.get("defaultErrnoRet")
    print("default", sc["defaultAction"], "-" if errno is None else errno)
    for a in sc.get("architectures") or []:
        print("arch", a)
    for r in sc.get("syscalls") or []:
        errno = r.get("errnoRet")
        print("rule", r["action"], "-" if errno is None else errno, *r["names"])
        for a in r.get("args") or []:
            print("arg", a["index"], a["op"], a.get("value", 0), a.get("valueTwo", 0))


def parse(lines):
    prof = {"default": None, "arches": [], "rules": []}
    for line in lines:
        w = line.split()
        if not w:
            continue
        if w[0] == "default":
            prof["default"] = (w[1], None if w[2] == "-" else int(w[2]))
        elif w[0] == "arch":
            prof["arches"].append(w[1])
        elif w[0] == "rule":
            prof["rules"].append({"action": w[1], "errno": None if w[2] == "-" else int(w[2]),
                                  "names": w[3:], "args": []})
        elif w[0] == "arg":
            prof["rules"][-1]["args"].append((int(w[1]), w[2], int(w[3]), int(w[4])))
    return prof


def resolve(arch, name):
    try:
        nr = S.resolve_syscall(arch, name)
    except (ValueError, RuntimeError):
        return None
    return nr if nr >= 0 else None


def build(prof, only=None):
    """runc's InitSeccomp; `only` keeps just the arches of one audit arch (see bpf())."""
    defact = action(*prof["default"])
    f = S.SyscallFilter(defact)
    arches = [a for a in prof["arches"] if a in ARCHES]
    if only == "x86":
        f.remove_arch(S.Arch.NATIVE)
        arches = ["SCMP_ARCH_X86"]
    elif only == "x86_64":
        arches = [a for a in arches if a != "SCMP_ARCH_X86"]
    for a in arches:
        if not f.exist_arch(ARCHES[a]):
            f.add_arch(ARCHES[a])
    # runc's config.Syscalls holds one entry per name.
    calls = [(n, r) for r in prof["rules"] for n in r["names"]]
    if len(calls) > 32:
        f.set_attr(S.Attr.CTL_OPTIMIZE, 2)
    f.set_attr(S.Attr.CTL_NNP, 0)
    for name, r in calls:  # runc's matchCall
        act = action(r["action"], r["errno"])
        if act == defact:
            continue
        if resolve(S.Arch.NATIVE, name) is None and all(
                resolve(ARCHES[a], name) is None for a in ARCHES):
            continue  # unknown to libseccomp: runc skips it
        conds = [S.Arg(i, OPS[op], v, v2) for (i, op, v, v2) in r["args"]]
        idx = [a[0] for a in r["args"]]
        if not conds:
            f.add_rule(act, name)
        elif len(set(idx)) != len(idx):
            for c in conds:
                f.add_rule(act, name, c)
        else:
            f.add_rule(act, name, *conds)
    return f


def stub(prof):
    """runc's patchbpf.generatePatch / findLastSyscalls."""
    kind = prof["default"][0]
    if kind in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"):
        return []
    out, seen = [], set()
    names = [n for r in prof["rules"] for n in r["names"]]
    for a in prof["arches"]:
        if a not in ARCHES or a in seen:
            continue
        seen.add(a)
        nrs = [resolve(ARCHES[a], n) for n in names]
        nrs = [n for n in nrs if n is not None]
        if nrs and max(nrs) != 0:
            audit = 0x40000003 if a == "SCMP_ARCH_X86" else 0xC000003E
            mode = {"SCMP_ARCH_X86": "-", "SCMP_ARCH_X86_64": "x86_64", "SCMP_ARCH_X32": "x32"}[a]
            out.append((audit, mode, max(nrs)))
    return out


def export(f):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        with os.fdopen(w, "wb") as fo:
            f.export_bpf(fo)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as fi:
        raw = fi.read()
    os.waitpid(pid, 0)
    for off in range(0, len(raw), 8):
        code, jt, jf, k = struct.unpack("=HBBI", raw[off:off + 8])
        print("insn", code, jt, jf, k)


def bpf(prof):
    """Prints runc's program (`prog all`) and, because libseccomp 2.5.4 sometimes omits the syscall
    number load in the second arch section of a multi-arch filter, the same filter built for the
    AUDIT_ARCH_X86_64 arches alone (`prog x86_64`) and for x86 alone (`prog x86`, if listed)."""
    for audit, mode, mx in stub(prof):
        print("stub", audit, mode, mx)
    print("prog all")
    export(build(prof))
    print("prog x86_64")
    export(build(prof, "x86_64"))
    if "SCMP_ARCH_X86" in prof["arches"]:
        print("prog x86")
        export(build(prof, "x86"))


if __name__ == "__main__":
    if sys.argv[1] == "convert":
        convert(sys.argv[2])
    elif sys.argv[1] == "resolve":
        for name in sys.stdin.read().split():
            nrs = [resolve(ARCHES[a], name) for a in ("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32")]
            print(name, *("-" if n is None else n for n in nrs))
    elif sys.argv[1] == "bpf":
        chunk = []
        for line in sys.stdin:
            if line.strip() != "---":
                chunk.append(line)
                continue
            try:
                bpf(parse(chunk))
            except Exception as e:  # reported to the test, which fails on it
                print("error", type(e).__name__, str(e).replace("\n", " "))
            print("---", flush=True)
            chunk = []
