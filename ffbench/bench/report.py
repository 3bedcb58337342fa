"""The benchmark's report: text tables (``format_tables``) and the figure (``render``), from the saved result.

Both read only what ``OUT/bench.json`` holds, so ``python -m ffbench.figures`` redraws ``bench.png``/``.svg``
from the record alone, byte-identically.
"""
from __future__ import annotations

import json
from pathlib import Path

MARKERS = {"numpy": "o", "torch": "s", "jax": "^"}
COLORS = {"ffbench": "#000000", "numpy": "#0072B2", "torch": "#D55E00", "jax": "#009E73"}  # style.COLORS[:4]
HATCHES = {"ffbench": "", "numpy": "//", "torch": "..", "jax": "xx"}
NAMES = {"ffbench": "ffbench", "numpy": "NumPy", "torch": "PyTorch eager", "jax": "JAX jit"}


def _ms(row, peer, stat) -> str:
    t = row.get(peer, {}).get(stat)
    return f"{t * 1e3:9.3f}" if t else f"{'-':>9}"


def _x(value) -> str:
    return f"{value:.2f}x" if value else "-"


def _pct(value) -> str:
    return f"{100 * value:5.0f}%" if value else f"{'-':>6}"


def _header_lines(result) -> list[str]:
    lines, c = [], result["ceilings"]
    if c:
        lines.append(f"GEMM ceiling (NumPy, n={c['gemm_n']}): " + ", ".join(
            f"{k.split('/')[0]} {k.split('/')[1]} thr {v:.0f} GFLOP/s" for k, v in c["gemm"].items()))
        lines.append(f"copy bandwidth ({c['act_elements']} elements, {c['copy_threads']} threads): "
                     + ", ".join(f"{k} {v:.1f} GB/s" for k, v in c["copy_gbps"].items()))
    lines.append(f"threads: {json.dumps(result['thread_counts'])}")
    load = result.get("load_average") or {}
    if load.get("start"):
        lines.append(f"load average (1 min) at start {load['start'][0]:.1f}, at end {load['end'][0]:.1f} "
                     f"on {result['provenance'].get('usable_cores')} usable cores")
    lines += [f"skipped {peer}: {why}" for peer, why in result["skipped"].items()]
    return lines


def _step_lines(result) -> list[str]:
    peers, stat, threads = result["peers_run"], result["statistic"], result["threads"]
    others = [p for p in peers if p != "ffbench"]
    lines = [f"Training step (SGD, MSE), {stat[:-2]} ms per step; /peer = peer time / ffbench time (>1: ffbench "
             f"faster); GFLOP/s and % of the {threads}-thread GEMM ceiling: ffbench, and the fastest peer",
             f"{'dtype':7} {'act':4} {'batch x net':21} " + "".join(f"{p:>9} " for p in peers)
             + "".join(f"{'/' + p:>8}" for p in others) + f" {'GFLOP/s':>8} {'%ceil':>6} {'peer%':>6}"]
    for r in result["steps"]:
        fastest = max(others, key=lambda p: r["gflops"].get(p, 0), default=None)
        lines.append(f"{r['dtype']:7} {r['activation']:4} {r['label']:21} "
                     + "".join(_ms(r, p, stat) + " " for p in peers)
                     + "".join(f"{_x(r['ratio'].get(p)):>8}" for p in others)
                     + f" {r['gflops'].get('ffbench', 0):8.1f} {_pct(r['ceiling_fraction'].get('ffbench'))}"
                     + f" {_pct(r['ceiling_fraction'].get(fastest))}")
    lines.append("")
    for dt, s in result["summary"].items():
        lines.append(f"{dt} ({max((v['n'] for v in s.values()), default=0)} configurations): " + "; ".join(
            f"vs {p} geomean {_x(v['geomean'])}, worst {_x(v['worst'])} ({v['worst_at'].split(' ', 1)[1]}), "
            f"best {_x(v['best'])}" for p, v in s.items()))
    return lines


def _check_lines(result) -> list[str]:
    lines, stat = [], result["statistic"]
    for peer in result["peers_run"]:
        over = [r[peer]["first_s"] - r[peer][stat] for r in result["steps"] if r.get(peer, {}).get(stat)]
        if over:
            what = "compile" if peer == "ffbench" and result.get("cold_cache") else "compile / cache load / warm-up"
            lines.append(f"{peer}: first-call overhead ({what}, excluded above): total {sum(over):.2f} s, "
                         f"largest {max(over):.2f} s over {len(over)} configurations")
    spreads = [r["first_loss_spread"] for r in result["steps"] if "first_loss_spread" in r]
    if spreads:
        lines.append(f"same work check: first-step losses of all peers agree to {max(spreads):.1e} (relative, worst case)")
    return lines


