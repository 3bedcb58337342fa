"""The benchmark's figure, drawn from the saved ``bench.json`` alone (``render``; ``redraw`` is the
``python -m ffbench.figures`` hook), so a redraw is byte-identical.

(a) The training step: per peer and dtype, every configuration's speed-up of ffbench (peer time / ffbench time) as
a point, and their geometric mean as a bar across them with its value; a log axis, where 2x faster and 2x slower
are the same distance from 1.  (b, c) The activations in float32 and float64: GB/s of every peer's kernel as a dot
per row (a peer without that kernel has no dot, never a bar too short to see).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ffbench.style import (DEFAULT_FORMATS, INK, TIMES, figure, label, panel_letters, paper_style,
                           save_figure, series, theory_hline)

DTYPES = ("float32", "float64")


def _speedups(ax, result):
    """Every configuration's speed-up per (peer, dtype) as a strip, with the geometric mean as a bar."""
    others = [p for p in result["peers_run"] if p != "ffbench"]
    ticks = []
    for i, (peer, dt) in enumerate((p, d) for p in others for d in DTYPES):
        ratios = np.array([r["ratio"][peer] for r in result["steps"] if r["dtype"] == dt and peer in r["ratio"]])
        ticks.append(f"{label(peer).split()[0]}\n{dt[5:]}-bit")
        if not ratios.size:
            continue
        # spread the points across the strip by rank, so none hides another
        xs = i + np.linspace(-0.3, 0.3, ratios.size)[np.argsort(np.argsort(ratios))]
        ax.plot(xs, ratios, linestyle="none", markersize=2.2, alpha=0.7,
                **series(peer, label=None, markerfacecolor="none" if dt == "float64" else None))
        mean = float(np.exp(np.log(ratios).mean()))
        ax.plot([i - 0.38, i + 0.38], [mean, mean], color=INK, linewidth=1.4, linestyle="-", marker="")
        ax.annotate(f"{mean:.2f}{TIMES}", (i, mean), xytext=(0, 3), textcoords="offset points", ha="center",
                    va="bottom", fontsize="small", fontweight="bold")
    theory_hline(ax, 1.0)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(FixedLocator([0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 15, 20]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}{TIMES}"))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_xticks(range(len(ticks)), ticks, fontsize="small")
    ax.set_xlim(-0.6, len(ticks) - 0.4)
    ax.set_ylabel("speed-up of ffbench (peer time / ffbench time)")
    ax.set_title(f"training step, {len(result['steps'])} configurations\n(bar: geometric mean)")


def _activations(ax, result, dt, rows):
    """GB/s of each peer's kernel per (activation, direction) of ``dt``, as dots."""
    for peer in result["peers_run"]:
        pts = [(r[peer]["gbps"], i) for i, r in enumerate(rows) if r.get(peer, {}).get("gbps")]
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, linestyle="none", markersize=3.2, **series(peer))
    ax.set_xlim(left=0)
    ax.set_xlabel(f"GB/s ({dt})")
    ax.set_title(f"activations, {dt}")
    ax.grid(True, axis="y")


def _elements(n) -> str:
    return f"{n / 1e6:.1f} M elements" if n >= 1e6 else f"{n} elements"


def render(result, out_dir, formats=DEFAULT_FORMATS):
    """Draw ``bench.png`` (and the other ``formats``) into ``out_dir``; return the paths."""
    with paper_style():
        fig, axes = figure("double", height=4.6, ncols=3, width_ratios=[1.7, 1, 1])
        _speedups(axes[0], result)
        keys = sorted({(r["activation"], r["direction"]) for r in result["activations"]},
                      key=lambda k: (list(dict.fromkeys(r["activation"] for r in result["activations"])).index(k[0]),
                                     k[1] != "forward"))
        for ax, dt in zip(axes[1:], DTYPES):
            by_key = {(r["activation"], r["direction"]): r for r in result["activations"] if r["dtype"] == dt}
            _activations(ax, result, dt, [by_key.get(k, {}) for k in keys])
        axes[1].set_yticks(range(len(keys)), [f"{label(a)} {'fwd' if d == 'forward' else 'bwd'}" for a, d in keys],
                           fontsize="small")
        axes[2].set_yticks(range(len(keys)), [])
        for ax in axes[1:]:
            ax.set_ylim(len(keys) - 0.5, -0.5)
        panel_letters(axes)
        handles, labels = axes[1].get_legend_handles_labels()
        hollow = [line for line in axes[0].lines if line.get_markerfacecolor() == "none"]
        if hollow:
            handles.append(hollow[0])
            labels.append("float64 speed-ups: hollow")
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels),
                   title=f"activations on {_elements(result['methodology']['act_elements'])}; no dot: the peer has "
                         "no such kernel", title_fontsize="small")
        return save_figure(fig, out_dir, "bench", formats)


def redraw(record_path, out_dir, formats=DEFAULT_FORMATS):
    """``render`` from a saved ``bench.json`` (the ``ffbench.figures`` hook)."""
    return render(json.loads(Path(record_path).read_text()), out_dir, formats)
