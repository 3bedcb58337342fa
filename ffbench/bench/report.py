"""The benchmark's report as text tables (``format_tables``), from the saved result (``OUT/bench.json``) alone;
the figure is ``ffbench.bench.figure``."""
from __future__ import annotations

import json



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
             "f' = 1 never reads z)",
             (f"{'dtype':7} {'activation':11} {'dir':8} " + "".join(f"{p:>9} " for p in peers)).rstrip()]
    for r in result["activations"]:
        vals = "".join((f"{r[p]['gbps']:9.1f} " if r.get(p, {}).get("gbps") else f"{'-':>9} ") for p in peers)
        lines.append(f"{r['dtype']:7} {r['activation']:11} {r['direction']:8} {vals}".rstrip())
    return lines


def format_tables(result) -> str:
    """The whole report as text (what ``python -m ffbench.bench`` prints)."""
    lines = _header_lines(result) + [""] + _step_lines(result) + _check_lines(result) + [""] + _activation_lines(result)
    if result["errors"]:
        lines += [""] + [f"error ({peer}): {msg}" for peer, msg in result["errors"].items()]
    return "\n".join(lines)