def _activation_lines(result) -> list[str]:
    peers = result["peers_run"]
    n = result["methodology"]["act_elements"]
    lines = [f"Activations on {n} elements, GB/s (forward moves 2 arrays, backward 3; the identity's backward 2: "
             "f' = 1 never reads z); %copy = ffbench / copy bandwidth",
             f"{'dtype':7} {'activation':11} {'dir':8} " + "".join(f"{p:>9} " for p in peers) + f"{'%copy':>6}"]
    for r in result["activations"]:
        vals = "".join((f"{r[p]['gbps']:9.1f} " if r.get(p, {}).get("gbps") else f"{'-':>9} ") for p in peers)
        lines.append(f"{r['dtype']:7} {r['activation']:11} {r['direction']:8} {vals}"
                     + _pct(r.get("copy_fraction", {}).get("ffbench")))
    return lines


def format_tables(result) -> str:
    """The whole report as text (what ``python -m ffbench.bench`` prints)."""
    lines = _header_lines(result) + [""] + _step_lines(result) + _check_lines(result) + [""] + _activation_lines(result)
    if result["errors"]:
        lines += [""] + [f"error ({peer}): {msg}" for peer, msg in result["errors"].items()]
    return "\n".join(lines)


def _elements(n) -> str:
    return f"{n / 1e6:.1f} M elements" if n >= 1e6 else f"{n} elements"


def _speedup_panel(ax, result):
    """Speed-up of ffbench over each peer against the GEMM work of the step (log-log)."""
    for peer in [p for p in result["peers_run"] if p != "ffbench"]:
        for dt, fill in (("float32", None), ("float64", "none")):
            pts = [(r["flops"], r["ratio"][peer]) for r in result["steps"] if r["dtype"] == dt and peer in r["ratio"]]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, linestyle="none", marker=MARKERS[peer], markersize=3, color=COLORS[peer],
                        label=f"{NAMES[peer]} {dt}", **({"markerfacecolor": fill} if fill else {}))
    ax.axhline(1.0, color="0.4", linewidth=0.6, linestyle="--")
    ax.set(xscale="log", yscale="log", xlabel="GEMM work per training step (FLOP)",
           ylabel="speed-up of ffbench (peer time / ffbench time)", title="training step")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=6)


def _activation_panel(ax, result):
    """float32 activation GB/s per peer; a peer without the kernel gets no bar (said in the legend)."""
    from ffbench.style import label
    peers = result["peers_run"]
    rows = [r for r in result["activations"] if r["dtype"] == "float32"]
    height = 0.8 / max(1, len(peers))
    for k, peer in enumerate(peers):
        pos = [(i + k * height, r[peer]["gbps"]) for i, r in enumerate(rows) if r.get(peer, {}).get("gbps")]
        if pos:
            y, w = zip(*pos)
            ax.barh(y, w, height=height, label=NAMES[peer], color=COLORS[peer], hatch=HATCHES[peer],
                    edgecolor="0.2", linewidth=0.3)
    if result["ceilings"]:
        ax.axvline(result["ceilings"]["copy_gbps"]["float32"], color="0.2", linestyle="--", linewidth=0.8,
                   label="copy bandwidth")
    ax.set_xscale("log")
    ax.set_yticks([i + 0.4 - height / 2 for i in range(len(rows))],
                  [f"{label(r['activation'])} {'fwd' if r['direction'] == 'forward' else 'bwd'}" for r in rows],
                  fontsize=5)
    ax.invert_yaxis()
    ax.set(xlabel=f"GB/s (float32, {_elements(result['methodology']['act_elements'])})", title="activations")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize=6,
              title="no bar: the peer has no such kernel", title_fontsize=6)


def redraw(record_path, out_dir, formats=("png", "svg")):
    """``render`` from a saved ``bench.json`` (the ``ffbench.figures`` hook)."""
    return render(json.loads(Path(record_path).read_text()), out_dir, formats)


def render(result, out_dir, formats=("png", "svg")):
    """Draw ``bench.png``/``.svg`` into ``out_dir``; return the paths."""
    from ffbench.style import figure, paper_style, save_figure
    with paper_style():
        fig, (ax1, ax2) = figure("double", height=4.2, ncols=2)
        _speedup_panel(ax1, result)
        _activation_panel(ax2, result)
        return save_figure(fig, out_dir, "bench", formats)

