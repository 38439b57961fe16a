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
    # Idle stretches between the processes (the engine's or the shell's time between verbs) longer
    # than GAP ms are drawn 0.5 ms wide, marked with their length.
    GAP = 2.0
    busy = sorted(((e["ts"] - t0) / 1000, (e["ts"] + e["dur"] - t0) / 1000) for e in xs)
    merged = []
    for a, b in busy:
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    cuts = []  # (where the gap starts, original, how much is removed)
    removed = 0.0
    for (a0, b0), (a1, b1) in zip(merged, merged[1:]):
        if a1 - b0 > GAP:
            cuts.append((b0 - removed, a1 - b0, a1 - b0 - 0.5))
            removed += a1 - b0 - 0.5


    def squeeze(ms):
        out, rem = ms, 0.0
        for (a0, b0), (a1, b1) in zip(merged, merged[1:]):
            if a1 - b0 > GAP and ms >= a1:
                rem += a1 - b0 - 0.5
        return out - rem
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
    span = squeeze((max(e["ts"] + e["dur"] for e in xs) - t0) / 1000)
    for at, length, _ in cuts:
        ax.axvspan(at, at + 0.5, color="0.9", zorder=0)
        ax.text(at + 0.25, -0.9, f"{length:.0f} ms idle", ha="center", va="bottom", fontsize=6.5, color="0.3")
    handles = {}
    for row, e in rows:
        start = squeeze((e["ts"] - t0) / 1000)
        w = e["dur"] / 1000
        c = colors(cidx.setdefault(e["name"], len(cidx)) % 20)
        bar = ax.barh(row, w, left=start, height=0.85, color=c, edgecolor="black", linewidth=0.3)
        handles.setdefault(e["name"], bar)
        sc = e["args"]["syscalls"]
        # Labels only where they fit; the legend names every colour.
        if w > span * 0.06:
            text = f'{e["name"]} {w:.2f} ms' + (f", {sc} sc" if sc is not None else "")
            ax.text(start + w / 2, row, text, ha="center", va="center", fontsize=6.5, clip_on=True)
        elif w > span * 0.02:
            ax.text(start + w / 2, row, f"{sc}", ha="center", va="center", fontsize=6, clip_on=True)
    for y0, n, text in labels:
        ax.text(-0.01, y0 + (n - 1) / 2, text, transform=ax.get_yaxis_transform(), ha="right", va="center", fontsize=8)
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.set_xlabel(f"ms since the first event (CLOCK_MONOTONIC; idle stretches over {GAP:.0f} ms drawn 0.5 ms wide, grey)")
    ax.set_title(sys.argv[3] if len(sys.argv) > 3 else sys.argv[1], fontsize=10)
    ax.grid(axis="x", linewidth=0.3)
    ax.legend(handles.values(), handles.keys(), loc="upper left", bbox_to_anchor=(1.005, 1), fontsize=7,
              title="phase (bar label: duration, syscalls)", title_fontsize=7)
    fig.subplots_adjust(left=0.09, right=0.8)
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
