"""The XOR study's figures, drawn from its record alone: the decision boundaries of the best line and of each
activation's two-unit net, and how often each activation and width solves XOR."""
from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ffbench.style import (ACCENT, CLASS_FACES, CLASS_REGIONS, INK, MUTED, figure, label, ordered, panel_letters,
                           save_figure, theory_hline)

BOUNDARY = {"color": MUTED, "linewidth": 2.2, "linestyle": "-"}  # wide and gray, so a hidden-unit line on it shows
HIDDEN = {"color": ACCENT, "linewidth": 0.9, "linestyle": (0, (3, 1.5)), "zorder": 3}


def render(record, out_dir, formats):
    return _render_boundaries(record, out_dir, formats) + _render_accuracy(record, out_dir, formats)


def _draw_line(ax, extent, normal, offset, **style):
    """The line normal . x + offset = 0 across the drawn square."""
    t = np.linspace(*extent, 2)
    style = {"marker": "", **style}
    if abs(normal[1]) > abs(normal[0]):
        ax.plot(t, -(normal[0] * t + offset) / normal[1], **style)
    else:
        ax.plot(-(normal[1] * t + offset) / normal[0], t, **style)


def _scatter(ax, X, y):
    for cls, marker in ((0, "o"), (1, "s")):
        pts = X[y == cls]
        ax.scatter(pts[:, 0], pts[:, 1], s=6, marker=marker, facecolors=CLASS_FACES[cls], edgecolors=INK,
                   linewidths=0.4, zorder=4, label=f"class {cls} (XOR = {cls})")


def _render_boundaries(record, out_dir, formats):
    """The best line next to each activation's 2-unit net: regions, boundary, hidden-unit lines, data."""
    d = record["data"]
    X, y = np.asarray(d["X"]), np.asarray(d["y"])
    acts = record["config"]["activations"]
    n, extent = d["grid"], d["extent"]
    g = np.linspace(*extent, n)
    fig, axes = figure("double", height=7.0 / (len(acts) + 1) + 0.75, ncols=len(acts) + 1, sharey=True)
    ax = axes[0]
    line = d["linear"]["noisy_best_line"]
    if line is not None:
        p, q, orient = (np.asarray(v, float) for v in line)
        normal = orient * np.array([-(q - p)[1], (q - p)[0]])
        side = (np.stack(np.meshgrid(g, g), axis=-1) @ normal - normal @ p > 0).astype(float)
        ax.contourf(g, g, side, levels=[-0.5, 0.5, 1.5], colors=list(CLASS_REGIONS))
        _draw_line(ax, extent, normal, -normal @ p, **BOUNDARY)
    ax.set_title(f"best line: {d['linear']['noisy_best_accuracy']:.0%}")
    for ax, act in zip(axes[1:], acts):
        s = d["shown"][act]
        prob = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(s["grid_logits"], float), -50, 50))).reshape(n, n)
        ax.contourf(g, g, prob, levels=[0, 0.5, 1], colors=list(CLASS_REGIONS))
        ax.contour(g, g, prob, levels=[0.5], colors=BOUNDARY["color"], linewidths=BOUNDARY["linewidth"])
        W1, b1 = np.asarray(s["W1"]), np.asarray(s["b1"])
        for j in range(W1.shape[1]):
            _draw_line(ax, extent, W1[:, j], b1[j], **HIDDEN)
        ax.set_title(f"{label(act)}: {s['corner_accuracy']:.0%}")  # the unit count: in the legend's title
    for ax in axes:
        _scatter(ax, X, y)
        ax.set_xlim(*extent)
        ax.set_ylim(*extent)
        ax.set_aspect("equal")
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    panel_letters(axes)
    handles, labels = axes[0].get_legend_handles_labels()
    handles += [Patch(facecolor=CLASS_REGIONS[0], edgecolor=MUTED, linewidth=0.4),
                Patch(facecolor=CLASS_REGIONS[1], edgecolor=MUTED, linewidth=0.4),
                Line2D([], [], **BOUNDARY), Line2D([], [], **{k: v for k, v in HIDDEN.items() if k != "zorder"})]
    labels += ["predicted class 0", "predicted class 1", "decision boundary", r"hidden unit $w_j \cdot x + b_j = 0$"]
    units = {np.asarray(d["shown"][a]["W1"]).shape[1] for a in acts}
    fig.legend(handles, labels, loc="outside lower center", ncol=3, title_fontsize="small",
               title=f"nets of {'/'.join(map(str, sorted(units)))} hidden units; in each title: corners right")
    return save_figure(fig, out_dir, "xor_boundaries", formats)


def _render_accuracy(record, out_dir, formats):
    """(a) The fraction of seeds that solve XOR (all four corners right), per activation and width, with the count
    written on each bar; (b) every seed's corner accuracy, side by side at its exact value (no jitter in y)."""
    d = record["data"]
    acts = record["config"]["activations"]
    fig, (ax, bx) = figure("double", height=2.6, ncols=2)
    widths = sorted({w for a in acts for w in d["accuracies"][a]}, key=int)
    step = 0.8 / len(widths)
    for w, shade, k in zip(widths, ordered([int(w) for w in widths]), range(len(widths))):
        offset = (k - (len(widths) - 1) / 2) * step
        solved = [float(np.mean(np.asarray(d["accuracies"][a][w]) == 1.0)) for a in acts]
        bars = ax.bar(np.arange(len(acts)) + offset, solved, width=step * 0.9, color=shade,
                      label=f"{w} hidden units")
        runs = [len(d["accuracies"][a][w]) for a in acts]
        ax.bar_label(bars, [f"{round(s * r)}/{r}" for s, r in zip(solved, runs)], padding=1.5, fontsize="small")
        for i, act in enumerate(acts):
            values, counts = np.unique(np.asarray(d["accuracies"][act][w], dtype=float), return_counts=True)
            for v, c in zip(values, counts):  # seeds with the same accuracy side by side
                xs = i + offset + (np.arange(c) - (c - 1) / 2) * min(0.035, step * 0.9 / max(c, 1))
                bx.plot(xs, np.full(c, v), linestyle="none", color=shade, marker="o", markersize=2.5,
                        label=f"{w} hidden units" if (i, v) == (0, values[0]) else None)
    for axis in (ax, bx):
        axis.set_xticks(range(len(acts)), [label(a) for a in acts])
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("fraction of seeds that solve XOR")
    ax.set_title("solved: all 4 corners right")
    theory_hline(bx, 0.75, label="best line (3 of 4)")
    bx.set_yticks([0.5, 0.75, 1.0], ["2/4", "3/4", "4/4"])
    bx.set_ylim(0.4, 1.08)
    bx.set_ylabel("corners right, per seed")
    bx.set_title("every seed")
    panel_letters([ax, bx])
    fig.legend(*bx.get_legend_handles_labels(), loc="outside lower center", ncols=3)
    return save_figure(fig, out_dir, "xor_accuracy", formats)
