#!/usr/bin/python3
"""Draws an rsrun trace file (docs/trace.md) as a timeline PNG: one band per process, phases as
bars, nested phases below their parent, each labelled with its name, duration and syscall count.

    tools/trace-plot.py TRACE OUT.png [TITLE]

Needs matplotlib (Debian: python3-matplotlib). Perfetto (ui.perfetto.dev) or chrome://tracing open
the same file interactively.
"""
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt


def load(path):
    body = open(path).read().rstrip().rstrip(",")
    return json.loads(body if body.endswith("]") else body + "]")


def main():
    events = load(sys.argv[1])
    names = {e["pid"]: e["args"]["name"] for e in events if e["ph"] == "M"}
    xs = [e for e in events if e["ph"] == "X"]
    t0 = min(e["ts"] for e in xs)
    # Process bands in order of their first event; depth of each event = how many events of the
    # same pid contain it.
    pids = sorted(names, key=lambda p: min(e["ts"] for e in xs if e["pid"] == p))
    rows, labels, y = [], [], 0
    for pid in pids:
        evs = sorted((e for e in xs if e["pid"] == pid), key=lambda e: (e["ts"], -e["dur"]))
        depth = {}
        for e in evs:
            d = sum(1 for o in evs if o is not e and o["ts"] <= e["ts"] and e["ts"] + e["dur"] <= o["ts"] + o["dur"]
                    and (o["dur"] > e["dur"] or (o["dur"] == e["dur"] and evs.index(o) < evs.index(e))))
            depth[id(e)] = d
        n = max(depth.values()) + 1
        for e in evs:
            rows.append((y + depth[id(e)], e))
        labels.append((y, n, f"{names[pid]}\npid {pid}"))
        y += n + 0.6
    fig, ax = plt.subplots(figsize=(16, 0.42 * y + 1.6))
    colors = plt.get_cmap("tab20")
    cidx = {}
    for row, e in rows:
        start = (e["ts"] - t0) / 1000
        w = e["dur"] / 1000
        c = colors(cidx.setdefault(e["name"], len(cidx)) % 20)
        ax.barh(row, w, left=start, height=0.85, color=c, edgecolor="black", linewidth=0.3)
        sc = e["args"]["syscalls"]
        text = f'{e["name"]} {w:.2f} ms' + (f", {sc} sc" if sc is not None else "")
        ax.text(start + w / 2 if w > 0 else start, row, text, ha="center", va="center", fontsize=6.5, clip_on=True)
    for y0, n, text in labels:
        ax.text(-0.01, y0 + (n - 1) / 2, text, transform=ax.get_yaxis_transform(), ha="right", va="center", fontsize=8)
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlabel("ms since the first event (CLOCK_MONOTONIC)")
    ax.set_title(sys.argv[3] if len(sys.argv) > 3 else sys.argv[1], fontsize=10)
    ax.grid(axis="x", linewidth=0.3)
    fig.subplots_adjust(left=0.1, right=0.99)
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
