#!/usr/bin/env python3
"""Where the bytes of target/release/rsrun's code are: .text attributed to source lines.

    tools/size-report.py [file|line|fn] [N]      default: file 40

Builds the release binary once more, unstripped and with line tables (same code: debug info does not
change codegen), into target/size-report, then gives every byte of .text to the innermost *rsrun*
source location of the DWARF line table (inlined frames included, via addr2line -i), so that std and
rustix code inlined into a function counts where it was written in src/:
  file   bytes per source file
  line   bytes per file:line (a macro's expansion counts at the macro's line)
  fn     bytes per rsrun function (the innermost one in the inline chain)

Symbol sizes (nm --size-sort) say little here: with fat LTO and opt-level "z" most of the program
is inlined into a dozen functions (create, dispatch, init::run, ...). Needs llvm-dwarfdump (apt-get
install -y llvm) and addr2line (binutils). Takes about a minute.
"""
import collections
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.path.join(ROOT, "target", "size-report")
BIN = os.path.join(TARGET, "release", "rsrun")


def build():
    env = dict(os.environ, CARGO_PROFILE_RELEASE_STRIP="false", CARGO_PROFILE_RELEASE_DEBUG="line-tables-only",
               CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, env=env, check=True)


def ranges():
    """(address, size) of every row of the line table."""
    out = subprocess.run(["llvm-dwarfdump", "--debug-line", BIN], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.split("\n"):
        m = re.match(r"0x([0-9a-f]+)\s+\d+\s+\d+\s+\d+\s.*?(end_sequence)?\s*$", line)
        if m:
            rows.append((int(m.group(1), 16), bool(m.group(2))))
    for (addr, end), (nxt, _) in zip(rows, rows[1:]):
        if not end and 0 < nxt - addr < 100000:
            yield addr, nxt - addr


def frames(addrs):
    """address -> [(function, file:line)], innermost first."""
    out = subprocess.run(["addr2line", "-f", "-C", "-i", "-a", "-e", BIN], input="\n".join(hex(a) for a in addrs),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    result, cur, i = {}, None, 0
    while i < len(out):
        if out[i].startswith("0x"):
            cur = int(out[i], 16)
            result[cur] = []
            i += 1
        elif out[i] and i + 1 < len(out):
            result[cur].append((out[i], out[i + 1]))
            i += 2
        else:
            i += 1
    return result


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "file"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    build()
    rs = list(ranges())
    fr = frames([a for a, _ in rs])
    count = collections.Counter()
    for addr, size in rs:
        chain = fr.get(addr, [])
        ours = [(f, loc) for f, loc in chain if "/src/" in loc and "/rustc/" not in loc and "/registry/" not in loc]
        fn, loc = ours[0] if ours else (chain[0] if chain else ("?", "?:0"))
        loc = re.sub(r" \(discriminator \d+\)", "", loc)
        loc = loc[len(ROOT) + 1:] if loc.startswith(ROOT) else re.sub(r"^/rustc/[0-9a-f]+/|^.*/registry/src/[^/]+/", "", loc)
        key = {"file": loc.rsplit(":", 1)[0], "line": loc, "fn": fn}[mode]
        count[key] += size
    for key, size in count.most_common(n):
        print(f"{size:8} {key}")
    print(f"{sum(count.values()):8} total .text bytes with line info")


if __name__ == "__main__":
    main()
